/*
 * device.c: a box office or a gate as a replica of the server.
 *
 * Local changes: device_change() writes the seat (its vector counting one more change of this
 * device) and the operation, by dot (device id, next_op_seq), into the outbox, inside the
 * caller's transaction: a sale or an admission shown on screen is on disk with its operation.
 *
 * Push: the outbox goes up in batches in dot order. The server answers per operation with the
 * seat as it now stands; in one transaction the device merges each answer and deletes each
 * acknowledged operation. A push cut off anywhere is repeated: the server knows the dots it
 * has, so nothing is applied twice, and nothing is deleted before it was acknowledged.
 *
 * Pull: every change since the cursor, merged seat by seat with the rule of merge.c (so a
 * replica converges with the server whatever order things happen in), with the devices
 * (certificates, revocations, gate sections) and the conflicts the server found; the cursor
 * moves in the same transaction.
 *
 * Bootstrap: an event the replica lacks comes in pages of seats (GET /v1/bootstrap, after a
 * seat id cursor), all written in one transaction, so an event is in the replica whole or not
 * at all; each page's JSON is freed once written, so memory is a page, not the venue. The
 * pull cursor goes to the change sequence of the first page, and the next pull brings what
 * changed while paging (merging a record again is a no-op).
 *
 * A store restored from an older backup (docs/reliability.md): every answer names the store's
 * epoch and change sequence; the device keeps, per epoch, the highest sequence it heard
 * (meta server_seen, written in the transaction that records what the answer said). When it
 * has heard an epoch other than the one it last verified (server_epoch), the next push or pull
 * first asks the server whether all of that is still its history (POST /v1/epoch). If not, the
 * device recovers: it reads every record the server has, makes a new operation for every seat
 * whose latest change is its own and that the server lacks, pushes them, pulls everything
 * again from the start and takes the new epoch.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client.h"
#include "db.h"
#include "device.h"
#include "journal.h"
#include "proto.h"
#include "tlspin.h"
#include "xmalloc.h"

#define PUSH_BATCH      500
#define ONLINE_TIMEOUT  300
#define SYNC_TIMEOUT    15000
/*
 * An unanswered online sale the server has not applied is forgotten once this long has passed
 * since it (and a pull has been answered since): a server slow enough to apply a request
 * later than that has stopped answering the device for longer than any of its timeouts.
 */
#define UNANSWERED_SETTLE 120

struct device {
	char            *path;
	struct replica  *r;
	sqlite3         *db;
	struct keypair  *kp;
	struct client   *c;
	uint32_t         id;
	int              role;
	char            *name;
	char            *url;
	char            *pin;           /* the server's TLS key, or NULL */
	long             online_ms;
	int              offline;
	int64_t          saved_offset;
	json_t          *heard;         /* {epoch: seq} of the answers this device had */
	int              heard_dirty;   /* heard has news for meta server_seen */
	int              verifying;     /* inside device_verify: no second one */
	int              boot_limit;    /* seats a bootstrap page, 0: the server's limit */
	int            (*boot_page)(void *, size_t);
	void            *boot_arg;
};

/* The epoch this replica's history was last verified against, and what it heard per epoch. */
#define META_SERVER_EPOCH  "server_epoch"
#define META_SERVER_SEEN   "server_seen"

static int seen_flush(struct device *d, char **cause);
static int device_verify(struct device *d, struct sync_report *rep, char **cause);

char *
device_key_path(const char *replica)
{
	return xasprintf("%s.key", replica);
}

uint32_t
device_id(const struct device *d)
{
	return d->id;
}

int
device_role(const struct device *d)
{
	return d->role;
}

const char *
device_name(const struct device *d)
{
	return d->name;
}

const char *
device_server(const struct device *d)
{
	return d->url;
}

const char *
device_tls_pin(const struct device *d)
{
	return d->pin;
}

struct replica *
device_replica(struct device *d)
{
	return d->r;
}

const struct keypair *
device_keypair(const struct device *d)
{
	return d->kp;
}

void
device_set_online_timeout(struct device *d, long ms)
{
	d->online_ms = ms;
}

void
device_set_offline(struct device *d, int offline)
{
	d->offline = offline;
}

int
device_offline(const struct device *d)
{
	return d->offline;
}

int64_t
device_now(const struct device *d)
{
	return (int64_t)time(NULL) + client_clock_offset(d->c);
}

/* ------------------------------------------------------------------ seats in the replica */

#define REC_COLUMNS "event_id, seat_id, state, vv, generation, key_id, serial, tier, price, " \
	"sold_at, admitted_by, admitted_at, exited_at, moves, changed_by, changed_at"

static int
rec_load(struct device *d, uint32_t event, uint32_t seat, struct seat_rec *r, char **cause)
{
	sqlite3_stmt *s;
	struct vv v;
	int rc = 0, state;

	seat_rec_init(r, event, seat);
	s = db_cached(d->db, "SELECT " REC_COLUMNS " FROM seat_state WHERE event_id = ? AND "
	    "seat_id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	if (sqlite3_step(s) == SQLITE_ROW) {
		vv_init(&v);
		if (vv_decode(sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3), &v,
		    cause) != 0)
			rc = -1;
		else {
			vv_free(&r->vv);
			r->vv = v;
			state = seat_state_parse((const char *)sqlite3_column_text(s, 2));
			r->state = state < 0 ? SEAT_AVAILABLE : (enum seat_state)state;
			r->generation = (uint16_t)sqlite3_column_int(s, 4);
			r->key_id = (uint32_t)sqlite3_column_int64(s, 5);
			r->serial = (uint32_t)sqlite3_column_int64(s, 6);
			r->tier = (uint8_t)sqlite3_column_int(s, 7);
			r->price = sqlite3_column_int64(s, 8);
			r->sold_at = sqlite3_column_int64(s, 9);
			r->admitted_by = (uint32_t)sqlite3_column_int64(s, 10);
			r->admitted_at = sqlite3_column_int64(s, 11);
			r->exited_at = sqlite3_column_int64(s, 12);
			r->moves = (uint16_t)sqlite3_column_int(s, 13);
			r->changed_by = (uint32_t)sqlite3_column_int64(s, 14);
			r->changed_at = sqlite3_column_int64(s, 15);
		}
	}
	db_done(s);
	return rc;
}

/* sql with the seat's event, seat and this device's entry in r's vector bound, run once. */
static int
pending_write(struct device *d, const char *sql, const struct seat_rec *r, const char *what,
    char **cause)
{
	sqlite3_stmt *s = db_cached(d->db, sql);
	int rc;

	sqlite3_bind_int64(s, 1, r->event_id);
	sqlite3_bind_int64(s, 2, r->seat_id);
	sqlite3_bind_int64(s, 3, vv_get(&r->vv, d->id));
	rc = sqlite3_step(s);
	db_done(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(d->db, what);
		return -1;
	}
	return 0;
}

static int
rec_save(struct device *d, const struct seat_rec *r, char **cause)
{
	sqlite3_stmt *s;
	uint8_t *vv;
	size_t len;
	int rc;

	len = vv_encode(&r->vv, &vv);
	s = db_cached(d->db, "INSERT INTO seat_state(" REC_COLUMNS ") VALUES(?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id, seat_id) DO UPDATE SET "
	    "state = excluded.state, vv = excluded.vv, generation = excluded.generation, "
	    "key_id = excluded.key_id, serial = excluded.serial, tier = excluded.tier, "
	    "price = excluded.price, sold_at = excluded.sold_at, admitted_by = "
	    "excluded.admitted_by, admitted_at = excluded.admitted_at, exited_at = "
	    "excluded.exited_at, moves = excluded.moves, changed_by = excluded.changed_by, "
	    "changed_at = excluded.changed_at");
	sqlite3_bind_int64(s, 1, r->event_id);
	sqlite3_bind_int64(s, 2, r->seat_id);
	sqlite3_bind_text(s, 3, seat_state_name(r->state), -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, vv, (int)len, free);
	sqlite3_bind_int(s, 5, r->generation);
	sqlite3_bind_int64(s, 6, r->key_id);
	sqlite3_bind_int64(s, 7, r->serial);
	sqlite3_bind_int(s, 8, r->tier);
	sqlite3_bind_int64(s, 9, r->price);
	sqlite3_bind_int64(s, 10, r->sold_at);
	sqlite3_bind_int64(s, 11, r->admitted_by);
	sqlite3_bind_int64(s, 12, r->admitted_at);
	sqlite3_bind_int64(s, 13, r->exited_at);
	sqlite3_bind_int(s, 14, r->moves);
	sqlite3_bind_int64(s, 15, r->changed_by);
	sqlite3_bind_int64(s, 16, r->changed_at);
	rc = sqlite3_step(s);
	db_done(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(d->db, "saving the seat");
		return -1;
	}
	/* A change of ours now recorded: its reservation (device_prepare) is done with. */
	if (vv_get(&r->vv, d->id) != 0 && pending_write(d, "DELETE FROM pending WHERE "
	    "event_id = ? AND seat_id = ? AND entry <= ?", r, "clearing a pending change",
	    cause) != 0)
		return -1;
	return 0;
}

int
device_seat(struct device *d, uint32_t event, uint32_t seat, struct seat_rec *r, char **cause)
{
	struct seat_rec tmp;

	if (rec_load(d, event, seat, &tmp, cause) != 0) {
		seat_rec_free(&tmp);
		return -1;
	}
	*r = tmp;
	return 0;
}

int
device_waiting(struct device *d)
{
	sqlite3_stmt *s;
	int n = 0;

	s = db_cached(d->db, "SELECT count(*) FROM outbox");
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	db_done(s);
	return n;
}

static int
event_known(struct device *d, uint32_t event)
{
	sqlite3_stmt *s;
	int found;

	s = db_cached(d->db, "SELECT 1 FROM events WHERE id = ?");
	sqlite3_bind_int64(s, 1, event);
	found = sqlite3_step(s) == SQLITE_ROW;
	db_done(s);
	return found;
}

static int
conflict_save(struct device *d, const struct conflict *c, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = db_cached(d->db, "INSERT OR IGNORE INTO conflicts(event_id, seat_id, kind, "
	    "winner_device, winner_at, loser_device, loser_at, loser_key_id, loser_serial, at) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(s, 1, c->event_id);
	sqlite3_bind_int64(s, 2, c->seat_id);
	sqlite3_bind_text(s, 3, conflict_kind_name(c->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, c->winner_device);
	sqlite3_bind_int64(s, 5, c->winner_at);
	sqlite3_bind_int64(s, 6, c->loser_device);
	sqlite3_bind_int64(s, 7, c->loser_at);
	sqlite3_bind_int64(s, 8, c->loser_key_id);
	sqlite3_bind_int64(s, 9, c->loser_serial);
	sqlite3_bind_int64(s, 10, device_now(d));
	rc = sqlite3_step(s);
	db_done(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(d->db, "recording a conflict");
		return -1;
	}
	return sqlite3_changes(d->db);
}

int
device_merge_json(struct device *d, const json_t *j, int *conflicts, char **cause)
{
	struct seat_rec in, local;
	struct conflict c;
	enum merge_result m;
	int rc = -1, n;

	seat_rec_init(&in, 0, 0);
	seat_rec_init(&local, 0, 0);
	/* The caller's transaction records what the server said: and the epoch it said it in. */
	if (seen_flush(d, cause) != 0)
		goto out;
	if (proto_rec_from_json(j, "rec", &in, cause) != 0)
		goto out;
	if (!event_known(d, in.event_id)) {
		rc = 0;         /* not bootstrapped here: it comes with the bootstrap */
		goto out;
	}
	seat_rec_free(&local);
	if (rec_load(d, in.event_id, in.seat_id, &local, cause) != 0)
		goto out;
	m = merge_seat(&local, &in, &c);
	if (m != MERGE_KNOWN && rec_save(d, &local, cause) != 0)
		goto out;
	if (c.kind != CONFLICT_NONE) {
		if ((n = conflict_save(d, &c, cause)) < 0)
			goto out;
		if (conflicts != NULL)
			*conflicts += n;
	}
	rc = 0;
out:
	seat_rec_free(&in);
	seat_rec_free(&local);
	return rc;
}

/* ------------------------------------------------------------------ local changes */

static int
meta_next(struct device *d, const char *key, int64_t *value, char **cause)
{
	int64_t v = 1;
	int rc;

	rc = replica_meta_get_int(d->r, key, &v, cause);
	if (rc < 0)
		return -1;
	if (rc == 1 || v < 1)
		v = 1;
	if (replica_meta_set_int(d->r, key, v + 1, cause) != 0)
		return -1;
	*value = v;
	return 0;
}

static int
prepare(struct device *d, enum op_kind kind, struct seat_rec *r, const char *pay,
    uint32_t order, int64_t at, int reserve, struct op *o, char **cause)
{
	sqlite3_stmt *s;
	int64_t seq;
	int own = sqlite3_get_autocommit(d->db), rc;

	/* The dot is spent for good before anyone hears of it: never reused after a crash. */
	if (own && db_begin(d->db, cause) != 0)
		return -1;
	if (meta_next(d, REPLICA_META_NEXT_OP_SEQ, &seq, cause) != 0)
		goto fail;
	/*
	 * After the entry of an operation offered to the server and never recorded here (the
	 * device killed between the server's commit and its own): otherwise this change would
	 * carry the same vector as the one the server may hold, and neither side would see that
	 * they differ.
	 */
	s = db_cached(d->db, "SELECT entry FROM pending WHERE event_id = ? AND seat_id = ?");
	sqlite3_bind_int64(s, 1, r->event_id);
	sqlite3_bind_int64(s, 2, r->seat_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		vv_raise(&r->vv, d->id, (uint32_t)sqlite3_column_int64(s, 0));
	db_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = db_error(d->db, "reading a pending change");
		goto fail;
	}
	vv_increment(&r->vv, d->id);
	if (reserve && pending_write(d, "INSERT INTO pending VALUES(?, ?, ?) ON CONFLICT("
	    "event_id, seat_id) DO UPDATE SET entry = max(entry, excluded.entry)", r,
	    "reserving the change", cause) != 0)
		goto fail;
	if (own && db_commit(d->db, cause) != 0)
		goto fail;
	r->changed_by = d->id;
	/*
	 * The caller's time, not a second reading of the clock: the operation's at must be the
	 * time the caller stamped the rest of the change with (device.h).
	 */
	r->changed_at = at;
	op_init(o);
	seat_rec_copy(&o->rec, r);
	o->device_id = d->id;
	o->seq = (uint32_t)seq;
	o->kind = kind;
	o->at = r->changed_at;
	if (pay != NULL)
		snprintf(o->pay, sizeof o->pay, "%s", pay);
	o->order = order;
	return 0;
fail:
	if (own)
		db_rollback(d->db);
	return -1;
}

int
device_prepare(struct device *d, enum op_kind kind, struct seat_rec *r, const char *pay,
    uint32_t order, int64_t at, struct op *o, char **cause)
{
	return prepare(d, kind, r, pay, order, at, 1, o, cause);
}

int
device_record(struct device *d, const struct op *o, char **cause)
{
	sqlite3_stmt *s;
	json_t *j;
	char *body;
	int rc;

	if (rec_save(d, &o->rec, cause) != 0)
		return -1;
	j = proto_op_to_compact(o);
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	s = db_cached(d->db, "INSERT INTO outbox(device_id, seq, kind, event_id, seat_id, body, "
	    "created_at) VALUES(?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(s, 1, d->id);
	sqlite3_bind_int64(s, 2, o->seq);
	sqlite3_bind_text(s, 3, op_kind_name(o->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, o->rec.event_id);
	sqlite3_bind_int64(s, 5, o->rec.seat_id);
	sqlite3_bind_text(s, 6, body, -1, free);
	sqlite3_bind_int64(s, 7, o->at);
	rc = sqlite3_step(s);
	db_done(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(d->db, "queueing the operation");
		return -1;
	}
	return 0;
}

int
device_change(struct device *d, enum op_kind kind, struct seat_rec *r, const char *pay,
    uint32_t order, int64_t at, uint32_t *dot, char **cause)
{
	struct op o;
	int rc;

	/* Recorded in the same transaction: nothing to reserve. */
	if (prepare(d, kind, r, pay, order, at, 0, &o, cause) != 0)
		return -1;
	rc = device_record(d, &o, cause);
	if (rc == 0 && dot != NULL)
		*dot = o.seq;
	op_free(&o);
	return rc;
}

/* ------------------------------------------------------------------ epochs heard */

/* Remember the store epoch and sequence of the answer just received (in memory). */
static void
heard_note(struct device *d)
{
	const char *e;
	json_t *v;
	uint64_t seq;

	e = client_epoch(d->c, &seq);
	if (e[0] == '\0')
		return;         /* a server that names no epoch */
	if (d->heard == NULL)
		d->heard = json_object();
	v = json_object_get(d->heard, e);
	if (v == NULL || (uint64_t)json_integer_value(v) < seq) {
		json_object_set_new(d->heard, e, json_integer((json_int_t)seq));
		d->heard_dirty = 1;
	}
}

/* meta server_seen as an object {epoch: seq} (new reference; {} when absent), or NULL. */
static json_t *
seen_load(struct device *d, char **cause)
{
	json_error_t jerr;
	json_t *j = NULL;
	char *text = NULL;
	int rc;

	if ((rc = replica_meta_get(d->r, META_SERVER_SEEN, &text, cause)) < 0)
		return NULL;
	if (rc == 0)
		j = json_loads(text, 0, &jerr);
	free(text);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j != NULL ? j : json_object();
}

static int
seen_save(struct device *d, const json_t *seen, char **cause)
{
	char *text = json_dumps(seen, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	rc = replica_meta_set(d->r, META_SERVER_SEEN, text, cause);
	free(text);
	return rc;
}

/*
 * Add what the answers said to meta server_seen, in the caller's transaction when one is open:
 * what the device records from an answer is durable only with the epoch it came from.
 */
static int
seen_flush(struct device *d, char **cause)
{
	json_t *seen, *v, *old;
	const char *k;
	int changed = 0, rc = 0;

	if (!d->heard_dirty)
		return 0;
	if ((seen = seen_load(d, cause)) == NULL)
		return -1;
	json_object_foreach(d->heard, k, v) {
		old = json_object_get(seen, k);
		if (old == NULL || json_integer_value(old) < json_integer_value(v)) {
			json_object_set(seen, k, v);
			changed = 1;
		}
	}
	if (changed)
		rc = seen_save(d, seen, cause);
	json_decref(seen);
	/*
	 * Forgotten here even inside a transaction: if that rolls back, so does what the answer
	 * brought (acknowledgements, the cursor), which the device then asks for again.
	 */
	if (rc == 0) {
		d->heard_dirty = 0;
		json_object_clear(d->heard);
	}
	return rc;
}

/* ------------------------------------------------------------------ server calls */

/* Remember the server's clock when it moved (outside a transaction: a cache only). */
static void
save_offset(struct device *d)
{
	int64_t off = client_clock_offset(d->c);

	if (off == d->saved_offset || sqlite3_get_autocommit(d->db) == 0)
		return;
	if (replica_meta_set_int(d->r, REPLICA_META_CLOCK_OFFSET, off, NULL) == 0)
		d->saved_offset = off;
}

int
device_call(struct device *d, const char *method, const char *path, json_t *body, long ms,
    long *status, json_t **reply, char **cause)
{
	if (d->offline)
		return set_cause(cause, "offline mode");
	client_set_timeout(d->c, ms > 0 ? ms : d->online_ms);
	if (client_call(d->c, method, path, body, status, reply, cause) != 0)
		return -1;
	heard_note(d);
	save_offset(d);
	return 0;
}

/* A sync call: the long timeout; anything but 200 is an error naming the server's reason. */
static int
sync_call(struct device *d, const char *method, const char *path, json_t *body, long ms,
    json_t **reply, char **cause)
{
	json_t *j = NULL;
	long status = 0;
	const char *err;

	client_set_timeout(d->c, ms);
	if (client_call(d->c, method, path, body, &status, &j, cause) != 0)
		return -1;
	heard_note(d);
	if (status != 200) {
		err = json_string_value(json_object_get(j, "error"));
		if (status == 403 && err != NULL && strstr(err, "revoked") != NULL)
			set_cause(cause, "this device was revoked by the central office: %s", err);
		else
			set_cause(cause, "the server refused %s %s (%ld): %s", method, path, status,
			    err != NULL ? err : "no reason given");
		json_decref(j);
		return -1;
	}
	*reply = j;
	return 0;
}

/* ------------------------------------------------------------------ enroll and open */

static int
save_devices(struct device *d, const json_t *a, char **cause)
{
	sqlite3_stmt *s;
	const json_t *v;
	const char *certhex, *role;
	uint8_t cert[CERT_BYTES];
	struct cert c;
	size_t i;
	int rc;

	json_array_foreach(a, i, v) {
		json_int_t id = json_integer_value(json_object_get(v, "id"));
		json_int_t revoked = json_integer_value(json_object_get(v, "revoked_at"));

		role = json_string_value(json_object_get(v, "role"));
		if (id <= 0 || role == NULL || role_parse(role) < 0)
			return set_cause(cause, "the server sent a malformed device");
		s = db_prepare(d->db, "INSERT INTO devices(id, name, role, sections, revoked_at) "
		    "VALUES(?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
		    "role = excluded.role, sections = excluded.sections, revoked_at = "
		    "excluded.revoked_at");
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, json_string_value(json_object_get(v, "name")) != NULL ?
		    json_string_value(json_object_get(v, "name")) : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, role, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 4, json_string_value(json_object_get(v, "sections")) != NULL ?
		    json_string_value(json_object_get(v, "sections")) : "", -1, SQLITE_TRANSIENT);
		if (revoked > 0)
			sqlite3_bind_int64(s, 5, revoked);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			*cause = db_error(d->db, "saving a device");
			return -1;
		}
		certhex = json_string_value(json_object_get(v, "cert"));
		if (certhex == NULL)
			continue;
		/* Only certificates the root signed for this very device are kept. */
		if (strlen(certhex) != 2 * CERT_BYTES ||
		    keys_unhex(certhex, cert, sizeof cert) != 0 ||
		    cert_decode(cert, sizeof cert, &c, NULL) != 0 || c.device_id != id)
			return set_cause(cause, "the server sent a malformed certificate");
		{
			char *roothex = NULL;
			uint8_t root[KEYS_PUBLICBYTES];

			if (replica_meta_get(d->r, REPLICA_META_ROOT_PK, &roothex, cause) != 0)
				return -1;
			rc = keys_unhex(roothex, root, sizeof root);
			free(roothex);
			if (rc != 0 || cert_verify(&c, root) != 0)
				return set_cause(cause, "the certificate of device %lld is not signed "
				    "by the organizer root", (long long)id);
		}
		s = db_prepare(d->db, "INSERT OR REPLACE INTO certificates VALUES(?, ?)");
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_blob(s, 2, cert, sizeof cert, SQLITE_TRANSIENT);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			*cause = db_error(d->db, "saving a certificate");
			return -1;
		}
	}
	return 0;
}

static struct device *
device_new(const char *path, struct replica *r, struct keypair *kp)
{
	struct device *d = xcalloc(1, sizeof *d);

	d->path = xstrdup(path);
	d->r = r;
	d->db = replica_db(r);
	d->kp = kp;
	d->online_ms = ONLINE_TIMEOUT;
	return d;
}

/* The client to the server: pinned when enrolled with a pin, authenticating with a MAC. */
static int
open_client(struct device *d, char **cause)
{
	uint8_t root[KEYS_PUBLICBYTES];
	char *roothex = NULL;
	int rc;

	d->c = client_new(d->url, d->id, d->kp);
	client_set_pin(d->c, d->pin);
	if (replica_meta_get(d->r, REPLICA_META_ROOT_PK, &roothex, cause) < 0)
		return -1;
	rc = roothex != NULL && keys_unhex(roothex, root, sizeof root) == 0 ? 0 : -1;
	free(roothex);
	if (rc != 0)
		return set_cause(cause, "%s: the organizer root key is missing or malformed",
		    d->path);
	return client_set_root(d->c, root, cause);
}

void
device_close(struct device *d)
{
	if (d == NULL)
		return;
	client_free(d->c);
	replica_close(d->r);
	keypair_free(d->kp);
	json_decref(d->heard);
	free(d->name);
	free(d->url);
	free(d->pin);
	free(d->path);
	free(d);
}

int
device_open(const char *path, struct device **out, char **cause)
{
	struct replica *r = NULL;
	struct keypair *kp = NULL;
	struct device *d;
	char *keypath = device_key_path(path), *role = NULL, *why = NULL;
	int64_t id = 0, offset = 0;

	if (replica_open(path, 0, &r, cause) != 0)
		goto fail;
	if (keypair_load(keypath, &kp, &why) != 0) {
		set_cause(cause, "the device key: %s", why);
		free(why);
		goto fail;
	}
	d = device_new(path, r, kp);
	if (replica_meta_get_int(r, REPLICA_META_DEVICE_ID, &id, cause) != 0 ||
	    replica_meta_get(r, REPLICA_META_ROLE, &role, cause) != 0 ||
	    replica_meta_get(r, REPLICA_META_NAME, &d->name, cause) != 0 ||
	    replica_meta_get(r, REPLICA_META_SERVER_URL, &d->url, cause) != 0) {
		if (*cause == NULL)
			set_cause(cause, "%s is not enrolled (run enroll first)", path);
		free(role);
		d->kp = NULL;
		d->r = NULL;
		device_close(d);
		goto fail;
	}
	d->id = (uint32_t)id;
	d->role = role_parse(role);
	free(role);
	if (replica_meta_get(r, REPLICA_META_TLS_PIN, &d->pin, cause) < 0 ||
	    (d->pin != NULL && tlspin_check(d->pin, cause) != 0)) {
		d->kp = NULL;
		d->r = NULL;
		device_close(d);
		goto fail;
	}
	if (replica_meta_get_int(r, REPLICA_META_CLOCK_OFFSET, &offset, NULL) != 0)
		offset = 0;
	if (open_client(d, cause) != 0) {
		d->kp = NULL;
		d->r = NULL;
		device_close(d);
		goto fail;
	}
	client_set_clock_offset(d->c, offset);
	d->saved_offset = offset;
	free(keypath);
	*out = d;
	return 0;
fail:
	replica_close(r);
	keypair_free(kp);
	free(keypath);
	return -1;
}

static void
remove_replica(const char *path)
{
	char *p;

	unlink(path);
	p = xasprintf("%s-wal", path);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", path);
	unlink(p);
	free(p);
	p = device_key_path(path);
	unlink(p);
	free(p);
}

int
device_enroll(const char *path, const char *url, const char *code, struct device **out,
    char **cause)
{
	return device_enroll_pinned(path, url, code, NULL, out, cause);
}

/* The pin to enroll with: the one given, checked, or the server's own (trust on first use). */
static int
enroll_pin(const char *url, const char *given, char pin[TLSPIN_SIZE], char **cause)
{
	char *why = NULL;

	if (strncasecmp(url, "https://", 8) != 0) {
		if (given != NULL)
			return set_cause(cause, "a TLS pin needs an https:// server URL, not %.100s",
			    url);
		pin[0] = '\0';
		return 0;
	}
	if (given != NULL) {
		if (tlspin_check(given, cause) != 0)
			return -1;
		snprintf(pin, TLSPIN_SIZE, "%s", given);
		return 0;
	}
	if (tlspin_fetch_url(url, SYNC_TIMEOUT, pin, &why) != 0) {
		set_cause(cause, "cannot reach the server: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

int
device_enroll_pinned(const char *path, const char *url, const char *code, const char *given,
    struct device **out, char **cause)
{
	struct keypair *kp = NULL;
	struct replica *r = NULL;
	struct client *anon;
	struct device *d = NULL;
	struct stat sb;
	struct cert c;
	uint8_t cert[CERT_BYTES], root[KEYS_PUBLICBYTES];
	json_t *reply = NULL, *devs;
	const char *certhex, *roothex, *name, *role;
	char *pkhex, *keypath = device_key_path(path), pin[TLSPIN_SIZE];
	char epoch0[CLIENT_EPOCH_MAX + 1] = "";
	json_t *seen0 = NULL;
	long status = 0;
	int created = 0;

	if (stat(path, &sb) == 0 || stat(keypath, &sb) == 0) {
		set_cause(cause, "%s already exists: this device is enrolled (remove it to enroll "
		    "again)", path);
		goto fail;
	}
	if (enroll_pin(url, given, pin, cause) != 0)
		goto fail;
	kp = keypair_generate();
	anon = client_new(url, 0, NULL);
	client_set_timeout(anon, SYNC_TIMEOUT);
	if (pin[0] != '\0')
		client_set_pin(anon, pin);
	pkhex = keys_hex(kp->pk, KEYS_PUBLICBYTES);
	{
		json_t *body = json_pack("{s:s,s:s}", "code", code, "pk", pkhex);
		uint64_t seq0 = 0;

		if (client_call(anon, "POST", "/v1/enroll", body, &status, &reply, cause) != 0) {
			char *e = *cause;

			/* The code never left: it still works with the right server. */
			if (client_pin_mismatch(anon))
				set_cause(cause, "certificate pin mismatch: the server at %s does not "
				    "have the TLS key of the pin %s %s (nothing was sent to it)", url,
				    pin, given != NULL ? "given" : "it presented a moment ago");
			else
				set_cause(cause, "cannot reach the server: %s", e);
			free(e);
			json_decref(body);
			free(pkhex);
			client_free(anon);
			goto fail;
		}
		json_decref(body);
		/* A new replica's history starts in the store's current epoch. */
		snprintf(epoch0, sizeof epoch0, "%s", client_epoch(anon, &seq0));
		if (epoch0[0] != '\0')
			seen0 = json_pack("{s:I}", epoch0, (json_int_t)seq0);
	}
	free(pkhex);
	client_free(anon);
	if (status != 200) {
		const char *e = json_string_value(json_object_get(reply, "error"));

		set_cause(cause, "enrollment refused: %s", e != NULL ? e : "no reason given");
		goto fail;
	}
	certhex = json_string_value(json_object_get(reply, "cert"));
	roothex = json_string_value(json_object_get(reply, "root_pk"));
	name = json_string_value(json_object_get(reply, "name"));
	role = json_string_value(json_object_get(reply, "role"));
	if (certhex == NULL || roothex == NULL || name == NULL || role == NULL ||
	    strlen(certhex) != 2 * CERT_BYTES || keys_unhex(certhex, cert, sizeof cert) != 0 ||
	    keys_unhex(roothex, root, sizeof root) != 0 ||
	    cert_decode(cert, sizeof cert, &c, NULL) != 0 || cert_verify(&c, root) != 0 ||
	    memcmp(c.pk, kp->pk, KEYS_PUBLICBYTES) != 0) {
		set_cause(cause, "the server's answer holds no valid certificate for this key");
		goto fail;
	}

	if (replica_open(path, 1, &r, cause) != 0)
		goto fail;
	created = 1;
	if (keypair_save(kp, keypath, cause) != 0)
		goto fail;
	d = device_new(path, r, kp);
	r = NULL;
	kp = NULL;
	d->id = c.device_id;
	d->role = c.role;
	d->name = xstrdup(name);
	d->url = xstrdup(url);
	if (pin[0] != '\0')
		d->pin = xstrdup(pin);
	if (db_begin(d->db, cause) != 0)
		goto fail;
	if (replica_meta_set_int(d->r, REPLICA_META_DEVICE_ID, d->id, cause) != 0 ||
	    replica_meta_set(d->r, REPLICA_META_ROLE, role_name(d->role), cause) != 0 ||
	    replica_meta_set(d->r, REPLICA_META_NAME, name, cause) != 0 ||
	    replica_meta_set(d->r, REPLICA_META_SERVER_URL, url, cause) != 0 ||
	    replica_meta_set(d->r, REPLICA_META_ROOT_PK, roothex, cause) != 0 ||
	    replica_meta_set_int(d->r, REPLICA_META_PULL_CURSOR, 0, cause) != 0 ||
	    replica_meta_set_int(d->r, REPLICA_META_NEXT_OP_SEQ, 1, cause) != 0 ||
	    replica_meta_set_int(d->r, REPLICA_META_NEXT_SERIAL, 1, cause) != 0 ||
	    (d->pin != NULL &&
	    replica_meta_set(d->r, REPLICA_META_TLS_PIN, d->pin, cause) != 0) ||
	    (seen0 != NULL && (replica_meta_set(d->r, META_SERVER_EPOCH, epoch0, cause) != 0 ||
	    seen_save(d, seen0, cause) != 0))) {
		db_rollback(d->db);
		goto fail;
	}
	devs = json_pack("[{s:I,s:s,s:s,s:s,s:s}]", "id", (json_int_t)d->id, "name", name,
	    "role", role, "sections", json_string_value(json_object_get(reply, "sections")) ?
	    json_string_value(json_object_get(reply, "sections")) : "", "cert", certhex);
	if (save_devices(d, devs, cause) != 0 || db_commit(d->db, cause) != 0) {
		json_decref(devs);
		db_rollback(d->db);
		goto fail;
	}
	json_decref(devs);
	if (open_client(d, cause) != 0)
		goto fail;
	json_decref(reply);
	json_decref(seen0);
	free(keypath);
	if (out != NULL)
		*out = d;
	else
		device_close(d);
	return 0;
fail:
	device_close(d);
	replica_close(r);
	keypair_free(kp);
	json_decref(reply);
	json_decref(seen0);
	if (created)
		remove_replica(path);
	free(keypath);
	return -1;
}

/* ------------------------------------------------------------------ push */

/*
 * One result of a push answer: the operation at the same place in the request (whose seq is
 * sent) is done. The full form names the dot; the compact form is the bare string "applied".
 */
static int
push_result(struct device *d, const json_t *res, int64_t sent, struct sync_report *rep,
    char **cause)
{
	sqlite3_stmt *s;
	json_t *dot;
	int64_t seq = sent;
	int rc;

	if (json_is_object(res)) {
		dot = json_object_get(res, "dot");
		if (json_integer_value(json_array_get(dot, 0)) != d->id ||
		    (seq = json_integer_value(json_array_get(dot, 1))) != sent)
			return set_cause(cause, "the server's answer to operation %" PRId64
			    " is about another one", sent);
		if (json_object_get(res, "rec") != NULL &&
		    device_merge_json(d, json_object_get(res, "rec"),
		    rep != NULL ? &rep->conflicts : NULL, cause) != 0)
			return -1;
	} else if (!json_is_string(res) || strcmp(json_string_value(res), "applied") != 0)
		return set_cause(cause, "the server's answer to operation %" PRId64 " is neither "
		    "a result nor \"applied\"", sent);
	s = db_cached(d->db, "DELETE FROM outbox WHERE device_id = ? AND seq = ?");
	sqlite3_bind_int64(s, 1, d->id);
	sqlite3_bind_int64(s, 2, seq);
	rc = sqlite3_step(s);
	db_done(s);
	if (rc != SQLITE_DONE)
		return *cause = db_error(d->db, "clearing the outbox"), -1;
	if (rep != NULL)
		rep->pushed++;
	return 0;
}

int
device_push(struct device *d, struct sync_report *rep, char **cause)
{
	sqlite3_stmt *s;
	json_t *ops, *body, *reply, *results;
	json_error_t jerr;
	int64_t sent[PUSH_BATCH];
	size_t i;
	int n, rc;

	if (device_verify(d, rep, cause) != 0)
		return -1;
	for (;;) {
		ops = json_array();
		s = db_prepare(d->db, "SELECT seq, body FROM outbox WHERE device_id = ? ORDER BY seq "
		    "LIMIT ?");
		sqlite3_bind_int64(s, 1, d->id);
		sqlite3_bind_int(s, 2, PUSH_BATCH);
		while (sqlite3_step(s) == SQLITE_ROW) {
			json_t *o = json_loads((const char *)sqlite3_column_text(s, 1), 0, &jerr);

			if (o != NULL) {
				sent[json_array_size(ops)] = sqlite3_column_int64(s, 0);
				json_array_append_new(ops, o);
			}
		}
		sqlite3_finalize(s);
		n = (int)json_array_size(ops);
		if (n == 0) {
			json_decref(ops);
			break;
		}
		/* Servers before the compact answer ignore "compact" and answer in full. */
		body = json_pack("{s:o,s:b}", "ops", ops, "compact", 1);
		rc = sync_call(d, "POST", "/v1/push", body, SYNC_TIMEOUT, &reply, cause);
		json_decref(body);
		if (rc != 0)
			return -1;
		save_offset(d);
		results = json_object_get(reply, "results");
		if (json_array_size(results) != (size_t)n) {
			i = json_array_size(results);
			json_decref(reply);
			return set_cause(cause, "the server answered %zu of %d operations", i, n);
		}
		if (db_begin(d->db, cause) != 0) {
			json_decref(reply);
			return -1;
		}
		/* The epoch goes with the acknowledgements: a restore is found by it. */
		if (seen_flush(d, cause) != 0)
			goto fail;
		for (i = 0; i < (size_t)n; i++) {
			if (push_result(d, json_array_get(results, i), sent[i], rep, cause) != 0)
				goto fail;
		}
		if (db_commit(d->db, cause) != 0) {
			json_decref(reply);
			return -1;
		}
		json_decref(reply);
	}
	if (rep != NULL)
		rep->waiting = device_waiting(d);
	return 0;
fail:
	db_rollback(d->db);
	json_decref(reply);
	return -1;
}

/* ------------------------------------------------------------------ pull and bootstrap */

static int
save_conflicts(struct device *d, const json_t *a, int *count, char **cause)
{
	const json_t *v;
	struct conflict c;
	size_t i;
	int n;

	json_array_foreach(a, i, v) {
		if (proto_conflict_from_json(v, "conflict", &c, cause) != 0)
			return -1;
		if (!event_known(d, c.event_id))
			continue;
		if ((n = conflict_save(d, &c, cause)) < 0)
			return -1;
		if (count != NULL)
			*count += n;
	}
	return 0;
}

int
device_pull(struct device *d, int wait, struct sync_report *rep, char **cause)
{
	json_t *reply, *seats, *v;
	int64_t cursor = 0;
	char path[128];
	size_t i;
	int more;

	do {
		/* Each page may be the first answer of a restarted (or restored) server. */
		if (device_verify(d, rep, cause) != 0)
			return -1;
		if (replica_meta_get_int(d->r, REPLICA_META_PULL_CURSOR, &cursor, cause) < 0)
			return -1;
		snprintf(path, sizeof path, "/v1/pull?since=%" PRId64 "&wait=%d", cursor, wait);
		if (sync_call(d, "GET", path, NULL, SYNC_TIMEOUT + wait * 1000L, &reply,
		    cause) != 0)
			return -1;
		save_offset(d);
		more = json_is_true(json_object_get(reply, "more"));
		if (db_begin(d->db, cause) != 0) {
			json_decref(reply);
			return -1;
		}
		if (seen_flush(d, cause) != 0 ||
		    save_devices(d, json_object_get(reply, "devices"), cause) != 0)
			goto fail;
		seats = json_object_get(reply, "seats");
		json_array_foreach(seats, i, v) {
			if (device_merge_json(d, v, rep != NULL ? &rep->conflicts : NULL,
			    cause) != 0)
				goto fail;
		}
		if (save_conflicts(d, json_object_get(reply, "conflicts"),
		    rep != NULL ? &rep->conflicts : NULL, cause) != 0)
			goto fail;
		cursor = json_integer_value(json_object_get(reply, "cursor"));
		if (replica_meta_set_int(d->r, REPLICA_META_PULL_CURSOR, cursor, cause) != 0 ||
		    db_commit(d->db, cause) != 0)
			goto fail;
		if (rep != NULL) {
			rep->pulled += (int)json_array_size(seats);
			rep->cursor = (uint64_t)cursor;
		}
		json_decref(reply);
		wait = 0;
	} while (more);
	return 0;
fail:
	db_rollback(d->db);
	json_decref(reply);
	return -1;
}

static int
exec_bind(struct device *d, sqlite3_stmt *s, const char *what, char **cause)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*cause = db_error(d->db, what);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ a store gone back */

/*
 * Take epoch cur as verified: what was sent ({epoch: seq}) is part of its history, and so is
 * the history up to floor. Epochs heard since the check stay to be verified. In a transaction.
 */
static int
epoch_adopt(struct device *d, const char *cur, const json_t *sent, int64_t floor,
    char **cause)
{
	json_t *seen = NULL, *v;
	const char *k;
	int64_t top = floor;

	if (db_begin(d->db, cause) != 0)
		return -1;
	if ((seen = seen_load(d, cause)) == NULL)
		goto fail;
	json_object_foreach((json_t *)sent, k, v) {
		if (json_integer_value(v) > top)
			top = json_integer_value(v);
		/* Heard again since the check at a higher seq: that part is not verified. */
		if (json_integer_value(json_object_get(seen, k)) <= json_integer_value(v))
			json_object_del(seen, k);
		if (d->heard != NULL &&
		    json_integer_value(json_object_get(d->heard, k)) <= json_integer_value(v))
			json_object_del(d->heard, k);
	}
	v = json_object_get(seen, cur);
	if (v == NULL || json_integer_value(v) < top)
		json_object_set_new(seen, cur, json_integer(top));
	if (seen_save(d, seen, cause) != 0 ||
	    replica_meta_set(d->r, META_SERVER_EPOCH, cur, cause) != 0 ||
	    db_commit(d->db, cause) != 0)
		goto fail;
	json_decref(seen);
	return 0;
fail:
	db_rollback(d->db);
	json_decref(seen);
	return -1;
}

/* The operation that leaves a seat in state, for this role; -1 when the role makes none. */
static int
repush_kind(int role, enum seat_state state)
{
	if (role == ROLE_BOXOFFICE && state == SEAT_SOLD)
		return OP_SELL;
	if (role == ROLE_BOXOFFICE && state == SEAT_VOID)
		return OP_REFUND;
	if (role == ROLE_GATE && state == SEAT_ADMITTED)
		return OP_ADMIT;
	if (role == ROLE_GATE && state == SEAT_EXITED)
		return OP_EXIT;
	return -1;
}

/* The payment and order number of the ticket the record names, as sold here. */
static void
repush_order(struct device *d, const struct seat_rec *r, char pay[8], uint32_t *order)
{
	sqlite3_stmt *s;

	pay[0] = '\0';
	*order = 0;
	s = db_prepare(d->db, "SELECT orders.id, orders.payment FROM order_tickets JOIN orders ON "
	    "orders.id = order_tickets.order_id WHERE order_tickets.serial = ? AND "
	    "order_tickets.event_id = ? AND order_tickets.seat_id = ?");
	sqlite3_bind_int64(s, 1, r->serial);
	sqlite3_bind_int64(s, 2, r->event_id);
	sqlite3_bind_int64(s, 3, r->seat_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*order = (uint32_t)sqlite3_column_int64(s, 0);
		snprintf(pay, 8, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
}

/* Does the outbox hold an operation on this seat? */
static int
outbox_has(struct device *d, uint32_t event, uint32_t seat)
{
	sqlite3_stmt *s;
	int found;

	s = db_prepare(d->db, "SELECT 1 FROM outbox WHERE event_id = ? AND seat_id = ? LIMIT 1");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* Every record the server has, from the start: note each one's vector beside the local one. */
static int
recover_read(struct device *d, char **cause)
{
	sqlite3_stmt *s;
	json_t *reply, *v;
	struct seat_rec r;
	uint8_t *vv;
	size_t i, len;
	int64_t since = 0;
	char path[96];
	int more, rc = 0;

	do {
		snprintf(path, sizeof path, "/v1/pull?since=%" PRId64, since);
		if (sync_call(d, "GET", path, NULL, SYNC_TIMEOUT, &reply, cause) != 0)
			return -1;
		more = json_is_true(json_object_get(reply, "more"));
		since = json_integer_value(json_object_get(reply, "cursor"));
		if (db_exec(d->db, "BEGIN", cause) != 0) {
			json_decref(reply);
			return -1;
		}
		json_array_foreach(json_object_get(reply, "seats"), i, v) {
			seat_rec_init(&r, 0, 0);
			if (proto_rec_from_json(v, "rec", &r, cause) != 0) {
				seat_rec_free(&r);
				rc = -1;
				break;
			}
			len = vv_encode(&r.vv, &vv);
			s = db_prepare(d->db, "UPDATE temp.recover_seats SET server = ? WHERE "
			    "event_id = ? AND seat_id = ?");
			sqlite3_bind_blob(s, 1, vv, (int)len, free);
			sqlite3_bind_int64(s, 2, r.event_id);
			sqlite3_bind_int64(s, 3, r.seat_id);
			seat_rec_free(&r);
			if ((rc = exec_bind(d, s, "noting the server's record", cause)) != 0)
				break;
		}
		json_decref(reply);
		if (rc != 0 || db_exec(d->db, "COMMIT", cause) != 0) {
			db_rollback(d->db);
			return -1;
		}
	} while (more);
	return 0;
}

struct repush {
	uint32_t event, seat;
	struct vv then, server;
};

/*
 * The server went back to an older store (epoch cur): what it lacks of this device's changes
 * is made again as new operations and pushed, then everything is pulled from the start.
 * sent is what the device had heard, for epoch_adopt. Safe to repeat after a crash at any point:
 * until the end the device still has the unverified epochs, so the next sync comes here again,
 * and a seat already re-sent (or changed since the first look) is not made again.
 */
static int
device_recover(struct device *d, const char *cur, const json_t *sent, struct sync_report *rep,
    char **cause)
{
	sqlite3_stmt *s;
	struct repush *rp = NULL;
	struct seat_rec now;
	size_t n = 0, cap = 0, i;
	uint32_t order;
	char pay[8];
	int kind, resent = 0, awaiting = 0, rc = -1;
	int64_t cursor = 0;

	/* 1. What this replica holds of every seat that ever changed, then what the server has. */
	if (db_exec(d->db, "CREATE TEMP TABLE IF NOT EXISTS recover_seats(event_id INTEGER NOT "
	    "NULL, seat_id INTEGER NOT NULL, vv BLOB NOT NULL, server BLOB, PRIMARY KEY(event_id, "
	    "seat_id)); DELETE FROM temp.recover_seats; INSERT INTO temp.recover_seats(event_id, "
	    "seat_id, vv) SELECT event_id, seat_id, vv FROM main.seat_state WHERE vv <> x'00'",
	    cause) != 0)
		return -1;
	if (recover_read(d, cause) != 0)
		return -1;
	s = db_prepare(d->db, "SELECT event_id, seat_id, vv, server FROM temp.recover_seats");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			rp = xreallocarray(rp, cap, sizeof *rp);
		}
		rp[n].event = (uint32_t)sqlite3_column_int64(s, 0);
		rp[n].seat = (uint32_t)sqlite3_column_int64(s, 1);
		vv_init(&rp[n].then);
		vv_init(&rp[n].server);
		if (vv_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2),
		    &rp[n].then, NULL) != 0 || (sqlite3_column_type(s, 3) == SQLITE_BLOB &&
		    vv_decode(sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3),
		    &rp[n].server, NULL) != 0)) {
			vv_free(&rp[n].then);
			vv_free(&rp[n].server);
			continue;
		}
		n++;
	}
	sqlite3_finalize(s);

	/* 2. Each seat the server lacks a change of, whose latest change is ours: again. */
	if (db_begin(d->db, cause) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		enum vv_order o = vv_compare(&rp[i].then, &rp[i].server);

		if (o == VV_EQUAL || o == VV_BEFORE)
			continue;       /* the server has all of it */
		if (rec_load(d, rp[i].event, rp[i].seat, &now, cause) != 0) {
			seat_rec_free(&now);
			goto rollback;
		}
		/* Changed since the first look (re-sent by another thread, or a new sale). */
		if (vv_compare(&now.vv, &rp[i].then) != VV_EQUAL ||
		    outbox_has(d, rp[i].event, rp[i].seat)) {
			seat_rec_free(&now);
			continue;
		}
		kind = repush_kind(d->role, now.state);
		if (now.changed_by != d->id || kind < 0 ||
		    vv_get(&now.vv, d->id) <= vv_get(&rp[i].server, d->id)) {
			awaiting++;     /* another device's change: that device sends it again */
			seat_rec_free(&now);
			continue;
		}
		repush_order(d, &now, pay, &order);
		rc = device_change(d, (enum op_kind)kind, &now, pay[0] != '\0' ? pay : NULL, order,
		    device_now(d), NULL, cause);
		seat_rec_free(&now);
		if (rc != 0)
			goto rollback;
		rc = -1;
		resent++;
	}
	/* 3. Pull everything again from the start: the server's history is not the one pulled. */
	if (replica_meta_set_int(d->r, REPLICA_META_PULL_CURSOR, 0, cause) != 0 ||
	    db_commit(d->db, cause) != 0)
		goto rollback;
	if (device_push(d, rep, cause) != 0 || device_pull(d, 0, rep, cause) != 0)
		goto out;
	if (replica_meta_get_int(d->r, REPLICA_META_PULL_CURSOR, &cursor, cause) < 0 ||
	    epoch_adopt(d, cur, sent, cursor, cause) != 0)
		goto out;
	if (rep != NULL) {
		rep->recovered = 1;
		rep->resent += resent;
		rep->awaiting += awaiting;
	}
	rc = 0;
	goto out;
rollback:
	db_rollback(d->db);
out:
	for (i = 0; i < n; i++) {
		vv_free(&rp[i].then);
		vv_free(&rp[i].server);
	}
	free(rp);
	return rc;
}

/*
 * When the device heard an epoch it has not verified (a server restarted, or restored): ask
 * whether everything it heard is still the server's history; take the new epoch if so, recover
 * if not. Nothing to do (no call) otherwise. 0, or -1 with *cause.
 */
static int
device_verify(struct device *d, struct sync_report *rep, char **cause)
{
	json_t *seen, *body, *reply = NULL, *v;
	const char *k, *cur;
	char *verified = NULL;
	int64_t cursor = 0;
	int need = 0, rc = -1;

	if (d->verifying)
		return 0;
	if (seen_flush(d, cause) != 0)
		return -1;
	if ((seen = seen_load(d, cause)) == NULL)
		return -1;
	if (replica_meta_get(d->r, META_SERVER_EPOCH, &verified, cause) < 0)
		goto out;
	json_object_foreach(seen, k, v) {
		if (verified == NULL || strcmp(k, verified) != 0)
			need = 1;
	}
	if (!need) {
		rc = 0;
		goto out;
	}
	if (replica_meta_get_int(d->r, REPLICA_META_PULL_CURSOR, &cursor, cause) < 0)
		goto out;
	body = json_pack("{s:O,s:I}", "seen", seen, "cursor", (json_int_t)cursor);
	d->verifying = 1;
	rc = sync_call(d, "POST", "/v1/epoch", body, SYNC_TIMEOUT, &reply, cause);
	json_decref(body);
	if (rc == 0) {
		cur = json_string_value(json_object_get(reply, "epoch"));
		if (cur == NULL || *cur == '\0')
			rc = set_cause(cause, "the server's answer names no epoch");
		else if (json_is_true(json_object_get(reply, "intact")))
			rc = epoch_adopt(d, cur, seen, 0, cause);
		else
			rc = device_recover(d, cur, seen, rep, cause);
	}
	d->verifying = 0;
out:
	json_decref(reply);
	json_decref(seen);
	free(verified);
	return rc;
}


/* The event, its venue, tiers, devices and conflicts: what the first bootstrap page adds. */
static int
boot_event(struct device *d, uint32_t event, const json_t *page, char **cause)
{
	sqlite3_stmt *s;
	const json_t *ev = json_object_get(page, "event"), *v;
	const char *sec;
	size_t i;

	s = db_prepare(d->db, "INSERT INTO venues(id, name) VALUES(?, ?) ON CONFLICT(id) DO "
	    "UPDATE SET name = excluded.name");
	sqlite3_bind_int64(s, 1, json_integer_value(json_object_get(ev, "venue")));
	sqlite3_bind_text(s, 2, json_string_value(json_object_get(ev, "venue_name")), -1,
	    SQLITE_TRANSIENT);
	if (exec_bind(d, s, "saving the venue", cause) != 0)
		return -1;
	s = db_prepare(d->db, "INSERT INTO events(id, venue_id, name, starts_at, doors_at, "
	    "currency, reentry) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
	    "name = excluded.name, starts_at = excluded.starts_at, doors_at = excluded.doors_at, "
	    "currency = excluded.currency, reentry = excluded.reentry");
	sqlite3_bind_int64(s, 1, json_integer_value(json_object_get(ev, "id")));
	sqlite3_bind_int64(s, 2, json_integer_value(json_object_get(ev, "venue")));
	sqlite3_bind_text(s, 3, json_string_value(json_object_get(ev, "name")), -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, json_integer_value(json_object_get(ev, "starts_at")));
	sqlite3_bind_int64(s, 5, json_integer_value(json_object_get(ev, "doors_at")));
	sqlite3_bind_text(s, 6, json_string_value(json_object_get(ev, "currency")), -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 7, json_is_true(json_object_get(ev, "reentry")));
	if (exec_bind(d, s, "saving the event", cause) != 0)
		return -1;
	json_array_foreach(json_object_get(page, "tiers"), i, v) {
		char *secs, *p, *save = NULL;

		s = db_prepare(d->db, "INSERT OR REPLACE INTO tiers(event_id, idx, name, price) "
		    "VALUES(?, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, event);
		sqlite3_bind_int64(s, 2, json_integer_value(json_object_get(v, "idx")));
		sqlite3_bind_text(s, 3, json_string_value(json_object_get(v, "name")), -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, json_integer_value(json_object_get(v, "price")));
		if (exec_bind(d, s, "saving a tier", cause) != 0)
			return -1;
		sec = json_string_value(json_object_get(v, "sections"));
		secs = xstrdup(sec != NULL ? sec : "");
		for (p = strtok_r(secs, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
			s = db_prepare(d->db, "INSERT OR REPLACE INTO tier_sections(event_id, "
			    "tier_idx, section) VALUES(?, ?, ?)");
			sqlite3_bind_int64(s, 1, event);
			sqlite3_bind_int64(s, 2, json_integer_value(json_object_get(v, "idx")));
			sqlite3_bind_text(s, 3, p, -1, SQLITE_TRANSIENT);
			if (exec_bind(d, s, "pricing a section", cause) != 0) {
				free(secs);
				return -1;
			}
		}
		free(secs);
	}
	if (save_devices(d, json_object_get(page, "devices"), cause) != 0)
		return -1;
	return save_conflicts(d, json_object_get(page, "conflicts"), NULL, cause);
}

/* A bootstrap page's seats (into the venue's map) and then their records. */
static int
boot_seats(struct device *d, int64_t venue, const json_t *page, char **cause)
{
	sqlite3_stmt *s;
	const json_t *v;
	char label[64];
	size_t i;
	int rc;

	json_array_foreach(json_object_get(page, "seats"), i, v) {
		/* [id, section, row, number, ga] */
		const char *section = json_string_value(json_array_get(v, 1));
		const char *row = json_string_value(json_array_get(v, 2));

		if (section == NULL || row == NULL)
			return set_cause(cause, "the server sent a malformed seat");
		snprintf(label, sizeof label, "%s-%s-%lld", section, row,
		    (long long)json_integer_value(json_array_get(v, 3)));
		s = db_cached(d->db, "INSERT OR IGNORE INTO seats(id, venue_id, section, row, "
		    "number, label, ga) VALUES(?, ?, ?, ?, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, json_integer_value(json_array_get(v, 0)));
		sqlite3_bind_int64(s, 2, venue);
		sqlite3_bind_text(s, 3, section, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, row, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, json_integer_value(json_array_get(v, 3)));
		sqlite3_bind_text(s, 6, label, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 7, json_integer_value(json_array_get(v, 4)) != 0);
		rc = sqlite3_step(s);
		db_done(s);
		if (rc != SQLITE_DONE) {
			*cause = db_error(d->db, "saving a seat");
			return -1;
		}
	}
	json_array_foreach(json_object_get(page, "states"), i, v) {
		if (device_merge_json(d, v, NULL, cause) != 0)
			return -1;
	}
	return 0;
}

void
device_set_bootstrap_page(struct device *d, int seats, int (*page)(void *, size_t),
    void *arg)
{
	d->boot_limit = seats > 0 && seats < PROTO_BOOTSTRAP_PAGE ? seats : 0;
	d->boot_page = page;
	d->boot_arg = arg;
}

/*
 * Page by page (GET /v1/bootstrap?event=E&after=SEAT), all in one transaction: the first page
 * is fetched before it begins, each page's JSON is freed once written, and the event appears
 * whole at the commit or not at all. The pull cursor goes back to the first page's cursor (S0)
 * when it is ahead of it (or unset), so the next pull brings what changed while paging.
 */
int
device_bootstrap(struct device *d, uint32_t event, char **cause)
{
	json_t *reply = NULL;
	char path[96], limit[24] = "";
	int64_t venue = 0, s0 = 0, cursor = 0, after = 0, next;
	size_t seats = 0;
	int more, began = 0;

	if (d->boot_limit > 0)
		snprintf(limit, sizeof limit, "&limit=%d", d->boot_limit);
	do {
		snprintf(path, sizeof path, "/v1/bootstrap?event=%" PRIu32 "%s", event, limit);
		if (after > 0)
			snprintf(path + strlen(path), sizeof path - strlen(path), "&after=%" PRId64,
			    after);
		if (sync_call(d, "GET", path, NULL, SYNC_TIMEOUT, &reply, cause) != 0)
			goto fail;
		if (!began) {
			if (db_begin(d->db, cause) != 0)
				goto fail;
			began = 1;
			venue = json_integer_value(json_object_get(json_object_get(reply, "event"),
			    "venue"));
			s0 = json_integer_value(json_object_get(reply, "cursor"));
			if (seen_flush(d, cause) != 0 || boot_event(d, event, reply, cause) != 0)
				goto fail;
		}
		if (boot_seats(d, venue, reply, cause) != 0)
			goto fail;
		seats += json_array_size(json_object_get(reply, "seats"));
		more = json_is_true(json_object_get(reply, "more"));
		next = json_integer_value(json_object_get(reply, "after"));
		json_decref(reply);
		reply = NULL;
		if (more && next <= after) {
			set_cause(cause, "the server's bootstrap of event %" PRIu32 " stopped at seat "
			    "%" PRId64, event, after);
			goto fail;
		}
		after = next;
		if (d->boot_page != NULL && d->boot_page(d->boot_arg, seats) != 0) {
			set_cause(cause, "the bootstrap of event %" PRIu32 " was cancelled", event);
			goto fail;
		}
	} while (more);
	if (replica_meta_get_int(d->r, REPLICA_META_PULL_CURSOR, &cursor, cause) < 0)
		goto fail;
	if ((cursor == 0 || cursor > s0) &&
	    replica_meta_set_int(d->r, REPLICA_META_PULL_CURSOR, s0, cause) != 0)
		goto fail;
	if (db_commit(d->db, cause) != 0)
		goto fail;
	return 0;
fail:
	if (began)
		db_rollback(d->db);
	json_decref(reply);
	return -1;
}

int
device_discover(struct device *d, struct sync_report *rep, char **cause)
{
	json_t *reply, *v;
	size_t i;

	if (sync_call(d, "GET", "/v1/events", NULL, SYNC_TIMEOUT, &reply, cause) != 0)
		return -1;
	json_array_foreach(json_object_get(reply, "events"), i, v) {
		uint32_t ev = (uint32_t)json_integer_value(json_object_get(v, "id"));

		if (event_known(d, ev))
			continue;
		if (device_bootstrap(d, ev, cause) != 0) {
			json_decref(reply);
			return -1;
		}
		if (rep != NULL)
			rep->events++;
	}
	json_decref(reply);
	return 0;
}

/* ------------------------------------------------------------------ unanswered sales */

int64_t
device_unanswered_mark(struct device *d)
{
	sqlite3_stmt *s;
	int64_t m = 0;

	s = db_cached(d->db, "SELECT coalesce(max(id), 0) FROM unanswered");
	if (sqlite3_step(s) == SQLITE_ROW)
		m = sqlite3_column_int64(s, 0);
	db_done(s);
	return m;
}

/*
 * Has the seat an offered change of this device's not yet recorded (pending) after entry, the
 * unanswered sale's own? A sale of it in flight here. 1, 0, -1.
 */
static int
seat_pending(struct device *d, uint32_t event, uint32_t seat, int64_t entry, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = db_cached(d->db, "SELECT 1 FROM pending WHERE event_id = ? AND seat_id = ? AND "
	    "entry > ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	sqlite3_bind_int64(s, 3, entry);
	rc = sqlite3_step(s);
	db_done(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	*cause = db_error(d->db, "reading a pending change");
	return -1;
}

/* The shift a release is journalled under: the open one, else the last, else a new one. */
static int
release_shift(struct device *d, int64_t now, struct shift *sh, char **cause)
{
	int rc;

	if ((rc = journal_shift_current(d->db, d->id, sh, cause)) <= 0)
		return rc;
	if ((rc = journal_shift_last(d->db, d->id, sh, cause)) <= 0)
		return rc;
	return journal_shift_ensure(d->db, d->id, now, sh, cause);
}

/* Void one unanswered sale the server applied, and journal it (in the caller's transaction). */
static int
release_seat(struct device *d, struct seat_rec *r, uint32_t order, uint32_t seq, int64_t now,
    char **cause)
{
	sqlite3_stmt *s;
	struct shift sh;
	char label[48], *body;
	json_t *j;
	int rc;

	/*
	 * As a refund leaves the seat (same generation, the sale's key and serial), but at price
	 * 0: no money was taken, so none is given back in the server's refund figures.
	 */
	r->state = SEAT_VOID;
	r->price = 0;
	if (device_change(d, OP_REFUND, r, NULL, order, now, NULL, cause) != 0)
		return -1;
	snprintf(label, sizeof label, "seat %" PRIu32, r->seat_id);
	s = db_cached(d->db, "SELECT label FROM seats WHERE id = ?");
	sqlite3_bind_int64(s, 1, r->seat_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(label, sizeof label, "%s", sqlite3_column_text(s, 0));
	db_done(s);
	j = json_pack("{s:I,s:I,s:I,s:s,s:I,s:i,s:I,s:s}", "order", (json_int_t)order, "event",
	    (json_int_t)r->event_id, "seat", (json_int_t)r->seat_id, "label", label, "serial",
	    (json_int_t)r->serial, "gen", (int)r->generation, "seq", (json_int_t)seq, "why",
	    "unprinted online sale: refused here, applied by the server");
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rc = release_shift(d, now, &sh, cause) != 0 ||
	    journal_append(d->db, now, sh.id, "release", body, NULL, cause) != 0 ? -1 : 0;
	free(body);
	return rc;
}

int
device_unanswered_settle(struct device *d, int64_t upto, struct sync_report *rep,
    char **cause)
{
	sqlite3_stmt *s, *del;
	struct seat_rec r;
	int64_t id, at, now = device_now(d);
	uint32_t event, seat, serial, seq, order;
	uint16_t gen;
	int rc, released = 0, applied;

	s = db_cached(d->db, "SELECT count(*) FROM unanswered");
	rc = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	db_done(s);
	if (rc == 0)
		return 0;
	if (db_begin(d->db, cause) != 0)
		return -1;
	s = db_prepare(d->db, "SELECT id, event_id, seat_id, serial, generation, seq, order_id, "
	    "at, entry FROM unanswered ORDER BY id");
	seat_rec_init(&r, 0, 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		event = (uint32_t)sqlite3_column_int64(s, 1);
		seat = (uint32_t)sqlite3_column_int64(s, 2);
		serial = (uint32_t)sqlite3_column_int64(s, 3);
		gen = (uint16_t)sqlite3_column_int(s, 4);
		seq = (uint32_t)sqlite3_column_int64(s, 5);
		order = (uint32_t)sqlite3_column_int64(s, 6);
		at = sqlite3_column_int64(s, 7);
		/*
		 * A later sale of the seat in flight here (a later entry offered and reserved):
		 * voiding now could void the ticket it prints. Next round.
		 */
		if ((rc = seat_pending(d, event, seat, sqlite3_column_int64(s, 8), cause)) != 0) {
			if (rc < 0)
				goto fail;
			continue;
		}
		seat_rec_free(&r);
		if (rec_load(d, event, seat, &r, cause) != 0)
			goto fail;
		applied = r.state == SEAT_SOLD && r.key_id == d->id && r.serial == serial &&
		    r.generation == gen;
		if (!applied && (id > upto || now - at < UNANSWERED_SETTLE))
			continue;       /* the server may still apply it: wait */
		if (applied) {
			if (release_seat(d, &r, order, seq, now, cause) != 0)
				goto fail;
			released++;
		}
		del = db_cached(d->db, "DELETE FROM unanswered WHERE id = ?");
		sqlite3_bind_int64(del, 1, id);
		rc = sqlite3_step(del);
		db_done(del);
		if (rc != SQLITE_DONE) {
			*cause = db_error(d->db, "forgetting an unanswered sale");
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		*cause = db_error(d->db, "reading the unanswered sales");
		goto fail;
	}
	sqlite3_finalize(s);
	seat_rec_free(&r);
	if (db_commit(d->db, cause) != 0) {
		db_rollback(d->db);
		return -1;
	}
	if (rep != NULL)
		rep->released += released;
	return 0;
fail:
	sqlite3_finalize(s);
	seat_rec_free(&r);
	db_rollback(d->db);
	return -1;
}

int
device_sync(struct device *d, int wait, struct sync_report *rep, char **cause)
{
	struct sync_report tmp;
	int64_t upto = device_unanswered_mark(d);

	if (rep == NULL)
		rep = &tmp;
	memset(rep, 0, sizeof *rep);
	if (device_push(d, rep, cause) != 0 || device_discover(d, rep, cause) != 0)
		return -1;
	if (device_pull(d, wait, rep, cause) != 0)
		return -1;
	/* After the pull: the server's records tell which unanswered sales it applied. */
	if (device_unanswered_settle(d, upto, rep, cause) != 0)
		return -1;
	if (rep->released > 0 && device_push(d, rep, cause) != 0)
		return -1;
	rep->waiting = device_waiting(d);
	return 0;
}

/* ------------------------------------------------------------------ leases */

/* Make the local leases of event exactly the server's list. */
static int
save_leases(struct device *d, uint32_t event, const json_t *seats, char **cause)
{
	sqlite3_stmt *s;
	const json_t *v;
	size_t i;

	s = db_prepare(d->db, "DELETE FROM leases WHERE event_id = ?");
	sqlite3_bind_int64(s, 1, event);
	if (exec_bind(d, s, "clearing leases", cause) != 0)
		return -1;
	json_array_foreach(seats, i, v) {
		s = db_prepare(d->db, "INSERT OR IGNORE INTO seat_state(event_id, seat_id) "
		    "VALUES(?, ?)");
		sqlite3_bind_int64(s, 1, event);
		sqlite3_bind_int64(s, 2, json_integer_value(v));
		if (exec_bind(d, s, "adding a seat", cause) != 0)
			return -1;
		s = db_prepare(d->db, "INSERT INTO leases(event_id, seat_id, leased_at) "
		    "VALUES(?, ?, ?)");
		sqlite3_bind_int64(s, 1, event);
		sqlite3_bind_int64(s, 2, json_integer_value(v));
		sqlite3_bind_int64(s, 3, device_now(d));
		if (exec_bind(d, s, "saving a lease", cause) != 0)
			return -1;
	}
	return 0;
}

static int
lease_call(struct device *d, const char *path, json_t *body, uint32_t event, const char *count,
    int *n, char **cause)
{
	json_t *reply = NULL;
	const char *why, *err;
	long status = 0;

	if (d->offline) {
		json_decref(body);
		return set_cause(cause, "leases need the server: it is offline mode");
	}
	client_set_timeout(d->c, SYNC_TIMEOUT);
	if (client_call(d->c, "POST", path, body, &status, &reply, cause) != 0) {
		json_decref(body);
		return -1;
	}
	heard_note(d);
	json_decref(body);
	if (status != 200) {
		why = json_string_value(json_object_get(reply, "reason"));
		err = json_string_value(json_object_get(reply, "error"));
		if (why != NULL && json_integer_value(json_object_get(reply, "seat")) > 0) {
			sqlite3_stmt *s = db_prepare(d->db, "SELECT label FROM seats WHERE id = ?");
			json_int_t by = json_integer_value(json_object_get(reply, "by"));

			sqlite3_bind_int64(s, 1, json_integer_value(json_object_get(reply, "seat")));
			set_cause(cause, "the server refused the lease: seat %s is %s%s",
			    sqlite3_step(s) == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) :
			    "(unknown)", why, by > 0 ? " by another device" : "");
			sqlite3_finalize(s);
		} else
			set_cause(cause, "the server refused the lease: %s",
			    err != NULL ? err : why != NULL ? why : "no reason given");
		json_decref(reply);
		return -1;
	}
	if (db_begin(d->db, cause) != 0)
		goto fail;
	if (save_leases(d, event, json_object_get(reply, "seats"), cause) != 0 ||
	    db_commit(d->db, cause) != 0) {
		db_rollback(d->db);
		goto fail;
	}
	if (n != NULL)
		*n = (int)json_integer_value(json_object_get(reply, count));
	json_decref(reply);
	return 0;
fail:
	json_decref(reply);
	return -1;
}

int
device_lease(struct device *d, uint32_t event, const uint32_t *seats, int nseats,
    const char *section, const char *area, int ga, int *leased, char **cause)
{
	json_t *body = json_pack("{s:I}", "event", (json_int_t)event), *a;
	int i;

	if (seats != NULL) {
		a = json_array();
		for (i = 0; i < nseats; i++)
			json_array_append_new(a, json_integer(seats[i]));
		json_object_set_new(body, "seats", a);
	} else if (section != NULL)
		json_object_set_new(body, "section", json_string(section));
	else if (area != NULL) {
		json_object_set_new(body, "area", json_string(area));
		json_object_set_new(body, "ga", json_integer(ga));
	}
	return lease_call(d, "/v1/lease", body, event, "leased", leased, cause);
}

int
device_lease_return(struct device *d, uint32_t event, int *returned, char **cause)
{
	/* What was sold offline must reach the server before its leases go back. */
	if (device_push(d, NULL, cause) != 0)
		return -1;
	return lease_call(d, "/v1/lease/return", json_pack("{s:I}", "event", (json_int_t)event),
	    event, "returned", returned, cause);
}

/* ------------------------------------------------------------------ the background syncer */

/*
 * Two threads, each with its own device (its own SQLite connection and HTTP connection): the
 * pusher sends the outbox soon after a kick (and every few seconds anyway), the puller
 * long-polls. Either one's success or failure says whether the server is reachable.
 */
struct syncer {
	char            *path;
	pthread_t        pusher, puller;
	pthread_mutex_t  mu;
	pthread_cond_t   cond;
	volatile int     stop;
	int              kicked;
	time_t           discovered;
	struct sync_status status;
	int              started;
};

#define SYNC_PERIOD    3
#define DISCOVER_EVERY 60
#define PULL_WAIT      20
#define BACKOFF_MAX    15

static void
syncer_note(struct syncer *s, int ok, const char *error, int waiting, int conflicts)
{
	pthread_mutex_lock(&s->mu);
	if (ok) {
		s->status.online = 1;
		s->status.offline_since = 0;
		s->status.last_sync = (int64_t)time(NULL);
		s->status.error[0] = '\0';
	} else {
		if (s->status.online || s->status.offline_since == 0)
			s->status.offline_since = (int64_t)time(NULL);
		s->status.online = 0;
		snprintf(s->status.error, sizeof s->status.error, "%s", error);
	}
	if (waiting >= 0)
		s->status.waiting = waiting;
	s->status.new_conflicts += conflicts;
	pthread_mutex_unlock(&s->mu);
}

/* Sleep up to secs, or until kicked or stopped. */
static void
syncer_sleep(struct syncer *s, int secs, int wake_on_kick)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	pthread_mutex_lock(&s->mu);
	while (!s->stop && !(wake_on_kick && s->kicked)) {
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *
pusher_main(void *arg)
{
	struct syncer *s = arg;
	struct device *d = NULL;
	struct sync_report rep;
	char *cause = NULL;
	int backoff = 1, kicked, rc;

	while (!s->stop) {
		if (d == NULL && device_open(s->path, &d, &cause) != 0) {
			syncer_note(s, 0, cause, -1, 0);
			free(cause);
			cause = NULL;
			syncer_sleep(s, BACKOFF_MAX, 0);
			continue;
		}
		client_set_cancel(d->c, &s->stop);
		pthread_mutex_lock(&s->mu);
		kicked = s->kicked;
		s->kicked = 0;
		pthread_mutex_unlock(&s->mu);
		memset(&rep, 0, sizeof rep);
		rc = device_push(d, &rep, &cause);
		/* A kick ("sync now") and the passing minutes also look for new events. */
		if (rc == 0 && (kicked || time(NULL) - s->discovered >= DISCOVER_EVERY)) {
			rc = device_discover(d, &rep, &cause);
			if (rc == 0) {
				s->discovered = time(NULL);
				rep.pushed++;   /* a real exchange with the server */
			}
		}
		if (rc != 0) {
			syncer_note(s, 0, cause, device_waiting(d), rep.conflicts);
			free(cause);
			cause = NULL;
			syncer_sleep(s, backoff, 0);
			backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
			continue;
		}
		backoff = 1;
		/* Online is said only after the server answered; an empty outbox proves nothing. */
		if (rep.pushed > 0)
			syncer_note(s, 1, NULL, device_waiting(d), rep.conflicts);
		else {
			pthread_mutex_lock(&s->mu);
			s->status.waiting = device_waiting(d);
			pthread_mutex_unlock(&s->mu);
		}
		syncer_sleep(s, SYNC_PERIOD, 1);
	}
	device_close(d);
	return NULL;
}

static void *
puller_main(void *arg)
{
	struct syncer *s = arg;
	struct device *d = NULL;
	struct sync_report rep;
	char *cause = NULL;
	int64_t upto;
	int backoff = 1, first = 1, rc;

	while (!s->stop) {
		if (d == NULL && device_open(s->path, &d, &cause) != 0) {
			free(cause);
			cause = NULL;
			syncer_sleep(s, BACKOFF_MAX, 0);
			continue;
		}
		client_set_cancel(d->c, &s->stop);
		memset(&rep, 0, sizeof rep);
		upto = device_unanswered_mark(d);
		/*
		 * The first round also bootstraps events that appeared on the server. After each
		 * pull, the unanswered online sales are settled (voided ones pushed at once).
		 */
		if (first)
			rc = device_sync(d, 0, &rep, &cause);
		else
			rc = device_pull(d, PULL_WAIT, &rep, &cause) != 0 ||
			    device_unanswered_settle(d, upto, &rep, &cause) != 0 ||
			    (rep.released > 0 && device_push(d, &rep, &cause) != 0) ? -1 : 0;
		if (rc != 0) {
			if (!s->stop)
				syncer_note(s, 0, cause, -1, rep.conflicts);
			free(cause);
			cause = NULL;
			syncer_sleep(s, backoff, 0);
			backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
			first = 1;
			continue;
		}
		first = 0;
		backoff = 1;
		syncer_note(s, 1, NULL, -1, rep.conflicts);
		if (rep.released > 0) {
			pthread_mutex_lock(&s->mu);
			s->status.released += rep.released;
			pthread_mutex_unlock(&s->mu);
		}
	}
	device_close(d);
	return NULL;
}

struct syncer *
syncer_start(const char *replica, char **cause)
{
	struct syncer *s = xcalloc(1, sizeof *s);
	struct device *d;

	/* Fail now, in the caller's face, if the replica cannot be opened at all. */
	if (device_open(replica, &d, cause) != 0) {
		free(s);
		return NULL;
	}
	s->status.waiting = device_waiting(d);
	device_close(d);
	s->path = xstrdup(replica);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->pusher, NULL, pusher_main, s) != 0 ||
	    pthread_create(&s->puller, NULL, puller_main, s) != 0) {
		fprintf(stderr, "tessera: cannot start the sync threads\n");
		abort();
	}
	s->started = 1;
	return s;
}

void
syncer_kick(struct syncer *s)
{
	pthread_mutex_lock(&s->mu);
	s->kicked = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

void
syncer_status(struct syncer *s, struct sync_status *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->status;
	s->status.new_conflicts = 0;
	s->status.released = 0;
	pthread_mutex_unlock(&s->mu);
}

void
syncer_stop(struct syncer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->pusher, NULL);
	pthread_join(s->puller, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}
