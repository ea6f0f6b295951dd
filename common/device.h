/* device.h: a box office or a gate as a replica: enroll, sync with the server, decide, record. */
#ifndef TESSERA_DEVICE_H
#define TESSERA_DEVICE_H

#include <stdint.h>

#include <jansson.h>

#include "compat.h"
#include "keys.h"
#include "merge.h"
#include "proto.h"
#include "replica.h"

/*
 * A device is its replica file plus its key file ("<replica>.key", mode 0600) and a client for
 * the server. Every change it makes (a sale, a refund, an entry, an exit) is one SQLite
 * transaction that changes the seat, records the business row (order, scan) and appends the
 * operation to the outbox; the server hears of it by push, now or later.
 *
 * A struct device belongs to one thread. The background syncer (syncer_*) opens its own.
 */
struct device;

/* The key file that goes with a replica file. Newly allocated. */
char *device_key_path(const char *replica);

/*
 * Enroll: make the key pair here, present the one-time code to the server at url, and keep the
 * certificate, the root key, the device's id, role and name in a new replica at path (refused
 * if it exists). On success prints nothing and sets *out (may be NULL) to the open device.
 * Errors: wrong or used code, server unreachable, TLS pin mismatch, replica exists; on any of
 * them no replica or key file is left behind.
 *
 * With an https:// url the device pins the server's TLS public key (tlspin.h): pin when given
 * (what tessera-sync init printed: the code cannot go to anyone else), else the key the server
 * presents now (trust on first use). The pin is kept in the replica (meta tls_pin) and every
 * later call of the device accepts that key only, whatever signed the certificate. A pin with
 * an http:// url is refused. device_enroll() is device_enroll_pinned() with pin NULL.
 */
int device_enroll(const char *path, const char *url, const char *code, struct device **out,
    char **cause) WARN_UNUSED;
int device_enroll_pinned(const char *path, const char *url, const char *code, const char *pin,
    struct device **out, char **cause) WARN_UNUSED;
/* The pinned TLS key of the server ("sha256//..."), or NULL when the device does not pin. */
const char *device_tls_pin(const struct device *d);
int device_open(const char *path, struct device **out, char **cause) WARN_UNUSED;
void device_close(struct device *d);

uint32_t device_id(const struct device *d);
int device_role(const struct device *d);
const char *device_name(const struct device *d);
const char *device_server(const struct device *d);
struct replica *device_replica(struct device *d);
const struct keypair *device_keypair(const struct device *d);
/* How long an online attempt may take before the device decides alone (default 300 ms). */
void device_set_online_timeout(struct device *d, long ms);
/* For tests and --offline: never call the server for admit/sell. */
void device_set_offline(struct device *d, int offline);
int device_offline(const struct device *d);
/* The server's clock as this device knows it (local time plus the last seen offset). */
int64_t device_now(const struct device *d);

/* What a sync did. */
struct sync_report {
	int      pushed;            /* operations acknowledged by the server */
	int      waiting;           /* operations still in the outbox */
	int      pulled;            /* seat changes merged in */
	int      conflicts;         /* new conflicts recorded */
	int      events;            /* events bootstrapped */
	uint64_t cursor;
	/* The server went back to an older store (docs/reliability.md): */
	int      recovered;         /* 1: this sync found it and recovered */
	int      resent;            /* changes of this device the server lacked, sent again */
	int      awaiting;          /* seats of which the server lacks another device's change */
	int      released;          /* unprinted online sales the server had applied, voided */
};
/*
 * Push the outbox (in batches; each acknowledged operation is deleted in the same transaction
 * that merges the server's answer), then bootstrap any event the server has that the replica
 * lacks, then pull until up to date. wait > 0: the last pull long-polls that many seconds.
 * 0, or -1 with *cause (what was done stays done).
 *
 * Push and pull first check, when the device has heard a store epoch it has not verified,
 * that the server still has every change the device heard of; when it does not (restored from
 * an older backup), they recover first: the device's own changes the server lacks are sent
 * again as new operations and everything is pulled again (r->recovered, resent, awaiting).
 */
int device_sync(struct device *d, int wait, struct sync_report *r, char **cause) WARN_UNUSED;
/*
 * Settle the online sales that got no answer and were refused here (the replica's unanswered
 * table, written by sale.c): a seat whose record is that sale (sold by this device with that
 * serial and generation: the server applied it, and no ticket was printed) is voided with a
 * refund operation and a "release" journal entry; a seat whose record is not that sale is
 * forgotten, but only for attempts with id <= upto (device_unanswered_mark() taken before
 * the server answered the pull that came before: it would have brought the sale). All in one
 * transaction; r->released counts the voided seats (the caller pushes them). device_sync()
 * and the background syncer call it after each pull.
 */
int64_t device_unanswered_mark(struct device *d);
int device_unanswered_settle(struct device *d, int64_t upto, struct sync_report *r,
    char **cause) WARN_UNUSED;
/*
 * The parts of device_sync(). Unlike it, they add to *r (which may be NULL) and do not zero
 * it first: the caller does.
 */
/* Bootstrap every event the server has and the replica lacks. */
int device_discover(struct device *d, struct sync_report *r, char **cause) WARN_UNUSED;
int device_push(struct device *d, struct sync_report *r, char **cause) WARN_UNUSED;
int device_pull(struct device *d, int wait, struct sync_report *r, char **cause) WARN_UNUSED;
/*
 * Take one event from the server: its seat map, tiers, devices, conflicts and every seat's
 * record, in pages (GET /v1/bootstrap, docs/sync-protocol.md), all written in one transaction:
 * on failure (or a kill) the replica holds nothing of the event and the pull cursor is as it
 * was. Memory is one page, not the venue. The pull cursor goes back to where the first page was
 * taken (or is set there, when unset): the next pull brings what changed while paging.
 */
int device_bootstrap(struct device *d, uint32_t event, char **cause) WARN_UNUSED;
/*
 * Ask for bootstrap pages of at most seats (0: the server's limit, PROTO_BOOTSTRAP_PAGE), and
 * call page(arg, seats so far) after each page is written (NULL: none); a page() that returns
 * non-zero cancels the bootstrap, which then leaves nothing. For progress, and for tests.
 */
void device_set_bootstrap_page(struct device *d, int seats, int (*page)(void *, size_t),
    void *arg);

/* The record of a seat in the replica (available with an empty vector if never changed). */
int device_seat(struct device *d, uint32_t event, uint32_t seat, struct seat_rec *r,
    char **cause) WARN_UNUSED;
/* Operations waiting in the outbox. */
int device_waiting(struct device *d);

/*
 * Apply a change made here: r is the seat as the change leaves it (the caller set its fields;
 * this bumps the device's entry in r->vv and sets changed_by/at), written with its operation
 * to the outbox. Must run inside the caller's transaction (db_begin on the replica). *dot gets
 * the operation's sequence number.
 *
 * at is the time of the change: the one device_now() reading the caller stamped everything
 * else of it with (the sale's sold_at and order, the entry's admitted_at, admission and scan),
 * so that the operation and the seat's changed_at name the same second even when the clock
 * ticks over in between.
 */
int device_change(struct device *d, enum op_kind kind, struct seat_rec *r, const char *pay,
    uint32_t order, int64_t at, uint32_t *dot, char **cause) WARN_UNUSED;

/*
 * The online path, in two steps. device_prepare() spends the next dot durably (in its own
 * transaction when the caller has none open), counts the change in r's vector, sets
 * changed_by and changed_at (to at, as device_change does) and fills *o (op_free it) —
 * nothing else is written but the reservation of the vector entry it used (the replica's
 * pending table, cleared when the change is recorded: a device killed before that makes its
 * next change of the seat after it). The caller then offers the operation to the server (POST /v1/admit
 * or /v1/sell with proto_op_to_json(o)):
 *   - accepted: merge the server's answer (device_merge_json), no outbox entry — the server
 *     already has the operation;
 *   - refused: merge the server's record, and the dot is simply never used;
 *   - no answer: device_record(o) inside the caller's transaction writes the seat and the
 *     outbox entry, and the push will tell the server (which says "known" if it did hear).
 * device_change() is prepare + record in one go, for offline changes.
 */
int device_prepare(struct device *d, enum op_kind kind, struct seat_rec *r, const char *pay,
    uint32_t order, int64_t at, struct op *o, char **cause) WARN_UNUSED;
int device_record(struct device *d, const struct op *o, char **cause) WARN_UNUSED;

/*
 * A signed call to the server through the device's client, giving up after ms milliseconds
 * (0: the online timeout). 0 with *status and *reply (new reference) on an answer; -1 with
 * *cause when the server did not answer (offline). Never called when device_set_offline.
 */
int device_call(struct device *d, const char *method, const char *path, json_t *body, long ms,
    long *status, json_t **reply, char **cause) WARN_UNUSED;
/* Merge a seat record the server sent (JSON) into the replica, inside the caller's transaction. */
int device_merge_json(struct device *d, const json_t *rec, int *conflicts, char **cause)
    WARN_UNUSED;

/*
 * The background syncer for the screens: its own thread and replica connection. It pushes
 * soon after syncer_kick(), long-polls for remote changes, backs off while the server is
 * unreachable, and never blocks the caller.
 */
struct syncer;
struct sync_status {
	int      online;
	int64_t  offline_since;     /* 0 when online, or never synced */
	int      waiting;           /* operations not yet acknowledged */
	int64_t  last_sync;
	int      new_conflicts;     /* conflicts pulled since the last status read */
	int      released;          /* seats of unprinted online sales released since then */
	char     error[160];        /* the last failure, for the status line */
};
struct syncer *syncer_start(const char *replica, char **cause);
/* Sync now: push, and look for new events on the server. */
void syncer_kick(struct syncer *s);
void syncer_status(struct syncer *s, struct sync_status *st);
void syncer_stop(struct syncer *s);

/* Leases (box office): ask for seats, a section, or n GA places of an area; give them back. */
int device_lease(struct device *d, uint32_t event, const uint32_t *seats, int nseats,
    const char *section, const char *area, int ga, int *leased, char **cause) WARN_UNUSED;
int device_lease_return(struct device *d, uint32_t event, int *returned, char **cause)
    WARN_UNUSED;

#endif
