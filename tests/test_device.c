/*
 * test_device.c: replicas and the real server together: enroll, bootstrap, push, pull,
 * long-poll, offline work, conflicts, convergence, and a device killed in the middle of a push.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "device.h"
#include "proto.h"
#include "server.h"
#include "store.h"
#include "xmalloc.h"

enum { BO1, BO2, GATE1, GATE2, NDEV };

static char            dir[] = "/tmp/tessera-test-device-XXXXXX";
static char            dbpath[256];
static char            url[64];
static uint16_t        port;
static struct store   *st;
static struct server  *srv;
static struct device  *dev[NDEV];
static char            paths[NDEV][256];
static uint32_t        event_id;
static uint32_t        seats[20];      /* A-1-1 .. A-1-10, B-1-1 .. B-1-10 */

static void
server_up(void)
{
	struct server_config cfg = { "127.0.0.1", port, NULL, NULL, 0, 0 };
	char *cause = NULL;

	if (server_start(st, &cfg, &srv, &cause) != 0)
		fail_msg("server_start: %s", cause);
	port = server_port(srv);
}

static void
server_down(void)
{
	server_stop(srv);
	srv = NULL;
	/* store_wake() told long-polls to end; a new server needs them to wait again. */
	store_close(st);
	st = NULL;
	{
		char *cause = NULL;

		if (store_open(dbpath, &st, &cause) != 0)
			fail_msg("store_open: %s", cause);
	}
}

static uint32_t
seat_id(const char *label)
{
	sqlite3_stmt *s;
	uint32_t id = 0;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM seats WHERE label = ?",
	    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, label, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	assert_true(id != 0);
	return id;
}

/* A new event at venue vid, starting in starts seconds, doors open; one tier at price. */
static uint32_t
event_at(uint32_t vid, const char *name, int64_t starts, int64_t price)
{
	struct store_event ev;
	struct store_tier t = { NULL, price, NULL };
	char tier[] = "General", *cause = NULL;
	uint32_t id;

	memset(&ev, 0, sizeof ev);
	ev.venue_id = vid;
	ev.name = name;
	ev.starts_at = time(NULL) + starts;
	ev.doors_at = time(NULL) - 60;
	ev.currency = "EUR";
	t.name = tier;
	ev.tiers = &t;
	ev.ntiers = 1;
	if (store_event_create(st, &ev, &id, &cause) != 0)
		fail_msg("event: %s", cause);
	return id;
}

static int
setup(void **state)
{
	static const char venue_text[] = "venue,Test Hall\nrow,A,1,1-10\nrow,B,1,1-10\n";
	int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_BOXOFFICE, ROLE_GATE, ROLE_GATE };
	struct keypair *root;
	struct venue *v;
	uint32_t vid, id;
	char *cause = NULL, *code, label[16];
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/central.db", dir);
	if (store_create(dbpath, &root, &cause) != 0 || store_open(dbpath, &st, &cause) != 0)
		fail_msg("store: %s", cause);
	keypair_free(root);
	assert_int_equal(venue_parse(venue_text, sizeof venue_text - 1, "t", &v, &cause), 0);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	event_id = event_at(vid, "Matinee", 3600, 1500);
	for (i = 0; i < 20; i++) {
		snprintf(label, sizeof label, "%c-1-%d", i < 10 ? 'A' : 'B', i % 10 + 1);
		seats[i] = seat_id(label);
	}
	server_up();
	snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
	for (i = 0; i < NDEV; i++) {
		static const char *names[NDEV] = { "Box office 1", "Box office 2", "North gate",
		    "South gate" };

		assert_int_equal(store_device_add(st, roles[i], names[i], NULL, &id, &code,
		    &cause), 0);
		snprintf(paths[i], sizeof paths[i], "%s/dev%d.db", dir, i);
		if (device_enroll(paths[i], url, code, &dev[i], &cause) != 0)
			fail_msg("enroll: %s", cause);
		free(code);
		assert_int_equal(device_id(dev[i]), id);
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];
	int i;

	(void)state;
	for (i = 0; i < NDEV; i++)
		device_close(dev[i]);
	server_stop(srv);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
sync_ok(int i)
{
	struct sync_report r;
	char *cause = NULL;

	if (device_sync(dev[i], 0, &r, &cause) != 0)
		fail_msg("sync of device %d: %s", i, cause);
}

/* A change made here to a seat of event ev, in its own transaction. */
static void
change_in(int i, uint32_t ev, enum op_kind kind, uint32_t seat, int64_t at)
{
	struct seat_rec r;
	char *cause = NULL;
	sqlite3 *db = replica_db(device_replica(dev[i]));

	assert_int_equal(device_seat(dev[i], ev, seat, &r, &cause), 0);
	switch (kind) {
	case OP_SELL:
		if (r.state == SEAT_VOID)
			r.generation++;
		r.state = SEAT_SOLD;
		r.key_id = device_id(dev[i]);
		r.serial = (uint32_t)(seat * 10 + (uint32_t)i);
		r.sold_at = at;
		r.price = 1500;
		r.moves = 0;
		r.admitted_by = 0;
		r.admitted_at = 0;
		r.exited_at = 0;
		break;
	case OP_ADMIT:
		r.state = SEAT_ADMITTED;
		r.admitted_by = device_id(dev[i]);
		r.admitted_at = at;
		r.moves++;
		break;
	case OP_EXIT:
		r.state = SEAT_EXITED;
		r.exited_at = at;
		r.moves++;
		break;
	case OP_REFUND:
		r.state = SEAT_VOID;
		break;
	}
	assert_int_equal(db_begin(db, &cause), 0);
	if (device_change(dev[i], kind, &r, kind == OP_SELL ? "cash" : NULL, 0,
	    device_now(dev[i]), NULL, &cause) != 0)
		fail_msg("change: %s", cause);
	assert_int_equal(db_commit(db, &cause), 0);
	seat_rec_free(&r);
}

/* A change made here to a seat of the test's event. */
static void
change(int i, enum op_kind kind, uint32_t seat, int64_t at)
{
	change_in(i, event_id, kind, seat, at);
}

static enum seat_state
state_in(int i, uint32_t ev, uint32_t seat)
{
	struct seat_rec r;
	enum seat_state s;
	char *cause = NULL;

	assert_int_equal(device_seat(dev[i], ev, seat, &r, &cause), 0);
	s = r.state;
	seat_rec_free(&r);
	return s;
}

static enum seat_state
state_at(int i, uint32_t seat, uint32_t *admitted_by)
{
	struct seat_rec r;
	enum seat_state s;
	char *cause = NULL;

	assert_int_equal(device_seat(dev[i], event_id, seat, &r, &cause), 0);
	s = r.state;
	if (admitted_by != NULL)
		*admitted_by = r.admitted_by;
	seat_rec_free(&r);
	return s;
}

static void
test_bootstrap(void **state)
{
	sqlite3_stmt *s;
	int i;

	(void)state;
	for (i = 0; i < NDEV; i++) {
		sync_ok(i);
		assert_int_equal(sqlite3_prepare_v2(replica_db(device_replica(dev[i])),
		    "SELECT (SELECT count(*) FROM seats), (SELECT count(*) FROM events), "
		    "(SELECT count(*) FROM certificates)", -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 20);
		assert_int_equal(sqlite3_column_int(s, 1), 1);
		assert_true(sqlite3_column_int(s, 2) >= 1);
		sqlite3_finalize(s);
	}
}

struct poller {
	int               i;
	struct sync_report r;
	int               rc;
	char             *cause;
};

static void *
poll_thread(void *arg)
{
	struct poller *p = arg;

	p->rc = device_pull(dev[p->i], 20, &p->r, &p->cause);
	return NULL;
}

static void
test_sale_reaches_gate_by_long_poll(void **state)
{
	struct poller p = { GATE1, { 0 }, 0, NULL };
	pthread_t t;
	char *cause = NULL;

	(void)state;
	/* The gate waits on a long-poll; the box office sells and pushes; the poll returns. */
	assert_int_equal(pthread_create(&t, NULL, poll_thread, &p), 0);
	change(BO1, OP_SELL, seats[0], time(NULL));
	assert_int_equal(device_waiting(dev[BO1]), 1);
	if (device_push(dev[BO1], NULL, &cause) != 0)
		fail_msg("push: %s", cause);
	assert_int_equal(device_waiting(dev[BO1]), 0);
	pthread_join(t, NULL);
	if (p.rc != 0)
		fail_msg("pull: %s", p.cause);
	/* The pull may have woken for an earlier change; pull again until it is there. */
	assert_int_equal(device_pull(dev[GATE1], 0, NULL, &cause), 0);
	assert_int_equal(state_at(GATE1, seats[0], NULL), SEAT_SOLD);
	assert_true(p.r.pulled >= 1);
}

static int
conflicts_at(int i, const char *kind)
{
	sqlite3_stmt *s;
	int n;

	assert_int_equal(sqlite3_prepare_v2(replica_db(device_replica(dev[i])),
	    "SELECT count(*) FROM conflicts WHERE kind = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
test_offline_duplicate_admission(void **state)
{
	sqlite3_stmt *s;
	uint32_t by1, by2;
	char *cause = NULL;
	int64_t now = time(NULL);

	(void)state;
	sync_ok(GATE2);
	assert_int_equal(state_at(GATE2, seats[0], NULL), SEAT_SOLD);
	server_down();
	/* Both gates admit the same ticket while the server is gone. */
	change(GATE2, OP_ADMIT, seats[0], now + 10);
	change(GATE1, OP_ADMIT, seats[0], now + 20);
	assert_int_equal(device_push(dev[GATE1], NULL, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	server_up();
	sync_ok(GATE1);
	sync_ok(GATE2);
	sync_ok(GATE1);

	/* The server: one admission (gate 2's, the earlier), one duplicate naming both. */
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT state, admitted_by, "
	    "(SELECT count(*) FROM conflicts WHERE kind = 'duplicate-admission' AND "
	    "winner_device = ?1 AND loser_device = ?2) FROM seat_state WHERE seat_id = ?3",
	    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, device_id(dev[GATE2]));
	sqlite3_bind_int64(s, 2, device_id(dev[GATE1]));
	sqlite3_bind_int64(s, 3, seats[0]);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "admitted");
	assert_int_equal(sqlite3_column_int64(s, 1), device_id(dev[GATE2]));
	assert_int_equal(sqlite3_column_int(s, 2), 1);
	sqlite3_finalize(s);

	/* Both gates see the ticket as admitted (by gate 2), and the conflict. */
	assert_int_equal(state_at(GATE1, seats[0], &by1), SEAT_ADMITTED);
	assert_int_equal(state_at(GATE2, seats[0], &by2), SEAT_ADMITTED);
	assert_int_equal(by1, device_id(dev[GATE2]));
	assert_int_equal(by2, device_id(dev[GATE2]));
	assert_int_equal(conflicts_at(GATE1, "duplicate-admission"), 1);
	assert_int_equal(conflicts_at(GATE2, "duplicate-admission"), 1);

	/* The operator's report names both gates and both times. */
	{
		char cmd[512], out[4096], t1[32], t2[32];
		const char *build = getenv("BUILD");
		FILE *p;
		size_t n;
		time_t w1 = (time_t)(now + 10), w2 = (time_t)(now + 20);
		struct tm tm;

		snprintf(cmd, sizeof cmd, "'%s/tessera-sync' report conflicts --db '%s' "
		    "--event %u", build != NULL ? build : "build", dbpath, event_id);
		assert_non_null(p = popen(cmd, "r"));
		n = fread(out, 1, sizeof out - 1, p);
		out[n] = '\0';
		assert_int_equal(pclose(p), 0);
		localtime_r(&w1, &tm);
		strftime(t1, sizeof t1, "%H:%M:%S", &tm);
		localtime_r(&w2, &tm);
		strftime(t2, sizeof t2, "%H:%M:%S", &tm);
		if (strstr(out, "duplicate-admission") == NULL || strstr(out, "North gate") == NULL ||
		    strstr(out, "South gate") == NULL || strstr(out, t1) == NULL ||
		    strstr(out, t2) == NULL)
			fail_msg("report conflicts does not name both gates and times:\n%s", out);
	}
}

static void
test_leases_and_forced_double_sale(void **state)
{
	sqlite3_stmt *s;
	char *cause = NULL;
	int leased = -1;
	uint32_t one = seats[11];
	int64_t now = time(NULL);

	(void)state;
	/* Box office 1 leases B-1-2; box office 2 cannot lease it too. */
	if (device_lease(dev[BO1], event_id, &one, 1, NULL, NULL, 0, &leased, &cause) != 0)
		fail_msg("lease: %s", cause);
	assert_int_equal(leased, 1);
	assert_int_equal(device_lease(dev[BO2], event_id, &one, 1, NULL, NULL, 0, &leased,
	    &cause), -1);
	assert_non_null(strstr(cause, "leased"));
	free(cause);
	cause = NULL;

	/* Forced anyway: both replicas sell B-1-3 offline; the earlier sale wins everywhere. */
	sync_ok(BO1);
	sync_ok(BO2);
	server_down();
	change(BO2, OP_SELL, seats[12], now + 1);
	change(BO1, OP_SELL, seats[12], now + 2);
	server_up();
	sync_ok(BO1);
	sync_ok(BO2);
	sync_ok(BO1);
	sync_ok(GATE1);
	{
		struct seat_rec a, b, g;

		assert_int_equal(device_seat(dev[BO1], event_id, seats[12], &a, &cause), 0);
		assert_int_equal(device_seat(dev[BO2], event_id, seats[12], &b, &cause), 0);
		assert_int_equal(device_seat(dev[GATE1], event_id, seats[12], &g, &cause), 0);
		assert_int_equal(a.key_id, device_id(dev[BO2]));
		assert_int_equal(b.key_id, device_id(dev[BO2]));
		assert_int_equal(g.key_id, device_id(dev[BO2]));
		assert_int_equal(vv_compare(&a.vv, &b.vv), VV_EQUAL);
		seat_rec_free(&a);
		seat_rec_free(&b);
		seat_rec_free(&g);
	}
	/* The other ticket is flagged: a double sale naming box office 1's ticket as the loser. */
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM conflicts WHERE "
	    "kind = 'double-sale' AND seat_id = ? AND loser_key_id = ?", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, seats[12]);
	sqlite3_bind_int64(s, 2, device_id(dev[BO1]));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
	assert_int_equal(conflicts_at(BO1, "double-sale"), 1);
}

/* The one integer sql (with ?1 bound to arg) gives in d's replica. */
static int64_t
count_in(struct device *d, const char *sql, int64_t arg)
{
	sqlite3_stmt *s;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(replica_db(device_replica(d)), sql, -1, &s, NULL),
	    SQLITE_OK);
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, arg);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/*
 * The replica of d holds exactly the server's seat states and vectors for event ev; with
 * exact, no other records either (a replica that never changed a seat the server has not).
 */
static void
assert_same_as_server(struct device *d, uint32_t ev, int exact)
{
	sqlite3_stmt *s, *t;
	int n = 0;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT seat_id, state, vv, key_id, "
	    "serial, admitted_by FROM seat_state WHERE event_id = ? ORDER BY seat_id", -1, &s,
	    NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, ev);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_int_equal(sqlite3_prepare_v2(replica_db(device_replica(d)), "SELECT state, "
		    "vv, key_id, serial, admitted_by FROM seat_state WHERE event_id = ? AND "
		    "seat_id = ?", -1, &t, NULL), SQLITE_OK);
		sqlite3_bind_int64(t, 1, ev);
		sqlite3_bind_int64(t, 2, sqlite3_column_int64(s, 0));
		assert_int_equal(sqlite3_step(t), SQLITE_ROW);
		assert_string_equal(sqlite3_column_text(t, 0), sqlite3_column_text(s, 1));
		assert_int_equal(sqlite3_column_bytes(t, 1), sqlite3_column_bytes(s, 2));
		assert_memory_equal(sqlite3_column_blob(t, 1), sqlite3_column_blob(s, 2),
		    sqlite3_column_bytes(s, 2));
		assert_int_equal(sqlite3_column_int64(t, 2), sqlite3_column_int64(s, 3));
		assert_int_equal(sqlite3_column_int64(t, 3), sqlite3_column_int64(s, 4));
		assert_int_equal(sqlite3_column_int64(t, 4), sqlite3_column_int64(s, 5));
		sqlite3_finalize(t);
		n++;
	}
	sqlite3_finalize(s);
	if (exact)
		assert_int_equal(count_in(d, "SELECT count(*) FROM seat_state WHERE event_id = ?",
		    ev), n);
}

/* Every replica holds exactly the server's seat states and vectors. */
static void
assert_converged(void)
{
	int i;

	for (i = 0; i < NDEV; i++) {
		assert_same_as_server(dev[i], event_id, 0);
		assert_int_equal(device_waiting(dev[i]), 0);
	}
}

/*
 * Random work on every device, random syncs, the server down now and then; afterwards two
 * rounds of sync and every replica holds what the server holds.
 */
static void
test_convergence_random(void **state)
{
	unsigned seed = 4242;
	int step, i, down = 0;
	int64_t t = time(NULL) + 100;

	(void)state;
	for (step = 0; step < 150; step++) {
		int d = rand_r(&seed) % NDEV, k = rand_r(&seed) % 10;
		uint32_t seat = seats[rand_r(&seed) % 20];
		enum seat_state s = state_at(d, seat, NULL);
		enum op_kind kind;

		t += rand_r(&seed) % 3;
		if (k == 0) {
			if (down)
				server_up();
			else
				server_down();
			down = !down;
			continue;
		}
		if (k <= 2) {
			struct sync_report r;
			char *cause = NULL;

			if (device_sync(dev[d], 0, &r, &cause) != 0) {
				assert_true(down);
				free(cause);
			}
			continue;
		}
		if (d <= BO2)
			kind = s == SEAT_SOLD ? OP_REFUND : OP_SELL;
		else
			kind = s == SEAT_ADMITTED ? OP_EXIT : OP_ADMIT;
		if ((kind == OP_SELL && s != SEAT_AVAILABLE && s != SEAT_VOID) ||
		    ((kind == OP_ADMIT) && s != SEAT_SOLD && s != SEAT_EXITED) ||
		    (kind == OP_REFUND && s != SEAT_SOLD))
			continue;
		change(d, kind, seat, t);
	}
	if (down)
		server_up();
	for (step = 0; step < 2; step++) {
		for (i = 0; i < NDEV; i++)
			sync_ok(i);
	}
	assert_converged();
}

/* A child that pushes; killed at a random moment, over and over. */
static void
test_killed_mid_push(void **state)
{
	sqlite3_stmt *s;
	unsigned seed = 99;
	int round, i, before, made = 0;
	int64_t t = time(NULL) + 500;
	char *cause = NULL;

	(void)state;
	sync_ok(GATE1);
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM ops WHERE "
	    "device_id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, device_id(dev[GATE1]));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	before = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);

	for (round = 0; round < 12; round++) {
		pid_t pid;
		int status;

		/* A few admissions and exits, all offline. */
		for (i = 0; i < 20; i++) {
			uint32_t seat = seats[rand_r(&seed) % 20];
			enum seat_state st_ = state_at(GATE1, seat, NULL);

			if (st_ == SEAT_SOLD || st_ == SEAT_EXITED)
				change(GATE1, OP_ADMIT, seat, ++t);
			else if (st_ == SEAT_ADMITTED)
				change(GATE1, OP_EXIT, seat, ++t);
			else
				continue;
			made++;
		}
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct device *d;
			char *c = NULL;

			if (device_open(paths[GATE1], &d, &c) != 0)
				_exit(3);
			_exit(device_push(d, NULL, &c) == 0 ? 0 : 4);
		}
		usleep((useconds_t)(rand_r(&seed) % 30000));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	/* Afterwards a clean push: every operation reaches the server exactly once. */
	if (device_push(dev[GATE1], NULL, &cause) != 0)
		fail_msg("push: %s", cause);
	assert_int_equal(device_waiting(dev[GATE1]), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM ops WHERE "
	    "device_id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, device_id(dev[GATE1]));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0) - before, made);
	sqlite3_finalize(s);
	for (i = 0; i < NDEV; i++)
		sync_ok(i);
	assert_converged();
	/* And the replica file is whole. */
	assert_int_equal(sqlite3_prepare_v2(replica_db(device_replica(dev[GATE1])),
	    "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
}

/* Wait (bounded) until cond holds; a loop over the real thing, not a fixed sleep. */
#define EVENTUALLY(cond) do {						\
	int tries_;							\
	for (tries_ = 0; tries_ < 400 && !(cond); tries_++)		\
		usleep(25000);						\
	assert_true(cond);						\
} while (0)

static int
server_has_admission(uint32_t seat, uint32_t gate)
{
	sqlite3_stmt *s;
	int found;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT 1 FROM seat_state WHERE "
	    "seat_id = ? AND state = 'admitted' AND admitted_by = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, seat);
	sqlite3_bind_int64(s, 2, gate);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static int
syncer_online(struct syncer *sy, int want)
{
	struct sync_status ss;

	syncer_status(sy, &ss);
	return ss.online == want && (want || ss.offline_since != 0);
}

static void
test_background_syncer(void **state)
{
	struct syncer *sy;
	char *cause = NULL;
	uint32_t seat = 0;
	int i;

	(void)state;
	sync_ok(GATE2);
	for (i = 0; i < 20 && seat == 0; i++) {
		if (state_at(GATE2, seats[i], NULL) == SEAT_SOLD)
			seat = seats[i];
	}
	if (seat == 0) {
		change(BO1, OP_SELL, seats[19], time(NULL));
		assert_int_equal(device_push(dev[BO1], NULL, &cause), 0);
		sync_ok(GATE2);
		seat = seats[19];
	}
	sy = syncer_start(paths[GATE2], &cause);
	if (sy == NULL)
		fail_msg("syncer: %s", cause);
	EVENTUALLY(syncer_online(sy, 1));
	/* A change here reaches the server soon after a kick. */
	change(GATE2, OP_ADMIT, seat, time(NULL) + 1000);
	syncer_kick(sy);
	EVENTUALLY(server_has_admission(seat, device_id(dev[GATE2])));
	/* The server goes away: the status says offline. */
	server_down();
	syncer_kick(sy);
	EVENTUALLY(syncer_online(sy, 0));
	server_up();
	EVENTUALLY(syncer_online(sy, 1));
	syncer_stop(sy);
}

static void
test_errors(void **state)
{
	char path[300], *cause = NULL;
	struct device *d;

	(void)state;
	/* A used code; an unreachable server; an existing replica; a missing one. */
	snprintf(path, sizeof path, "%s/x.db", dir);
	assert_int_equal(device_enroll(path, url, "AAAA-BBBB-CCCC", &d, &cause), -1);
	assert_non_null(strstr(cause, "enrollment refused"));
	free(cause);
	assert_int_equal(access(path, F_OK), -1);       /* nothing left behind */
	assert_int_equal(device_enroll(path, "http://127.0.0.1:1", "AAAA-BBBB-CCCC", &d,
	    &cause), -1);
	assert_non_null(strstr(cause, "cannot reach the server"));
	free(cause);
	assert_int_equal(device_enroll(paths[GATE1], url, "AAAA-BBBB-CCCC", &d, &cause), -1);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
	assert_int_equal(device_open(path, &d, &cause), -1);
	free(cause);
}

/* ------------------------------------------------------------------ paged bootstrap */

#define PAGE 3                  /* seats a bootstrap page here: 20 seats, 7 pages */

/* A new gate enrolled now, with no event yet. */
static struct device *
new_gate(const char *name, char *path, size_t len)
{
	struct device *d;
	char *cause = NULL, *code;
	uint32_t id;

	assert_int_equal(store_device_add(st, ROLE_GATE, name, NULL, &id, &code, &cause), 0);
	snprintf(path, len, "%s/%s.db", dir, name);
	if (device_enroll(path, url, code, &d, &cause) != 0)
		fail_msg("enroll: %s", cause);
	free(code);
	return d;
}

/* A second event at the venue, every seat available; box office 1 and gate 1 take it. */
static uint32_t
second_event(void)
{
	sqlite3_stmt *s;
	uint32_t vid, id;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT venue_id FROM events WHERE "
	    "id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, event_id);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	vid = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	id = event_at(vid, "Evening", 7200, 2000);
	sync_ok(BO1);
	sync_ok(GATE1);
	return id;
}

/*
 * What happens on the server between two bootstrap pages: box office 1 sells the last seat
 * the bootstrap has read and the first of the next page, and gate 1 admits the first of them,
 * each pushed at once. Pages go in seat id order, as seats[] does.
 */
struct pager {
	uint32_t event;
	int      pages;
	int      stop_after;    /* stop after this page (0: never): cancel, or with kill, die */
	int      kill;          /* (in a child, which must not touch the other replicas) */
	int      changes;
	int64_t  t;
};

static void
push_ok(int i)
{
	char *cause = NULL;

	if (device_push(dev[i], NULL, &cause) != 0)
		fail_msg("push of device %d: %s", i, cause);
}

static int
between_pages(void *arg, size_t read)
{
	struct pager *p = arg;
	uint32_t behind, ahead;
	char *cause = NULL;

	p->pages++;
	if (p->stop_after > 0 && p->pages == p->stop_after) {
		if (p->kill)
			raise(SIGKILL);
		return -1;
	}
	if (p->kill)
		return 0;
	assert_true(read >= 1 && read <= 20);
	behind = seats[read - 1];
	if (state_in(BO1, p->event, behind) == SEAT_AVAILABLE) {
		change_in(BO1, p->event, OP_SELL, behind, ++p->t);
		push_ok(BO1);
		if (device_pull(dev[GATE1], 0, NULL, &cause) != 0)
			fail_msg("pull: %s", cause);
		change_in(GATE1, p->event, OP_ADMIT, behind, ++p->t);
		push_ok(GATE1);
		p->changes += 2;
	}
	if (read < 20 && state_in(BO1, p->event, ahead = seats[read]) == SEAT_AVAILABLE) {
		change_in(BO1, p->event, OP_SELL, ahead, ++p->t);
		push_ok(BO1);
		p->changes++;
	}
	return 0;
}

/* Seats of event ev where d's replica differs from the server. */
static int
stale_seats(struct device *d, uint32_t ev)
{
	sqlite3_stmt *s;
	struct seat_rec r;
	char *cause = NULL;
	int n = 0;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT seat_id, state, vv FROM "
	    "seat_state WHERE event_id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, ev);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_int_equal(device_seat(d, ev, (uint32_t)sqlite3_column_int64(s, 0), &r,
		    &cause), 0);
		if (strcmp(seat_state_name(r.state), (const char *)sqlite3_column_text(s, 1)) != 0)
			n++;
		seat_rec_free(&r);
	}
	sqlite3_finalize(s);
	return n;
}

/* Nothing of event ev in the replica at path, which is whole; its pull cursor is cursor. */
static void
assert_nothing_of(const char *path, uint32_t ev, int64_t cursor)
{
	struct device *d;
	char *cause = NULL;
	int64_t now = -1;

	if (device_open(path, &d, &cause) != 0)
		fail_msg("open: %s", cause);
	assert_int_equal(count_in(d, "SELECT count(*) FROM events WHERE id = ?", ev), 0);
	assert_int_equal(count_in(d, "SELECT count(*) FROM seat_state WHERE event_id = ?", ev), 0);
	assert_int_equal(count_in(d, "SELECT count(*) FROM tiers WHERE event_id = ?", ev), 0);
	assert_int_equal(count_in(d, "SELECT count(*) FROM seats", 0), 20);   /* event 1's */
	assert_int_equal(replica_meta_get_int(device_replica(d), REPLICA_META_PULL_CURSOR, &now,
	    &cause), 0);
	assert_int_equal(now, cursor);
	assert_int_equal(count_in(d, "SELECT count(*) FROM pragma_integrity_check WHERE "
	    "integrity_check <> 'ok'", 0), 0);
	device_close(d);
}

/*
 * A new gate bootstraps an event of 20 seats in pages of 3 while box office 1 sells and gate 1
 * admits, pushing between every two pages, seats already read and seats still to come. Right
 * after the bootstrap the replica misses what changed on seats already read; the pull from the
 * first page's cursor brings it: the replica is then the server's, exactly.
 */
static void
test_bootstrap_in_pages_while_selling(void **state)
{
	struct pager p = { 0, 0, 0, 0, 0, 0 };
	struct sync_report r;
	struct device *d;
	char path[256], *cause = NULL;
	int64_t cursor = -1;
	int i;

	(void)state;
	for (i = 1; i < 20; i++)
		assert_true(seats[i] > seats[i - 1]);
	p.event = second_event();
	p.t = time(NULL) + 2000;
	d = new_gate("West gate", path, sizeof path);
	/* It has event 1 already (so its pull cursor is set), as a gate in service would. */
	if (device_bootstrap(d, event_id, &cause) != 0)
		fail_msg("bootstrap: %s", cause);
	device_set_bootstrap_page(d, PAGE, between_pages, &p);
	if (device_bootstrap(d, p.event, &cause) != 0)
		fail_msg("bootstrap: %s", cause);
	assert_int_equal(p.pages, 7);
	assert_int_equal(p.changes, 7 * 2 + 6);
	assert_int_equal(count_in(d, "SELECT count(*) FROM seats", 0), 20);
	assert_int_equal(count_in(d, "SELECT count(*) FROM events WHERE id = ?", p.event), 1);
	/* The changes to seats already read are not in the pages; the pull brings them. */
	assert_true(stale_seats(d, p.event) > 0);
	assert_int_equal(replica_meta_get_int(device_replica(d), REPLICA_META_PULL_CURSOR,
	    &cursor, &cause), 0);
	memset(&r, 0, sizeof r);
	if (device_pull(d, 0, &r, &cause) != 0)
		fail_msg("pull: %s", cause);
	assert_true(r.pulled >= p.changes / 2);
	assert_int_equal(stale_seats(d, p.event), 0);
	assert_same_as_server(d, p.event, 1);
	assert_same_as_server(d, event_id, 0);
	device_close(d);
}

/*
 * A bootstrap stopped between pages (cancelled, or the process killed) leaves nothing of the
 * event and the pull cursor where it was; the next one completes.
 */
static void
test_bootstrap_stopped_between_pages(void **state)
{
	struct pager p = { 0, 0, 0, 0, 0, 0 };
	struct device *d;
	char path[256], *cause = NULL;
	int64_t cursor = -1;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(count_in(dev[GATE1], "SELECT count(*) FROM events", 0), 2);
	p.event = (uint32_t)count_in(dev[GATE1], "SELECT max(id) FROM events", 0);
	d = new_gate("East gate", path, sizeof path);
	if (device_bootstrap(d, event_id, &cause) != 0)
		fail_msg("bootstrap: %s", cause);
	assert_int_equal(replica_meta_get_int(device_replica(d), REPLICA_META_PULL_CURSOR,
	    &cursor, &cause), 0);

	/* Cancelled after the third page. */
	p.stop_after = 3;
	device_set_bootstrap_page(d, PAGE, between_pages, &p);
	assert_int_equal(device_bootstrap(d, p.event, &cause), -1);
	assert_non_null(strstr(cause, "cancelled"));
	free(cause);
	cause = NULL;
	assert_nothing_of(path, p.event, cursor);

	/* Killed after the fourth page, in a child. */
	device_close(d);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pager kp = { 0, 0, 4, 1, 0, 0 };

		kp.event = p.event;
		if (device_open(path, &d, &cause) != 0)
			_exit(3);
		device_set_bootstrap_page(d, PAGE, between_pages, &kp);
		_exit(device_bootstrap(d, kp.event, &cause) == 0 ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_nothing_of(path, p.event, cursor);

	/* Then a whole one. */
	if (device_open(path, &d, &cause) != 0)
		fail_msg("open: %s", cause);
	device_set_bootstrap_page(d, PAGE, NULL, NULL);
	if (device_bootstrap(d, p.event, &cause) != 0 || device_pull(d, 0, NULL, &cause) != 0)
		fail_msg("bootstrap: %s", cause);
	assert_same_as_server(d, p.event, 1);
	device_close(d);
}

/*
 * A box office killed between the server's commit of an online sale and its own: the server
 * holds a sale of a leased seat for which no ticket was printed. Back offline, the cashier
 * sells the seat again. The new sale must not carry the same vector as the server's (neither
 * side would then see that they differ, and the gate would refuse the printed ticket): it
 * follows it, the server takes it, and every replica ends up with the ticket that was printed.
 */
static void
test_online_sale_killed_after_server_commit(void **state)
{
	uint32_t ev = second_event(), seat = seats[5];
	struct seat_rec rec, mine;
	struct op op;
	json_t *body, *reply = NULL;
	char *cause = NULL;
	long status = 0;
	int leased = -1;

	(void)state;
	if (device_lease(dev[BO1], ev, &seat, 1, NULL, NULL, 0, &leased, &cause) != 0)
		fail_msg("lease: %s", cause);
	assert_int_equal(leased, 1);
	sync_ok(BO1);

	/* The online sale as sale.c makes it, up to the server's answer, and no further. */
	assert_int_equal(device_seat(dev[BO1], ev, seat, &rec, &cause), 0);
	rec.state = SEAT_SOLD;
	rec.key_id = device_id(dev[BO1]);
	rec.serial = 9001;
	rec.sold_at = time(NULL);
	rec.price = 2000;
	if (device_prepare(dev[BO1], OP_SELL, &rec, "card", 901, time(NULL), &op, &cause) != 0)
		fail_msg("prepare: %s", cause);
	body = json_pack("{s:[o]}", "ops", proto_op_to_compact(&op));
	assert_int_equal(device_call(dev[BO1], "POST", PROTO_PREFIX "/sell", body, 0, &status, &reply,
	    &cause), 0);
	assert_int_equal(status, 200);
	json_decref(body);
	json_decref(reply);
	op_free(&op);
	seat_rec_free(&rec);
	/* ... killed here: the replica never recorded it. */

	/* Offline, the seat (still leased here) is sold again, and a ticket printed. */
	server_down();
	change_in(BO1, ev, OP_SELL, seat, time(NULL));
	server_up();
	sync_ok(BO1);
	sync_ok(BO1);
	sync_ok(GATE1);

	/* Everywhere the seat is the sale whose ticket was printed. */
	assert_int_equal(device_seat(dev[BO1], ev, seat, &mine, &cause), 0);
	assert_int_equal(mine.serial, seat * 10 + BO1);
	seat_rec_free(&mine);
	assert_same_as_server(dev[BO1], ev, 0);
	assert_same_as_server(dev[GATE1], ev, 0);
	assert_int_equal(count_in(dev[BO1], "SELECT count(*) FROM pending WHERE seat_id = ?",
	    seat), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_sale_reaches_gate_by_long_poll),
		cmocka_unit_test(test_offline_duplicate_admission),
		cmocka_unit_test(test_leases_and_forced_double_sale),
		cmocka_unit_test(test_convergence_random),
		cmocka_unit_test(test_killed_mid_push),
		cmocka_unit_test(test_background_syncer),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bootstrap_in_pages_while_selling),
		cmocka_unit_test(test_bootstrap_stopped_between_pages),
		cmocka_unit_test(test_online_sale_killed_after_server_commit),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
