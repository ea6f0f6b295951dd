/* cmd-venue.c: tessera-sync venue import and venue list. */
#include <inttypes.h>
#include <stdlib.h>

#include "cmd.h"
#include "db.h"
#include "venue.h"
#include "xmalloc.h"

static const struct option venue_options[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_venue_import_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	struct venue *v = NULL;
	struct store *st = NULL;
	const char *db = NULL, *path;
	char *cause = NULL;
	uint32_t id;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, venue_options)) != -1) {
		if (c == 'd')
			db = optarg;
	}
	if (db == NULL)
		return cmdline_usage_error(self, "--db FILE is required");
	if (optind == argc)
		return cmdline_usage_error(self,
		    "which venue file? (docs/venues.md has the format)");
	if (argc - optind > 1)
		return cmdline_usage_error(self, "one venue file at a time (unexpected \"%s\")",
		    argv[optind + 1]);
	path = argv[optind];

	/* The whole file is checked before the store is touched: a bad file imports nothing. */
	if (venue_load(path, &v, &cause) != 0) {
		cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		goto out;
	if (store_venue_import(st, v, &id, &cause) != 0) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "%s: %s", path, cause);
		free(cause);
		goto out;
	}
	printf("venue %s: %zu seats in %zu section%s, id %" PRIu32 "\n", v->name, v->nseats,
	    v->nsections, v->nsections == 1 ? "" : "s", id);
	rc = CMD_EXIT_OK;
out:
	store_close(st);
	venue_free(v);
	return rc;
}

const struct cmdline_cmd cmd_venue_import_entry = {
	.name = "venue import",
	.usage = "--db FILE PATH",
	.summary = "Import the venue file PATH (format: docs/venues.md) and print its id.",
	.help =
	    "The file is parsed whole first: an error names its line and column and nothing is\n"
	    "imported. Each import makes a new venue with its own id, printed as the last word.\n"
	    "\n"
	    "  --db FILE    the store\n",
	.exec = cmd_venue_import_exec,
	.prog = &cmd_prog,
};

static int
cmd_venue_list_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	struct store *st = NULL;
	struct cmd_rows *rows;
	sqlite3_stmt *s;
	const char *db = NULL, *secs;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, venue_options)) != -1) {
		if (c == 'd')
			db = optarg;
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		return rc;

	rows = cmd_rows_new(">ID|NAME|>SEATS|SECTIONS");
	s = db_prepare(store_db(st), "SELECT v.id, v.name, (SELECT count(*) FROM seats WHERE "
	    "venue_id = v.id), (SELECT group_concat(section, ',') FROM (SELECT section FROM seats "
	    "WHERE venue_id = v.id GROUP BY section ORDER BY min(id))) FROM venues v ORDER BY v.id");
	while ((c = sqlite3_step(s)) == SQLITE_ROW) {
		secs = (const char *)sqlite3_column_text(s, 3);
		cmd_rows_add(rows, "%lld", (long long)sqlite3_column_int64(s, 0));
		cmd_rows_add(rows, "%s", (const char *)sqlite3_column_text(s, 1));
		cmd_rows_add(rows, "%lld", (long long)sqlite3_column_int64(s, 2));
		cmd_rows_add(rows, "%s", secs != NULL ? secs : "-");
	}
	sqlite3_finalize(s);
	if (c != SQLITE_DONE) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "reading the venues: %s",
		    sqlite3_errmsg(store_db(st)));
		goto out;
	}
	cmd_rows_print(rows, stdout, 0);
	rc = CMD_EXIT_OK;
out:
	cmd_rows_free(rows);
	store_close(st);
	return rc;
}

const struct cmdline_cmd cmd_venue_list_entry = {
	.name = "venue list",
	.usage = "--db FILE",
	.summary = "List the imported venues: id, name, seats and sections.",
	.help =
	    "  --db FILE    the store\n",
	.exec = cmd_venue_list_exec,
	.prog = &cmd_prog,
};
