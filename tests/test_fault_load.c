/*
 * test_fault_load.c: door-time load on one real server (tessera-sync serve, a child process):
 * 200 gates long-polling and 50 box offices pushing at once, each its own enrolled device with
 * its own connection, for 5 s (60 s under TESSERA_TORTURE; LOAD_SECONDS overrides).
 *
 * Each box office owns 20 seats and pushes a batch of 5 changes (sell, refund, sell again:
 * every change a new version of the seat) about once a second. Every gate long-polls from its
 * cursor and notes the newest version of every seat it hears of. Then: no request failed; the
 * server holds exactly the operations acknowledged (none lost, none doubled); every gate,
 * after one last pull, holds the newest version of every seat; and the figures: push latency,
 * the time from a push being sent to a gate hearing of it, requests per second.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "client.h"
#include "fault.h"

#define NPOLL    200
#define NPUSH    50
#define PER      20                     /* seats of each box office */
#define NSEATS   (NPUSH * PER)
#define BATCH    5
#define RING     64

static char dir[64], dbpath[256], url[64];
static pid_t server_pid;
static uint32_t event_id, seat_ids[NSEATS];
static volatile int stopping;           /* gates: stop (after the box offices stopped) */
static volatile int stopping_push;      /* box offices: stop */
static double t_sent[NSEATS][RING];     /* when version k of seat s was sent */

struct dev {
	uint32_t        id;
	struct keypair *kp;
	struct client  *c;
	pthread_t       t;
	/* results */
	int             requests, errors;
	double         *lat;                /* push latencies, or heard-after times */
	size_t          nlat, caplat;
	uint64_t        acked;              /* operations acknowledged (box offices) */
	uint16_t       *seen;               /* gates: newest version heard of each seat */
	char            err[200];
};

static struct dev pushers[NPUSH], pollers[NPOLL];

static void
lat_add(struct dev *d, double v)
{
	if (d->nlat == d->caplat) {
		d->caplat = d->caplat == 0 ? 256 : d->caplat * 2;
		d->lat = xreallocarray(d->lat, d->caplat, sizeof *d->lat);
	}
	d->lat[d->nlat++] = v;
}

static void
dev_error(struct dev *d, const char *what, long status, const char *cause)
{
	d->errors++;
	snprintf(d->err, sizeof d->err, "%s: %ld %s", what, status, cause != NULL ? cause : "");
}

/* ---- box offices ----------------------------------------------------------------------- */

static void *
push_main(void *arg)
{
	struct dev *d = arg;
	int p = (int)(d - pushers), k, i;
	uint16_t version[PER];
	uint32_t seq = 0;
	unsigned seed = (unsigned)p * 7919u + 1;

	memset(version, 0, sizeof version);
	usleep((useconds_t)(rand_r(&seed) % 1000000));
	while (!stopping_push) {
		json_t *ops = json_array(), *body, *reply = NULL;
		char *cause = NULL;
		long status = 0;
		double t0;
		int idx[BATCH];

		for (k = 0; k < BATCH; k++) {
			struct op o;

			/* Five different seats of this box office, in turn. */
			i = (int)((seq + (uint32_t)k) % PER);
			idx[k] = p * PER + i;
			version[i]++;
			op_init(&o);
			o.device_id = d->id;
			o.seq = seq + (uint32_t)k + 1;
			o.at = time(NULL);
			seat_rec_init(&o.rec, event_id, seat_ids[idx[k]]);
			/* Versions 1, 3, 5... are sales (generation v/2), 2, 4... refunds. */
			o.kind = version[i] % 2 == 1 ? OP_SELL : OP_REFUND;
			o.rec.state = o.kind == OP_SELL ? SEAT_SOLD : SEAT_VOID;
			o.rec.generation = (uint16_t)((version[i] - 1) / 2);
			o.rec.key_id = d->id;
			o.rec.serial = o.seq;
			o.rec.price = 1500;
			o.rec.sold_at = o.at;
			o.rec.changed_by = d->id;
			o.rec.changed_at = o.at;
			while (vv_get(&o.rec.vv, d->id) < version[i])
				vv_increment(&o.rec.vv, d->id);
			if (o.kind == OP_SELL)
				snprintf(o.pay, sizeof o.pay, "card");
			json_array_append_new(ops, proto_op_to_json(&o));
			op_free(&o);
		}
		seq += BATCH;
		body = json_pack("{s:o}", "ops", ops);
		t0 = fault_now();
		for (k = 0; k < BATCH; k++)
			t_sent[idx[k]][version[idx[k] - p * PER] % RING] = t0;
		if (client_call(d->c, "POST", "/v1/push", body, &status, &reply, &cause) != 0)
			dev_error(d, "push", 0, cause);
		else if (status != 200)
			dev_error(d, "push", status, json_string_value(json_object_get(reply,
			    "error")));
		else {
			lat_add(d, fault_now() - t0);
			d->acked += json_array_size(json_object_get(reply, "results"));
		}
		d->requests++;
		free(cause);
		json_decref(reply);
		json_decref(body);
		usleep((useconds_t)(800000 + rand_r(&seed) % 400000));
	}
	return NULL;
}

/* ---- gates ----------------------------------------------------------------------------- */

/* Note the seats of a pull answer; measure how long after sending each new version came. */
static void
heard(struct dev *d, const json_t *reply, double now, int timed)
{
	const json_t *v;
	struct seat_rec r;
	size_t i;
	char *cause = NULL;
	int s;

	json_array_foreach(json_object_get(reply, "seats"), i, v) {
		uint16_t ver;

		seat_rec_init(&r, 0, 0);
		if (proto_rec_from_json(v, "rec", &r, &cause) != 0) {
			dev_error(d, "bad record", 0, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		for (s = 0; s < NSEATS && seat_ids[s] != r.seat_id; s++)
			;
		ver = (uint16_t)vv_get(&r.vv, r.changed_by);
		if (s < NSEATS && ver > d->seen[s]) {
			d->seen[s] = ver;
			if (timed && t_sent[s][ver % RING] > 0 && now >= t_sent[s][ver % RING])
				lat_add(d, now - t_sent[s][ver % RING]);
		}
		seat_rec_free(&r);
	}
}

static int
pull(struct dev *d, uint64_t *cursor, int wait, int timed)
{
	json_t *reply = NULL;
	char path[96], *cause = NULL;
	long status = 0;
	int more;

	snprintf(path, sizeof path, "/v1/pull?since=%llu&wait=%d", (unsigned long long)*cursor,
	    wait);
	d->requests++;
	if (client_call(d->c, "GET", path, NULL, &status, &reply, &cause) != 0) {
		if (!stopping)
			dev_error(d, "pull", 0, cause);
		free(cause);
		return -1;
	}
	if (status != 200) {
		dev_error(d, "pull", status, json_string_value(json_object_get(reply, "error")));
		json_decref(reply);
		return -1;
	}
	heard(d, reply, fault_now(), timed);
	*cursor = (uint64_t)json_integer_value(json_object_get(reply, "cursor"));
	more = json_is_true(json_object_get(reply, "more"));
	json_decref(reply);
	return more;
}

static uint64_t start_cursor;

static void *
poll_main(void *arg)
{
	struct dev *d = arg;
	uint64_t cursor = start_cursor;
	int more;

	while (!stopping) {
		if (pull(d, &cursor, 20, 1) < 0 && !stopping)
			usleep(100000);
	}
	/* One last look, without waiting: everything must be there. */
	client_set_cancel(d->c, NULL);
	while ((more = pull(d, &cursor, 0, 0)) == 1)
		;
	if (more < 0)
		dev_error(d, "the last pull", 0, "failed");
	return NULL;
}

/* ---- the world ------------------------------------------------------------------------- */

static void
server_spawn(void)
{
	const char *build = getenv("BUILD");
	char bin[512], line[256];
	uint16_t port;
	int pfd[2];
	FILE *f;

	snprintf(bin, sizeof bin, "%s/tessera-sync", build != NULL ? build : "build");
	assert_int_equal(pipe(pfd), 0);
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (server_pid == 0) {
		/* FAULT_SERVER_LOG=FILE keeps the server's log (a sanitizer's report, say). */
		const char *log = getenv("FAULT_SERVER_LOG");
		int null = open(log != NULL ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(pfd[1], 1);
		dup2(null, 2);
		close(pfd[0]);
		execl(bin, bin, "serve", "--db", dbpath, "--listen", "127.0.0.1:0", "--quiet",
		    (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (fgets(line, sizeof line, f) == NULL ||
	    sscanf(line, "tessera-sync: serving on http://127.0.0.1:%hu", &port) != 1)
		fail_msg("the server did not start: %s", line);
	fclose(f);
	snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
}

static void
enroll(struct dev *d, const char *code)
{
	struct client *anon = client_new(url, 0, NULL);
	json_t *body, *reply = NULL;
	char *hex, *cause = NULL;
	long status = 0;

	d->kp = keypair_generate();
	hex = keys_hex(d->kp->pk, KEYS_PUBLICBYTES);
	body = json_pack("{s:s,s:s}", "code", code, "pk", hex);
	if (client_call(anon, "POST", "/v1/enroll", body, &status, &reply, &cause) != 0 ||
	    status != 200)
		fail_msg("enroll: %ld %s", status, cause);
	json_decref(reply);
	json_decref(body);
	free(hex);
	client_free(anon);
	d->c = client_new(url, d->id, d->kp);
	client_set_timeout(d->c, 40000);
}

static int
setup(void **state)
{
	struct store *st;
	struct store_event ev;
	struct store_tier t;
	struct keypair *root;
	struct venue *v;
	struct rlimit rl;
	sqlite3_stmt *s;
	char *cause = NULL, *codes[NPUSH + NPOLL], *text, tname[] = "All";
	size_t len = 0;
	uint32_t vid;
	int i, r;

	(void)state;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(dir, sizeof dir, "/tmp/tessera-load-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/central.db", dir);
	if (store_create(dbpath, &root, &cause) != 0 || store_open(dbpath, &st, &cause) != 0)
		fail_msg("store: %s", cause);
	keypair_free(root);
	text = xmalloc(4096);
	len = (size_t)snprintf(text, 4096, "venue,Load Arena\n");
	for (r = 1; r <= NSEATS / 50; r++)
		len += (size_t)snprintf(text + len, 4096 - len, "row,A,%d,1-50\n", r);
	assert_int_equal(venue_parse(text, len, "v", &v, &cause), 0);
	free(text);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	t.name = tname;
	t.price = 1500;
	t.sections = NULL;
	ev.venue_id = vid;
	ev.name = "Door time";
	ev.starts_at = time(NULL) + 3600;
	ev.doors_at = time(NULL) - 60;
	ev.currency = "EUR";
	ev.tiers = &t;
	ev.ntiers = 1;
	assert_int_equal(store_event_create(st, &ev, &event_id, &cause), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM seats ORDER BY id", -1,
	    &s, NULL), SQLITE_OK);
	for (i = 0; i < NSEATS && sqlite3_step(s) == SQLITE_ROW; i++)
		seat_ids[i] = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	for (i = 0; i < NPUSH; i++)
		assert_int_equal(store_device_add(st, ROLE_BOXOFFICE, "box", NULL, &pushers[i].id,
		    &codes[i], &cause), 0);
	for (i = 0; i < NPOLL; i++)
		assert_int_equal(store_device_add(st, ROLE_GATE, "gate", NULL, &pollers[i].id,
		    &codes[NPUSH + i], &cause), 0);
	store_close(st);
	server_spawn();
	for (i = 0; i < NPUSH; i++) {
		enroll(&pushers[i], codes[i]);
		free(codes[i]);
	}
	for (i = 0; i < NPOLL; i++) {
		enroll(&pollers[i], codes[NPUSH + i]);
		/* A long-poll gives up as soon as the test stops. */
		client_set_cancel(pollers[i].c, &stopping);
		free(codes[NPUSH + i]);
		pollers[i].seen = xcalloc(NSEATS, sizeof *pollers[i].seen);
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];
	int i, status;

	(void)state;
	kill(server_pid, SIGTERM);
	waitpid(server_pid, &status, 0);
	for (i = 0; i < NPUSH; i++) {
		client_free(pushers[i].c);
		keypair_free(pushers[i].kp);
		free(pushers[i].lat);
	}
	for (i = 0; i < NPOLL; i++) {
		client_free(pollers[i].c);
		keypair_free(pollers[i].kp);
		free(pollers[i].lat);
		free(pollers[i].seen);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Gather the latencies of devs; fill p50, p95, p99, max (ms); return how many. */
static size_t
percentiles(struct dev *devs, int n, double out[4])
{
	double *all = NULL;
	size_t len = 0;
	int k;

	for (k = 0; k < n; k++) {
		all = xreallocarray(all, len + devs[k].nlat + 1, sizeof *all);
		memcpy(all + len, devs[k].lat, devs[k].nlat * sizeof *all);
		len += devs[k].nlat;
	}
	memset(out, 0, 4 * sizeof *out);
	if (len > 0) {
		qsort(all, len, sizeof *all, cmp_double);
		out[0] = 1000 * all[len / 2];
		out[1] = 1000 * all[(size_t)((double)len * 0.95)];
		out[2] = 1000 * all[(size_t)((double)len * 0.99)];
		out[3] = 1000 * all[len - 1];
	}
	free(all);
	return len;
}

static void
test_door_time(void **state)
{
	struct client *c = pollers[0].c;
	json_t *reply = NULL;
	char *cause = NULL;
	const char *env = getenv("LOAD_SECONDS");
	double t0, secs, push[4], heard_ms[4];
	long status = 0;
	uint64_t acked = 0;
	int seconds = env != NULL ? atoi(env) : fault_torture() ? 60 : 5;
	int i, s, errors = 0, requests = 0, stale = 0, found_error = -1;
	int64_t ops;
	size_t npush, nheard;

	(void)state;
	/* Every gate starts from the change sequence as it is now. */
	assert_int_equal(client_call(c, "GET", "/v1/pull?since=0", NULL, &status, &reply,
	    &cause), 0);
	start_cursor = (uint64_t)json_integer_value(json_object_get(reply, "cursor"));
	json_decref(reply);
	t0 = fault_now();
	for (i = 0; i < NPOLL; i++)
		assert_int_equal(pthread_create(&pollers[i].t, NULL, poll_main, &pollers[i]), 0);
	for (i = 0; i < NPUSH; i++)
		assert_int_equal(pthread_create(&pushers[i].t, NULL, push_main, &pushers[i]), 0);
	sleep((unsigned)seconds);
	stopping_push = 1;
	for (i = 0; i < NPUSH; i++)
		pthread_join(pushers[i].t, NULL);
	stopping = 1;
	/* The last pushes wake the long-polls; each gate then looks once more. */
	for (i = 0; i < NPOLL; i++)
		pthread_join(pollers[i].t, NULL);
	secs = fault_now() - t0;

	for (i = 0; i < NPUSH; i++) {
		errors += pushers[i].errors;
		requests += pushers[i].requests;
		acked += pushers[i].acked;
		if (pushers[i].errors > 0)
			found_error = i;
	}
	for (i = 0; i < NPOLL; i++) {
		errors += pollers[i].errors;
		requests += pollers[i].requests;
		if (pollers[i].errors > 0)
			found_error = NPUSH + i;
	}
	if (errors > 0)
		fail_msg("%d errors, e.g. %s", errors, found_error < NPUSH ?
		    pushers[found_error].err : pollers[found_error - NPUSH].err);
	/* None lost, none doubled: the server has each acknowledged operation once. */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		ops = fault_int(db, "SELECT count(*) FROM ops", 0);
		assert_int_equal(ops, (int64_t)acked);
		assert_int_equal(fault_int(db, "SELECT count(*) FROM ops WHERE result NOT IN "
		    "('applied')", 0), 0);
		/* Every gate heard the newest version of every seat. */
		for (s = 0; s < NSEATS; s++) {
			int64_t newest = fault_int(db, "SELECT count(*) FROM ops WHERE seat_id = ?", 1,
			    (int64_t)seat_ids[s]);

			for (i = 0; i < NPOLL; i++) {
				if (pollers[i].seen[s] != newest && stale++ < 5)
					print_message("gate %d: seat %d at version %d, newest %lld\n",
					    i, s, pollers[i].seen[s], (long long)newest);
			}
		}
		assert_true(fault_integrity_ok(db));
		sqlite3_close(db);
	}
	assert_int_equal(stale, 0);
	npush = percentiles(pushers, NPUSH, push);
	nheard = percentiles(pollers, NPOLL, heard_ms);
	fault_figure("load", "%d gates long-polling and %d box offices pushing for %.0f s: %d "
	    "requests (%.0f/s), 0 errors; %llu operations acknowledged, %lld on the server (lost "
	    "0, doubled 0); every gate holds the newest of all %d seats", NPOLL, NPUSH, secs,
	    requests, requests / secs, (unsigned long long)acked, (long long)ops, NSEATS);
	fault_figure("load", "push latency over %zu pushes: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, "
	    "max %.1f ms", npush, push[0], push[1], push[2], push[3]);
	fault_figure("load", "a change reaches a long-polling gate (%zu times): p50 %.1f ms, p95 "
	    "%.1f ms, p99 %.1f ms, max %.1f ms", nheard, heard_ms[0], heard_ms[1], heard_ms[2],
	    heard_ms[3]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_door_time),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
