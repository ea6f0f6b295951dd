/*
 * test_fault_partition.c: partitions and clocks.
 *
 *   - a gate cut off from the server for N scans (2,000; 10,000 under TESSERA_TORTURE) while a
 *     second gate, also cut off, admits some of the same tickets: every scan is decided at
 *     once from the replica; when the server is back every entry reaches it exactly once,
 *     every duplicate is flagged exactly once, and the other replicas converge;
 *   - devices whose clock is an hour ahead or behind: their first request is refused for the
 *     clock and retried with the server's time (X-Tessera-Server-Time), so sync, online sales
 *     and online entries work, and the corrected offset is kept in the replica.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fault.h"
#include "gate.h"
#include "sale.h"

enum { BO, GATE1, GATE2, NDEV };

static struct world w;
static int nscans;

static int
setup(void **state)
{
	static const int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_GATE, ROLE_GATE };
	int i;

	(void)state;
	nscans = fault_torture() ? 10000 : 2000;
	/* Two sections of rows of 100: room for every scan and the clock tests. */
	world_setup(&w, "partition", nscans / 200 + 1, 100, roles, NDEV);
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

/* Sell n seats from index from at the box office, online, in orders of up to 500. */
static char **
sell_many(int from, int n)
{
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o;
	uint32_t *ids = xcalloc(500, sizeof *ids);
	char **qr = xcalloc((size_t)n, sizeof *qr), *cause = NULL;
	int done = 0, k, m;

	while (done < n) {
		m = n - done > 500 ? 500 : n - done;
		for (k = 0; k < m; k++)
			ids[k] = w.seats[from + done + k];
		memset(&req, 0, sizeof req);
		req.event_id = w.event_id;
		req.seats = ids;
		req.nseats = (size_t)m;
		req.pay = "card";
		req.reference = "partition";
		if (sale_sell(w.dev[BO], &req, &o, &ref, &cause) != 0)
			fail_msg("sell: %s", cause);
		assert_int_equal(o->online, 1);
		for (k = 0; k < m; k++)
			qr[done + k] = xstrdup(o->tickets[k].qr);
		sale_order_free(o);
		done += m;
	}
	free(ids);
	return qr;
}

static void
test_gate_offline_for_many_scans(void **state)
{
	struct gate_verdict v;
	struct sync_report r1, r2;
	char **qr, *cause = NULL;
	int k, admitted = 0, dup = nscans / 100;
	double t0, scan_s, push_s, pull_s;
	int64_t conflicts;

	(void)state;
	qr = sell_many(0, nscans);
	world_sync(&w, GATE1, NULL);
	world_sync(&w, GATE2, NULL);

	/* The network goes: both gates keep admitting from their replicas. */
	server_stop(w.srv);
	w.srv = NULL;
	t0 = fault_now();
	for (k = 0; k < nscans; k++) {
		if (gate_check(w.dev[GATE1], qr[k], GATE_ENTRY, 0, &v, &cause) != 0)
			fail_msg("scan %d: %s", k, cause);
		if (!v.admit || v.route != GATE_ROUTE_OFFLINE)
			fail_msg("scan %d: %s %s", k, gate_reason_code(v.reason),
			    gate_route_name(v.route));
		admitted++;
	}
	scan_s = fault_now() - t0;
	/* The same tickets, copied, at the other gate (later): duplicates to flag. */
	for (k = 0; k < dup; k++) {
		assert_int_equal(gate_check(w.dev[GATE2], qr[k * 97 % nscans], GATE_ENTRY, 1, &v,
		    &cause), 0);
		assert_true(v.admit);
	}
	assert_int_equal(device_waiting(w.dev[GATE1]), nscans);

	/* The network is back. */
	{
		struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };

		cfg.port = w.port;
		if (server_start(w.st, &cfg, &w.srv, &cause) != 0)
			fail_msg("server_start: %s", cause);
	}
	t0 = fault_now();
	world_sync(&w, GATE1, &r1);
	push_s = fault_now() - t0;
	assert_int_equal(r1.pushed, nscans);
	assert_int_equal(r1.waiting, 0);
	world_sync(&w, GATE2, &r2);
	world_sync(&w, GATE1, NULL);
	t0 = fault_now();
	world_sync(&w, BO, NULL);
	pull_s = fault_now() - t0;

	/* Every entry on the server once; every duplicate flagged once, at both gates. */
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM ops WHERE device_id = ? "
	    "AND kind = 'admit'", 1, (int64_t)device_id(w.dev[GATE1])), nscans);
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM seat_state WHERE "
	    "event_id = ? AND state = 'admitted'", 1, (int64_t)w.event_id), nscans);
	conflicts = fault_int(store_db(w.st), "SELECT count(*) FROM conflicts WHERE kind = "
	    "'duplicate-admission'", 0);
	assert_int_equal(conflicts, dup);
	assert_int_equal(fault_int(replica_db(device_replica(w.dev[GATE1])), "SELECT count(*) FROM "
	    "conflicts WHERE kind = 'duplicate-admission'", 0), dup);
	assert_int_equal(fault_int(replica_db(device_replica(w.dev[BO])), "SELECT count(*) FROM "
	    "seat_state WHERE event_id = ? AND state = 'admitted'", 1, (int64_t)w.event_id),
	    nscans);
	for (k = 0; k < NDEV; k++)
		assert_true(fault_integrity_ok(replica_db(device_replica(w.dev[k]))));
	assert_true(fault_integrity_ok(store_db(w.st)));
	fault_figure("partition", "gate offline for %d scans: %.0f scans/s decided alone "
	    "(%.2f ms each); back online: %d entries pushed in %.2f s, %d duplicates flagged "
	    "(of %d made), a box office pulled them in %.2f s; lost 0, doubled 0", admitted,
	    admitted / scan_s, 1000 * scan_s / admitted, r1.pushed, push_s, (int)conflicts, dup,
	    pull_s);
	for (k = 0; k < nscans; k++)
		free(qr[k]);
	free(qr);
}

/* Reopen device i with its clock offset set to off (as if its clock were that wrong). */
static void
set_offset(int i, int64_t off)
{
	char *cause = NULL;

	assert_int_equal(replica_meta_set_int(device_replica(w.dev[i]), "clock_offset", off,
	    &cause), 0);
	device_close(w.dev[i]);
	if (device_open(w.path[i], &w.dev[i], &cause) != 0)
		fail_msg("reopen: %s", cause);
	device_set_online_timeout(w.dev[i], 5000);
	assert_true(device_now(w.dev[i]) - time(NULL) >= off - 2 &&
	    device_now(w.dev[i]) - time(NULL) <= off + 2);
}

static int64_t
saved_offset(int i)
{
	int64_t off = 99999;
	char *cause = NULL;

	assert_int_equal(replica_meta_get_int(device_replica(w.dev[i]), "clock_offset", &off,
	    &cause), 0);
	return off;
}

/* Sell these seats at the box office; must work online. */
static struct sale_order *
sell_online(const uint32_t *seats, size_t n)
{
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o;
	char *cause = NULL;

	memset(&req, 0, sizeof req);
	req.event_id = w.event_id;
	req.seats = seats;
	req.nseats = n;
	req.pay = "cash";
	req.tendered = -1;
	if (sale_sell(w.dev[BO], &req, &o, &ref, &cause) != 0)
		fail_msg("sell with the clock off: %s", cause);
	assert_int_equal(o->online, 1);
	return o;
}

static void
test_clocks_an_hour_off(void **state)
{
	struct gate_verdict v;
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o;
	uint32_t seat;
	char *cause = NULL;
	int64_t skew[2] = { 3600, -3600 }, first_off[2];
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		/*
		 * The box office an hour off sells online: the first request is refused for the
		 * clock and retried on the server's time. The sale made before any answer carries
		 * the device's own time; the next one the server's.
		 */
		set_offset(BO, skew[round]);
		seat = w.seats[w.nseats - 1 - (size_t)round * 2];
		o = sell_online(&seat, 1);
		first_off[round] = o->created_at - (int64_t)time(NULL);
		sale_order_free(o);
		assert_true(saved_offset(BO) >= -2 && saved_offset(BO) <= 2);
		seat = w.seats[w.nseats - 2 - (size_t)round * 2];
		o = sell_online(&seat, 1);
		assert_true(o->created_at >= time(NULL) - 5 && o->created_at <= time(NULL) + 5);
		/* The gate an hour off the other way syncs, then admits online on the right time. */
		set_offset(GATE1, -skew[round]);
		world_sync(&w, GATE1, NULL);
		assert_true(saved_offset(GATE1) >= -2 && saved_offset(GATE1) <= 2);
		assert_int_equal(gate_check(w.dev[GATE1], o->tickets[0].qr, GATE_ENTRY, 0, &v,
		    &cause), 0);
		assert_true(v.admit);
		assert_int_equal(v.route, GATE_ROUTE_ONLINE);
		assert_true(v.at >= time(NULL) - 5 && v.at <= time(NULL) + 5);
		sale_order_free(o);
	}
	/* Offline, a wrong clock cannot be corrected: the ticket still passes the gate. */
	{
		uint32_t one = w.seats[w.nseats - 5];
		int n = 0;

		if (device_lease(w.dev[BO], w.event_id, &one, 1, NULL, NULL, 0, &n, &cause) != 0)
			fail_msg("lease: %s", cause);
		set_offset(BO, 3600);           /* the lease call corrected it: wrong again */
		device_set_offline(w.dev[BO], 1);
		memset(&req, 0, sizeof req);
		req.event_id = w.event_id;
		req.seats = &one;
		req.nseats = 1;
		req.pay = "cash";
		req.tendered = -1;
		if (sale_sell(w.dev[BO], &req, &o, &ref, &cause) != 0)
			fail_msg("offline sale an hour ahead: %s", cause);
		assert_int_equal(o->online, 0);
		assert_true(o->created_at > time(NULL) + 3000);
	}
	device_set_offline(w.dev[BO], 0);
	assert_int_equal(gate_check(w.dev[GATE1], o->tickets[0].qr, GATE_ENTRY, 1, &v, &cause), 0);
	assert_true(v.admit);
	sale_order_free(o);
	world_sync(&w, BO, NULL);
	world_sync(&w, GATE1, NULL);
	assert_int_equal(device_waiting(w.dev[BO]) + device_waiting(w.dev[GATE1]), 0);
	fault_figure("clocks", "box office and gate with clocks 1 h ahead and 1 h behind: online "
	    "sale, online entry and sync work (corrected from %s, offset kept); the sale made "
	    "before the first answer is stamped %+lld s / %+lld s off, every later one right; an "
	    "offline sale an hour ahead is admitted and synced", PROTO_H_SERVER_TIME,
	    (long long)first_off[0], (long long)first_off[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_offline_for_many_scans),
		cmocka_unit_test(test_clocks_an_hour_off),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
