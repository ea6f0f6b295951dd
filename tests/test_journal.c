/*
 * test_journal.c: the hash-chained sales journal and the shifts: a known answer for the hash,
 * a chain that verifies, every alteration of every entry found, and the shift report's sums.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "journal.h"
#include "replica.h"
#include "xmalloc.h"

#define DEV 7

static int
setup(void **state)
{
	struct replica *r;
	char *cause = NULL;

	if (replica_open(":memory:", 1, &r, &cause) != 0)
		fail_msg("replica_open: %s", cause);
	*state = r;
	return 0;
}

static int
teardown(void **state)
{
	replica_close(*state);
	return 0;
}

static void
exec(sqlite3 *db, const char *sql)
{
	char *cause = NULL;

	if (db_exec(db, sql, &cause) != 0)
		fail_msg("%s: %s", sql, cause);
}

static void
test_hash_known_answer(void **state)
{
	uint8_t zero[JOURNAL_HASHBYTES] = { 0 }, h1[JOURNAL_HASHBYTES], h2[JOURNAL_HASHBYTES];
	char hex[JOURNAL_HEX_LEN];

	(void)state;
	/* BLAKE2b-256 of 32 zero bytes || "tessera/journal/v1\n1\n1700000000\n1\nshift-open\n{...}",
	 * computed independently (Python hashlib.blake2b(digest_size=32)). */
	journal_hash(zero, 1, 1700000000, 1, "shift-open", "{\"device\":7,\"float\":10000}", h1);
	journal_hex(h1, hex);
	assert_string_equal(hex, "5f2db73af36f82278d6932810e233cd10858d3bd0ff657cf172d4ca24a58bee7");
	journal_hash(h1, 2, 1700000060, 1, "sale", "{}", h2);
	journal_hex(h2, hex);
	assert_string_equal(hex, "222cc11b48110506efb7879e2996e14c32a4cf3bff32f07f299cfa6e90d9f6ab");
}

/* A sale entry as sale.c writes it. */
static void
sale(sqlite3 *db, int64_t shift, int64_t at, int order, const char *pay, int64_t total, int n)
{
	char body[512], *cause = NULL;
	int64_t seq;
	size_t off;
	int i;

	off = (size_t)snprintf(body, sizeof body, "{\"order\":%d,\"event\":1,\"currency\":\"EUR\","
	    "\"pay\":\"%s\",\"total\":%" PRId64 ",\"tickets\":[", order, pay, total);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(body + off, sizeof body - off, "%s{\"seat\":%d,\"label\":"
		    "\"A-1-%d\",\"serial\":%d,\"price\":%" PRId64 "}", i ? "," : "", order * 10 + i,
		    i + 1, order * 10 + i, total / n);
	snprintf(body + off, sizeof body - off, "]}");
	if (journal_append(db, at, shift, "sale", body, &seq, &cause) != 0)
		fail_msg("journal_append: %s", cause);
}

static void
refund(sqlite3 *db, int64_t shift, int64_t at, int order, const char *pay, int64_t amount)
{
	char body[256], *cause = NULL;

	snprintf(body, sizeof body, "{\"order\":%d,\"pay\":\"%s\",\"amount\":%" PRId64 ","
	    "\"tickets\":[{\"seat\":1,\"label\":\"A-1-1\",\"serial\":1,\"price\":%" PRId64 "}]}",
	    order, pay, amount, amount);
	if (journal_append(db, at, shift, "refund", body, NULL, &cause) != 0)
		fail_msg("journal_append: %s", cause);
}

/* A day at the box office: a float of 100.00, cash, card and comp sales, a cash refund. */
static struct shift
day(sqlite3 *db, int close)
{
	struct shift sh, again;
	char *cause = NULL;

	if (journal_shift_open(db, DEV, 1000, 10000, &sh, &cause) != 0)
		fail_msg("open: %s", cause);
	assert_int_equal(journal_shift_open(db, DEV, 1001, 0, &again, &cause), -1);
	assert_non_null(strstr(cause, "already open"));
	free(cause);
	cause = NULL;
	sale(db, sh.id, 1010, 1, "cash", 9000, 2);      /* 2 x 45.00 */
	sale(db, sh.id, 1020, 2, "card", 3000, 1);
	sale(db, sh.id, 1030, 3, "comp", 0, 2);
	sale(db, sh.id, 1040, 4, "cash", 4500, 1);
	refund(db, sh.id, 1050, 1, "cash", 4500);
	if (journal_append(db, 1060, sh.id, "reprint", "{\"order\":2}", NULL, &cause) != 0)
		fail_msg("reprint: %s", cause);
	if (close && journal_shift_close(db, DEV, 1100, 18000, &sh, &cause) != 0)
		fail_msg("close: %s", cause);
	return sh;
}

static void
test_chain_verifies(void **state)
{
	sqlite3 *db = replica_db(*state);
	uint8_t head[JOURNAL_HASHBYTES], h[JOURNAL_HASHBYTES], prev[JOURNAL_HASHBYTES] = { 0 };
	int64_t seq = -1, n = -1;
	sqlite3_stmt *s;
	char *cause = NULL;
	struct shift sh;

	assert_int_equal(journal_head(db, &seq, head, &cause), 0);
	assert_int_equal(seq, 0);
	assert_memory_equal(head, prev, sizeof head);
	assert_int_equal(journal_verify(db, &n, NULL, &cause), 0);
	assert_int_equal(n, 0);

	sh = day(db, 1);
	assert_int_equal(journal_verify(db, &n, NULL, &cause), 0);
	assert_int_equal(n, 8);             /* open, 4 sales, refund, reprint, close */
	assert_int_equal(journal_head(db, &seq, head, &cause), 0);
	assert_int_equal(seq, 8);
	assert_int_equal(sh.head_seq, 8);
	assert_memory_equal(sh.head, head, sizeof head);

	/* Recompute the chain by hand from the rows. */
	s = db_prepare(db, "SELECT seq, at, shift_id, kind, body, hash FROM journal ORDER BY seq");
	while (sqlite3_step(s) == SQLITE_ROW) {
		journal_hash(prev, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		    sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3),
		    (const char *)sqlite3_column_text(s, 4), h);
		assert_memory_equal(h, sqlite3_column_blob(s, 5), sizeof h);
		memcpy(prev, h, sizeof h);
	}
	sqlite3_finalize(s);
	assert_memory_equal(prev, head, sizeof head);
}

static void
test_append_only(void **state)
{
	sqlite3 *db = replica_db(*state);
	char *cause = NULL;

	day(db, 0);
	assert_int_equal(db_exec(db, "UPDATE journal SET body = '{}' WHERE seq = 2", &cause), -1);
	assert_non_null(strstr(cause, "never changed"));
	free(cause);
	cause = NULL;
	assert_int_equal(db_exec(db, "DELETE FROM journal WHERE seq = 2", &cause), -1);
	assert_non_null(strstr(cause, "never deleted"));
	free(cause);
}

/* Run sql with the triggers out of the way, check that verify finds entry bad, roll back. */
static void
tampered(sqlite3 *db, const char *sql, int64_t bad, const char *why)
{
	int64_t got = -1;
	char *cause = NULL;

	exec(db, "BEGIN");
	exec(db, "PRAGMA defer_foreign_keys = ON");
	exec(db, "DROP TRIGGER journal_no_update");
	exec(db, "DROP TRIGGER journal_no_delete");
	exec(db, sql);
	if (journal_verify(db, NULL, &got, &cause) != 1)
		fail_msg("not detected: %s", sql);
	if (got != bad)
		fail_msg("%s: entry %" PRId64 " reported, want %" PRId64 " (%s)", sql, got, bad,
		    cause);
	if (strstr(cause, why) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", sql, cause, why);
	free(cause);
	exec(db, "ROLLBACK");
	assert_int_equal(journal_verify(db, NULL, NULL, NULL), 0);
}

static void
test_tampering_detected(void **state)
{
	sqlite3 *db = replica_db(*state);
	char sql[256];
	int64_t i;

	day(db, 1);
	for (i = 1; i <= 8; i++) {
		snprintf(sql, sizeof sql, "UPDATE journal SET at = at + 1 WHERE seq = %" PRId64, i);
		tampered(db, sql, i, "altered");
		snprintf(sql, sizeof sql, "UPDATE journal SET shift_id = shift_id + 1 WHERE seq = %"
		    PRId64, i);
		tampered(db, sql, i, "altered");
		snprintf(sql, sizeof sql, "UPDATE journal SET kind = 'reprint' WHERE seq = %" PRId64
		    " AND kind <> 'reprint'", i);
		if (i != 7)
			tampered(db, sql, i, "altered");
		snprintf(sql, sizeof sql, "UPDATE journal SET body = substr(body, 1, length(body) - "
		    "1) || 'x' WHERE seq = %" PRId64, i);
		tampered(db, sql, i, "altered");
		snprintf(sql, sizeof sql, "UPDATE journal SET body = body || ' ' WHERE seq = %"
		    PRId64, i);
		tampered(db, sql, i, "altered");
		snprintf(sql, sizeof sql, "UPDATE journal SET hash = zeroblob(32) WHERE seq = %"
		    PRId64, i);
		tampered(db, sql, i, "altered");
	}
	/* A middle entry removed, two swapped, one inserted. */
	tampered(db, "DELETE FROM journal WHERE seq = 4", 4, "missing");
	tampered(db, "UPDATE journal SET seq = 1003 WHERE seq = 3; UPDATE journal SET seq = 3 "
	    "WHERE seq = 4; UPDATE journal SET seq = 4 WHERE seq = 1003", 3, "altered");
	tampered(db, "UPDATE journal SET seq = seq + 100 WHERE seq >= 5; UPDATE journal SET "
	    "seq = seq - 99 WHERE seq >= 105; INSERT INTO journal SELECT 5, at, shift_id, kind, "
	    "body, hash FROM journal WHERE seq = 4", 5, "altered");
	/* The newest entries cut off: the closed shift's head is gone. */
	tampered(db, "DELETE FROM journal WHERE seq = 8", 8, "cut short");
	tampered(db, "DELETE FROM journal WHERE seq >= 6", 8, "cut short");
	/* The shift's recorded head changed. */
	tampered(db, "UPDATE shifts SET head_hash = zeroblob(32)", 8, "another hash");
}

/* Flip single bits of a stored hash, from C. */
static void
test_hash_bit_flips(void **state)
{
	sqlite3 *db = replica_db(*state);
	uint8_t h[JOURNAL_HASHBYTES];
	sqlite3_stmt *s;
	int64_t got;
	int bit;

	day(db, 0);
	s = db_prepare(db, "SELECT hash FROM journal WHERE seq = 3");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	memcpy(h, sqlite3_column_blob(s, 0), sizeof h);
	sqlite3_finalize(s);
	exec(db, "DROP TRIGGER journal_no_update");
	for (bit = 0; bit < 8 * JOURNAL_HASHBYTES; bit++) {
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		s = db_prepare(db, "UPDATE journal SET hash = ? WHERE seq = 3");
		sqlite3_bind_blob(s, 1, h, sizeof h, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
		got = 0;
		assert_int_equal(journal_verify(db, NULL, &got, NULL), 1);
		assert_int_equal(got, 3);
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	s = db_prepare(db, "UPDATE journal SET hash = ? WHERE seq = 3");
	sqlite3_bind_blob(s, 1, h, sizeof h, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	assert_int_equal(journal_verify(db, NULL, NULL, NULL), 0);
}

static void
test_shift_report(void **state)
{
	sqlite3 *db = replica_db(*state);
	struct shift_report r;
	struct shift sh, cur;
	char *cause = NULL, *text, *csv, hex[JOURNAL_HEX_LEN];

	sh = day(db, 0);
	assert_int_equal(journal_shift_current(db, DEV, &cur, &cause), 0);
	assert_int_equal(cur.id, sh.id);
	assert_int_equal(journal_shift_report(db, sh.id, &r, &cause), 0);
	assert_int_equal(r.orders, 4);
	assert_int_equal(r.tickets, 6);
	assert_int_equal(r.refunds, 1);
	assert_int_equal(r.reprints, 1);
	assert_int_equal(r.pay[SHIFT_CASH].tickets, 3);
	assert_int_equal(r.pay[SHIFT_CASH].sales, 13500);
	assert_int_equal(r.pay[SHIFT_CASH].refunded, 4500);
	assert_int_equal(r.pay[SHIFT_CARD].sales, 3000);
	assert_int_equal(r.pay[SHIFT_COMP].tickets, 2);
	assert_int_equal(r.pay[SHIFT_COMP].sales, 0);
	assert_int_equal(r.net, 12000);
	assert_int_equal(r.expected_cash, 10000 + 13500 - 4500);
	assert_string_equal(r.currency, "EUR");
	assert_true(r.intact);
	assert_int_equal(r.head_seq, 7);

	/* Close 1.00 short. */
	assert_int_equal(journal_shift_close(db, DEV, 2000, 18900, &sh, &cause), 0);
	assert_int_equal(journal_shift_current(db, DEV, &cur, &cause), 1);
	assert_int_equal(journal_shift_last(db, DEV, &cur, &cause), 0);
	assert_int_equal(cur.id, sh.id);
	assert_int_equal(cur.counted, 18900);
	assert_int_equal(journal_shift_report(db, sh.id, &r, &cause), 0);
	assert_int_equal(r.head_seq, 8);
	text = journal_report_text(&r);
	assert_non_null(strstr(text, "Expected cash"));
	assert_non_null(strstr(text, "190.00 EUR"));
	assert_non_null(strstr(text, "189.00 EUR"));
	assert_non_null(strstr(text, "-1.00 EUR  (short)"));
	assert_non_null(strstr(text, "chain intact"));
	journal_hex(r.head, hex);
	assert_non_null(strstr(text, hex));
	free(text);
	csv = journal_report_csv(&r);
	assert_non_null(strstr(csv, "item,method,count,amount\n"));
	assert_non_null(strstr(csv, "sales,cash,3,135.00\n"));
	assert_non_null(strstr(csv, "refunds,cash,1,45.00\n"));
	assert_non_null(strstr(csv, "sales,card,1,30.00\n"));
	assert_non_null(strstr(csv, "sales,comp,2,0.00\n"));
	assert_non_null(strstr(csv, "net,,5,120.00\n"));
	assert_non_null(strstr(csv, "expected_cash,,,190.00\n"));
	assert_non_null(strstr(csv, "counted_cash,,,189.00\n"));
	assert_non_null(strstr(csv, "difference,,,-1.00\n"));
	assert_non_null(strstr(csv, hex));
	free(csv);

	/* Closing again: nothing open. A new shift starts from nothing. */
	assert_int_equal(journal_shift_close(db, DEV, 2001, 0, &sh, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(journal_shift_ensure(db, DEV, 3000, &cur, &cause), 0);
	assert_int_equal(journal_shift_report(db, cur.id, &r, &cause), 0);
	assert_int_equal(r.tickets, 0);
	assert_int_equal(r.expected_cash, 0);
	assert_int_equal(r.entries, 1);
	assert_int_equal(journal_shift_ensure(db, DEV, 3001, &sh, &cause), 0);
	assert_int_equal(sh.id, cur.id);    /* the open one, not another */
	assert_int_equal(journal_shift_report(db, 999, &r, &cause), 1);

	/* A tampered journal shows in the report. */
	exec(db, "DROP TRIGGER journal_no_update");
	exec(db, "UPDATE journal SET body = replace(body, '\"cash\"', '\"card\"') WHERE seq = 2");
	assert_int_equal(journal_shift_report(db, 1, &r, &cause), 0);
	assert_false(r.intact);
	text = journal_report_text(&r);
	assert_non_null(strstr(text, "BROKEN"));
	assert_non_null(strstr(text, "entry 2"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_known_answer),
		cmocka_unit_test_setup_teardown(test_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampering_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_bit_flips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shift_report, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
