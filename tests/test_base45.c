/* test_base45.c: RFC 9285 examples, round trips of every length, and each decoding error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base45.h"

/* Deterministic bytes, so that a failure can be reproduced. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint8_t
rng_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

static void
check_encode(const char *in, const char *expected)
{
	char *text = base45_encode((const uint8_t *)in, strlen(in));

	assert_string_equal(text, expected);
	free(text);
}

static void
check_decode(const char *in, const char *expected)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	char *cause = NULL;

	assert_int_equal(base45_decode(in, strlen(in), &out, &outlen, &cause), 0);
	assert_null(cause);
	assert_int_equal(outlen, strlen(expected));
	assert_memory_equal(out, expected, outlen);
	free(out);
}

static void
test_rfc9285_examples(void **state)
{
	(void)state;
	check_encode("AB", "BB8");
	check_encode("Hello!!", "%69 VD92EX0");
	check_encode("base-45", "UJCLQE7W581");
	check_encode("ietf!", "QED8WEX0");
	check_decode("QED8WEX0", "ietf!");
	check_decode("BB8", "AB");
	check_decode("%69 VD92EX0", "Hello!!");
	check_decode("UJCLQE7W581", "base-45");
}

static void
test_empty(void **state)
{
	uint8_t *out = NULL;
	size_t outlen = 99;
	char *text;

	(void)state;
	text = base45_encode(NULL, 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(base45_decode("", 0, &out, &outlen, NULL), 0);
	assert_non_null(out);
	assert_int_equal(outlen, 0);
	free(out);
}

static void
test_roundtrip_lengths(void **state)
{
	uint8_t data[64], *out;
	size_t len, outlen, i;
	char *text;
	int round;

	(void)state;
	for (len = 0; len <= sizeof data; len++) {
		for (round = 0; round < 20; round++) {
			for (i = 0; i < len; i++)
				data[i] = rng_byte();
			text = base45_encode(data, len);
			assert_int_equal(strlen(text), BASE45_ENCODED_LEN(len));
			assert_int_equal(strspn(text, BASE45_ALPHABET), strlen(text));
			out = NULL;
			assert_int_equal(base45_decode(text, strlen(text), &out, &outlen, NULL), 0);
			assert_int_equal(outlen, len);
			if (len != 0)
				assert_memory_equal(out, data, len);
			free(out);
			free(text);
		}
	}
}

/* Every pair and every single byte; the last character of a group of three is never a space. */
static void
test_every_group(void **state)
{
	uint8_t data[2], *out;
	size_t outlen;
	unsigned int n;
	char *text;

	(void)state;
	for (n = 0; n < 65536 + 256; n++) {
		size_t len = n < 65536 ? 2 : 1;

		if (len == 2) {
			data[0] = (uint8_t)(n >> 8);
			data[1] = (uint8_t)n;
		} else
			data[0] = (uint8_t)(n - 65536);
		text = base45_encode(data, len);
		if (len == 2)
			assert_true(text[2] != ' ');
		assert_int_equal(base45_decode(text, strlen(text), &out, &outlen, NULL), 0);
		assert_int_equal(outlen, len);
		assert_memory_equal(out, data, len);
		free(out);
		free(text);
	}
}

/* Decoding len bytes of text must fail with exactly this message and leave the outputs alone. */
static void
check_error(const char *text, size_t len, const char *expected)
{
	uint8_t *out = (uint8_t *)&rng_state;
	size_t outlen = 12345;
	char *cause = NULL;

	assert_int_equal(base45_decode(text, len, &out, &outlen, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, expected);
	assert_ptr_equal(out, (uint8_t *)&rng_state);
	assert_int_equal(outlen, 12345);
	free(cause);

	/* A NULL cause is allowed. */
	assert_int_equal(base45_decode(text, len, &out, &outlen, NULL), -1);
}

static void
test_bad_length(void **state)
{
	(void)state;
	check_error("A", 1, "bad length 1: base45 is groups of 3 characters and at most one "
	    "final group of 2");
	check_error("QED8", 4, "bad length 4: base45 is groups of 3 characters and at most one "
	    "final group of 2");
	check_error("QED8WEX", 7, "bad length 7: base45 is groups of 3 characters and at most "
	    "one final group of 2");
}

static void
test_invalid_character(void **state)
{
	(void)state;
	check_error("QED8WEx0", 8, "invalid character 'x' at position 6");
	check_error("qED", 3, "invalid character 'q' at position 0");
	check_error("QE=", 3, "invalid character '=' at position 2");
	check_error("QED\n0", 5, "invalid character 0x0a at position 3");
	check_error("QED\0WE", 6, "invalid character 0x00 at position 3");
	check_error("\xc3\xa9", 2, "invalid character 0xc3 at position 0");
}

static void
test_value_too_large(void **state)
{
	(void)state;
	/* G G W: 16 + 16 * 45 + 32 * 2025 = 65536, one over the largest two bytes. */
	check_error("GGW", 3, "value 65536 over 65535 at position 0");
	check_error(":::", 3, "value 91124 over 65535 at position 0");
	check_error("BB8GGW", 6, "value 65536 over 65535 at position 3");
	/* A final pair: 6 + 5 * 45 = 231 is fine, 2 + 6 * 45 = 272 is not. */
	check_decode("65", "\xe7");
	check_error("BB826", 5, "value 272 over 255 at position 3");
	check_error("::", 2, "value 2024 over 255 at position 0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9285_examples),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_roundtrip_lengths),
		cmocka_unit_test(test_every_group),
		cmocka_unit_test(test_bad_length),
		cmocka_unit_test(test_invalid_character),
		cmocka_unit_test(test_value_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
