/*
 * gate.c: the gate's decision on a scanned ticket, and recording it in the gate's replica.
 *
 * gate_decide() is the whole decision over plain data: it checks, in this order, and stops at
 * the first that fails, so every refusal has one reason:
 *
 *   1. readable         not-a-ticket, unreadable             (ticket_verify, step 1)
 *   2. signed           unknown-key, bad-signature           (ticket_verify, step 2)
 *   3. signer           revoked, wrong-role, outside-validity (ticket_verify, step 3)
 *   4. event            wrong-event: unknown here, or not the event this gate admits to
 *   5. seat             unknown-seat (not in the venue's map), not-sold (manual entry only)
 *   6. void             the seat is void at the ticket's generation or later, the replica
 *                       knows a newer generation, or the seat's sale is another ticket
 *   7. gate             wrong-gate: the seat's section is not one of this gate's
 *   8. window           too-early, too-late: outside doors_at - early .. starts_at + late
 *   9. inside           already-admitted (unless the event allows re-entry after an exit)
 *  10. admit
 *
 * In exit mode steps 7 and 8 do not apply and step 9 turns around: the ticket must be inside
 * (admitted), else not-inside. A signed ticket for a seat that the replica has not seen sold at
 * the ticket's generation is admitted: the signature is the proof of sale, and the replica
 * learns of the sale from the admission.
 *
 * gate_check() is the I/O around it: it reads the replica, asks the server's compare-and-swap
 * (POST /v1/admit) when online, and writes the change, the scan_log row and the admissions row
 * in one transaction.
 */
#include <ctype.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "db.h"
#include "device.h"
#include "gate.h"
#include "proto.h"
#include "replica.h"
#include "seat.h"
#include "timefmt.h"
#include "xmalloc.h"

/* The longest raw scan kept in the log: a scanner gone mad must not fill the disk. */
#define GATE_RAW_MAX 1024

static const char *reason_codes[GATE_NREASONS] = {
	[GATE_ADMITTED] = "admitted",
	[GATE_EXITED] = "exited",
	[GATE_NOT_TICKET] = "not-a-ticket",
	[GATE_UNREADABLE] = "unreadable",
	[GATE_UNKNOWN_KEY] = "unknown-key",
	[GATE_BAD_SIGNATURE] = "bad-signature",
	[GATE_REVOKED] = "revoked",
	[GATE_WRONG_ROLE] = "wrong-role",
	[GATE_OUTSIDE_VALIDITY] = "outside-validity",
	[GATE_WRONG_EVENT] = "wrong-event",
	[GATE_UNKNOWN_SEAT] = "unknown-seat",
	[GATE_NOT_SOLD] = "not-sold",
	[GATE_VOID] = "void",
	[GATE_WRONG_GATE] = "wrong-gate",
	[GATE_TOO_EARLY] = "too-early",
	[GATE_TOO_LATE] = "too-late",
	[GATE_ALREADY_ADMITTED] = "already-admitted",
	[GATE_NOT_INSIDE] = "not-inside",
};

const char *
gate_reason_code(enum gate_reason r)
{
	if ((unsigned)r >= GATE_NREASONS)
		return "unknown";
	return reason_codes[r];
}

int
gate_reason_parse(const char *code)
{
	int i;

	if (code == NULL)
		return -1;
	for (i = 0; i < GATE_NREASONS; i++) {
		if (strcmp(reason_codes[i], code) == 0)
			return i;
	}
	return -1;
}

const char *
gate_mode_name(enum gate_mode m)
{
	return m == GATE_EXIT ? "exit" : "entry";
}

const char *
gate_route_name(enum gate_route r)
{
	switch (r) {
	case GATE_ROUTE_ONLINE:
		return "online";
	case GATE_ROUTE_OFFLINE:
		return "offline";
	case GATE_ROUTE_NONE:
		break;
	}
	return "";
}

void
gate_window_default(struct gate_window *w)
{
	w->early = 0;
	w->late = GATE_LATE_DEFAULT;
}

void
gate_config_default(struct gate_config *c)
{
	memset(c, 0, sizeof *c);
	gate_window_default(&c->window);
}

/* "19:04" when t is on now's day, else "Sat 21 Nov 19:04". */
static void
when(int64_t t, int64_t now, char *buf, size_t len)
{
	char a[16], b[16];

	timefmt_local(t, "%Y-%m-%d", a, sizeof a);
	timefmt_local(now, "%Y-%m-%d", b, sizeof b);
	timefmt_local(t, strcmp(a, b) == 0 ? "%H:%M" : "%a %d %b %H:%M", buf, len);
}

static void PRINTFLIKE(3, 4)
deny(struct gate_verdict *v, enum gate_reason r, const char *fmt, ...)
{
	va_list ap;

	v->admit = 0;
	v->reason = r;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof v->text, fmt, ap);
	va_end(ap);
}

/* Is section one of the comma-separated list (case-insensitive)? An empty list is all. */
static int
section_in(const char *list, const char *section)
{
	const char *p, *e;
	size_t n = strlen(section);

	if (list == NULL || *list == '\0')
		return 1;
	for (p = list; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		while (*p == ' ')
			p++;
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && strncasecmp(p, section, n) == 0)
			return 1;
	}
	return 0;
}

static enum gate_reason
verify_reason(enum ticket_error e)
{
	switch (e) {
	case TICKET_ENOTTICKET:
		return GATE_NOT_TICKET;
	case TICKET_EUNKNOWNKEY:
		return GATE_UNKNOWN_KEY;
	case TICKET_EBADSIG:
		return GATE_BAD_SIGNATURE;
	case TICKET_EREVOKED:
		return GATE_REVOKED;
	case TICKET_EROLE:
		return GATE_WRONG_ROLE;
	case TICKET_EVALIDITY:
		return GATE_OUTSIDE_VALIDITY;
	case TICKET_OK:
	case TICKET_EENCODING:
	case TICKET_EVERSION:
	case TICKET_ETRUNCATED:
	case TICKET_ETOOLONG:
		break;
	}
	return GATE_UNREADABLE;
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* The name of the gate that admitted rec, for a sentence. */
static void
gate_name(const struct gate_input *in, uint32_t id, char *buf, size_t len)
{
	if (in->admitted_by != NULL && *in->admitted_by != '\0')
		snprintf(buf, len, "%s", in->admitted_by);
	else if (id != 0)
		snprintf(buf, len, "gate %" PRIu32, id);
	else
		snprintf(buf, len, "another gate");
}

void
gate_decide(const struct gate_input *in, struct gate_verdict *v)
{
	const struct ticket *t = in->ticket;
	const struct seat_rec *rec = in->rec;
	struct seat_rec avail;
	char a[32], b[32], name[80];
	int same, inside;

	memset(v, 0, sizeof *v);
	v->mode = in->mode;
	v->at = in->now;
	v->route = GATE_ROUTE_NONE;

	/* 1-3: the ticket itself (a seat typed by staff has no signature to check). */
	if (!in->manual && in->verify != TICKET_OK) {
		deny(v, verify_reason(in->verify), "%s", ticket_error_text(in->verify));
		return;
	}
	if (t == NULL) {
		if (in->manual)
			deny(v, GATE_NOT_TICKET, "Type a seat as SECTION-ROW-SEAT, like A-12-7, "
			    "or a ticket's text.");
		else
			deny(v, GATE_NOT_TICKET, "%s", ticket_error_text(TICKET_ENOTTICKET));
		return;
	}
	v->event_id = t->event_id;
	v->seat_id = t->seat_id;

	/* 4: the event. */
	if (in->event == NULL) {
		deny(v, GATE_WRONG_EVENT, "This ticket is for an event this gate does not know "
		    "(event %" PRIu32 "): check the date on the ticket, or sync the scanner.",
		    t->event_id);
		return;
	}
	if (in->gate_event != 0 && t->event_id != in->gate_event) {
		timefmt_local(in->event->starts_at, "%a %d %b %H:%M", a, sizeof a);
		if (in->gate_event_row != NULL)
			deny(v, GATE_WRONG_EVENT, "Wrong event: this ticket is for %s on %s, "
			    "not %s.", in->event->name, a, in->gate_event_row->name);
		else
			deny(v, GATE_WRONG_EVENT, "Wrong event: this ticket is for %s on %s.",
			    in->event->name, a);
		return;
	}

	/* 5: the seat. */
	if (in->seat == NULL) {
		deny(v, GATE_UNKNOWN_SEAT, "This ticket names a seat (%" PRIu32 ") that is not "
		    "on this venue's map: call a supervisor.", t->seat_id);
		return;
	}
	copy(v->section, sizeof v->section, in->seat->section);
	copy(v->row, sizeof v->row, in->seat->row);
	snprintf(v->seat, sizeof v->seat, "%" PRIu32, in->seat->number);
	snprintf(v->label, sizeof v->label, "%s-%s-%" PRIu32, v->section, v->row,
	    in->seat->number);
	v->ga = in->seat->ga;
	copy(v->tier, sizeof v->tier, in->tier);

	if (rec == NULL) {
		seat_rec_init(&avail, t->event_id, t->seat_id);
		rec = &avail;
	}
	if (in->manual && !seat_rec_has_sale(rec) && rec->state != SEAT_VOID) {
		deny(v, GATE_NOT_SOLD, "Seat %s has not been sold: send them to the box office.",
		    v->label);
		return;
	}

	/* 6: void. */
	same = seat_rec_has_sale(rec) && rec->generation == t->generation &&
	    rec->key_id == t->key_id && rec->serial == t->serial;
	if (rec->state == SEAT_VOID && rec->generation >= t->generation) {
		deny(v, GATE_VOID, "This ticket was refunded: do not admit; send them to the "
		    "box office.");
		return;
	}
	if (t->generation < rec->generation) {
		deny(v, GATE_VOID, "This ticket was replaced by a newer one for the same seat: "
		    "do not admit; send them to the box office.");
		return;
	}
	if (seat_rec_has_sale(rec) && rec->generation == t->generation && !same) {
		deny(v, GATE_VOID, "This seat was sold to someone else and this ticket was "
		    "cancelled: send them to the box office to be re-seated.");
		return;
	}
	inside = same && (rec->state == SEAT_ADMITTED || rec->state == SEAT_EXITED);

	if (in->mode == GATE_EXIT) {
		if (same && rec->state == SEAT_ADMITTED) {
			v->admit = 1;
			v->reason = GATE_EXITED;
			snprintf(v->text, sizeof v->text, "%s", in->event->reentry ?
			    "Scanned out: they may come back in on this ticket." :
			    "Scanned out. No re-entry at this event: tell them.");
			return;
		}
		if (inside) {
			when(rec->exited_at, in->now, a, sizeof a);
			deny(v, GATE_NOT_INSIDE, "Not inside: this ticket was already scanned out "
			    "at %s.", a);
		} else
			deny(v, GATE_NOT_INSIDE, "Not inside: this ticket has not been scanned "
			    "in, so it cannot be scanned out.");
		return;
	}

	/* 7: this gate's sections. */
	if (!section_in(in->sections, in->seat->section)) {
		if (in->right_gates != NULL && *in->right_gates != '\0')
			deny(v, GATE_WRONG_GATE, "Section %s does not enter here: send them to "
			    "%s.", in->seat->section, in->right_gates);
		else
			deny(v, GATE_WRONG_GATE, "Section %s does not enter at this gate: send "
			    "them to another gate.", in->seat->section);
		return;
	}

	/* 8: the admission window. */
	if (in->now < in->event->doors_at - in->window.early) {
		when(in->event->doors_at - in->window.early, in->now, a, sizeof a);
		deny(v, GATE_TOO_EARLY, "Too early: doors open at %s.", a);
		return;
	}
	if (in->now > in->event->starts_at + in->window.late) {
		when(in->event->starts_at + in->window.late, in->now, a, sizeof a);
		deny(v, GATE_TOO_LATE, "Too late: admission closed at %s.", a);
		return;
	}

	/* 9: already inside. */
	if (inside && (rec->state == SEAT_ADMITTED || !in->event->reentry)) {
		v->by = rec->admitted_by;
		v->by_at = rec->admitted_at;
		when(rec->admitted_at, in->now, a, sizeof a);
		if (rec->admitted_by != 0 && rec->admitted_by == in->gate_id)
			snprintf(name, sizeof name, "this gate");
		else
			gate_name(in, rec->admitted_by, name, sizeof name);
		if (rec->state == SEAT_ADMITTED)
			deny(v, GATE_ALREADY_ADMITTED, "Already admitted at %s at %s.", name, a);
		else {
			when(rec->exited_at, in->now, b, sizeof b);
			deny(v, GATE_ALREADY_ADMITTED, "Already admitted at %s at %s and left at "
			    "%s: no re-entry at this event.", name, a, b);
		}
		return;
	}

	/* 10: admit. */
	v->admit = 1;
	v->reason = GATE_ADMITTED;
	snprintf(v->text, sizeof v->text, "%s", inside ? "Welcome back: re-entry on this "
	    "ticket." : "Valid ticket: let them in.");
}

void
gate_seat_words(const struct gate_verdict *v, char *buf, size_t len)
{
	if (v->label[0] == '\0')
		snprintf(buf, len, "-");
	else if (v->ga)
		snprintf(buf, len, "Section %s, standing (place %s)", v->section, v->seat);
	else
		snprintf(buf, len, "Section %s, row %s, seat %s", v->section, v->row, v->seat);
}

/* ---- The replica ---------------------------------------------------------------------- */

int
gate_keyring(struct replica *r, struct keyring **out, char **cause)
{
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *st;
	struct keyring *kr;
	struct cert c;
	uint8_t root[KEYS_PUBLICBYTES];
	char *hex = NULL, *why = NULL;
	int rc;

	rc = replica_meta_get(r, REPLICA_META_ROOT_PK, &hex, cause);
	if (rc == 1)
		return set_cause(cause, "the replica has no root key: enroll this scanner first");
	if (rc != 0)
		return -1;
	if (keys_unhex(hex, root, sizeof root) != 0) {
		free(hex);
		return set_cause(cause, "the replica's root key is not %d bytes of hex",
		    KEYS_PUBLICBYTES);
	}
	free(hex);
	kr = keyring_new(root);

	st = db_prepare(db, "SELECT device_id, cert FROM certificates ORDER BY device_id");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cert_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
		    &c, &why) != 0 || (uint32_t)sqlite3_column_int64(st, 0) != c.device_id ||
		    keyring_add(kr, &c, &why) != 0) {
			/* A certificate the root did not sign trusts nothing: skip it. */
			free(why);
			why = NULL;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	st = db_prepare(db, "SELECT id, revoked_at FROM devices WHERE revoked_at IS NOT NULL");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		keyring_revoke(kr, (uint32_t)sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	*out = kr;
	return 0;

fail:
	keyring_free(kr);
	return set_cause(cause, "reading the keyring: %s", sqlite3_errmsg(db));
}

/*
 * The keyring for a scan, rebuilt only when what it is built from changed. Building it checks
 * the root's signature on every certificate (about 60 us each), which at a venue with fifty
 * devices was most of a scan's time; hashing every certificate to see whether they changed
 * was still a tenth of a decision. So the replica counts their changes (meta keys_version,
 * kept by triggers, replica migration 3) and the keyring is current while the replica (its
 * file, device and root key) and that count are the ones it was built from. The keyring
 * returned is borrowed: valid until the next call, from one thread (the scanning one).
 */
static pthread_mutex_t keyring_mu = PTHREAD_MUTEX_INITIALIZER;
static struct keyring *keyring_cached;
static uint8_t keyring_hash[crypto_generichash_BYTES];

static int
keyring_for(struct replica *r, const struct keyring **out, char **cause)
{
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *st;
	crypto_generichash_state h;
	uint8_t sum[crypto_generichash_BYTES];
	const char *path = sqlite3_db_filename(db, "main");
	struct keyring *kr;
	int rc, i, counted;

	crypto_generichash_init(&h, NULL, 0, sizeof sum);
	if (path != NULL)
		crypto_generichash_update(&h, (const uint8_t *)path, strlen(path) + 1);
	st = db_cached(db, "SELECT (SELECT value FROM meta WHERE key = 'keys_version'), "
	    "(SELECT value FROM meta WHERE key = '" REPLICA_META_DEVICE_ID "'), "
	    "(SELECT value FROM meta WHERE key = '" REPLICA_META_ROOT_PK "')");
	rc = sqlite3_step(st);
	counted = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER;
	for (i = 0; rc == SQLITE_ROW && i < 3; i++) {
		int64_t n = sqlite3_column_bytes(st, i);
		const void *p = sqlite3_column_blob(st, i);

		crypto_generichash_update(&h, (const uint8_t *)&n, sizeof n);
		if (n > 0 && p != NULL)
			crypto_generichash_update(&h, p, (unsigned long long)n);
	}
	db_done(st);
	if (rc != SQLITE_ROW)
		return set_cause(cause, "reading the keyring: %s", sqlite3_errmsg(db));
	crypto_generichash_final(&h, sum, sizeof sum);

	pthread_mutex_lock(&keyring_mu);
	if (counted && keyring_cached != NULL &&
	    sodium_memcmp(sum, keyring_hash, sizeof sum) == 0) {
		*out = keyring_cached;
		pthread_mutex_unlock(&keyring_mu);
		return 0;
	}
	pthread_mutex_unlock(&keyring_mu);
	if (gate_keyring(r, &kr, cause) != 0)
		return -1;
	pthread_mutex_lock(&keyring_mu);
	keyring_free(keyring_cached);
	keyring_cached = kr;
	memcpy(keyring_hash, sum, sizeof sum);
	*out = kr;
	pthread_mutex_unlock(&keyring_mu);
	return 0;
}

uint32_t
gate_current_event(struct replica *r, const struct gate_window *w, int64_t now, char **name)
{
	sqlite3_stmt *st;
	uint32_t open = 0, next = 0, last = 0, id;
	int64_t doors, starts, next_doors = 0, last_starts = 0;
	char *open_name = NULL, *next_name = NULL, *last_name = NULL;
	const char *n;

	/* Prepared once (db_cached): this runs for every ticket a gate decides. */
	st = db_cached(replica_db(r), "SELECT id, name, doors_at, starts_at FROM events "
	    "ORDER BY doors_at, id");
	while (sqlite3_step(st) == SQLITE_ROW) {
		id = (uint32_t)sqlite3_column_int64(st, 0);
		n = (const char *)sqlite3_column_text(st, 1);
		doors = sqlite3_column_int64(st, 2) - w->early;
		starts = sqlite3_column_int64(st, 3);
		if (open == 0 && now >= doors && now <= starts + w->late) {
			open = id;
			open_name = xstrdup(n);
		}
		if (now < doors && (next == 0 || doors < next_doors)) {
			next = id;
			next_doors = doors;
			free(next_name);
			next_name = xstrdup(n);
		}
		if (last == 0 || starts >= last_starts) {
			last = id;
			last_starts = starts;
			free(last_name);
			last_name = xstrdup(n);
		}
	}
	db_done(st);
	id = open != 0 ? open : next != 0 ? next : last;
	if (id != 0 && name != NULL) {
		*name = open != 0 ? open_name : next != 0 ? next_name : last_name;
		if (*name == open_name)
			open_name = NULL;
		else if (*name == next_name)
			next_name = NULL;
		else
			last_name = NULL;
	}
	free(open_name);
	free(next_name);
	free(last_name);
	return id;
}

/* One count(*) with up to two parameters (those the statement does not use are ignored). */
static int
count(sqlite3 *db, const char *sql, uint32_t a, uint32_t b, int *out, char **cause)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc, n = sqlite3_bind_parameter_count(st);

	if (n >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (n >= 2)
		sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return set_cause(cause, "counting: %s", sqlite3_errmsg(db));
	return 0;
}

int
gate_counts(struct replica *r, uint32_t event, uint32_t gate, struct gate_counts *c,
    char **cause)
{
	sqlite3 *db = replica_db(r);
	struct gate_counts n;

	memset(&n, 0, sizeof n);
	if (count(db, "SELECT count(*) FROM admissions WHERE event_id = ?1 AND device_id = ?2",
	    event, gate, &n.here, cause) != 0 ||
	    count(db, "SELECT count(*) FROM seat_state WHERE event_id = ?1 AND state IN "
	    "('admitted', 'exited')", event, 0, &n.all, cause) != 0 ||
	    count(db, "SELECT count(*) FROM seat_state WHERE event_id = ?1 AND state = "
	    "'admitted'", event, 0, &n.inside, cause) != 0 ||
	    count(db, "SELECT count(*) FROM seat_state WHERE event_id = ?1 AND state IN "
	    "('sold', 'admitted', 'exited')", event, 0, &n.sold, cause) != 0 ||
	    count(db, "SELECT count(*) FROM seats WHERE venue_id = (SELECT venue_id FROM events "
	    "WHERE id = ?1)", event, 0, &n.capacity, cause) != 0 ||
	    count(db, "SELECT count(*) FROM scan_log", 0, 0, &n.scans,
	    cause) != 0)
		return -1;
	*c = n;
	return 0;
}

/* ---- gate_check ----------------------------------------------------------------------- */

/* What gate_check read from the replica for one scan; strings owned here. */
struct lookup {
	struct ticket     t;
	int               have_t;           /* t parsed (for the log, even when not verified) */
	enum ticket_error verify;
	struct gate_event event;
	int               have_event;
	uint32_t          venue;
	struct gate_event gate_event;
	int               have_gate_event;
	struct gate_seat  seat;
	int               have_seat;
	char             *tier;
	int64_t           tier_price;
	struct seat_rec   rec;
	char             *sections;
	char             *right_gates;
	char             *admitted_by;
	uint32_t          gate_event_id;
};

static void
lookup_free(struct lookup *l)
{
	free((char *)l->event.name);
	free((char *)l->gate_event.name);
	free((char *)l->seat.section);
	free((char *)l->seat.row);
	free(l->tier);
	seat_rec_free(&l->rec);
	free(l->sections);
	free(l->right_gates);
	free(l->admitted_by);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return xstrdup(t != NULL ? (const char *)t : "");
}

/* The row of event id into *e (name newly allocated); 1 when there is none. */
static int
load_event(sqlite3 *db, uint32_t id, struct gate_event *e, uint32_t *venue)
{
	sqlite3_stmt *st;
	int found = 0;

	st = db_cached(db, "SELECT name, starts_at, doors_at, reentry, venue_id FROM events "
	    "WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		e->id = id;
		e->name = column_dup(st, 0);
		e->starts_at = sqlite3_column_int64(st, 1);
		e->doors_at = sqlite3_column_int64(st, 2);
		e->reentry = sqlite3_column_int(st, 3);
		if (venue != NULL)
			*venue = (uint32_t)sqlite3_column_int64(st, 4);
		found = 1;
	}
	db_done(st);
	return found ? 0 : 1;
}

/* The gates other than me that admit section, by name: "North or South". NULL if none. */
static char *
right_gates(sqlite3 *db, uint32_t me, const char *section)
{
	sqlite3_stmt *st;
	char *list = NULL, *s;
	const char *name, *secs;

	st = db_cached(db, "SELECT name, sections FROM devices WHERE role = 'gate' AND id <> ?1 "
	    "AND revoked_at IS NULL ORDER BY name");
	sqlite3_bind_int64(st, 1, me);
	while (sqlite3_step(st) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		secs = (const char *)sqlite3_column_text(st, 1);
		if (!section_in(secs, section))
			continue;
		s = list == NULL ? xstrdup(name) : xasprintf("%s or %s", list, name);
		free(list);
		list = s;
	}
	db_done(st);
	return list;
}

static char *
device_name_of(sqlite3 *db, uint32_t id)
{
	sqlite3_stmt *st;
	char *name = NULL;

	st = db_cached(db, "SELECT name FROM devices WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		name = column_dup(st, 0);
	db_done(st);
	return name;
}

/*
 * Everything but the seat record: the ticket (verified, or the seat's sale for manual entry),
 * its event, seat and tier, the gate's sections and event.
 */
static int
lookup(struct device *d, const struct gate_config *cfg, const char *text, int manual,
    int64_t now, struct lookup *l, char **cause)
{
	struct replica *r = device_replica(d);
	sqlite3 *db = replica_db(r);
	const struct keyring *kr = NULL;
	sqlite3_stmt *st;
	uint8_t sig[KEYS_SIGBYTES];
	char sec[32], row[32], num[16], *why = NULL;
	char *gname = NULL;

	memset(l, 0, sizeof *l);
	seat_rec_init(&l->rec, 0, 0);
	l->verify = TICKET_ENOTTICKET;

	/* The gate: its sections and its event. */
	st = db_cached(db, "SELECT sections FROM devices WHERE id = ?1");
	sqlite3_bind_int64(st, 1, device_id(d));
	if (sqlite3_step(st) == SQLITE_ROW)
		l->sections = column_dup(st, 0);
	db_done(st);
	l->gate_event_id = cfg->event != 0 ? cfg->event :
	    gate_current_event(r, &cfg->window, now, &gname);
	free(gname);
	if (l->gate_event_id != 0 &&
	    load_event(db, l->gate_event_id, &l->gate_event, NULL) == 0)
		l->have_gate_event = 1;

	if (manual) {
		/* A seat label typed by staff: the ticket is the seat's current sale. */
		if (seat_label_parse(text, sec, sizeof sec, row, sizeof row, num, sizeof num,
		    &why) != 0) {
			free(why);
			return 0;               /* not a ticket */
		}
		if (!l->have_gate_event)
			return 0;
		st = db_cached(db, "SELECT s.id FROM seats s JOIN events e ON e.venue_id = "
		    "s.venue_id WHERE e.id = ?1 AND s.section = upper(?2) AND s.row = upper(?3) "
		    "AND s.number = CAST(?4 AS INTEGER)");
		sqlite3_bind_int64(st, 1, l->gate_event_id);
		sqlite3_bind_text(st, 2, sec, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, row, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, num, -1, SQLITE_STATIC);
		l->t.seat_id = 0;
		if (sqlite3_step(st) == SQLITE_ROW)
			l->t.seat_id = (uint32_t)sqlite3_column_int64(st, 0);
		db_done(st);
		l->t.version = TICKET_VERSION;
		l->t.event_id = l->gate_event_id;
		if (l->t.seat_id != 0) {
			if (device_seat(d, l->t.event_id, l->t.seat_id, &l->rec, cause) != 0)
				return -1;
			l->t.key_id = l->rec.key_id;
			l->t.serial = l->rec.serial;
			l->t.generation = l->rec.generation;
			l->t.tier = l->rec.tier;
			l->t.issued_at = (uint32_t)l->rec.sold_at;
		}
		l->have_t = 1;
		l->verify = TICKET_OK;
	} else {
		if (keyring_for(r, &kr, cause) != 0)
			return -1;
		l->verify = ticket_verify(text, kr, &l->t);
		if (l->verify == TICKET_OK)
			l->have_t = 1;
		else if (ticket_parse(text, &l->t, sig) == TICKET_OK)
			l->have_t = 2;  /* for the log only: nothing in it is believed */
		if (l->verify != TICKET_OK)
			return 0;
	}

	if (load_event(db, l->t.event_id, &l->event, &l->venue) != 0)
		return 0;
	l->have_event = 1;

	st = db_cached(db, "SELECT section, row, number, ga FROM seats WHERE id = ?1 AND "
	    "venue_id = ?2");
	sqlite3_bind_int64(st, 1, l->t.seat_id);
	sqlite3_bind_int64(st, 2, l->venue);
	if (sqlite3_step(st) == SQLITE_ROW) {
		l->seat.id = l->t.seat_id;
		l->seat.section = column_dup(st, 0);
		l->seat.row = column_dup(st, 1);
		l->seat.number = (uint32_t)sqlite3_column_int64(st, 2);
		l->seat.ga = sqlite3_column_int(st, 3);
		l->have_seat = 1;
	}
	db_done(st);
	if (!l->have_seat)
		return 0;

	st = db_cached(db, "SELECT name, price FROM tiers WHERE event_id = ?1 AND idx = ?2");
	sqlite3_bind_int64(st, 1, l->t.event_id);
	sqlite3_bind_int(st, 2, l->t.tier);
	if (sqlite3_step(st) == SQLITE_ROW) {
		l->tier = column_dup(st, 0);
		l->tier_price = sqlite3_column_int64(st, 1);
	}
	db_done(st);

	if (!section_in(l->sections, l->seat.section))
		l->right_gates = right_gates(db, device_id(d), l->seat.section);
	return 0;
}

/* Read the seat record (again: inside the transaction it is the one the change builds on). */
static int
lookup_rec(struct device *d, struct lookup *l, char **cause)
{
	sqlite3 *db = replica_db(device_replica(d));

	if (!l->have_seat)
		return 0;
	seat_rec_free(&l->rec);
	seat_rec_init(&l->rec, 0, 0);
	if (device_seat(d, l->t.event_id, l->t.seat_id, &l->rec, cause) != 0)
		return -1;
	free(l->admitted_by);
	l->admitted_by = l->rec.admitted_by != 0 ? device_name_of(db, l->rec.admitted_by) : NULL;
	return 0;
}

static void
decide(struct device *d, const struct gate_config *cfg, struct lookup *l, int manual,
    enum gate_mode mode, int64_t now, struct gate_verdict *v)
{
	struct gate_input in;

	memset(&in, 0, sizeof in);
	in.verify = l->verify;
	in.ticket = l->have_t == 1 ? &l->t : NULL;
	in.manual = manual;
	in.gate_id = device_id(d);
	in.gate_event = l->gate_event_id;
	in.gate_event_row = l->have_gate_event ? &l->gate_event : NULL;
	in.event = l->have_event ? &l->event : NULL;
	in.seat = l->have_seat ? &l->seat : NULL;
	in.tier = l->tier;
	in.rec = &l->rec;
	in.sections = l->sections;
	in.right_gates = l->right_gates;
	in.admitted_by = l->admitted_by;
	in.mode = mode;
	in.window = cfg->window;
	in.now = now;
	gate_decide(&in, v);
}

/*
 * The seat as this entry or exit leaves it, without the vector and changed_by/at (the caller
 * or device_change sets those). A seat the replica has not seen sold at the ticket's
 * generation takes the sale from the signed ticket.
 */
static void
rec_after(const struct lookup *l, enum gate_mode mode, uint32_t me, int64_t now,
    struct seat_rec *out)
{
	const struct seat_rec *cur = &l->rec;

	seat_rec_copy(out, cur);
	out->event_id = l->t.event_id;
	out->seat_id = l->t.seat_id;
	if (!(seat_rec_has_sale(cur) && cur->generation == l->t.generation &&
	    cur->key_id == l->t.key_id && cur->serial == l->t.serial)) {
		out->generation = l->t.generation;
		out->key_id = l->t.key_id;
		out->serial = l->t.serial;
		out->tier = l->t.tier;
		out->price = l->tier_price;
		out->sold_at = l->t.issued_at;
		out->admitted_by = 0;
		out->admitted_at = 0;
		out->exited_at = 0;
		out->moves = 0;
	}
	out->moves = (uint16_t)(out->moves + 1);
	if (mode == GATE_EXIT) {
		out->state = SEAT_EXITED;
		out->exited_at = now;
	} else {
		out->state = SEAT_ADMITTED;
		out->admitted_by = me;
		out->admitted_at = now;
	}
}

/* The server's answer to an online admission. */
struct online {
	int       prepared;     /* op holds a spent dot */
	struct op op;
	int       answered;     /* 200 or 409 */
	int       accepted;     /* 200 */
	char      reason[32];   /* 409: the server's reason */
	uint32_t  by;
	int64_t   at;
	json_t   *rec;          /* its record of the seat (new reference), or NULL */
};

/*
 * Offer the entry or exit to the server's compare-and-swap. The operation's dot is spent first
 * (device_prepare), so that a dot the server may have seen is never used for anything else;
 * when the server does not answer, the same operation goes to the outbox.
 */
static void
ask_server(struct device *d, const struct lookup *l, enum gate_mode mode, int64_t now,
    struct online *on)
{
	struct seat_rec next;
	json_t *body, *reply = NULL;
	const char *reason;
	char *why = NULL;
	long status = 0;
	int rc;

	seat_rec_init(&next, 0, 0);
	rec_after(l, mode, device_id(d), now, &next);
	rc = device_prepare(d, mode == GATE_EXIT ? OP_EXIT : OP_ADMIT, &next, NULL, 0, now,
	    &on->op, &why);
	seat_rec_free(&next);
	if (rc != 0) {
		free(why);
		return;         /* decide alone */
	}
	on->prepared = 1;
	/* "compact": the record comes back as an array (servers before it ignore the member). */
	body = json_pack("{s:o,s:b}", "op", proto_op_to_compact(&on->op), "compact", 1);
	rc = device_call(d, "POST", PROTO_PREFIX "/admit", body, 0, &status, &reply, &why);
	json_decref(body);
	if (rc != 0) {
		free(why);
		return;
	}
	if (status == 200 || status == 409) {
		on->answered = 1;
		on->accepted = status == 200;
		reason = json_string_value(json_object_get(reply, "reason"));
		snprintf(on->reason, sizeof on->reason, "%s", reason != NULL ? reason : "refused");
		on->by = (uint32_t)json_integer_value(json_object_get(reply, "by"));
		on->at = json_integer_value(json_object_get(reply, "at"));
		on->rec = json_incref(json_object_get(reply, "rec"));
	}
	json_decref(reply);
}

static int
log_scan(sqlite3 *db, uint32_t me, const char *text, const struct gate_verdict *v,
    const struct lookup *l, char **cause)
{
	sqlite3_stmt *st;
	size_t n = strlen(text);
	int rc;

	st = db_cached(db, "INSERT INTO scan_log (at, raw, verdict, reason, event_id, seat_id, "
	    "route, mode) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	sqlite3_bind_int64(st, 1, v->at);
	sqlite3_bind_text(st, 2, text, (int)(n > GATE_RAW_MAX ? GATE_RAW_MAX : n),
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, v->admit ? "admit" : "deny", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, gate_reason_code(v->reason), -1, SQLITE_STATIC);
	if (l->have_t) {
		sqlite3_bind_int64(st, 5, l->t.event_id);
		if (l->t.seat_id != 0)
			sqlite3_bind_int64(st, 6, l->t.seat_id);
	}
	if (v->route != GATE_ROUTE_NONE)
		sqlite3_bind_text(st, 7, gate_route_name(v->route), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, gate_mode_name(v->mode), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return set_cause(cause, "recording the scan: %s", sqlite3_errmsg(db));
	if (!v->admit || v->mode != GATE_ENTRY)
		return 0;
	st = db_cached(db, "INSERT OR IGNORE INTO admissions (event_id, seat_id, device_id, at, "
	    "route, generation) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_bind_int64(st, 1, l->t.event_id);
	sqlite3_bind_int64(st, 2, l->t.seat_id);
	sqlite3_bind_int64(st, 3, me);
	sqlite3_bind_int64(st, 4, v->at);
	sqlite3_bind_text(st, 5, gate_route_name(v->route), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, l->t.generation);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return set_cause(cause, "recording the admission: %s", sqlite3_errmsg(db));
	return 0;
}

/* A ticket's text, even a damaged one ("TS" and a digit), rather than a seat label? */
static int
looks_like_ticket(const char *text)
{
	while (isspace((unsigned char)*text))
		text++;
	return strncmp(text, "TS", 2) == 0 && isdigit((unsigned char)text[2]);
}

int
gate_check(struct device *d, const char *text, enum gate_mode mode, int offline,
    struct gate_verdict *v, char **cause)
{
	struct gate_config cfg;

	gate_config_default(&cfg);
	return gate_check_config(d, &cfg, text, 0, mode, offline, v, cause);
}

int
gate_check_config(struct device *d, const struct gate_config *cfg, const char *text,
    int manual, enum gate_mode mode, int offline, struct gate_verdict *v, char **cause)
{
	struct replica *r = device_replica(d);
	sqlite3 *db = replica_db(r);
	struct lookup l;
	struct online on;
	struct gate_verdict out;
	struct seat_rec next;
	int64_t now = device_now(d);
	uint32_t dot, me = device_id(d);
	int conflicts = 0, rc = -1, reason;

	memset(&on, 0, sizeof on);
	seat_rec_init(&next, 0, 0);
	if (manual && looks_like_ticket(text))
		manual = 0;
	if (lookup(d, cfg, text, manual, now, &l, cause) != 0 ||
	    lookup_rec(d, &l, cause) != 0)
		goto out;
	decide(d, cfg, &l, manual, mode, now, &out);

	/* Online: the server's compare-and-swap decides, within the online timeout. */
	if (out.admit && !offline)
		ask_server(d, &l, mode, now, &on);

	if (db_begin(db, cause) != 0)
		goto out;
	if (on.answered) {
		if (on.rec != NULL && device_merge_json(d, on.rec, &conflicts, cause) != 0)
			goto rollback;
		if (lookup_rec(d, &l, cause) != 0)
			goto rollback;
		if (!on.accepted) {
			/* Decide again on what the server knows, for the sentence. */
			decide(d, cfg, &l, manual, mode, now, &out);
			if (out.admit) {
				reason = gate_reason_parse(on.reason);
				deny(&out, reason > 0 ? (enum gate_reason)reason : GATE_VOID,
				    "Refused by the server (%s): call a supervisor.", on.reason);
				out.by = on.by;
				out.by_at = on.at;
			}
		}
		out.route = GATE_ROUTE_ONLINE;
	} else {
		/*
		 * Alone: decide again inside the transaction, on the record the change builds on
		 * (the syncer may have merged something since). A prepared operation keeps its
		 * dot: if the server did hear it, the push is told "known".
		 */
		if (lookup_rec(d, &l, cause) != 0)
			goto rollback;
		decide(d, cfg, &l, manual, mode, now, &out);
		out.route = GATE_ROUTE_OFFLINE;
		if (out.admit && on.prepared) {
			/*
			 * The record rebuilt from the replica keeps the entry the prepared one
			 * used (which may follow a reserved one: device_prepare), so that what is
			 * recorded is what was offered, and the reservation is cleared.
			 */
			uint32_t entry = vv_get(&on.op.rec.vv, me);

			seat_rec_free(&on.op.rec);
			seat_rec_init(&on.op.rec, 0, 0);
			rec_after(&l, mode, me, now, &on.op.rec);
			vv_increment(&on.op.rec.vv, me);
			vv_raise(&on.op.rec.vv, me, entry);
			on.op.rec.changed_by = me;
			on.op.rec.changed_at = on.op.at;
			if (device_record(d, &on.op, cause) != 0)
				goto rollback;
		} else if (out.admit) {
			rec_after(&l, mode, me, now, &next);
			if (device_change(d, mode == GATE_EXIT ? OP_EXIT : OP_ADMIT, &next, NULL, 0,
			    now, &dot, cause) != 0)
				goto rollback;
		}
	}
	if (log_scan(db, me, text, &out, &l, cause) != 0)
		goto rollback;
	if (db_commit(db, cause) != 0)
		goto out;
	*v = out;
	rc = 0;
	goto out;

rollback:
	db_rollback(db);
out:
	json_decref(on.rec);
	if (on.prepared)
		op_free(&on.op);
	seat_rec_free(&next);
	lookup_free(&l);
	return rc;
}
