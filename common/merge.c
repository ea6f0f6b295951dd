/*
 * merge.c: the per-seat merge rule.
 *
 * A replica that receives a version of a seat compares the two vectors:
 *   incoming <= local   known: nothing to do;
 *   local < incoming    incoming descends from local: take it;
 *   concurrent          neither saw the other: keep the greater record by the order below,
 *                       join the vectors, and say what kind of conflict it was.
 *
 * The order must be total (so that every replica picks the same record) and must grow along
 * every allowed change (a record always beats its own ancestors): otherwise a replica that
 * merged a, b then a's descendant x could keep a where another, merging x then b, keeps x,
 * and the replicas would never agree. Merging is then "the greatest record seen, with the join
 * of every vector seen", whatever the order the versions arrive in. The order, most
 * significant first:
 *
 *   1. generation, higher first: a resale after a refund beats everything of the old sale;
 *   2. rank: someone inside (admitted, exited) > a refund (void) > a sale > nothing;
 *      so an admission stands against a concurrent refund of its own ticket;
 *   3. moves (entries and exits on this sale), more first: an exit beats the entry it follows;
 *   4. the earlier sale (sold_at), then the lower issuing device, then the lower serial:
 *      of two concurrent sales the earlier stands;
 *   5. the earlier entry (admitted_at), then the lower gate: of two admissions of one ticket
 *      the earlier stands, the later is the duplicate;
 *   6. the remaining fields, so that the order is total.
 *
 * What kind of conflict a concurrent pair is (if any) is read off the winner and the loser.
 */
#include <string.h>

#include "merge.h"

static const char *conflict_names[] = {
	[CONFLICT_NONE] = "none",
	[CONFLICT_DUPLICATE_ADMISSION] = "duplicate-admission",
	[CONFLICT_DOUBLE_SALE] = "double-sale",
	[CONFLICT_ADMITTED_REFUNDED] = "admitted-refunded",
};

const char *
conflict_kind_name(enum conflict_kind k)
{
	if ((unsigned)k >= nitems(conflict_names))
		return "unknown";
	return conflict_names[k];
}

int
conflict_kind_parse(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(conflict_names); i++) {
		if (strcmp(name, conflict_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

const char *
merge_result_name(enum merge_result m)
{
	switch (m) {
	case MERGE_KNOWN:
		return "known";
	case MERGE_TAKEN:
		return "taken";
	case MERGE_RESOLVED:
		return "resolved";
	}
	return "unknown";
}

void
seat_rec_init(struct seat_rec *r, uint32_t event_id, uint32_t seat_id)
{
	memset(r, 0, sizeof *r);
	r->event_id = event_id;
	r->seat_id = seat_id;
	r->state = SEAT_AVAILABLE;
	vv_init(&r->vv);
}

void
seat_rec_free(struct seat_rec *r)
{
	vv_free(&r->vv);
}

void
seat_rec_copy(struct seat_rec *dst, const struct seat_rec *src)
{
	struct vv v;

	vv_init(&v);
	vv_copy(&v, &src->vv);
	vv_free(&dst->vv);
	*dst = *src;
	dst->vv = v;
}

static int
inside(const struct seat_rec *r)
{
	return r->state == SEAT_ADMITTED || r->state == SEAT_EXITED;
}

int
seat_rec_has_sale(const struct seat_rec *r)
{
	return r->state == SEAT_SOLD || inside(r);
}

static int
rank(const struct seat_rec *r)
{
	switch (r->state) {
	case SEAT_ADMITTED:
	case SEAT_EXITED:
		return 3;
	case SEAT_VOID:
		return 2;
	case SEAT_SOLD:
		return 1;
	case SEAT_HELD:
	case SEAT_AVAILABLE:
		break;
	}
	return 0;
}

int
seat_rec_same_sale(const struct seat_rec *a, const struct seat_rec *b)
{
	return a->generation == b->generation && a->key_id == b->key_id &&
	    a->serial == b->serial;
}

/* Compare by one field: a positive result means a is greater (wins). */
#define HIGHER(x, y) do {			\
	if ((x) != (y))				\
		return (x) > (y) ? 1 : -1;	\
} while (0)
#define LOWER(x, y) do {			\
	if ((x) != (y))				\
		return (x) < (y) ? 1 : -1;	\
} while (0)

/* The total order of the top of the file: > 0 when a wins. */
static int
order(const struct seat_rec *a, const struct seat_rec *b)
{
	HIGHER(a->generation, b->generation);
	HIGHER(rank(a), rank(b));
	HIGHER(a->moves, b->moves);
	LOWER(a->sold_at, b->sold_at);
	LOWER(a->key_id, b->key_id);
	LOWER(a->serial, b->serial);
	LOWER(a->admitted_at, b->admitted_at);
	LOWER(a->admitted_by, b->admitted_by);
	LOWER(a->exited_at, b->exited_at);
	LOWER(a->state, b->state);
	LOWER(a->changed_at, b->changed_at);
	LOWER(a->changed_by, b->changed_by);
	LOWER(a->tier, b->tier);
	LOWER(a->price, b->price);
	return 0;               /* equal in every field: either is the same record */
}

/* What the concurrent pair (w won, l lost) means for staff. */
static void
classify(const struct seat_rec *w, const struct seat_rec *l, struct conflict *c)
{
	const struct seat_rec *first, *other;

	memset(c, 0, sizeof c[0]);
	c->event_id = w->event_id;
	c->seat_id = w->seat_id;
	if (inside(w) && inside(l) && seat_rec_same_sale(w, l)) {
		/* Who came in first; the other came in again, unless the first had left. */
		first = l->admitted_at < w->admitted_at || (l->admitted_at == w->admitted_at &&
		    l->admitted_by < w->admitted_by) ? l : w;
		other = first == w ? l : w;
		if (first->admitted_by == other->admitted_by &&
		    first->admitted_at == other->admitted_at)
			return;         /* one entry, seen in two histories */
		if (first->state == SEAT_EXITED && first->exited_at != 0 &&
		    other->admitted_at >= first->exited_at)
			return;         /* left, then came back in elsewhere */
		c->kind = CONFLICT_DUPLICATE_ADMISSION;
		c->winner_device = first->admitted_by;
		c->winner_at = first->admitted_at;
		c->loser_device = other->admitted_by;
		c->loser_at = other->admitted_at;
		c->loser_key_id = other->key_id;
		c->loser_serial = other->serial;
		return;
	}
	if (inside(w) && l->state == SEAT_VOID && seat_rec_same_sale(w, l))
		c->kind = CONFLICT_ADMITTED_REFUNDED;
	else if (inside(l) && !seat_rec_same_sale(w, l) && w->generation > l->generation)
		c->kind = CONFLICT_ADMITTED_REFUNDED;
	else if ((seat_rec_has_sale(w) || w->state == SEAT_VOID) && seat_rec_has_sale(l) &&
	    !seat_rec_same_sale(w, l))
		c->kind = CONFLICT_DOUBLE_SALE;
	else
		return;
	if (c->kind == CONFLICT_DOUBLE_SALE) {
		c->winner_device = w->key_id;
		c->winner_at = w->sold_at;
		c->loser_device = l->key_id;
		c->loser_at = l->sold_at;
	} else if (inside(w)) {
		c->winner_device = w->admitted_by;
		c->winner_at = w->admitted_at;
		c->loser_device = l->changed_by;
		c->loser_at = l->changed_at;
	} else {
		c->winner_device = w->changed_by;
		c->winner_at = w->changed_at;
		c->loser_device = l->admitted_by;
		c->loser_at = l->admitted_at;
	}
	c->loser_key_id = l->key_id;
	c->loser_serial = l->serial;
}

enum merge_result
merge_seat(struct seat_rec *local, const struct seat_rec *incoming, struct conflict *c)
{
	struct vv joined;

	memset(c, 0, sizeof *c);
	switch (vv_compare(&incoming->vv, &local->vv)) {
	case VV_EQUAL:
	case VV_BEFORE:
		return MERGE_KNOWN;
	case VV_AFTER:
		seat_rec_copy(local, incoming);
		return MERGE_TAKEN;
	case VV_CONCURRENT:
		break;
	}

	vv_init(&joined);
	vv_copy(&joined, &local->vv);
	vv_join(&joined, &incoming->vv);
	if (order(incoming, local) > 0) {
		classify(incoming, local, c);
		seat_rec_copy(local, incoming);
	} else
		classify(local, incoming, c);
	vv_free(&local->vv);
	local->vv = joined;
	return MERGE_RESOLVED;
}
