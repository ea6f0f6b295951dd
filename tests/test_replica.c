/* test_replica.c: the replica schema, reopening, meta accessors and the constraints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "replica.h"
#include "xmalloc.h"

struct tmp {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct tmp	*t = xcalloc(1, sizeof *t);

	snprintf(t->dir, sizeof t->dir, "/tmp/tessera-test-replica.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof t->path, "%s/replica.db", t->dir);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tmp	*t = *state;
	char		 buf[160];

	unlink(t->path);
	snprintf(buf, sizeof buf, "%s-wal", t->path);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s-shm", t->path);
	unlink(buf);
	rmdir(t->dir);
	free(t);
	return 0;
}

static struct replica *
must_open(const char *path, int create)
{
	struct replica	*r = NULL;
	char		*cause = NULL;

	if (replica_open(path, create, &r, &cause) != 0)
		fail_msg("replica_open %s: %s", path, cause);
	return r;
}

static int
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = db_prepare(db, sql);
	int		 v;

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *
query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = db_prepare(db, sql);
	char		*v;

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* Run sql; expect success (want NULL) or an error whose message holds want. */
static void
exec_expect(sqlite3 *db, const char *sql, const char *want)
{
	char	*cause = NULL;
	int	 rc = db_exec(db, sql, &cause);

	if (want == NULL) {
		if (rc != 0)
			fail_msg("%s: %s", sql, cause);
		return;
	}
	if (rc == 0)
		fail_msg("%s: accepted (expecting \"%s\")", sql, want);
	if (strstr(cause, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", sql, cause, want);
	free(cause);
}

static const char *tables[] = {
	"meta", "venues", "seats", "events", "tiers", "tier_sections", "seat_state", "orders",
	"order_tickets", "admissions", "scan_log", "devices", "certificates", "outbox",
	"conflicts", "leases", "shifts", "journal", "pending", "unanswered",
};

static void
test_tables(void **state)
{
	struct tmp	*t = *state;
	struct replica	*r = must_open(t->path, 1);
	sqlite3		*db = replica_db(r);
	sqlite3_stmt	*st;
	size_t		 i;

	st = db_prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	    "name = ?1");
	for (i = 0; i < nitems(tables); i++) {
		sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		if (sqlite3_column_int(st, 0) != 1)
			fail_msg("no table %s", tables[i]);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	    "AND name NOT LIKE 'sqlite_%'"), (int)nitems(tables));
	assert_int_equal(query_int(db, "PRAGMA user_version"), 5);
	assert_int_equal(query_int(db, "PRAGMA application_id"), REPLICA_APPLICATION_ID);
	replica_close(r);
	replica_close(NULL);
}

static void
test_reopen_keeps_data(void **state)
{
	struct tmp	*t = *state;
	struct replica	*r;
	char		*cause = NULL, *v = NULL;
	int64_t		 n = 0;

	r = must_open(t->path, 1);
	assert_int_equal(replica_meta_set(r, REPLICA_META_NAME, "Gate 3 (north)", &cause), 0);
	assert_int_equal(replica_meta_set_int(r, REPLICA_META_DEVICE_ID, 17, &cause), 0);
	exec_expect(replica_db(r), "INSERT INTO venues VALUES (1, 'Odeon')", NULL);
	replica_close(r);

	r = must_open(t->path, 0);
	assert_int_equal(replica_meta_get(r, REPLICA_META_NAME, &v, &cause), 0);
	assert_string_equal(v, "Gate 3 (north)");
	free(v);
	assert_int_equal(replica_meta_get_int(r, REPLICA_META_DEVICE_ID, &n, &cause), 0);
	assert_int_equal(n, 17);
	assert_int_equal(query_int(replica_db(r), "SELECT count(*) FROM venues"), 1);
	replica_close(r);
}

static void
test_meta(void **state)
{
	struct replica	*r;
	char		*cause = NULL, *v = (char *)"untouched";
	int64_t		 n = 99;

	(void)state;
	r = must_open(":memory:", 1);
	assert_int_equal(replica_meta_get(r, "nothing", &v, &cause), 1);
	assert_string_equal(v, "untouched");
	assert_int_equal(replica_meta_get_int(r, "nothing", &n, &cause), 1);
	assert_int_equal(n, 99);
	assert_null(cause);

	/* Replace; text that looks like a number stays text, exactly. */
	assert_int_equal(replica_meta_set(r, REPLICA_META_TLS_PIN, "first", &cause), 0);
	assert_int_equal(replica_meta_set(r, REPLICA_META_TLS_PIN, "00012", &cause), 0);
	assert_int_equal(replica_meta_get(r, REPLICA_META_TLS_PIN, &v, &cause), 0);
	assert_string_equal(v, "00012");
	free(v);
	assert_int_equal(replica_meta_get_int(r, REPLICA_META_TLS_PIN, &n, &cause), -1);
	assert_non_null(strstr(cause, "not an integer"));
	free(cause);
	cause = NULL;
	assert_int_equal(n, 99);

	/* Integers, to the extremes; an integer reads as text too. */
	assert_int_equal(replica_meta_set_int(r, REPLICA_META_CLOCK_OFFSET, INT64_MIN, &cause), 0);
	assert_int_equal(replica_meta_get_int(r, REPLICA_META_CLOCK_OFFSET, &n, &cause), 0);
	assert_true(n == INT64_MIN);
	assert_int_equal(replica_meta_set_int(r, REPLICA_META_NEXT_SERIAL, INT64_MAX, &cause), 0);
	assert_int_equal(replica_meta_get_int(r, REPLICA_META_NEXT_SERIAL, &n, &cause), 0);
	assert_true(n == INT64_MAX);
	assert_int_equal(replica_meta_get(r, REPLICA_META_NEXT_SERIAL, &v, &cause), 0);
	assert_string_equal(v, "9223372036854775807");
	free(v);

	assert_int_equal(replica_meta_delete(r, REPLICA_META_NEXT_SERIAL, &cause), 0);
	assert_int_equal(replica_meta_delete(r, REPLICA_META_NEXT_SERIAL, &cause), 0);
	assert_int_equal(replica_meta_get_int(r, REPLICA_META_NEXT_SERIAL, &n, &cause), 1);

	/* Inside a transaction that rolls back, a set is undone. */
	assert_int_equal(db_begin(replica_db(r), &cause), 0);
	assert_int_equal(replica_meta_set_int(r, REPLICA_META_PULL_CURSOR, 5, &cause), 0);
	db_rollback(replica_db(r));
	assert_int_equal(replica_meta_get_int(r, REPLICA_META_PULL_CURSOR, &n, &cause), 1);

	/* An empty key is refused by the schema. */
	assert_int_equal(replica_meta_set(r, "", "x", &cause), -1);
	assert_non_null(strstr(cause, "CHECK"));
	free(cause);
	replica_close(r);
}

/* A venue with two seats, a second venue with one, an event at the first. */
static void
fixture(sqlite3 *db)
{
	exec_expect(db,
	    "INSERT INTO venues VALUES (1, 'Odeon'), (2, 'Park');"
	    "INSERT INTO seats (id, venue_id, section, row, number, label) VALUES "
	    "    (10, 1, 'A', '1', 1, 'A-1-1'), (11, 1, 'A', '1', 2, 'A-1-2'),"
	    "    (20, 2, 'B', '1', 1, 'B-1-1');"
	    "INSERT INTO seats (id, venue_id, section, row, number, label, ga) VALUES "
	    "    (12, 1, 'FLOOR', 'GA', 1, 'FLOOR-GA-1', 1);"
	    "INSERT INTO events (id, venue_id, name, starts_at, doors_at, currency, reentry) "
	    "    VALUES (100, 1, 'Hamlet', 1700003600, 1700000000, 'EUR', 1);"
	    "INSERT INTO tiers VALUES (100, 0, 'Stalls', 4500), (100, 1, 'Floor', 3000);"
	    "INSERT INTO tier_sections VALUES (100, 0, 'A'), (100, 1, 'FLOOR');"
	    "INSERT INTO seat_state (event_id, seat_id, changed_at) VALUES "
	    "    (100, 10, 1700000000), (100, 11, 1700000000), (100, 12, 1700000000);"
	    "INSERT INTO devices VALUES (5, 'Box 1', 'boxoffice', '', NULL),"
	    "    (6, 'Gate 1', 'gate', 'A,FLOOR', NULL);",
	    NULL);
}

static void
test_foreign_keys(void **state)
{
	struct replica	*r;
	sqlite3		*db;

	(void)state;
	r = must_open(":memory:", 1);
	db = replica_db(r);
	fixture(db);
	exec_expect(db, "INSERT INTO seats (id, venue_id, section, row, number, label) "
	    "VALUES (30, 9, 'A', '1', 1, 'A-1-1')", "FOREIGN KEY constraint failed");
	exec_expect(db, "INSERT INTO seat_state (event_id, seat_id) VALUES (999, 10)",
	    "FOREIGN KEY constraint failed");
	exec_expect(db, "INSERT INTO seat_state (event_id, seat_id) VALUES (100, 999)",
	    "FOREIGN KEY constraint failed");
	exec_expect(db, "INSERT INTO tier_sections VALUES (100, 7, 'Z')",
	    "FOREIGN KEY constraint failed");
	exec_expect(db, "INSERT INTO certificates VALUES (77, x'00')",
	    "FOREIGN KEY constraint failed");
	exec_expect(db, "INSERT INTO leases VALUES (100, 20, 1)",
	    "FOREIGN KEY constraint failed");
	exec_expect(db, "INSERT INTO admissions (event_id, seat_id, device_id, at, route, "
	    "generation) VALUES (100, 20, 6, 1, 'offline', 0)", "FOREIGN KEY constraint failed");
	/* A seat of another venue cannot be in the event. */
	exec_expect(db, "INSERT INTO seat_state (event_id, seat_id) VALUES (100, 20)",
	    "not in the event's venue");
	/* A venue with events cannot go; deleting an event takes its seat states along. */
	exec_expect(db, "DELETE FROM venues WHERE id = 1", "FOREIGN KEY constraint failed");
	exec_expect(db, "DELETE FROM events WHERE id = 100", NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM seat_state"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM tiers"), 0);
	replica_close(r);
}

static void
test_checks(void **state)
{
	struct replica	*r;
	sqlite3		*db;

	(void)state;
	r = must_open(":memory:", 1);
	db = replica_db(r);
	fixture(db);
	exec_expect(db, "UPDATE seat_state SET state = 'reserved' WHERE seat_id = 10",
	    "CHECK constraint failed");
	exec_expect(db, "UPDATE seat_state SET state = 'SOLD', key_id = 5 WHERE seat_id = 10",
	    "CHECK constraint failed");
	exec_expect(db, "UPDATE seat_state SET state = 'held', hold_until = 1700000600 "
	    "WHERE seat_id = 10", NULL);
	/* A sold seat names its ticket's issuer; an admitted one says when. */
	exec_expect(db, "UPDATE seat_state SET state = 'sold' WHERE seat_id = 11",
	    "CHECK constraint failed");
	exec_expect(db, "UPDATE seat_state SET state = 'sold', key_id = 5, serial = 1, "
	    "sold_at = 1700000100, price = 4500 WHERE seat_id = 11", NULL);
	exec_expect(db, "UPDATE seat_state SET state = 'admitted' WHERE seat_id = 11",
	    "CHECK constraint failed");
	exec_expect(db, "UPDATE seat_state SET state = 'admitted', admitted_at = 1700003000, "
	    "admitted_by = 6 WHERE seat_id = 11", NULL);
	exec_expect(db, "UPDATE seat_state SET vv = '1:1' WHERE seat_id = 11",
	    "CHECK constraint failed");

	exec_expect(db, "INSERT INTO orders (device_id, event_id, created_at, payment, total) "
	    "VALUES (5, 100, 1, 'cheque', 0)", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO orders (device_id, event_id, created_at, payment, total) "
	    "VALUES (5, 100, 1, 'cash', 4500)", "CHECK constraint failed");   /* no tendered */
	exec_expect(db, "INSERT INTO orders (device_id, event_id, created_at, payment, total, "
	    "tendered) VALUES (5, 100, 1, 'cash', 4500, 4000)", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO orders (device_id, event_id, created_at, payment, total) "
	    "VALUES (5, 100, 1, 'comp', 4500)", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO orders (id, device_id, event_id, created_at, payment, "
	    "total, tendered) VALUES (1, 5, 100, 1, 'cash', 4500, 5000)", NULL);
	exec_expect(db, "INSERT INTO order_tickets (order_id, event_id, seat_id, serial, "
	    "generation, price, qr_text) VALUES (1, 100, 11, 1, 0, 4500, 'TS1:XYZ')", NULL);
	exec_expect(db, "INSERT INTO order_tickets (order_id, event_id, seat_id, serial, "
	    "generation, price, qr_text) VALUES (1, 100, 10, 1, 0, 4500, 'TS1:XYZ')",
	    "UNIQUE constraint failed: order_tickets.serial");

	exec_expect(db, "INSERT INTO scan_log (at, raw, verdict) VALUES (1, 'x', 'maybe')",
	    "CHECK constraint failed");
	exec_expect(db, "INSERT INTO scan_log (at, raw, verdict, mode) VALUES "
	    "(1, 'x', 'deny', 'sideways')", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO scan_log (at, raw, verdict, reason) VALUES "
	    "(1, 'garbage', 'deny', 'not a ticket')", NULL);
	exec_expect(db, "INSERT INTO admissions (event_id, seat_id, device_id, at, route, "
	    "generation) VALUES (100, 11, 6, 1, 'teleport', 0)", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO devices VALUES (7, 'X', 'printer', '', NULL)",
	    "CHECK constraint failed");
	exec_expect(db, "INSERT INTO conflicts (event_id, seat_id, kind, at) VALUES "
	    "(100, 11, 'double-sale', 1)", NULL);
	exec_expect(db, "INSERT INTO conflicts (event_id, seat_id, kind, at) VALUES "
	    "(100, 11, 'mystery', 1)", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO conflicts (event_id, seat_id, kind, at) VALUES "
	    "(100, 11, 'double-sale', 2)", "UNIQUE constraint failed");
	exec_expect(db, "INSERT INTO tier_sections VALUES (100, 1, 'A')",
	    "UNIQUE constraint failed");
	exec_expect(db, "INSERT INTO events (id, venue_id, name, starts_at, doors_at, currency) "
	    "VALUES (101, 1, 'Late', 10, 20, 'EUR')", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO events (id, venue_id, name, starts_at, doors_at, currency) "
	    "VALUES (101, 1, 'Late', 20, 10, 'eur')", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO seats (id, venue_id, section, row, number, label) "
	    "VALUES (13, 1, 'A', '1', 3, 'A-1-4')", "CHECK constraint failed");
	exec_expect(db, "INSERT INTO seats (id, venue_id, section, row, number, label) "
	    "VALUES (13, 1, 'A', '1', 2, 'A-1-2')", "UNIQUE constraint failed");
	exec_expect(db, "INSERT INTO outbox VALUES (5, 0, 'sell', 100, 11, '{}', 1)",
	    "CHECK constraint failed");
	exec_expect(db, "INSERT INTO outbox VALUES (5, 1, 'sell', 100, 11, '{}', 1)", NULL);
	exec_expect(db, "INSERT INTO outbox VALUES (5, 1, 'sell', 100, 11, '{}', 1)",
	    "UNIQUE constraint failed");
	replica_close(r);
}

static void
test_wal_and_integrity(void **state)
{
	struct tmp	*t = *state;
	struct replica	*r;
	char		*s;

	r = must_open(t->path, 1);
	fixture(replica_db(r));
	s = query_text(replica_db(r), "PRAGMA journal_mode");
	assert_string_equal(s, "wal");
	free(s);
	s = query_text(replica_db(r), "PRAGMA integrity_check");
	assert_string_equal(s, "ok");
	free(s);
	assert_int_equal(query_int(replica_db(r), "SELECT count(*) FROM pragma_foreign_key_check"),
	    0);
	replica_close(r);
}

static void
test_refusals(void **state)
{
	struct tmp	*t = *state;
	struct replica	*r = (struct replica *)&r;
	sqlite3		*db;
	char		*cause = NULL;
	static const struct db_migration other[] = {
		{ 1, "CREATE TABLE server_things (x);" },
	};

	assert_int_equal(replica_open(t->path, 0, &r, &cause), -1);
	assert_non_null(strstr(cause, "no such replica/store"));
	free(cause);
	assert_ptr_equal(r, (struct replica *)&r);

	/* Another Tessera store (another application id) is not taken for a replica. */
	assert_int_equal(db_open(t->path, 1, other, 1, &db, &cause), 0);
	db_close(db);
	assert_int_equal(replica_open(t->path, 0, &r, &cause), -1);
	assert_non_null(strstr(cause, "not a device replica"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_foreign_keys),
		cmocka_unit_test(test_checks),
		cmocka_unit_test_setup_teardown(test_wal_and_integrity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
