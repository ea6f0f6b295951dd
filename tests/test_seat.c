/* test_seat.c: the seat state machine, every transition, and seat labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seat.h"

#define A SEAT_AVAILABLE
#define H SEAT_HELD
#define S SEAT_SOLD
#define D SEAT_ADMITTED
#define X SEAT_EXITED
#define V SEAT_VOID

/*
 * The expected table, written out from DESIGN.md: allowed[from][to], 1 when allowed without
 * re-entry. With re-entry exactly one more cell opens: exited -> admitted.
 */
static const int allowed[SEAT_NSTATES][SEAT_NSTATES] = {
	/*          A  H  S  D  X  V */
	[A] = {     0, 1, 1, 0, 0, 0 },
	[H] = {     1, 0, 1, 0, 0, 0 },
	[S] = {     0, 0, 0, 1, 0, 1 },
	[D] = {     0, 0, 0, 0, 1, 0 },
	[X] = {     0, 0, 0, 0, 0, 0 },
	[V] = {     1, 1, 1, 0, 0, 0 },
};

static void
test_table(void **state)
{
	const char	*why;
	int		 from, to, reentry, want, got, nallowed = 0;

	(void)state;
	for (reentry = 0; reentry <= 1; reentry++) {
		for (from = 0; from < SEAT_NSTATES; from++) {
			for (to = 0; to < SEAT_NSTATES; to++) {
				want = allowed[from][to] || (reentry && from == X && to == D);
				why = "untouched";
				got = seat_transition((enum seat_state)from, (enum seat_state)to,
				    reentry, &why);
				if (want && got != 0)
					fail_msg("%s -> %s (reentry %d) refused: %s",
					    seat_state_name(from), seat_state_name(to), reentry, why);
				if (!want && got != -1)
					fail_msg("%s -> %s (reentry %d) allowed",
					    seat_state_name(from), seat_state_name(to), reentry);
				if (want) {
					assert_string_equal(why, "untouched");
					nallowed++;
				} else {
					assert_non_null(why);
					assert_true(strlen(why) > 10);
					assert_string_not_equal(why, "untouched");
				}
				/* why may be NULL */
				assert_int_equal(seat_transition((enum seat_state)from,
				    (enum seat_state)to, reentry, NULL), got);
			}
		}
	}
	assert_int_equal(nallowed, 10 + 11);
}

static void
expect_why(enum seat_state from, enum seat_state to, int reentry, const char *want)
{
	const char	*why = NULL;

	assert_int_equal(seat_transition(from, to, reentry, &why), -1);
	assert_string_equal(why, want);
}

static void
test_reasons(void **state)
{
	(void)state;
	expect_why(D, D, 0, "the ticket has already been used");
	expect_why(D, D, 1, "the ticket has already been used");
	expect_why(X, D, 0, "re-entry is not allowed at this event");
	expect_why(A, D, 0, "the seat is not sold");
	expect_why(H, D, 1, "the seat is not sold");
	expect_why(V, D, 1, "the ticket was refunded");
	expect_why(V, X, 0, "the ticket was refunded");
	expect_why(S, S, 0, "the seat is already sold");
	expect_why(D, V, 0, "a ticket that has been used cannot be refunded");
	expect_why(S, A, 0, "a sold seat must be refunded before it returns to sale");
	expect_why((enum seat_state)6, A, 0, "unknown seat state");
	expect_why(A, (enum seat_state)-1, 0, "unknown seat state");
}

static void
test_names(void **state)
{
	static const char *names[] = { "available", "held", "sold", "admitted", "exited", "void" };
	int	s;

	(void)state;
	for (s = 0; s < SEAT_NSTATES; s++) {
		assert_string_equal(seat_state_name((enum seat_state)s), names[s]);
		assert_int_equal(seat_state_parse(names[s]), s);
	}
	assert_string_equal(seat_state_name((enum seat_state)SEAT_NSTATES), "unknown");
	assert_string_equal(seat_state_name((enum seat_state)-1), "unknown");
	assert_int_equal(seat_state_parse("Sold"), -1);
	assert_int_equal(seat_state_parse("sold "), -1);
	assert_int_equal(seat_state_parse(""), -1);
	assert_int_equal(seat_state_parse("unknown"), -1);
	assert_int_equal(seat_state_parse(NULL), -1);
}

struct label_case {
	const char	*label;
	const char	*section, *row, *seat;     /* NULL section: refused */
	const char	*cause;                     /* a part of the message */
};

static const struct label_case labels[] = {
	{ "A-1-12", "A", "1", "12", NULL },
	{ "STALLS-K-7", "STALLS", "K", "7", NULL },
	{ "FLOOR-GA-1200", "FLOOR", "GA", "1200", NULL },
	{ "balc_2-AA-101", "balc_2", "AA", "101", NULL },
	{ "1-2-3", "1", "2", "3", NULL },
	{ "SECTION_NAME_16B-ROW_NAME_16BYTE-1234567", "SECTION_NAME_16B", "ROW_NAME_16BYTE",
	    "1234567", NULL },
	{ "", NULL, NULL, NULL, "empty" },
	{ "A12", NULL, NULL, NULL, "expected SECTION-ROW-SEAT" },
	{ "A-12", NULL, NULL, NULL, "expected SECTION-ROW-SEAT" },
	{ "-1-2", NULL, NULL, NULL, "section is empty" },
	{ "A--2", NULL, NULL, NULL, "row is empty" },
	{ "A-1-", NULL, NULL, NULL, "seat is empty" },
	{ "--", NULL, NULL, NULL, "section is empty" },
	{ "UPPER-CIRCLE-A-1", NULL, NULL, NULL, "'-' is not allowed in the section" },
	{ "A B-1-2", NULL, NULL, NULL, "' ' is not allowed in the section" },
	{ "A-1-2.5", NULL, NULL, NULL, "'.' is not allowed in the seat" },
	{ "A-\xc3\xa9-2", NULL, NULL, NULL, "not allowed in the row" },
	{ "A-1\t-2", NULL, NULL, NULL, "control character 0x09" },
	{ "A-1-2\n", NULL, NULL, NULL, "control character 0x0a" },
	{ "A\x7f-1-2", NULL, NULL, NULL, "control character 0x7f" },
	{ "SECTION_NAME_17BY-1-1", NULL, NULL, NULL, "section is too long (at most 16" },
	{ "A-ROW_NAME_17_BYTES-1", NULL, NULL, NULL, "row is too long" },
	{ "A-1-12345678", NULL, NULL, NULL, "seat is too long (at most 7" },
};

static void
test_label_parse(void **state)
{
	const struct label_case	*c;
	char			 section[17], row[17], seat[8], *cause;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < nitems(labels); i++) {
		c = &labels[i];
		strcpy(section, "s?");
		strcpy(row, "r?");
		strcpy(seat, "n?");
		cause = NULL;
		rc = seat_label_parse(c->label, section, sizeof section, row, sizeof row, seat,
		    sizeof seat, &cause);
		if (c->section != NULL) {
			if (rc != 0)
				fail_msg("\"%s\" refused: %s", c->label, cause);
			assert_string_equal(section, c->section);
			assert_string_equal(row, c->row);
			assert_string_equal(seat, c->seat);
			assert_null(cause);
			continue;
		}
		if (rc != -1)
			fail_msg("\"%s\" accepted", c->label);
		assert_non_null(cause);
		if (strstr(cause, c->cause) == NULL)
			fail_msg("\"%s\": cause \"%s\" lacks \"%s\"", c->label, cause, c->cause);
		free(cause);
		/* outputs untouched on failure */
		assert_string_equal(section, "s?");
		assert_string_equal(row, "r?");
		assert_string_equal(seat, "n?");
	}
	assert_int_equal(seat_label_parse(NULL, section, sizeof section, row, sizeof row, seat,
	    sizeof seat, NULL), -1);
}

static void
test_label_format(void **state)
{
	char	*s, section[17], row[17], seat[8];

	(void)state;
	s = seat_label("STALLS", "K", "7");
	assert_string_equal(s, "STALLS-K-7");
	assert_int_equal(seat_label_parse(s, section, sizeof section, row, sizeof row, seat,
	    sizeof seat, NULL), 0);
	assert_string_equal(section, "STALLS");
	assert_string_equal(row, "K");
	assert_string_equal(seat, "7");
	free(s);
	s = seat_label("", "", "");
	assert_string_equal(s, "--");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_label_parse),
		cmocka_unit_test(test_label_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
