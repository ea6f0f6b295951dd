/*
 * screen.c: the gate screen's loop: keys and ticks into scan-state.c, queued scans through
 * gate_check, the background syncer's status and the replica's counters and alerts back in,
 * and scan-ui.c to draw.
 *
 * The loop never waits on the network for longer than the online timeout of one scan: the
 * syncer pushes and pulls in its own threads. Input is read whole between two scans, so a
 * scanner's burst is never split or mixed, however long the queue.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "camera.h"
#include "db.h"
#include "device.h"
#include "gate.h"
#include "keys.h"
#include "scan-state.h"
#include "scan-ui.h"
#include "scanner.h"
#include "timefmt.h"
#include "xmalloc.h"

#define READ_MAX        8192    /* keys read in one go */
#define IDLE_WAIT_MS    200     /* how long to wait for a key when nothing is queued */
#define REFRESH_MS      1000    /* counters, sync status and alerts */

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct screen {
	struct device      *d;
	struct syncer      *sy;
	struct scan_state  *s;
	struct scan_ui     *ui;
	struct camera      *cam;
	struct gate_config  cfg;
	uint32_t            event;
	int                 offline;
	int64_t             last_alert;     /* the last conflict id alerted */
	int                 camera_told;    /* the camera's failure was shown */
	int                 flags;
};

static void
feed(struct screen *sc, struct scan_event *ev)
{
	ev->now_ms = now_ms();
	sc->flags |= scan_state_handle(sc->s, ev);
}

/* Which event the gate admits to, and its name on the status bar. */
static void
refresh_event(struct screen *sc)
{
	struct replica *r = device_replica(sc->d);
	sqlite3_stmt *st;
	const char *shown;
	char *name = NULL;
	uint32_t id;

	if (sc->cfg.event != 0) {
		id = sc->cfg.event;
		st = db_prepare(replica_db(r), "SELECT name FROM events WHERE id = ?1");
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			name = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	} else
		id = gate_current_event(r, &sc->cfg.window, device_now(sc->d), &name);
	shown = name != NULL ? name : id != 0 ? "unknown event" : "no event yet: waiting for sync";
	if (id != sc->event || strncmp(shown, sc->s->event, sizeof sc->s->event - 1) != 0) {
		sc->event = id;
		snprintf(sc->s->event, sizeof sc->s->event, "%s", shown);
		sc->flags |= SCAN_REDRAW_STATUS;
	}
	free(name);
}

/* Conflicts that sync found and nobody has seen yet, once each, as alerts. */
static void
refresh_alerts(struct screen *sc)
{
	sqlite3_stmt *st;
	struct scan_event ev;
	char text[GATE_TEXT_MAX], a[16], b[16];
	const char *kind, *label, *wname, *lname;

	st = db_prepare(replica_db(device_replica(sc->d)), "SELECT c.id, c.kind, "
	    "coalesce(s.label, 'seat ' || c.seat_id), c.winner_at, c.loser_at, "
	    "coalesce(w.name, 'device ' || c.winner_device), "
	    "coalesce(l.name, 'device ' || c.loser_device) FROM conflicts c "
	    "LEFT JOIN seats s ON s.id = c.seat_id LEFT JOIN devices w ON w.id = c.winner_device "
	    "LEFT JOIN devices l ON l.id = c.loser_device WHERE c.seen = 0 AND c.id > ?1 "
	    "ORDER BY c.id");
	sqlite3_bind_int64(st, 1, sc->last_alert);
	while (sqlite3_step(st) == SQLITE_ROW) {
		sc->last_alert = sqlite3_column_int64(st, 0);
		kind = (const char *)sqlite3_column_text(st, 1);
		label = (const char *)sqlite3_column_text(st, 2);
		timefmt_local(sqlite3_column_int64(st, 3), "%H:%M", a, sizeof a);
		timefmt_local(sqlite3_column_int64(st, 4), "%H:%M", b, sizeof b);
		wname = (const char *)sqlite3_column_text(st, 5);
		lname = (const char *)sqlite3_column_text(st, 6);
		if (strcmp(kind, "duplicate-admission") == 0)
			snprintf(text, sizeof text, "DUPLICATE ENTRY %s: %s %s and %s %s", label,
			    wname, a, lname, b);
		else if (strcmp(kind, "double-sale") == 0)
			snprintf(text, sizeof text, "DOUBLE SALE %s: sold by %s and %s; the "
			    "second ticket is void", label, wname, lname);
		else
			snprintf(text, sizeof text, "ENTRY ON A REFUNDED TICKET %s (at %s %s)",
			    label, wname, a);
		memset(&ev, 0, sizeof ev);
		ev.kind = SCAN_EV_ALERT;
		ev.text = text;
		feed(sc, &ev);
	}
	sqlite3_finalize(st);
}

static void
ack_alerts(struct screen *sc)
{
	sqlite3_stmt *st;

	st = db_prepare(replica_db(device_replica(sc->d)), "UPDATE conflicts SET seen = 1 "
	    "WHERE seen = 0 AND id <= ?1");
	sqlite3_bind_int64(st, 1, sc->last_alert);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
}

static void
refresh(struct screen *sc)
{
	struct scan_event ev;
	struct sync_status ss;
	struct gate_counts c;
	char *cause = NULL;

	refresh_event(sc);
	memset(&ev, 0, sizeof ev);
	if (sc->sy != NULL) {
		syncer_status(sc->sy, &ss);
		ev.kind = SCAN_EV_SYNC;
		ev.sync = &ss;
		feed(sc, &ev);
	}
	if (sc->event != 0 && gate_counts(device_replica(sc->d), sc->event, device_id(sc->d), &c,
	    &cause) == 0) {
		ev.kind = SCAN_EV_COUNTS;
		ev.counts = &c;
		feed(sc, &ev);
	}
	free(cause);
	refresh_alerts(sc);
	if (sc->cam != NULL && !sc->camera_told && *camera_error(sc->cam) != '\0') {
		char msg[GATE_TEXT_MAX];

		snprintf(msg, sizeof msg, "%s: use the USB scanner", camera_error(sc->cam));
		memset(&ev, 0, sizeof ev);
		ev.kind = SCAN_EV_ERROR;
		ev.text = msg;
		feed(sc, &ev);
		sc->camera_told = 1;
	}
}

/* Decide on one queued scan and show it. */
static void
check_one(struct screen *sc, const struct scan_request *r)
{
	struct scan_event ev;
	struct gate_verdict v;
	char *cause = NULL, msg[GATE_TEXT_MAX];

	memset(&ev, 0, sizeof ev);
	if (gate_check_config(sc->d, &sc->cfg, r->text, r->manual, r->mode, sc->offline, &v,
	    &cause) != 0) {
		snprintf(msg, sizeof msg, "Scan not recorded (%s): scan it again.", cause);
		free(cause);
		ev.kind = SCAN_EV_ERROR;
		ev.text = msg;
		feed(sc, &ev);
		return;
	}
	ev.kind = SCAN_EV_VERDICT;
	ev.verdict = &v;
	feed(sc, &ev);
	if (v.admit && v.route == GATE_ROUTE_OFFLINE && sc->sy != NULL)
		syncer_kick(sc->sy);    /* upload it as soon as the server is back */
}

static int
run(struct screen *sc)
{
	struct scan_request req;
	struct scan_event ev;
	int *keys = xcalloc(READ_MAX, sizeof *keys);
	int n, i, w, h;
	int64_t last_refresh = 0;
	char *text;

	scan_ui_size(sc->ui, &w, &h);
	memset(&ev, 0, sizeof ev);
	ev.kind = SCAN_EV_RESIZE;
	ev.width = w;
	ev.height = h;
	feed(sc, &ev);
	refresh(sc);
	scan_ui_draw(sc->ui, sc->s);

	while (!stop_signal) {
		sc->flags = 0;
		n = scan_ui_read(sc->ui, keys, READ_MAX, sc->s->qcount > 0 ? 0 : IDLE_WAIT_MS);
		for (i = 0; i < n; i++) {
			memset(&ev, 0, sizeof ev);
			if (keys[i] == SCAN_UI_RESIZE) {
				scan_ui_size(sc->ui, &w, &h);
				ev.kind = SCAN_EV_RESIZE;
				ev.width = w;
				ev.height = h;
			} else {
				ev.kind = SCAN_EV_KEY;
				ev.key = keys[i];
				ev.more = i + 1 < n;
			}
			feed(sc, &ev);
		}
		while (sc->cam != NULL && (text = camera_poll(sc->cam)) != NULL) {
			/* A code the camera read: a scan like any other, ending in Enter. */
			for (i = 0; text[i] != '\0'; i++) {
				memset(&ev, 0, sizeof ev);
				ev.kind = SCAN_EV_KEY;
				ev.key = (unsigned char)text[i];
				ev.more = 1;
				feed(sc, &ev);
			}
			memset(&ev, 0, sizeof ev);
			ev.kind = SCAN_EV_KEY;
			ev.key = SCAN_KEY_ENTER;
			feed(sc, &ev);
			free(text);
		}
		if (sc->flags & SCAN_WANT_QUIT)
			break;
		if ((sc->flags & SCAN_WANT_SYNC) && sc->sy != NULL)
			syncer_kick(sc->sy);
		if (sc->flags & SCAN_WANT_ACK)
			ack_alerts(sc);
		/* One scan at a time, reading the keys again in between. */
		if (scan_state_pop(sc->s, &req))
			check_one(sc, &req);
		memset(&ev, 0, sizeof ev);
		ev.kind = SCAN_EV_TICK;
		feed(sc, &ev);
		if (now_ms() - last_refresh >= REFRESH_MS || (sc->flags & SCAN_REDRAW_LIST)) {
			refresh(sc);
			last_refresh = now_ms();
		}
		if ((sc->flags & SCAN_WANT_BELL) && sc->s->bell)
			scan_ui_bell(sc->ui);
		if (sc->flags & SCAN_REDRAW_ALL)
			scan_ui_draw(sc->ui, sc->s);
	}
	free(keys);
	return SCANNER_EXIT_OK;
}

/* Milliseconds from 1 to 60000, or -1. */
static long
parse_ms(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s >= '0' && *s <= '9' && *end == '\0' && v >= 1 && v <= 60000 ? v : -1;
}

static const struct option screen_options[] = {
	{ "replica", required_argument, NULL, 'r' },
	{ "camera", required_argument, NULL, 'c' },
	{ "no-bell", no_argument, NULL, 'B' },
	{ "bell", no_argument, NULL, 'b' },
	{ "colours", required_argument, NULL, 'C' },
	{ "colors", required_argument, NULL, 'C' },
	{ "offline", no_argument, NULL, 'o' },
	{ "event", required_argument, NULL, 'e' },
	{ "early", required_argument, NULL, 'E' },
	{ "late", required_argument, NULL, 'L' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
screen_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL, *camera = NULL;
	struct screen sc;
	struct sigaction sa;
	char *cause = NULL;
	long timeout = 0;
	int c, bell = -1, colours = -1, rc;

	memset(&sc, 0, sizeof sc);
	gate_config_default(&sc.cfg);
	while ((c = cmdline_getopt(self, argc, argv, screen_options)) != -1) {
		switch (c) {
		case 'r':
			replica = optarg;
			break;
		case 'c':
			camera = optarg;
			break;
		case 'B':
			bell = 0;
			break;
		case 'b':
			bell = 1;
			break;
		case 'C':
			if ((colours = config_colours_parse(optarg)) < 0)
				return cmdline_usage_error(self, "--colours \"%s\": want on, off, "
				    "default, mono or colourblind", optarg);
			break;
		case 'o':
			sc.offline = 1;
			break;
		case 'e':
			if (scanner_parse_id(optarg, &sc.cfg.event) != 0)
				return cmdline_usage_error(self, "--event \"%s\": want an event id",
				    optarg);
			break;
		case 'E':
		case 'L':
			if (scanner_parse_minutes(optarg, c == 'E' ? &sc.cfg.window.early :
			    &sc.cfg.window.late) != 0)
				return cmdline_usage_error(self, "--%s \"%s\": want minutes, 0 to "
				    "10080", c == 'E' ? "early" : "late", optarg);
			break;
		case 't':
			timeout = parse_ms(optarg);
			if (timeout < 1)
				return cmdline_usage_error(self,
				    "--timeout \"%s\": want 1 to 60000 "
				    "milliseconds", optarg);
			break;
		}
	}
	if ((replica = scanner_replica(replica)) == NULL)
		return cmdline_usage_error(self, "--replica FILE is required (or set "
		    "TESSERA_REPLICA, or replica in the settings file)");
	/* What the command line left unsaid, the settings file says. */
	if (camera == NULL)
		camera = config_text(scanner_config, "camera");
	if (timeout == 0)
		timeout = config_number(scanner_config, "timeout", 0);
	if (bell < 0)
		bell = config_bool(scanner_config, "bell", 1);
	if (colours < 0)
		colours = config_colours(scanner_config, "colours", CONFIG_COLOURS_DEFAULT);
	if (optind < argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);

	if (device_open(replica, &sc.d, &cause) != 0) {
		rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s", cause);
		free(cause);
		return rc;
	}
	if (device_role(sc.d) != ROLE_GATE) {
		rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s is the replica of a %s, not of a "
		    "gate: enroll this scanner with a gate's code", replica,
		    role_name(device_role(sc.d)));
		device_close(sc.d);
		return rc;
	}
	if (timeout > 0)
		device_set_online_timeout(sc.d, timeout);
	if (sc.offline)
		device_set_offline(sc.d, 1);
	if (camera != NULL && (sc.cam = camera_open(camera, &cause)) == NULL) {
		rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s", cause);
		free(cause);
		device_close(sc.d);
		return rc;
	}
	if ((sc.sy = syncer_start(replica, &cause)) == NULL) {
		rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s", cause);
		free(cause);
		camera_close(sc.cam);
		device_close(sc.d);
		return rc;
	}
	sc.s = scan_state_new(device_name(sc.d), "", bell);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	sc.ui = scan_ui_start(colours);
	rc = run(&sc);
	scan_ui_end(sc.ui);
	syncer_stop(sc.sy);
	camera_close(sc.cam);
	scan_state_free(sc.s);
	device_close(sc.d);
	return rc;
}

const struct cmdline_cmd scanner_cmd_screen = {
	.name = "screen",
	.usage = "[--replica FILE] [--camera /dev/videoN] [--no-bell | --bell]\n"
	    "    [--colours SCHEME] [--offline] [--event ID] [--early MIN] [--late MIN] [--timeout MS]",
	.summary = "The gate screen: scan tickets, see ADMIT or DENIED at a glance.",
	.help =
	    "A USB barcode scanner set up as a keyboard (each scan ending in Enter) types into\n"
	    "the screen; keys typed alone are commands: x exit mode, m type a seat, s sync now,\n"
	    "a acknowledge an alert, ? help, q quit.\n"
	    "\n"
	    "  --replica FILE     the gate's replica (default $TESSERA_REPLICA)\n"
	    "  --camera DEV       also read QR codes from a V4L2 camera, /dev/video0\n"
	    "  --no-bell          do not ring the bell on a refusal\n"
	    "  --bell             ring it (the default, unless the settings file says off)\n"
	    "  --colours SCHEME   on, off, or a scheme: default (green admits, red refuses),\n"
	    "                     mono, colourblind (blue admits, yellow refuses)\n"
	    "  --offline          never ask the server before admitting (it still syncs)\n"
	    "  --event ID         the event this gate admits to (default: the one open now)\n"
	    "  --early MIN        admit MIN minutes before the doors open (default 0)\n"
	    "  --late MIN         admit until MIN minutes after the start (default 360)\n"
	    "  --timeout MS       how long a scan waits for the server (default 300)\n"
	    "\n"
	    "The settings file (--config FILE, or ~/.config/tessera/scanner.conf) may set\n"
	    "replica, camera, timeout, bell and colours; these options win over it.\n",
	.exec = screen_exec,
	.prog = &scanner_prog,
};
