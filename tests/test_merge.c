/* test_merge.c: the per-seat merge rule: each conflict of DESIGN.md, symmetry, convergence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge.h"

/* A record after device dev changed it at time at, descending from base. */
static void
derive(struct seat_rec *r, const struct seat_rec *base, uint32_t dev, int64_t at,
    enum seat_state state)
{
	seat_rec_init(r, 1, 7);
	seat_rec_copy(r, base);
	vv_increment(&r->vv, dev);
	r->state = state;
	r->changed_by = dev;
	r->changed_at = at;
	switch (state) {
	case SEAT_SOLD:
		if (base->state == SEAT_VOID)
			r->generation++;
		r->moves = 0;
		r->key_id = dev;
		r->serial = 100 + dev;
		r->sold_at = at;
		r->price = 2500;
		break;
	case SEAT_ADMITTED:
		r->admitted_by = dev;
		r->admitted_at = at;
		r->moves++;
		break;
	case SEAT_EXITED:
		r->exited_at = at;
		r->moves++;
		break;
	case SEAT_VOID:
		break;
	default:
		break;
	}
}

static int
rec_equal(const struct seat_rec *a, const struct seat_rec *b)
{
	return a->state == b->state && vv_compare(&a->vv, &b->vv) == VV_EQUAL &&
	    a->generation == b->generation && a->key_id == b->key_id && a->serial == b->serial &&
	    a->tier == b->tier && a->price == b->price && a->sold_at == b->sold_at &&
	    a->admitted_by == b->admitted_by && a->admitted_at == b->admitted_at &&
	    a->exited_at == b->exited_at && a->moves == b->moves && a->changed_by == b->changed_by &&
	    a->changed_at == b->changed_at;
}

/* Merge both ways round; both must give the same record and conflict. */
static enum conflict_kind
merge_both(const struct seat_rec *a, const struct seat_rec *b, struct seat_rec *out,
    struct conflict *c)
{
	struct seat_rec x, y;
	struct conflict c1, c2;
	enum merge_result m1, m2;

	seat_rec_init(&x, 0, 0);
	seat_rec_init(&y, 0, 0);
	seat_rec_copy(&x, a);
	seat_rec_copy(&y, b);
	m1 = merge_seat(&x, b, &c1);
	m2 = merge_seat(&y, a, &c2);
	assert_int_equal(m1, m2);
	assert_true(rec_equal(&x, &y));
	assert_int_equal(c1.kind, c2.kind);
	assert_int_equal(c1.winner_device, c2.winner_device);
	assert_int_equal(c1.loser_device, c2.loser_device);
	seat_rec_copy(out, &x);
	*c = c1;
	seat_rec_free(&x);
	seat_rec_free(&y);
	return c1.kind;
}

static void
test_known_and_taken(void **state)
{
	struct seat_rec base, sold, admitted, local;
	struct conflict c;

	(void)state;
	seat_rec_init(&base, 1, 7);
	derive(&sold, &base, 3, 1000, SEAT_SOLD);
	derive(&admitted, &sold, 9, 2000, SEAT_ADMITTED);

	seat_rec_init(&local, 1, 7);
	seat_rec_copy(&local, &admitted);
	assert_int_equal(merge_seat(&local, &sold, &c), MERGE_KNOWN);
	assert_int_equal(local.state, SEAT_ADMITTED);
	assert_int_equal(merge_seat(&local, &admitted, &c), MERGE_KNOWN);

	seat_rec_copy(&local, &sold);
	assert_int_equal(merge_seat(&local, &admitted, &c), MERGE_TAKEN);
	assert_true(rec_equal(&local, &admitted));
	assert_int_equal(c.kind, CONFLICT_NONE);

	seat_rec_free(&base);
	seat_rec_free(&sold);
	seat_rec_free(&admitted);
	seat_rec_free(&local);
}

static void
test_duplicate_admission(void **state)
{
	struct seat_rec base, sold, a, b, out;
	struct conflict c;

	(void)state;
	seat_rec_init(&base, 1, 7);
	seat_rec_init(&out, 1, 7);
	derive(&sold, &base, 3, 1000, SEAT_SOLD);
	derive(&a, &sold, 10, 5000, SEAT_ADMITTED);     /* gate 10, later */
	derive(&b, &sold, 11, 4000, SEAT_ADMITTED);     /* gate 11, earlier */
	assert_int_equal(merge_both(&a, &b, &out, &c), CONFLICT_DUPLICATE_ADMISSION);
	assert_int_equal(out.admitted_by, 11);          /* the earlier admission stands */
	assert_int_equal(out.admitted_at, 4000);
	assert_int_equal(c.winner_device, 11);
	assert_int_equal(c.winner_at, 4000);
	assert_int_equal(c.loser_device, 10);
	assert_int_equal(c.loser_at, 5000);
	assert_int_equal(vv_get(&out.vv, 10), 1);       /* joined */
	assert_int_equal(vv_get(&out.vv, 11), 1);
	assert_int_equal(vv_get(&out.vv, 3), 1);

	/* Same time: the lower gate id wins, either way round. */
	b.admitted_at = a.admitted_at = 4000;
	assert_int_equal(merge_both(&a, &b, &out, &c), CONFLICT_DUPLICATE_ADMISSION);
	assert_int_equal(out.admitted_by, 10);

	seat_rec_free(&base);
	seat_rec_free(&sold);
	seat_rec_free(&a);
	seat_rec_free(&b);
	seat_rec_free(&out);
}

static void
test_reentry_elsewhere_is_not_a_duplicate(void **state)
{
	struct seat_rec base, sold, in, out_a, b, out;
	struct conflict c;

	(void)state;
	seat_rec_init(&base, 1, 7);
	seat_rec_init(&out, 1, 7);
	derive(&sold, &base, 3, 1000, SEAT_SOLD);
	derive(&in, &sold, 10, 2000, SEAT_ADMITTED);
	derive(&out_a, &in, 10, 3000, SEAT_EXITED);     /* left through gate 10 */
	derive(&b, &sold, 11, 3500, SEAT_ADMITTED);     /* came back through gate 11 */
	assert_int_equal(merge_both(&out_a, &b, &out, &c), CONFLICT_NONE);
	/* More movements win: the exit (docs/sync-protocol.md names this limit). */
	assert_int_equal(out.state, SEAT_EXITED);

	/* Gate 11 let the ticket in before gate 10's holder left: a duplicate. */
	b.admitted_at = 2500;
	assert_int_equal(merge_both(&out_a, &b, &out, &c), CONFLICT_DUPLICATE_ADMISSION);
	assert_int_equal(c.winner_device, 10);
	assert_int_equal(c.loser_device, 11);

	seat_rec_free(&base);
	seat_rec_free(&sold);
	seat_rec_free(&in);
	seat_rec_free(&out_a);
	seat_rec_free(&b);
	seat_rec_free(&out);
}

static void
test_double_sale(void **state)
{
	struct seat_rec base, a, b, out;
	struct conflict c;

	(void)state;
	seat_rec_init(&base, 1, 7);
	seat_rec_init(&out, 1, 7);
	derive(&a, &base, 4, 1500, SEAT_SOLD);          /* box office 4, later */
	derive(&b, &base, 5, 1200, SEAT_SOLD);          /* box office 5, earlier */
	assert_int_equal(merge_both(&a, &b, &out, &c), CONFLICT_DOUBLE_SALE);
	assert_int_equal(out.key_id, 5);
	assert_int_equal(out.serial, 105);
	assert_int_equal(c.winner_device, 5);
	assert_int_equal(c.loser_device, 4);
	assert_int_equal(c.loser_key_id, 4);
	assert_int_equal(c.loser_serial, 104);

	/* A tie on time: the lower device id. */
	a.sold_at = b.sold_at = 1200;
	assert_int_equal(merge_both(&a, &b, &out, &c), CONFLICT_DOUBLE_SALE);
	assert_int_equal(out.key_id, 4);

	seat_rec_free(&base);
	seat_rec_free(&a);
	seat_rec_free(&b);
	seat_rec_free(&out);
}

static void
test_admitted_refunded(void **state)
{
	struct seat_rec base, sold, in, refunded, out;
	struct conflict c;

	(void)state;
	seat_rec_init(&base, 1, 7);
	seat_rec_init(&out, 1, 7);
	derive(&sold, &base, 3, 1000, SEAT_SOLD);
	derive(&in, &sold, 10, 2000, SEAT_ADMITTED);
	derive(&refunded, &sold, 3, 1900, SEAT_VOID);
	assert_int_equal(merge_both(&in, &refunded, &out, &c), CONFLICT_ADMITTED_REFUNDED);
	assert_int_equal(out.state, SEAT_ADMITTED);     /* the admission stands */
	assert_int_equal(out.admitted_by, 10);

	seat_rec_free(&base);
	seat_rec_free(&sold);
	seat_rec_free(&in);
	seat_rec_free(&refunded);
	seat_rec_free(&out);
}

/*
 * Convergence: devices change their own copy of one seat (only as the state machine allows)
 * and now and then merge another device's copy, as sync does. Every version any device ever
 * held, merged into a fresh replica in any order, gives one and the same record.
 */
static void
test_convergence_random(void **state)
{
	enum { DEVICES = 4, STEPS = 12, MAXV = DEVICES + STEPS, ROUNDS = 400, ORDERS = 8 };
	static const enum seat_state states[] = { SEAT_SOLD, SEAT_ADMITTED, SEAT_EXITED,
	    SEAT_VOID };
	struct seat_rec dev[DEVICES], v[MAXV], first, r, next;
	struct conflict c;
	unsigned seed = 12345;
	int round, i, k, nv, step, order[MAXV];

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		nv = 0;
		for (i = 0; i < DEVICES; i++)
			seat_rec_init(&dev[i], 1, 7);
		for (step = 0; step < STEPS; step++) {
			int d = rand_r(&seed) % DEVICES, o = rand_r(&seed) % DEVICES;
			enum seat_state to = states[rand_r(&seed) % 4];

			if (rand_r(&seed) % 3 == 0 && o != d) {
				(void)merge_seat(&dev[d], &dev[o], &c);
				continue;
			}
			if (seat_transition(dev[d].state, to, 1, NULL) != 0)
				continue;
			derive(&next, &dev[d], 1 + (uint32_t)d, 1000 + rand_r(&seed) % 20, to);
			seat_rec_copy(&dev[d], &next);
			seat_rec_free(&next);
			seat_rec_init(&v[nv], 1, 7);
			seat_rec_copy(&v[nv++], &dev[d]);
		}
		seat_rec_init(&first, 1, 7);
		for (k = 0; k < ORDERS; k++) {
			for (i = 0; i < nv; i++)
				order[i] = i;
			for (i = nv - 1; i > 0; i--) {
				int j = rand_r(&seed) % (i + 1), t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
			seat_rec_init(&r, 1, 7);
			for (i = 0; i < nv; i++)
				(void)merge_seat(&r, &v[order[i]], &c);
			if (k == 0)
				seat_rec_copy(&first, &r);
			else
				assert_true(rec_equal(&first, &r));
			seat_rec_free(&r);
		}
		/* The result includes every version. */
		for (i = 0; i < nv; i++) {
			enum vv_order o = vv_compare(&v[i].vv, &first.vv);

			assert_true(o == VV_BEFORE || o == VV_EQUAL);
		}
		seat_rec_free(&first);
		for (i = 0; i < nv; i++)
			seat_rec_free(&v[i]);
		for (i = 0; i < DEVICES; i++)
			seat_rec_free(&dev[i]);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(conflict_kind_name(CONFLICT_DUPLICATE_ADMISSION),
	    "duplicate-admission");
	assert_int_equal(conflict_kind_parse("double-sale"), CONFLICT_DOUBLE_SALE);
	assert_int_equal(conflict_kind_parse("nonsense"), -1);
	assert_string_equal(merge_result_name(MERGE_RESOLVED), "resolved");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_and_taken),
		cmocka_unit_test(test_duplicate_admission),
		cmocka_unit_test(test_reentry_elsewhere_is_not_a_duplicate),
		cmocka_unit_test(test_double_sale),
		cmocka_unit_test(test_admitted_refunded),
		cmocka_unit_test(test_convergence_random),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
