/* store.h: the central server's authoritative store (SQLite), behind one interface. */
#ifndef TESSERA_STORE_H
#define TESSERA_STORE_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "compat.h"
#include "keys.h"
#include "proto.h"
#include "venue.h"

/*
 * Every function takes the store's lock, so the HTTP threads can share one store; every change
 * is one transaction. A PostgreSQL store implements this same header (docs/sync-server.md).
 *
 * Functions that answer a device build the JSON reply themselves (a new reference in *reply) and
 * return a status: STORE_OK, or one of the refusals below with *cause saying why.
 */
enum store_status {
	STORE_OK = 0,
	STORE_ERROR = -1,       /* the store failed (disk full, I/O): 500 */
	STORE_BAD = -2,         /* the request names something malformed or missing: 400 */
	STORE_NOTFOUND = -3,    /* no such event / seat: 404 */
	STORE_FORBIDDEN = -4,   /* not allowed for this device or role: 403 */
	STORE_REFUSED = -5,     /* compare-and-swap refused (already admitted, sold): 409, *reply says who */
};

struct store;

/* The root key file that goes with a store file: "<db>.rootkey". Newly allocated. */
char *store_rootkey_path(const char *db);

/*
 * The WAL's size that wakes the checkpointer, in bytes (4,000 pages of 1 KiB; a store made
 * with 4 KiB pages counts 1,000). A smaller WAL checkpointed more often wrote a large venue's
 * scattered pages back, and synced them, so often that the WAL's own syncs waited on the disk
 * (docs/performance.md, figure 8).
 */
#define STORE_CKPT_BYTES (4000 * 1024)
/* The same in pages of the store's connection db. */
int store_ckpt_pages(sqlite3 *db);

/*
 * Create a new store at path with a new organizer root key (saved 0600 beside it). Refuses a
 * path that already exists. 0, or -1 with *cause; on failure nothing is left behind.
 */
int store_create(const char *path, struct keypair **root, char **cause) WARN_UNUSED;
/* Open an existing store and its root key. */
int store_open(const char *path, struct store **out, char **cause) WARN_UNUSED;
void store_close(struct store *st);
sqlite3 *store_db(struct store *st);                 /* for read-only reports, under no lock */
const struct keypair *store_root(struct store *st);
int64_t store_now(void);

/* Admin. Each prints nothing; ids come back in *id. */
int store_venue_import(struct store *st, const struct venue *v, uint32_t *id, char **cause)
    WARN_UNUSED;
struct store_tier {
	char    *name;
	int64_t  price;
	char   **sections;          /* NULL-terminated; NULL means every section */
};
struct store_event {
	uint32_t            venue_id;
	const char         *name;
	int64_t             starts_at;
	int64_t             doors_at;
	const char         *currency;
	int                 reentry;
	struct store_tier  *tiers;
	int                 ntiers;
};
int store_event_create(struct store *st, const struct store_event *e, uint32_t *id,
    char **cause) WARN_UNUSED;
/* A new device waiting to enroll; *code is its one-time enrollment code (newly allocated). */
int store_device_add(struct store *st, int role, const char *name, const char *sections,
    uint32_t *id, char **code, char **cause) WARN_UNUSED;
int store_device_revoke(struct store *st, uint32_t id, char **cause) WARN_UNUSED;

/* Devices: enrollment and the authentication of every other request. */
int store_enroll(struct store *st, const char *code, const uint8_t pk[KEYS_PUBLICBYTES],
    json_t **reply, char **cause) WARN_UNUSED;
struct store_device {
	uint32_t id;
	int      role;
	int      revoked;
	uint8_t  pk[KEYS_PUBLICBYTES];
};
int store_device_get(struct store *st, uint32_t id, struct store_device *d) WARN_UNUSED;
/*
 * 0 if the nonce is new (and now remembered), STORE_REFUSED if it was seen before. when: the
 * request's signed time (already checked to be within the clock window of now).
 */
int store_nonce_use(struct store *st, uint32_t device, const char *nonce, int64_t when,
    int64_t now, char **cause) WARN_UNUSED;

/*
 * Group commit (store.c explains it). With store_group(st, 1) (the server), the nonce, push,
 * admit and sell calls may leave their writes in a transaction shared with other threads'
 * requests: the thread must call store_settle() before it answers, which waits until those
 * writes are committed: 0, or -1 with *cause when the commit failed (nothing of them is kept).
 * Without it (admin commands, tests), each call commits before it returns.
 */
/*
 * Claim the store for a server: an exclusive flock() of "<db>.lock", held until store_close().
 * A second server on the same store is refused, naming the lock; the in-memory change
 * sequence, group commit and push checks all assume one server. Admin commands do not claim.
 */
int store_claim(struct store *st, char **cause) WARN_UNUSED;
void store_group(struct store *st, int on);
int store_settle(struct store *st, char **cause) WARN_UNUSED;

/* The sync calls of docs/sync-protocol.md. */
int store_events(struct store *st, json_t **reply, char **cause) WARN_UNUSED;
/*
 * A page of GET /v1/bootstrap: the seats after seat id after (0: the first page, which also
 * carries the event, tiers, devices, conflicts and cursor), at most limit (0 or more than
 * PROTO_BOOTSTRAP_PAGE: that many), with their records. STORE_NOTFOUND for no such event.
 */
int store_bootstrap(struct store *st, uint32_t event, uint32_t after, int limit,
    json_t **reply, char **cause) WARN_UNUSED;
int store_pull(struct store *st, uint64_t since, uint32_t event, int wait, int limit,
    json_t **reply, char **cause) WARN_UNUSED;
int store_push(struct store *st, const struct store_device *d, const json_t *ops, int compact,
    json_t **reply, char **cause) WARN_UNUSED;
int store_admit(struct store *st, const struct store_device *d, const json_t *op, int compact,
    json_t **reply, char **cause) WARN_UNUSED;
int store_sell(struct store *st, const struct store_device *d, const json_t *ops,
    json_t **reply, char **cause) WARN_UNUSED;
int store_hold(struct store *st, const struct store_device *d, const json_t *req, int release,
    json_t **reply, char **cause) WARN_UNUSED;
int store_lease(struct store *st, const struct store_device *d, const json_t *req,
    json_t **reply, char **cause) WARN_UNUSED;
int store_lease_return(struct store *st, const struct store_device *d, const json_t *req,
    json_t **reply, char **cause) WARN_UNUSED;

/*
 * Epochs (docs/reliability.md): every start of the server begins one, so that a device can tell
 * a store restored from an older backup from the one it talked to. store_epoch_begin records a
 * new random epoch starting at the current change sequence (0, or -1 with *cause: the store
 * cannot be written). store_epoch gives the current epoch ("" before any) and sequence.
 * store_epoch_check answers POST /v1/epoch: req {"seen": {EPOCH: SEQ, ...}, "cursor": N} says
 * what the device heard; the reply says whether all of it is part of this store's history.
 */
#define STORE_EPOCH_LEN 16
int store_epoch_begin(struct store *st, char **cause) WARN_UNUSED;
void store_epoch(struct store *st, char epoch[STORE_EPOCH_LEN + 1], uint64_t *seq);
int store_epoch_check(struct store *st, const json_t *req, json_t **reply, char **cause)
    WARN_UNUSED;

/* Wake every long-polling pull (shutdown). */
void store_wake(struct store *st);
/* Counters for /metrics. */
struct store_stats {
	uint64_t ops_applied;
	uint64_t ops_known;
	uint64_t conflicts;
	uint64_t pull_waiters;
	uint64_t checkpoints;           /* run by the server's checkpointer */
	uint64_t wal_frames;            /* in the WAL at the latest of them */
	uint64_t seq;
};
void store_stats(struct store *st, struct store_stats *s);

#endif
