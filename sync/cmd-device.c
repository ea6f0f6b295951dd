/* cmd-device.c: tessera-sync device add, device list and device revoke. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "timefmt.h"
#include "xmalloc.h"

#define DEVICE_NAME_MAX  100        /* bytes of UTF-8 */

static const struct option device_options[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_device_add_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "sections", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *st = NULL;
	sqlite3_stmt *s;
	const char *db = NULL, *rolearg = NULL, *name = NULL, *secarg = NULL;
	char *cause = NULL, *code = NULL, *joined = NULL, **sections = NULL, until[64];
	int64_t expires = 0;
	uint32_t id;
	int c, role, rc;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'r':
			rolearg = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			secarg = optarg;
			break;
		}
	}
	if (db == NULL)
		return cmdline_usage_error(self, "--db FILE is required");
	if (rolearg == NULL || name == NULL)
		return cmdline_usage_error(self, "--%s is required", rolearg == NULL ?
		    "role gate|boxoffice" : "name TEXT");
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\" (quote a name with "
		    "spaces)", argv[optind]);
	role = role_parse(rolearg);
	if (role != ROLE_GATE && role != ROLE_BOXOFFICE)
		return cmdline_usage_error(self, "--role \"%s\": want gate or boxoffice", rolearg);
	if (cmd_check_text(name, DEVICE_NAME_MAX, "--name", &cause) != 0) {
		rc = cmdline_usage_error(self, "%s", cause);
		free(cause);
		return rc;
	}
	if (secarg != NULL && role != ROLE_GATE)
		return cmdline_usage_error(self, "--sections is for gates: a box office sells "
		    "every section");
	if (secarg != NULL) {
		if (cmd_parse_sections(secarg, "--sections", &sections, &cause) != 0) {
			rc = cmdline_usage_error(self, "%s", cause);
			free(cause);
			return rc;
		}
		joined = cmd_join(sections);
		cmd_free_list(sections);
	}

	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		goto out;
	if (store_device_add(st, role, name, joined, &id, &code, &cause) != 0) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		free(cause);
		goto out;
	}
	s = db_prepare(store_db(st), "SELECT code_expires FROM devices WHERE id = ?");
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		expires = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	printf("device %" PRIu32 ": %s %s%s%s\n", id, role_name(role), name,
	    joined != NULL ? ", sections " : "", joined != NULL ? joined : "");
	if (expires != 0) {
		timefmt_local(expires, "%Y-%m-%d %H:%M", until, sizeof until);
		printf("enrollment code (use once, before %s): %s\n", until, code);
	} else
		printf("enrollment code (use once): %s\n", code);
	rc = CMD_EXIT_OK;
out:
	free(code);
	free(joined);
	store_close(st);
	return rc;
}

const struct cmdline_cmd cmd_device_add_entry = {
	.name = "device add",
	.usage = "--db FILE --role gate|boxoffice --name TEXT [--sections A,B,...]",
	.summary = "Add a device and print its one-time enrollment code (the last word).",
	.help =
	    "The device enrolls with the code (it makes its own key pair and the server signs\n"
	    "its certificate); the code works once and expires after a week.\n"
	    "\n"
	    "  --db FILE            the store\n"
	    "  --role ROLE          gate (admits people) or boxoffice (sells tickets)\n"
	    "  --name TEXT          what staff call it, like \"North door\", up to 100 bytes\n"
	    "  --sections A,B,...   a gate: the sections it admits to (letters, digits, _);\n"
	    "                       default every section\n",
	.exec = cmd_device_add_exec,
	.prog = &cmd_prog,
};

static int
cmd_device_list_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	struct store *st = NULL;
	struct cmd_rows *rows = NULL;
	sqlite3_stmt *s;
	const char *db = NULL, *role, *secs;
	char *hex;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, device_options)) != -1) {
		if (c == 'd')
			db = optarg;
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		return rc;
	s = db_prepare(store_db(st), "SELECT id, name, role, state, sections, pk FROM devices "
	    "ORDER BY id");
	rows = cmd_rows_new(">ID|NAME|ROLE|STATE|SECTIONS|PUBLIC KEY");
	while ((c = sqlite3_step(s)) == SQLITE_ROW) {
		role = (const char *)sqlite3_column_text(s, 2);
		secs = (const char *)sqlite3_column_text(s, 4);
		cmd_rows_add(rows, "%lld", (long long)sqlite3_column_int64(s, 0));
		cmd_rows_add(rows, "%s", (const char *)sqlite3_column_text(s, 1));
		cmd_rows_add(rows, "%s", role);
		cmd_rows_add(rows, "%s", (const char *)sqlite3_column_text(s, 3));
		if (secs != NULL && *secs != '\0')
			cmd_rows_add(rows, "%s", secs);
		else
			cmd_rows_add(rows, "%s", strcmp(role, "gate") == 0 ? "all" : "-");
		if (sqlite3_column_type(s, 5) == SQLITE_BLOB &&
		    sqlite3_column_bytes(s, 5) == KEYS_PUBLICBYTES) {
			hex = keys_hex(sqlite3_column_blob(s, 5), KEYS_PUBLICBYTES);
			cmd_rows_add(rows, "%s", hex);
			free(hex);
		} else
			cmd_rows_add(rows, "-");
	}
	sqlite3_finalize(s);
	if (c != SQLITE_DONE) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "reading the devices: %s",
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

const struct cmdline_cmd cmd_device_list_entry = {
	.name = "device list",
	.usage = "--db FILE",
	.summary = "List the devices: id, name, role, state, sections, public key (hex).",
	.help =
	    "STATE is pending (added, not enrolled yet: no public key, shown as -), active or\n"
	    "revoked. SECTIONS is what a gate admits to (all: every section).\n"
	    "\n"
	    "  --db FILE    the store\n",
	.exec = cmd_device_list_exec,
	.prog = &cmd_prog,
};

static int
cmd_device_revoke_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	struct store *st = NULL;
	sqlite3_stmt *s;
	const char *db = NULL;
	char *cause = NULL, *name = NULL, *state = NULL, when[64];
	int64_t revoked_at = 0;
	uint32_t id;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, device_options)) != -1) {
		if (c == 'd')
			db = optarg;
	}
	if (db == NULL)
		return cmdline_usage_error(self, "--db FILE is required");
	if (argc - optind != 1)
		return cmdline_usage_error(self,
		    argc == optind ? "which device? (device list shows "
		    "the ids)" : "one device at a time");
	if (cmd_parse_id(argv[optind], &id) != 0)
		return cmdline_usage_error(self,
		    "\"%s\": want a device id (device list shows them)",
		    argv[optind]);

	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		return rc;
	s = db_prepare(store_db(st), "SELECT name, state, coalesce(revoked_at, 0) FROM devices "
	    "WHERE id = ?");
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		name = xstrdup((const char *)sqlite3_column_text(s, 0));
		state = xstrdup((const char *)sqlite3_column_text(s, 1));
		revoked_at = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (name == NULL) {
		rc = cmdline_error(self, CMD_EXIT_ERROR,
		    "no device %" PRIu32 " (device list shows the ids)", id);
		goto out;
	}
	if (strcmp(state, "revoked") == 0) {
		timefmt_local(revoked_at, NULL, when, sizeof when);
		rc = cmdline_error(self, CMD_EXIT_ERROR,
		    "device %" PRIu32 " (%s) is already revoked, since %s", id,
		    name, when);
		goto out;
	}
	if (store_device_revoke(st, id, &cause) != 0) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		free(cause);
		goto out;
	}
	printf("device %" PRIu32 " (%s) revoked: its certificate and tickets are refused from "
	    "now on, as soon as the gates hear of it\n", id, name);
	rc = CMD_EXIT_OK;
out:
	free(name);
	free(state);
	store_close(st);
	return rc;
}

const struct cmdline_cmd cmd_device_revoke_entry = {
	.name = "device revoke",
	.usage = "--db FILE ID",
	.summary = "Revoke device ID for good: its requests and the tickets it signed are refused.",
	.help =
	    "A revoked box office's leases and holds go back to the pool. A pending device's\n"
	    "enrollment code stops working. Revoking twice is an error.\n"
	    "\n"
	    "  --db FILE    the store\n",
	.exec = cmd_device_revoke_exec,
	.prog = &cmd_prog,
};
