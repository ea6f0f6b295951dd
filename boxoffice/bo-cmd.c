/*
 * bo-cmd.c: the table of tessera-boxoffice's commands and what they share, and the small
 * commands: enroll, sync, events.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bo-cmd.h"
#include "cart.h"
#include "db.h"
#include "device.h"
#include "sale.h"
#include "timefmt.h"
#include "xmalloc.h"

const struct config_key bo_config_keys[] = {
	{ "replica", CONFIG_PATH, 0, 0 },
	{ "server", CONFIG_URL, 0, 0 },
	{ "pin", CONFIG_TEXT, 0, 0 },
	{ "png", CONFIG_PATH, 0, 0 },
	{ "svg", CONFIG_PATH, 0, 0 },
	{ "escpos", CONFIG_PATH, 0, 0 },
	{ "timeout", CONFIG_NUMBER, 1, 60000 },
	{ "colours", CONFIG_COLOURS, 0, 0 },
};
const size_t bo_nconfig_keys = nitems(bo_config_keys);
struct config *bo_config;

const struct cmdline_prog bo_prog = {
	.name = BO_PROGRAM,
	.exit_ok = BO_EXIT_OK,
	.exit_usage = BO_EXIT_USAGE,
};

const struct cmdline_cmd *const bo_cmd_table[] = {
	&bo_cmd_enroll,
	&bo_cmd_sync,
	&bo_cmd_events,
	&bo_cmd_sell,
	&bo_cmd_lease,
	&bo_cmd_refund,
	&bo_cmd_shift_open,
	&bo_cmd_shift_close,
	&bo_cmd_report_shift,
	NULL,
};

void
bo_cmd_usage(FILE *f)
{
	fprintf(f, "usage: %s [--replica FILE] [--png DIR] [--svg DIR] [--escpos FILE] "
	    "[--offline]\n    [--timeout MS] [--colours SCHEME]      (the box-office screen)\n",
	    BO_PROGRAM);
	cmdline_print_usage(f, bo_cmd_table, NULL);
}

const char *
bo_cmd_replica(const char *arg)
{
	return arg != NULL ? arg : config_text(bo_config, "replica");
}

int
bo_cmd_open(const struct cmdline_cmd *self, const char *replica, struct device **d)
{
	char *cause = NULL;
	long ms;

	if ((replica = bo_cmd_replica(replica)) == NULL)
		return cmdline_usage_error(self, "--replica FILE is required (or replica in the "
		    "settings file)");
	if (device_open(replica, d, &cause) != 0) {
		cmdline_error(self, BO_EXIT_ERROR, "cannot open %s: %s", replica, cause);
		free(cause);
		return BO_EXIT_ERROR;
	}
	if (device_role(*d) != ROLE_BOXOFFICE) {
		cmdline_error(self, BO_EXIT_ERROR, "%s is a %s's replica, not a box office's",
		    replica,
		    role_name(device_role(*d)));
		device_close(*d);
		return BO_EXIT_ERROR;
	}
	if ((ms = config_number(bo_config, "timeout", 0)) > 0)
		device_set_online_timeout(*d, ms);
	return BO_EXIT_OK;
}

int
bo_cmd_parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int
bo_cmd_add_words(char ***list, int n, const char *arg)
{
	char *copy = xstrdup(arg), *p, *save = NULL;

	for (p = strtok_r(copy, ", ", &save); p != NULL; p = strtok_r(NULL, ", ", &save)) {
		*list = xreallocarray(*list, (size_t)n + 1, sizeof **list);
		(*list)[n++] = xstrdup(p);
	}
	free(copy);
	return n;
}

void
bo_cmd_free_words(char **list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* ------------------------------------------------------------------ enroll */

static int
enroll_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "server", required_argument, NULL, 's' },
		{ "code", required_argument, NULL, 'c' },
		{ "pin", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replica = NULL, *url = NULL, *code = NULL, *pin = NULL;
	struct sync_report rep;
	struct device *d;
	char *cause = NULL;
	int c;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		if (c == 'r')
			replica = optarg;
		else if (c == 's')
			url = optarg;
		else if (c == 'c')
			code = optarg;
		else if (c == 'p')
			pin = optarg;
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument %s", argv[optind]);
	/* The settings file may name the replica, the server and its pin. */
	replica = bo_cmd_replica(replica);
	if (url == NULL)
		url = config_text(bo_config, "server");
	if (pin == NULL)
		pin = config_text(bo_config, "pin");
	if (replica == NULL || url == NULL || code == NULL)
		return cmdline_usage_error(self, "--replica, --server and --code are required");
	if (device_enroll_pinned(replica, url, code, pin, &d, &cause) != 0) {
		cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
		free(cause);
		return BO_EXIT_ERROR;
	}
	if (device_role(d) != ROLE_BOXOFFICE) {
		cmdline_error(self, BO_EXIT_ERROR,
		    "warning: the server enrolled this device as a %s, not a box "
		    "office", role_name(device_role(d)));
	}
	printf("enrolled %s as \"%s\" (device %" PRIu32 ")\n", replica, device_name(d),
	    device_id(d));
	if (device_sync(d, 0, &rep, &cause) != 0) {
		cmdline_error(self, BO_EXIT_ERROR,
		    "enrolled, but the first sync failed: %s (run sync later)",
		    cause);
		free(cause);
	} else
		printf("%d event%s ready\n", rep.events, rep.events == 1 ? "" : "s");
	device_close(d);
	return BO_EXIT_OK;
}

const struct cmdline_cmd bo_cmd_enroll = {
	"enroll", "--replica FILE --server URL --code CODE [--pin PIN]",
	"Enroll this box office with the sync server and make its replica.",
	"The central office prints the one-time CODE (tessera-sync device add --role boxoffice).\n"
	"The key pair is made here and kept in FILE.key (mode 0600); the replica FILE must not\n"
	"exist. The events are downloaded right away. The settings file's replica, server and\n"
	"pin stand in for --replica, --server and --pin when they are not given.\n"
	"  --pin PIN   https only: the server's TLS key pin that tessera-sync init printed\n"
	"              (sha256//...); without it the key the server shows now is pinned\n",
	enroll_exec,
	&bo_prog,
};

/* ------------------------------------------------------------------ sync */

static int
sync_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replica = NULL;
	struct sync_report rep;
	struct device *d;
	char *cause = NULL;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		if (c == 'r')
			replica = optarg;
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument %s", argv[optind]);
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK)
		return rc;
	if (device_sync(d, 0, &rep, &cause) != 0) {
		rc = cmdline_error(self, BO_EXIT_ERROR, "%s (%d operation%s waiting)", cause,
		    device_waiting(d),
		    device_waiting(d) == 1 ? "" : "s");
		free(cause);
		device_close(d);
		return rc;
	}
	printf("pushed %d, pulled %d, new events %d, conflicts %d, waiting %d\n", rep.pushed,
	    rep.pulled, rep.events, rep.conflicts, rep.waiting);
	if (rep.released > 0)
		printf("released %d seat%s of unprinted online sales (the server had sold them)\n",
		    rep.released, rep.released == 1 ? "" : "s");
	device_close(d);
	return BO_EXIT_OK;
}

const struct cmdline_cmd bo_cmd_sync = {
	"sync", "--replica FILE",
	"Send what was sold offline and fetch every change since the last sync.",
	"Pushes the outbox, downloads new events, then pulls every seat change. Seats of an\n"
	"online sale refused here after the server did not answer, which the server had sold\n"
	"after all, are then released (voided and pushed): \"released N seats ...\".\n",
	sync_exec,
	&bo_prog,
};

/* ------------------------------------------------------------------ events */

static int
events_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replica = NULL;
	struct device *d;
	sqlite3_stmt *s;
	char when[TIMEFMT_ISO_MAX];
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		if (c == 'r')
			replica = optarg;
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument %s", argv[optind]);
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK)
		return rc;
	s = db_prepare(replica_db(device_replica(d)), "SELECT events.id, events.name, "
	    "starts_at, venues.name, (SELECT count(*) FROM seat_state WHERE event_id = events.id "
	    "AND state IN ('sold', 'admitted', 'exited')) FROM events JOIN venues ON venues.id = "
	    "events.venue_id ORDER BY starts_at, events.id");
	while (sqlite3_step(s) == SQLITE_ROW) {
		timefmt_local(sqlite3_column_int64(s, 2), NULL, when, sizeof when);
		printf("%lld\t%s\t%s\t%s\t%d sold\t%d leased here\n",
		    (long long)sqlite3_column_int64(s, 0), sqlite3_column_text(s, 1), when,
		    sqlite3_column_text(s, 3), sqlite3_column_int(s, 4),
		    sale_leased_left(d, (uint32_t)sqlite3_column_int64(s, 0)));
	}
	sqlite3_finalize(s);
	device_close(d);
	return BO_EXIT_OK;
}

const struct cmdline_cmd bo_cmd_events = {
	"events", "--replica FILE",
	"List the events this box office knows: id, name, start, venue, seats sold, leased here.",
	"",
	events_exec,
	&bo_prog,
};
