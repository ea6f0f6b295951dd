/*
 * replica.c: the schema of a device's replica and its meta accessors.
 *
 * Every box office and every gate keeps one SQLite file (db.c: WAL, foreign keys, FULL sync).
 * docs/data-model.md describes it at length; in short:
 *
 *   meta            key/value settings of this device: its id, role and name, the server URL,
 *                   the root public key and TLS pin, the pull cursor, the next operation
 *                   sequence number and ticket serial, the clock offset (REPLICA_META_*).
 *
 *   venues, seats   the seat maps. A seat id is global (assigned by the server); its label
 *                   "SECTION-ROW-NUMBER" is unique within its venue. A general-admission place
 *                   is a seat with ga = 1.
 *   events          a performance at a venue: times, currency, whether re-entry is allowed.
 *   tiers           the event's price tiers (price in minor units of the event's currency);
 *   tier_sections   the tier of each section (one per section).
 *
 *   (meta keys_version: bumped by triggers whenever certificates or devices change)
 *   pending         (migration 4) the vector entry of an operation offered to the server and
 *                   not yet recorded here, per seat
 *   seat_state      THE replicated unit: one row per seat of an event, the fields of struct
 *                   seat_rec (merge.h) with its version vector (vv_encode()d). "None" is 0, as
 *                   in the struct. lease_device and hold_until are local reservations, not
 *                   part of the replicated record.
 *
 *   orders          sales made at this box office ((device_id, id) names one everywhere), and
 *   order_tickets   the tickets in each, with the QR text as printed.
 *   admissions      every entry through a gate (this one's and, by sync, the others').
 *   scan_log        every scan at this gate, admitted or denied, with the raw text read.
 *
 *   devices         the devices the server told us about, and revocations (sections: the
 *                   sections a gate admits to, comma-separated, '' for all);
 *   certificates    their certificates signed by the organizer root (a gate checks tickets
 *                   against these).
 *
 *   outbox          operations made here and not yet acknowledged by the server, each with its
 *                   dot (device_id, seq); written in the same transaction as the change.
 *   conflicts       concurrent changes found by sync and how they were resolved (struct
 *                   conflict of merge.h), for staff; unique, so hearing one twice is a no-op.
 *   leases          seats the server leased to this box office for selling offline.
 *
 *   shifts          (migration 2) a cashier's shift: opened with a cash float, closed with the
 *                   counted cash and the journal's chain head at that moment.
 *   journal         (migration 2) the box office's append-only sales journal: each entry's
 *                   hash is BLAKE2b(previous hash || entry), so an edit shows (journal.c);
 *                   triggers refuse UPDATE and DELETE. Migration 5 adds the kind "release".
 *   unanswered      (migration 5) online sales refused after the server did not answer, per
 *                   seat (serial, generation, dot, order): settled by the next syncs.
 *
 * Times are unix seconds (INTEGER); money is INTEGER minor units. Elsewhere than seat_state an
 * absent value is NULL. Schema changes are new entries at the end of migrations[]; never edit
 * one that has shipped.
 */
#include <stdlib.h>

#include "db.h"
#include "replica.h"
#include "xmalloc.h"

struct replica {
	sqlite3	*db;
};

static const struct db_migration migrations[] = {
	{ 1,
	"PRAGMA application_id = 1414746704;\n"        /* REPLICA_APPLICATION_ID */

	"CREATE TABLE meta (\n"
	"	key		TEXT PRIMARY KEY NOT NULL CHECK (length(key) > 0),\n"
	"	value		NOT NULL CHECK (typeof(value) IN ('text', 'integer'))\n"
	");\n"

	"CREATE TABLE venues (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	name		TEXT NOT NULL CHECK (length(name) > 0)\n"
	");\n"
	"CREATE TABLE seats (\n"
	"	id		INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 4294967295),\n"
	"	venue_id	INTEGER NOT NULL REFERENCES venues (id) ON DELETE CASCADE,\n"
	"	section		TEXT NOT NULL CHECK (length(section) > 0),\n"
	"	row		TEXT NOT NULL CHECK (length(row) > 0),\n"
	"	number		INTEGER NOT NULL CHECK (number >= 1),\n"
	"	label		TEXT NOT NULL\n"
	"			CHECK (label = section || '-' || row || '-' || number),\n"
	"	ga		INTEGER NOT NULL DEFAULT 0 CHECK (ga IN (0, 1)),\n"
	"	UNIQUE (venue_id, label)\n"
	");\n"
	"CREATE INDEX seats_section ON seats (venue_id, section, row, number);\n"

	"CREATE TABLE events (\n"
	"	id		INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 4294967295),\n"
	"	venue_id	INTEGER NOT NULL REFERENCES venues (id),\n"
	"	name		TEXT NOT NULL CHECK (length(name) > 0),\n"
	"	starts_at	INTEGER NOT NULL,\n"
	"	doors_at	INTEGER NOT NULL,\n"
	"	currency	TEXT NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),\n"
	"	reentry		INTEGER NOT NULL DEFAULT 0 CHECK (reentry IN (0, 1)),\n"
	"	CHECK (doors_at <= starts_at)\n"
	");\n"
	"CREATE INDEX events_venue ON events (venue_id);\n"
	"CREATE INDEX events_starts ON events (starts_at);\n"
	"CREATE TABLE tiers (\n"
	"	event_id	INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,\n"
	"	idx		INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 255),\n"
	"	name		TEXT NOT NULL CHECK (length(name) > 0),\n"
	"	price		INTEGER NOT NULL CHECK (price >= 0),\n"
	"	PRIMARY KEY (event_id, idx),\n"
	"	UNIQUE (event_id, name)\n"
	");\n"
	"CREATE TABLE tier_sections (\n"
	"	event_id	INTEGER NOT NULL,\n"
	"	tier_idx	INTEGER NOT NULL,\n"
	"	section		TEXT NOT NULL CHECK (length(section) > 0),\n"
	"	PRIMARY KEY (event_id, section),\n"
	"	FOREIGN KEY (event_id, tier_idx) REFERENCES tiers (event_id, idx)\n"
	"	    ON DELETE CASCADE\n"
	");\n"
	"CREATE INDEX tier_sections_tier ON tier_sections (event_id, tier_idx);\n"

	"CREATE TABLE seat_state (\n"
	"	event_id	INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,\n"
	"	seat_id		INTEGER NOT NULL REFERENCES seats (id),\n"
	"	state		TEXT NOT NULL DEFAULT 'available' CHECK (state IN\n"
	"			('available', 'held', 'sold', 'admitted', 'exited', 'void')),\n"
	"	vv		BLOB NOT NULL DEFAULT x'00' CHECK (typeof(vv) = 'blob'),\n"
	"	generation	INTEGER NOT NULL DEFAULT 0 CHECK (generation BETWEEN 0 AND 65535),\n"
	"	serial		INTEGER NOT NULL DEFAULT 0 CHECK (serial BETWEEN 0 AND 4294967295),\n"
	"	key_id		INTEGER NOT NULL DEFAULT 0 CHECK (key_id BETWEEN 0 AND 4294967295),\n"
	"	tier		INTEGER NOT NULL DEFAULT 0 CHECK (tier BETWEEN 0 AND 255),\n"
	"	price		INTEGER NOT NULL DEFAULT 0 CHECK (price >= 0),\n"
	"	sold_at		INTEGER NOT NULL DEFAULT 0,\n"
	"	admitted_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	admitted_by	INTEGER NOT NULL DEFAULT 0,\n"
	"	exited_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	moves		INTEGER NOT NULL DEFAULT 0 CHECK (moves BETWEEN 0 AND 65535),\n"
	"	changed_by	INTEGER NOT NULL DEFAULT 0,\n"
	"	changed_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	lease_device	INTEGER NOT NULL DEFAULT 0,\n"
	"	hold_until	INTEGER NOT NULL DEFAULT 0,\n"
	"	PRIMARY KEY (event_id, seat_id),\n"
	"	CHECK (state NOT IN ('sold', 'admitted', 'exited') OR key_id <> 0),\n"
	"	CHECK (state NOT IN ('admitted', 'exited') OR admitted_at <> 0),\n"
	"	CHECK (state <> 'exited' OR exited_at <> 0)\n"
	");\n"
	"CREATE INDEX seat_state_state ON seat_state (event_id, state);\n"
	"CREATE INDEX seat_state_seat ON seat_state (seat_id);\n"
	"CREATE TRIGGER seat_state_venue_insert BEFORE INSERT ON seat_state\n"
	"WHEN (SELECT venue_id FROM seats WHERE id = NEW.seat_id) <>\n"
	"     (SELECT venue_id FROM events WHERE id = NEW.event_id)\n"
	"BEGIN SELECT RAISE(ABORT, 'seat_state: the seat is not in the event''s venue'); END;\n"
	"CREATE TRIGGER seat_state_venue_update BEFORE UPDATE OF event_id, seat_id ON seat_state\n"
	"WHEN (SELECT venue_id FROM seats WHERE id = NEW.seat_id) <>\n"
	"     (SELECT venue_id FROM events WHERE id = NEW.event_id)\n"
	"BEGIN SELECT RAISE(ABORT, 'seat_state: the seat is not in the event''s venue'); END;\n"

	"CREATE TABLE orders (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	device_id	INTEGER NOT NULL CHECK (device_id BETWEEN 1 AND 4294967295),\n"
	"	event_id	INTEGER NOT NULL REFERENCES events (id),\n"
	"	created_at	INTEGER NOT NULL,\n"
	"	payment		TEXT NOT NULL CHECK (payment IN ('cash', 'card', 'comp')),\n"
	"	total		INTEGER NOT NULL CHECK (total >= 0),\n"
	"	tendered	INTEGER CHECK (tendered >= total),\n"
	"	reference	TEXT,\n"
	"	CHECK (payment <> 'cash' OR tendered IS NOT NULL),\n"
	"	CHECK (payment <> 'comp' OR total = 0)\n"
	");\n"
	"CREATE INDEX orders_event ON orders (event_id, created_at);\n"
	"CREATE INDEX orders_created ON orders (created_at);\n"
	"CREATE TABLE order_tickets (\n"
	"	order_id	INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,\n"
	"	event_id	INTEGER NOT NULL,\n"
	"	seat_id		INTEGER NOT NULL,\n"
	"	serial		INTEGER NOT NULL CHECK (serial BETWEEN 1 AND 4294967295),\n"
	"	generation	INTEGER NOT NULL CHECK (generation BETWEEN 0 AND 65535),\n"
	"	tier		INTEGER NOT NULL DEFAULT 0 CHECK (tier BETWEEN 0 AND 255),\n"
	"	price		INTEGER NOT NULL CHECK (price >= 0),\n"
	"	qr_text		TEXT NOT NULL CHECK (length(qr_text) > 0),\n"
	"	refunded_at	INTEGER,\n"
	"	PRIMARY KEY (order_id, event_id, seat_id),\n"
	"	UNIQUE (event_id, seat_id, generation),\n"
	"	UNIQUE (serial),\n"
	"	FOREIGN KEY (event_id, seat_id) REFERENCES seat_state (event_id, seat_id)\n"
	");\n"

	"CREATE TABLE admissions (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	event_id	INTEGER NOT NULL,\n"
	"	seat_id		INTEGER NOT NULL,\n"
	"	device_id	INTEGER NOT NULL CHECK (device_id BETWEEN 1 AND 4294967295),\n"
	"	at		INTEGER NOT NULL,\n"
	"	route		TEXT NOT NULL CHECK (route IN ('online', 'offline')),\n"
	"	generation	INTEGER NOT NULL CHECK (generation BETWEEN 0 AND 65535),\n"
	"	UNIQUE (event_id, seat_id, device_id, at, generation),\n"
	"	FOREIGN KEY (event_id, seat_id) REFERENCES seat_state (event_id, seat_id)\n"
	");\n"
	"CREATE INDEX admissions_at ON admissions (event_id, at);\n"

	"CREATE TABLE scan_log (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	at		INTEGER NOT NULL,\n"
	"	raw		TEXT NOT NULL,\n"
	"	verdict		TEXT NOT NULL CHECK (verdict IN ('admit', 'deny')),\n"
	"	reason		TEXT NOT NULL DEFAULT '',\n"
	"	event_id	INTEGER,\n"
	"	seat_id		INTEGER,\n"
	"	route		TEXT CHECK (route IN ('online', 'offline')),\n"
	"	mode		TEXT NOT NULL DEFAULT 'entry' CHECK (mode IN ('entry', 'exit'))\n"
	");\n"
	"CREATE INDEX scan_log_at ON scan_log (at);\n"
	"CREATE INDEX scan_log_seat ON scan_log (event_id, seat_id);\n"

	"CREATE TABLE devices (\n"
	"	id		INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 4294967295),\n"
	"	name		TEXT NOT NULL,\n"
	"	role		TEXT NOT NULL CHECK (role IN ('boxoffice', 'gate', 'hub')),\n"
	"	sections	TEXT NOT NULL DEFAULT '',\n"
	"	revoked_at	INTEGER\n"
	");\n"
	"CREATE TABLE certificates (\n"
	"	device_id	INTEGER PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,\n"
	"	cert		BLOB NOT NULL CHECK (typeof(cert) = 'blob')\n"
	");\n"

	"CREATE TABLE outbox (\n"
	"	device_id	INTEGER NOT NULL CHECK (device_id BETWEEN 1 AND 4294967295),\n"
	"	seq		INTEGER NOT NULL CHECK (seq >= 1),\n"
	"	kind		TEXT NOT NULL CHECK (length(kind) > 0),\n"
	"	event_id	INTEGER,\n"
	"	seat_id		INTEGER,\n"
	"	body		TEXT NOT NULL,\n"
	"	created_at	INTEGER NOT NULL,\n"
	"	PRIMARY KEY (device_id, seq)\n"
	");\n"
	"CREATE TABLE conflicts (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	event_id	INTEGER NOT NULL,\n"
	"	seat_id		INTEGER NOT NULL,\n"
	"	kind		TEXT NOT NULL CHECK (kind IN\n"
	"			('duplicate-admission', 'double-sale', 'admitted-refunded')),\n"
	"	detail		TEXT NOT NULL DEFAULT '',\n"
	"	winner_device	INTEGER NOT NULL DEFAULT 0,\n"
	"	winner_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	loser_device	INTEGER NOT NULL DEFAULT 0,\n"
	"	loser_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	loser_key_id	INTEGER NOT NULL DEFAULT 0,\n"
	"	loser_serial	INTEGER NOT NULL DEFAULT 0,\n"
	"	at		INTEGER NOT NULL,\n"
	"	seen		INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1)),\n"
	"	UNIQUE (event_id, seat_id, kind, loser_device, loser_at, loser_key_id,\n"
	"	    loser_serial)\n"
	");\n"
	"CREATE INDEX conflicts_unseen ON conflicts (seen, at);\n"
	"CREATE TABLE leases (\n"
	"	event_id	INTEGER NOT NULL,\n"
	"	seat_id		INTEGER NOT NULL,\n"
	"	leased_at	INTEGER NOT NULL,\n"
	"	PRIMARY KEY (event_id, seat_id),\n"
	"	FOREIGN KEY (event_id, seat_id) REFERENCES seat_state (event_id, seat_id)\n"
	"	    ON DELETE CASCADE\n"
	");\n"
	},
	/* Box office: cash-drawer shifts and the hash-chained sales journal (journal.h). */
	{ 2,
	"CREATE TABLE shifts (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	device_id	INTEGER NOT NULL CHECK (device_id BETWEEN 1 AND 4294967295),\n"
	"	opened_at	INTEGER NOT NULL,\n"
	"	float		INTEGER NOT NULL CHECK (float >= 0),\n"
	"	closed_at	INTEGER,\n"
	"	counted		INTEGER CHECK (counted >= 0),\n"
	"	head_seq	INTEGER,\n"
	"	head_hash	BLOB CHECK (head_hash IS NULL OR length(head_hash) = 32),\n"
	"	CHECK ((closed_at IS NULL) = (counted IS NULL))\n"
	");\n"
	"CREATE UNIQUE INDEX shifts_one_open ON shifts (device_id) WHERE closed_at IS NULL;\n"
	"CREATE TABLE journal (\n"
	"	seq		INTEGER PRIMARY KEY CHECK (seq >= 1),\n"
	"	at		INTEGER NOT NULL,\n"
	"	shift_id	INTEGER NOT NULL REFERENCES shifts (id),\n"
	"	kind		TEXT NOT NULL CHECK (kind IN\n"
	"			('shift-open', 'sale', 'refund', 'reprint', 'shift-close')),\n"
	"	body		TEXT NOT NULL,\n"
	"	hash		BLOB NOT NULL CHECK (length(hash) = 32)\n"
	");\n"
	"CREATE INDEX journal_shift ON journal (shift_id, seq);\n"
	"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal\n"
	"BEGIN SELECT RAISE(ABORT, 'journal: entries are never changed'); END;\n"
	"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal\n"
	"BEGIN SELECT RAISE(ABORT, 'journal: entries are never deleted'); END;\n"
	},
	/*
	 * seat_state's CHECKs without IN lists of three or more: SQLite built an ephemeral
	 * b-tree of the names for every row written (two per row here: about 70,000
	 * instructions of a gate's decision). Same columns, same meaning; a rebuild, so it runs
	 * with foreign keys off (db.h) and the references are checked before it commits.
	 */
	{ 3, DB_REBUILD
	"CREATE TABLE seat_state3 (\n"
	"	event_id	INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,\n"
	"	seat_id		INTEGER NOT NULL REFERENCES seats (id),\n"
	"	state		TEXT NOT NULL DEFAULT 'available' CHECK (state = 'available' OR\n"
	"			state = 'held' OR state = 'sold' OR state = 'admitted' OR\n"
	"			state = 'exited' OR state = 'void'),\n"
	"	vv		BLOB NOT NULL DEFAULT x'00' CHECK (typeof(vv) = 'blob'),\n"
	"	generation	INTEGER NOT NULL DEFAULT 0 CHECK (generation BETWEEN 0 AND 65535),\n"
	"	serial		INTEGER NOT NULL DEFAULT 0 CHECK (serial BETWEEN 0 AND 4294967295),\n"
	"	key_id		INTEGER NOT NULL DEFAULT 0 CHECK (key_id BETWEEN 0 AND 4294967295),\n"
	"	tier		INTEGER NOT NULL DEFAULT 0 CHECK (tier BETWEEN 0 AND 255),\n"
	"	price		INTEGER NOT NULL DEFAULT 0 CHECK (price >= 0),\n"
	"	sold_at		INTEGER NOT NULL DEFAULT 0,\n"
	"	admitted_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	admitted_by	INTEGER NOT NULL DEFAULT 0,\n"
	"	exited_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	moves		INTEGER NOT NULL DEFAULT 0 CHECK (moves BETWEEN 0 AND 65535),\n"
	"	changed_by	INTEGER NOT NULL DEFAULT 0,\n"
	"	changed_at	INTEGER NOT NULL DEFAULT 0,\n"
	"	lease_device	INTEGER NOT NULL DEFAULT 0,\n"
	"	hold_until	INTEGER NOT NULL DEFAULT 0,\n"
	"	PRIMARY KEY (event_id, seat_id),\n"
	"	CHECK ((state <> 'sold' AND state <> 'admitted' AND state <> 'exited') OR\n"
	"	    key_id <> 0),\n"
	"	CHECK (state NOT IN ('admitted', 'exited') OR admitted_at <> 0),\n"
	"	CHECK (state <> 'exited' OR exited_at <> 0)\n"
	");\n"
	"INSERT INTO seat_state3 SELECT * FROM seat_state;\n"
	"DROP TABLE seat_state;\n"
	"ALTER TABLE seat_state3 RENAME TO seat_state;\n"
	"CREATE INDEX seat_state_state ON seat_state (event_id, state);\n"
	"CREATE INDEX seat_state_seat ON seat_state (seat_id);\n"
	"CREATE TRIGGER seat_state_venue_insert BEFORE INSERT ON seat_state\n"
	"WHEN (SELECT venue_id FROM seats WHERE id = NEW.seat_id) <>\n"
	"     (SELECT venue_id FROM events WHERE id = NEW.event_id)\n"
	"BEGIN SELECT RAISE(ABORT, 'seat_state: the seat is not in the event''s venue'); END;\n"
	"CREATE TRIGGER seat_state_venue_update BEFORE UPDATE OF event_id, seat_id ON seat_state\n"
	"WHEN (SELECT venue_id FROM seats WHERE id = NEW.seat_id) <>\n"
	"     (SELECT venue_id FROM events WHERE id = NEW.event_id)\n"
	"BEGIN SELECT RAISE(ABORT, 'seat_state: the seat is not in the event''s venue'); END;\n"
	/*
	 * keys_version counts changes to the certificates and devices a gate's keyring is built
	 * from, so that a gate knows its keyring is current from one row (common/gate.c).
	 */
	"INSERT OR IGNORE INTO meta VALUES ('keys_version', 0);\n"
	"CREATE TRIGGER certificates_insert AFTER INSERT ON certificates\n"
	"BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_version'; END;\n"
	"CREATE TRIGGER certificates_update AFTER UPDATE ON certificates\n"
	"BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_version'; END;\n"
	"CREATE TRIGGER certificates_delete AFTER DELETE ON certificates\n"
	"BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_version'; END;\n"
	"CREATE TRIGGER devices_insert AFTER INSERT ON devices\n"
	"BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_version'; END;\n"
	"CREATE TRIGGER devices_update AFTER UPDATE ON devices\n"
	"BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_version'; END;\n"
	"CREATE TRIGGER devices_delete AFTER DELETE ON devices\n"
	"BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_version'; END;\n"
	},
	/*
	 * The vector entry an operation offered to the server used, until the change is
	 * recorded here (common/device.c, device_prepare): a device killed between the
	 * server's commit and its own starts its next change of that seat after it.
	 */
	{ 4,
	"CREATE TABLE pending (\n"
	"	event_id	INTEGER NOT NULL,\n"
	"	seat_id		INTEGER NOT NULL,\n"
	"	entry		INTEGER NOT NULL CHECK (entry BETWEEN 1 AND 4294967295),\n"
	"	PRIMARY KEY (event_id, seat_id)\n"
	") WITHOUT ROWID;\n"
	},
	/*
	 * Online sales that got no answer (common/sale.c) and were refused here: the server may
	 * have applied them, leaving a seat sold by this box office with no ticket printed. Every
	 * sync after the pull voids those the server applied and forgets the others
	 * (common/device.c). The journal says so: its kinds gain "release" (a rebuild: the
	 * kinds are a CHECK; the triggers are made again).
	 */
	{ 5, DB_REBUILD
	"CREATE TABLE unanswered (\n"
	"	id		INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	event_id	INTEGER NOT NULL,\n"
	"	seat_id		INTEGER NOT NULL,\n"
	"	serial		INTEGER NOT NULL CHECK (serial BETWEEN 1 AND 4294967295),\n"
	"	generation	INTEGER NOT NULL CHECK (generation BETWEEN 0 AND 65535),\n"
	"	seq		INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 4294967295),\n"
	"	entry		INTEGER NOT NULL,\n"
	"	order_id	INTEGER NOT NULL,\n"
	"	at		INTEGER NOT NULL,\n"
	"	UNIQUE (event_id, seat_id, serial)\n"
	");\n"
	"CREATE TABLE journal5 (\n"
	"	seq		INTEGER PRIMARY KEY CHECK (seq >= 1),\n"
	"	at		INTEGER NOT NULL,\n"
	"	shift_id	INTEGER NOT NULL REFERENCES shifts (id),\n"
	"	kind		TEXT NOT NULL CHECK (kind IN\n"
	"			('shift-open', 'sale', 'refund', 'reprint', 'shift-close',\n"
	"			'release')),\n"
	"	body		TEXT NOT NULL,\n"
	"	hash		BLOB NOT NULL CHECK (length(hash) = 32)\n"
	");\n"
	"INSERT INTO journal5 SELECT seq, at, shift_id, kind, body, hash FROM journal;\n"
	"DROP TABLE journal;\n"
	"ALTER TABLE journal5 RENAME TO journal;\n"
	"CREATE INDEX journal_shift ON journal (shift_id, seq);\n"
	"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal\n"
	"BEGIN SELECT RAISE(ABORT, 'journal: entries are never changed'); END;\n"
	"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal\n"
	"BEGIN SELECT RAISE(ABORT, 'journal: entries are never deleted'); END;\n"
	},
};

int
replica_open(const char *path, int create, struct replica **out, char **cause)
{
	struct replica	*r;
	sqlite3		*db;
	sqlite3_stmt	*st;
	int		 app = 0, version = 0;

	/*
	 * Another program's Tessera file (a sync store) is refused before any migration of ours
	 * could touch it: read its application id and schema version first, read-only.
	 */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		if (sqlite3_prepare_v2(db, "SELECT application_id, user_version FROM "
		    "pragma_application_id, pragma_user_version", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW) {
			app = sqlite3_column_int(st, 0);
			version = sqlite3_column_int(st, 1);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	if (version > 0 && app != REPLICA_APPLICATION_ID)
		return set_cause(cause, "%s: a Tessera store but not a device replica "
		    "(application_id 0x%08x)", path, (unsigned)app);
	if (db_open(path, create, migrations, (int)nitems(migrations), &db, cause) != 0)
		return -1;
	st = db_prepare(db, "PRAGMA application_id");
	if (sqlite3_step(st) == SQLITE_ROW)
		app = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (app != REPLICA_APPLICATION_ID) {
		db_close(db);
		return set_cause(cause, "%s: a Tessera store but not a device replica "
		    "(application_id 0x%08x)", path, (unsigned)app);
	}
	r = xcalloc(1, sizeof *r);
	r->db = db;
	*out = r;
	return 0;
}

void
replica_close(struct replica *r)
{
	if (r == NULL)
		return;
	db_close(r->db);
	free(r);
}

sqlite3 *
replica_db(struct replica *r)
{
	return r->db;
}

/* Look key up; on 0 leaves st on its row for the caller to read and finalize. */
static int
meta_find(struct replica *r, const char *key, sqlite3_stmt **out, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = db_cached(r->db, "SELECT value FROM meta WHERE key = ?1");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = st;
		return 0;
	}
	if (rc == SQLITE_DONE) {
		db_done(st);
		return 1;
	}
	set_cause(cause, "meta %s: %s", key, sqlite3_errmsg(r->db));
	db_done(st);
	return -1;
}

int
replica_meta_get(struct replica *r, const char *key, char **value, char **cause)
{
	sqlite3_stmt		*st;
	const unsigned char	*t;
	int			 rc;

	if ((rc = meta_find(r, key, &st, cause)) != 0)
		return rc;
	t = sqlite3_column_text(st, 0);
	*value = xstrdup(t != NULL ? (const char *)t : "");
	db_done(st);
	return 0;
}

int
replica_meta_get_int(struct replica *r, const char *key, int64_t *value, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = meta_find(r, key, &st, cause)) != 0)
		return rc;
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
		db_done(st);
		return set_cause(cause, "meta %s: not an integer", key);
	}
	*value = sqlite3_column_int64(st, 0);
	db_done(st);
	return 0;
}

/* Run st (a change, cached) to completion and give it back. */
static int
meta_change(struct replica *r, sqlite3_stmt *st, const char *key, char **cause)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		set_cause(cause, "meta %s: %s", key, sqlite3_errmsg(r->db));
		db_done(st);
		return -1;
	}
	db_done(st);
	return 0;
}

int
replica_meta_set(struct replica *r, const char *key, const char *value, char **cause)
{
	sqlite3_stmt	*st;

	st = db_cached(r->db, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return meta_change(r, st, key, cause);
}

int
replica_meta_set_int(struct replica *r, const char *key, int64_t value, char **cause)
{
	sqlite3_stmt	*st;

	st = db_cached(r->db, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	return meta_change(r, st, key, cause);
}

int
replica_meta_delete(struct replica *r, const char *key, char **cause)
{
	sqlite3_stmt	*st;

	st = db_cached(r->db, "DELETE FROM meta WHERE key = ?1");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return meta_change(r, st, key, cause);
}
