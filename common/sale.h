/* sale.h: selling and refunding tickets at a box office: online first, offline only leased seats. */
#ifndef TESSERA_SALE_H
#define TESSERA_SALE_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "ticket.h"

struct device;

/* An event as a box office shows it. */
struct sale_event {
	uint32_t id;
	char     name[201];
	char     venue[201];
	int64_t  starts_at;
	int64_t  doors_at;
	char     currency[4];
};

/* One ticket of an order. */
struct sale_ticket {
	uint32_t seat_id;
	char     label[48];
	uint8_t  tier;
	char     tier_name[41];
	int64_t  price;                 /* what was charged, minor units (0 for a comp) */
	uint32_t serial;
	uint16_t generation;
	char     qr[TICKET_TEXT_MAX];   /* the signed ticket's QR text */
	int64_t  refunded_at;           /* 0 while good */
};

/* An order: a sale of one or more seats of one event, paid once. */
struct sale_order {
	uint32_t            id;
	struct sale_event   event;
	int64_t             created_at;
	char                pay[8];         /* "cash", "card", "comp" */
	int64_t             total;
	int64_t             tendered;       /* cash; -1 otherwise */
	int64_t             change;         /* cash: tendered - total */
	char                reference[81];  /* card reference, or why a comp was given */
	int                 online;         /* sold through the server (1) or offline (0) */
	struct sale_ticket *tickets;
	size_t              n;
};
void sale_order_free(struct sale_order *o);      /* NULL is fine */

/*
 * What to sell: seats by id, or (seats NULL) ga_count places of the general-admission area
 * ga_area, picked here (offline: only places leased to this box office).
 */
struct sale_request {
	uint32_t        event_id;
	const uint32_t *seats;
	size_t          nseats;
	const char     *ga_area;
	int             ga_count;
	const char     *pay;            /* "cash", "card" or "comp" */
	int64_t         tendered;       /* cash: -1 for the exact amount */
	const char     *reference;      /* card: its reference; comp: the reason (required) */
};

/* Why a sale or a hold was refused, seat by seat: the first seat refused. */
struct sale_refusal {
	uint32_t seat_id;               /* 0 when the refusal is not about one seat */
	char     label[48];
	char     reason[16];            /* "sold", "held", "leased", "not-for-sale", "not-leased",
	                                   "stale", "wrong-tier", "" */
};

/*
 * Sell: price each seat by its section's tier, take the next ticket serials and an order number,
 * then offer the sale to the server (POST /v1/sell, giving up after the device's online timeout):
 *   - accepted: the server's records are merged and the order committed (no outbox entries);
 *   - refused (409): nothing is sold; the server's record of the refused seat is merged;
 *   - no answer (or device_set_offline): sold offline only when every seat is leased to this
 *     box office: the seats, their operations (outbox), the order and the journal entry in one
 *     transaction; otherwise refused, naming the first seat that is not leased.
 * Tickets are signed with the device's key (key id = device id, issued at the sale time), and
 * the sale is journalled in the open shift (one is opened with a float of 0 when none is).
 * On success 0 with *out (sale_order_free it). On refusal or failure -1 with *cause (a sentence
 * for the cashier, naming the seat) and, when refusal is not NULL and a seat was refused, that
 * seat in *refusal. Serials and dots spent on a refused sale are never reused.
 */
int sale_sell(struct device *d, const struct sale_request *req, struct sale_order **out,
    struct sale_refusal *refusal, char **cause) WARN_UNUSED;

/*
 * Refund the tickets of order (all that are not refunded yet, or only seat when seat_id is not
 * 0): each seat goes void (its generation stays; the next sale of it takes the next one, so the
 * old QR is refused at the gate), with its operation in the outbox, the order's tickets marked
 * and the refund journalled, in one transaction. The caller pushes (device_push or the syncer)
 * when it can. Refused: an order of another box office or unknown, a ticket already used at a
 * gate, nothing left to refund. 0 with *out (the order as it now stands; may be NULL), or -1.
 */
int sale_refund(struct device *d, uint32_t order, uint32_t seat_id, struct sale_order **out,
    char **cause) WARN_UNUSED;

/* The order with this number, as sold here. 0 with *out, 1 when there is none, -1 with *cause. */
int sale_order_load(struct device *d, uint32_t order, struct sale_order **out, char **cause)
    WARN_UNUSED;
/*
 * The latest order holding a ticket for the seat labelled label (any case), of event when it is
 * not 0: 0 with *order and *seat_id, 1 when there is none, -1 with *cause.
 */
int sale_order_find_seat(struct device *d, uint32_t event, const char *label, uint32_t *order,
    uint32_t *seat_id, char **cause) WARN_UNUSED;
/* Journal that the order's tickets were printed again. 0, or -1 with *cause. */
int sale_reprint(struct device *d, uint32_t order, char **cause) WARN_UNUSED;

/* The event as the replica has it. 0 with *e, 1 when unknown, -1 with *cause. */
int sale_event_load(struct device *d, uint32_t event, struct sale_event *e, char **cause)
    WARN_UNUSED;
/* The seat of event labelled label (any case). 0 with *seat_id, 1 when there is none, -1. */
int sale_seat_find(struct device *d, uint32_t event, const char *label, uint32_t *seat_id,
    char **cause) WARN_UNUSED;
/* Seats of event leased to this box office and not sold yet (all events when event is 0). */
int sale_leased_left(struct device *d, uint32_t event);

/*
 * Hold seats for a cashier's cart on the server (POST /v1/hold, seconds; the online timeout):
 * 0 held; 1 the server did not answer (offline); -1 refused, with *cause and *refusal (the seat
 * and why). Releasing is best effort and never fails (POST /v1/release; nseats 0: all of the
 * event's holds).
 */
int sale_hold(struct device *d, uint32_t event, const uint32_t *seats, size_t nseats,
    int seconds, struct sale_refusal *refusal, char **cause) WARN_UNUSED;
void sale_release(struct device *d, uint32_t event, const uint32_t *seats, size_t nseats);

/* Where the tickets of a sale go; NULL members are not written. */
struct sale_outputs {
	const char *png_dir;
	const char *svg_dir;
	const char *escpos;             /* a printer device or a file, appended to */
};
/*
 * Write every ticket of o (refunded ones excepted) to the outputs: DIR/<event>-<seat>-<serial>.png
 * and .svg, and ESC/POS bytes. 0, or -1 with *cause at the first failure (what was written
 * before stays).
 */
int sale_write_outputs(const struct sale_order *o, const struct sale_outputs *outs,
    char **cause) WARN_UNUSED;

#endif
