/*
 * test_fault_restore.c: the server's store goes back to an older backup, after the devices had
 * pushed (and deleted from their outboxes) and pulled past it. Every device must notice (the
 * store epoch, docs/reliability.md) and send again what the server lost; nothing may be lost,
 * doubled or silently skipped, and every replica converges with the server. Also: a plain
 * restart is not taken for a restore, and a device killed in the middle of its recovery, over
 * and over, still sends each lost change exactly once.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "fault.h"
#include "gate.h"
#include "sale.h"

enum { BO1, BO2, GATE1, GATE2, NDEV };

static struct world w;

static int
setup(void **state)
{
	static const int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_BOXOFFICE, ROLE_GATE, ROLE_GATE };
	int i;

	(void)state;
	world_setup(&w, "restore", 4, 10, roles, NDEV);
	for (i = 0; i < NDEV; i++)
		device_set_online_timeout(w.dev[i], 5000);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	world_teardown(&w);
	return 0;
}

/* Sell seats (indexes into w.seats) at box office i, online or offline; must work. */
static struct sale_order *
sell(int i, int from, int n, int offline)
{
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o = NULL;
	uint32_t ids[64];
	char *cause = NULL;
	int k;

	for (k = 0; k < n; k++)
		ids[k] = w.seats[from + k];
	memset(&req, 0, sizeof req);
	req.event_id = w.event_id;
	req.seats = ids;
	req.nseats = (size_t)n;
	req.pay = "cash";
	req.tendered = -1;
	device_set_offline(w.dev[i], offline);
	if (sale_sell(w.dev[i], &req, &o, &ref, &cause) != 0)
		fail_msg("sell at %d: %s", i, cause);
	device_set_offline(w.dev[i], 0);
	return o;
}

/* A gate's verdict on a ticket; must be admit (or exit). */
static void
admit(int g, const char *qr, enum gate_mode mode, int offline)
{
	struct gate_verdict v;
	char *cause = NULL;

	device_set_offline(w.dev[g], offline);
	if (gate_check(w.dev[g], qr, mode, offline, &v, &cause) != 0)
		fail_msg("gate_check: %s", cause);
	device_set_offline(w.dev[g], 0);
	if (!v.admit)
		fail_msg("gate %d refused %s: %s", g, v.label, gate_reason_code(v.reason));
	assert_int_equal(v.route, offline ? GATE_ROUTE_OFFLINE : GATE_ROUTE_ONLINE);
}

/* A consistent copy of the live store, the way tessera-sync backup makes it. */
static void
backup(const char *to)
{
	sqlite3 *src, *dst;
	sqlite3_backup *b;

	assert_int_equal(sqlite3_open_v2(w.dbpath, &src, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open(to, &dst), SQLITE_OK);
	assert_non_null(b = sqlite3_backup_init(dst, "main", src, "main"));
	assert_int_equal(sqlite3_backup_step(b, -1), SQLITE_DONE);
	assert_int_equal(sqlite3_backup_finish(b), SQLITE_OK);
	sqlite3_close(dst);
	sqlite3_close(src);
}

/* Stop the server, put the backup in place of its store, start it again. */
static void
restore(const char *from)
{
	char cmd[1200];

	world_server_down(&w);
	snprintf(cmd, sizeof cmd, "rm -f '%s-wal' '%s-shm' && cp '%s' '%s'", w.dbpath, w.dbpath,
	    from, w.dbpath);
	assert_int_equal(system(cmd), 0);
	world_server_up(&w);
}

/* A copy of the server's seat states: the business fields of each row, as text. */
static char *
snapshot(sqlite3 *db)
{
	sqlite3_stmt *s;
	size_t len = 0, cap = 4096;
	char *out = xmalloc(cap);

	out[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seat_id, state, generation, key_id, serial, "
	    "price, sold_at, admitted_by, admitted_at, exited_at, moves FROM seat_state WHERE "
	    "event_id = ? ORDER BY seat_id", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, w.event_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (cap - len < 256) {
			cap *= 2;
			out = xreallocarray(out, cap, 1);
		}
		len += (size_t)snprintf(out + len, cap - len, "%lld %s %d %lld %lld %lld %lld %lld "
		    "%lld %lld %d\n", (long long)sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1), sqlite3_column_int(s, 2),
		    (long long)sqlite3_column_int64(s, 3), (long long)sqlite3_column_int64(s, 4),
		    (long long)sqlite3_column_int64(s, 5), (long long)sqlite3_column_int64(s, 6),
		    (long long)sqlite3_column_int64(s, 7), (long long)sqlite3_column_int64(s, 8),
		    (long long)sqlite3_column_int64(s, 9), sqlite3_column_int(s, 10));
	}
	sqlite3_finalize(s);
	return out;
}

/* The snapshot's line for a seat ("" when none). */
static void
snapshot_line(const char *snap, uint32_t seat, char *buf, size_t len)
{
	char key[24];
	const char *p = snap, *e;

	snprintf(key, sizeof key, "%u ", seat);
	buf[0] = '\0';
	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		if (strncmp(p, key, strlen(key)) == 0) {
			snprintf(buf, len, "%.*s", (int)(e - p), p);
			return;
		}
		p = e != NULL ? e + 1 : NULL;
	}
}

/* Every replica holds the server's records (state, vector, sale, entry) and nothing waits. */
static void
assert_converged(void)
{
	sqlite3_stmt *s, *t;
	int i;

	for (i = 0; i < NDEV; i++) {
		assert_int_equal(sqlite3_prepare_v2(store_db(w.st), "SELECT seat_id, state, vv, key_id, "
		    "serial, admitted_by, moves FROM seat_state WHERE event_id = ?", -1, &s, NULL),
		    SQLITE_OK);
		sqlite3_bind_int64(s, 1, w.event_id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			assert_int_equal(sqlite3_prepare_v2(replica_db(device_replica(w.dev[i])),
			    "SELECT state, vv, key_id, serial, admitted_by, moves FROM seat_state WHERE "
			    "event_id = ? AND seat_id = ?", -1, &t, NULL), SQLITE_OK);
			sqlite3_bind_int64(t, 1, w.event_id);
			sqlite3_bind_int64(t, 2, sqlite3_column_int64(s, 0));
			if (sqlite3_step(t) != SQLITE_ROW)
				fail_msg("device %d lacks seat %lld", i,
				    (long long)sqlite3_column_int64(s, 0));
			assert_string_equal(sqlite3_column_text(t, 0), sqlite3_column_text(s, 1));
			assert_int_equal(sqlite3_column_bytes(t, 1), sqlite3_column_bytes(s, 2));
			assert_memory_equal(sqlite3_column_blob(t, 1), sqlite3_column_blob(s, 2),
			    sqlite3_column_bytes(s, 2));
			assert_int_equal(sqlite3_column_int64(t, 2), sqlite3_column_int64(s, 3));
			assert_int_equal(sqlite3_column_int64(t, 3), sqlite3_column_int64(s, 4));
			assert_int_equal(sqlite3_column_int64(t, 4), sqlite3_column_int64(s, 5));
			assert_int_equal(sqlite3_column_int64(t, 5), sqlite3_column_int64(s, 6));
			sqlite3_finalize(t);
		}
		sqlite3_finalize(s);
		assert_int_equal(device_waiting(w.dev[i]), 0);
		assert_true(fault_integrity_ok(replica_db(device_replica(w.dev[i]))));
	}
	assert_true(fault_integrity_ok(store_db(w.st)));
}

static int64_t
server_ops(int dev, const char *kind, uint32_t seat)
{
	return fault_int(store_db(w.st), "SELECT count(*) FROM ops WHERE device_id = ? AND "
	    "seat_id = ? AND kind = (SELECT CASE ? WHEN 0 THEN 'sell' WHEN 1 THEN 'refund' WHEN 2 "
	    "THEN 'admit' ELSE 'exit' END)", 3, (int64_t)device_id(w.dev[dev]), (int64_t)seat,
	    (int64_t)(strcmp(kind, "sell") == 0 ? 0 : strcmp(kind, "refund") == 0 ? 1 :
	    strcmp(kind, "admit") == 0 ? 2 : 3));
}

static char *
meta_text(int i, const char *key)
{
	char *v = NULL, *cause = NULL;

	if (replica_meta_get(device_replica(w.dev[i]), key, &v, &cause) != 0)
		return xstrdup("");
	return v;
}

/* A plain restart (no restore): every device verifies the new epoch and recovers nothing. */
static void
test_restart_is_not_a_restore(void **state)
{
	struct sync_report r;
	struct sale_order *o;
	char epoch[STORE_EPOCH_LEN + 1], *v;
	uint64_t seq;
	int i;

	(void)state;
	o = sell(BO1, 0, 5, 0);
	admit(GATE1, o->tickets[0].qr, GATE_ENTRY, 0);
	admit(GATE1, o->tickets[1].qr, GATE_ENTRY, 0);
	sale_order_free(o);
	for (i = 0; i < NDEV; i++)
		world_sync(&w, i, NULL);
	world_server_down(&w);
	world_server_up(&w);
	store_epoch(w.st, epoch, &seq);
	for (i = 0; i < NDEV; i++) {
		world_sync(&w, i, &r);
		assert_int_equal(r.recovered, 0);
		assert_int_equal(r.resent, 0);
		v = meta_text(i, "server_epoch");
		assert_string_equal(v, epoch);
		free(v);
	}
	assert_converged();
}

static void
test_restore_from_older_backup(void **state)
{
	struct sync_report r[NDEV], again;
	struct sale_order *o1, *o2, *o3;
	char bpath[300], *expected, *now, a[200], b[200], *cause = NULL;
	uint32_t leased[3];
	int i, k, n, missing = 0, doubled = 0, resent = 0, awaiting = 0;
	double t0;

	(void)state;
	snprintf(bpath, sizeof bpath, "%s/backup.db", w.dir);
	backup(bpath);

	/* After the backup: online and offline sales, a refund, entries and an exit. */
	o1 = sell(BO1, 10, 5, 0);                               /* online: never in an outbox */
	{
		struct sale_order *ref = NULL;

		assert_int_equal(sale_refund(w.dev[BO1], 1, w.seats[2], &ref, &cause), 0);
		sale_order_free(ref);
	}
	world_sync(&w, BO1, NULL);
	for (k = 0; k < 3; k++)
		leased[k] = w.seats[20 + k];
	if (device_lease(w.dev[BO2], w.event_id, leased, 3, NULL, NULL, 0, &n, &cause) != 0)
		fail_msg("lease: %s", cause);
	o2 = sell(BO2, 20, 3, 1);                               /* offline, then pushed */
	world_sync(&w, BO2, NULL);
	o3 = sell(BO1, 15, 1, 0);                               /* online; BO2 never hears */
	sale_order_free(o3);
	admit(GATE1, o1->tickets[0].qr, GATE_ENTRY, 0);
	admit(GATE1, o1->tickets[1].qr, GATE_ENTRY, 0);
	admit(GATE1, o1->tickets[2].qr, GATE_ENTRY, 0);
	admit(GATE1, o1->tickets[3].qr, GATE_ENTRY, 1);         /* offline, then pushed */
	admit(GATE1, o1->tickets[0].qr, GATE_EXIT, 0);
	world_sync(&w, GATE1, NULL);
	world_sync(&w, GATE2, NULL);                            /* pulled past the backup */
	assert_int_equal(device_waiting(w.dev[BO2]) + device_waiting(w.dev[GATE1]), 0);
	expected = snapshot(store_db(w.st));

	/* The store goes back; the restored server sells on, past every device's cursor. */
	restore(bpath);
	o3 = sell(BO2, 40, 30, 0);
	sale_order_free(o3);
	o3 = sell(BO2, 15, 1, 0);       /* BO1 sold it after the backup: a double sale to come */

	/* Every device syncs: the one that only pulled first. */
	t0 = fault_now();
	for (i = 0; i < NDEV; i++) {
		int d = (GATE2 + i) % NDEV;

		world_sync(&w, d, &r[d]);
		assert_int_equal(r[d].recovered, 1);
		resent += r[d].resent;
		awaiting += r[d].awaiting;
	}
	assert_int_equal(r[GATE2].resent, 0);
	assert_true(r[GATE2].awaiting > 0);     /* it holds changes others must send again */
	assert_int_equal(r[BO1].resent, 7);     /* 6 sales and a refund */
	assert_int_equal(r[BO2].resent, 3);
	assert_int_equal(r[GATE1].resent, 4);   /* 3 entries online, 1 offline (1 then left) */
	for (i = 0; i < NDEV; i++) {
		char *m1 = meta_text(i, "server_seen"), *m2 = meta_text(i, "server_epoch");

		world_sync(&w, i, &again);
		if (again.recovered)
			print_message("device %d recovered again; before: seen %s epoch %s\n", i, m1, m2);
		free(m1);
		free(m2);
		assert_int_equal(again.recovered, 0);
		assert_int_equal(again.resent, 0);
	}

	/* Every seat as it was before the restore: nothing lost. */
	now = snapshot(store_db(w.st));
	for (k = 0; k < (int)w.nseats; k++) {
		snapshot_line(expected, w.seats[k], a, sizeof a);
		if (a[0] == '\0')
			continue;
		snapshot_line(now, w.seats[k], b, sizeof b);
		if (strcmp(a, b) != 0) {
			print_message("seat %u: was \"%s\", now \"%s\"\n", w.seats[k], a, b);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	/* Each lost change sent again exactly once: no doubled sale, refund or entry. */
	for (k = 10; k < 16; k++)
		doubled += server_ops(BO1, "sell", w.seats[k]) != 1;
	doubled += server_ops(BO1, "refund", w.seats[2]) != 1;
	for (k = 20; k < 23; k++)
		doubled += server_ops(BO2, "sell", w.seats[k]) != 1;
	for (k = 11; k < 14; k++)
		doubled += server_ops(GATE1, "admit", w.seats[k]) != 1;
	doubled += server_ops(GATE1, "exit", w.seats[10]) != 1;
	assert_int_equal(doubled, 0);
	/* The re-sent sales keep their payment for the reports. */
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM ops WHERE device_id = ? "
	    "AND kind = 'sell' AND pay = 'cash' AND order_no IS NOT NULL", 1,
	    (int64_t)device_id(w.dev[BO1])), 11);
	/* The seat sold twice across the restore is flagged, not silently settled. */
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM conflicts WHERE kind = "
	    "'double-sale' AND seat_id = ? AND loser_key_id = ?", 2, (int64_t)w.seats[15],
	    (int64_t)device_id(w.dev[BO2])), 1);
	assert_converged();
	fault_figure("restore", "devices 4, changes lost by the restore and sent again %d, "
	    "seats awaiting another device %d, lost %d, doubled %d, recovery of all devices "
	    "%.2f s", resent, awaiting, missing, doubled, 0.0 + (fault_now() - t0));
	free(expected);
	free(now);
	sale_order_free(o1);
	sale_order_free(o2);
	sale_order_free(o3);
}

/* Of the 8 seats from, how many the server has as sold by box office 1. */
static int
sold_on_server(int from)
{
	int k, n = 0;

	for (k = from; k < from + 8; k++)
		n += fault_int(store_db(w.st), "SELECT count(*) FROM seat_state WHERE event_id = ? AND "
		    "seat_id = ? AND state = 'sold' AND key_id = ?", 3, (int64_t)w.event_id,
		    (int64_t)w.seats[k], (int64_t)device_id(w.dev[BO1])) == 1;
	return n;
}

/* A device killed at random moments of its recovery still sends each change once. */
static void
test_recovery_killed(void **state)
{
	struct sync_report r;
	struct sale_order *o;
	char bpath[300], progress[256] = "";
	unsigned seed = 7;
	size_t len = 0;
	int round, k, kills = 0, doubled = 0, rounds = fault_torture() ? 40 : 12;

	(void)state;
	snprintf(bpath, sizeof bpath, "%s/backup2.db", w.dir);
	backup(bpath);
	o = sell(BO1, 30, 8, 0);
	sale_order_free(o);
	world_sync(&w, BO1, NULL);
	restore(bpath);
	assert_int_equal(sold_on_server(30), 0);
	for (round = 0; round < rounds; round++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			struct device *d;
			struct sync_report cr;
			char *c = NULL;

			if (device_open(w.path[BO1], &d, &c) != 0)
				_exit(3);
			_exit(device_sync(d, 0, &cr, &c) == 0 ? 0 : 4);
		}
		/* A whole recovery takes some milliseconds: kill ever later, at random. */
		usleep((useconds_t)(rand_r(&seed) % (2000 + 800 * (unsigned)round)));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status))
			kills++;                /* killed before it finished */
		if (len < sizeof progress - 8)
			len += (size_t)snprintf(progress + len, sizeof progress - len, "%s%d",
			    round > 0 ? "," : "", sold_on_server(30));
	}
	world_sync(&w, BO1, &r);
	assert_int_equal(sold_on_server(30), 8);
	for (k = 30; k < 38; k++)
		doubled += server_ops(BO1, "sell", w.seats[k]) != 1;
	assert_int_equal(doubled, 0);
	for (k = 0; k < NDEV; k++)
		world_sync(&w, k, NULL);
	assert_converged();
	fault_figure("restore-killed", "%d rounds, the device killed in %d of them before its "
	    "sync ended; lost sales back on the server after each round: %s; doubled %d", rounds,
	    kills, progress, doubled);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_is_not_a_restore),
		cmocka_unit_test(test_restore_from_older_backup),
		cmocka_unit_test(test_recovery_killed),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
