/*
 * fig-bootstrap.c: a new gate takes a 20,000-seat event: device_bootstrap() (GET
 * /v1/bootstrap page by page, the seats, tiers, devices and states written into its replica in
 * one transaction). Seconds, through the server directly; bytes on the wire (HTTP both ways,
 * headers included), through a counting proxy. Against: reading the same rows out of the
 * store's SQLite file (the seat map, and the seat records when there are some), and their
 * bytes as SQLite returns them (text bytes, 8 a number).
 *
 * Twice: before any sale, and sold out (a gate replaced during the event gets a record for
 * every seat).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "device.h"
#include "xmalloc.h"

/* Read the rows a bootstrap sends; seconds, and *bytes. */
static double
read_rows(struct world *w, int states, double *bytes)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	double t0, t, b = 0;
	int i, n;

	if (sqlite3_open_v2(w->dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	t0 = bench_now();
	if (sqlite3_prepare_v2(db, "SELECT id, section, row, number, ga FROM seats WHERE "
	    "venue_id = ? ORDER BY id", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, w->venue);
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (i = 0; i < 5; i++)
			b += sqlite3_column_type(s, i) == SQLITE_TEXT ? sqlite3_column_bytes(s, i) : 8;
	}
	sqlite3_finalize(s);
	if (states) {
		if (sqlite3_prepare_v2(db, "SELECT * FROM seat_state WHERE event_id = ?", -1, &s,
		    NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, w->event);
		n = sqlite3_column_count(s);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (i = 0; i < n; i++) {
				int ty = sqlite3_column_type(s, i);

				b += ty == SQLITE_TEXT || ty == SQLITE_BLOB ?
				    sqlite3_column_bytes(s, i) : 8;
			}
		}
		sqlite3_finalize(s);
	}
	t = bench_now() - t0;
	sqlite3_close(db);
	*bytes = b;
	return t;
fail:
	sqlite3_close(db);
	return -1;
}

/*
 * Bootstrap a new gate enrolled at url (NULL: the server itself); seconds, or -1. With px, the
 * bytes through it during the bootstrap alone (not the enrollment) go to *bytes.
 */
static double
bootstrap(struct world *w, const char *url, const char *name, struct proxy *px,
    double *bytes)
{
	struct device *d;
	char *cause = NULL;
	double t0, t;
	uint64_t b0 = 0;

	if ((d = world_device(w, ROLE_GATE, name, url, NULL, 0)) == NULL)
		return -1;
	if (px != NULL)
		b0 = proxy_bytes(px);
	t0 = bench_now();
	if (device_bootstrap(d, w->event, &cause) != 0) {
		fprintf(stderr, "bench: bootstrap: %s\n", cause);
		free(cause);
		device_close(d);
		return -1;
	}
	t = bench_now() - t0;
	if (px != NULL)
		*bytes = (double)(proxy_bytes(px) - b0);
	device_close(d);
	return t;
}

static int
bootstrap_run(void)
{
	long nseats = bench_env("BENCH_BOOT_SEATS", 20000, 2000);
	struct world *w;
	struct proxy *px = NULL;
	struct ident bo;
	char url[64], fig[80], name[32];
	double t, tl, bl, bytes = 0;
	int sold, rc = -1;

	if ((w = world_new("bootstrap", (size_t)nseats)) == NULL)
		return -1;
	if (ident_new(w, ROLE_BOXOFFICE, "Box office", &bo) != 0)
		goto out_w;
	if ((px = proxy_start((uint16_t)atoi(strrchr(w->url, ':') + 1))) == NULL)
		goto out;
	snprintf(url, sizeof url, "http://127.0.0.1:%u", proxy_port(px));
	for (sold = 0; sold <= 1; sold++) {
		if (sold && world_sell_out(w, bo.id) != 0)
			goto out;
		snprintf(name, sizeof name, "Gate %d", 2 * sold + 1);
		if ((t = bootstrap(w, NULL, name, NULL, NULL)) < 0)
			goto out;
		snprintf(name, sizeof name, "Gate %d", 2 * sold + 2);
		if (bootstrap(w, url, name, px, &bytes) < 0)
			goto out;
		if ((tl = read_rows(w, sold, &bl)) < 0)
			goto out;
		snprintf(fig, sizeof fig, "6 bootstrap %ldk seats%s, time", nseats / 1000,
		    sold ? ", sold out" : "");
		bench_row(fig, "s", t, tl, "< 1 s", t < 1);
		snprintf(fig, sizeof fig, "6 bootstrap %ldk seats%s, bytes", nseats / 1000,
		    sold ? ", sold out" : "");
		bench_row(fig, "MB", bytes / 1e6, bl / 1e6, "< 1 MB", bytes < 1e6);
	}
	bench_note("bootstrap: the limit reads the seat map (and, sold out, the seat records) "
	    "from the store with one SELECT each; its bytes are the column values");
	rc = 0;
out:
	proxy_stop(px);
	ident_free(&bo);
out_w:
	world_free(w);
	return rc;
}

const struct bench_fig fig_bootstrap = {
	"bootstrap", "6: bootstrap of a 20,000-seat event to a new gate, seconds and bytes",
	bootstrap_run
};
