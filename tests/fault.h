/*
 * fault.h: what the fault tests (tests/test_fault_*.c) share: a world of a store, the real
 * server in this process on 127.0.0.1, a venue, an event open now, and enrolled devices; and
 * small checks (integrity, counts). Header-only (static inline) since every test is one file.
 *
 * TESSERA_TORTURE=1 in the environment asks for the long versions (make torture); figures go
 * to standard output as lines starting "figure:", which make torture prints.
 */
#ifndef TESSERA_TEST_FAULT_H
#define TESSERA_TEST_FAULT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "device.h"
#include "server.h"
#include "store.h"
#include "venue.h"
#include "xmalloc.h"

#define FAULT_MAXDEV 8

struct world {
	char            dir[64];
	char            dbpath[256];
	char            url[64];
	uint16_t        port;
	struct store   *st;
	struct server  *srv;
	int             ndev;
	struct device  *dev[FAULT_MAXDEV];
	char            path[FAULT_MAXDEV][256];
	uint32_t        event_id;
	uint32_t       *seats;          /* every seat of the venue, by label order */
	size_t          nseats;
};

static inline int
fault_torture(void)
{
	const char *t = getenv("TESSERA_TORTURE");

	return t != NULL && *t != '\0' && strcmp(t, "0") != 0;
}

static inline double
fault_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A figure for the log (and make torture): "figure: TEST: text". */
static inline void
fault_figure(const char *test, const char *fmt, ...)
{
	va_list ap;

	printf("figure: %s: ", test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void
fault_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fault: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* The one integer a query returns (-1 when it returns no row); binds ints from the list. */
static inline int64_t
fault_int(sqlite3 *db, const char *sql, int nargs, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int64_t v = -1;
	int i;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fault_die("prepare %s: %s", sql, sqlite3_errmsg(db));
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
	va_end(ap);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* PRAGMA integrity_check says "ok". */
static inline int
fault_integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *s;
	int ok;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		return 0;
	ok = sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	return ok;
}

/* The same for a file, on a connection of its own. */
static inline int
fault_file_ok(const char *path)
{
	sqlite3 *db;
	int ok;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	sqlite3_busy_timeout(db, 5000);
	ok = fault_integrity_ok(db);
	sqlite3_close(db);
	return ok;
}

static inline void
world_server_up(struct world *w)
{
	struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };
	char *cause = NULL;

	cfg.port = w->port;
	if (w->st == NULL && store_open(w->dbpath, &w->st, &cause) != 0)
		fault_die("store_open: %s", cause);
	if (server_start(w->st, &cfg, &w->srv, &cause) != 0)
		fault_die("server_start: %s", cause);
	w->port = server_port(w->srv);
	snprintf(w->url, sizeof w->url, "http://127.0.0.1:%u", w->port);
}

/* Stop the server and close the store (so that its file can be replaced). */
static inline void
world_server_down(struct world *w)
{
	server_stop(w->srv);
	w->srv = NULL;
	store_close(w->st);
	w->st = NULL;
}

/*
 * A world: a venue of rows x per_row seats in sections A and B (labels A-r-n, B-r-n), one
 * event whose doors opened a minute ago (tier 1500, every section), the server up, and
 * devices enrolled with roles[i] (device_open()ed in w->dev[i]).
 */
static inline void
world_setup(struct world *w, const char *name, int rows, int per_row, const int *roles,
    int ndev)
{
	struct store_event ev;
	struct store_tier t;
	struct keypair *root;
	struct venue *v;
	sqlite3_stmt *s;
	char *cause = NULL, *code, *text, tname[] = "General", tmp[256];
	size_t len = 0, cap = 256;
	uint32_t vid, id;
	int i, r;

	memset(w, 0, sizeof *w);
	snprintf(w->dir, sizeof w->dir, "/tmp/tessera-%s-XXXXXX", name);
	if (mkdtemp(w->dir) == NULL)
		fault_die("mkdtemp");
	snprintf(w->dbpath, sizeof w->dbpath, "%s/central.db", w->dir);
	if (store_create(w->dbpath, &root, &cause) != 0 ||
	    store_open(w->dbpath, &w->st, &cause) != 0)
		fault_die("store: %s", cause);
	keypair_free(root);
	text = xmalloc(cap);
	len = (size_t)snprintf(text, cap, "venue,Fault Hall\n");
	for (i = 0; i < 2; i++) {
		for (r = 1; r <= rows; r++) {
			if (len + 64 > cap) {
				cap *= 2;
				text = xreallocarray(text, cap, 1);
			}
			len += (size_t)snprintf(text + len, cap - len, "row,%c,%d,1-%d\n", 'A' + i, r,
			    per_row);
		}
	}
	if (venue_parse(text, len, "fault", &v, &cause) != 0)
		fault_die("venue: %s", cause);
	free(text);
	if (store_venue_import(w->st, v, &vid, &cause) != 0)
		fault_die("venue import: %s", cause);
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	t.name = tname;
	t.price = 1500;
	t.sections = NULL;
	ev.venue_id = vid;
	ev.name = "Fault night";
	ev.starts_at = time(NULL) + 3 * 3600;
	ev.doors_at = time(NULL) - 60;
	ev.currency = "EUR";
	ev.tiers = &t;
	ev.ntiers = 1;
	if (store_event_create(w->st, &ev, &w->event_id, &cause) != 0)
		fault_die("event: %s", cause);
	w->nseats = (size_t)(2 * rows * per_row);
	w->seats = xcalloc(w->nseats, sizeof *w->seats);
	if (sqlite3_prepare_v2(store_db(w->st), "SELECT id FROM seats WHERE venue_id = ? ORDER "
	    "BY id", -1, &s, NULL) != SQLITE_OK)
		fault_die("seats");
	sqlite3_bind_int64(s, 1, vid);
	for (i = 0; i < (int)w->nseats && sqlite3_step(s) == SQLITE_ROW; i++)
		w->seats[i] = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	world_server_up(w);
	w->ndev = ndev;
	for (i = 0; i < ndev; i++) {
		if (store_device_add(w->st, roles[i], roles[i] == ROLE_GATE ? "Gate" : "Box office",
		    NULL, &id, &code, &cause) != 0)
			fault_die("device add: %s", cause);
		snprintf(tmp, sizeof tmp, "%s/dev%d.db", w->dir, i);
		memcpy(w->path[i], tmp, sizeof w->path[i]);
		if (device_enroll(w->path[i], w->url, code, &w->dev[i], &cause) != 0)
			fault_die("enroll: %s", cause);
		free(code);
	}
	/* Every device knows every device and the event. */
	for (i = 0; i < ndev; i++) {
		struct sync_report rep;

		if (device_sync(w->dev[i], 0, &rep, &cause) != 0)
			fault_die("first sync: %s", cause);
	}
}

static inline void
world_teardown(struct world *w)
{
	char cmd[300];
	int i;

	for (i = 0; i < w->ndev; i++)
		device_close(w->dev[i]);
	if (w->srv != NULL)
		server_stop(w->srv);
	store_close(w->st);
	free(w->seats);
	if (getenv("FAULT_KEEP") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", w->dir);
	}
}

/* A full sync of device i that must work. */
static inline void
world_sync(struct world *w, int i, struct sync_report *r)
{
	struct sync_report tmp;
	char *cause = NULL;

	if (device_sync(w->dev[i], 0, r != NULL ? r : &tmp, &cause) != 0)
		fault_die("sync of device %d: %s", i, cause);
}

#endif
