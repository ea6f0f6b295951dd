/*
 * fig-gate.c: the gate alone, offline.
 *
 *   gate  decisions per second, each durable: gate_check() offline (decode, verify, policy,
 *         record the admission and the scan in one synchronous=FULL transaction), against one
 *         Ed25519 verify plus one durable SQLite insert per ticket.
 *   scan  latency from a 640x480 camera frame to a verdict (qr_reader_decode + gate_check),
 *         against zbar alone decoding the same frame.
 *
 * Tessera and its limit run interleaved, chunk by chunk (frame by frame for scan), so that a
 * noisy machine slows both alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zbar.h>

#include "bench.h"
#include "db.h"
#include "device.h"
#include "gate.h"
#include "qr.h"
#include "ticket.h"
#include "xmalloc.h"

#define CHUNK 50

/*
 * A world of nseats, a box office identity, the venue's other devices (BENCH_GATE_DEVICES, 50:
 * gates and a few kiosks) and a gate replica that has bootstrapped.
 */
static int
gate_world(const char *tag, size_t nseats, struct world **wp, struct ident *bo,
    struct device **gp)
{
	struct sync_report rep;
	struct world *w;
	struct device *g;
	char *cause = NULL, name[32];
	long i, others = bench_env("BENCH_GATE_DEVICES", 50, 5);

	if ((w = world_new(tag, nseats)) == NULL)
		return -1;
	if (ident_new(w, ROLE_BOXOFFICE, "Box office", bo) != 0)
		goto fail;
	/* The venue's other devices: their certificates are in every gate's keyring. */
	for (i = 0; i < others; i++) {
		struct ident o;

		snprintf(name, sizeof name, "%s %ld", i % 10 == 0 ? "Kiosk" : "Gate", i + 2);
		if (ident_new(w, i % 10 == 0 ? ROLE_BOXOFFICE : ROLE_GATE, name, &o) != 0)
			goto fail_bo;
		ident_free(&o);
	}
	if ((g = world_device(w, ROLE_GATE, "North Gate", NULL, NULL, 0)) == NULL)
		goto fail_bo;
	if (device_sync(g, 0, &rep, &cause) != 0) {
		fprintf(stderr, "bench: gate sync: %s\n", cause);
		free(cause);
		device_close(g);
		goto fail_bo;
	}
	*wp = w;
	*gp = g;
	return 0;
fail_bo:
	ident_free(bo);
fail:
	world_free(w);
	return -1;
}

static const struct db_migration limit_schema[] = {
	{ 1, "CREATE TABLE scans(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, raw TEXT NOT NULL,"
	    " event_id INTEGER NOT NULL, seat_id INTEGER NOT NULL)" },
};

static int
gate_run(void)
{
	long n = bench_env("BENCH_GATE_N", 2000, 60);
	struct world *w;
	struct ident bo;
	struct device *g;
	struct gate_verdict v;
	struct ticket *t;
	uint8_t (*sig)[KEYS_SIGBYTES], payload[TICKET_PAYLOAD_BYTES];
	char **text, *cause = NULL, path[160];
	sqlite3 *db;
	sqlite3_stmt *ins;
	double t0, tess = 0, lim = 0;
	long i, j, admitted = 0, verified = 0;
	int rc = -1;

	if (gate_world("gate", 20000, &w, &bo, &g) != 0)
		return -1;
	if ((size_t)n > w->nseats)
		n = (long)w->nseats;
	text = xcalloc((size_t)n, sizeof *text);
	t = xcalloc((size_t)n, sizeof *t);
	sig = xcalloc((size_t)n, sizeof *sig);
	for (i = 0; i < n; i++) {
		text[i] = world_ticket(w, &bo, w->first_seat + (uint32_t)i, (uint32_t)i + 1);
		if (ticket_parse(text[i], &t[i], sig[i]) != TICKET_OK)
			abort();
	}
	snprintf(path, sizeof path, "%s/limit.db", w->dir);
	if (db_open(path, 1, limit_schema, 1, &db, &cause) != 0) {
		fprintf(stderr, "bench: %s\n", cause);
		free(cause);
		goto out;
	}
	ins = db_prepare(db, "INSERT INTO scans(at, raw, event_id, seat_id) VALUES(?, ?, ?, ?)");

	for (i = 0; i < n; i += CHUNK) {
		/* The limit: verify the signature, insert a row, commit (synchronous=FULL). */
		t0 = bench_now();
		for (j = i; j < n && j < i + CHUNK; j++) {
			ticket_payload(&t[j], payload);
			if (keys_verify(bo.kp->pk, TICKET_DOMAIN, payload, sizeof payload,
			    sig[j]) == 0)
				verified++;
			if (db_begin(db, &cause) != 0)
				goto fail_db;
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, (int64_t)t[j].issued_at);
			sqlite3_bind_text(ins, 2, text[j], -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 3, t[j].event_id);
			sqlite3_bind_int64(ins, 4, t[j].seat_id);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				cause = db_error(db, "insert");
				goto fail_db;
			}
			if (db_commit(db, &cause) != 0)
				goto fail_db;
		}
		lim += bench_now() - t0;

		/* Tessera: the gate's whole decision, recorded. */
		t0 = bench_now();
		for (j = i; j < n && j < i + CHUNK; j++) {
			if (gate_check(g, text[j], GATE_ENTRY, 1, &v, &cause) != 0)
				goto fail_db;
			admitted += v.admit;
		}
		tess += bench_now() - t0;
	}
	if (admitted != n || verified != n) {
		fprintf(stderr, "bench: gate: %ld of %ld admitted, %ld verified (%s)\n", admitted,
		    n, verified, v.text);
		goto fail_stmt;
	}
	bench_row("1 gate decisions/s, offline, durable", "/s", (double)n / tess,
	    (double)n / lim, "ratio >= 0.7", (double)n / tess >= 0.7 * (double)n / lim);
	bench_note("gate: %ld tickets on a 20,000-seat replica knowing %ld other devices: gate_check "
	    "%.0f us each, verify + insert %.0f us each", n, bench_env("BENCH_GATE_DEVICES", 50, 5),
	    tess / (double)n * 1e6, lim / (double)n * 1e6);
	rc = 0;
	goto fail_stmt;
fail_db:
	fprintf(stderr, "bench: gate: %s\n", cause);
	free(cause);
fail_stmt:
	sqlite3_finalize(ins);
	db_close(db);
out:
	for (i = 0; i < n; i++)
		free(text[i]);
	free(text);
	free(t);
	free(sig);
	device_close(g);
	ident_free(&bo);
	world_free(w);
	return rc;
}

const struct bench_fig fig_gate = {
	"gate", "1: gate decisions per second, offline, each durable", gate_run
};

/* ------------------------------------------------------------------ scan */

#define FRAME_W 640
#define FRAME_H 480

static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 24;
}

/*
 * A camera frame: a textured grey background and the ticket's QR (6 pixels a module, a 4-module
 * quiet zone) at a place that moves from frame to frame, dark and light not quite black and
 * white, with sensor noise.
 */
static uint8_t *
frame_make(const char *text, int k)
{
	struct qr *q;
	uint8_t *f = xmalloc(FRAME_W * FRAME_H), *g;
	uint32_t seed = 12345u + (uint32_t)k;
	char *cause = NULL;
	int side, x, y, x0, y0, px;

	if (qr_encode(text, &q, &cause) != 0 || (g = qr_render_gray(q, 6, 4, &side)) == NULL) {
		fprintf(stderr, "bench: scan: %s\n", cause);
		abort();
	}
	qr_free(q);
	for (y = 0; y < FRAME_H; y++) {
		for (x = 0; x < FRAME_W; x++)
			f[y * FRAME_W + x] = (uint8_t)(120 + (x * 3 + y * 5) % 60 + lcg(&seed) % 24);
	}
	x0 = 40 + (k * 37) % (FRAME_W - side - 80);
	y0 = 30 + (k * 23) % (FRAME_H - side - 60);
	for (y = 0; y < side; y++) {
		for (x = 0; x < side; x++) {
			px = g[y * side + x] != 0 ? 205 : 45;
			f[(y0 + y) * FRAME_W + x0 + x] = (uint8_t)(px + (int)(lcg(&seed) % 20) - 10);
		}
	}
	free(g);
	return f;
}

/* zbar alone, configured as qr_reader_new() configures it: the text's length, or -1. */
static int
zbar_alone(zbar_image_scanner_t *sc, const uint8_t *frame)
{
	zbar_image_t *img = zbar_image_create();
	const zbar_symbol_t *sym;
	int len = -1;

	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, FRAME_W, FRAME_H);
	zbar_image_set_data(img, frame, FRAME_W * FRAME_H, NULL);
	if (zbar_scan_image(sc, img) > 0) {
		for (sym = zbar_image_first_symbol(img); sym != NULL; sym = zbar_symbol_next(sym)) {
			if (zbar_symbol_get_type(sym) == ZBAR_QRCODE) {
				len = (int)zbar_symbol_get_data_length(sym);
				break;
			}
		}
	}
	zbar_image_destroy(img);
	return len;
}

static int
scan_run(void)
{
	long n = bench_env("BENCH_SCAN_N", 300, 10);
	struct world *w;
	struct ident bo;
	struct device *g;
	struct qr_reader *r;
	struct gate_verdict v;
	zbar_image_scanner_t *sc;
	double *tess, *lim, t0, tp50, tp99, lp50, lp99;
	char *ticket, *text, *cause = NULL;
	uint8_t *frame;
	long i, ok = 0;
	int k, rc = -1, zlen;

	if (gate_world("scan", 20000, &w, &bo, &g) != 0)
		return -1;
	r = qr_reader_new();
	sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	tess = xcalloc((size_t)n, sizeof *tess);
	lim = xcalloc((size_t)n, sizeof *lim);
	for (i = 0; i < n; i++) {
		ticket = world_ticket(w, &bo, w->first_seat + (uint32_t)i, (uint32_t)i + 1);
		frame = frame_make(ticket, (int)i);
		for (k = 0; k < 2; k++) {
			if ((k == 0) == (i % 2 == 0)) {
				t0 = bench_now();
				zlen = zbar_alone(sc, frame);
				lim[i] = bench_now() - t0;
				if (zlen != (int)strlen(ticket))
					fprintf(stderr, "bench: scan: zbar missed frame %ld\n", i);
				continue;
			}
			t0 = bench_now();
			if (qr_reader_decode(r, frame, FRAME_W, FRAME_H, &text, &cause) != 0) {
				fprintf(stderr, "bench: scan: frame %ld: %s\n", i, cause);
				free(cause);
				cause = NULL;
				continue;
			}
			if (gate_check(g, text, GATE_ENTRY, 1, &v, &cause) != 0) {
				fprintf(stderr, "bench: scan: %s\n", cause);
				free(cause);
				free(text);
				free(frame);
				free(ticket);
				goto out;
			}
			tess[i] = bench_now() - t0;
			ok += v.admit && strcmp(text, ticket) == 0;
			free(text);
		}
		free(frame);
		free(ticket);
	}
	if (ok != n) {
		fprintf(stderr, "bench: scan: %ld of %ld frames decoded and admitted\n", ok, n);
		goto out;
	}
	tp50 = bench_quantile(tess, (size_t)n, 0.50) * 1e3;
	tp99 = bench_quantile(tess, (size_t)n, 0.99) * 1e3;
	lp50 = bench_quantile(lim, (size_t)n, 0.50) * 1e3;
	lp99 = bench_quantile(lim, (size_t)n, 0.99) * 1e3;
	bench_row("2 scan 640x480 frame to verdict, p50", "ms", tp50, lp50, "ratio <= 1.3",
	    tp50 <= 1.3 * lp50);
	bench_row("2 scan 640x480 frame to verdict, p99", "ms", tp99, lp99, "ratio <= 1.3",
	    tp99 <= 1.3 * lp99);
	bench_note("scan: %ld frames (QR version 6 at 6 px a module, moving, noisy); the verdict "
	    "is gate_check offline, recorded durably", n);
	rc = 0;
out:
	free(tess);
	free(lim);
	zbar_image_scanner_destroy(sc);
	qr_reader_free(r);
	device_close(g);
	ident_free(&bo);
	world_free(w);
	return rc;
}

const struct bench_fig fig_scan = {
	"scan", "2: scan latency, 640x480 frame to verdict, against zbar alone", scan_run
};
