/* cart.h: a box-office cart: money in minor units, pricing, change due, best adjacent seats. */
#ifndef TESSERA_CART_H
#define TESSERA_CART_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

/*
 * Money is an int64_t count of minor units (cents) of the event's currency; amounts are typed and
 * shown with two decimals ("50", "50.5", "50.50" are 5000, 5050, 5050), as the server's tier
 * prices are. Never floating point.
 */
#define CART_MONEY_MAX  INT64_C(100000000000)       /* 1,000,000,000.00 */
#define CART_MONEY_LEN  32                          /* enough for any cart_money_format */

/*
 * Parse an amount typed by a cashier: digits, optionally '.' and one or two decimals; spaces
 * around it are ignored. At most CART_MONEY_MAX, never negative. 0 with *out, or -1 with
 * *cause ("\"5.005\": at most two decimals") and *out untouched.
 */
int cart_money_parse(const char *s, int64_t *out, char **cause) WARN_UNUSED;
/* "125.00", "-3.50", "0.07" into buf (always NUL-terminated; CART_MONEY_LEN is enough). */
void cart_money_format(int64_t minor, char *buf, size_t len);

/* One seat in the cart, with its price as the event's tier sets it. */
struct cart_item {
	uint32_t seat_id;
	char     label[48];             /* "A-1-5" */
	uint8_t  tier;
	char     tier_name[41];
	int64_t  price;                 /* minor units */
};

/* The seats a cashier is about to sell, for one event. Zero-initialised is an empty cart. */
struct cart {
	uint32_t          event_id;
	struct cart_item *items;
	size_t            n;
	size_t            cap;
};

/* Append a copy of it; a seat already in the cart is not added twice. 0 added, 1 already there. */
int cart_add(struct cart *c, const struct cart_item *it);
/* Remove the seat; 0 removed, -1 when it was not in the cart. */
int cart_remove(struct cart *c, uint32_t seat_id);
/* The item's index, or -1. */
int cart_find(const struct cart *c, uint32_t seat_id);
/* Empty the cart (keeps event_id); frees nothing the caller owns. */
void cart_clear(struct cart *c);
/* Frees the items; the cart is empty afterwards and may be reused. */
void cart_free(struct cart *c);
/* The sum of the prices (comp: the caller charges 0). */
int64_t cart_total(const struct cart *c);

/*
 * The change due when tendered is paid against total: 0 with *change = tendered - total, or -1
 * with *cause ("10.00 short") when tendered is less than total or either is negative.
 */
int cart_change(int64_t total, int64_t tendered, int64_t *change, char **cause) WARN_UNUSED;

/*
 * A place on a seat map, for cart_best_adjacent. row orders the rows from the front (0) back;
 * number is the seat's number in its row. Two places are adjacent when they are in the same row
 * and their numbers are consecutive: a gap in the numbering (a column, a sound desk) breaks the
 * block.
 */
struct cart_place {
	int      row;
	uint32_t number;
	int      free;                  /* may be picked now */
};

/*
 * The best block of want adjacent free places among p[0..n-1] (in any order): the frontmost row
 * that has such a block, and in it the block whose middle is closest to the middle of the row
 * (its lowest to highest number); on a tie the lower numbers. On success returns want and
 * fills out[0..want-1] with indices into p, by increasing number. Returns 0 when no row has
 * want adjacent free places (or want < 1, or want > n). Pure; allocates only scratch memory.
 */
size_t cart_best_adjacent(const struct cart_place *p, size_t n, size_t want, size_t *out);

#endif
