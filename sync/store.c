/*
 * store.c: the central server's store on SQLite.
 *
 * The data model (docs/data-model.md has the whole of it):
 *
 *   meta(key, value)          root public key, the change sequence "seq"
 *   venues, seats             imported seat maps; a seat's id is global, its label unique per venue
 *   events, tiers, tier_sections
 *                             an event on a venue; a tier prices the sections it names
 *   seat_state                one row per seat of an event that has ever changed (a seat with no
 *                             row is available with an empty vector); seq is the change sequence
 *                             number of its latest change
 *   changes                   (migration 5) one row per seat change, appended: seq, event, seat.
 *                             A pull reads it from the cursor and joins the seat's row where
 *                             seat_state.seq is still that seq, so a superseded change is skipped.
 *                             It replaces an index on seat_state(seq), whose old entry was deleted
 *                             from a random leaf on every change (docs/performance.md, figure 8).
 *   holds, leases             short reservations the server alone decides: a hold keeps a seat
 *                             in a cashier's cart for minutes; a lease lets a box office sell a
 *                             seat offline. Neither is part of the replicated record.
 *   devices                   enrolled terminals and gates, their certificates and state
 *   nonces                    request nonces seen within the clock window (replay protection),
 *                             by the request's signed time, device and nonce (migration 3)
 *   ops                       every operation ever received, by dot: pushing it again is a no-op
 *   conflicts                 what the merge found: duplicate admissions, double sales
 *   epochs                    (migration 2) one row per start of the server: a random id and the
 *                             change sequence it started at (docs/reliability.md)
 *
 * One global sequence numbers every change a device must hear about (seat states, devices,
 * conflicts). Inside a transaction it is counted in memory (st->wseq) and written to meta just
 * before the commit; st->seq, what readers and long-polls go by, moves once the commit is done.
 *
 * Epochs: within one run of the server over one file, the history of changes only grows. A
 * store restored from a backup goes on from the backup's sequence with another history, so
 * every start begins a new epoch, recorded with the sequence it starts from. A device that
 * heard seq H in epoch E can ask whether its history is still this one (store_epoch_check):
 * yes when E is known here and the epoch after E (if any) started at H or later.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "db.h"
#include "store.h"
#include "xmalloc.h"

/* Group commit: how many writers may share one transaction, at most. */
#define GROUP_CHANGES   2000            /* or changes (pushes are up to 500 operations) */
#define GROUP_MAX       256
#define GROUP_RING      1024            /* batches whose outcome is remembered */

struct store {
	pthread_mutex_t  mu;
	pthread_cond_t   changed;
	pthread_cond_t   settled;           /* a group transaction ended */
	sqlite3         *db;
	int              grouped;           /* store_group(): share commits between requests */
	_Atomic int      queued;            /* threads waiting for mu to write */
	int              open;              /* a group transaction is open */
	uint64_t         group;             /* the open or latest group transaction */
	uint64_t         done;              /* every group up to this one has ended */
	int              members;           /* writers in the open group */
	char            *group_error;       /* why a writer's error ended the transaction */
	uint64_t         group_seq0;        /* the sequence when it opened */
	uint64_t         group_seq;         /* the highest change sequence written in it */
	pthread_t        ckpt;              /* the checkpointer, while grouped */
	sqlite3         *ckpt_db;           /* its connection */
	int              walfd;             /* the WAL, for the fsync outside the lock; or -1 */
	int              lockfd;            /* "<db>.lock", flock()ed while a server runs; -1 */
	uint64_t         durable;           /* every group up to this one is on disk */
	int              syncing;           /* a thread is in fdatasync(walfd) */
	pthread_cond_t   ckpt_wake;
	int              ckpt_due;          /* the WAL has grown past ckpt_pages */
	int              ckpt_pages;        /* STORE_CKPT_BYTES in the store's pages */
	int              ckpt_stop;
	uint64_t         ring_group[GROUP_RING];
	char            *ring_error[GROUP_RING];   /* NULL: that group committed */
	struct keypair  *root;
	uint64_t         seq;
	uint64_t         wseq;              /* the sequence inside the open transaction */
	int              wseq_state;        /* WSEQ_* */
	int              stopping;
	int64_t          nonces_purged;
	int64_t          nonces_since;      /* refuse requests signed before (migration 3) */
	struct store_stats stats;
	char             epoch[STORE_EPOCH_LEN + 1];   /* "" before the first server start */
	/*
	 * Kept in memory to spare each pushed operation two look-ups (look_up()), both under the
	 * lock. Per device id, the highest seq of its operations in ops (dot_max[id] - 1; 0: not
	 * read yet): a greater seq is a new dot. Only this store writes ops, and a rollback leaves
	 * the number too high, which costs a look-up and nothing else. Per event, the range of
	 * seat ids of its venue when they are exactly that range (a venue's seats are all made
	 * by its import and never change, events never move nor go).
	 */
	uint64_t        *dot_max;
	size_t           ndot_max;
	struct event_seats {
		uint32_t event, lo, hi;
		int      range;         /* 0: its seats are not one range, ask SQLite */
	}               *event_seats;
	size_t           nevent_seats;
};

/* The states a seat_state row may hold (migration 4; seat.h names them). */
#define STATE_CHECK "state = 'available' OR state = 'held' OR state = 'sold' OR " \
	"state = 'admitted' OR state = 'exited' OR state = 'void'"

static const struct db_migration migrations[] = {
	{ 1,
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE venues(id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE seats(id INTEGER PRIMARY KEY, venue_id INTEGER NOT NULL REFERENCES venues(id),"
	" section TEXT NOT NULL, row TEXT NOT NULL, number INTEGER NOT NULL, label TEXT NOT NULL,"
	" ga INTEGER NOT NULL DEFAULT 0, UNIQUE(venue_id, label));"
	"CREATE INDEX seats_section ON seats(venue_id, section);"
	"CREATE TABLE events(id INTEGER PRIMARY KEY, venue_id INTEGER NOT NULL REFERENCES venues(id),"
	" name TEXT NOT NULL, starts_at INTEGER NOT NULL, doors_at INTEGER NOT NULL,"
	" currency TEXT NOT NULL, reentry INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE tiers(event_id INTEGER NOT NULL REFERENCES events(id), idx INTEGER NOT NULL,"
	" name TEXT NOT NULL, price INTEGER NOT NULL CHECK(price >= 0), PRIMARY KEY(event_id, idx));"
	"CREATE TABLE tier_sections(event_id INTEGER NOT NULL, tier_idx INTEGER NOT NULL,"
	" section TEXT NOT NULL, PRIMARY KEY(event_id, section),"
	" FOREIGN KEY(event_id, tier_idx) REFERENCES tiers(event_id, idx));"
	"CREATE TABLE seat_state(event_id INTEGER NOT NULL REFERENCES events(id),"
	" seat_id INTEGER NOT NULL REFERENCES seats(id),"
	" state TEXT NOT NULL CHECK(state IN ('available','held','sold','admitted','exited','void')),"
	" vv BLOB NOT NULL, generation INTEGER NOT NULL, key_id INTEGER NOT NULL,"
	" serial INTEGER NOT NULL, tier INTEGER NOT NULL, price INTEGER NOT NULL,"
	" sold_at INTEGER NOT NULL, admitted_by INTEGER NOT NULL, admitted_at INTEGER NOT NULL,"
	" exited_at INTEGER NOT NULL, moves INTEGER NOT NULL, changed_by INTEGER NOT NULL,"
	" changed_at INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(event_id, seat_id))"
	" WITHOUT ROWID;"
	"CREATE INDEX seat_state_seq ON seat_state(seq);"
	"CREATE TABLE holds(event_id INTEGER NOT NULL, seat_id INTEGER NOT NULL,"
	" device_id INTEGER NOT NULL REFERENCES devices(id), until INTEGER NOT NULL,"
	" PRIMARY KEY(event_id, seat_id)) WITHOUT ROWID;"
	"CREATE TABLE leases(event_id INTEGER NOT NULL, seat_id INTEGER NOT NULL,"
	" device_id INTEGER NOT NULL REFERENCES devices(id), leased_at INTEGER NOT NULL,"
	" PRIMARY KEY(event_id, seat_id)) WITHOUT ROWID;"
	"CREATE INDEX leases_device ON leases(device_id, event_id);"
	"CREATE TABLE devices(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK(role IN ('boxoffice','gate','hub')),"
	" state TEXT NOT NULL CHECK(state IN ('pending','active','revoked')),"
	" sections TEXT NOT NULL DEFAULT '', pk BLOB, cert BLOB, code_hash BLOB UNIQUE,"
	" code_expires INTEGER, created_at INTEGER NOT NULL, enrolled_at INTEGER,"
	" revoked_at INTEGER, seq INTEGER NOT NULL);"
	"CREATE INDEX devices_seq ON devices(seq);"
	"CREATE TABLE nonces(device_id INTEGER NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL,"
	" PRIMARY KEY(device_id, nonce)) WITHOUT ROWID;"
	"CREATE INDEX nonces_at ON nonces(at);"
	"CREATE TABLE ops(device_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
	" event_id INTEGER NOT NULL, seat_id INTEGER NOT NULL, at INTEGER NOT NULL,"
	" result TEXT NOT NULL, pay TEXT, price INTEGER NOT NULL DEFAULT 0, order_no INTEGER,"
	" received_at INTEGER NOT NULL, PRIMARY KEY(device_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE conflicts(id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL,"
	" seat_id INTEGER NOT NULL, kind TEXT NOT NULL, winner_device INTEGER NOT NULL,"
	" winner_at INTEGER NOT NULL, loser_device INTEGER NOT NULL, loser_at INTEGER NOT NULL,"
	" loser_key_id INTEGER NOT NULL, loser_serial INTEGER NOT NULL,"
	" detected_at INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" UNIQUE(event_id, seat_id, kind, loser_device, loser_at, loser_key_id, loser_serial));"
	"CREATE INDEX conflicts_seq ON conflicts(seq);"
	"INSERT INTO meta VALUES('seq', 0);" },
	{ 2,
	"CREATE TABLE epochs(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	" started_at INTEGER NOT NULL, seq INTEGER NOT NULL);" },
	/*
	 * Nonces keyed by the request's own signed time first: each request's insert lands at the
	 * right edge of one b-tree (it was a random place in two), forgetting them is a range
	 * delete, and a replay (same time, device, nonce) still collides.
	 */
	{ 3,
	"CREATE TABLE nonces3(at INTEGER NOT NULL, device_id INTEGER NOT NULL,"
	" nonce TEXT NOT NULL, PRIMARY KEY(at, device_id, nonce)) WITHOUT ROWID;"
	"INSERT INTO nonces3 SELECT at, device_id, nonce FROM nonces;"
	"DROP TABLE nonces;"
	"ALTER TABLE nonces3 RENAME TO nonces;"
	/* Rows copied hold receive times: refuse anything signed before now (store_nonce_use). */
	"INSERT OR REPLACE INTO meta SELECT 'nonces_since', CAST(strftime('%s', 'now') AS INTEGER)"
	" WHERE EXISTS (SELECT 1 FROM nonces);" },
	/*
	 * The seat state's CHECK as a chain of ORs: "state IN (...)" with a bound value built an
	 * ephemeral b-tree of the six names for every row written (about 35,000 of the 48,000
	 * instructions of inserting a seat record). Same columns, same meaning.
	 */
	{ 4, DB_REBUILD
	"CREATE TABLE seat_state4(event_id INTEGER NOT NULL REFERENCES events(id),"
	" seat_id INTEGER NOT NULL REFERENCES seats(id),"
	" state TEXT NOT NULL CHECK(" STATE_CHECK "),"
	" vv BLOB NOT NULL, generation INTEGER NOT NULL, key_id INTEGER NOT NULL,"
	" serial INTEGER NOT NULL, tier INTEGER NOT NULL, price INTEGER NOT NULL,"
	" sold_at INTEGER NOT NULL, admitted_by INTEGER NOT NULL, admitted_at INTEGER NOT NULL,"
	" exited_at INTEGER NOT NULL, moves INTEGER NOT NULL, changed_by INTEGER NOT NULL,"
	" changed_at INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(event_id, seat_id))"
	" WITHOUT ROWID;"
	"INSERT INTO seat_state4 SELECT * FROM seat_state;"
	"DROP TABLE seat_state;"
	"ALTER TABLE seat_state4 RENAME TO seat_state;"
	"CREATE INDEX seat_state_seq ON seat_state(seq);" },
	/*
	 * The change sequence as an append-only table instead of the index seat_state_seq: a change
	 * appends at the right edge of one b-tree (the index deleted its seat's old entry from a
	 * random leaf, at a large venue one page written per change). Built from seat_state, a
	 * migrated store's changes hold each seat's latest change only: all a pull ever returned.
	 */
	{ 5,
	"CREATE TABLE changes(seq INTEGER PRIMARY KEY, event_id INTEGER NOT NULL,"
	" seat_id INTEGER NOT NULL);"
	"INSERT INTO changes SELECT seq, event_id, seat_id FROM seat_state ORDER BY seq;"
	"DROP INDEX seat_state_seq;" },
};

#define HOLD_DEFAULT   300
#define HOLD_MAX       1800
#define CODE_LIFETIME  (7 * 86400)
#define CERT_SKEW      86400
#define CERT_LIFETIME  (5 * 365 * 86400)

int64_t
store_now(void)
{
	return (int64_t)time(NULL);
}

char *
store_rootkey_path(const char *db)
{
	return xasprintf("%s.rootkey", db);
}

/* ------------------------------------------------------------------ locking, group commit */

/*
 * Group commit. A commit costs an fsync, and the store has one writer (the SQLite connection
 * under st->mu), so with fifty gates admitting at once most of a request's time was spent
 * waiting for the commits of the requests queued before it. The online paths (a request's
 * nonce, an admission, a push, a sale) therefore write into a shared "group" transaction:
 *
 *   group_lock()    takes the lock and opens the group transaction if none is open; each
 *                   writer's part runs inside a savepoint, so a failing writer undoes only
 *                   its own part (group_abort);
 *   group_unlock()  commits the group when no other thread is queued for the lock (or the
 *                   group is full), else leaves it open for them and releases the lock;
 *   store_settle()  (before a request is answered) waits until the groups this thread wrote
 *                   into have ended, tells whether they committed, and (wal_sync) until they
 *                   are on disk.
 *
 * While grouped, the connection commits at synchronous NORMAL (no fsync in the commit) and
 * store_settle fdatasyncs the WAL outside the lock, so one fsync covers every group committed
 * before it while the next group is being written. A request is answered only once what it
 * wrote, and (reading(): pulls, long-polls, bootstrap pages) what it read, is durable.
 * Everything else takes lock(), which first commits an open group: no reader ever sees
 * uncommitted writes (a long-poll is woken, and st->seq moves, only after the commit). A
 * failed commit fails every request of its group, none of which has been answered yet; a
 * failed fdatasync stops the server (wal_sync_failed).
 */
/*
 * The change sequence inside a transaction is counted in memory (st->wseq), read from meta at
 * its first use and written back once, just before the commit: a push of 500 operations
 * updated the meta row 500 times.
 */
enum { WSEQ_UNKNOWN, WSEQ_READ, WSEQ_MOVED };

/* Within a transaction: the change sequence as it stands in it. */
static uint64_t
seq_now(struct store *st)
{
	sqlite3_stmt *s;

	if (st->wseq_state == WSEQ_UNKNOWN) {
		s = db_cached(st->db, "SELECT value FROM meta WHERE key = 'seq'");
		st->wseq = sqlite3_step(s) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
		db_done(s);
		st->wseq_state = WSEQ_READ;
	}
	return st->wseq;
}

/* Within a transaction: the next change sequence number. */
static int
next_seq(struct store *st, uint64_t *seq, char **cause)
{
	(void)cause;
	*seq = seq_now(st) + 1;
	st->wseq = *seq;
	st->wseq_state = WSEQ_MOVED;
	return 0;
}

/* Commit the open transaction, the sequence first: 0, or -1 with *cause (rolled back). */
static int
commit_seq(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (st->wseq_state == WSEQ_MOVED) {
		s = db_cached(st->db, "UPDATE meta SET value = ? WHERE key = 'seq'");
		sqlite3_bind_int64(s, 1, (sqlite3_int64)st->wseq);
		if (sqlite3_step(s) != SQLITE_DONE) {
			*cause = db_error(st->db, "numbering the changes");
			rc = -1;
		}
		db_done(s);
	}
	st->wseq_state = WSEQ_UNKNOWN;
	if (rc != 0) {
		db_rollback(st->db);
		return -1;
	}
	return db_commit(st->db, cause);
}

/*
 * The WAL could not be made durable (wal_sync, commit). After a failed fdatasync the kernel may
 * have dropped the pages, and the next fdatasync reports success over them (as PostgreSQL
 * found in 2018): no later commit could be trusted either. So the server stops without
 * answering anything more; started again, SQLite recovers what is really on disk, a new epoch
 * begins, and the devices send again whatever was not acknowledged (docs/reliability.md).
 */
static void
wal_sync_failed(int err)
{
	fprintf(stderr, "tessera-sync: the store's log could not be written to disk (fdatasync: "
	    "%s); stopping so that nothing is acknowledged that may not be on disk\n",
	    strerror(err));
	abort();
}

/*
 * What this thread wrote and has not yet heard the outcome of: the groups (at most a few: a
 * request writes its nonce and then its operation), resolved against the ring of outcomes as
 * soon as the thread next holds the lock after they ended, so that a long-poll waiting 30 s
 * does not outlive the ring. err: the first failure among them (newly allocated).
 */
#define PENDING_MAX 4
static _Thread_local struct {
	struct store *st;
	uint64_t      g[PENDING_MAX];
	int           n;
	uint64_t      hi;                   /* the latest group written: to be made durable */
	char         *err;
} pending;

/* This thread's pending writes are st's from now (a thread serves one server at a time). */
static void
pending_for(struct store *st)
{
	if (pending.st == st)
		return;
	pending.st = st;
	pending.n = 0;
	pending.hi = 0;
	free(pending.err);
	pending.err = NULL;
}

/*
 * Under the lock, before reading what others committed: the answer must wait until that is
 * durable too (the commit no longer fsyncs; store_settle does), or a device could hear of a
 * change that a power cut then takes back.
 */
static void
reading(struct store *st)
{
	if (st->walfd < 0 || st->done <= st->durable)
		return;
	pending_for(st);
	if (st->done > pending.hi)
		pending.hi = st->done;
}

/* Under the lock: resolve this thread's groups that have ended. */
static void
resolve(struct store *st)
{
	int i, keep = 0;
	size_t k;

	if (pending.st != st)
		return;
	for (i = 0; i < pending.n; i++) {
		uint64_t g = pending.g[i];

		if (g > st->done) {
			pending.g[keep++] = g;
			continue;
		}
		k = (size_t)(g % GROUP_RING);
		if (pending.err != NULL)
			continue;
		if (st->ring_group[k] != g)
			pending.err = xstrdup("the outcome of the store's commit is no longer known");
		else if (st->ring_error[k] != NULL)
			pending.err = xstrdup(st->ring_error[k]);
	}
	pending.n = keep;
}

static int
group_commit(struct store *st)
{
	char *cause = NULL;
	size_t k;
	int rc;

	if (sqlite3_get_autocommit(st->db)) {
		/* SQLite rolled the whole transaction back itself (disk full, I/O error). */
		cause = xstrdup(st->group_error != NULL ? st->group_error :
		    "the store's transaction was rolled back");
		st->wseq_state = WSEQ_UNKNOWN;
		rc = -1;
	} else
		rc = commit_seq(st, &cause);
	free(st->group_error);
	st->group_error = NULL;
	k = (size_t)(st->group % GROUP_RING);
	free(st->ring_error[k]);
	st->ring_group[k] = st->group;
	st->ring_error[k] = rc == 0 ? NULL : cause;
	st->open = 0;
	st->done = st->group;
	if (rc == 0 && st->group_seq > st->seq) {
		st->seq = st->group_seq;
		pthread_cond_broadcast(&st->changed);
	}
	pthread_cond_broadcast(&st->settled);
	return rc;
}

static void
lock(struct store *st)
{
	pthread_mutex_lock(&st->mu);
	if (st->open)
		group_commit(st);
	st->wseq_state = WSEQ_UNKNOWN;
	resolve(st);
	reading(st);
}

/*
 * The lock without committing an open group: for reads that may see a group's uncommitted
 * writes without harm (a device's key; the committed sequence kept in memory).
 */
static void
lock_peek(struct store *st)
{
	pthread_mutex_lock(&st->mu);
}

static void
unlock(struct store *st)
{
	pthread_mutex_unlock(&st->mu);
}

/* One statement without parameters or rows, prepared once: SQLITE_OK or the error. */
static int
exec_cached(struct store *st, const char *sql)
{
	sqlite3_stmt *s = db_cached(st->db, sql);
	int rc = sqlite3_step(s);

	db_done(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Take the lock as a writer of the group transaction; -1 (with *cause) if it cannot begin. */
static int
group_lock(struct store *st, char **cause)
{
	atomic_fetch_add(&st->queued, 1);
	pthread_mutex_lock(&st->mu);
	atomic_fetch_sub(&st->queued, 1);
	resolve(st);
	if (st->open && sqlite3_get_autocommit(st->db))
		group_commit(st);               /* gone under a writer: fail it, start anew */
	if (!st->open) {
		if (db_begin(st->db, cause) != 0) {
			pthread_mutex_unlock(&st->mu);
			return -1;
		}
		st->open = 1;
		st->wseq_state = WSEQ_UNKNOWN;
		st->group_seq0 = seq_now(st);
		st->group++;
		st->members = 0;
		st->group_seq = 0;
	}
	if (exec_cached(st, "SAVEPOINT writer") != SQLITE_OK) {
		*cause = db_error(st->db, "starting a writer's part");
		/* Nothing of this writer's: end the group for those in it, who may be waiting. */
		group_commit(st);
		pthread_mutex_unlock(&st->mu);
		return -1;
	}
	st->members++;
	return 0;
}

/* This writer's part failed: undo it alone. The lock stays held. */
static void
group_abort(struct store *st)
{
	if (exec_cached(st, "ROLLBACK TO writer") != SQLITE_OK ||
	    exec_cached(st, "RELEASE writer") != SQLITE_OK || sqlite3_get_autocommit(st->db)) {
		/* The transaction itself is gone: the whole group has failed. */
		if (st->group_error == NULL)
			st->group_error = xstrdup(sqlite3_errmsg(st->db));
	}
}

/*
 * This writer's part is done (seq: the highest change sequence it wrote, or 0): release the
 * lock, committing first unless others are queued to join. Outside a server (store_group not
 * called) every group is one writer's and is committed here; the result is then known: 0, or
 * -1 with *cause. In a server the outcome is told by store_settle().
 */
static int
group_unlock(struct store *st, uint64_t seq, char **cause)
{
	uint64_t g = st->group;
	int rc = 0, grouped = st->grouped;

	if (exec_cached(st, "RELEASE writer") != SQLITE_OK || sqlite3_get_autocommit(st->db)) {
		if (st->group_error == NULL)
			st->group_error = xstrdup(sqlite3_errmsg(st->db));
	}
	if (seq > st->group_seq)
		st->group_seq = seq;
	if (grouped) {
		pending_for(st);
		if (pending.n == PENDING_MAX) {
			group_commit(st);       /* resolves every group of this thread's */
			resolve(st);
		}
		if (pending.n < PENDING_MAX && (pending.n == 0 || pending.g[pending.n - 1] != g))
			pending.g[pending.n++] = g;
		if (g > pending.hi)
			pending.hi = g;
	}
	if (!grouped || st->group_error != NULL || st->members >= GROUP_MAX ||
	    seq_now(st) - st->group_seq0 >= GROUP_CHANGES || atomic_load(&st->queued) == 0) {
		if (group_commit(st) != 0) {
			rc = -1;
			if (cause != NULL)
				set_cause(cause, "%s", st->ring_error[g % GROUP_RING]);
		}
	}
	pthread_mutex_unlock(&st->mu);
	return grouped ? 0 : rc;
}

/*
 * Checkpoints. SQLite copies the WAL back into the database when a commit finds it over 1000
 * pages, inside that commit: with the store's single writer, every request queued behind it
 * waited for the copy and its fsync (the worst round trips of the online admit figure). While
 * the server runs, a thread of its own does it on its own connection instead (a passive
 * checkpoint, which never blocks the writer), woken by the WAL hook when the WAL has grown.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *st = arg;

	(void)db;
	(void)name;
	if (pages >= st->ckpt_pages && !st->ckpt_due) {
		st->ckpt_due = 1;               /* under st->mu: the hook runs in a commit */
		pthread_cond_signal(&st->ckpt_wake);
	}
	return SQLITE_OK;
}

static void *
ckpt_main(void *arg)
{
	struct store *st = arg;
	sqlite3 *db = st->ckpt_db;
	int log, done;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (!st->ckpt_due && !st->ckpt_stop)
			pthread_cond_wait(&st->ckpt_wake, &st->mu);
		if (st->ckpt_stop)
			break;
		st->ckpt_due = 0;
		pthread_mutex_unlock(&st->mu);
		log = done = -1;
		(void)sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		pthread_mutex_lock(&st->mu);
		if (log >= 0) {
			st->stats.checkpoints++;
			st->stats.wal_frames = (uint64_t)log;
		}
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/*
 * The WAL opened a second time, for wal_sync(): an fdatasync on any descriptor of the file
 * makes its written pages durable. Only then may the connection commit without an fsync of its
 * own (synchronous NORMAL); if the file cannot be opened, SQLite goes on fsyncing each commit.
 */
static void
wal_open(struct store *st)
{
	const char *path = sqlite3_db_filename(st->db, "main");
	char *wal;

	if (path == NULL || path[0] == '\0')
		return;
	wal = xasprintf("%s-wal", path);
	st->walfd = open(wal, O_RDWR | O_CLOEXEC);
	free(wal);
	if (st->walfd < 0)
		return;
	if (sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		close(st->walfd);
		st->walfd = -1;
		return;
	}
	st->durable = st->done;
}

/* The checkpointer's connection, ready: 0, or -1 (then SQLite checkpoints as it did). */
static int
ckpt_open(struct store *st)
{
	const char *path = sqlite3_db_filename(st->db, "main");

	if (path == NULL || path[0] == '\0' ||
	    sqlite3_open_v2(path, &st->ckpt_db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(st->ckpt_db, 5000);
	/*
	 * A connection that has never read does not know the WAL, and its checkpoints do
	 * nothing (log -1): read once.
	 */
	if (sqlite3_exec(st->ckpt_db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sqlite3_close(st->ckpt_db);
	st->ckpt_db = NULL;
	return -1;
}

int
store_claim(struct store *st, char **cause)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	char *path;
	int fd;

	if (st->lockfd >= 0 || db == NULL || *db == '\0')
		return 0;               /* held already, or a store in memory */
	path = xasprintf("%s.lock", db);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			set_cause(cause, "%s is in use by another tessera-sync serve (%s is locked)",
			    db, path);
		else
			set_cause(cause, "%s: %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	st->lockfd = fd;
	return 0;
}

void
store_group(struct store *st, int on)
{
	lock(st);
	if (on == st->grouped) {
		unlock(st);
		return;
	}
	if (!on && st->walfd >= 0) {
		/* Everything committed made durable, and SQLite's own fsyncs back, first. */
		while (st->syncing)
			pthread_cond_wait(&st->settled, &st->mu);
		if (fdatasync(st->walfd) != 0)
			wal_sync_failed(errno);
		st->durable = st->done;
		(void)sqlite3_exec(st->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
		close(st->walfd);
		st->walfd = -1;
	}
	st->grouped = on;
	if (on) {
		if (ckpt_open(st) != 0) {
			unlock(st);
			return;
		}
		wal_open(st);
		st->ckpt_stop = 0;
		st->ckpt_due = 0;
		if (pthread_create(&st->ckpt, NULL, ckpt_main, st) != 0) {
			fprintf(stderr, "tessera-sync: cannot start the checkpointer thread\n");
			abort();
		}
		sqlite3_wal_hook(st->db, wal_hook, st);
		unlock(st);
		return;
	}
	if (st->ckpt_db == NULL) {
		unlock(st);
		return;
	}
	st->ckpt_stop = 1;
	pthread_cond_signal(&st->ckpt_wake);
	sqlite3_wal_autocheckpoint(st->db, st->ckpt_pages);     /* back to SQLite's own */
	unlock(st);
	pthread_join(st->ckpt, NULL);
	sqlite3_close(st->ckpt_db);
	st->ckpt_db = NULL;
}

/* Under the lock (released meanwhile): fdatasync the WAL; every group done before is durable. */
static void
wal_sync(struct store *st)
{
	uint64_t target = st->done;
	int fd = st->walfd, rc, err;

	st->syncing = 1;
	pthread_mutex_unlock(&st->mu);
	rc = fdatasync(fd);
	err = errno;
	if (rc != 0)
		wal_sync_failed(err);
	pthread_mutex_lock(&st->mu);
	st->syncing = 0;
	if (target > st->durable)
		st->durable = target;
	pthread_cond_broadcast(&st->settled);
}

int
store_settle(struct store *st, char **cause)
{
	int rc = 0;

	if (pending.st != st)
		return 0;
	pthread_mutex_lock(&st->mu);
	for (;;) {
		resolve(st);
		if (pending.n == 0)
			break;
		if (st->open && st->group == pending.g[pending.n - 1] &&
		    atomic_load(&st->queued) == 0)
			group_commit(st);
		else
			pthread_cond_wait(&st->settled, &st->mu);
	}
	/*
	 * Committed; now on disk. The server's connection commits without an fsync (synchronous
	 * NORMAL: a killed process loses nothing, the OS has the WAL), and the fsync happens here,
	 * outside the lock, so the next group is written while this one is synced: one
	 * fdatasync of the WAL makes every group committed before it durable.
	 */
	while (pending.err == NULL && st->walfd >= 0 && st->durable < pending.hi) {
		if (st->syncing) {
			pthread_cond_wait(&st->settled, &st->mu);
			continue;
		}
		wal_sync(st);
	}
	if (pending.err != NULL) {
		set_cause(cause, "%s", pending.err);
		free(pending.err);
		pending.err = NULL;
		rc = -1;
	}
	pending.st = NULL;
	pending.hi = 0;
	pthread_mutex_unlock(&st->mu);
	return rc;
}

int
store_ckpt_pages(sqlite3 *db)
{
	sqlite3_stmt *s = db_prepare(db, "PRAGMA page_size");
	int size = 0;

	if (sqlite3_step(s) == SQLITE_ROW)
		size = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return size > 0 ? STORE_CKPT_BYTES / size : 1000;
}

static struct store *
store_new(sqlite3 *db, struct keypair *root)
{
	struct store *st = xcalloc(1, sizeof *st);
	sqlite3_stmt *s;

	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->changed, NULL);
	pthread_cond_init(&st->settled, NULL);
	pthread_cond_init(&st->ckpt_wake, NULL);
	st->db = db;
	st->walfd = -1;
	st->lockfd = -1;
	st->ckpt_pages = store_ckpt_pages(db);
	/*
	 * A server's page cache: 64 MB rather than SQLite's 2 MB, so that the seat states and
	 * indexes of a large event stay in memory (figure 8 of docs/performance.md).
	 */
	(void)sqlite3_exec(db, "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	st->root = root;
	s = db_prepare(db, "SELECT value FROM meta WHERE key = 'seq'");
	if (sqlite3_step(s) == SQLITE_ROW)
		st->seq = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	st->stats.seq = st->seq;
	s = db_prepare(db, "SELECT value FROM meta WHERE key = 'nonces_since'");
	if (sqlite3_step(s) == SQLITE_ROW)
		st->nonces_since = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = db_prepare(db, "SELECT id FROM epochs ORDER BY n DESC LIMIT 1");
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(st->epoch, sizeof st->epoch, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return st;
}

int
store_create(const char *path, struct keypair **rootp, char **cause)
{
	struct keypair *root = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *s;
	char *keypath = store_rootkey_path(path);
	struct stat sb;

	if (stat(path, &sb) == 0) {
		set_cause(cause, "%s already exists; refusing to overwrite a store", path);
		goto fail;
	}
	if (stat(keypath, &sb) == 0) {
		set_cause(cause, "%s already exists; refusing to overwrite a root key", keypath);
		goto fail;
	}
	/* db_open() makes it with 1 KiB pages (DB_PAGE_SIZE; figure 8 of performance.md). */
	if (db_open(path, 1, migrations, (int)nitems(migrations), &db, cause) != 0)
		goto fail_unlink;
	root = keypair_generate();
	if (keypair_save(root, keypath, cause) != 0)
		goto fail_unlink;
	s = db_prepare(db, "INSERT INTO meta VALUES('root_pk', ?)");
	sqlite3_bind_blob(s, 1, root->pk, KEYS_PUBLICBYTES, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		*cause = db_error(db, "saving the root key");
		sqlite3_finalize(s);
		unlink(keypath);
		goto fail_unlink;
	}
	sqlite3_finalize(s);
	db_close(db);
	free(keypath);
	*rootp = root;
	return 0;

fail_unlink:
	db_close(db);
	db = NULL;
	unlink(path);
	{
		char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
	}
fail:
	if (db != NULL)
		db_close(db);
	keypair_free(root);
	free(keypath);
	return -1;
}

int
store_open(const char *path, struct store **out, char **cause)
{
	struct keypair *root = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *s;
	char *keypath = store_rootkey_path(path), *why = NULL;
	int ok;

	if (db_open(path, 0, migrations, (int)nitems(migrations), &db, cause) != 0)
		goto fail;
	if (keypair_load(keypath, &root, &why) != 0) {
		set_cause(cause, "the store's root key: %s", why);
		free(why);
		goto fail;
	}
	s = db_prepare(db, "SELECT value FROM meta WHERE key = 'root_pk'");
	ok = sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_bytes(s, 0) == KEYS_PUBLICBYTES &&
	    memcmp(sqlite3_column_blob(s, 0), root->pk, KEYS_PUBLICBYTES) == 0;
	sqlite3_finalize(s);
	if (!ok) {
		set_cause(cause, "%s does not belong to the store %s", keypath, path);
		goto fail;
	}
	free(keypath);
	*out = store_new(db, root);
	return 0;
fail:
	if (db != NULL)
		db_close(db);
	keypair_free(root);
	free(keypath);
	return -1;
}

void
store_close(struct store *st)
{
	size_t k;

	if (st == NULL)
		return;
	store_group(st, 0);             /* commits an open group, stops the checkpointer */
	if (st->lockfd >= 0)
		close(st->lockfd);      /* and with it the flock */
	db_close(st->db);
	keypair_free(st->root);
	for (k = 0; k < GROUP_RING; k++)
		free(st->ring_error[k]);
	free(st->dot_max);
	free(st->event_seats);
	pthread_cond_destroy(&st->settled);
	pthread_cond_destroy(&st->ckpt_wake);
	pthread_cond_destroy(&st->changed);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

const struct keypair *
store_root(struct store *st)
{
	return st->root;
}

void
store_wake(struct store *st)
{
	lock(st);
	st->stopping = 1;
	pthread_cond_broadcast(&st->changed);
	unlock(st);
}

/*
 * Under the lock: catch up with changes other processes made (an admin command adding or
 * revoking a device while the server runs), waking the long-polls when there were some.
 */
static void
refresh_seq(struct store *st)
{
	sqlite3_stmt *s;
	uint64_t seq = st->seq;

	s = db_prepare(st->db, "SELECT value FROM meta WHERE key = 'seq'");
	if (sqlite3_step(s) == SQLITE_ROW)
		seq = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (seq > st->seq) {
		st->seq = seq;
		pthread_cond_broadcast(&st->changed);
	}
}

void
store_stats(struct store *st, struct store_stats *s)
{
	lock(st);
	refresh_seq(st);
	*s = st->stats;
	s->seq = st->seq;
	unlock(st);
}

/* Commit, and when the sequence moved, wake the long-polls. */
static int
commit(struct store *st, uint64_t seq, char **cause)
{
	if (commit_seq(st, cause) != 0)
		return -1;
	/* Outside a group the commit is made durable here, as SQLite would have (see wal_sync). */
	if (st->walfd >= 0) {
		if (fdatasync(st->walfd) != 0)
			wal_sync_failed(errno);
		st->durable = st->done;
	}
	if (seq > st->seq) {
		st->seq = seq;
		pthread_cond_broadcast(&st->changed);
	}
	return 0;
}

/* step_done() for a cached statement: reset, not finalized. */
static int
step_cached(struct store *st, sqlite3_stmt *s, const char *what, char **cause)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*cause = db_error(st->db, what);
		db_done(s);
		return -1;
	}
	db_done(s);
	return 0;
}

static int
step_done(struct store *st, sqlite3_stmt *s, const char *what, char **cause)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*cause = db_error(st->db, what);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ epochs */

int
store_epoch_begin(struct store *st, char **cause)
{
	uint8_t raw[STORE_EPOCH_LEN / 2];
	char *id;
	sqlite3_stmt *s;

	keys_init();
	randombytes_buf(raw, sizeof raw);
	id = keys_hex(raw, sizeof raw);
	lock(st);
	if (db_begin(st->db, cause) != 0)
		goto fail_unlock;
	s = db_prepare(st->db, "INSERT INTO epochs(id, started_at, seq) SELECT ?, ?, value FROM "
	    "meta WHERE key = 'seq'");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, store_now());
	if (step_done(st, s, "starting an epoch", cause) != 0) {
		db_rollback(st->db);
		goto fail_unlock;
	}
	if (commit(st, 0, cause) != 0)
		goto fail_unlock;
	snprintf(st->epoch, sizeof st->epoch, "%s", id);
	refresh_seq(st);
	unlock(st);
	free(id);
	return 0;
fail_unlock:
	unlock(st);
	free(id);
	return -1;
}

void
store_epoch(struct store *st, char epoch[STORE_EPOCH_LEN + 1], uint64_t *seq)
{
	lock_peek(st);
	memcpy(epoch, st->epoch, STORE_EPOCH_LEN + 1);
	*seq = st->seq;
	unlock(st);
}

/* Under the lock: is the history through seq in epoch id part of this store's? */
static int
epoch_intact(struct store *st, const char *id, uint64_t seq, const char **why)
{
	sqlite3_stmt *s;
	int64_t n = 0, next = -1;
	int found;

	s = db_prepare(st->db, "SELECT n FROM epochs WHERE id = ?");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if ((found = sqlite3_step(s) == SQLITE_ROW))
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (!found) {
		*why = "an epoch this store never had (restored from an older backup?)";
		return 0;
	}
	s = db_prepare(st->db, "SELECT seq FROM epochs WHERE n > ? ORDER BY n LIMIT 1");
	sqlite3_bind_int64(s, 1, n);
	if (sqlite3_step(s) == SQLITE_ROW)
		next = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (next >= 0 ? (uint64_t)next < seq : st->seq < seq) {
		*why = "changes after the point this store went on from (restored from a backup?)";
		return 0;
	}
	return 1;
}

int
store_epoch_check(struct store *st, const json_t *req, json_t **reply, char **cause)
{
	const json_t *seen, *v;
	const char *id, *why = NULL;
	uint64_t cursor = 0;
	int64_t c = 0;
	int intact = 1;

	if (!json_is_object(req))
		return set_cause(cause, "request: want a JSON object"), STORE_BAD;
	seen = json_object_get(req, "seen");
	if (seen != NULL && !json_is_object(seen))
		return set_cause(cause, "request.seen: want an object of epoch: seq"), STORE_BAD;
	if (proto_get_i64(req, "cursor", "request", 0, &c, cause) != 0)
		return STORE_BAD;
	if (c < 0)
		return set_cause(cause, "request.cursor: negative"), STORE_BAD;
	cursor = (uint64_t)c;
	json_object_foreach((json_t *)seen, id, v) {
		if (strlen(id) != STORE_EPOCH_LEN || !json_is_integer(v) ||
		    json_integer_value(v) < 0)
			return set_cause(cause, "request.seen: want %d hex digits: a seq",
			    STORE_EPOCH_LEN), STORE_BAD;
	}
	lock(st);
	refresh_seq(st);
	json_object_foreach((json_t *)seen, id, v) {
		if (intact && !epoch_intact(st, id, (uint64_t)json_integer_value(v), &why))
			intact = 0;
	}
	if (intact && cursor > st->seq) {
		why = "a pull cursor ahead of this store's changes (restored from a backup?)";
		intact = 0;
	}
	*reply = json_pack("{s:s,s:I,s:b,s:I}", "epoch", st->epoch, "seq", (json_int_t)st->seq,
	    "intact", intact, "server_time", (json_int_t)store_now());
	if (!intact)
		json_object_set_new(*reply, "reason", json_string(why));
	unlock(st);
	return STORE_OK;
}

/* ------------------------------------------------------------------ admin */

int
store_venue_import(struct store *st, const struct venue *v, uint32_t *id, char **cause)
{
	sqlite3_stmt *s = NULL;
	char label[VENUE_LABEL_MAX];
	int64_t vid;
	size_t i;

	lock(st);
	if (db_begin(st->db, cause) != 0)
		goto fail_unlock;
	s = db_prepare(st->db, "INSERT INTO venues(name, created_at) VALUES(?, ?)");
	sqlite3_bind_text(s, 1, v->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, store_now());
	if (step_done(st, s, "adding the venue", cause) != 0)
		goto fail;
	vid = sqlite3_last_insert_rowid(st->db);
	s = db_prepare(st->db, "INSERT INTO seats(venue_id, section, row, number, label, ga) "
	    "VALUES(?, ?, ?, ?, ?, ?)");
	for (i = 0; i < v->nseats; i++) {
		const struct venue_seat *vs = &v->seats[i];

		venue_seat_label(vs, label, sizeof label);
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, vid);
		sqlite3_bind_text(s, 2, vs->section, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, vs->row, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, vs->number);
		sqlite3_bind_text(s, 5, label, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 6, vs->ga);
		if (sqlite3_step(s) != SQLITE_DONE) {
			*cause = db_error(st->db, "adding a seat");
			sqlite3_finalize(s);
			goto fail;
		}
	}
	sqlite3_finalize(s);
	if (commit(st, 0, cause) != 0)
		goto fail_unlock;
	unlock(st);
	*id = (uint32_t)vid;
	return 0;
fail:
	db_rollback(st->db);
fail_unlock:
	unlock(st);
	return -1;
}

static int
section_exists(struct store *st, int64_t venue, const char *section)
{
	sqlite3_stmt *s;
	int found;

	s = db_prepare(st->db, "SELECT 1 FROM seats WHERE venue_id = ? AND section = ? LIMIT 1");
	sqlite3_bind_int64(s, 1, venue);
	sqlite3_bind_text(s, 2, section, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int
store_event_create(struct store *st, const struct store_event *e, uint32_t *id, char **cause)
{
	sqlite3_stmt *s;
	int64_t eid;
	int i, j, found;
	char **sec;

	lock(st);
	s = db_prepare(st->db, "SELECT 1 FROM venues WHERE id = ?");
	sqlite3_bind_int64(s, 1, e->venue_id);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	if (!found) {
		set_cause(cause, "no venue with id %" PRIu32, e->venue_id);
		goto fail_unlock;
	}
	for (i = 0; i < e->ntiers; i++) {
		for (sec = e->tiers[i].sections; sec != NULL && *sec != NULL; sec++) {
			if (!section_exists(st, e->venue_id, *sec)) {
				set_cause(cause, "tier %s: the venue has no section \"%s\"",
				    e->tiers[i].name, *sec);
				goto fail_unlock;
			}
			for (j = 0; j < i; j++) {
				char **o;

				for (o = e->tiers[j].sections; o != NULL && *o != NULL; o++) {
					if (strcmp(*o, *sec) == 0) {
						set_cause(cause, "section \"%s\" is in two tiers "
						    "(%s and %s)", *sec, e->tiers[j].name,
						    e->tiers[i].name);
						goto fail_unlock;
					}
				}
			}
		}
	}

	if (db_begin(st->db, cause) != 0)
		goto fail_unlock;
	s = db_prepare(st->db, "INSERT INTO events(venue_id, name, starts_at, doors_at, currency, "
	    "reentry, created_at) VALUES(?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(s, 1, e->venue_id);
	sqlite3_bind_text(s, 2, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, e->starts_at);
	sqlite3_bind_int64(s, 4, e->doors_at);
	sqlite3_bind_text(s, 5, e->currency, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, e->reentry != 0);
	sqlite3_bind_int64(s, 7, store_now());
	if (step_done(st, s, "adding the event", cause) != 0)
		goto fail;
	eid = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < e->ntiers; i++) {
		s = db_prepare(st->db, "INSERT INTO tiers VALUES(?, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, eid);
		sqlite3_bind_int(s, 2, i);
		sqlite3_bind_text(s, 3, e->tiers[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, e->tiers[i].price);
		if (step_done(st, s, "adding a tier", cause) != 0)
			goto fail;
		if (e->tiers[i].sections == NULL) {
			s = db_prepare(st->db, "INSERT INTO tier_sections SELECT DISTINCT ?, ?, "
			    "section FROM seats WHERE venue_id = ?");
			sqlite3_bind_int64(s, 1, eid);
			sqlite3_bind_int(s, 2, i);
			sqlite3_bind_int64(s, 3, e->venue_id);
			if (step_done(st, s, "pricing the sections", cause) != 0)
				goto fail;
			continue;
		}
		for (sec = e->tiers[i].sections; *sec != NULL; sec++) {
			s = db_prepare(st->db, "INSERT INTO tier_sections VALUES(?, ?, ?)");
			sqlite3_bind_int64(s, 1, eid);
			sqlite3_bind_int(s, 2, i);
			sqlite3_bind_text(s, 3, *sec, -1, SQLITE_STATIC);
			if (step_done(st, s, "pricing a section", cause) != 0)
				goto fail;
		}
	}
	if (commit(st, 0, cause) != 0)
		goto fail_unlock;
	unlock(st);
	*id = (uint32_t)eid;
	return 0;
fail:
	db_rollback(st->db);
fail_unlock:
	unlock(st);
	return -1;
}

/* Enrollment codes: 12 characters a person reads off a sheet without confusing 0/O or 1/I. */
static const char code_alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
#define CODE_CHARS 12

/* The hash of a code as typed: case and dashes and spaces do not matter. */
static int
code_hash(const char *code, uint8_t h[crypto_generichash_BYTES])
{
	char norm[CODE_CHARS + 1];
	size_t n = 0;
	const char *p;

	for (p = code; *p != '\0'; p++) {
		char c = *p;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (strchr(code_alphabet, c) == NULL || n == CODE_CHARS)
			return -1;
		norm[n++] = c;
	}
	if (n != CODE_CHARS)
		return -1;
	norm[n] = '\0';
	crypto_generichash(h, crypto_generichash_BYTES, (const uint8_t *)norm, n, NULL, 0);
	return 0;
}

int
store_device_add(struct store *st, int role, const char *name, const char *sections,
    uint32_t *id, char **codep, char **cause)
{
	uint8_t h[crypto_generichash_BYTES];
	char code[CODE_CHARS + 3];
	sqlite3_stmt *s;
	uint64_t seq;
	size_t i, n = 0;
	int64_t did;

	keys_init();
	for (i = 0; i < CODE_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			code[n++] = '-';
		code[n++] = code_alphabet[randombytes_uniform(sizeof code_alphabet - 1)];
	}
	code[n] = '\0';
	if (code_hash(code, h) != 0)
		abort();

	lock(st);
	if (db_begin(st->db, cause) != 0)
		goto fail_unlock;
	if (next_seq(st, &seq, cause) != 0)
		goto fail;
	s = db_prepare(st->db, "INSERT INTO devices(name, role, state, sections, code_hash, "
	    "code_expires, created_at, seq) VALUES(?, ?, 'pending', ?, ?, ?, ?, ?)");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, sections != NULL ? sections : "", -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, store_now() + CODE_LIFETIME);
	sqlite3_bind_int64(s, 6, store_now());
	sqlite3_bind_int64(s, 7, (int64_t)seq);
	if (step_done(st, s, "adding the device", cause) != 0)
		goto fail;
	did = sqlite3_last_insert_rowid(st->db);
	if (commit(st, seq, cause) != 0)
		goto fail_unlock;
	unlock(st);
	*id = (uint32_t)did;
	*codep = xstrdup(code);
	return 0;
fail:
	db_rollback(st->db);
fail_unlock:
	unlock(st);
	return -1;
}

int
store_device_revoke(struct store *st, uint32_t id, char **cause)
{
	sqlite3_stmt *s;
	uint64_t seq;
	int changed;

	lock(st);
	if (db_begin(st->db, cause) != 0)
		goto fail_unlock;
	if (next_seq(st, &seq, cause) != 0)
		goto fail;
	s = db_prepare(st->db, "UPDATE devices SET state = 'revoked', revoked_at = ?, seq = ?, "
	    "code_hash = NULL WHERE id = ? AND state != 'revoked'");
	sqlite3_bind_int64(s, 1, store_now());
	sqlite3_bind_int64(s, 2, (int64_t)seq);
	sqlite3_bind_int64(s, 3, id);
	if (step_done(st, s, "revoking the device", cause) != 0)
		goto fail;
	changed = sqlite3_changes(st->db);
	if (!changed) {
		set_cause(cause, "no device %" PRIu32 " to revoke (unknown or already revoked)", id);
		goto fail;
	}
	/* A revoked box office's leases go back to the pool. */
	s = db_prepare(st->db, "DELETE FROM leases WHERE device_id = ?");
	sqlite3_bind_int64(s, 1, id);
	if (step_done(st, s, "returning the device's leases", cause) != 0)
		goto fail;
	s = db_prepare(st->db, "DELETE FROM holds WHERE device_id = ?");
	sqlite3_bind_int64(s, 1, id);
	if (step_done(st, s, "releasing the device's holds", cause) != 0)
		goto fail;
	if (commit(st, seq, cause) != 0)
		goto fail_unlock;
	unlock(st);
	return 0;
fail:
	db_rollback(st->db);
fail_unlock:
	unlock(st);
	return -1;
}

/* ------------------------------------------------------------------ devices */

static json_t *
device_json(sqlite3_stmt *s)
{
	/* id, name, role, state, sections, cert, revoked_at */
	json_t *j;
	char *hex = NULL;

	if (sqlite3_column_type(s, 5) == SQLITE_BLOB)
		hex = keys_hex(sqlite3_column_blob(s, 5), (size_t)sqlite3_column_bytes(s, 5));
	j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:I}",
	    "id", (json_int_t)sqlite3_column_int64(s, 0),
	    "name", (const char *)sqlite3_column_text(s, 1),
	    "role", (const char *)sqlite3_column_text(s, 2),
	    "state", (const char *)sqlite3_column_text(s, 3),
	    "sections", (const char *)sqlite3_column_text(s, 4),
	    "cert", hex,
	    "revoked_at", (json_int_t)sqlite3_column_int64(s, 6));
	free(hex);
	return j;
}
#define DEVICE_COLUMNS "id, name, role, state, sections, cert, coalesce(revoked_at, 0)"

int
store_enroll(struct store *st, const char *code, const uint8_t pk[KEYS_PUBLICBYTES],
    json_t **reply, char **cause)
{
	uint8_t h[crypto_generichash_BYTES], buf[CERT_BYTES];
	struct cert c;
	sqlite3_stmt *s;
	uint64_t seq;
	int64_t now = store_now();
	char *certhex, *roothex;
	char *name = NULL, *sections = NULL;
	int role, found;

	if (code_hash(code, h) != 0)
		return set_cause(cause, "malformed enrollment code: want 12 letters and digits "
		    "like ABCD-EFGH-JKMN"), STORE_BAD;
	lock(st);
	s = db_prepare(st->db, "SELECT id, role, name, sections FROM devices WHERE code_hash = ? "
	    "AND state = 'pending' AND code_expires >= ?");
	sqlite3_bind_blob(s, 1, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	found = sqlite3_step(s) == SQLITE_ROW;
	if (found) {
		memset(&c, 0, sizeof c);
		c.device_id = (uint32_t)sqlite3_column_int64(s, 0);
		role = role_parse((const char *)sqlite3_column_text(s, 1));
		c.role = (uint8_t)(role < 0 ? 0 : role);
		name = xstrdup((const char *)sqlite3_column_text(s, 2));
		sections = xstrdup((const char *)sqlite3_column_text(s, 3));
	}
	sqlite3_finalize(s);
	if (!found) {
		unlock(st);
		return set_cause(cause, "unknown, expired or already used enrollment code"),
		    STORE_FORBIDDEN;
	}
	memcpy(c.pk, pk, KEYS_PUBLICBYTES);
	c.not_before = now - CERT_SKEW;
	c.not_after = now + CERT_LIFETIME;
	cert_sign(&c, st->root);
	cert_encode(&c, buf);

	if (db_begin(st->db, cause) != 0)
		goto fail_unlock;
	if (next_seq(st, &seq, cause) != 0)
		goto fail;
	s = db_prepare(st->db, "UPDATE devices SET state = 'active', pk = ?, cert = ?, "
	    "code_hash = NULL, enrolled_at = ?, seq = ? WHERE id = ? AND state = 'pending'");
	sqlite3_bind_blob(s, 1, pk, KEYS_PUBLICBYTES, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, buf, sizeof buf, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, (int64_t)seq);
	sqlite3_bind_int64(s, 5, c.device_id);
	if (step_done(st, s, "enrolling the device", cause) != 0)
		goto fail;
	if (commit(st, seq, cause) != 0)
		goto fail_unlock;
	unlock(st);

	certhex = keys_hex(buf, sizeof buf);
	roothex = keys_hex(st->root->pk, KEYS_PUBLICBYTES);
	*reply = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I}", "device", (json_int_t)c.device_id,
	    "name", name, "role", role_name(c.role), "sections", sections, "cert", certhex,
	    "root_pk", roothex, "server_time", (json_int_t)now);
	free(certhex);
	free(roothex);
	free(name);
	free(sections);
	return STORE_OK;
fail:
	db_rollback(st->db);
fail_unlock:
	unlock(st);
	free(name);
	free(sections);
	return STORE_ERROR;
}

int
store_device_get(struct store *st, uint32_t id, struct store_device *d)
{
	sqlite3_stmt *s;
	int found = 0;

	lock_peek(st);
	s = db_cached(st->db, "SELECT role, state, pk FROM devices WHERE id = ? AND pk IS NOT NULL");
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 2) == KEYS_PUBLICBYTES) {
		d->id = id;
		d->role = role_parse((const char *)sqlite3_column_text(s, 0));
		d->revoked = strcmp((const char *)sqlite3_column_text(s, 1), "revoked") == 0;
		memcpy(d->pk, sqlite3_column_blob(s, 2), KEYS_PUBLICBYTES);
		found = 1;
	}
	db_done(s);
	unlock(st);
	return found ? 0 : -1;
}

int
store_nonce_use(struct store *st, uint32_t device, const char *nonce, int64_t when, int64_t now,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (group_lock(st, cause) != 0)
		return STORE_ERROR;
	/*
	 * Nonces older than twice the window can never be replayed (their time is refused):
	 * forgotten once a minute, not on every request, so that a request costs one write.
	 */
	if (now - st->nonces_purged >= 60) {
		s = db_cached(st->db, "DELETE FROM nonces WHERE at < ?");
		sqlite3_bind_int64(s, 1, now - 2 * PROTO_CLOCK_WINDOW);
		if (step_cached(st, s, "forgetting old nonces", cause) != 0) {
			group_abort(st);
			group_unlock(st, 0, NULL);
			return STORE_ERROR;
		}
		st->nonces_purged = now;
	}
	if (when < st->nonces_since) {
		/*
		 * Signed before this store keyed nonces by signed time (migration 3): a replay of
		 * such a request would not collide with its row. The device signs it again.
		 */
		group_abort(st);
		group_unlock(st, 0, NULL);
		return set_cause(cause, "request signed before the store's upgrade; send it again"),
		    STORE_REFUSED;
	}
	s = db_cached(st->db, "INSERT INTO nonces(at, device_id, nonce) VALUES(?, ?, ?)");
	sqlite3_bind_int64(s, 1, when);
	sqlite3_bind_int64(s, 2, device);
	sqlite3_bind_text(s, 3, nonce, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CONSTRAINT)
		*cause = db_error(st->db, "remembering the nonce");
	db_done(s);
	if (rc != SQLITE_DONE) {
		group_abort(st);
		group_unlock(st, 0, NULL);
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			return set_cause(cause, "replayed request (nonce seen before)"), STORE_REFUSED;
		return STORE_ERROR;
	}
	return group_unlock(st, 0, cause) == 0 ? STORE_OK : STORE_ERROR;
}

/* ------------------------------------------------------------------ seats */

#define REC_COLUMNS "event_id, seat_id, state, vv, generation, key_id, serial, tier, price, " \
	"sold_at, admitted_by, admitted_at, exited_at, changed_by, changed_at, moves"
/* The same, of seat_state joined as ss. */
#define SS_REC_COLUMNS "ss.event_id, ss.seat_id, ss.state, ss.vv, ss.generation, ss.key_id, " \
	"ss.serial, ss.tier, ss.price, ss.sold_at, ss.admitted_by, ss.admitted_at, " \
	"ss.exited_at, ss.changed_by, ss.changed_at, ss.moves"

/* A seat_state row (REC_COLUMNS from column b) into *r, which must be init'ed. */
static int
rec_from_row_at(sqlite3_stmt *s, int b, struct seat_rec *r, char **cause)
{
	struct vv v;
	int state;

	vv_init(&v);
	if (vv_decode(sqlite3_column_blob(s, b + 3), (size_t)sqlite3_column_bytes(s, b + 3), &v,
	    cause) != 0)
		return -1;
	state = seat_state_parse((const char *)sqlite3_column_text(s, b + 2));
	vv_free(&r->vv);
	r->event_id = (uint32_t)sqlite3_column_int64(s, b);
	r->seat_id = (uint32_t)sqlite3_column_int64(s, b + 1);
	r->state = state < 0 ? SEAT_AVAILABLE : (enum seat_state)state;
	r->vv = v;
	r->generation = (uint16_t)sqlite3_column_int(s, b + 4);
	r->key_id = (uint32_t)sqlite3_column_int64(s, b + 5);
	r->serial = (uint32_t)sqlite3_column_int64(s, b + 6);
	r->tier = (uint8_t)sqlite3_column_int(s, b + 7);
	r->price = sqlite3_column_int64(s, b + 8);
	r->sold_at = sqlite3_column_int64(s, b + 9);
	r->admitted_by = (uint32_t)sqlite3_column_int64(s, b + 10);
	r->admitted_at = sqlite3_column_int64(s, b + 11);
	r->exited_at = sqlite3_column_int64(s, b + 12);
	r->changed_by = (uint32_t)sqlite3_column_int64(s, b + 13);
	r->changed_at = sqlite3_column_int64(s, b + 14);
	r->moves = (uint16_t)sqlite3_column_int(s, b + 15);
	return 0;
}

static int
rec_from_row(sqlite3_stmt *s, struct seat_rec *r, char **cause)
{
	return rec_from_row_at(s, 0, r, cause);
}

/* The seat's record: its row, or available with an empty vector. -1 on a broken row. */
static int
rec_load(struct store *st, uint32_t event, uint32_t seat, struct seat_rec *r, char **cause)
{
	sqlite3_stmt *s;
	int rc = 0;

	seat_rec_init(r, event, seat);
	s = db_cached(st->db, "SELECT " REC_COLUMNS " FROM seat_state WHERE event_id = ? "
	    "AND seat_id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = rec_from_row(s, r, cause);
	db_done(s);
	return rc;
}

static int
rec_save(struct store *st, const struct seat_rec *r, uint64_t seq, char **cause)
{
	sqlite3_stmt *s;
	uint8_t *vv;
	size_t len;

	/*
	 * An upsert, not INSERT OR REPLACE: with foreign keys on, REPLACE deletes the old row
	 * and checks the new one's parents as a delete and an insert, which cost about a third
	 * of the push figure's time under the store's lock (docs/performance.md, figure 5).
	 */
	len = vv_encode(&r->vv, &vv);
	s = db_cached(st->db, "INSERT INTO seat_state(" REC_COLUMNS ", seq) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT(event_id, seat_id) DO UPDATE SET state = excluded.state, "
	    "vv = excluded.vv, generation = excluded.generation, key_id = excluded.key_id, "
	    "serial = excluded.serial, tier = excluded.tier, price = excluded.price, "
	    "sold_at = excluded.sold_at, admitted_by = excluded.admitted_by, "
	    "admitted_at = excluded.admitted_at, exited_at = excluded.exited_at, "
	    "moves = excluded.moves, changed_by = excluded.changed_by, "
	    "changed_at = excluded.changed_at, seq = excluded.seq");
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
	sqlite3_bind_int64(s, 14, r->changed_by);
	sqlite3_bind_int64(s, 15, r->changed_at);
	sqlite3_bind_int(s, 16, r->moves);
	sqlite3_bind_int64(s, 17, (int64_t)seq);
	if (step_cached(st, s, "saving the seat", cause) != 0)
		return -1;
	/* Its change, at the end of the sequence; the row of the change before stays (store_pull). */
	s = db_cached(st->db, "INSERT INTO changes(seq, event_id, seat_id) VALUES(?, ?, ?)");
	sqlite3_bind_int64(s, 1, (int64_t)seq);
	sqlite3_bind_int64(s, 2, r->event_id);
	sqlite3_bind_int64(s, 3, r->seat_id);
	return step_cached(st, s, "recording the change", cause);
}

/* Does the event exist, and is the seat one of its venue's? Fills *label (may be NULL). */
static int
seat_check(struct store *st, uint32_t event, uint32_t seat, char *label, size_t len,
    char **cause)
{
	sqlite3_stmt *s;
	int found;

	s = db_cached(st->db, "SELECT seats.label FROM events JOIN seats ON "
	    "seats.venue_id = events.venue_id WHERE events.id = ? AND seats.id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	found = sqlite3_step(s) == SQLITE_ROW;
	if (found && label != NULL)
		snprintf(label, len, "%s", (const char *)sqlite3_column_text(s, 0));
	db_done(s);
	if (!found)
		return set_cause(cause, "event %" PRIu32 " has no seat %" PRIu32, event, seat);
	return 0;
}

static int
conflict_save(struct store *st, const struct conflict *c, uint64_t seq, char **cause)
{
	sqlite3_stmt *s;

	s = db_cached(st->db, "INSERT OR IGNORE INTO conflicts(event_id, seat_id, kind, "
	    "winner_device, winner_at, loser_device, loser_at, loser_key_id, loser_serial, "
	    "detected_at, seq) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(s, 1, c->event_id);
	sqlite3_bind_int64(s, 2, c->seat_id);
	sqlite3_bind_text(s, 3, conflict_kind_name(c->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, c->winner_device);
	sqlite3_bind_int64(s, 5, c->winner_at);
	sqlite3_bind_int64(s, 6, c->loser_device);
	sqlite3_bind_int64(s, 7, c->loser_at);
	sqlite3_bind_int64(s, 8, c->loser_key_id);
	sqlite3_bind_int64(s, 9, c->loser_serial);
	sqlite3_bind_int64(s, 10, store_now());
	sqlite3_bind_int64(s, 11, (int64_t)seq);
	if (step_cached(st, s, "recording the conflict", cause) != 0)
		return -1;
	if (sqlite3_changes(st->db) > 0)
		st->stats.conflicts++;
	return 0;
}

/* ------------------------------------------------------------------ events, bootstrap, pull */

static json_t *
event_json(sqlite3_stmt *s)
{
	/* id, venue_id, name, starts_at, doors_at, currency, reentry, venue name */
	return json_pack("{s:I,s:I,s:s,s:I,s:I,s:s,s:b,s:s}",
	    "id", (json_int_t)sqlite3_column_int64(s, 0),
	    "venue", (json_int_t)sqlite3_column_int64(s, 1),
	    "name", (const char *)sqlite3_column_text(s, 2),
	    "starts_at", (json_int_t)sqlite3_column_int64(s, 3),
	    "doors_at", (json_int_t)sqlite3_column_int64(s, 4),
	    "currency", (const char *)sqlite3_column_text(s, 5),
	    "reentry", sqlite3_column_int(s, 6),
	    "venue_name", (const char *)sqlite3_column_text(s, 7));
}
#define EVENT_COLUMNS "events.id, events.venue_id, events.name, events.starts_at, " \
	"events.doors_at, events.currency, events.reentry, venues.name"

int
store_events(struct store *st, json_t **reply, char **cause)
{
	sqlite3_stmt *s;
	json_t *a = json_array();

	(void)cause;
	lock(st);
	s = db_prepare(st->db, "SELECT " EVENT_COLUMNS " FROM events JOIN venues ON "
	    "venues.id = events.venue_id ORDER BY events.starts_at, events.id");
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(a, event_json(s));
	sqlite3_finalize(s);
	unlock(st);
	*reply = json_pack("{s:o,s:I}", "events", a, "server_time", (json_int_t)store_now());
	return STORE_OK;
}

static json_t *
devices_since(struct store *st, uint64_t since, uint64_t upto)
{
	sqlite3_stmt *s;
	json_t *a = json_array();

	s = db_prepare(st->db, "SELECT " DEVICE_COLUMNS " FROM devices WHERE seq > ? AND seq <= ? "
	    "AND state != 'pending' ORDER BY id");
	sqlite3_bind_int64(s, 1, (int64_t)since);
	sqlite3_bind_int64(s, 2, (int64_t)upto);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(a, device_json(s));
	sqlite3_finalize(s);
	return a;
}

static json_t *
conflicts_since(struct store *st, uint64_t since, uint64_t upto, uint32_t event)
{
	sqlite3_stmt *s;
	json_t *a = json_array(), *j;
	struct conflict c;

	s = db_prepare(st->db, "SELECT id, event_id, seat_id, kind, winner_device, winner_at, "
	    "loser_device, loser_at, loser_key_id, loser_serial FROM conflicts WHERE seq > ? "
	    "AND seq <= ? AND (? = 0 OR event_id = ?) ORDER BY seq");
	sqlite3_bind_int64(s, 1, (int64_t)since);
	sqlite3_bind_int64(s, 2, (int64_t)upto);
	sqlite3_bind_int64(s, 3, event);
	sqlite3_bind_int64(s, 4, event);
	while (sqlite3_step(s) == SQLITE_ROW) {
		memset(&c, 0, sizeof c);
		c.event_id = (uint32_t)sqlite3_column_int64(s, 1);
		c.seat_id = (uint32_t)sqlite3_column_int64(s, 2);
		c.kind = (enum conflict_kind)conflict_kind_parse(
		    (const char *)sqlite3_column_text(s, 3));
		c.winner_device = (uint32_t)sqlite3_column_int64(s, 4);
		c.winner_at = sqlite3_column_int64(s, 5);
		c.loser_device = (uint32_t)sqlite3_column_int64(s, 6);
		c.loser_at = sqlite3_column_int64(s, 7);
		c.loser_key_id = (uint32_t)sqlite3_column_int64(s, 8);
		c.loser_serial = (uint32_t)sqlite3_column_int64(s, 9);
		j = proto_conflict_to_json(&c);
		json_object_set_new(j, "id", json_integer(sqlite3_column_int64(s, 0)));
		json_array_append_new(a, j);
	}
	sqlite3_finalize(s);
	return a;
}

/*
 * One page of a bootstrap: the seats of the event's venue after seat id after, in id order, at
 * most limit of them, and the records of those seats. The first page (after 0) also carries
 * what the device needs once: the event, tiers, devices, conflicts, and the change sequence
 * the device pulls from afterwards. The lock is held for one page, not for the whole venue.
 */
int
store_bootstrap(struct store *st, uint32_t event, uint32_t after, int limit, json_t **reply,
    char **cause)
{
	sqlite3_stmt *s;
	json_t *ev = NULL, *tiers, *seats, *states, *j;
	struct seat_rec r;
	char *roothex;
	uint64_t cursor;
	int64_t venue, from, last = after, upto;
	int n = 0, more = 0;

	if (limit <= 0 || limit > PROTO_BOOTSTRAP_PAGE)
		limit = PROTO_BOOTSTRAP_PAGE;
	lock(st);
	cursor = st->seq;
	s = db_prepare(st->db, "SELECT " EVENT_COLUMNS " FROM events JOIN venues ON "
	    "venues.id = events.venue_id WHERE events.id = ?");
	sqlite3_bind_int64(s, 1, event);
	if (sqlite3_step(s) == SQLITE_ROW)
		ev = event_json(s);
	sqlite3_finalize(s);
	if (ev == NULL) {
		unlock(st);
		return set_cause(cause, "no event %" PRIu32, event), STORE_NOTFOUND;
	}
	venue = (int64_t)json_integer_value(json_object_get(ev, "venue"));

	/*
	 * Seats as arrays [id, section, row, number, ga]: 20,000 seats stay well under 1 MB. Read
	 * along the rowid from the cursor (+venue_id: the venue's index is not in id order, and a
	 * page through it would read the whole venue); the first page starts at its first seat.
	 */
	from = after;
	if (after == 0) {
		s = db_cached(st->db, "SELECT min(id) FROM seats WHERE venue_id = ?");
		sqlite3_bind_int64(s, 1, venue);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) > 0)
			from = sqlite3_column_int64(s, 0) - 1;
		db_done(s);
	}
	seats = json_array();
	s = db_cached(st->db, "SELECT id, section, row, number, ga FROM seats WHERE +venue_id = ? "
	    "AND id > ? ORDER BY id LIMIT ?");
	sqlite3_bind_int64(s, 1, venue);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int(s, 3, limit + 1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		last = sqlite3_column_int64(s, 0);
		json_array_append_new(seats, json_pack("[I,s,s,I,i]", (json_int_t)last,
		    (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 2),
		    (json_int_t)sqlite3_column_int64(s, 3), sqlite3_column_int(s, 4)));
		n++;
	}
	db_done(s);

	/* The records of this page's seats (the last page: of every seat after). */
	upto = more ? last : (int64_t)UINT32_MAX;
	states = json_array();
	s = db_cached(st->db, "SELECT " REC_COLUMNS " FROM seat_state WHERE event_id = ? AND "
	    "seat_id > ? AND seat_id <= ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int64(s, 3, upto);
	seat_rec_init(&r, 0, 0);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (rec_from_row(s, &r, NULL) == 0)
			json_array_append_new(states, proto_rec_to_json(&r));
	}
	seat_rec_free(&r);
	db_done(s);

	*reply = json_pack("{s:i,s:o,s:o,s:b,s:I,s:I}", "version", PROTO_VERSION,
	    "seats", seats, "states", states, "more", more, "after", (json_int_t)last,
	    "server_time", (json_int_t)store_now());
	if (after != 0) {
		json_decref(ev);
		unlock(st);
		return STORE_OK;
	}

	tiers = json_array();
	s = db_prepare(st->db, "SELECT idx, name, price, (SELECT group_concat(section, ',') FROM "
	    "tier_sections WHERE tier_sections.event_id = tiers.event_id AND tier_idx = idx) "
	    "FROM tiers WHERE event_id = ? ORDER BY idx");
	sqlite3_bind_int64(s, 1, event);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *secs = (const char *)sqlite3_column_text(s, 3);

		json_array_append_new(tiers, json_pack("{s:i,s:s,s:I,s:s}",
		    "idx", sqlite3_column_int(s, 0), "name", (const char *)sqlite3_column_text(s, 1),
		    "price", (json_int_t)sqlite3_column_int64(s, 2),
		    "sections", secs != NULL ? secs : ""));
	}
	sqlite3_finalize(s);

	j = conflicts_since(st, 0, cursor, event);
	roothex = keys_hex(st->root->pk, KEYS_PUBLICBYTES);
	json_object_update_new(*reply, json_pack("{s:s,s:I,s:o,s:o,s:o,s:o}", "root_pk", roothex,
	    "cursor", (json_int_t)cursor, "event", ev, "tiers", tiers,
	    "devices", devices_since(st, 0, cursor), "conflicts", j));
	free(roothex);
	unlock(st);
	return STORE_OK;
}

int
store_pull(struct store *st, uint64_t since, uint32_t event, int wait, int limit,
    json_t **reply, char **cause)
{
	struct timespec deadline;
	sqlite3_stmt *s;
	struct seat_rec r;
	json_t *seats;
	uint64_t upto, last = since;
	int n = 0, more = 0;

	(void)cause;
	if (limit <= 0 || limit > PROTO_PULL_PAGE)
		limit = PROTO_PULL_PAGE;
	if (wait > PROTO_MAX_WAIT)
		wait = PROTO_MAX_WAIT;
	lock(st);
	refresh_seq(st);
	if (wait > 0 && st->seq <= since) {
		struct timespec slice;
		time_t end;

		clock_gettime(CLOCK_REALTIME, &deadline);
		end = deadline.tv_sec + wait;
		st->stats.pull_waiters++;
		/* Woken by a change here; every second, look for changes from other processes. */
		while (st->seq <= since && !st->stopping) {
			clock_gettime(CLOCK_REALTIME, &slice);
			if (slice.tv_sec >= end)
				break;
			slice.tv_sec += 1;
			(void)pthread_cond_timedwait(&st->changed, &st->mu, &slice);
			refresh_seq(st);
		}
		st->stats.pull_waiters--;
		/* Writers came and went while waiting: read only what is committed, and durable. */
		if (st->open)
			group_commit(st);
		reading(st);
	}
	upto = st->seq;

	/*
	 * The changes after the cursor in order, each with its seat's row while that row is still
	 * the change's (a seat changed again later is sent at its later seq). CROSS JOIN keeps
	 * changes the outer loop: the range of its primary key, one seat_state look-up a change.
	 */
	seats = json_array();
	s = db_prepare(st->db, "SELECT " SS_REC_COLUMNS ", c.seq FROM changes c CROSS JOIN "
	    "seat_state ss ON ss.event_id = c.event_id AND ss.seat_id = c.seat_id AND "
	    "ss.seq = c.seq WHERE c.seq > ? AND c.seq <= ? AND (? = 0 OR c.event_id = ?) "
	    "ORDER BY c.seq LIMIT ?");
	sqlite3_bind_int64(s, 1, (int64_t)since);
	sqlite3_bind_int64(s, 2, (int64_t)upto);
	sqlite3_bind_int64(s, 3, event);
	sqlite3_bind_int64(s, 4, event);
	sqlite3_bind_int(s, 5, limit + 1);
	seat_rec_init(&r, 0, 0);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		last = (uint64_t)sqlite3_column_int64(s, 16);
		if (rec_from_row(s, &r, NULL) == 0)
			json_array_append_new(seats, proto_rec_to_json(&r));
		n++;
	}
	seat_rec_free(&r);
	sqlite3_finalize(s);
	if (more)
		upto = last;

	*reply = json_pack("{s:I,s:b,s:o,s:o,s:o,s:I}", "cursor", (json_int_t)upto,
	    "more", more, "seats", seats, "devices", devices_since(st, since, upto),
	    "conflicts", conflicts_since(st, since, upto, event),
	    "server_time", (json_int_t)store_now());
	unlock(st);
	return STORE_OK;
}

/* ------------------------------------------------------------------ operations */

static int
role_may(int role, enum op_kind k)
{
	if (k == OP_SELL || k == OP_REFUND)
		return role == ROLE_BOXOFFICE;
	return role == ROLE_GATE;
}

static enum seat_state
kind_state(enum op_kind k)
{
	switch (k) {
	case OP_SELL:
		return SEAT_SOLD;
	case OP_ADMIT:
		return SEAT_ADMITTED;
	case OP_EXIT:
		return SEAT_EXITED;
	case OP_REFUND:
		break;
	}
	return SEAT_VOID;
}

static void
ops_free(struct op *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		op_free(&ops[i]);
	free(ops);
}

/*
 * Parse a JSON array of operations (or with single, the one operation a is, named single in
 * errors), all from device d, all of kinds its role may do.
 */
static int
ops_parse(const struct store_device *d, const json_t *a, int max, const char *single,
    struct op **out, size_t *n, char **cause)
{
	struct op *ops;
	size_t i, count = 1;
	char where[32];

	if (single != NULL) {
		if (a == NULL)
			return set_cause(cause, "%s: missing", single), STORE_BAD;
	} else if (!json_is_array(a))
		return set_cause(cause, "ops: want an array of operations"), STORE_BAD;
	else if ((count = json_array_size(a)) == 0)
		return set_cause(cause, "ops: empty"), STORE_BAD;
	else if (count > (size_t)max)
		return set_cause(cause, "ops: %zu operations, at most %d in one request", count,
		    max), STORE_BAD;
	ops = xcalloc(count, sizeof *ops);
	for (i = 0; i < count; i++) {
		if (single != NULL)
			snprintf(where, sizeof where, "%s", single);
		else
			snprintf(where, sizeof where, "ops[%zu]", i);
		if (proto_op_from_json(single != NULL ? a : json_array_get(a, i), where, &ops[i],
		    cause) != 0)
			goto bad;
		if (ops[i].device_id != d->id) {
			set_cause(cause, "%s.dev: operation of device %" PRIu32 " sent by device %"
			    PRIu32, where, ops[i].device_id, d->id);
			goto forbidden;
		}
		if (!role_may(d->role, ops[i].kind)) {
			set_cause(cause, "%s: a %s may not %s", where, role_name(d->role),
			    op_kind_name(ops[i].kind));
			goto forbidden;
		}
		if (ops[i].seq == 0) {
			set_cause(cause, "%s.seq: must be at least 1", where);
			goto bad;
		}
		if (ops[i].rec.state != kind_state(ops[i].kind) ||
		    ops[i].rec.changed_by != d->id || vv_get(&ops[i].rec.vv, d->id) == 0 ||
		    (ops[i].kind == OP_SELL && ops[i].rec.key_id != d->id)) {
			set_cause(cause, "%s.rec: not the seat as a %s by device %" PRIu32
			    " leaves it", where, op_kind_name(ops[i].kind), d->id);
			goto bad;
		}
	}
	*out = ops;
	*n = count;
	return STORE_OK;
bad:
	ops_free(ops, count);
	return STORE_BAD;
forbidden:
	ops_free(ops, count);
	return STORE_FORBIDDEN;
}

/* The result recorded for a dot, or NULL when the dot is new. Newly allocated. */
static char *
dot_result(struct store *st, uint32_t dev, uint32_t seq)
{
	sqlite3_stmt *s;
	char *r = NULL;

	s = db_cached(st->db, "SELECT result FROM ops WHERE device_id = ? AND seq = ?");
	sqlite3_bind_int64(s, 1, dev);
	sqlite3_bind_int64(s, 2, seq);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = xstrdup((const char *)sqlite3_column_text(s, 0));
	db_done(s);
	return r;
}

/* Is seq above every operation of dev's in ops: surely a new dot? (struct store) */
static int
dot_new(struct store *st, uint32_t dev, uint32_t seq)
{
	sqlite3_stmt *s;
	size_t n;

	if (dev > (1u << 24))
		return 0;               /* not an id SQLite gives out: ask it */
	if (dev >= st->ndot_max) {
		n = (size_t)dev + 64;
		st->dot_max = xreallocarray(st->dot_max, n, sizeof *st->dot_max);
		memset(st->dot_max + st->ndot_max, 0, (n - st->ndot_max) * sizeof *st->dot_max);
		st->ndot_max = n;
	}
	if (st->dot_max[dev] == 0) {
		s = db_cached(st->db, "SELECT coalesce(max(seq), 0) FROM ops WHERE device_id = ?");
		sqlite3_bind_int64(s, 1, dev);
		if (sqlite3_step(s) == SQLITE_ROW)
			st->dot_max[dev] = (uint64_t)sqlite3_column_int64(s, 0) + 1;
		db_done(s);
		if (st->dot_max[dev] == 0)
			return 0;               /* unreadable: look it up */
	}
	return seq >= st->dot_max[dev];
}

/* An operation of dev's with seq is in ops now. */
static void
dot_seen(struct store *st, uint32_t dev, uint32_t seq)
{
	if (dev < st->ndot_max && st->dot_max[dev] != 0 && seq >= st->dot_max[dev])
		st->dot_max[dev] = (uint64_t)seq + 1;
}

/* Is seat one of event's venue: 1 or 0 when the range of its venue's seats tells, else -1. */
static int
seat_in_event(struct store *st, uint32_t event, uint32_t seat)
{
	struct event_seats *e;
	sqlite3_stmt *s;
	size_t i;
	int64_t lo, hi, n;

	for (i = 0; i < st->nevent_seats; i++) {
		e = &st->event_seats[i];
		if (e->event == event)
			return e->range ? e->lo <= seat && seat <= e->hi : -1;
	}
	if (st->nevent_seats == 64)
		return -1;              /* more than a server runs at once: ask SQLite */
	/* Once per event and process: reads the venue's seat index, 0.1 s at a million seats. */
	s = db_cached(st->db, "SELECT min(seats.id), max(seats.id), count(*) FROM events JOIN "
	    "seats ON seats.venue_id = events.venue_id WHERE events.id = ?");
	sqlite3_bind_int64(s, 1, event);
	n = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		lo = sqlite3_column_int64(s, 0);
		hi = sqlite3_column_int64(s, 1);
		n = sqlite3_column_int64(s, 2);
	}
	db_done(s);
	if (n == 0)
		return -1;              /* not (yet) an event, or a venue without seats */
	st->event_seats = xreallocarray(st->event_seats, st->nevent_seats + 1,
	    sizeof *st->event_seats);
	e = &st->event_seats[st->nevent_seats++];
	e->event = event;
	/* A venue whose seats are not one range is remembered as such: SQLite for each. */
	e->range = hi - lo + 1 == n && lo >= 0 && hi <= UINT32_MAX;
	e->lo = e->range ? (uint32_t)lo : 0;
	e->hi = e->range ? (uint32_t)hi : 0;
	return e->range ? e->lo <= seat && seat <= e->hi : -1;
}

/*
 * What the store knows of an operation, in one query (three cost a third more under the
 * store's lock): the result recorded for its dot (*known, newly allocated, or NULL when the
 * dot is new), whether its event exists and the seat is one of the event's venue (*exists),
 * and the seat's record (*cur, init'ed by the caller: available with an empty vector when
 * the seat has none). The first two come from memory when it knows (dot_new(),
 * seat_in_event()). -1 on a broken row.
 */
static int
look_up(struct store *st, const struct op *o, char **known, int *exists, struct seat_rec *cur,
    char **cause)
{
	sqlite3_stmt *s;
	int rc = 0, in = seat_in_event(st, o->rec.event_id, o->rec.seat_id), fresh;

	fresh = dot_new(st, o->device_id, o->seq);
	if (fresh && in >= 0) {
		/* Memory knows both (nearly always): the seat's record is all there is to read. */
		*known = NULL;
		*exists = in;
		seat_rec_free(cur);
		if (!in) {
			seat_rec_init(cur, o->rec.event_id, o->rec.seat_id);
			return 0;
		}
		return rec_load(st, o->rec.event_id, o->rec.seat_id, cur, cause);
	}
	s = db_cached(st->db, "SELECT CASE WHEN ?5 THEN (SELECT result FROM ops WHERE "
	    "device_id = ?1 AND seq = ?2) END, CASE WHEN ?6 < 0 THEN EXISTS (SELECT 1 FROM events "
	    "JOIN seats ON seats.venue_id = events.venue_id WHERE events.id = ?3 AND "
	    "seats.id = ?4) ELSE ?6 END, " REC_COLUMNS " FROM (SELECT 1) "
	    "LEFT JOIN seat_state ON event_id = ?3 AND seat_id = ?4");
	sqlite3_bind_int64(s, 1, o->device_id);
	sqlite3_bind_int64(s, 2, o->seq);
	sqlite3_bind_int64(s, 3, o->rec.event_id);
	sqlite3_bind_int64(s, 4, o->rec.seat_id);
	sqlite3_bind_int(s, 5, !fresh);
	sqlite3_bind_int(s, 6, in);
	seat_rec_free(cur);
	seat_rec_init(cur, o->rec.event_id, o->rec.seat_id);
	*known = NULL;
	*exists = 0;
	if (sqlite3_step(s) != SQLITE_ROW) {
		*cause = db_error(st->db, "looking the seat up");
		db_done(s);
		return -1;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_NULL)
		*known = xstrdup((const char *)sqlite3_column_text(s, 0));
	*exists = sqlite3_column_int(s, 1);
	if (sqlite3_column_type(s, 2) != SQLITE_NULL)
		rc = rec_from_row_at(s, 2, cur, cause);
	db_done(s);
	if (rc != 0) {
		free(*known);
		*known = NULL;
	}
	return rc;
}

static int
dot_save(struct store *st, const struct op *o, const char *result, char **cause)
{
	sqlite3_stmt *s;

	s = db_cached(st->db, "INSERT INTO ops(device_id, seq, kind, event_id, seat_id, at, "
	    "result, pay, price, order_no, received_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(s, 1, o->device_id);
	sqlite3_bind_int64(s, 2, o->seq);
	sqlite3_bind_text(s, 3, op_kind_name(o->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, o->rec.event_id);
	sqlite3_bind_int64(s, 5, o->rec.seat_id);
	sqlite3_bind_int64(s, 6, o->at);
	sqlite3_bind_text(s, 7, result, -1, SQLITE_STATIC);
	if (o->pay[0] != '\0')
		sqlite3_bind_text(s, 8, o->pay, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, o->rec.price);
	if (o->order != 0)
		sqlite3_bind_int64(s, 10, o->order);
	sqlite3_bind_int64(s, 11, store_now());
	if (step_cached(st, s, "recording the operation", cause) != 0) {
		/*
		 * The dot is there after all: written by another process on this store, which
		 * dot_new() cannot know of. Read it again next time, which then finds it known.
		 */
		if (o->device_id < st->ndot_max)
			st->dot_max[o->device_id] = 0;
		return -1;
	}
	dot_seen(st, o->device_id, o->seq);
	return 0;
}

static json_t *
dot_json(const struct op *o, const char *result)
{
	return json_pack("{s:[I,I],s:s}", "dot", (json_int_t)o->device_id, (json_int_t)o->seq,
	    "result", result);
}

/* A lease or hold of this seat is spent once the device has sold it. */
static int
spend_reservations(struct store *st, uint32_t event, uint32_t seat, char **cause)
{
	sqlite3_stmt *s;

	s = db_cached(st->db, "DELETE FROM leases WHERE event_id = ? AND seat_id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	if (step_cached(st, s, "spending the lease", cause) != 0)
		return -1;
	s = db_cached(st->db, "DELETE FROM holds WHERE event_id = ? AND seat_id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	return step_cached(st, s, "releasing the hold", cause);
}

/* A seat record for an answer: the compact array when the device asked for it. */
static json_t *
rec_json(const struct seat_rec *r, int compact)
{
	return compact ? proto_rec_to_compact(r) : proto_rec_to_json(r);
}

/*
 * What push_one() decided for one operation. The answer is made from these after the store's
 * lock is released: building JSON under it held every other writer up.
 */
struct pushed {
	const char      *result;        /* applied, merged, conflict, known, rejected */
	char            *reason;        /* rejected: why */
	int              has_rec;       /* the seat as the server now has it goes back */
	struct seat_rec  rec;
	struct conflict  c;             /* c.kind != CONFLICT_NONE: the conflict it made */
	int              won;
};

/* Push: merge one operation into *out (whose rec is init'ed). */
static int
push_one(struct store *st, const struct op *o, struct pushed *out, char **cause)
{
	struct seat_rec *cur = &out->rec;
	struct conflict *c = &out->c;
	enum merge_result m;
	char *known;
	uint64_t seq;
	int exists;

	if (look_up(st, o, &known, &exists, cur, cause) != 0)
		return -1;
	if (known != NULL) {
		out->result = "known";
		free(known);
		st->stats.ops_known++;
		return 0;
	}
	if (!exists) {
		out->result = "rejected";
		out->reason = xasprintf("event %" PRIu32 " has no seat %" PRIu32, o->rec.event_id,
		    o->rec.seat_id);
		return dot_save(st, o, "rejected", cause);
	}
	m = merge_seat(cur, &o->rec, c);
	if (m != MERGE_KNOWN) {
		if (next_seq(st, &seq, cause) != 0 || rec_save(st, cur, seq, cause) != 0)
			return -1;
	}
	if (c->kind != CONFLICT_NONE) {
		if (next_seq(st, &seq, cause) != 0 || conflict_save(st, c, seq, cause) != 0)
			return -1;
	}
	if (o->kind == OP_SELL && seat_rec_same_sale(cur, &o->rec) &&
	    spend_reservations(st, o->rec.event_id, o->rec.seat_id, cause) != 0)
		return -1;
	switch (m) {
	case MERGE_KNOWN:
		out->result = "known";
		st->stats.ops_known++;
		break;
	case MERGE_TAKEN:
		out->result = "applied";
		st->stats.ops_applied++;
		break;
	default:
		out->result = c->kind != CONFLICT_NONE ? "conflict" : "merged";
		st->stats.ops_applied++;
		break;
	}
	out->won = c->kind != CONFLICT_NONE && cur->state == o->rec.state &&
	    seat_rec_same_sale(cur, &o->rec) && cur->admitted_by == o->rec.admitted_by;
	/* "applied": the seat is the operation's own record, which the device has already. */
	out->has_rec = m != MERGE_TAKEN;
	return dot_save(st, o, out->result, cause);
}

/*
 * The answer for one operation: its dot and result, the reason of a rejection, the conflict
 * it made and the seat as the server has it. In the compact answer an operation applied as
 * sent, which is nearly all of them, is the bare string "applied" (its dot is the one of the
 * operation at the same place in the request): one JSON value instead of five each side.
 */
static json_t *
pushed_json(const struct op *o, const struct pushed *p, json_t *applied)
{
	json_t *j;

	if (applied != NULL && strcmp(p->result, "applied") == 0 && !p->has_rec &&
	    p->c.kind == CONFLICT_NONE)
		return json_incref(applied);
	j = dot_json(o, p->result);
	if (p->reason != NULL)
		json_object_set_new(j, "reason", json_string(p->reason));
	if (p->c.kind != CONFLICT_NONE) {
		json_object_set_new(j, "conflict", proto_conflict_to_json(&p->c));
		json_object_set_new(j, "won", json_boolean(p->won));
	}
	if (p->has_rec)
		json_object_set_new(j, "rec", rec_json(&p->rec, applied != NULL));
	return j;
}

int
store_push(struct store *st, const struct store_device *d, const json_t *a, int compact,
    json_t **reply, char **cause)
{
	struct pushed *out;
	struct op *ops;
	json_t *results, *applied;
	size_t n, i;
	int rc;

	if ((rc = ops_parse(d, a, PROTO_MAX_OPS, NULL, &ops, &n, cause)) != STORE_OK)
		return rc;
	out = xcalloc(n, sizeof *out);
	for (i = 0; i < n; i++)
		seat_rec_init(&out[i].rec, 0, 0);
	rc = STORE_ERROR;
	if (group_lock(st, cause) != 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (push_one(st, &ops[i], &out[i], cause) != 0) {
			group_abort(st);
			group_unlock(st, 0, NULL);
			goto done;
		}
	}
	if (group_unlock(st, seq_now(st), cause) != 0)
		goto done;
	applied = compact ? json_string("applied") : NULL;
	results = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(results, pushed_json(&ops[i], &out[i], applied));
	json_decref(applied);
	*reply = json_pack("{s:o,s:I}", "results", results, "server_time",
	    (json_int_t)store_now());
	rc = STORE_OK;
done:
	for (i = 0; i < n; i++) {
		free(out[i].reason);
		seat_rec_free(&out[i].rec);
	}
	free(out);
	ops_free(ops, n);
	return rc;
}

/* ------------------------------------------------------------------ online admit and sell */

static int
event_reentry(struct store *st, uint32_t event)
{
	sqlite3_stmt *s;
	int r = 0;

	s = db_cached(st->db, "SELECT reentry FROM events WHERE id = ?");
	sqlite3_bind_int64(s, 1, event);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = sqlite3_column_int(s, 0);
	db_done(s);
	return r;
}

/* Why the seat as the server has it refuses this entry or exit; NULL if it does not. */
static const char *
admit_refusal(const struct seat_rec *cur, const struct op *o, int reentry)
{
	const struct seat_rec *t = &o->rec;

	if (cur->state == SEAT_VOID && cur->generation >= t->generation)
		return "void";
	if (seat_rec_has_sale(cur) && !seat_rec_same_sale(cur, t))
		return "void";
	if (o->kind == OP_EXIT)
		return cur->state == SEAT_ADMITTED ? NULL : "not-inside";
	if (cur->state == SEAT_ADMITTED)
		return "already-admitted";
	if (cur->state == SEAT_EXITED && !reentry)
		return "already-admitted";
	return NULL;
}

/* The device's entry in the joined vector must count this change. */
static void
rebase_vv(struct seat_rec *r, const struct seat_rec *cur, const struct seat_rec *mine,
    uint32_t dev)
{
	struct vv v;

	vv_init(&v);
	vv_copy(&v, &cur->vv);
	vv_join(&v, &mine->vv);
	if (vv_get(&v, dev) <= vv_get(&cur->vv, dev))
		vv_increment(&v, dev);
	vv_free(&r->vv);
	r->vv = v;
}

int
store_admit(struct store *st, const struct store_device *d, const json_t *j, int compact,
    json_t **reply, char **cause)
{
	struct seat_rec cur, next;
	struct op *ops;
	const struct op *o;
	const char *why;
	char *known;
	uint64_t seq;
	size_t n;
	int rc, exists;

	if (d->role != ROLE_GATE)
		return set_cause(cause, "a %s may not admit", role_name(d->role)), STORE_FORBIDDEN;
	if ((rc = ops_parse(d, j, 1, "op", &ops, &n, cause)) != STORE_OK)
		return rc;
	o = &ops[0];
	if (o->kind != OP_ADMIT && o->kind != OP_EXIT) {
		ops_free(ops, n);
		return set_cause(cause, "op.kind: want admit or exit"), STORE_BAD;
	}

	seat_rec_init(&cur, 0, 0);
	seat_rec_init(&next, 0, 0);
	if (group_lock(st, cause) != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	if (look_up(st, o, &known, &exists, &cur, cause) != 0) {
		rc = STORE_ERROR;
		goto out_rollback;
	}
	if (!exists) {
		free(known);
		set_cause(cause, "event %" PRIu32 " has no seat %" PRIu32, o->rec.event_id,
		    o->rec.seat_id);
		rc = STORE_NOTFOUND;
		goto out_rollback;
	}
	if (known != NULL) {
		/* A retry of an admission the server already decided. */
		rc = strcmp(known, "applied") == 0 ? STORE_OK : STORE_REFUSED;
		*reply = json_pack("{s:s,s:s,s:o}", "result", rc == STORE_OK ?
		    (o->kind == OP_ADMIT ? "admitted" : "exited") : "refused",
		    "reason", known, "rec", rec_json(&cur, compact));
		free(known);
		if (rc == STORE_REFUSED)
			set_cause(cause, "refused before");
		goto out_rollback;
	}
	if ((why = admit_refusal(&cur, o, event_reentry(st, o->rec.event_id))) != NULL) {
		if (dot_save(st, o, why, cause) != 0) {
			rc = STORE_ERROR;
			goto out_rollback;
		}
		if (group_unlock(st, 0, cause) != 0) {
			rc = STORE_ERROR;
			goto out;
		}
		*reply = json_pack("{s:s,s:s,s:I,s:I,s:o}", "result", "refused", "reason", why,
		    "by", (json_int_t)(cur.state == SEAT_VOID ? cur.changed_by : cur.admitted_by),
		    "at", (json_int_t)(cur.state == SEAT_VOID ? cur.changed_at : cur.admitted_at),
		    "rec", rec_json(&cur, compact));
		set_cause(cause, "%s", why);
		rc = STORE_REFUSED;
		goto out;
	}

	/* The sale as the server knows it, or (not seen yet) as the signed ticket proves it. */
	seat_rec_copy(&next, seat_rec_has_sale(&cur) ? &cur : &o->rec);
	next.state = o->rec.state;
	next.changed_by = d->id;
	next.changed_at = o->rec.changed_at;
	next.moves = (uint16_t)(next.moves + 1);
	if (o->kind == OP_ADMIT) {
		next.admitted_by = d->id;
		next.admitted_at = o->rec.admitted_at;
	} else
		next.exited_at = o->rec.exited_at;
	rebase_vv(&next, &cur, &o->rec, d->id);
	if (next_seq(st, &seq, cause) != 0 || rec_save(st, &next, seq, cause) != 0 ||
	    dot_save(st, o, "applied", cause) != 0) {
		rc = STORE_ERROR;
		goto out_rollback;
	}
	st->stats.ops_applied++;
	if (group_unlock(st, seq, cause) != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	*reply = json_pack("{s:s,s:o}", "result", o->kind == OP_ADMIT ? "admitted" : "exited",
	    "rec", rec_json(&next, compact));
	rc = STORE_OK;
	goto out;

out_rollback:
	group_abort(st);
	group_unlock(st, 0, NULL);
out:
	seat_rec_free(&cur);
	seat_rec_free(&next);
	ops_free(ops, n);
	return rc;
}

/* Who holds or leases the seat, other than device dev: 0 if nobody. */
static uint32_t
reserved_by_other(struct store *st, uint32_t event, uint32_t seat, uint32_t dev,
    const char **what)
{
	sqlite3_stmt *s;
	uint32_t other = 0;

	s = db_cached(st->db, "SELECT device_id, 'leased' FROM leases WHERE event_id = ?1 AND "
	    "seat_id = ?2 AND device_id != ?3 UNION ALL SELECT device_id, 'held' FROM holds "
	    "WHERE event_id = ?1 AND seat_id = ?2 AND device_id != ?3 AND until > ?4 LIMIT 1");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	sqlite3_bind_int64(s, 3, dev);
	sqlite3_bind_int64(s, 4, store_now());
	if (sqlite3_step(s) == SQLITE_ROW) {
		other = (uint32_t)sqlite3_column_int64(s, 0);
		*what = strcmp((const char *)sqlite3_column_text(s, 1), "leased") == 0 ?
		    "leased" : "held";
	}
	db_done(s);
	return other;
}

/* The tier of the seat's section at this event, or -1 when no tier covers it. */
static int
seat_tier(struct store *st, uint32_t event, uint32_t seat)
{
	sqlite3_stmt *s;
	int tier = -1;

	s = db_cached(st->db, "SELECT tier_idx FROM tier_sections JOIN seats ON "
	    "seats.section = tier_sections.section WHERE tier_sections.event_id = ? AND "
	    "seats.id = ?");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_int64(s, 2, seat);
	if (sqlite3_step(s) == SQLITE_ROW)
		tier = sqlite3_column_int(s, 0);
	db_done(s);
	return tier;
}

int
store_sell(struct store *st, const struct store_device *d, const json_t *a, json_t **reply,
    char **cause)
{
	struct seat_rec cur;
	struct op *ops;
	const char *what = NULL, *reason = NULL;
	char label[VENUE_LABEL_MAX] = "";
	uint32_t other = 0;
	uint64_t seq = 0;
	size_t n, i;
	json_t *recs;
	int rc, tier;

	if (d->role != ROLE_BOXOFFICE)
		return set_cause(cause, "a %s may not sell", role_name(d->role)), STORE_FORBIDDEN;
	if ((rc = ops_parse(d, a, PROTO_MAX_SEATS, NULL, &ops, &n, cause)) != STORE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (ops[i].kind != OP_SELL) {
			ops_free(ops, n);
			return set_cause(cause, "ops[%zu].kind: want sell", i), STORE_BAD;
		}
	}
	recs = json_array();
	seat_rec_init(&cur, 0, 0);
	if (group_lock(st, cause) != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct op *o = &ops[i];
		char *known;

		if (seat_check(st, o->rec.event_id, o->rec.seat_id, label, sizeof label,
		    cause) != 0) {
			rc = STORE_NOTFOUND;
			goto out_rollback;
		}
		seat_rec_free(&cur);
		if (rec_load(st, o->rec.event_id, o->rec.seat_id, &cur, cause) != 0) {
			rc = STORE_ERROR;
			goto out_rollback;
		}
		if ((known = dot_result(st, o->device_id, o->seq)) != NULL) {
			free(known);
			json_array_append_new(recs, proto_rec_to_json(&cur));
			continue;
		}
		tier = seat_tier(st, o->rec.event_id, o->rec.seat_id);
		if (tier < 0)
			reason = "not-for-sale";
		else if (tier != o->rec.tier)
			reason = "wrong-tier";
		else if (seat_rec_has_sale(&cur))
			reason = "sold";
		else if ((other = reserved_by_other(st, o->rec.event_id, o->rec.seat_id, d->id,
		    &what)) != 0)
			reason = what;
		else if (cur.state == SEAT_VOID && o->rec.generation <= cur.generation)
			reason = "stale";
		if (reason != NULL)
			goto refused;
		rebase_vv(&o->rec, &cur, &o->rec, d->id);
		if (next_seq(st, &seq, cause) != 0 || rec_save(st, &o->rec, seq, cause) != 0 ||
		    dot_save(st, o, "applied", cause) != 0 ||
		    spend_reservations(st, o->rec.event_id, o->rec.seat_id, cause) != 0) {
			rc = STORE_ERROR;
			goto out_rollback;
		}
		json_array_append_new(recs, proto_rec_to_json(&o->rec));
	}
	st->stats.ops_applied += n;
	if (group_unlock(st, seq, cause) != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	*reply = json_pack("{s:s,s:o}", "result", "sold", "recs", recs);
	recs = NULL;
	rc = STORE_OK;
	goto out;

refused:
	group_abort(st);
	group_unlock(st, 0, NULL);
	*reply = json_pack("{s:s,s:s,s:I,s:s,s:I,s:I,s:o}", "result", "refused", "reason", reason,
	    "seat", (json_int_t)ops[i].rec.seat_id, "label", label,
	    "by", (json_int_t)(other != 0 ? other : cur.key_id),
	    "at", (json_int_t)(other != 0 ? 0 : cur.sold_at), "rec", proto_rec_to_json(&cur));
	set_cause(cause, "seat %s: %s", label, reason);
	rc = STORE_REFUSED;
	goto out;
out_rollback:
	group_abort(st);
	group_unlock(st, 0, NULL);
out:
	seat_rec_free(&cur);
	json_decref(recs);
	ops_free(ops, n);
	return rc;
}

/* ------------------------------------------------------------------ holds and leases */

/* Is the seat free to hold or lease for dev: not sold, not reserved by another device? */
static const char *
seat_unfree(struct store *st, uint32_t event, uint32_t seat, uint32_t dev, uint32_t *other,
    char **cause)
{
	struct seat_rec cur;
	const char *what = NULL;

	*other = 0;
	if (seat_check(st, event, seat, NULL, 0, cause) != 0)
		return "no-such-seat";
	if (seat_tier(st, event, seat) < 0)
		return "not-for-sale";
	if (rec_load(st, event, seat, &cur, cause) != 0) {
		seat_rec_free(&cur);
		return "error";
	}
	if (seat_rec_has_sale(&cur)) {
		*other = cur.key_id;
		seat_rec_free(&cur);
		return "sold";
	}
	seat_rec_free(&cur);
	if ((*other = reserved_by_other(st, event, seat, dev, &what)) != 0)
		return what;
	return NULL;
}

/* The event and the list of seat ids of a hold, release or lease request. */
static int
seats_parse(const json_t *req, uint32_t *event, uint32_t **seats, size_t *n, int required,
    char **cause)
{
	json_t *a, *v;
	size_t i;

	if (!json_is_object(req))
		return set_cause(cause, "request: want a JSON object"), STORE_BAD;
	if (proto_get_u32(req, "event", "request", 1, event, cause) != 0)
		return STORE_BAD;
	a = json_object_get(req, "seats");
	*seats = NULL;
	*n = 0;
	if (a == NULL) {
		if (required)
			return set_cause(cause, "request.seats: missing"), STORE_BAD;
		return STORE_OK;
	}
	if (!json_is_array(a) || json_array_size(a) > PROTO_MAX_SEATS)
		return set_cause(cause, "request.seats: want an array of at most %d seat ids",
		    PROTO_MAX_SEATS), STORE_BAD;
	*seats = xcalloc(json_array_size(a) + 1, sizeof **seats);
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    json_integer_value(v) > UINT32_MAX) {
			free(*seats);
			*seats = NULL;
			return set_cause(cause, "request.seats[%zu]: not a seat id", i), STORE_BAD;
		}
		(*seats)[i] = (uint32_t)json_integer_value(v);
	}
	*n = json_array_size(a);
	return STORE_OK;
}

static json_t *
refusal(const char *reason, uint32_t seat, uint32_t other)
{
	return json_pack("{s:s,s:s,s:I,s:I}", "result", "refused", "reason", reason,
	    "seat", (json_int_t)seat, "by", (json_int_t)other);
}

int
store_hold(struct store *st, const struct store_device *d, const json_t *req, int release,
    json_t **reply, char **cause)
{
	sqlite3_stmt *s;
	uint32_t event, *seats, other;
	const char *why;
	int64_t seconds = HOLD_DEFAULT, until;
	size_t n, i;
	int rc;

	if (d->role != ROLE_BOXOFFICE)
		return set_cause(cause, "a %s may not hold seats", role_name(d->role)),
		    STORE_FORBIDDEN;
	if ((rc = seats_parse(req, &event, &seats, &n, !release, cause)) != STORE_OK)
		return rc;
	if (proto_get_i64(req, "seconds", "request", 0, &seconds, cause) != 0) {
		free(seats);
		return STORE_BAD;
	}
	if (seconds <= 0)
		seconds = HOLD_DEFAULT;
	if (seconds > HOLD_MAX)
		seconds = HOLD_MAX;
	until = store_now() + seconds;

	lock(st);
	if (db_begin(st->db, cause) != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	if (release) {
		s = db_prepare(st->db, "DELETE FROM holds WHERE device_id = ? AND event_id = ? AND "
		    "(? = 0 OR seat_id IN (SELECT value FROM json_each(?)))");
		sqlite3_bind_int64(s, 1, d->id);
		sqlite3_bind_int64(s, 2, event);
		sqlite3_bind_int(s, 3, seats != NULL);
		if (seats != NULL) {
			char *list = json_dumps(json_object_get(req, "seats"), JSON_COMPACT);

			sqlite3_bind_text(s, 4, list, -1, free);
		}
		if (step_done(st, s, "releasing holds", cause) != 0) {
			rc = STORE_ERROR;
			goto rollback;
		}
		*reply = json_pack("{s:s,s:i}", "result", "released", "released",
		    sqlite3_changes(st->db));
		goto commit;
	}
	for (i = 0; i < n; i++) {
		if ((why = seat_unfree(st, event, seats[i], d->id, &other, cause)) != NULL) {
			if (strcmp(why, "error") == 0) {
				rc = STORE_ERROR;
				goto rollback;
			}
			free(*cause);
			*cause = NULL;
			*reply = refusal(why, seats[i], other);
			set_cause(cause, "seat %" PRIu32 ": %s", seats[i], why);
			rc = strcmp(why, "no-such-seat") == 0 ? STORE_NOTFOUND : STORE_REFUSED;
			goto rollback;
		}
		s = db_prepare(st->db, "INSERT OR REPLACE INTO holds VALUES(?, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, event);
		sqlite3_bind_int64(s, 2, seats[i]);
		sqlite3_bind_int64(s, 3, d->id);
		sqlite3_bind_int64(s, 4, until);
		if (step_done(st, s, "holding the seat", cause) != 0) {
			rc = STORE_ERROR;
			goto rollback;
		}
	}
	*reply = json_pack("{s:s,s:O,s:I}", "result", "held", "seats",
	    json_object_get(req, "seats"), "until", (json_int_t)until);
commit:
	if (commit(st, 0, cause) != 0) {
		json_decref(*reply);
		rc = STORE_ERROR;
		goto out;
	}
	rc = STORE_OK;
	goto out;
rollback:
	db_rollback(st->db);
out:
	unlock(st);
	free(seats);
	return rc;
}

/* This device's leases for the event, as an array of seat ids. */
static json_t *
leases_of(struct store *st, uint32_t dev, uint32_t event)
{
	sqlite3_stmt *s;
	json_t *a = json_array();

	s = db_prepare(st->db, "SELECT seat_id FROM leases WHERE device_id = ? AND event_id = ? "
	    "ORDER BY seat_id");
	sqlite3_bind_int64(s, 1, dev);
	sqlite3_bind_int64(s, 2, event);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(a, json_integer(sqlite3_column_int64(s, 0)));
	sqlite3_finalize(s);
	return a;
}

/* Seat ids of a section, or of the free places of a GA area (at most max). */
static size_t
seats_of(struct store *st, uint32_t event, const char *section, int ga, uint32_t dev,
    size_t max, uint32_t **out)
{
	sqlite3_stmt *s;
	size_t n = 0, cap = 64;
	uint32_t *ids = xcalloc(cap, sizeof *ids);

	s = db_prepare(st->db, "SELECT seats.id FROM seats JOIN events ON events.venue_id = "
	    "seats.venue_id WHERE events.id = ?1 AND seats.section = ?2 AND (?3 = 0 OR (ga AND "
	    "NOT EXISTS (SELECT 1 FROM seat_state WHERE event_id = ?1 AND seat_id = seats.id AND "
	    "state IN ('sold','admitted','exited')) AND NOT EXISTS (SELECT 1 FROM leases WHERE "
	    "event_id = ?1 AND seat_id = seats.id AND device_id != ?4) AND NOT EXISTS (SELECT 1 "
	    "FROM holds WHERE event_id = ?1 AND seat_id = seats.id AND device_id != ?4 AND "
	    "until > ?5))) ORDER BY seats.id");
	sqlite3_bind_int64(s, 1, event);
	sqlite3_bind_text(s, 2, section, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, ga);
	sqlite3_bind_int64(s, 4, dev);
	sqlite3_bind_int64(s, 5, store_now());
	while (n < max && sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap *= 2;
			ids = xreallocarray(ids, cap, sizeof *ids);
		}
		ids[n++] = (uint32_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	*out = ids;
	return n;
}

int
store_lease(struct store *st, const struct store_device *d, const json_t *req, json_t **reply,
    char **cause)
{
	sqlite3_stmt *s;
	const char *section = NULL, *area = NULL, *why;
	uint32_t event, *seats = NULL, other, want = 0;
	size_t n = 0, i, leased = 0;
	int rc, all_or_nothing = 1;

	if (d->role != ROLE_BOXOFFICE)
		return set_cause(cause, "a %s may not lease seats", role_name(d->role)),
		    STORE_FORBIDDEN;
	if ((rc = seats_parse(req, &event, &seats, &n, 0, cause)) != STORE_OK)
		return rc;
	if (proto_get_str(req, "section", "request", 0, &section, cause) != 0 ||
	    proto_get_str(req, "area", "request", 0, &area, cause) != 0 ||
	    proto_get_u32(req, "ga", "request", 0, &want, cause) != 0) {
		free(seats);
		return STORE_BAD;
	}
	if ((seats != NULL) + (section != NULL) + (area != NULL) != 1 || (area != NULL) != (want > 0)) {
		free(seats);
		return set_cause(cause, "request: give seats, a section, or ga with an area"),
		    STORE_BAD;
	}
	lock(st);
	if (section != NULL) {
		n = seats_of(st, event, section, 0, d->id, SIZE_MAX, &seats);
		all_or_nothing = 0;
		if (n == 0) {
			unlock(st);
			free(seats);
			return set_cause(cause, "event %" PRIu32 " has no section \"%s\"", event,
			    section), STORE_NOTFOUND;
		}
	} else if (area != NULL) {
		n = seats_of(st, event, area, 1, d->id, want, &seats);
		if (n < want) {
			unlock(st);
			free(seats);
			*reply = json_pack("{s:s,s:s,s:I}", "result", "refused", "reason",
			    "not-enough-places", "free", (json_int_t)n);
			return set_cause(cause, "area %s has only %zu free places", area, n),
			    STORE_REFUSED;
		}
	}
	if (db_begin(st->db, cause) != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((why = seat_unfree(st, event, seats[i], d->id, &other, cause)) != NULL) {
			if (strcmp(why, "error") == 0) {
				rc = STORE_ERROR;
				goto rollback;
			}
			free(*cause);
			*cause = NULL;
			if (!all_or_nothing)
				continue;
			*reply = refusal(why, seats[i], other);
			set_cause(cause, "seat %" PRIu32 ": %s", seats[i], why);
			rc = strcmp(why, "no-such-seat") == 0 ? STORE_NOTFOUND : STORE_REFUSED;
			goto rollback;
		}
		s = db_prepare(st->db, "INSERT OR IGNORE INTO leases VALUES(?, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, event);
		sqlite3_bind_int64(s, 2, seats[i]);
		sqlite3_bind_int64(s, 3, d->id);
		sqlite3_bind_int64(s, 4, store_now());
		if (step_done(st, s, "leasing the seat", cause) != 0) {
			rc = STORE_ERROR;
			goto rollback;
		}
		leased++;
	}
	if (commit(st, 0, cause) != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	*reply = json_pack("{s:s,s:I,s:o}", "result", "leased", "leased", (json_int_t)leased,
	    "seats", leases_of(st, d->id, event));
	rc = STORE_OK;
	goto out;
rollback:
	db_rollback(st->db);
out:
	unlock(st);
	free(seats);
	return rc;
}

int
store_lease_return(struct store *st, const struct store_device *d, const json_t *req,
    json_t **reply, char **cause)
{
	sqlite3_stmt *s;
	uint32_t event, *seats;
	size_t n;
	int rc, returned;

	if (d->role != ROLE_BOXOFFICE)
		return set_cause(cause, "a %s has no leases", role_name(d->role)), STORE_FORBIDDEN;
	if ((rc = seats_parse(req, &event, &seats, &n, 0, cause)) != STORE_OK)
		return rc;
	lock(st);
	if (db_begin(st->db, cause) != 0) {
		unlock(st);
		free(seats);
		return STORE_ERROR;
	}
	s = db_prepare(st->db, "DELETE FROM leases WHERE device_id = ? AND event_id = ? AND "
	    "(? = 0 OR seat_id IN (SELECT value FROM json_each(?)))");
	sqlite3_bind_int64(s, 1, d->id);
	sqlite3_bind_int64(s, 2, event);
	sqlite3_bind_int(s, 3, seats != NULL);
	if (seats != NULL)
		sqlite3_bind_text(s, 4, json_dumps(json_object_get(req, "seats"), JSON_COMPACT),
		    -1, free);
	if (step_done(st, s, "returning leases", cause) != 0) {
		db_rollback(st->db);
		unlock(st);
		free(seats);
		return STORE_ERROR;
	}
	returned = sqlite3_changes(st->db);
	if (commit(st, 0, cause) != 0) {
		unlock(st);
		free(seats);
		return STORE_ERROR;
	}
	*reply = json_pack("{s:s,s:i,s:o}", "result", "returned", "returned", returned,
	    "seats", leases_of(st, d->id, event));
	unlock(st);
	free(seats);
	return STORE_OK;
}
