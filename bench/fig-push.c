/*
 * fig-push.c: server push ingest. 50 gates, each a thread with its own client, push their
 * admissions (one per seat, every seat of the venue) in batches of 500, the batch size of
 * device_push(), as POST /v1/push: signed, authenticated, each batch merged in one transaction.
 * Against: the same rows (the seat record, its change and the operation) inserted into the same
 * tables of a plain SQLite file in batches of the same size, one transaction each, no HTTP, no
 * JSON.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "client.h"
#include "db.h"
#include "store.h"
#include "vv.h"
#include "xmalloc.h"

#define BATCH 500       /* PUSH_BATCH in common/device.c */

struct pusher {
	struct world      *w;
	struct ident       id;
	uint32_t           bo;
	uint32_t           first;       /* this gate's seats: first .. first + n - 1 */
	long               n;
	long               applied;
	int                bad;
	pthread_barrier_t *start;
};

static void *
push_main(void *arg)
{
	struct pusher *p = arg;
	struct client *c = ident_client(p->w, &p->id, NULL);
	json_t *ops, *body, *reply, *res;
	char **texts, *cause = NULL;
	long i, j, b, nb = (p->n + BATCH - 1) / BATCH, status;
	size_t k;

	/*
	 * The request bodies are made before the clock starts: a gate makes them on its own
	 * hardware, and this figure is about the server's side.
	 */
	texts = xcalloc((size_t)nb, sizeof *texts);
	for (b = 0, i = 0; i < p->n; i += BATCH, b++) {
		ops = json_array();
		for (j = i; j < p->n && j < i + BATCH; j++) {
			uint32_t seat = p->first + (uint32_t)j;

			json_array_append_new(ops, world_admit_op(p->w, p->id.id, (uint32_t)j + 1,
			    p->bo, seat, seat, 0));
		}
		body = json_pack("{s:o,s:b}", "ops", ops, "compact", 1);    /* as device_push() */
		texts[b] = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
	client_set_timeout(c, 120000);
	pthread_barrier_wait(p->start);
	for (b = 0; b < nb; b++) {
		if (client_call_text(c, "POST", "/v1/push", texts[b], strlen(texts[b]), &status,
		    &reply, &cause) != 0) {
			fprintf(stderr, "bench: push: %s\n", cause);
			free(cause);
			p->bad++;
			break;
		}
		if (status != 200) {
			fprintf(stderr, "bench: push: status %ld: %s\n", status,
			    json_string_value(json_object_get(reply, "error")));
			p->bad++;
		}
		json_array_foreach(json_object_get(reply, "results"), k, res) {
			const char *r = json_is_string(res) ? json_string_value(res) :
			    json_string_value(json_object_get(res, "result"));

			p->applied += r != NULL && strcmp(r, "applied") == 0;
		}
		json_decref(reply);
	}
	for (b = 0; b < nb; b++)
		free(texts[b]);
	free(texts);
	client_free(c);
	return NULL;
}

/* The limit: ngates x per rows of each table, BATCH operations a transaction. Seconds. */
static double
limit_run(struct world *w, uint32_t bo, const struct pusher *p, int ngates, long total)
{
	sqlite3 *db;
	sqlite3_stmt *ss, *sc, *so;
	struct vv v;
	uint8_t *blob = NULL;
	size_t len;
	char *cause = NULL;
	int64_t now = (int64_t)time(NULL), seq = 0;
	double t0, t = -1;
	long done = 0, i;
	int g;

	if ((db = world_limit_db(w, "limit.db")) == NULL)
		return -1;
	ss = db_prepare(db, "INSERT INTO seat_state VALUES(?, ?, 'admitted', ?, 0, ?, ?, 0, 1500, "
	    "?, ?, ?, 0, 1, ?, ?, ?)");
	sc = db_prepare(db, "INSERT INTO changes VALUES(?, ?, ?)");
	so = db_prepare(db, "INSERT INTO ops VALUES(?, ?, 'admit', ?, ?, ?, 'applied', NULL, 1500, "
	    "NULL, ?)");
	t0 = bench_now();
	for (g = 0; g < ngates; g++) {
		vv_init(&v);
		vv_increment(&v, p[g].id.id);
		len = vv_encode(&v, &blob);
		vv_free(&v);
		for (i = 0; i < p[g].n; i++) {
			uint32_t seat = p[g].first + (uint32_t)i;

			if (i % BATCH == 0 && db_begin(db, &cause) != 0)
				goto fail;
			sqlite3_reset(ss);
			sqlite3_bind_int64(ss, 1, w->event);
			sqlite3_bind_int64(ss, 2, seat);
			sqlite3_bind_blob(ss, 3, blob, (int)len, SQLITE_STATIC);
			sqlite3_bind_int64(ss, 4, bo);
			sqlite3_bind_int64(ss, 5, seat);
			sqlite3_bind_int64(ss, 6, now - 3600);
			sqlite3_bind_int64(ss, 7, p[g].id.id);
			sqlite3_bind_int64(ss, 8, now);
			sqlite3_bind_int64(ss, 9, p[g].id.id);
			sqlite3_bind_int64(ss, 10, now);
			sqlite3_bind_int64(ss, 11, ++seq);
			sqlite3_reset(sc);
			sqlite3_bind_int64(sc, 1, seq);
			sqlite3_bind_int64(sc, 2, w->event);
			sqlite3_bind_int64(sc, 3, seat);
			sqlite3_reset(so);
			sqlite3_bind_int64(so, 1, p[g].id.id);
			sqlite3_bind_int64(so, 2, i + 1);
			sqlite3_bind_int64(so, 3, w->event);
			sqlite3_bind_int64(so, 4, seat);
			sqlite3_bind_int64(so, 5, now);
			sqlite3_bind_int64(so, 6, now);
			if (sqlite3_step(ss) != SQLITE_DONE || sqlite3_step(sc) != SQLITE_DONE ||
			    sqlite3_step(so) != SQLITE_DONE) {
				cause = db_error(db, "insert");
				goto fail;
			}
			if ((i % BATCH == BATCH - 1 || i == p[g].n - 1) && db_commit(db, &cause) != 0)
				goto fail;
			done++;
		}
		free(blob);
		blob = NULL;
	}
	t = bench_now() - t0;
	if (done != total)
		t = -1;
	goto out;
fail:
	fprintf(stderr, "bench: push: limit: %s\n", cause);
	free(cause);
	free(blob);
	db_rollback(db);
out:
	sqlite3_finalize(ss);
	sqlite3_finalize(sc);
	sqlite3_finalize(so);
	db_close(db);
	return t;
}

static int
push_run(void)
{
	long total = bench_env("BENCH_PUSH_OPS", 200000, 4000);
	int ngates = (int)bench_env("BENCH_PUSH_GATES", 50, 4), i, bad = 0, rc = -1;
	struct world *w;
	struct ident bo;
	struct pusher *p;
	struct store_stats s0, s1;
	pthread_barrier_t start;
	pthread_t *th;
	double t0, tess, lim;
	long per = total / ngates, applied = 0;
	char name[32];

	total = per * ngates;
	if ((w = world_new("push", (size_t)total)) == NULL)
		return -1;
	p = xcalloc((size_t)ngates, sizeof *p);
	th = xcalloc((size_t)ngates, sizeof *th);
	if (ident_new(w, ROLE_BOXOFFICE, "Box office", &bo) != 0)
		goto out;
	for (i = 0; i < ngates; i++) {
		snprintf(name, sizeof name, "Gate %d", i + 1);
		if (ident_new(w, ROLE_GATE, name, &p[i].id) != 0)
			goto out;
		p[i].w = w;
		p[i].bo = bo.id;
		p[i].first = w->first_seat + (uint32_t)(i * per);
		p[i].n = per;
	}

	if ((lim = limit_run(w, bo.id, p, ngates, total)) < 0)
		goto out;

	store_stats(w->st, &s0);
	pthread_barrier_init(&start, NULL, (unsigned)ngates + 1);
	for (i = 0; i < ngates; i++) {
		p[i].start = &start;
		if (pthread_create(&th[i], NULL, push_main, &p[i]) != 0)
			abort();
	}
	pthread_barrier_wait(&start);
	t0 = bench_now();
	for (i = 0; i < ngates; i++)
		pthread_join(th[i], NULL);
	tess = bench_now() - t0;
	pthread_barrier_destroy(&start);
	store_stats(w->st, &s1);
	for (i = 0; i < ngates; i++) {
		bad += p[i].bad;
		applied += p[i].applied;
	}
	if (bad > 0 || applied != total) {
		fprintf(stderr, "bench: push: %d failed batches, %ld of %ld applied\n", bad,
		    applied, total);
		goto out;
	}
	bench_row("5 push ingest, 50 gates, batches of 500", "ops/s", (double)total / tess,
	    (double)total / lim, "ratio >= 0.4", (double)total / tess >= 0.4 * (double)total / lim);
	bench_note("push: %d gates x %ld admissions = %ld in %.1f s (limit %.1f s); server "
	    "counted %llu applied", ngates, per, total, tess, lim,
	    (unsigned long long)(s1.ops_applied - s0.ops_applied));
	rc = 0;
out:
	for (i = 0; i < ngates; i++)
		ident_free(&p[i].id);
	free(p);
	free(th);
	ident_free(&bo);
	world_free(w);
	return rc;
}

const struct bench_fig fig_push = {
	"push", "5: server push ingest, 50 gates pushing admissions in batches", push_run
};
