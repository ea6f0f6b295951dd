/* test_cart.c: money parsing and formatting, the cart, change due, and the best adjacent seats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cart.h"

static void
test_money_parse(void **state)
{
	static const struct {
		const char *in;
		int64_t     want;
	} good[] = {
		{ "0", 0 }, { "50", 5000 }, { "50.5", 5050 }, { "50.50", 5050 }, { "50.05", 5005 },
		{ "0.07", 7 }, { " 12.00 ", 1200 }, { "007", 700 }, { "1000000000", 100000000000 },
		{ "999999999.99", 99999999999 },
	};
	static const char *bad[] = {
		"", " ", "-1", "+1", "1.", ".5", "1.234", "1,00", "1e3", "abc", "1 2", "0x10",
		"1000000000.01", "99999999999999999999", "1..2", "12.3.4",
	};
	int64_t v;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		cause = NULL;
		if (cart_money_parse(good[i].in, &v, &cause) != 0)
			fail_msg("\"%s\": %s", good[i].in, cause);
		assert_int_equal(v, good[i].want);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		v = -42;
		if (cart_money_parse(bad[i], &v, &cause) == 0)
			fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)v);
		assert_non_null(cause);
		assert_int_equal(v, -42);
		free(cause);
	}
}

static void
test_money_format(void **state)
{
	char b[CART_MONEY_LEN];

	(void)state;
	cart_money_format(0, b, sizeof b);
	assert_string_equal(b, "0.00");
	cart_money_format(7, b, sizeof b);
	assert_string_equal(b, "0.07");
	cart_money_format(4500, b, sizeof b);
	assert_string_equal(b, "45.00");
	cart_money_format(-350, b, sizeof b);
	assert_string_equal(b, "-3.50");
	cart_money_format(INT64_MIN, b, sizeof b);
	assert_string_equal(b, "-92233720368547758.08");
	cart_money_format(123456, b, 4);
	assert_string_equal(b, "123");
}

static struct cart_item
item(uint32_t id, const char *label, int64_t price)
{
	struct cart_item it;

	memset(&it, 0, sizeof it);
	it.seat_id = id;
	snprintf(it.label, sizeof it.label, "%s", label);
	snprintf(it.tier_name, sizeof it.tier_name, "Stalls");
	it.price = price;
	return it;
}

static void
test_cart_items(void **state)
{
	struct cart c = { 0 };
	struct cart_item it;
	uint32_t i;

	(void)state;
	assert_int_equal(cart_total(&c), 0);
	it = item(1, "A-1-1", 4500);
	assert_int_equal(cart_add(&c, &it), 0);
	assert_int_equal(cart_add(&c, &it), 1);             /* not twice */
	it = item(2, "A-1-2", 4500);
	assert_int_equal(cart_add(&c, &it), 0);
	it = item(3, "CIRCLE-1-1", 3000);
	assert_int_equal(cart_add(&c, &it), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(cart_total(&c), 12000);
	assert_int_equal(cart_find(&c, 2), 1);
	assert_int_equal(cart_remove(&c, 2), 0);
	assert_int_equal(cart_remove(&c, 2), -1);
	assert_int_equal(cart_find(&c, 2), -1);
	assert_int_equal(cart_find(&c, 3), 1);              /* order kept */
	assert_int_equal(cart_total(&c), 7500);
	for (i = 10; i < 100; i++) {                        /* grows */
		it = item(i, "B-1-1", 100);
		assert_int_equal(cart_add(&c, &it), 0);
	}
	assert_int_equal(cart_total(&c), 7500 + 90 * 100);
	cart_clear(&c);
	assert_int_equal(c.n, 0);
	assert_int_equal(cart_total(&c), 0);
	cart_free(&c);
	cart_free(&c);
}

static void
test_change(void **state)
{
	int64_t ch = -1;
	char *cause = NULL;

	(void)state;
	assert_int_equal(cart_change(9000, 10000, &ch, &cause), 0);
	assert_int_equal(ch, 1000);
	assert_int_equal(cart_change(9000, 9000, &ch, &cause), 0);
	assert_int_equal(ch, 0);
	assert_int_equal(cart_change(0, 0, &ch, &cause), 0);
	assert_int_equal(ch, 0);
	ch = -1;
	assert_int_equal(cart_change(9000, 8999, &ch, &cause), -1);
	assert_string_equal(cause, "0.01 short");
	assert_int_equal(ch, -1);
	free(cause);
	cause = NULL;
	assert_int_equal(cart_change(-1, 0, &ch, &cause), -1);
	free(cause);
}

/* A map from text: one line per row (front first); a char per seat number from 1: '.' free,
 * 'x' taken, ' ' no seat with that number (a gap). */
static size_t
map(const char *const *rows, struct cart_place *p)
{
	size_t n = 0;
	int r;
	const char *c;

	for (r = 0; rows[r] != NULL; r++) {
		for (c = rows[r]; *c != '\0'; c++) {
			if (*c == ' ')
				continue;
			p[n].row = r;
			p[n].number = (uint32_t)(c - rows[r] + 1);
			p[n].free = *c == '.';
			n++;
		}
	}
	return n;
}

/* Run best-N and describe the result as "row:first-last" for the test to compare. */
static void
best(const char *const *rows, size_t want, const char *expect)
{
	struct cart_place p[256];
	size_t out[64], n, got, i;
	char desc[64];

	n = map(rows, p);
	got = cart_best_adjacent(p, n, want, out);
	if (expect == NULL) {
		assert_int_equal(got, 0);
		return;
	}
	assert_int_equal(got, want);
	for (i = 0; i < want; i++) {
		assert_true(p[out[i]].free);
		assert_int_equal(p[out[i]].row, p[out[0]].row);
		if (i > 0)
			assert_int_equal(p[out[i]].number, p[out[i - 1]].number + 1);
	}
	snprintf(desc, sizeof desc, "%d:%u-%u", p[out[0]].row, p[out[0]].number,
	    p[out[want - 1]].number);
	assert_string_equal(desc, expect);
}

static void
test_best_adjacent(void **state)
{
	static const char *const empty[] = { "..........", "..........", NULL };
	static const char *const front_full[] = { "xxxxxxxxxx", "..........", NULL };
	static const char *const centre_taken[] = { "....xx....", NULL };
	static const char *const edges_only[] = { "..xxxxxx..", NULL };
	static const char *const gap[] = { "xx..  ..xx", NULL };      /* a sound desk at 5-6 */
	static const char *const gap_back[] = { "xx..  ..xx", "x...xxxxxx", NULL };
	static const char *const scattered[] = { ".x.x.x.x.x", NULL };
	static const char *const odd[] = { ".........", NULL };
	static const char *const ragged[] = { "xx....", "..........xx", NULL };
	static const char *const one_left[] = { "xxxxxxxxx.", NULL };
	static const char *const all_taken[] = { "xxxx", "xxxx", NULL };

	(void)state;
	best(empty, 2, "0:5-6");            /* the middle of the front row */
	best(empty, 1, "0:5-5");            /* a tie between 5 and 6: the lower */
	best(empty, 10, "0:1-10");          /* a whole row */
	best(empty, 11, NULL);              /* longer than any row */
	best(front_full, 3, "1:4-6");
	best(centre_taken, 2, "0:3-4");     /* either side of the middle: the lower numbers */
	best(centre_taken, 4, "0:1-4");
	best(centre_taken, 5, NULL);
	best(edges_only, 2, "0:1-2");       /* both edges tie: the lower */
	best(edges_only, 3, NULL);
	best(gap, 2, "0:3-4");              /* 4 and 7 are not adjacent across the gap */
	best(gap, 3, NULL);
	best(gap_back, 3, "1:2-4");         /* the front row cannot, the second can */
	best(scattered, 1, "0:5-5");
	best(scattered, 2, NULL);
	best(odd, 3, "0:4-6");              /* exactly centred */
	best(ragged, 4, "0:3-6");           /* the front row first, even off-centre */
	best(ragged, 5, "1:4-8");           /* 4-8 and 5-9 tie */
	best(one_left, 1, "0:10-10");       /* the very edge */
	best(one_left, 2, NULL);
	best(all_taken, 1, NULL);
	best(empty, 0, NULL);
}

/* Places given in any order: the answer does not depend on it. */
static void
test_best_unordered(void **state)
{
	struct cart_place p[6] = {
		{ 1, 3, 1 }, { 0, 2, 0 }, { 1, 1, 1 }, { 0, 1, 1 }, { 1, 2, 1 }, { 0, 3, 1 },
	};
	size_t out[3];

	(void)state;
	assert_int_equal(cart_best_adjacent(p, 6, 2, out), 2);
	assert_int_equal(out[0], 2);        /* row 1, seats 1-2 (row 0 has no pair) */
	assert_int_equal(out[1], 4);
	assert_int_equal(cart_best_adjacent(p, 6, 3, out), 3);
	assert_int_equal(p[out[0]].number, 1);
	assert_int_equal(p[out[2]].number, 3);
	assert_int_equal(cart_best_adjacent(p, 6, 7, out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_parse),
		cmocka_unit_test(test_money_format),
		cmocka_unit_test(test_cart_items),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_best_adjacent),
		cmocka_unit_test(test_best_unordered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
