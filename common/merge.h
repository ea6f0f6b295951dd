/* merge.h: the replicated seat record and the per-seat merge rule every replica computes alike. */
#ifndef TESSERA_MERGE_H
#define TESSERA_MERGE_H

#include <stdint.h>

#include "compat.h"
#include "seat.h"
#include "vv.h"

/*
 * The replicated unit: one seat of one event. Every field but the vector is decided by the
 * device that last changed the seat; the vector says which changes the record includes.
 *
 * The sale identity is (generation, key_id, serial): the ticket of the issuing box office
 * (key_id is its device id) with that serial. A ticket is good only while it names the seat's
 * current sale identity and the state is sold, admitted or exited.
 *
 * Holds and leases are not in the record: they are short-lived reservations the server alone
 * decides (see docs/sync-protocol.md), so they never make two versions of a seat concurrent.
 */
struct seat_rec {
	uint32_t        event_id;
	uint32_t        seat_id;
	enum seat_state state;
	struct vv       vv;
	uint16_t        generation;
	uint32_t        key_id;         /* issuing box office of the current sale; 0 none */
	uint32_t        serial;
	uint8_t         tier;
	int64_t         price;          /* minor units */
	int64_t         sold_at;
	uint32_t        admitted_by;    /* gate of the latest entry; 0 none */
	int64_t         admitted_at;
	int64_t         exited_at;
	uint16_t        moves;          /* entries and exits on this sale */
	uint32_t        changed_by;     /* device of the latest change */
	int64_t         changed_at;
};

void seat_rec_init(struct seat_rec *r, uint32_t event_id, uint32_t seat_id);  /* available, empty vv */
void seat_rec_free(struct seat_rec *r);                 /* frees the vector */
void seat_rec_copy(struct seat_rec *dst, const struct seat_rec *src);  /* dst must be init'ed or freed */

/* Do both name the same sale (generation, issuing device, serial)? */
int seat_rec_same_sale(const struct seat_rec *a, const struct seat_rec *b);
/* Is the seat sold to someone (sold, admitted or exited)? */
int seat_rec_has_sale(const struct seat_rec *r);

enum conflict_kind {
	CONFLICT_NONE = 0,
	CONFLICT_DUPLICATE_ADMISSION,   /* one ticket admitted at two gates while they were apart */
	CONFLICT_DOUBLE_SALE,           /* one seat sold twice; the loser's ticket is void, re-seat them */
	CONFLICT_ADMITTED_REFUNDED,     /* entered on a ticket refunded meanwhile; the admission stands */
};
const char *conflict_kind_name(enum conflict_kind k);  /* "duplicate-admission", ... */
int conflict_kind_parse(const char *name);              /* -1 if unknown */

/* What a concurrent merge found: the winner and the loser, by device and time. */
struct conflict {
	enum conflict_kind kind;
	uint32_t           event_id;
	uint32_t           seat_id;
	uint32_t           winner_device;
	int64_t            winner_at;
	uint32_t           loser_device;
	int64_t            loser_at;
	uint32_t           loser_key_id;    /* double sale: the voided ticket */
	uint32_t           loser_serial;
};

enum merge_result {
	MERGE_KNOWN,        /* incoming <= local: nothing to do */
	MERGE_TAKEN,        /* local < incoming: local becomes incoming */
	MERGE_RESOLVED,     /* concurrent: resolved by the rule, vectors joined */
};
const char *merge_result_name(enum merge_result m);

/*
 * Merge incoming into local (both for the same event and seat). On MERGE_RESOLVED, *c says
 * whether the concurrency mattered (c->kind != CONFLICT_NONE) and who won. The result depends
 * only on the two records, never on which is local, so every replica converges.
 */
enum merge_result merge_seat(struct seat_rec *local, const struct seat_rec *incoming,
    struct conflict *c);

#endif
