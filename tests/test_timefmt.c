/* test_timefmt.c: ISO 8601 parsing with and without zones, UTC and local output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "timefmt.h"

/* Central European time as a POSIX rule: no tz database needed. */
#define TZ_CET "CET-1CEST,M3.5.0,M10.5.0/3"

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int64_t
parse_ok(const char *s)
{
	int64_t t = -12345;
	char *cause = NULL;

	if (timefmt_parse(s, &t, &cause) != 0)
		fail_msg("timefmt_parse(\"%s\") failed: %s", s, cause);
	assert_null(cause);
	return t;
}

/* Refused, with a message, and the output untouched. */
static void
parse_bad(const char *s, const char *want_in_cause)
{
	int64_t t = 777;
	char *cause = NULL;

	if (timefmt_parse(s, &t, &cause) == 0)
		fail_msg("timefmt_parse(\"%s\") accepted it as %lld", s, (long long)t);
	assert_int_equal(t, 777);
	assert_non_null(cause);
	if (want_in_cause != NULL && strstr(cause, want_in_cause) == NULL)
		fail_msg("timefmt_parse(\"%s\"): cause \"%s\" does not mention \"%s\"", s, cause,
		    want_in_cause);
	free(cause);
}

static void
test_utc_known_values(void **state)
{
	(void)state;
	/* date -u -d 2026-11-23T19:30:00Z +%s */
	assert_int_equal(parse_ok("2026-11-23T19:30:00Z"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23T19:30Z"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23 19:30:00Z"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23t19:30z"), 1795462200);
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2024-02-29T12:00:00Z"), 1709208000);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), 951782400);
	assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), 253402300799LL);
}

static void
test_offsets(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-11-23T20:30+01:00"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23T20:30:00+0100"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23T20:30+01"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23T14:30-05:00"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23 14:30:00-0500"), 1795462200);
	assert_int_equal(parse_ok("2026-11-24T01:00+05:30"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23T19:30+00:00"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23T19:30-00:00"), 1795462200);
	/* An offset can carry a time across midnight, and before 1970 in UTC. */
	assert_int_equal(parse_ok("1970-01-01T00:30+01:00"), -1800);
}

static void
test_local_utc(void **state)
{
	(void)state;
	set_tz("UTC");
	assert_int_equal(parse_ok("2026-11-23T19:30"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23T19:30:00"), 1795462200);
	assert_int_equal(parse_ok("2026-11-23 19:30"), 1795462200);
}

static void
test_local_dst(void **state)
{
	char *cause = NULL;
	int64_t t = 5;

	(void)state;
	set_tz(TZ_CET);
	/* Winter: UTC+1; summer: UTC+2. */
	assert_int_equal(parse_ok("2026-11-23T20:30"), 1795462200);
	assert_int_equal(parse_ok("2026-07-01 12:00"), 1782900000);
	/* 2026-03-29 02:00-03:00 does not exist in Central Europe. */
	assert_int_equal(timefmt_parse("2026-03-29T02:30", &t, &cause), -1);
	assert_int_equal(t, 5);
	assert_non_null(strstr(cause, "does not exist"));
	free(cause);
	/* With a zone it is a fine time. */
	assert_int_equal(parse_ok("2026-03-29T02:30Z"), 1774751400);
	/* The hour before and after the gap. */
	assert_int_equal(parse_ok("2026-03-29T01:59:59"), 1774745999);
	assert_int_equal(parse_ok("2026-03-29T03:00"), 1774746000);
	set_tz("UTC");
}

static void
test_rejects(void **state)
{
	(void)state;
	set_tz("UTC");
	parse_bad("", "want a date and time");
	parse_bad("tomorrow", "want a date and time");
	parse_bad("2026-11-23", "time of day");
	parse_bad("2026-11-23T", "want a date and time");
	parse_bad("2026-11-23T19", "want a date and time");
	parse_bad("2026-11-23T19:3", "want a date and time");
	parse_bad("2026-11-23X19:30", "want a date and time");
	parse_bad("26-11-23T19:30", "want a date and time");
	parse_bad("2026-1-23T19:30", "want a date and time");
	parse_bad("2026/11/23 19:30", "want a date and time");
	parse_bad("2026-11-23T19:30:", "seconds");
	parse_bad("2026-11-23T19:30:0", "seconds");
	parse_bad("2026-11-23T19:30:00.5", "unexpected");
	parse_bad("2026-11-23T19:30 ", "unexpected");
	parse_bad(" 2026-11-23T19:30", "want a date and time");
	parse_bad("2026-11-23T19:30ZZ", "unexpected");
	parse_bad("2026-11-23T19:30+1", "zone offset");
	parse_bad("2026-11-23T19:30+01:", "zone offset");
	parse_bad("2026-11-23T19:30+01:0", "zone offset");
	parse_bad("2026-11-23T19:30+010", "zone offset");
	parse_bad("2026-11-23T19:30+01:000", "unexpected");
	parse_bad("2026-11-23T19:30+24:00", "out of range");
	parse_bad("2026-11-23T19:30+01:60", "out of range");
	parse_bad("2026-00-10T19:30", "month 0");
	parse_bad("2026-13-10T19:30", "month 13");
	parse_bad("2026-11-00T19:30", "day 0");
	parse_bad("2026-11-31T19:30", "day 31");
	parse_bad("2026-02-29T19:30", "day 29");
	parse_bad("1900-02-29T19:30Z", NULL);
	parse_bad("2026-11-23T24:00", "hour 24");
	parse_bad("2026-11-23T19:60", "minute 60");
	parse_bad("2026-11-23T19:30:60", "second 60");
	parse_bad("1969-12-31T23:59Z", "year 1969");
	parse_bad("2026-11-23T19:30\n", "unexpected");
}

static void
test_null(void **state)
{
	int64_t t = 3;
	char *cause = NULL;

	(void)state;
	assert_int_equal(timefmt_parse(NULL, &t, &cause), -1);
	assert_int_equal(t, 3);
	assert_non_null(cause);
	free(cause);
	/* cause may be NULL. */
	assert_int_equal(timefmt_parse("x", &t, NULL), -1);
}

/* The message quotes the input, but not its control characters or unbounded length. */
static void
test_cause_is_printable(void **state)
{
	char long_input[300], *cause = NULL;
	int64_t t;
	const char *p;

	(void)state;
	memset(long_input, '9', sizeof long_input - 1);
	long_input[sizeof long_input - 1] = '\0';
	assert_int_equal(timefmt_parse(long_input, &t, &cause), -1);
	assert_true(strlen(cause) < 200);
	free(cause);
	assert_int_equal(timefmt_parse("2026-11-23T19:30\x1b[2J", &t, &cause), -1);
	for (p = cause; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20);
	free(cause);
}

static void
test_iso(void **state)
{
	char buf[TIMEFMT_ISO_MAX];

	(void)state;
	timefmt_iso(1795462200, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-23T19:30:00Z");
	timefmt_iso(0, buf, sizeof buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timefmt_iso(-1, buf, sizeof buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	timefmt_iso(951782400, buf, sizeof buf);
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	timefmt_iso(253402300799LL, buf, sizeof buf);
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
	/* Far out of range still gives a bounded, terminated string. */
	timefmt_iso(INT64_MAX, buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
	timefmt_iso(INT64_MIN, buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
	/* Truncated, terminated. */
	timefmt_iso(0, buf, 5);
	assert_string_equal(buf, "1970");
	buf[0] = 'x';
	timefmt_iso(0, buf, 0);
	assert_int_equal(buf[0], 'x');
}

/* Every second of a few years goes out and back in the same. */
static void
test_iso_roundtrip(void **state)
{
	char buf[TIMEFMT_ISO_MAX];
	int64_t t;

	(void)state;
	for (t = -86400LL * 3; t < 86400LL * 366 * 60; t += 86399 + 3600 * 7) {
		timefmt_iso(t, buf, sizeof buf);
		if (t >= 0)
			assert_int_equal(parse_ok(buf), t);
	}
}

static void
test_local(void **state)
{
	char buf[64];

	(void)state;
	set_tz("UTC");
	timefmt_local(1795462200, NULL, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-23 19:30");
	timefmt_local(1795462200, "%H:%M:%S", buf, sizeof buf);
	assert_string_equal(buf, "19:30:00");
	set_tz(TZ_CET);
	timefmt_local(1795462200, NULL, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-23 20:30");
	timefmt_local(1782900000, "%Y-%m-%d %H:%M %Z", buf, sizeof buf);
	assert_string_equal(buf, "2026-07-01 12:00 CEST");
	/* Too small for the format: the UTC form, truncated. */
	timefmt_local(1795462200, NULL, buf, 8);
	assert_string_equal(buf, "2026-11");
	buf[0] = 'x';
	timefmt_local(0, NULL, buf, 0);
	assert_int_equal(buf[0], 'x');
	set_tz("UTC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc_known_values),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_local_utc),
		cmocka_unit_test(test_local_dst),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_cause_is_printable),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_iso_roundtrip),
		cmocka_unit_test(test_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
