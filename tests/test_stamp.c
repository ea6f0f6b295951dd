/*
 * test_stamp.c: one change, one time. A sale, a refund or an entry reads the clock once and
 * stamps everything of it with that reading: the order, the seat (sold_at, admitted_at and
 * changed_at), the admission and the scan, and the operation the server records. The clock
 * may tick over between any two readings; before this was so, an entry whose two readings
 * fell on either side of a second ended up with an admission at T and an operation at T + 1
 * on the server (t40-crash.sh: "lost 1, doubled 1", about one run in ten under torture).
 *
 * This binary is linked with -Wl,--wrap=time (Makefile), so every time() call of the library
 * comes here. While a test "ticks", each call from the test's own thread returns at least one
 * second more than the one before: the worst case, every reading on a new second. The server
 * (its own threads) keeps the real clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fault.h"
#include "gate.h"
#include "sale.h"

time_t __real_time(time_t *t);
time_t __wrap_time(time_t *t);

static _Thread_local int ticking;
static _Thread_local time_t last;

time_t
__wrap_time(time_t *t)
{
	time_t now = __real_time(NULL);

	if (ticking) {
		if (now <= last)
			now = last + 1;
		last = now;
	}
	if (t != NULL)
		*t = now;
	return now;
}

static void
tick(int on)
{
	ticking = on;
}

enum { BO, GATE, NDEV };

static struct world w;
static struct sale_order *offline_order, *online_order;

static int
setup(void **state)
{
	static const int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_GATE };
	char *cause = NULL;
	int leased = 0;

	(void)state;
	world_setup(&w, "stamp", 2, 10, roles, NDEV);
	device_set_online_timeout(w.dev[BO], 5000);
	device_set_online_timeout(w.dev[GATE], 5000);
	/* The first three seats for selling offline. */
	if (device_lease(w.dev[BO], w.event_id, w.seats, 3, NULL, NULL, 0, &leased, &cause) != 0)
		fault_die("lease: %s", cause);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sale_order_free(offline_order);
	sale_order_free(online_order);
	world_teardown(&w);
	return 0;
}

static sqlite3 *
rdb(int i)
{
	return replica_db(device_replica(w.dev[i]));
}

/* Seats w.seats[from..from+n) sold at the box office while the clock ticks. */
static struct sale_order *
sell(int from, int n, int offline)
{
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o = NULL;
	uint32_t ids[8];
	char *cause = NULL;
	int k, rc;

	for (k = 0; k < n; k++)
		ids[k] = w.seats[from + k];
	memset(&req, 0, sizeof req);
	req.event_id = w.event_id;
	req.seats = ids;
	req.nseats = (size_t)n;
	req.pay = "cash";
	req.tendered = -1;
	device_set_offline(w.dev[BO], offline);
	tick(1);
	rc = sale_sell(w.dev[BO], &req, &o, &ref, &cause);
	tick(0);
	device_set_offline(w.dev[BO], 0);
	if (rc != 0)
		fail_msg("sell: %s", cause);
	assert_int_equal(o->online, !offline);
	return o;
}

/* The replica's seat fields (sold_at, admitted_at, changed_at) of seat at device i. */
static int64_t
seat_field(int i, const char *col, uint32_t seat)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT %s FROM seat_state WHERE event_id = ? AND seat_id = ?",
	    col);
	return fault_int(rdb(i), sql, 2, (int64_t)w.event_id, (int64_t)seat);
}

/* The time of the operation of kind on seat waiting in device i's outbox. */
static int64_t
outbox_at(int i, const char *kind, uint32_t seat)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT json_extract(body, '$[3]') FROM outbox WHERE "
	    "event_id = ? AND seat_id = ? AND kind = '%s'", kind);
	return fault_int(rdb(i), sql, 2, (int64_t)w.event_id, (int64_t)seat);
}

/* The time the server recorded for device i's only operation of kind on seat. */
static int64_t
server_at(int i, const char *kind, uint32_t seat)
{
	sqlite3_stmt *s;
	int64_t at = -1;
	int n = 0;

	assert_int_equal(sqlite3_prepare_v2(store_db(w.st), "SELECT at FROM ops WHERE "
	    "device_id = ? AND kind = ? AND event_id = ? AND seat_id = ?", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, device_id(w.dev[i]));
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, w.event_id);
	sqlite3_bind_int64(s, 4, seat);
	while (sqlite3_step(s) == SQLITE_ROW) {
		at = sqlite3_column_int64(s, 0);
		n++;
	}
	sqlite3_finalize(s);
	assert_int_equal(n, 1);
	return at;
}

static void
push(int i)
{
	struct sync_report rep;
	char *cause = NULL;

	memset(&rep, 0, sizeof rep);
	if (device_push(w.dev[i], &rep, &cause) != 0)
		fail_msg("push: %s", cause);
	assert_int_equal(device_waiting(w.dev[i]), 0);
}

/* The library's clock is this file's: two readings while ticking are a second apart. */
static void
test_clock_ticks(void **state)
{
	int64_t a, b;

	(void)state;
	tick(1);
	a = device_now(w.dev[BO]);
	b = device_now(w.dev[BO]);
	tick(0);
	assert_true(b > a);
}

/* A sale: the order, each seat and each operation, here (offline) and on the server. */
static struct sale_order *
sale(int from, int n, int offline)
{
	struct sale_order *o = sell(from, n, offline);
	int64_t t;
	size_t k;

	t = fault_int(rdb(BO), "SELECT created_at FROM orders WHERE id = ?", 1, (int64_t)o->id);
	for (k = 0; k < o->n; k++) {
		uint32_t seat = o->tickets[k].seat_id;

		assert_int_equal(seat_field(BO, "sold_at", seat), t);
		assert_int_equal(seat_field(BO, "changed_at", seat), t);
		if (offline)
			assert_int_equal(outbox_at(BO, "sell", seat), t);
	}
	if (offline)
		push(BO);
	assert_int_equal(device_waiting(w.dev[BO]), 0);
	for (k = 0; k < o->n; k++)
		assert_int_equal(server_at(BO, "sell", o->tickets[k].seat_id), t);
	return o;
}

static void
test_offline_sale(void **state)
{
	(void)state;
	offline_order = sale(0, 2, 1);
}

static void
test_online_sale(void **state)
{
	(void)state;
	online_order = sale(10, 2, 0);
}

/* An entry at the gate: the admission, the scan, the seat and the operation. */
static void
entry(const struct sale_ticket *tk, int offline)
{
	struct gate_verdict v;
	char *cause = NULL;
	int64_t t;
	int rc;

	device_set_offline(w.dev[GATE], offline);
	tick(1);
	rc = gate_check(w.dev[GATE], tk->qr, GATE_ENTRY, offline, &v, &cause);
	tick(0);
	device_set_offline(w.dev[GATE], 0);
	if (rc != 0)
		fail_msg("gate_check: %s", cause);
	if (!v.admit)
		fail_msg("refused %s: %s", v.label, gate_reason_code(v.reason));
	assert_int_equal(v.route, offline ? GATE_ROUTE_OFFLINE : GATE_ROUTE_ONLINE);
	t = fault_int(rdb(GATE), "SELECT at FROM admissions WHERE event_id = ? AND seat_id = ?",
	    2, (int64_t)w.event_id, (int64_t)tk->seat_id);
	assert_int_equal(t, v.at);
	assert_int_equal(fault_int(rdb(GATE), "SELECT max(at) FROM scan_log WHERE event_id = ? "
	    "AND seat_id = ? AND verdict = 'admit'", 2, (int64_t)w.event_id,
	    (int64_t)tk->seat_id), t);
	assert_int_equal(seat_field(GATE, "admitted_at", tk->seat_id), t);
	assert_int_equal(seat_field(GATE, "changed_at", tk->seat_id), t);
	if (offline) {
		assert_int_equal(outbox_at(GATE, "admit", tk->seat_id), t);
		push(GATE);
	}
	/* What t40-crash.sh counts: the admission and the server's operation, by seat and time. */
	assert_int_equal(server_at(GATE, "admit", tk->seat_id), t);
}

static void
test_offline_entry(void **state)
{
	(void)state;
	assert_non_null(offline_order);
	entry(&offline_order->tickets[0], 1);
}

static void
test_online_entry(void **state)
{
	(void)state;
	assert_non_null(online_order);
	entry(&online_order->tickets[0], 0);
}

/* A refund: the ticket's refunded_at, the seat and the operation. */
static void
test_refund(void **state)
{
	uint32_t seat;
	char *cause = NULL;
	int64_t t;
	int rc;

	(void)state;
	assert_non_null(offline_order);
	seat = offline_order->tickets[1].seat_id;
	tick(1);
	rc = sale_refund(w.dev[BO], offline_order->id, seat, NULL, &cause);
	tick(0);
	if (rc != 0)
		fail_msg("refund: %s", cause);
	t = fault_int(rdb(BO), "SELECT refunded_at FROM order_tickets WHERE order_id = ? AND "
	    "seat_id = ?", 2, (int64_t)offline_order->id, (int64_t)seat);
	assert_int_equal(seat_field(BO, "changed_at", seat), t);
	assert_int_equal(outbox_at(BO, "refund", seat), t);
	push(BO);
	assert_int_equal(server_at(BO, "refund", seat), t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_ticks),
		cmocka_unit_test(test_offline_sale),
		cmocka_unit_test(test_online_sale),
		cmocka_unit_test(test_offline_entry),
		cmocka_unit_test(test_online_entry),
		cmocka_unit_test(test_refund),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
