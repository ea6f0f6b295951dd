/*
 * fig-growth.c: how cost grows with the venue. For each size (10k, 100k, 1M seats by default)
 * a store whose event is sold out (a record for every seat, so the tables are as large as the
 * venue), then rounds of: one gate pushes admissions of seats spread over the whole venue
 * (POST /v1/push, batches of 500), and another gate pulls exactly those changes (GET /v1/pull
 * from the cursor before the push, pages of 2,000). Time per operation, the median of the
 * rounds; the limit of each size is the smallest size's cost, and the goal is that it stays flat.
 *
 * Beside it, SQLite alone: the same seat_state and ops tables in a plain file, sold out alike,
 * and the same writes (a seat record replaced, an operation inserted, 500 a transaction), so
 * that the note can say how much of the growth is the storage's own.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "client.h"
#include "db.h"
#include "store.h"
#include "vv.h"
#include "xmalloc.h"

#define BATCH 500

struct growth {
	size_t seats;
	double push;            /* seconds per operation */
	double pull;
	double write;           /* SQLite alone */
};

/* "10k", "1M", "2500": for the table. Static, so one use at a time per expression. */
static const char *
seats_words(size_t n)
{
	static char buf[4][24];
	static int k;
	char *b = buf[k++ % 4];

	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(b, sizeof buf[0], "%zuM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(b, sizeof buf[0], "%zuk", n / 1000);
	else
		snprintf(b, sizeof buf[0], "%zu", n);
	return b;
}

/* Push k admissions by gate g of the seats offset, offset + stride, ... */
static double
push_round(struct world *w, struct client *c, const struct ident *g, uint32_t bo, long k,
    size_t stride, long offset, uint32_t *seq)
{
	json_t *ops, *body, *reply;
	long i, j, status;
	double t0, t = 0;
	char *cause = NULL;

	for (i = 0; i < k; i += BATCH) {
		ops = json_array();
		for (j = i; j < k && j < i + BATCH; j++) {
			uint32_t seat = w->first_seat +
			    (uint32_t)(((size_t)j * stride + (size_t)offset) % w->nseats);

			json_array_append_new(ops, world_admit_op(w, g->id, ++*seq, bo, seat, seat,
			    1));
		}
		body = json_pack("{s:o,s:b}", "ops", ops, "compact", 1);   /* as device_push() */
		t0 = bench_now();
		if (client_call(c, "POST", "/v1/push", body, &status, &reply, &cause) != 0) {
			fprintf(stderr, "bench: growth: push: %s\n", cause);
			free(cause);
			json_decref(body);
			return -1;
		}
		t += bench_now() - t0;
		json_decref(body);
		json_decref(reply);
		if (status != 200) {
			fprintf(stderr, "bench: growth: push status %ld\n", status);
			return -1;
		}
	}
	return t / (double)k;
}

/* Pull every change after cursor; seconds per seat record, and *n records. */
static double
pull_round(struct world *w, struct client *c, uint64_t cursor, long *n)
{
	json_t *reply;
	char path[128], *cause = NULL;
	long status;
	double t0 = bench_now();
	int more;

	*n = 0;
	do {
		snprintf(path, sizeof path, "/v1/pull?since=%" PRIu64 "&event=%" PRIu32
		    "&limit=2000", cursor, w->event);
		if (client_call(c, "GET", path, NULL, &status, &reply, &cause) != 0) {
			fprintf(stderr, "bench: growth: pull: %s\n", cause);
			free(cause);
			return -1;
		}
		if (status != 200) {
			json_decref(reply);
			return -1;
		}
		*n += (long)json_array_size(json_object_get(reply, "seats"));
		more = json_is_true(json_object_get(reply, "more"));
		cursor = (uint64_t)json_integer_value(json_object_get(reply, "cursor"));
		json_decref(reply);
	} while (more);
	return *n > 0 ? (bench_now() - t0) / (double)*n : -1;
}

/* One size: its store and server, the two gates and their clients. */
struct size {
	size_t          seats;
	struct world   *w;
	struct ident    bo, pusher, puller;
	struct client  *cpush, *cpull;
	size_t          stride;         /* round r takes seats r + 1, r + 1 + stride, ... */
	uint32_t        seq;
	double         *push, *pull;   /* per round */
	sqlite3        *alone;          /* SQLite alone */
	int64_t         alone_seq;
	double         *write;          /* per round, SQLite alone */
};

/* SQLite alone, sold out: a record for every seat, as world_sell_out() makes them. */
static int
alone_open(struct size *z)
{
	sqlite3_stmt *s;
	char *cause = NULL;
	int rc;

	if ((z->alone = world_limit_db(z->w, "alone.db")) == NULL)
		return -1;
	if (db_begin(z->alone, &cause) != 0)
		goto fail;
	s = db_prepare(z->alone, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i + 1 < ?1) INSERT INTO seat_state SELECT ?2, ?3 + i, 'sold', x'0101', 0, 1, "
	    "?3 + i, 0, 1500, 1, 0, 0, 0, 0, 1, 1, i + 1 FROM n");
	sqlite3_bind_int64(s, 1, (int64_t)z->seats);
	sqlite3_bind_int64(s, 2, z->w->event);
	sqlite3_bind_int64(s, 3, z->w->first_seat);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		cause = db_error(z->alone, "filling");
		db_rollback(z->alone);
		goto fail;
	}
	if (db_exec(z->alone, "INSERT INTO changes SELECT seq, event_id, seat_id FROM seat_state "
	    "ORDER BY seq", &cause) != 0) {
		db_rollback(z->alone);
		goto fail;
	}
	if (db_commit(z->alone, &cause) != 0)
		goto fail;
	z->alone_seq = (int64_t)z->seats;
	return 0;
fail:
	fprintf(stderr, "bench: growth: %s\n", cause);
	free(cause);
	return -1;
}

/* The writes of one push round, straight into SQLite; seconds per operation, or -1. */
static double
alone_round(struct size *z, long k, long offset)
{
	sqlite3_stmt *ss, *sc, *so;
	char *cause = NULL;
	double t0 = bench_now(), t = -1;
	long j;

	/* As the store's rec_save() writes a seat record and its change. */
	ss = db_prepare(z->alone, "INSERT INTO seat_state VALUES(?1, ?2, 'admitted', "
	    "x'020102', 0, 1, ?2, 0, 1500, 1, 2, 3, 0, 1, 2, 3, ?3) ON CONFLICT(event_id, seat_id) "
	    "DO UPDATE SET state = excluded.state, vv = excluded.vv, admitted_by = "
	    "excluded.admitted_by, admitted_at = excluded.admitted_at, moves = excluded.moves, "
	    "changed_by = excluded.changed_by, changed_at = excluded.changed_at, "
	    "seq = excluded.seq");
	sc = db_prepare(z->alone, "INSERT INTO changes VALUES(?1, ?2, ?3)");
	so = db_prepare(z->alone, "INSERT INTO ops VALUES(2, ?1, 'admit', ?2, ?3, 3, 'applied', "
	    "NULL, 1500, NULL, 3)");
	for (j = 0; j < k; j++) {
		int64_t seat = z->w->first_seat + (int64_t)(((size_t)j * z->stride +
		    (size_t)offset) % z->seats);

		if (j % BATCH == 0 && db_begin(z->alone, &cause) != 0)
			goto fail;
		z->alone_seq++;
		sqlite3_reset(ss);
		sqlite3_bind_int64(ss, 1, z->w->event);
		sqlite3_bind_int64(ss, 2, seat);
		sqlite3_bind_int64(ss, 3, z->alone_seq);
		sqlite3_reset(sc);
		sqlite3_bind_int64(sc, 1, z->alone_seq);
		sqlite3_bind_int64(sc, 2, z->w->event);
		sqlite3_bind_int64(sc, 3, seat);
		sqlite3_reset(so);
		sqlite3_bind_int64(so, 1, z->alone_seq);
		sqlite3_bind_int64(so, 2, z->w->event);
		sqlite3_bind_int64(so, 3, seat);
		if (sqlite3_step(ss) != SQLITE_DONE || sqlite3_step(sc) != SQLITE_DONE ||
		    sqlite3_step(so) != SQLITE_DONE) {
			cause = db_error(z->alone, "writing");
			db_rollback(z->alone);
			goto fail;
		}
		if ((j % BATCH == BATCH - 1 || j == k - 1) && db_commit(z->alone, &cause) != 0)
			goto fail;
	}
	t = (bench_now() - t0) / (double)k;
	goto out;
fail:
	fprintf(stderr, "bench: growth: %s\n", cause);
	free(cause);
out:
	sqlite3_finalize(ss);
	sqlite3_finalize(sc);
	sqlite3_finalize(so);
	return t;
}

static int
size_open(struct size *z, size_t nseats, long k, int rounds)
{
	struct store_stats s;
	long n;

	memset(z, 0, sizeof *z);
	z->seats = nseats;
	z->stride = nseats / (size_t)k;
	z->push = xcalloc((size_t)rounds, sizeof *z->push);
	z->pull = xcalloc((size_t)rounds, sizeof *z->pull);
	z->write = xcalloc((size_t)rounds, sizeof *z->write);
	if ((z->w = world_new("growth", nseats)) == NULL || alone_open(z) != 0)
		return -1;
	if (ident_new(z->w, ROLE_BOXOFFICE, "Box office", &z->bo) != 0 ||
	    ident_new(z->w, ROLE_GATE, "North Gate", &z->pusher) != 0 ||
	    ident_new(z->w, ROLE_GATE, "South Gate", &z->puller) != 0 ||
	    world_sell_out(z->w, z->bo.id) != 0)
		return -1;
	z->cpush = ident_client(z->w, &z->pusher, NULL);
	z->cpull = ident_client(z->w, &z->puller, NULL);
	client_set_timeout(z->cpush, 60000);
	client_set_timeout(z->cpull, 60000);
	/* A first small round opens both connections. */
	store_stats(z->w->st, &s);
	if (push_round(z->w, z->cpush, &z->pusher, z->bo.id, 10, z->stride, 0, &z->seq) < 0 ||
	    pull_round(z->w, z->cpull, s.seq, &n) < 0)
		return -1;
	return 0;
}

static void
size_close(struct size *z)
{
	db_close(z->alone);
	client_free(z->cpush);
	client_free(z->cpull);
	ident_free(&z->pusher);
	ident_free(&z->puller);
	ident_free(&z->bo);
	world_free(z->w);
	free(z->push);
	free(z->pull);
	free(z->write);
}

/* Round r at size z: push k admissions, then pull exactly them. */
static int
size_round(struct size *z, long k, int r)
{
	struct store_stats s;
	long n;

	store_stats(z->w->st, &s);
	if ((z->push[r] = push_round(z->w, z->cpush, &z->pusher, z->bo.id, k, z->stride, r + 1,
	    &z->seq)) < 0)
		return -1;
	if ((z->pull[r] = pull_round(z->w, z->cpull, s.seq, &n)) < 0 || n != k) {
		fprintf(stderr, "bench: growth: pulled %ld of %ld changes\n", n, k);
		return -1;
	}
	if ((z->write[r] = alone_round(z, k, r + 1)) < 0)
		return -1;
	return 0;
}

static int
growth_run(void)
{
	const char *env = getenv("BENCH_GROWTH_SIZES"), *p;
	long k = bench_env("BENCH_GROWTH_OPS", 1500, 150);
	int rounds = (int)bench_env("BENCH_GROWTH_ROUNDS", 5, 1), ng = 0, i, r, rc = -1;
	struct size z[8];
	struct growth g[8];
	size_t sizes[8];
	char fig[80], *end;

	if (env == NULL || *env == '\0')
		env = bench_quick() ? "1000,10000" : "10000,100000,1000000";
	for (p = env; *p != '\0' && ng < 8; p = *end == ',' ? end + 1 : end) {
		sizes[ng] = (size_t)strtoul(p, &end, 10);
		if (end == p || sizes[ng] == 0 || sizes[ng] > 1000000) {
			fprintf(stderr, "bench: BENCH_GROWTH_SIZES=\"%s\": want seat counts up to "
			    "1000000, comma-separated\n", env);
			return -1;
		}
		ng++;
	}
	if (rounds < 1)
		rounds = 1;
	for (i = 0; i < ng; i++) {
		/* Each round takes every (seats / k)th seat from its own offset; the warm-up 0. */
		if ((long)sizes[i] < k * (rounds + 1)) {
			fprintf(stderr, "bench: growth: %zu seats is too few for %d rounds of %ld\n",
			    sizes[i], rounds, k);
			return -1;
		}
	}
	memset(z, 0, sizeof z);
	for (i = 0; i < ng; i++) {
		if (size_open(&z[i], sizes[i], k, rounds) != 0) {
			ng = i + 1;
			goto out;
		}
	}
	/* Round by round across the sizes, so that a busy moment slows every size alike. */
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < ng; i++) {
			if (size_round(&z[i], k, r) != 0)
				goto out;
		}
	}
	for (i = 0; i < ng; i++) {
		g[i].seats = sizes[i];
		g[i].push = bench_quantile(z[i].push, (size_t)rounds, 0.5);
		g[i].pull = bench_quantile(z[i].pull, (size_t)rounds, 0.5);
		g[i].write = bench_quantile(z[i].write, (size_t)rounds, 0.5);
	}
	for (i = 0; i < ng; i++) {
		snprintf(fig, sizeof fig, "8 push per op, %s seats", seats_words(g[i].seats));
		bench_row(fig, "us", g[i].push * 1e6, g[0].push * 1e6, "ratio <= 1.5",
		    g[i].push <= 1.5 * g[0].push);
	}
	for (i = 0; i < ng; i++) {
		snprintf(fig, sizeof fig, "8 pull per op, %s seats", seats_words(g[i].seats));
		bench_row(fig, "us", g[i].pull * 1e6, g[0].pull * 1e6, "ratio <= 1.5",
		    g[i].pull <= 1.5 * g[0].pull);
	}
	bench_note("growth: sold-out events; %d rounds of %ld admissions pushed and pulled at each "
	    "size, interleaved (median); the limit is the cost at %zu seats", rounds, k,
	    g[0].seats);
	{
		char buf[256];
		size_t used = 0;

		for (i = 0; i < ng; i++)
			used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%.1f us at %s",
			    i > 0 ? ", " : "", g[i].write * 1e6, seats_words(g[i].seats));
		bench_note("growth: SQLite alone, the same tables and writes: %s (x%.1f); Tessera "
		    "adds %.0f us at %s and %.0f us at %s", buf, g[ng - 1].write / g[0].write,
		    (g[0].push - g[0].write) * 1e6, seats_words(g[0].seats),
		    (g[ng - 1].push - g[ng - 1].write) * 1e6, seats_words(g[ng - 1].seats));
	}
	rc = 0;
out:
	for (i = 0; i < ng; i++)
		size_close(&z[i]);
	return rc;
}

const struct bench_fig fig_growth = {
	"growth", "8: push and pull cost per operation at 10k, 100k and 1M seats", growth_run
};
