/*
 * world.c: what the figures measure against: a store with a generated venue and one event, the
 * real server on 127.0.0.1 in this process (as tests/test_device.c starts it), devices enrolled
 * through it, tickets and gate operations made as the devices make them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "db.h"
#include "device.h"
#include "server.h"
#include "store.h"
#include "ticket.h"
#include "venue.h"
#include "vv.h"
#include "xmalloc.h"

#define ROWS_PER_SECTION 40
#define SEATS_PER_ROW    50

/* When every ticket of a world was sold (and issued): an hour ago. */
static int64_t sold_at;

char *
world_venue_text(size_t nseats, size_t *len)
{
	size_t cap = 64 + nseats / SEATS_PER_ROW * 40 + 64, used = 0, left = nseats;
	char *text = xmalloc(cap);
	int sec, row, n;

	used += (size_t)snprintf(text, cap, "venue,Bench Arena %zu\n", nseats);
	for (sec = 1; left > 0; sec++) {
		for (row = 1; row <= ROWS_PER_SECTION && left > 0; row++) {
			n = left < SEATS_PER_ROW ? (int)left : SEATS_PER_ROW;
			if (used + 64 > cap) {
				cap *= 2;
				text = xreallocarray(text, cap, 1);
			}
			used += (size_t)snprintf(text + used, cap - used, "row,S%d,%d,1-%d\n", sec,
			    row, n);
			left -= (size_t)n;
		}
	}
	*len = used;
	return text;
}

struct world *
world_new(const char *tag, size_t nseats)
{
	struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };
	struct store_event ev;
	struct store_tier tier;
	struct keypair *root;
	struct venue *v = NULL;
	struct world *w = xcalloc(1, sizeof *w);
	sqlite3_stmt *s;
	char *text, *cause = NULL, name[] = "Standard";
	size_t len;
	double t = bench_now();

	if (sold_at == 0)
		sold_at = (int64_t)time(NULL) - 3600;
	snprintf(w->dir, sizeof w->dir, "/tmp/tessera-bench-%s-XXXXXX", tag);
	if (mkdtemp(w->dir) == NULL) {
		fprintf(stderr, "bench: cannot make a temporary folder\n");
		free(w);
		return NULL;
	}
	snprintf(w->dbpath, sizeof w->dbpath, "%s/central.db", w->dir);
	if (store_create(w->dbpath, &root, &cause) != 0)
		goto fail;
	keypair_free(root);
	if (store_open(w->dbpath, &w->st, &cause) != 0)
		goto fail;
	text = world_venue_text(nseats, &len);
	if (venue_parse(text, len, "bench", &v, &cause) != 0) {
		free(text);
		goto fail;
	}
	free(text);
	if (store_venue_import(w->st, v, &w->venue, &cause) != 0)
		goto fail;
	venue_free(v);
	v = NULL;
	memset(&ev, 0, sizeof ev);
	ev.venue_id = w->venue;
	ev.name = "Bench Night";
	ev.starts_at = (int64_t)time(NULL) + 3600;
	ev.doors_at = (int64_t)time(NULL) - 1800;
	ev.currency = "EUR";
	tier.name = name;
	tier.price = 1500;
	tier.sections = NULL;
	ev.tiers = &tier;
	ev.ntiers = 1;
	if (store_event_create(w->st, &ev, &w->event, &cause) != 0)
		goto fail;
	s = db_prepare(store_db(w->st), "SELECT min(id), count(*) FROM seats WHERE venue_id = ?");
	sqlite3_bind_int64(s, 1, w->venue);
	if (sqlite3_step(s) == SQLITE_ROW) {
		w->first_seat = (uint32_t)sqlite3_column_int64(s, 0);
		w->nseats = (size_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (w->nseats != nseats) {
		cause = xasprintf("venue has %zu seats, want %zu", w->nseats, nseats);
		goto fail;
	}
	if (server_start(w->st, &cfg, &w->srv, &cause) != 0)
		goto fail;
	snprintf(w->url, sizeof w->url, "http://127.0.0.1:%u", server_port(w->srv));
	if (nseats >= 100000)
		fprintf(stderr, "bench:   (a store of %zu seats made in %.1f s)\n", nseats,
		    bench_now() - t);
	return w;
fail:
	fprintf(stderr, "bench: world of %zu seats: %s\n", nseats, cause);
	free(cause);
	venue_free(v);
	world_free(w);
	return NULL;
}

void
world_free(struct world *w)
{
	char *cmd;

	if (w == NULL)
		return;
	if (w->srv != NULL)
		server_stop(w->srv);
	store_close(w->st);
	if (getenv("BENCH_KEEP") == NULL) {
		cmd = xasprintf("rm -rf '%s'", w->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: could not remove %s\n", w->dir);
		free(cmd);
	} else
		fprintf(stderr, "bench: kept %s\n", w->dir);
	free(w);
}

int
ident_new(struct world *w, int role, const char *name, struct ident *out)
{
	json_t *reply = NULL;
	char *code = NULL, *cause = NULL;

	memset(out, 0, sizeof *out);
	out->role = role;
	out->kp = keypair_generate();
	if (store_device_add(w->st, role, name, NULL, &out->id, &code, &cause) != 0 ||
	    store_enroll(w->st, code, out->kp->pk, &reply, &cause) != 0) {
		fprintf(stderr, "bench: enrolling %s: %s\n", name, cause);
		free(cause);
		free(code);
		keypair_free(out->kp);
		out->kp = NULL;
		return -1;
	}
	json_decref(reply);
	free(code);
	return 0;
}

struct client *
ident_client(struct world *w, const struct ident *id, const char *url)
{
	struct client *c = client_new(url != NULL ? url : w->url, id->id, id->kp);
	char *cause = NULL;

	/* As a device's: requests authenticated with the MAC key shared with the server. */
	if (client_set_root(c, store_root(w->st)->pk, &cause) != 0) {
		fprintf(stderr, "bench: %s\n", cause);
		abort();
	}
	return c;
}

void
ident_free(struct ident *id)
{
	keypair_free(id->kp);
	id->kp = NULL;
}

struct device *
world_device(struct world *w, int role, const char *name, const char *url, char *pathp,
    size_t len)
{
	static int n;
	struct device *d = NULL;
	uint32_t id;
	char *code = NULL, *cause = NULL, path[160];

	snprintf(path, sizeof path, "%s/device-%d.db", w->dir, ++n);
	if (store_device_add(w->st, role, name, NULL, &id, &code, &cause) != 0 ||
	    device_enroll(path, url != NULL ? url : w->url, code, &d, &cause) != 0) {
		fprintf(stderr, "bench: enrolling %s: %s\n", name, cause);
		free(cause);
		free(code);
		return NULL;
	}
	free(code);
	device_set_online_timeout(d, 10000);
	if (pathp != NULL)
		snprintf(pathp, len, "%s", path);
	return d;
}

char *
world_ticket(const struct world *w, const struct ident *bo, uint32_t seat, uint32_t serial)
{
	struct ticket t;

	memset(&t, 0, sizeof t);
	t.version = TICKET_VERSION;
	t.key_id = bo->id;
	t.event_id = w->event;
	t.seat_id = seat;
	t.serial = serial;
	t.generation = 0;
	t.tier = 0;
	t.issued_at = (uint32_t)sold_at;
	return ticket_sign(&t, bo->kp);
}

json_t *
world_admit_op(const struct world *w, uint32_t gate, uint32_t seq, uint32_t bo, uint32_t seat,
    uint32_t serial, int sold)
{
	struct op o;
	json_t *j;
	int64_t now = (int64_t)time(NULL);

	op_init(&o);
	o.device_id = gate;
	o.seq = seq;
	o.kind = OP_ADMIT;
	o.at = now;
	seat_rec_init(&o.rec, w->event, seat);
	o.rec.state = SEAT_ADMITTED;
	o.rec.generation = 0;
	o.rec.key_id = bo;
	o.rec.serial = serial;
	o.rec.tier = 0;
	o.rec.price = 1500;
	o.rec.sold_at = sold_at;
	o.rec.admitted_by = gate;
	o.rec.admitted_at = now;
	o.rec.moves = 1;
	o.rec.changed_by = gate;
	o.rec.changed_at = now;
	if (sold)
		vv_increment(&o.rec.vv, bo);
	vv_increment(&o.rec.vv, gate);
	j = proto_op_to_compact(&o);
	op_free(&o);
	return j;
}

int
world_sell_out(struct world *w, uint32_t bo)
{
	sqlite3 *db = store_db(w->st);
	sqlite3_stmt *s;
	struct store_stats stats;
	struct vv v;
	uint8_t *blob;
	size_t len;
	int64_t base = 0;
	char *cause = NULL;
	int rc;

	vv_init(&v);
	vv_increment(&v, bo);
	len = vv_encode(&v, &blob);
	vv_free(&v);
	if (db_begin(db, &cause) != 0)
		goto fail;
	s = db_prepare(db, "SELECT value FROM meta WHERE key = 'seq'");
	if (sqlite3_step(s) == SQLITE_ROW)
		base = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = db_prepare(db, "INSERT OR REPLACE INTO seat_state(event_id, seat_id, state, vv, "
	    "generation, key_id, serial, tier, price, sold_at, admitted_by, admitted_at, "
	    "exited_at, changed_by, changed_at, moves, seq) SELECT ?1, id, 'sold', ?2, 0, ?3, id, "
	    "0, 1500, ?4, 0, 0, 0, ?3, ?4, 0, ?5 + id - ?6 + 1 FROM seats WHERE venue_id = ?7");
	sqlite3_bind_int64(s, 1, w->event);
	sqlite3_bind_blob(s, 2, blob, (int)len, free);
	sqlite3_bind_int64(s, 3, bo);
	sqlite3_bind_int64(s, 4, sold_at);
	sqlite3_bind_int64(s, 5, base);
	sqlite3_bind_int64(s, 6, w->first_seat);
	sqlite3_bind_int64(s, 7, w->venue);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		cause = db_error(db, "selling out");
		db_rollback(db);
		goto fail;
	}
	/* Each record's change, as the store's rec_save() records it. */
	s = db_prepare(db, "INSERT INTO changes(seq, event_id, seat_id) SELECT seq, event_id, "
	    "seat_id FROM seat_state WHERE event_id = ? AND seq > ? ORDER BY seq");
	sqlite3_bind_int64(s, 1, w->event);
	sqlite3_bind_int64(s, 2, base);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		cause = db_error(db, "selling out");
		db_rollback(db);
		goto fail;
	}
	s = db_prepare(db, "UPDATE meta SET value = ? WHERE key = 'seq'");
	sqlite3_bind_int64(s, 1, base + (int64_t)w->nseats);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || db_commit(db, &cause) != 0) {
		if (cause == NULL)
			cause = db_error(db, "selling out");
		db_rollback(db);
		goto fail;
	}
	store_stats(w->st, &stats);         /* the server takes up the new sequence */
	return 0;
fail:
	fprintf(stderr, "bench: selling out: %s\n", cause);
	free(cause);
	return -1;
}

/*
 * The server's seat_state, changes and ops tables as sync/store.c makes them (without the
 * foreign keys to tables the limits do not have), and nothing else.
 */
static const struct db_migration store_tables[] = {
	{ 1,
	"CREATE TABLE seat_state(event_id INTEGER NOT NULL, seat_id INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK(state = 'available' OR state = 'held' OR state = 'sold' OR"
	" state = 'admitted' OR state = 'exited' OR state = 'void'),"
	" vv BLOB NOT NULL, generation INTEGER NOT NULL, key_id INTEGER NOT NULL,"
	" serial INTEGER NOT NULL, tier INTEGER NOT NULL, price INTEGER NOT NULL,"
	" sold_at INTEGER NOT NULL, admitted_by INTEGER NOT NULL, admitted_at INTEGER NOT NULL,"
	" exited_at INTEGER NOT NULL, moves INTEGER NOT NULL, changed_by INTEGER NOT NULL,"
	" changed_at INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(event_id, seat_id))"
	" WITHOUT ROWID;"
	"CREATE TABLE changes(seq INTEGER PRIMARY KEY, event_id INTEGER NOT NULL,"
	" seat_id INTEGER NOT NULL);"
	"CREATE TABLE ops(device_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
	" event_id INTEGER NOT NULL, seat_id INTEGER NOT NULL, at INTEGER NOT NULL,"
	" result TEXT NOT NULL, pay TEXT, price INTEGER NOT NULL DEFAULT 0, order_no INTEGER,"
	" received_at INTEGER NOT NULL, PRIMARY KEY(device_id, seq)) WITHOUT ROWID;" },
};

sqlite3 *
world_limit_db(struct world *w, const char *name)
{
	sqlite3 *db;
	char *cause = NULL, path[200];

	snprintf(path, sizeof path, "%s/%s", w->dir, name);
	/* With the store's page size, as db_open() makes every new file. */
	if (db_open(path, 1, store_tables, (int)nitems(store_tables), &db, &cause) != 0) {
		fprintf(stderr, "bench: %s\n", cause);
		free(cause);
		return NULL;
	}
	return db;
}
