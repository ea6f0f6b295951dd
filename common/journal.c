/*
 * journal.c: the sales journal (a hash chain over SQLite rows) and the cash-drawer shifts.
 *
 * The journal is append-only by construction (journal_append is the only writer; triggers
 * refuse UPDATE and DELETE) and by proof: each row stores BLAKE2b-256(previous hash || entry),
 * so journal_verify finds any row changed, removed, inserted or reordered by someone who went
 * round the triggers with another SQLite client. What the chain alone cannot show is the newest
 * entries cut off: each shift's close records the head, and the printed report shows it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "cart.h"
#include "db.h"
#include "journal.h"
#include "keys.h"
#include "timefmt.h"
#include "xmalloc.h"

#define JOURNAL_DOMAIN  "tessera/journal/v1"

static const char *pay_names[SHIFT_NPAY] = { "cash", "card", "comp" };

const char *
journal_pay_name(int i)
{
	if (i < 0 || i >= SHIFT_NPAY)
		return "unknown";
	return pay_names[i];
}

int
journal_pay_parse(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < SHIFT_NPAY; i++) {
		if (strcmp(name, pay_names[i]) == 0)
			return i;
	}
	return -1;
}

void
journal_hash(const uint8_t prev[JOURNAL_HASHBYTES], int64_t seq, int64_t at, int64_t shift,
    const char *kind, const char *body, uint8_t out[JOURNAL_HASHBYTES])
{
	crypto_generichash_state st;
	char head[96];
	int n;

	keys_init();
	n = snprintf(head, sizeof head, JOURNAL_DOMAIN "\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n",
	    seq, at, shift);
	crypto_generichash_init(&st, NULL, 0, JOURNAL_HASHBYTES);
	crypto_generichash_update(&st, prev, JOURNAL_HASHBYTES);
	crypto_generichash_update(&st, (const unsigned char *)head, (unsigned long long)n);
	crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)body, strlen(body));
	crypto_generichash_final(&st, out, JOURNAL_HASHBYTES);
}

void
journal_hex(const uint8_t h[JOURNAL_HASHBYTES], char buf[JOURNAL_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < JOURNAL_HASHBYTES; i++) {
		buf[2 * i] = digits[h[i] >> 4];
		buf[2 * i + 1] = digits[h[i] & 15];
	}
	buf[2 * JOURNAL_HASHBYTES] = '\0';
}

int
journal_head(sqlite3 *db, int64_t *seq, uint8_t head[JOURNAL_HASHBYTES], char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = db_prepare(db, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 1) != JOURNAL_HASHBYTES) {
			set_cause(cause, "journal entry %lld: a hash that is not %d bytes",
			    (long long)sqlite3_column_int64(s, 0), JOURNAL_HASHBYTES);
			sqlite3_finalize(s);
			return -1;
		}
		*seq = sqlite3_column_int64(s, 0);
		memcpy(head, sqlite3_column_blob(s, 1), JOURNAL_HASHBYTES);
	} else if (rc == SQLITE_DONE) {
		*seq = 0;
		memset(head, 0, JOURNAL_HASHBYTES);
	} else {
		*cause = db_error(db, "reading the journal");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
journal_append(sqlite3 *db, int64_t at, int64_t shift, const char *kind, const char *body,
    int64_t *seq, char **cause)
{
	sqlite3_stmt *s;
	uint8_t prev[JOURNAL_HASHBYTES], h[JOURNAL_HASHBYTES];
	int64_t last;
	int rc;

	if (journal_head(db, &last, prev, cause) != 0)
		return -1;
	journal_hash(prev, last + 1, at, shift, kind, body, h);
	s = db_prepare(db, "INSERT INTO journal(seq, at, shift_id, kind, body, hash) "
	    "VALUES(?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(s, 1, last + 1);
	sqlite3_bind_int64(s, 2, at);
	sqlite3_bind_int64(s, 3, shift);
	sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, h, JOURNAL_HASHBYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db, "writing the journal");
		return -1;
	}
	if (seq != NULL)
		*seq = last + 1;
	return 0;
}

int
journal_verify(sqlite3 *db, int64_t *entries, int64_t *bad_seq, char **cause)
{
	sqlite3_stmt *s;
	uint8_t prev[JOURNAL_HASHBYTES], h[JOURNAL_HASHBYTES];
	int64_t want = 1, seq = 0, bad = 0, n = 0;
	const char *kind, *body;
	char *what = NULL;
	int rc;

	memset(prev, 0, sizeof prev);
	s = db_prepare(db, "SELECT seq, at, shift_id, kind, body, hash FROM journal ORDER BY seq");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (seq != want) {
			bad = want;
			what = xasprintf("journal entry %" PRId64 " is missing", want);
			break;
		}
		kind = (const char *)sqlite3_column_text(s, 3);
		body = (const char *)sqlite3_column_text(s, 4);
		if (sqlite3_column_type(s, 1) != SQLITE_INTEGER ||
		    sqlite3_column_type(s, 2) != SQLITE_INTEGER || kind == NULL || body == NULL) {
			bad = seq;
			what = xasprintf("journal entry %" PRId64 " is malformed", seq);
			break;
		}
		journal_hash(prev, seq, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
		    kind, body, h);
		if (sqlite3_column_bytes(s, 5) != JOURNAL_HASHBYTES ||
		    sodium_memcmp(h, sqlite3_column_blob(s, 5), JOURNAL_HASHBYTES) != 0) {
			bad = seq;
			what = xasprintf("journal entry %" PRId64 " does not match its hash: it or "
			    "an entry before it was altered", seq);
			break;
		}
		memcpy(prev, h, sizeof prev);
		want++;
		n++;
	}
	if (what == NULL && rc != SQLITE_DONE) {
		*cause = db_error(db, "reading the journal");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	if (what == NULL) {
		/* Each closed shift's head must still be in the chain. */
		s = db_prepare(db, "SELECT shifts.id, shifts.head_seq, shifts.head_hash, "
		    "journal.hash FROM shifts LEFT JOIN journal ON journal.seq = shifts.head_seq "
		    "WHERE shifts.closed_at IS NOT NULL ORDER BY shifts.id");
		while (sqlite3_step(s) == SQLITE_ROW) {
			if (sqlite3_column_type(s, 3) == SQLITE_NULL) {
				bad = sqlite3_column_int64(s, 1);
				what = xasprintf("journal entry %" PRId64 ", the head when shift %lld "
				    "closed, is missing: the journal was cut short", bad,
				    (long long)sqlite3_column_int64(s, 0));
				break;
			}
			if (sqlite3_column_bytes(s, 2) != JOURNAL_HASHBYTES ||
			    memcmp(sqlite3_column_blob(s, 2), sqlite3_column_blob(s, 3),
			    JOURNAL_HASHBYTES) != 0) {
				bad = sqlite3_column_int64(s, 1);
				what = xasprintf("shift %lld closed at journal head %" PRId64 " with "
				    "another hash than the journal has now",
				    (long long)sqlite3_column_int64(s, 0), bad);
				break;
			}
		}
		sqlite3_finalize(s);
	}
	if (what != NULL) {
		if (bad_seq != NULL)
			*bad_seq = bad;
		if (cause != NULL)
			*cause = what;
		else
			free(what);
		return 1;
	}
	if (entries != NULL)
		*entries = n;
	return 0;
}

/* ------------------------------------------------------------------ shifts */

static void
shift_from_row(sqlite3_stmt *s, struct shift *sh)
{
	memset(sh, 0, sizeof *sh);
	sh->id = sqlite3_column_int64(s, 0);
	sh->device_id = (uint32_t)sqlite3_column_int64(s, 1);
	sh->opened_at = sqlite3_column_int64(s, 2);
	sh->float_amount = sqlite3_column_int64(s, 3);
	sh->closed_at = sqlite3_column_int64(s, 4);
	sh->counted = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 5);
	sh->head_seq = sqlite3_column_int64(s, 6);
	if (sqlite3_column_bytes(s, 7) == JOURNAL_HASHBYTES)
		memcpy(sh->head, sqlite3_column_blob(s, 7), JOURNAL_HASHBYTES);
}

#define SHIFT_COLUMNS "id, device_id, opened_at, float, closed_at, counted, head_seq, head_hash"

/* Run a query for one shift (parameters bound by the caller). */
static int
shift_query(sqlite3 *db, sqlite3_stmt *s, struct shift *sh, char **cause)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		shift_from_row(s, sh);
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 1;
	*cause = db_error(db, "reading the shifts");
	return -1;
}

int
journal_shift_current(sqlite3 *db, uint32_t device, struct shift *sh, char **cause)
{
	sqlite3_stmt *s;

	s = db_prepare(db, "SELECT " SHIFT_COLUMNS " FROM shifts WHERE device_id = ? AND "
	    "closed_at IS NULL");
	sqlite3_bind_int64(s, 1, device);
	return shift_query(db, s, sh, cause);
}

int
journal_shift_get(sqlite3 *db, int64_t id, struct shift *sh, char **cause)
{
	sqlite3_stmt *s;

	s = db_prepare(db, "SELECT " SHIFT_COLUMNS " FROM shifts WHERE id = ?");
	sqlite3_bind_int64(s, 1, id);
	return shift_query(db, s, sh, cause);
}

int
journal_shift_last(sqlite3 *db, uint32_t device, struct shift *sh, char **cause)
{
	sqlite3_stmt *s;

	s = db_prepare(db, "SELECT " SHIFT_COLUMNS " FROM shifts WHERE device_id = ? ORDER BY id "
	    "DESC LIMIT 1");
	sqlite3_bind_int64(s, 1, device);
	return shift_query(db, s, sh, cause);
}

/* Open a shift; auto says that a sale opened it. */
static int
shift_open(sqlite3 *db, uint32_t device, int64_t at, int64_t float_amount, int automatic,
    struct shift *out, char **cause)
{
	sqlite3_stmt *s;
	struct shift cur;
	char when[TIMEFMT_ISO_MAX], *body;
	int rc;

	if (float_amount < 0)
		return set_cause(cause, "the float cannot be negative");
	if ((rc = journal_shift_current(db, device, &cur, cause)) < 0)
		return -1;
	if (rc == 0) {
		timefmt_local(cur.opened_at, NULL, when, sizeof when);
		return set_cause(cause, "shift %lld is already open (since %s): close it first",
		    (long long)cur.id, when);
	}
	s = db_prepare(db, "INSERT INTO shifts(device_id, opened_at, float) VALUES(?, ?, ?)");
	sqlite3_bind_int64(s, 1, device);
	sqlite3_bind_int64(s, 2, at);
	sqlite3_bind_int64(s, 3, float_amount);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db, "opening the shift");
		return -1;
	}
	memset(&cur, 0, sizeof cur);
	cur.id = sqlite3_last_insert_rowid(db);
	cur.device_id = device;
	cur.opened_at = at;
	cur.float_amount = float_amount;
	cur.counted = -1;
	body = xasprintf("{\"device\":%" PRIu32 ",\"float\":%" PRId64 "%s}", device, float_amount,
	    automatic ? ",\"auto\":true" : "");
	rc = journal_append(db, at, cur.id, "shift-open", body, NULL, cause);
	free(body);
	if (rc != 0)
		return -1;
	*out = cur;
	return 0;
}

int
journal_shift_open(sqlite3 *db, uint32_t device, int64_t at, int64_t float_amount,
    struct shift *s, char **cause)
{
	return shift_open(db, device, at, float_amount, 0, s, cause);
}

int
journal_shift_ensure(sqlite3 *db, uint32_t device, int64_t at, struct shift *s, char **cause)
{
	int rc;

	if ((rc = journal_shift_current(db, device, s, cause)) <= 0)
		return rc;
	return shift_open(db, device, at, 0, 1, s, cause);
}

int
journal_shift_close(sqlite3 *db, uint32_t device, int64_t at, int64_t counted,
    struct shift *out, char **cause)
{
	struct shift_report rep;
	struct shift cur;
	sqlite3_stmt *s;
	uint8_t head[JOURNAL_HASHBYTES];
	int64_t seq;
	char *body;
	int rc;

	if (counted < 0)
		return set_cause(cause, "the counted cash cannot be negative");
	if ((rc = journal_shift_current(db, device, &cur, cause)) < 0)
		return -1;
	if (rc == 1)
		return set_cause(cause, "no shift is open");
	if (journal_shift_report(db, cur.id, &rep, cause) != 0)
		return -1;
	body = xasprintf("{\"counted\":%" PRId64 ",\"expected\":%" PRId64 ",\"difference\":%"
	    PRId64 "}", counted, rep.expected_cash, counted - rep.expected_cash);
	rc = journal_append(db, at, cur.id, "shift-close", body, NULL, cause);
	free(body);
	if (rc != 0 || journal_head(db, &seq, head, cause) != 0)
		return -1;
	s = db_prepare(db, "UPDATE shifts SET closed_at = ?, counted = ?, head_seq = ?, "
	    "head_hash = ? WHERE id = ?");
	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_int64(s, 2, counted);
	sqlite3_bind_int64(s, 3, seq);
	sqlite3_bind_blob(s, 4, head, JOURNAL_HASHBYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, cur.id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db, "closing the shift");
		return -1;
	}
	cur.closed_at = at;
	cur.counted = counted;
	cur.head_seq = seq;
	memcpy(cur.head, head, sizeof head);
	*out = cur;
	return 0;
}

/* ------------------------------------------------------------------ the report */

/* An integer member of a JSON object, or 0. */
static int64_t
jint(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

static void
report_entry(struct shift_report *r, const char *kind, const char *body, int *mixed)
{
	json_t *j;
	const char *cur;
	int p, n;

	if (strcmp(kind, "reprint") == 0) {
		r->reprints++;
		return;
	}
	if (strcmp(kind, "sale") != 0 && strcmp(kind, "refund") != 0)
		return;
	if ((j = json_loads(body, 0, NULL)) == NULL)
		return;
	p = journal_pay_parse(json_string_value(json_object_get(j, "pay")));
	n = (int)json_array_size(json_object_get(j, "tickets"));
	if (p >= 0 && strcmp(kind, "sale") == 0) {
		r->orders++;
		r->tickets += n;
		r->pay[p].tickets += n;
		r->pay[p].sales += jint(j, "total");
		cur = json_string_value(json_object_get(j, "currency"));
		if (cur != NULL && strlen(cur) == 3) {
			if (r->currency[0] == '\0' && !*mixed)
				memcpy(r->currency, cur, 4);
			else if (strcmp(r->currency, cur) != 0) {
				*mixed = 1;
				r->currency[0] = '\0';
			}
		}
	} else if (p >= 0) {
		r->refunds += n;
		r->pay[p].refunds += n;
		r->pay[p].refunded += jint(j, "amount");
	}
	json_decref(j);
}

int
journal_shift_report(sqlite3 *db, int64_t id, struct shift_report *r, char **cause)
{
	struct shift_report rep;
	sqlite3_stmt *s;
	char *why = NULL;
	int rc, i, mixed = 0;

	memset(&rep, 0, sizeof rep);
	if ((rc = journal_shift_get(db, id, &rep.shift, cause)) != 0)
		return rc;
	s = db_prepare(db, "SELECT kind, body FROM journal WHERE shift_id = ? ORDER BY seq");
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rep.entries++;
		report_entry(&rep, (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1), &mixed);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db, "reading the journal");
		return -1;
	}
	for (i = 0; i < SHIFT_NPAY; i++)
		rep.net += rep.pay[i].sales - rep.pay[i].refunded;
	rep.expected_cash = rep.shift.float_amount + rep.pay[SHIFT_CASH].sales -
	    rep.pay[SHIFT_CASH].refunded;
	if (rep.shift.closed_at != 0) {
		rep.head_seq = rep.shift.head_seq;
		memcpy(rep.head, rep.shift.head, sizeof rep.head);
	} else if (journal_head(db, &rep.head_seq, rep.head, cause) != 0)
		return -1;
	rc = journal_verify(db, NULL, NULL, &why);
	if (rc < 0) {
		*cause = why;
		return -1;
	}
	rep.intact = rc == 0;
	if (why != NULL)
		snprintf(rep.problem, sizeof rep.problem, "%s", why);
	free(why);
	*r = rep;
	return 0;
}

/* A growing text buffer for the report. */
struct text {
	char   *p;
	size_t  len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->len + (size_t)n + 1) * 2;
		t->p = xreallocarray(t->p, t->cap, 1);
	}
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

char *
journal_report_text(const struct shift_report *r)
{
	struct text t = { NULL, 0, 0 };
	char a[CART_MONEY_LEN], b[CART_MONEY_LEN], when[TIMEFMT_ISO_MAX];
	char hex[JOURNAL_HEX_LEN];
	const char *cur = r->currency[0] != '\0' ? r->currency : "";
	int i;

	text_add(&t, "Shift %lld%s\n", (long long)r->shift.id, r->shift.closed_at != 0 ?
	    "" : " (open)");
	timefmt_local(r->shift.opened_at, NULL, when, sizeof when);
	cart_money_format(r->shift.float_amount, a, sizeof a);
	text_add(&t, "Opened        %s, float %s %s\n", when, a, cur);
	if (r->shift.closed_at != 0) {
		timefmt_local(r->shift.closed_at, NULL, when, sizeof when);
		text_add(&t, "Closed        %s\n", when);
	}
	text_add(&t, "Orders %d, tickets %d, refunds %d, reprints %d\n", r->orders, r->tickets,
	    r->refunds, r->reprints);
	text_add(&t, "%-8s %8s %8s %14s %14s\n", "", "tickets", "refunds", "taken", "refunded");
	for (i = 0; i < SHIFT_NPAY; i++) {
		cart_money_format(r->pay[i].sales, a, sizeof a);
		cart_money_format(r->pay[i].refunded, b, sizeof b);
		text_add(&t, "%-8s %8d %8d %14s %14s\n", journal_pay_name(i), r->pay[i].tickets,
		    r->pay[i].refunds, a, b);
	}
	cart_money_format(r->net, a, sizeof a);
	text_add(&t, "%-24s %14s %s\n", "Net takings", a, cur);
	cart_money_format(r->expected_cash, a, sizeof a);
	text_add(&t, "%-24s %14s %s\n", "Expected cash", a, cur);
	if (r->shift.closed_at != 0) {
		cart_money_format(r->shift.counted, a, sizeof a);
		text_add(&t, "%-24s %14s %s\n", "Counted cash", a, cur);
		cart_money_format(r->shift.counted - r->expected_cash, a, sizeof a);
		text_add(&t, "%-24s %14s %s%s\n", "Difference", a, cur,
		    r->shift.counted == r->expected_cash ? "" :
		    r->shift.counted > r->expected_cash ? "  (over)" : "  (short)");
	}
	journal_hex(r->head, hex);
	text_add(&t, "Journal       %lld entries in this shift, chain %s\n",
	    (long long)r->entries, r->intact ? "intact" : "BROKEN");
	if (!r->intact)
		text_add(&t, "  %s\n", r->problem);
	text_add(&t, "Chain head    #%lld\n  %s\n", (long long)r->head_seq, hex);
	if (t.p == NULL)
		return xstrdup("");
	return t.p;
}

char *
journal_report_csv(const struct shift_report *r)
{
	struct text t = { NULL, 0, 0 };
	char a[CART_MONEY_LEN], hex[JOURNAL_HEX_LEN];
	int i;

	text_add(&t, "item,method,count,amount\n");
	text_add(&t, "shift,,%lld,\n", (long long)r->shift.id);
	for (i = 0; i < SHIFT_NPAY; i++) {
		cart_money_format(r->pay[i].sales, a, sizeof a);
		text_add(&t, "sales,%s,%d,%s\n", journal_pay_name(i), r->pay[i].tickets, a);
		cart_money_format(r->pay[i].refunded, a, sizeof a);
		text_add(&t, "refunds,%s,%d,%s\n", journal_pay_name(i), r->pay[i].refunds, a);
	}
	cart_money_format(r->net, a, sizeof a);
	text_add(&t, "net,,%d,%s\n", r->tickets - r->refunds, a);
	cart_money_format(r->shift.float_amount, a, sizeof a);
	text_add(&t, "float,,,%s\n", a);
	cart_money_format(r->expected_cash, a, sizeof a);
	text_add(&t, "expected_cash,,,%s\n", a);
	if (r->shift.closed_at != 0) {
		cart_money_format(r->shift.counted, a, sizeof a);
		text_add(&t, "counted_cash,,,%s\n", a);
		cart_money_format(r->shift.counted - r->expected_cash, a, sizeof a);
		text_add(&t, "difference,,,%s\n", a);
	}
	journal_hex(r->head, hex);
	text_add(&t, "chain_head,%s,%lld,%s\n", r->intact ? "intact" : "broken",
	    (long long)r->head_seq, hex);
	return t.p;
}
