/* cmd-event.c: tessera-sync event create and event list. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "timefmt.h"
#include "xmalloc.h"

#define EVENT_NAME_MAX   200        /* bytes of UTF-8 */
#define TIER_NAME_MAX    40
#define TIERS_MAX        256        /* a seat record keeps its tier in one byte */

static void
tiers_free(struct store_tier *tiers, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(tiers[i].name);
		cmd_free_list(tiers[i].sections);
	}
	free(tiers);
}

/* "NAME:PRICE" or "NAME:PRICE:SECTION,SECTION" into *t. 0, or -1 with *cause. */
static int
tier_parse(const char *arg, struct store_tier *t, char **cause)
{
	const char *c1, *c2;
	char *name = NULL, *price = NULL, *why = NULL;
	char **sections = NULL;
	int64_t minor;

	if ((c1 = strchr(arg, ':')) == NULL)
		return set_cause(cause, "--tier \"%.60s\": want NAME:PRICE or "
		    "NAME:PRICE:SECTION,... (like Stalls:35.00:A,B,C)", arg);
	name = xstrndup(arg, (size_t)(c1 - arg));
	c2 = strchr(c1 + 1, ':');
	price = c2 != NULL ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
	if (cmd_check_text(name, TIER_NAME_MAX, "--tier: the name", &why) != 0) {
		set_cause(cause, "--tier \"%.60s\": %s", arg, why);
		goto fail;
	}
	if (cmd_parse_money(price, &minor, &why) != 0) {
		set_cause(cause, "--tier %s: %s", name, why);
		goto fail;
	}
	if (c2 != NULL && cmd_parse_sections(c2 + 1, "--tier", &sections, &why) != 0) {
		set_cause(cause, "--tier %s: %s", name, why);
		goto fail;
	}
	free(price);
	t->name = name;
	t->price = minor;
	t->sections = sections;
	return 0;
fail:
	free(why);
	free(name);
	free(price);
	return -1;
}

static int
cmd_event_create_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "venue", required_argument, NULL, 'v' },
		{ "name", required_argument, NULL, 'n' },
		{ "starts", required_argument, NULL, 's' },
		{ "doors", required_argument, NULL, 'D' },
		{ "currency", required_argument, NULL, 'c' },
		{ "reentry", no_argument, NULL, 'r' },
		{ "tier", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_event e;
	struct store_tier *tiers = NULL;
	struct store *st = NULL;
	const char *db = NULL, *venue = NULL, *name = NULL, *starts = NULL, *doors = NULL;
	const char *currency = "EUR";
	char *cause = NULL, when[64], dwhen[64];
	char **tier_args = NULL;
	uint32_t id;
	int c, i, j, ntiers = 0, reentry = 0, rc;

	memset(&e, 0, sizeof e);
	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'v':
			venue = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			starts = optarg;
			break;
		case 'D':
			doors = optarg;
			break;
		case 'c':
			currency = optarg;
			break;
		case 'r':
			reentry = 1;
			break;
		case 't':
			tier_args = xreallocarray(tier_args, (size_t)ntiers + 1, sizeof *tier_args);
			tier_args[ntiers++] = optarg;
			break;
		}
	}
	rc = CMD_EXIT_USAGE;
	if (db == NULL) {
		cmdline_usage_error(self, "--db FILE is required");
		goto out;
	}
	if (venue == NULL || name == NULL || starts == NULL) {
		cmdline_usage_error(self, "--%s is required", venue == NULL ? "venue ID" :
		    name == NULL ? "name TEXT" : "starts TIME");
		goto out;
	}
	if (optind != argc) {
		cmdline_usage_error(self, "unexpected argument \"%s\" (quote a name with spaces)",
		    argv[optind]);
		goto out;
	}
	if (cmd_parse_id(venue, &e.venue_id) != 0) {
		cmdline_usage_error(self, "--venue \"%s\": want a venue id (venue list shows them)",
		    venue);
		goto out;
	}
	if (cmd_check_text(name, EVENT_NAME_MAX, "--name", &cause) != 0)
		goto usage_cause;
	e.name = name;
	if (timefmt_parse(starts, &e.starts_at, &cause) != 0) {
		cmdline_usage_error(self, "--starts %s", cause);
		goto out;
	}
	e.doors_at = e.starts_at - 3600;
	if (doors != NULL && timefmt_parse(doors, &e.doors_at, &cause) != 0) {
		cmdline_usage_error(self, "--doors %s", cause);
		goto out;
	}
	if (e.doors_at > e.starts_at) {
		cmdline_usage_error(self, "--doors %s is after --starts %s", doors, starts);
		goto out;
	}
	if (strlen(currency) != 3 || strspn(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
		cmdline_usage_error(self,
		    "--currency \"%s\": want an ISO 4217 code of 3 upper-case "
		    "letters, like EUR or GBP", currency);
		goto out;
	}
	e.currency = currency;
	e.reentry = reentry;

	if (ntiers > TIERS_MAX) {
		cmdline_usage_error(self, "at most %d --tier options", TIERS_MAX);
		goto out;
	}
	if (ntiers == 0) {
		/* One free tier over every section. */
		tiers = xcalloc(1, sizeof *tiers);
		tiers[0].name = xstrdup("General");
		ntiers = 1;
	} else {
		tiers = xcalloc((size_t)ntiers, sizeof *tiers);
		for (i = 0; i < ntiers; i++) {
			if (tier_parse(tier_args[i], &tiers[i], &cause) != 0)
				goto usage_cause;
			for (j = 0; j < i; j++) {
				if (strcmp(tiers[j].name, tiers[i].name) == 0) {
					cmdline_usage_error(self, "--tier %s is given twice",
					    tiers[i].name);
					goto out;
				}
			}
			if (tiers[i].sections == NULL && ntiers > 1) {
				cmdline_usage_error(self,
				    "--tier %s: name its sections (NAME:PRICE:"
				    "SECTION,...) when there are several tiers", tiers[i].name);
				goto out;
			}
		}
	}
	e.tiers = tiers;
	e.ntiers = ntiers;

	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		goto out;
	if (store_event_create(st, &e, &id, &cause) != 0) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		goto out;
	}
	timefmt_local(e.starts_at, "%Y-%m-%d %H:%M %Z", when, sizeof when);
	timefmt_local(e.doors_at, "%Y-%m-%d %H:%M", dwhen, sizeof dwhen);
	printf("event %s: starts %s, doors %s, %s, %d tier%s%s, id %" PRIu32 "\n", name, when,
	    dwhen, currency, ntiers, ntiers == 1 ? "" : "s", reentry ? ", re-entry" : "", id);
	rc = CMD_EXIT_OK;
	goto out;

usage_cause:
	rc = cmdline_usage_error(self, "%s", cause);
out:
	free(cause);
	free(tier_args);
	if (tiers != NULL)
		tiers_free(tiers, ntiers);
	store_close(st);
	return rc;
}

const struct cmdline_cmd cmd_event_create_entry = {
	.name = "event create",
	.usage = "--db FILE --venue ID --name TEXT --starts TIME\n"
	    "    [--doors TIME] [--currency CODE] [--reentry] [--tier NAME:PRICE[:SECTION,...]]...",
	.summary = "Create an event at an imported venue and print its id.",
	.help =
	    "  --db FILE          the store\n"
	    "  --venue ID         the venue (venue list shows the ids)\n"
	    "  --name TEXT        the event's name, up to 200 bytes\n"
	    "  --starts TIME      when the show starts, ISO 8601: 2026-11-23T19:30,\n"
	    "                     2026-11-23 19:30:00, 2026-11-23T19:30+01:00, ...Z;\n"
	    "                     without a zone it is local time (TZ)\n"
	    "  --doors TIME       when the gates open; default one hour before --starts\n"
	    "  --currency CODE    ISO 4217, 3 upper-case letters; default EUR\n"
	    "  --reentry          people may leave and come back in on the same ticket\n"
	    "  --tier NAME:PRICE:SECTION,...\n"
	    "                     a price tier: its name, its price in major units with at\n"
	    "                     most 2 decimals (35, 35.5, 35.50 are 3550 cents), and the\n"
	    "                     sections it prices. Repeat for each tier; a section is in at\n"
	    "                     most one tier, and a section in no tier cannot be sold.\n"
	    "                     A single tier may leave out its sections to cover all.\n"
	    "                     Without --tier: one tier \"General\" at 0.00 for every section.\n"
	    "\n"
	    "Example:\n"
	    "  tessera-sync event create --db tessera.db --venue 1 --name 'Hamlet' \\\n"
	    "      --starts 2026-11-23T19:30 --tier Stalls:35:A,B,C --tier Circle:25.50:D,E\n",
	.exec = cmd_event_create_exec,
	.prog = &cmd_prog,
};

static int
cmd_event_list_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *st = NULL;
	struct cmd_rows *rows;
	json_t *reply = NULL, *ev;
	const char *db = NULL;
	char *cause = NULL, starts[64], doors[64];
	size_t i;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		if (c == 'd')
			db = optarg;
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		return rc;
	if (store_events(st, &reply, &cause) != STORE_OK) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		free(cause);
		store_close(st);
		return rc;
	}
	rows = cmd_rows_new(">ID|STARTS|DOORS|VENUE|CURRENCY|REENTRY|NAME");
	json_array_foreach(json_object_get(reply, "events"), i, ev) {
		timefmt_local(json_integer_value(json_object_get(ev, "starts_at")), NULL, starts,
		    sizeof starts);
		timefmt_local(json_integer_value(json_object_get(ev, "doors_at")), NULL, doors,
		    sizeof doors);
		cmd_rows_add(rows, "%lld", (long long)json_integer_value(json_object_get(ev, "id")));
		cmd_rows_add(rows, "%s", starts);
		cmd_rows_add(rows, "%s", doors);
		cmd_rows_add(rows, "%s (%lld)", json_string_value(json_object_get(ev, "venue_name")),
		    (long long)json_integer_value(json_object_get(ev, "venue")));
		cmd_rows_add(rows, "%s", json_string_value(json_object_get(ev, "currency")));
		cmd_rows_add(rows, "%s", json_is_true(json_object_get(ev, "reentry")) ? "yes" : "no");
		cmd_rows_add(rows, "%s", json_string_value(json_object_get(ev, "name")));
	}
	cmd_rows_print(rows, stdout, 0);
	cmd_rows_free(rows);
	json_decref(reply);
	store_close(st);
	return CMD_EXIT_OK;
}

const struct cmdline_cmd cmd_event_list_entry = {
	.name = "event list",
	.usage = "--db FILE",
	.summary = "List the events by start time: id, times (local), venue, currency, name.",
	.help =
	    "  --db FILE    the store\n",
	.exec = cmd_event_list_exec,
	.prog = &cmd_prog,
};
