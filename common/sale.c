/*
 * sale.c: a sale or a refund at a box office, from the seats a cashier picked to the tickets
 * and the rows that record them.
 *
 * A sale goes through the server when it can (POST /v1/sell: a compare-and-swap on every seat,
 * all or nothing), so two box offices never sell one seat while both are online. When the
 * server does not answer within the online timeout, the box office sells alone, but only seats
 * the server leased to it (the leases table): no one else can sell those, so offline selling
 * cannot oversell. Either way the order, its tickets and the journal entry commit in one
 * transaction with the seats (and, offline, their operations in the outbox).
 *
 * Numbers spent before the server is asked (the order number, the ticket serials, the
 * operations' dots) are spent for good: a refused or crashed sale leaves gaps, never reuse.
 * An online sale refused after no answer (seats not leased here) is remembered in the replica's
 * unanswered table: the server may have applied it, and the next syncs void it if so
 * (device_unanswered_settle() in device.c).
 *
 * Rows: orders (id = the order number, from the meta key "next_order"), order_tickets (one per
 * seat, with the QR text as printed), journal (journal.h). docs/tessera-boxoffice.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cart.h"
#include "db.h"
#include "device.h"
#include "journal.h"
#include "printout.h"
#include "proto.h"
#include "replica.h"
#include "sale.h"
#include "xmalloc.h"

#define SALE_META_NEXT_ORDER  "next_order"     /* int: the number of the next order here */
#define GA_RETRIES            8

void
sale_order_free(struct sale_order *o)
{
	if (o == NULL)
		return;
	free(o->tickets);
	free(o);
}

static sqlite3 *
ddb(struct device *d)
{
	return replica_db(device_replica(d));
}

int
sale_event_load(struct device *d, uint32_t event, struct sale_event *e, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = db_prepare(ddb(d), "SELECT events.name, venues.name, starts_at, doors_at, currency "
	    "FROM events JOIN venues ON venues.id = events.venue_id WHERE events.id = ?");
	sqlite3_bind_int64(s, 1, event);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(e, 0, sizeof *e);
		e->id = event;
		snprintf(e->name, sizeof e->name, "%s", sqlite3_column_text(s, 0));
		snprintf(e->venue, sizeof e->venue, "%s", sqlite3_column_text(s, 1));
		e->starts_at = sqlite3_column_int64(s, 2);
		e->doors_at = sqlite3_column_int64(s, 3);
		snprintf(e->currency, sizeof e->currency, "%s", sqlite3_column_text(s, 4));
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 1;
	*cause = db_error(ddb(d), "reading the event");
	return -1;
}

int
sale_seat_find(struct device *d, uint32_t event, const char *label, uint32_t *seat_id,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = db_prepare(ddb(d), "SELECT seats.id FROM seats JOIN events ON events.venue_id = "
	    "seats.venue_id WHERE events.id = ? AND upper(seats.label) = upper(?)");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_text(s, 2, label, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*seat_id = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	*cause = db_error(ddb(d), "finding the seat");
	return -1;
}

int
sale_leased_left(struct device *d, uint32_t event)
{
	sqlite3_stmt *s;
	int n = 0;

	s = db_prepare(ddb(d), "SELECT count(*) FROM leases LEFT JOIN seat_state ON "
	    "seat_state.event_id = leases.event_id AND seat_state.seat_id = leases.seat_id "
	    "WHERE (?1 = 0 OR leases.event_id = ?1) AND coalesce(seat_state.state, 'available') "
	    "IN ('available', 'held', 'void')");
	sqlite3_bind_int64(s, 1, event);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static int
seat_leased(struct device *d, uint32_t event, uint32_t seat)
{
	sqlite3_stmt *s;
	int found;

	s = db_prepare(ddb(d), "SELECT 1 FROM leases WHERE event_id = ? AND seat_id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* A seat's label, for messages ("seat 517" when unknown). */
static void
seat_label_of(struct device *d, uint32_t seat, char *buf, size_t len)
{
	sqlite3_stmt *s;

	s = db_prepare(ddb(d), "SELECT label FROM seats WHERE id = ?");
	sqlite3_bind_int64(s, 1, seat);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(buf, len, "%s", sqlite3_column_text(s, 0));
	else
		snprintf(buf, len, "seat %" PRIu32, seat);
	sqlite3_finalize(s);
}

static void
refuse(struct sale_refusal *ref, uint32_t seat, const char *label, const char *reason)
{
	if (ref == NULL)
		return;
	memset(ref, 0, sizeof *ref);
	ref->seat_id = seat;
	snprintf(ref->label, sizeof ref->label, "%s", label != NULL ? label : "");
	snprintf(ref->reason, sizeof ref->reason, "%s", reason);
}

/* The cashier's sentence for a server's refusal of a seat. */
static void
refusal_text(const char *label, const char *reason, uint32_t by, char **cause)
{
	if (strcmp(reason, "sold") == 0)
		set_cause(cause, "%s is already sold (by box office %" PRIu32 ")", label, by);
	else if (strcmp(reason, "held") == 0)
		set_cause(cause, "%s is held in another cashier's cart (box office %" PRIu32 ")",
		    label, by);
	else if (strcmp(reason, "leased") == 0)
		set_cause(cause, "%s is leased to another box office (%" PRIu32 ") for offline "
		    "sale", label, by);
	else if (strcmp(reason, "not-for-sale") == 0)
		set_cause(cause, "%s is not for sale at this event", label);
	else if (strcmp(reason, "stale") == 0 || strcmp(reason, "wrong-tier") == 0)
		set_cause(cause, "%s: this box office is out of date (%s); sync and try again",
		    label, reason);
	else
		set_cause(cause, "%s: refused by the server (%s)", label, reason);
}

/* ------------------------------------------------------------------ selling */

/* A seat about to be sold: where it is and what it costs. */
struct line {
	uint32_t        seat;
	char            label[48];
	int             tier;
	char            tier_name[41];
	int64_t         price;
	uint16_t        generation;
	struct op       op;
	int             prepared;
};

/* Load a seat of the event and its tier. 0; -2 refused, with *cause and *ref; -1 error. */
static int
line_load(struct device *d, uint32_t event, uint32_t seat, int comp, struct line *l,
    struct sale_refusal *ref, char **cause)
{
	struct seat_rec rec;
	sqlite3_stmt *s;
	int rc;

	memset(l, 0, sizeof *l);
	l->seat = seat;
	s = db_prepare(ddb(d), "SELECT seats.label, tiers.idx, tiers.name, tiers.price FROM "
	    "seats JOIN events ON events.venue_id = seats.venue_id LEFT JOIN tier_sections ON "
	    "tier_sections.event_id = events.id AND tier_sections.section = seats.section "
	    "LEFT JOIN tiers ON tiers.event_id = events.id AND tiers.idx = "
	    "tier_sections.tier_idx WHERE events.id = ? AND seats.id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			*cause = db_error(ddb(d), "reading the seat");
			return -1;
		}
		refuse(ref, seat, "", "no-such-seat");
		set_cause(cause, "seat %" PRIu32 " is not in this event's venue", seat);
		return -2;
	}
	snprintf(l->label, sizeof l->label, "%s", sqlite3_column_text(s, 0));
	if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
		sqlite3_finalize(s);
		refuse(ref, seat, l->label, "not-for-sale");
		set_cause(cause, "%s is not for sale at this event (no price tier covers "
		    "its section)", l->label);
		return -2;
	}
	l->tier = sqlite3_column_int(s, 1);
	snprintf(l->tier_name, sizeof l->tier_name, "%s", sqlite3_column_text(s, 2));
	l->price = comp ? 0 : sqlite3_column_int64(s, 3);
	sqlite3_finalize(s);

	if (device_seat(d, event, seat, &rec, cause) != 0)
		return -1;
	if (seat_rec_has_sale(&rec)) {
		seat_rec_free(&rec);
		refuse(ref, seat, l->label, "sold");
		set_cause(cause, "%s is already sold", l->label);
		return -2;
	}
	if (rec.state == SEAT_VOID && rec.generation == UINT16_MAX) {
		seat_rec_free(&rec);
		refuse(ref, seat, l->label, "stale");
		set_cause(cause, "%s has been resold too often", l->label);
		return -2;
	}
	l->generation = (uint16_t)(rec.state == SEAT_VOID ? rec.generation + 1 : rec.generation);
	seat_rec_free(&rec);
	return 0;
}

/* The next value of an integer meta key, spent now (inside the caller's transaction). */
static int
meta_take(struct device *d, const char *key, int64_t floor, int64_t count, int64_t *first,
    char **cause)
{
	int64_t v = 1;
	int rc;

	rc = replica_meta_get_int(device_replica(d), key, &v, cause);
	if (rc < 0)
		return -1;
	if (rc == 1 || v < 1)
		v = 1;
	if (v < floor)
		v = floor;
	if (replica_meta_set_int(device_replica(d), key, v + count, cause) != 0)
		return -1;
	*first = v;
	return 0;
}

static int64_t
max_order(struct device *d)
{
	sqlite3_stmt *s;
	int64_t m = 0;

	s = db_prepare(ddb(d), "SELECT coalesce(max(id), 0) FROM orders");
	if (sqlite3_step(s) == SQLITE_ROW)
		m = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return m;
}

/* Write the order, its tickets and the journal entry (inside the caller's transaction). */
static int
order_save(struct device *d, const struct sale_order *o, char **cause)
{
	sqlite3 *db = ddb(d);
	sqlite3_stmt *s;
	struct shift sh;
	json_t *j, *a;
	char *body;
	size_t i;
	int rc;

	s = db_prepare(db, "INSERT INTO orders(id, device_id, event_id, created_at, payment, "
	    "total, tendered, reference) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(s, 1, o->id);
	sqlite3_bind_int64(s, 2, device_id(d));
	sqlite3_bind_int64(s, 3, o->event.id);
	sqlite3_bind_int64(s, 4, o->created_at);
	sqlite3_bind_text(s, 5, o->pay, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, o->total);
	if (o->tendered >= 0)
		sqlite3_bind_int64(s, 7, o->tendered);
	if (o->reference[0] != '\0')
		sqlite3_bind_text(s, 8, o->reference, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db, "recording the order");
		return -1;
	}
	a = json_array();
	for (i = 0; i < o->n; i++) {
		const struct sale_ticket *t = &o->tickets[i];

		s = db_prepare(db, "INSERT INTO order_tickets(order_id, event_id, seat_id, serial, "
		    "generation, tier, price, qr_text) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, o->id);
		sqlite3_bind_int64(s, 2, o->event.id);
		sqlite3_bind_int64(s, 3, t->seat_id);
		sqlite3_bind_int64(s, 4, t->serial);
		sqlite3_bind_int(s, 5, t->generation);
		sqlite3_bind_int(s, 6, t->tier);
		sqlite3_bind_int64(s, 7, t->price);
		sqlite3_bind_text(s, 8, t->qr, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			json_decref(a);
			*cause = db_error(db, "recording a ticket");
			return -1;
		}
		json_array_append_new(a, json_pack("{s:I,s:s,s:I,s:i,s:I}", "seat",
		    (json_int_t)t->seat_id, "label", t->label, "serial", (json_int_t)t->serial,
		    "gen", (int)t->generation, "price", (json_int_t)t->price));
	}
	j = json_pack("{s:I,s:I,s:s,s:s,s:I,s:s,s:o}", "order", (json_int_t)o->id, "event",
	    (json_int_t)o->event.id, "currency", o->event.currency, "pay", o->pay, "total",
	    (json_int_t)o->total, "route", o->online ? "online" : "offline", "tickets", a);
	if (o->tendered >= 0)
		json_object_set_new(j, "tendered", json_integer(o->tendered));
	if (o->reference[0] != '\0')
		json_object_set_new(j, "reference", json_string(o->reference));
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rc = journal_shift_ensure(db, device_id(d), o->created_at, &sh, cause) != 0 ||
	    journal_append(db, o->created_at, sh.id, "sale", body, NULL, cause) != 0 ? -1 : 0;
	free(body);
	return rc;
}

enum sell_result {
	SELL_OK,
	SELL_REFUSED,           /* by the rules or the server; *cause says why */
	SELL_NOT_LEASED,        /* no answer, and a seat is not leased here */
	SELL_ERROR,
};

static void
lines_free(struct line *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (l[i].prepared)
			op_free(&l[i].op);
	}
	free(l);
}

/* Merge the record the server sent with its refusal, in a transaction of its own. */
static void
merge_refused(struct device *d, const json_t *rec)
{
	char *cause = NULL;

	if (rec == NULL || db_begin(ddb(d), &cause) != 0) {
		free(cause);
		return;
	}
	if (device_merge_json(d, rec, NULL, &cause) != 0 || db_commit(ddb(d), &cause) != 0)
		db_rollback(ddb(d));
	free(cause);
}

/*
 * Remember the seats of an online sale that got no answer and is refused here (the replica's
 * unanswered table), in a transaction of its own: the next syncs settle them.
 */
static int
unanswered_note(struct device *d, const struct line *l, size_t n, int64_t order, int64_t at,
    char **cause)
{
	sqlite3 *db = ddb(d);
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if (db_begin(db, cause) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		s = db_prepare(db, "INSERT OR IGNORE INTO unanswered(event_id, seat_id, serial, "
		    "generation, seq, order_id, at, entry) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, l[i].op.rec.event_id);
		sqlite3_bind_int64(s, 2, l[i].op.rec.seat_id);
		sqlite3_bind_int64(s, 3, l[i].op.rec.serial);
		sqlite3_bind_int(s, 4, l[i].op.rec.generation);
		sqlite3_bind_int64(s, 5, l[i].op.seq);
		sqlite3_bind_int64(s, 6, order);
		sqlite3_bind_int64(s, 7, at);
		sqlite3_bind_int64(s, 8, vv_get(&l[i].op.rec.vv, device_id(d)));
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			*cause = db_error(db, "remembering an unanswered sale");
			db_rollback(db);
			return -1;
		}
	}
	if (db_commit(db, cause) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * Refuse a sale whose offer may have been applied by a server that did not answer (what says
 * what was refused): remember its seats for the next syncs (unanswered_note()) and tell the
 * cashier so. SELL_NOT_LEASED or SELL_REFUSED (res), or SELL_ERROR if they cannot be noted.
 */
static enum sell_result
refuse_unanswered(struct device *d, const struct line *l, size_t n, int64_t order, int64_t at,
    const char *what, enum sell_result res, char **cause)
{
	char *why = NULL;

	if (unanswered_note(d, l, n, order, at, &why) != 0) {
		set_cause(cause, "%s, and the server did not answer; the seats could not be "
		    "remembered for release (%s): if the server sold them, the central office "
		    "must void them", what, why);
		free(why);
		return SELL_ERROR;
	}
	set_cause(cause, "%s. The server did not answer: it may have sold the seats of this "
	    "order with no ticket printed; if so they are released automatically when the server "
	    "is back", what);
	return res;
}

static enum sell_result
sell_seats(struct device *d, const struct sale_request *req, const struct sale_event *ev,
    const uint32_t *seats, size_t n, int skip_online, struct sale_order **out,
    struct sale_refusal *ref, char **cause)
{
	sqlite3 *db = ddb(d);
	struct sale_order *o = NULL;
	struct line *l;
	struct seat_rec rec;
	struct ticket t;
	json_t *ops, *body, *reply = NULL, *recs, *v;
	const char *reason, *rlabel;
	char *qr, *why = NULL, lab[48];
	int64_t order, serial, now, total = 0;
	long status = 0;
	size_t i, j;
	int comp = strcmp(req->pay, "comp") == 0, online = 0, retried = 0, rc;
	enum sell_result res = SELL_ERROR;

	l = xcalloc(n, sizeof *l);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (seats[j] == seats[i]) {
				seat_label_of(d, seats[i], lab, sizeof lab);
				refuse(ref, seats[i], lab, "");
				set_cause(cause, "%s is in the order twice", lab);
				lines_free(l, n);
				return SELL_REFUSED;
			}
		}
		if ((rc = line_load(d, ev->id, seats[i], comp, &l[i], ref, cause)) != 0) {
			lines_free(l, n);
			return rc == -2 ? SELL_REFUSED : SELL_ERROR;
		}
		total += l[i].price;
	}
	if (strcmp(req->pay, "cash") == 0 && req->tendered >= 0 && req->tendered < total) {
		char a[CART_MONEY_LEN], b[CART_MONEY_LEN];

		cart_money_format(req->tendered, a, sizeof a);
		cart_money_format(total, b, sizeof b);
		set_cause(cause, "%s tendered is less than the total %s", a, b);
		lines_free(l, n);
		return SELL_REFUSED;
	}

	/* Spend the order number, the serials and the dots before anyone hears of them. */
	now = device_now(d);
	if (db_begin(db, cause) != 0) {
		lines_free(l, n);
		return SELL_ERROR;
	}
	if (meta_take(d, SALE_META_NEXT_ORDER, max_order(d) + 1, 1, &order, cause) != 0 ||
	    meta_take(d, REPLICA_META_NEXT_SERIAL, 1, (int64_t)n, &serial, cause) != 0)
		goto rollback;
	if (order > UINT32_MAX || serial + (int64_t)n > UINT32_MAX) {
		set_cause(cause, "order or ticket numbers are exhausted on this box office");
		goto rollback;
	}
	for (i = 0; i < n; i++) {
		if (device_seat(d, ev->id, l[i].seat, &rec, cause) != 0)
			goto rollback;
		rec.state = SEAT_SOLD;
		rec.generation = l[i].generation;
		rec.key_id = device_id(d);
		rec.serial = (uint32_t)(serial + (int64_t)i);
		rec.tier = (uint8_t)l[i].tier;
		rec.price = l[i].price;
		rec.sold_at = now;
		rec.admitted_by = 0;
		rec.admitted_at = 0;
		rec.exited_at = 0;
		rec.moves = 0;
		if (device_prepare(d, OP_SELL, &rec, req->pay, (uint32_t)order, now, &l[i].op,
		    cause) != 0) {
			seat_rec_free(&rec);
			goto rollback;
		}
		l[i].prepared = 1;
		seat_rec_free(&rec);
	}
	if (db_commit(db, cause) != 0)
		goto fail;

	/* Online first. */
again:
	if (!skip_online) {
		ops = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(ops, proto_op_to_compact(&l[i].op));
		body = json_pack("{s:o}", "ops", ops);
		if (device_call(d, "POST", PROTO_PREFIX "/sell", body, 0, &status, &reply,
		    &why) == 0) {
			json_decref(body);
			if (status == 409) {
				reason = json_string_value(json_object_get(reply, "reason"));
				rlabel = json_string_value(json_object_get(reply, "label"));
				v = json_object_get(reply, "seat");
				refuse(ref, (uint32_t)json_integer_value(v), rlabel,
				    reason != NULL ? reason : "");
				refusal_text(rlabel != NULL ? rlabel : "a seat", reason != NULL ?
				    reason : "refused", (uint32_t)json_integer_value(
				    json_object_get(reply, "by")), cause);
				merge_refused(d, json_object_get(reply, "rec"));
				res = SELL_REFUSED;
				goto fail;
			}
			if (status != 200) {
				const char *e = json_string_value(json_object_get(reply, "error"));
				char *what;

				what = xasprintf("the server refused the sale (%ld): %s", status,
				    e != NULL ? e : "no reason given");
				/*
				 * After an unanswered offer of the same dots, or from a gateway that
				 * got no answer itself, the server may have applied one.
				 */
				if (retried || status == 502 || status == 504)
					res = refuse_unanswered(d, l, n, order, now, what,
					    SELL_REFUSED, cause);
				else {
					set_cause(cause, "%s", what);
					res = SELL_REFUSED;
				}
				free(what);
				goto fail;
			}
			online = 1;
		} else {
			json_decref(body);
			free(why);
			why = NULL;
		}
	}
	if (!online) {
		for (i = 0; i < n; i++) {
			if (seat_leased(d, ev->id, l[i].seat))
				continue;
			/*
			 * Not leased: only the server can sell it. Ask once more with the same
			 * operations (the server answers a dot it has already applied with the
			 * seat as sold), so that a lost answer does not leave a seat sold on
			 * the server with no ticket printed here.
			 */
			if (!skip_online && !retried) {
				retried = 1;
				goto again;
			}
			refuse(ref, l[i].seat, l[i].label, "not-leased");
			if (skip_online || device_offline(d)) {
				set_cause(cause, "%s is not leased to this box office; offline it "
				    "can sell only its leased seats", l[i].label);
				res = SELL_NOT_LEASED;
				goto fail;
			}
			/*
			 * Both offers went unanswered: the server may have applied one, leaving
			 * the seats sold by this box office with no ticket printed. Remember
			 * them: the next syncs void them if so (device_unanswered_settle()).
			 */
			{
				char *what = xasprintf("%s is not leased to this box office; "
				    "offline it can sell only its leased seats", l[i].label);

				res = refuse_unanswered(d, l, n, order, now, what, SELL_NOT_LEASED,
				    cause);
				free(what);
			}
			goto fail;
		}
	}

	/* The order and its tickets. */
	o = xcalloc(1, sizeof *o);
	o->id = (uint32_t)order;
	o->event = *ev;
	o->created_at = now;
	snprintf(o->pay, sizeof o->pay, "%s", req->pay);
	o->total = total;
	o->tendered = -1;
	if (strcmp(req->pay, "cash") == 0) {
		o->tendered = req->tendered >= 0 ? req->tendered : total;
		o->change = o->tendered - total;
	}
	if (req->reference != NULL)
		snprintf(o->reference, sizeof o->reference, "%s", req->reference);
	o->online = online;
	o->n = n;
	o->tickets = xcalloc(n, sizeof *o->tickets);
	for (i = 0; i < n; i++) {
		struct sale_ticket *tk = &o->tickets[i];

		tk->seat_id = l[i].seat;
		snprintf(tk->label, sizeof tk->label, "%s", l[i].label);
		tk->tier = (uint8_t)l[i].tier;
		snprintf(tk->tier_name, sizeof tk->tier_name, "%s", l[i].tier_name);
		tk->price = l[i].price;
		tk->serial = l[i].op.rec.serial;
		tk->generation = l[i].op.rec.generation;
		memset(&t, 0, sizeof t);
		t.version = TICKET_VERSION;
		t.key_id = device_id(d);
		t.event_id = ev->id;
		t.seat_id = l[i].seat;
		t.serial = tk->serial;
		t.generation = tk->generation;
		t.tier = tk->tier;
		t.issued_at = (uint32_t)now;
		qr = ticket_sign(&t, device_keypair(d));
		snprintf(tk->qr, sizeof tk->qr, "%s", qr);
		free(qr);
	}

	if (db_begin(db, cause) != 0)
		goto fail;
	if (online) {
		recs = json_object_get(reply, "recs");
		json_array_foreach(recs, i, v) {
			if (device_merge_json(d, v, NULL, cause) != 0)
				goto rollback;
		}
	} else {
		for (i = 0; i < n; i++) {
			if (device_record(d, &l[i].op, cause) != 0)
				goto rollback;
		}
	}
	if (order_save(d, o, cause) != 0 || db_commit(db, cause) != 0)
		goto rollback;
	json_decref(reply);
	lines_free(l, n);
	*out = o;
	return SELL_OK;

rollback:
	db_rollback(db);
fail:
	json_decref(reply);
	lines_free(l, n);
	sale_order_free(o);
	return res;
}

/* n places of a GA area, not sold, none of exclude; offline (leased_only) only leased ones. */
static size_t
ga_pick(struct device *d, uint32_t event, const char *area, size_t want, int leased_only,
    const uint32_t *exclude, size_t nexclude, uint32_t *out)
{
	sqlite3_stmt *s;
	json_t *ex = json_array();
	size_t n = 0, i;

	for (i = 0; i < nexclude; i++)
		json_array_append_new(ex, json_integer(exclude[i]));
	s = db_prepare(ddb(d), "SELECT seats.id FROM seats JOIN events ON events.venue_id = "
	    "seats.venue_id LEFT JOIN seat_state ON seat_state.event_id = events.id AND "
	    "seat_state.seat_id = seats.id LEFT JOIN leases ON leases.event_id = events.id AND "
	    "leases.seat_id = seats.id WHERE events.id = ?1 AND upper(seats.section) = upper(?2) "
	    "AND seats.ga = 1 AND coalesce(seat_state.state, 'available') IN ('available', "
	    "'held', 'void') AND (?3 = 0 OR leases.seat_id IS NOT NULL) AND seats.id NOT IN "
	    "(SELECT value FROM json_each(?4)) ORDER BY leases.seat_id IS NOT NULL, "
	    "seats.number");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_text(s, 2, area, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, leased_only);
	sqlite3_bind_text(s, 4, json_dumps(ex, JSON_COMPACT), -1, free);
	while (n < want && sqlite3_step(s) == SQLITE_ROW)
		out[n++] = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	json_decref(ex);
	return n;
}

int
sale_sell(struct device *d, const struct sale_request *req, struct sale_order **out,
    struct sale_refusal *ref, char **cause)
{
	struct sale_event ev;
	struct sale_refusal r;
	enum sell_result res;
	uint32_t *picked = NULL, *exclude = NULL;
	size_t nexclude = 0, got;
	char *why = NULL;
	int rc, tries, leased_only = 0;

	if (ref != NULL)
		memset(ref, 0, sizeof *ref);
	if (req->pay == NULL || journal_pay_parse(req->pay) < 0)
		return set_cause(cause, "payment: want cash, card or comp");
	if (strcmp(req->pay, "comp") == 0 && (req->reference == NULL || req->reference[0] == '\0'))
		return set_cause(cause, "a comp needs a reason (--reference)");
	if ((rc = sale_event_load(d, req->event_id, &ev, cause)) != 0)
		return rc < 0 ? -1 : set_cause(cause, "event %" PRIu32 " is not known here "
		    "(sync first?)", req->event_id);
	if (req->seats != NULL) {
		if (req->nseats == 0 || req->nseats > PROTO_MAX_SEATS)
			return set_cause(cause, "an order holds 1 to %d seats", PROTO_MAX_SEATS);
		res = sell_seats(d, req, &ev, req->seats, req->nseats, 0, out, ref, cause);
		return res == SELL_OK ? 0 : -1;
	}

	/* General admission: pick places, and pick again around the ones others hold. */
	if (req->ga_area == NULL || req->ga_count < 1 || req->ga_count > PROTO_MAX_SEATS)
		return set_cause(cause, "general admission: want 1 to %d places of an area",
		    PROTO_MAX_SEATS);
	picked = xcalloc((size_t)req->ga_count, sizeof *picked);
	exclude = xcalloc(GA_RETRIES, sizeof *exclude);
	for (tries = 0; tries < GA_RETRIES; tries++) {
		got = ga_pick(d, ev.id, req->ga_area, (size_t)req->ga_count, leased_only, exclude,
		    nexclude, picked);
		if (got < (size_t)req->ga_count) {
			free(why);
			why = NULL;
			set_cause(&why, "%s has %zu %s left, not %d", req->ga_area, got,
			    leased_only ? "places leased to this box office" : "free places",
			    req->ga_count);
			break;
		}
		memset(&r, 0, sizeof r);
		free(why);
		why = NULL;
		res = sell_seats(d, req, &ev, picked, got, leased_only, out, &r, &why);
		if (res == SELL_OK) {
			free(picked);
			free(exclude);
			return 0;
		}
		if (ref != NULL)
			*ref = r;
		if (res == SELL_NOT_LEASED && !leased_only) {
			leased_only = 1;        /* offline: sell from the leased quota */
			continue;
		}
		if (res == SELL_REFUSED && r.seat_id != 0 && (strcmp(r.reason, "held") == 0 ||
		    strcmp(r.reason, "leased") == 0 || strcmp(r.reason, "sold") == 0)) {
			exclude[nexclude++] = r.seat_id;
			continue;
		}
		break;
	}
	free(picked);
	free(exclude);
	if (why == NULL)
		return set_cause(cause, "%s: could not find free places", req->ga_area);
	set_cause(cause, "%s", why);
	free(why);
	return -1;
}

/* ------------------------------------------------------------------ orders */

int
sale_order_load(struct device *d, uint32_t order, struct sale_order **out, char **cause)
{
	sqlite3 *db = ddb(d);
	sqlite3_stmt *s;
	struct sale_order *o;
	size_t cap = 8;
	int rc;

	s = db_prepare(db, "SELECT event_id, created_at, payment, total, tendered, reference "
	    "FROM orders WHERE id = ? AND device_id = ?");
	sqlite3_bind_int64(s, 1, order);
	sqlite3_bind_int64(s, 2, device_id(d));
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return 1;
		*cause = db_error(db, "reading the order");
		return -1;
	}
	o = xcalloc(1, sizeof *o);
	o->id = order;
	o->event.id = (uint32_t)sqlite3_column_int64(s, 0);
	o->created_at = sqlite3_column_int64(s, 1);
	snprintf(o->pay, sizeof o->pay, "%s", sqlite3_column_text(s, 2));
	o->total = sqlite3_column_int64(s, 3);
	o->tendered = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 4);
	o->change = o->tendered >= 0 ? o->tendered - o->total : 0;
	if (sqlite3_column_type(s, 5) != SQLITE_NULL)
		snprintf(o->reference, sizeof o->reference, "%s", sqlite3_column_text(s, 5));
	sqlite3_finalize(s);
	if (sale_event_load(d, o->event.id, &o->event, cause) < 0) {
		sale_order_free(o);
		return -1;
	}

	o->tickets = xcalloc(cap, sizeof *o->tickets);
	s = db_prepare(db, "SELECT order_tickets.seat_id, seats.label, order_tickets.tier, "
	    "coalesce(tiers.name, ''), order_tickets.price, order_tickets.serial, "
	    "order_tickets.generation, order_tickets.qr_text, order_tickets.refunded_at FROM "
	    "order_tickets JOIN seats ON seats.id = order_tickets.seat_id LEFT JOIN tiers ON "
	    "tiers.event_id = order_tickets.event_id AND tiers.idx = order_tickets.tier WHERE "
	    "order_id = ? ORDER BY order_tickets.serial");
	sqlite3_bind_int64(s, 1, order);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sale_ticket *t;

		if (o->n == cap) {
			cap *= 2;
			o->tickets = xreallocarray(o->tickets, cap, sizeof *o->tickets);
		}
		t = &o->tickets[o->n++];
		memset(t, 0, sizeof *t);
		t->seat_id = (uint32_t)sqlite3_column_int64(s, 0);
		snprintf(t->label, sizeof t->label, "%s", sqlite3_column_text(s, 1));
		t->tier = (uint8_t)sqlite3_column_int(s, 2);
		snprintf(t->tier_name, sizeof t->tier_name, "%s", sqlite3_column_text(s, 3));
		t->price = sqlite3_column_int64(s, 4);
		t->serial = (uint32_t)sqlite3_column_int64(s, 5);
		t->generation = (uint16_t)sqlite3_column_int(s, 6);
		snprintf(t->qr, sizeof t->qr, "%s", sqlite3_column_text(s, 7));
		t->refunded_at = sqlite3_column_int64(s, 8);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db, "reading the tickets");
		sale_order_free(o);
		return -1;
	}
	/* Sold online when no operation of it waited in the outbox: unknown after the fact. */
	o->online = -1;
	*out = o;
	return 0;
}

int
sale_order_find_seat(struct device *d, uint32_t event, const char *label, uint32_t *order,
    uint32_t *seat_id, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = db_prepare(ddb(d), "SELECT order_tickets.order_id, order_tickets.seat_id FROM "
	    "order_tickets JOIN seats ON seats.id = order_tickets.seat_id JOIN orders ON "
	    "orders.id = order_tickets.order_id WHERE upper(seats.label) = upper(?1) AND "
	    "(?2 = 0 OR order_tickets.event_id = ?2) AND orders.device_id = ?3 ORDER BY "
	    "order_tickets.refunded_at IS NULL DESC, orders.created_at DESC, orders.id DESC "
	    "LIMIT 1");
	sqlite3_bind_text(s, 1, label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, event);
	sqlite3_bind_int64(s, 3, device_id(d));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*order = (uint32_t)sqlite3_column_int64(s, 0);
		*seat_id = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	*cause = db_error(ddb(d), "finding the order");
	return -1;
}

int
sale_refund(struct device *d, uint32_t order, uint32_t seat_id, struct sale_order **out,
    char **cause)
{
	sqlite3 *db = ddb(d);
	struct sale_order *o = NULL;
	struct seat_rec *recs = NULL;
	sqlite3_stmt *s;
	struct shift sh;
	json_t *j, *a = NULL;
	char *body;
	int64_t now, amount = 0;
	size_t i, n = 0, *pick;
	int rc;

	if ((rc = sale_order_load(d, order, &o, cause)) != 0)
		return rc < 0 ? -1 : set_cause(cause, "there is no order %" PRIu32 " at this box "
		    "office", order);
	pick = xcalloc(o->n + 1, sizeof *pick);
	for (i = 0; i < o->n; i++) {
		if (seat_id != 0 && o->tickets[i].seat_id != seat_id)
			continue;
		if (o->tickets[i].refunded_at != 0) {
			if (seat_id != 0) {
				set_cause(cause, "%s of order %" PRIu32 " was refunded already",
				    o->tickets[i].label, order);
				goto fail;
			}
			continue;
		}
		pick[n++] = i;
	}
	if (n == 0) {
		if (seat_id != 0)
			set_cause(cause, "that seat is not in order %" PRIu32, order);
		else
			set_cause(cause, "every ticket of order %" PRIu32 " was refunded already",
			    order);
		goto fail;
	}
	recs = xcalloc(n, sizeof *recs);
	for (i = 0; i < n; i++)
		seat_rec_init(&recs[i], 0, 0);
	for (i = 0; i < n; i++) {
		const struct sale_ticket *t = &o->tickets[pick[i]];

		seat_rec_free(&recs[i]);
		if (device_seat(d, o->event.id, t->seat_id, &recs[i], cause) != 0)
			goto fail_recs;
		if (recs[i].generation != t->generation || recs[i].key_id != device_id(d) ||
		    recs[i].serial != t->serial) {
			set_cause(cause, "%s: this ticket is no longer the seat's sale (it was "
			    "replaced)", t->label);
			goto fail_recs;
		}
		if (recs[i].state == SEAT_ADMITTED || recs[i].state == SEAT_EXITED) {
			set_cause(cause, "%s was already used at a gate; it cannot be refunded",
			    t->label);
			goto fail_recs;
		}
		if (recs[i].state != SEAT_SOLD) {
			set_cause(cause, "%s: the ticket is %s already", t->label,
			    seat_state_name(recs[i].state));
			goto fail_recs;
		}
	}

	now = device_now(d);
	if (db_begin(db, cause) != 0)
		goto fail_recs;
	a = json_array();
	for (i = 0; i < n; i++) {
		struct sale_ticket *t = &o->tickets[pick[i]];

		recs[i].state = SEAT_VOID;
		if (device_change(d, OP_REFUND, &recs[i], NULL, order, now, NULL, cause) != 0)
			goto rollback;
		s = db_prepare(db, "UPDATE order_tickets SET refunded_at = ? WHERE order_id = ? "
		    "AND seat_id = ?");
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, order);
		sqlite3_bind_int64(s, 3, t->seat_id);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			*cause = db_error(db, "marking the ticket refunded");
			goto rollback;
		}
		t->refunded_at = now;
		amount += t->price;
		json_array_append_new(a, json_pack("{s:I,s:s,s:I,s:I}", "seat",
		    (json_int_t)t->seat_id, "label", t->label, "serial", (json_int_t)t->serial,
		    "price", (json_int_t)t->price));
	}
	j = json_pack("{s:I,s:I,s:s,s:I,s:O}", "order", (json_int_t)order, "event",
	    (json_int_t)o->event.id, "pay", o->pay, "amount", (json_int_t)amount, "tickets", a);
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rc = journal_shift_ensure(db, device_id(d), now, &sh, cause) != 0 ||
	    journal_append(db, now, sh.id, "refund", body, NULL, cause) != 0 ? -1 : 0;
	free(body);
	if (rc != 0 || db_commit(db, cause) != 0)
		goto rollback;
	json_decref(a);
	for (i = 0; i < n; i++)
		seat_rec_free(&recs[i]);
	free(recs);
	free(pick);
	if (out != NULL)
		*out = o;
	else
		sale_order_free(o);
	return 0;

rollback:
	db_rollback(db);
	json_decref(a);
fail_recs:
	for (i = 0; i < n; i++)
		seat_rec_free(&recs[i]);
	free(recs);
fail:
	free(pick);
	sale_order_free(o);
	return -1;
}

int
sale_reprint(struct device *d, uint32_t order, char **cause)
{
	sqlite3 *db = ddb(d);
	struct shift sh;
	char *body;
	int64_t now = device_now(d);
	int rc;

	if (db_begin(db, cause) != 0)
		return -1;
	body = xasprintf("{\"order\":%" PRIu32 "}", order);
	rc = journal_shift_ensure(db, device_id(d), now, &sh, cause) != 0 ||
	    journal_append(db, now, sh.id, "reprint", body, NULL, cause) != 0 ||
	    db_commit(db, cause) != 0 ? -1 : 0;
	free(body);
	if (rc != 0)
		db_rollback(db);
	return rc;
}

/* ------------------------------------------------------------------ holds */

int
sale_hold(struct device *d, uint32_t event, const uint32_t *seats, size_t nseats, int seconds,
    struct sale_refusal *ref, char **cause)
{
	json_t *a = json_array(), *body, *reply = NULL;
	const char *reason, *err;
	char lab[48], *why = NULL;
	long status = 0;
	uint32_t seat;
	size_t i;

	for (i = 0; i < nseats; i++)
		json_array_append_new(a, json_integer(seats[i]));
	body = json_pack("{s:I,s:o,s:i}", "event", (json_int_t)event, "seats", a, "seconds",
	    seconds);
	if (device_call(d, "POST", PROTO_PREFIX "/hold", body, 0, &status, &reply, &why) != 0) {
		json_decref(body);
		free(why);
		return 1;
	}
	json_decref(body);
	if (status == 200) {
		json_decref(reply);
		return 0;
	}
	reason = json_string_value(json_object_get(reply, "reason"));
	seat = (uint32_t)json_integer_value(json_object_get(reply, "seat"));
	if (reason != NULL && seat != 0) {
		seat_label_of(d, seat, lab, sizeof lab);
		refuse(ref, seat, lab, reason);
		refusal_text(lab, reason, (uint32_t)json_integer_value(json_object_get(reply, "by")),
		    cause);
	} else {
		err = json_string_value(json_object_get(reply, "error"));
		refuse(ref, 0, "", "");
		set_cause(cause, "the server refused the hold (%ld): %s", status,
		    err != NULL ? err : "no reason given");
	}
	json_decref(reply);
	return -1;
}

void
sale_release(struct device *d, uint32_t event, const uint32_t *seats, size_t nseats)
{
	json_t *body, *reply = NULL, *a;
	char *why = NULL;
	long status;
	size_t i;

	body = json_pack("{s:I}", "event", (json_int_t)event);
	if (nseats > 0) {
		a = json_array();
		for (i = 0; i < nseats; i++)
			json_array_append_new(a, json_integer(seats[i]));
		json_object_set_new(body, "seats", a);
	}
	if (device_call(d, "POST", PROTO_PREFIX "/release", body, 0, &status, &reply, &why) == 0)
		json_decref(reply);
	free(why);
	json_decref(body);
}

/* ------------------------------------------------------------------ outputs */

static int
ensure_dir(const char *dir, char **cause)
{
	struct stat sb;

	if (stat(dir, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return 0;
		return set_cause(cause, "%s is not a folder", dir);
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return set_cause(cause, "cannot make the folder %s: %s", dir, strerror(errno));
	return 0;
}

int
sale_write_outputs(const struct sale_order *o, const struct sale_outputs *outs, char **cause)
{
	struct printout p;
	char *name, *path;
	size_t i;
	int rc = 0;

	if ((outs->png_dir != NULL && ensure_dir(outs->png_dir, cause) != 0) ||
	    (outs->svg_dir != NULL && ensure_dir(outs->svg_dir, cause) != 0))
		return -1;
	for (i = 0; i < o->n && rc == 0; i++) {
		const struct sale_ticket *t = &o->tickets[i];

		if (t->refunded_at != 0)
			continue;
		memset(&p, 0, sizeof p);
		p.event_id = o->event.id;
		p.event = o->event.name;
		p.venue = o->event.venue;
		p.starts_at = o->event.starts_at;
		p.seat = t->label;
		p.tier = t->tier_name;
		p.price = t->price;
		p.currency = o->event.currency;
		p.order = o->id;
		p.serial = t->serial;
		p.qr_text = t->qr;
		if (outs->png_dir != NULL) {
			name = printout_filename(&p, "png");
			path = xasprintf("%s/%s", outs->png_dir, name);
			rc = printout_write_png(&p, path, cause);
			free(path);
			free(name);
		}
		if (rc == 0 && outs->svg_dir != NULL) {
			name = printout_filename(&p, "svg");
			path = xasprintf("%s/%s", outs->svg_dir, name);
			rc = printout_write_svg(&p, path, cause);
			free(path);
			free(name);
		}
		if (rc == 0 && outs->escpos != NULL)
			rc = printout_write_escpos(&p, outs->escpos, cause);
	}
	return rc;
}
