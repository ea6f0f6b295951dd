/*
 * cart.c: the box office's cart: money, prices, change due and the best adjacent seats.
 *
 * Everything here is pure: no database, no terminal. The screen (boxoffice/bo-state.c) and the
 * sell command put seats in a cart; sale.c turns a cart into tickets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cart.h"
#include "xmalloc.h"

int
cart_money_parse(const char *s, int64_t *out, char **cause)
{
	const char *p = s, *end;
	int64_t major = 0, minor = 0;
	int n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end || *p < '0' || *p > '9')
		goto bad;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (major > CART_MONEY_MAX / 100)
			goto big;
		major = major * 10 + (*p - '0');
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			if (++n > 2)
				return set_cause(cause, "\"%.40s\": at most two decimals", s);
			minor = minor * 10 + (*p - '0');
		}
		if (n == 0)
			goto bad;
		if (n == 1)
			minor *= 10;
	}
	if (p != end)
		goto bad;
	if (major > CART_MONEY_MAX / 100 || major * 100 + minor > CART_MONEY_MAX)
		goto big;
	*out = major * 100 + minor;
	return 0;
bad:
	return set_cause(cause, "\"%.40s\": want an amount like 50, 50.5 or 50.50", s);
big:
	return set_cause(cause, "\"%.40s\": too large", s);
}

void
cart_money_format(int64_t minor, char *buf, size_t len)
{
	uint64_t a = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

	if (len == 0)
		return;
	snprintf(buf, len, "%s%" PRIu64 ".%02" PRIu64, minor < 0 ? "-" : "", a / 100, a % 100);
}

int
cart_find(const struct cart *c, uint32_t seat_id)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->items[i].seat_id == seat_id)
			return (int)i;
	}
	return -1;
}

int
cart_add(struct cart *c, const struct cart_item *it)
{
	if (cart_find(c, it->seat_id) >= 0)
		return 1;
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 8 : c->cap * 2;
		c->items = xreallocarray(c->items, c->cap, sizeof *c->items);
	}
	c->items[c->n++] = *it;
	return 0;
}

int
cart_remove(struct cart *c, uint32_t seat_id)
{
	int i = cart_find(c, seat_id);

	if (i < 0)
		return -1;
	memmove(&c->items[i], &c->items[i + 1], (c->n - (size_t)i - 1) * sizeof *c->items);
	c->n--;
	return 0;
}

void
cart_clear(struct cart *c)
{
	c->n = 0;
}

void
cart_free(struct cart *c)
{
	free(c->items);
	c->items = NULL;
	c->n = c->cap = 0;
}

int64_t
cart_total(const struct cart *c)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < c->n; i++)
		t += c->items[i].price;
	return t;
}

int
cart_change(int64_t total, int64_t tendered, int64_t *change, char **cause)
{
	char a[CART_MONEY_LEN];

	if (total < 0 || tendered < 0)
		return set_cause(cause, "amounts cannot be negative");
	if (tendered < total) {
		cart_money_format(total - tendered, a, sizeof a);
		return set_cause(cause, "%s short", a);
	}
	*change = tendered - total;
	return 0;
}

/* A place with its index in the caller's array, sorted by (row, number). */
struct sorted_place {
	struct cart_place p;
	size_t            i;
};

static int
place_cmp(const void *a, const void *b)
{
	const struct cart_place *x = &((const struct sorted_place *)a)->p;
	const struct cart_place *y = &((const struct sorted_place *)b)->p;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return 0;
}

size_t
cart_best_adjacent(const struct cart_place *p, size_t n, size_t want, size_t *out)
{
	struct sorted_place *sp;
	size_t i, j, r0, r1, best = SIZE_MAX, run;
	uint64_t best_dist = UINT64_MAX, dist, mid_row2, mid_block2;
	int best_row = 0;

	if (want < 1 || want > n)
		return 0;
	sp = xcalloc(n, sizeof *sp);
	for (i = 0; i < n; i++) {
		sp[i].p = p[i];
		sp[i].i = i;
	}
	qsort(sp, n, sizeof *sp, place_cmp);

	for (r0 = 0; r0 < n; r0 = r1) {
		for (r1 = r0; r1 < n && sp[r1].p.row == sp[r0].p.row; r1++)
			;
		if (best != SIZE_MAX && sp[r0].p.row != best_row)
			break;                  /* a row further back than the one found */
		/* Twice the middle of the row, to stay in integers. */
		mid_row2 = (uint64_t)sp[r0].p.number + sp[r1 - 1].p.number;
		run = 0;
		for (j = r0; j < r1; j++) {
			if (!sp[j].p.free || (run > 0 &&
			    sp[j].p.number != sp[j - 1].p.number + 1))
				run = 0;
			if (!sp[j].p.free)
				continue;
			run++;
			if (run < want)
				continue;
			/* The block ends at j and starts at j - want + 1. */
			mid_block2 = (uint64_t)sp[j - want + 1].p.number + sp[j].p.number;
			dist = mid_block2 > mid_row2 ? mid_block2 - mid_row2 : mid_row2 - mid_block2;
			if (dist < best_dist) {
				best_dist = dist;
				best = j - want + 1;
				best_row = sp[j].p.row;
			}
		}
	}
	if (best == SIZE_MAX) {
		free(sp);
		return 0;
	}
	for (i = 0; i < want; i++)
		out[i] = sp[best + i].i;
	free(sp);
	return want;
}
