/* test_vv.c: version vectors, checked exhaustively against a reference on small vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vv.h"

/*
 * The small space: three devices (ids chosen so that deltas take 1, 2 and 3 varint bytes),
 * counts 0..2: 27 vectors, numbered k = c0 + 3 c1 + 9 c2.
 */
#define NDEV    3
#define NVEC    27
static const uint32_t devices[NDEV] = { 0, 130, 70000 };

struct ref {
	uint32_t c[NDEV];
};

static struct ref
ref_of(int k)
{
	struct ref	r;
	int		d;

	for (d = 0; d < NDEV; d++) {
		r.c[d] = (uint32_t)(k % 3);
		k /= 3;
	}
	return r;
}

static int
ref_le(const struct ref *a, const struct ref *b)
{
	int	d;

	for (d = 0; d < NDEV; d++) {
		if (a->c[d] > b->c[d])
			return 0;
	}
	return 1;
}

/* The textbook definition: equal, a < b, a > b, or neither. */
static enum vv_order
ref_compare(const struct ref *a, const struct ref *b)
{
	int	le = ref_le(a, b), ge = ref_le(b, a);

	if (le && ge)
		return VV_EQUAL;
	if (le)
		return VV_BEFORE;
	if (ge)
		return VV_AFTER;
	return VV_CONCURRENT;
}

/* Sorted, no zero counts, n <= cap. */
static void
check_canonical(const struct vv *v)
{
	size_t	i;

	assert_true(v->n <= v->cap || (v->n == 0 && v->e == NULL));
	for (i = 0; i < v->n; i++) {
		assert_int_not_equal(v->e[i].count, 0);
		if (i > 0)
			assert_true(v->e[i - 1].device < v->e[i].device);
	}
}

/* v must match r exactly (and be canonical). */
static void
check_matches(const struct vv *v, const struct ref *r)
{
	size_t	n = 0;
	int	d;

	check_canonical(v);
	for (d = 0; d < NDEV; d++) {
		assert_int_equal(vv_get(v, devices[d]), r->c[d]);
		if (r->c[d] != 0)
			n++;
	}
	assert_int_equal(v->n, n);
}

/* Build the vector for r the way devices do: one increment per change, devices interleaved. */
static void
build(struct vv *v, const struct ref *r)
{
	uint32_t	round;
	int		d;

	vv_init(v);
	for (round = 1; round <= 2; round++) {
		for (d = NDEV - 1; d >= 0; d--) {
			if (r->c[d] >= round)
				vv_increment(v, devices[d]);
		}
	}
	check_matches(v, r);
}

static void
vec_equal(const struct vv *a, const struct vv *b)
{
	size_t	i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->e[i].device, b->e[i].device);
		assert_int_equal(a->e[i].count, b->e[i].count);
	}
}

static struct vv vecs[NVEC];
static struct ref refs[NVEC];

static int
setup(void **state)
{
	int	k;

	(void)state;
	for (k = 0; k < NVEC; k++) {
		refs[k] = ref_of(k);
		build(&vecs[k], &refs[k]);
	}
	return 0;
}

static int
teardown(void **state)
{
	int	k;

	(void)state;
	for (k = 0; k < NVEC; k++)
		vv_free(&vecs[k]);
	return 0;
}

static void
test_compare_all_pairs(void **state)
{
	enum vv_order	got, want;
	int		a, b, n[4] = { 0 };

	(void)state;
	for (a = 0; a < NVEC; a++) {
		for (b = 0; b < NVEC; b++) {
			want = ref_compare(&refs[a], &refs[b]);
			got = vv_compare(&vecs[a], &vecs[b]);
			if (got != want)
				fail_msg("compare(%d, %d) = %s, want %s", a, b, vv_order_name(got),
				    vv_order_name(want));
			n[got]++;
		}
	}
	/* Every outcome occurs in the space, and equal only on the diagonal. */
	assert_int_equal(n[VV_EQUAL], NVEC);
	assert_true(n[VV_BEFORE] > 0 && n[VV_BEFORE] == n[VV_AFTER] && n[VV_CONCURRENT] > 0);
	assert_int_equal(n[VV_EQUAL] + n[VV_BEFORE] + n[VV_AFTER] + n[VV_CONCURRENT], NVEC * NVEC);
}

static void
join_of(struct vv *out, int a, int b)
{
	vv_init(out);
	vv_copy(out, &vecs[a]);
	vv_join(out, &vecs[b]);
	check_canonical(out);
}

static void
test_join_all_pairs(void **state)
{
	struct vv	ab, ba;
	struct ref	max;
	enum vv_order	o;
	int		a, b, c, d;

	(void)state;
	for (a = 0; a < NVEC; a++) {
		for (b = 0; b < NVEC; b++) {
			join_of(&ab, a, b);
			join_of(&ba, b, a);
			for (d = 0; d < NDEV; d++) {
				max.c[d] = refs[a].c[d] > refs[b].c[d] ? refs[a].c[d] :
				    refs[b].c[d];
			}
			check_matches(&ab, &max);
			vec_equal(&ab, &ba);                            /* commutative */
			o = vv_compare(&vecs[a], &ab);                  /* upper bound */
			assert_true(o == VV_BEFORE || o == VV_EQUAL);
			o = vv_compare(&vecs[b], &ab);
			assert_true(o == VV_BEFORE || o == VV_EQUAL);
			/* least: below every other upper bound in the space */
			for (c = 0; c < NVEC; c++) {
				if (ref_le(&refs[a], &refs[c]) && ref_le(&refs[b], &refs[c])) {
					o = vv_compare(&ab, &vecs[c]);
					assert_true(o == VV_BEFORE || o == VV_EQUAL);
				}
			}
			/* a <= b exactly when the join is b */
			assert_int_equal(ref_le(&refs[a], &refs[b]),
			    vv_compare(&ab, &vecs[b]) == VV_EQUAL);
			vv_free(&ab);
			vv_free(&ba);
		}
	}
}

static void
test_join_idempotent_self(void **state)
{
	struct vv	v;
	int		a;

	(void)state;
	for (a = 0; a < NVEC; a++) {
		join_of(&v, a, a);
		vec_equal(&v, &vecs[a]);
		vv_join(&v, &v);                /* aliased */
		vec_equal(&v, &vecs[a]);
		vv_free(&v);
	}
}

static void
test_join_associative(void **state)
{
	struct vv	l, r, bc;
	int		a, b, c;

	(void)state;
	for (a = 0; a < NVEC; a++) {
		for (b = 0; b < NVEC; b++) {
			join_of(&l, a, b);
			for (c = 0; c < NVEC; c++) {
				struct vv lc;

				vv_init(&lc);
				vv_copy(&lc, &l);
				vv_join(&lc, &vecs[c]);         /* (a v b) v c */
				join_of(&bc, b, c);
				vv_init(&r);
				vv_copy(&r, &vecs[a]);
				vv_join(&r, &bc);               /* a v (b v c) */
				vec_equal(&lc, &r);
				vv_free(&lc);
				vv_free(&r);
				vv_free(&bc);
			}
			vv_free(&l);
		}
	}
}

static void
test_increment(void **state)
{
	struct vv	v;
	struct ref	want;
	int		a, d;

	(void)state;
	for (a = 0; a < NVEC; a++) {
		for (d = 0; d < NDEV; d++) {
			vv_init(&v);
			vv_copy(&v, &vecs[a]);
			vv_increment(&v, devices[d]);
			want = refs[a];
			want.c[d]++;
			check_matches(&v, &want);
			assert_int_equal(vv_compare(&vecs[a], &v), VV_BEFORE);
			assert_int_equal(vv_compare(&v, &vecs[a]), VV_AFTER);
			vv_free(&v);
		}
	}

	/* Insertion at the front, middle and end of a longer vector; absent devices read 0. */
	vv_init(&v);
	vv_increment(&v, 50);
	vv_increment(&v, 10);
	vv_increment(&v, 30);
	vv_increment(&v, UINT32_MAX);
	vv_increment(&v, 0);
	vv_increment(&v, 30);
	check_canonical(&v);
	assert_int_equal(v.n, 5);
	assert_int_equal(vv_get(&v, 30), 2);
	assert_int_equal(vv_get(&v, UINT32_MAX), 1);
	assert_int_equal(vv_get(&v, 0), 1);
	assert_int_equal(vv_get(&v, 31), 0);
	vv_free(&v);
	assert_int_equal(v.n, 0);
	assert_null(v.e);
	assert_int_equal(vv_get(&v, 1), 0);
}

static void
test_copy_and_names(void **state)
{
	struct vv	v;

	(void)state;
	vv_init(&v);
	vv_copy(&v, &vecs[NVEC - 1]);
	vec_equal(&v, &vecs[NVEC - 1]);
	vv_copy(&v, &vecs[0]);                  /* shrink to empty */
	assert_int_equal(v.n, 0);
	vv_copy(&v, &v);
	vv_free(&v);
	assert_string_equal(vv_order_name(VV_EQUAL), "equal");
	assert_string_equal(vv_order_name(VV_BEFORE), "before");
	assert_string_equal(vv_order_name(VV_AFTER), "after");
	assert_string_equal(vv_order_name(VV_CONCURRENT), "concurrent");
}

static void
roundtrip_bytes(const struct vv *v)
{
	struct vv	 d;
	uint8_t		*buf, *buf2;
	size_t		 len, len2;
	char		*cause = NULL;

	len = vv_encode(v, &buf);
	vv_init(&d);
	if (vv_decode(buf, len, &d, &cause) != 0)
		fail_msg("decode: %s", cause);
	vec_equal(&d, v);
	len2 = vv_encode(&d, &buf2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	free(buf);
	free(buf2);
	vv_free(&d);
}

static void
test_encode_roundtrip(void **state)
{
	struct vv	 v;
	uint8_t		*buf;
	size_t		 len;
	int		 a;
	uint32_t	 i;
	static const uint8_t empty[] = { 0x00 };
	/* {0:1, 130:2, 70000:2}: deltas 0, 130, 69870 */
	static const uint8_t full[] = { 0x03, 0x00, 0x01, 0x82, 0x01, 0x02, 0xee, 0xa1, 0x04,
	    0x02 };

	(void)state;
	for (a = 0; a < NVEC; a++)
		roundtrip_bytes(&vecs[a]);

	len = vv_encode(&vecs[0], &buf);
	assert_int_equal(len, sizeof empty);
	assert_memory_equal(buf, empty, len);
	free(buf);
	len = vv_encode(&vecs[1 + 2 * 3 + 2 * 9], &buf);
	assert_int_equal(len, sizeof full);
	assert_memory_equal(buf, full, len);
	free(buf);

	/* Extremes: device and count UINT32_MAX take 5 bytes each; many entries. */
	vv_init(&v);
	vv_increment(&v, UINT32_MAX);
	v.e[0].count = UINT32_MAX;
	vv_increment(&v, 0);
	roundtrip_bytes(&v);
	len = vv_encode(&v, &buf);
	assert_int_equal(len, 1 + 2 + 5 + 5);
	free(buf);
	for (i = 1; i < 1000; i++)
		vv_increment(&v, i * 4000000u);
	roundtrip_bytes(&v);
	vv_free(&v);
}

/* decode must refuse buf and leave the vector it was given alone. */
static void
refuse(const uint8_t *buf, size_t len, const char *expect)
{
	struct vv	 v;
	char		*cause = NULL;

	vv_init(&v);
	vv_increment(&v, 42);
	if (vv_decode(buf, len, &v, &cause) == 0)
		fail_msg("decode accepted %zu bytes (expecting \"%s\")", len, expect);
	assert_non_null(cause);
	if (strstr(cause, expect) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, expect);
	free(cause);
	assert_int_equal(v.n, 1);
	assert_int_equal(vv_get(&v, 42), 1);
	vv_free(&v);
}

static void
test_decode_refuses(void **state)
{
	uint8_t		*buf;
	size_t		 len, i;

	(void)state;
	/* Every strict prefix of a valid encoding is truncated; one extra byte is trailing. */
	len = vv_encode(&vecs[NVEC - 1], &buf);
	for (i = 0; i < len; i++)
		refuse(buf, i, i == 0 ? "truncated" : "");
	buf = realloc(buf, len + 1);
	buf[len] = 0;
	refuse(buf, len + 1, "trailing");
	free(buf);
	refuse((const uint8_t *)"\x00\x00", 2, "trailing");

	/* Truncated inside a varint. */
	refuse((const uint8_t *)"\x01\x80\x80", 3, "truncated device");
	refuse((const uint8_t *)"\x01\x05\xff\xff", 4, "truncated count");
	refuse((const uint8_t *)"\x81", 1, "truncated entry count");

	/* Overlong: a zero final group, six bytes, a fifth byte over 32 bits. */
	refuse((const uint8_t *)"\x80\x00", 2, "overlong entry count");
	refuse((const uint8_t *)"\x01\x05\x81\x00", 4, "overlong count");
	refuse((const uint8_t *)"\x01\x85\x80\x00\x01", 5, "overlong device");
	refuse((const uint8_t *)"\x01\x81\x80\x80\x80\x80\x00\x01", 8, "longer than 5");
	refuse((const uint8_t *)"\x01\x01\xff\xff\xff\xff\x10", 7, "exceeds 32 bits");
	refuse((const uint8_t *)"\x01\xff\xff\xff\xff\x1f\x01", 7, "exceeds 32 bits");

	/* Duplicate device (delta 0 after the first), unsorted (wraps past 2^32), zero count. */
	refuse((const uint8_t *)"\x02\x05\x01\x00\x01", 5, "duplicate device 5");
	refuse((const uint8_t *)"\x02\xff\xff\xff\xff\x0f\x01\x01\x01", 9, "out of order");
	refuse((const uint8_t *)"\x01\x05\x00", 3, "zero count");
	refuse((const uint8_t *)"\x02\x05\x01\x01\x00", 5, "zero count");

	/* An entry count the buffer cannot hold is refused before allocating. */
	refuse((const uint8_t *)"\xff\xff\xff\xff\x0f\x01\x01", 7, "cannot fit");
	refuse((const uint8_t *)"\x02\x01\x01", 3, "cannot fit");

	/* The largest valid values are accepted. */
	{
		static const uint8_t max[] = { 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff,
		    0xff, 0xff, 0x0f };
		struct vv	 v;
		char		*cause = NULL;

		vv_init(&v);
		assert_int_equal(vv_decode(max, sizeof max, &v, &cause), 0);
		assert_int_equal(vv_get(&v, UINT32_MAX), UINT32_MAX);
		vv_free(&v);
	}
}

static void
roundtrip_text(const struct vv *v)
{
	struct vv	 p;
	char		*s, *s2, *cause = NULL;

	s = vv_to_string(v);
	vv_init(&p);
	if (vv_parse(s, &p, &cause) != 0)
		fail_msg("parse \"%s\": %s", s, cause);
	vec_equal(&p, v);
	s2 = vv_to_string(&p);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	vv_free(&p);
}

static void
test_string(void **state)
{
	struct vv	 v;
	char		*s, *cause = NULL;
	int		 a;

	(void)state;
	for (a = 0; a < NVEC; a++)
		roundtrip_text(&vecs[a]);
	s = vv_to_string(&vecs[0]);
	assert_string_equal(s, "");
	free(s);
	s = vv_to_string(&vecs[1 + 2 * 3 + 2 * 9]);
	assert_string_equal(s, "0:1,130:2,70000:2");
	free(s);

	vv_init(&v);
	assert_int_equal(vv_parse("4294967295:4294967295", &v, &cause), 0);
	assert_int_equal(vv_get(&v, UINT32_MAX), UINT32_MAX);
	roundtrip_text(&v);
	assert_int_equal(vv_parse("", &v, &cause), 0);
	assert_int_equal(v.n, 0);
	assert_int_equal(vv_parse("3:2,7:1", &v, &cause), 0);
	assert_int_equal(vv_get(&v, 3), 2);
	assert_int_equal(vv_get(&v, 7), 1);
	vv_free(&v);
}

static void
test_parse_refuses(void **state)
{
	static const char *bad[] = {
		"1", "1:", ":1", "1:0", "01:1", "1:01", "00:1", "-1:1", "+1:1", "1:-1", " 1:1",
		"1:1 ", "1 :1", "1: 1", "1:1,", ",1:1", ",", ":", "1:1,,2:1", "a:1", "1:a",
		"1:1;2:1", "2:1,1:1", "1:1,1:2", "4294967296:1", "1:4294967296",
		"99999999999999999999:1", "0x1:1", "1:1:1", "1:1,2", "1.0:1",
	};
	struct vv	 v;
	char		*cause;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		vv_init(&v);
		vv_increment(&v, 42);
		cause = NULL;
		if (vv_parse(bad[i], &v, &cause) == 0)
			fail_msg("parse accepted \"%s\"", bad[i]);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "version vector"));
		free(cause);
		assert_int_equal(v.n, 1);           /* untouched */
		assert_int_equal(vv_get(&v, 42), 1);
		vv_free(&v);
	}
	cause = NULL;
	vv_init(&v);
	assert_int_equal(vv_parse("2:1,1:1", &v, &cause), -1);
	assert_non_null(strstr(cause, "out of order"));
	free(cause);
	assert_int_equal(vv_parse("1:0", &v, &cause), -1);
	assert_non_null(strstr(cause, "count"));
	free(cause);
}

/* vv_raise: a count only ever grows; a new device lands in its sorted place. */
static void
test_raise(void **state)
{
	struct vv v;
	char *cause = NULL, *text;

	(void)state;
	vv_init(&v);
	assert_int_equal(vv_parse("3:2,7:1", &v, &cause), 0);
	vv_raise(&v, 7, 5);             /* up */
	vv_raise(&v, 3, 1);             /* not down */
	vv_raise(&v, 5, 4);             /* a new device between */
	vv_raise(&v, 9, 0);             /* nothing */
	check_canonical(&v);
	text = vv_to_string(&v);
	assert_string_equal(text, "3:2,5:4,7:5");
	free(text);
	vv_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_all_pairs),
		cmocka_unit_test(test_raise),
		cmocka_unit_test(test_join_all_pairs),
		cmocka_unit_test(test_join_idempotent_self),
		cmocka_unit_test(test_join_associative),
		cmocka_unit_test(test_increment),
		cmocka_unit_test(test_copy_and_names),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_parse_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
