/* test_venue.c: the venue file parser, its error messages, and the sample venues in data/venues. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venue.h"
#include "xmalloc.h"

/* A pointer that venue_parse must leave alone when it fails. */
static struct venue sentinel;

static struct venue *
parse_ok(const char *text)
{
	struct venue *v = NULL;
	char         *cause = NULL;

	if (venue_parse(text, strlen(text), "t.csv", &v, &cause) != 0)
		fail_msg("unexpected error: %s", cause);
	assert_null(cause);
	assert_non_null(v);
	return v;
}

/* text must fail with exactly the message want, and return nothing. */
static void
parse_fails_n(const char *text, size_t len, const char *want)
{
	struct venue *v = &sentinel;
	char         *cause = NULL;

	assert_int_equal(venue_parse(text, len, "t.csv", &v, &cause), -1);
	assert_ptr_equal(v, &sentinel);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
parse_fails(const char *text, const char *want)
{
	parse_fails_n(text, strlen(text), want);
}

static char *
data_path(const char *name)
{
	const char *srcdir = getenv("SRCDIR");

	return xasprintf("%s/data/venues/%s", srcdir != NULL && *srcdir != '\0' ? srcdir : ".",
	    name);
}

static struct venue *
load_sample(const char *name)
{
	struct venue *v = NULL;
	char         *path = data_path(name), *cause = NULL;

	if (venue_load(path, &v, &cause) != 0)
		fail_msg("%s", cause);
	free(path);
	return v;
}

static size_t
count_section(const struct venue *v, const char *section)
{
	size_t i, n = 0;

	for (i = 0; i < v->nseats; i++)
		n += strcmp(v->seats[i].section, section) == 0;
	return n;
}

static void
assert_label(const struct venue_seat *s, const char *want)
{
	char buf[VENUE_LABEL_MAX];

	assert_non_null(s);
	venue_seat_label(s, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* Every label in a venue is distinct and venue_find finds it (spot checks for big venues). */
static void
assert_findable(const struct venue *v, size_t step)
{
	char   buf[VENUE_LABEL_MAX];
	size_t i;

	for (i = 0; i < v->nseats; i += step) {
		venue_seat_label(&v->seats[i], buf, sizeof buf);
		assert_ptr_equal(venue_find(v, buf), &v->seats[i]);
	}
}

static void
test_theatre(void **state)
{
	struct venue *v = load_sample("theatre.csv");

	(void)state;
	assert_string_equal(v->name, "Riverside Theatre");
	assert_int_equal(v->nseats, 522);
	assert_int_equal(v->nsections, 5);
	assert_string_equal(v->sections[0], "A");
	assert_string_equal(v->sections[1], "B");
	assert_string_equal(v->sections[2], "C");
	assert_string_equal(v->sections[3], "CIRCLE");
	assert_string_equal(v->sections[4], "BOXES");
	assert_int_equal(count_section(v, "A"), 106);
	assert_int_equal(count_section(v, "B"), 172);
	assert_int_equal(count_section(v, "C"), 106);
	assert_int_equal(count_section(v, "CIRCLE"), 124);
	assert_int_equal(count_section(v, "BOXES"), 14);

	assert_label(&v->seats[0], "A-1-1");
	assert_ptr_equal(venue_find(v, "A-1-1"), &v->seats[0]);
	assert_int_equal(v->seats[0].ga, 0);
	assert_label(venue_find(v, "b-12-6"), "B-12-6");
	assert_null(venue_find(v, "B-12-7"));       /* the sound desk */
	assert_label(venue_find(v, "B-12-11"), "B-12-11");
	assert_null(venue_find(v, "CIRCLE-3-6"));   /* a column */
	assert_label(venue_find(v, "CIRCLE-3-28"), "CIRCLE-3-28");
	assert_null(venue_find(v, "CIRCLE-3-29"));
	assert_label(venue_find(v, "BOXES-A-2"), "BOXES-A-2");
	assert_null(venue_find(v, "BOXES-A-3"));
	assert_findable(v, 1);
	venue_free(v);
}

static void
test_arena(void **state)
{
	struct venue *v = load_sample("arena.csv");
	size_t        i, ga = 0;

	(void)state;
	assert_string_equal(v->name, "Harbour Arena");
	assert_true(v->nseats >= 20000);
	assert_int_equal(v->nseats, 26668);
	assert_int_equal(v->nsections, 24 + 32 + 1);
	assert_string_equal(v->sections[0], "101");
	assert_string_equal(v->sections[56], "FLOOR");
	for (i = 0; i < v->nseats; i++)
		ga += v->seats[i].ga;
	assert_int_equal(ga, 2500);
	assert_int_equal(count_section(v, "FLOOR"), 2500);
	assert_label(venue_find(v, "101-1-1"), "101-1-1");
	assert_label(venue_find(v, "232-16-30"), "232-16-30");
	assert_null(venue_find(v, "102-1-10"));     /* a vomitory */
	assert_label(venue_find(v, "102-1-9"), "102-1-9");
	assert_label(venue_find(v, "102-1-14"), "102-1-14");
	assert_label(venue_find(v, "103-1-10"), "103-1-10");
	assert_label(venue_find(v, "FLOOR-GA-2500"), "FLOOR-GA-2500");
	assert_true(venue_find(v, "floor-ga-1")->ga);
	assert_null(venue_find(v, "FLOOR-GA-2501"));
	assert_findable(v, 97);
	venue_free(v);
}

static void
test_club(void **state)
{
	struct venue *v = load_sample("club.csv");
	size_t        i;

	(void)state;
	assert_string_equal(v->name, "The Cellar Club");
	assert_int_equal(v->nseats, 450 + 120);
	assert_int_equal(count_section(v, "FLOOR"), 450);
	assert_int_equal(count_section(v, "BALCONY"), 120);
	for (i = 0; i < v->nseats; i++) {
		assert_true(v->seats[i].ga);
		assert_string_equal(v->seats[i].row, "GA");
	}
	assert_label(&v->seats[0], "FLOOR-GA-1");
	assert_label(&v->seats[449], "FLOOR-GA-450");
	assert_label(&v->seats[450], "BALCONY-GA-1");
	assert_label(&v->seats[569], "BALCONY-GA-120");
	venue_free(v);
}

static void
test_load_errors(void **state)
{
	struct venue *v = &sentinel;
	char         *cause = NULL;

	(void)state;
	assert_int_equal(venue_load("/nonexistent/venue.csv", &v, &cause), -1);
	assert_ptr_equal(v, &sentinel);
	assert_string_equal(cause, "/nonexistent/venue.csv: No such file or directory");
	free(cause);

	/* A NULL cause is allowed. */
	assert_int_equal(venue_load("/nonexistent/venue.csv", &v, NULL), -1);
	assert_int_equal(venue_parse("", 0, NULL, &v, NULL), -1);
	assert_ptr_equal(v, &sentinel);

	assert_int_equal(venue_parse("", 0, NULL, &v, &cause), -1);
	assert_string_equal(cause, "<venue>:1:1: empty file: expected venue,NAME");
	free(cause);
}

static void
test_syntax(void **state)
{
	struct venue *v;

	(void)state;
	/* Comments, blank lines, blanks around fields, lower case folded, commas in the name. */
	v = parse_ok("# a comment\n"
	    "\n"
	    "   \t\n"
	    "  venue , Smith, Jones & Co. Hall   # named for its founders\n"
	    "seat , stalls ,  a , 7   # lower case is upper case\n"
	    "row,Stalls,b, 1-3 ; 5 ;7-8\n"
	    "ga,Pit_1,2\n"
	    "seat,STALLS,A,0008");
	assert_string_equal(v->name, "Smith, Jones & Co. Hall");
	assert_int_equal(v->nseats, 1 + 6 + 2 + 1);
	assert_int_equal(v->nsections, 2);
	assert_string_equal(v->sections[0], "STALLS");
	assert_string_equal(v->sections[1], "PIT_1");
	assert_label(&v->seats[0], "STALLS-A-7");
	assert_label(&v->seats[1], "STALLS-B-1");
	assert_label(&v->seats[3], "STALLS-B-3");
	assert_label(&v->seats[4], "STALLS-B-5");
	assert_label(&v->seats[5], "STALLS-B-7");
	assert_label(&v->seats[6], "STALLS-B-8");
	assert_label(&v->seats[7], "PIT_1-GA-1");
	assert_int_equal(v->seats[7].ga, 1);
	assert_label(&v->seats[9], "STALLS-A-8");
	assert_ptr_equal(venue_find(v, "stalls-b-08"), &v->seats[6]);
	assert_null(venue_find(v, "STALLS-B-4"));
	assert_null(venue_find(v, "STALLS-B"));
	assert_null(venue_find(v, "STALLS-B-7-"));
	assert_null(venue_find(v, "STALLS--7"));
	assert_null(venue_find(v, "STALLS-B-0"));
	assert_null(venue_find(v, "STALLS-B-99999999"));
	assert_null(venue_find(v, ""));
	venue_free(v);

	/* The name is UTF-8; the largest numbers; 16-character names. */
	v = parse_ok("venue,Théâtre du Châtelet\nseat,ABCDEFGHIJKLMNOP,0123456789ABCDEF,9999\n");
	assert_string_equal(v->name, "Théâtre du Châtelet");
	assert_label(&v->seats[0], "ABCDEFGHIJKLMNOP-0123456789ABCDEF-9999");
	venue_free(v);
}

static void
test_crlf_bom(void **state)
{
	static const char text[] = "\xef\xbb\xbfvenue,Hall\r\nrow,A,1,1-3\r\n# c\r\nseat,A,2,1\r\n";
	struct venue     *v;

	(void)state;
	v = parse_ok(text);
	assert_string_equal(v->name, "Hall");
	assert_int_equal(v->nseats, 4);
	venue_free(v);

	/* Columns count from after the BOM, and a CR before the LF is not part of the line. */
	parse_fails("\xef\xbb\xbfvenue,Hall\r\nrow,A,1,3-1\r\n",
	    "t.csv:2:9: seat range 3-1 runs backwards");
	parse_fails("\xef\xbb\xbfvenu,Hall\r\n",
	    "t.csv:1:1: unknown keyword 'venu': expected venue, seat, row or ga");
	parse_fails("\xef\xbb\xbf", "t.csv:1:1: empty file: expected venue,NAME");
	/* A CR alone is not a line ending. */
	parse_fails("venue,Hall\rrow,A,1,1\n",
	    "t.csv:1:11: unexpected byte 0x0d in the venue name");
	parse_fails("venue,Hall\nseat,A,1,1\r\r\n",
	    "t.csv:2:11: unexpected byte 0x0d in seat number: expected digits");
}

static void
test_errors(void **state)
{
	(void)state;
	/* Keywords. */
	parse_fails("venue,Hall\nsaet,A,1,1\n",
	    "t.csv:2:1: unknown keyword 'saet': expected venue, seat, row or ga");
	parse_fails("venue,Hall\nSeat,A,1,1\n",
	    "t.csv:2:1: unknown keyword 'Seat': expected venue, seat, row or ga");
	parse_fails("venue,Hall\n  ,A,1,1\n",
	    "t.csv:2:3: missing keyword: expected venue, seat, row or ga");
	parse_fails("venue,Hall\nseat\n",
	    "t.csv:2:5: missing section name: expected seat,SECTION,ROW,NUMBER");

	/* Missing, empty and extra fields. */
	parse_fails("venue,Hall\nseat,A,1\n",
	    "t.csv:2:9: missing seat number: expected seat,SECTION,ROW,NUMBER");
	parse_fails("venue,Hall\nseat,A,1   # no number\n",
	    "t.csv:2:9: missing seat number: expected seat,SECTION,ROW,NUMBER");
	parse_fails("venue,Hall\nseat,A,,1\n",
	    "t.csv:2:8: empty row name: expected seat,SECTION,ROW,NUMBER");
	parse_fails("venue,Hall\nrow,A,1,\n",
	    "t.csv:2:9: empty seat range: expected row,SECTION,ROW,FIRST-LAST");
	parse_fails("venue,Hall\nseat,A,1,1,2\n",
	    "t.csv:2:11: too many fields: expected seat,SECTION,ROW,NUMBER");
	parse_fails("venue,Hall\nga,FLOOR\n",
	    "t.csv:2:9: missing capacity: expected ga,SECTION,CAPACITY");
	parse_fails("venue,Hall\nga,FLOOR,10,x\n",
	    "t.csv:2:12: too many fields: expected ga,SECTION,CAPACITY");
	parse_fails("venue\nseat,A,1,1\n", "t.csv:1:6: missing venue name: expected venue,NAME");
	parse_fails("venue,  # nameless\n", "t.csv:1:7: empty venue name: expected venue,NAME");

	/* Numbers. */
	parse_fails("venue,Hall\nseat,A,1,x\n",
	    "t.csv:2:10: unexpected 'x' in seat number: expected digits");
	parse_fails("venue,Hall\nseat,A,1,-1\n",
	    "t.csv:2:10: a seat line takes one seat number: use row,SECTION,ROW,FIRST-LAST "
	    "for a range");
	parse_fails("venue,Hall\nseat,A,1,12a\n",
	    "t.csv:2:12: unexpected 'a' in seat number: expected digits");
	parse_fails("venue,Hall\nseat,A,1,0\n",
	    "t.csv:2:10: seat number '0' is out of range: expected 1 to 9999");
	parse_fails("venue,Hall\nseat,A,1,10000\n",
	    "t.csv:2:10: seat number '10000' is out of range: expected 1 to 9999");
	parse_fails("venue,Hall\nseat,A,1,99999999999999999999999\n",
	    "t.csv:2:10: seat number '99999999999999999999999' is out of range: "
	    "expected 1 to 9999");
	parse_fails("venue,Hall\nrow,A,1,1-10000\n",
	    "t.csv:2:11: last seat number '10000' is out of range: expected 1 to 9999");
	parse_fails("venue,Hall\nrow,A,1,-5\n", "t.csv:2:9: missing first seat number");
	parse_fails("venue,Hall\nrow,A,1,5-\n", "t.csv:2:11: missing last seat number");
	parse_fails("venue,Hall\nrow,A,1,1-2-3\n",
	    "t.csv:2:12: unexpected '-' in last seat number: expected digits");
	parse_fails("venue,Hall\nrow,A,1,1-5;;7\n",
	    "t.csv:2:13: empty seat range: expected FIRST-LAST or a seat number, several joined "
	    "by ';'");
	parse_fails("venue,Hall\nga,FLOOR,0\n",
	    "t.csv:2:10: capacity '0' is out of range: expected 1 to 1000000");

	/* Backwards ranges, as in the manual. */
	parse_fails("venue,Hall\nrow,A,2,24-1\n", "t.csv:2:9: seat range 24-1 runs backwards");
	parse_fails("venue,Hall\nrow,A,2,1-10; 24-12\n",
	    "t.csv:2:15: seat range 24-12 runs backwards");

	/* Names. */
	parse_fails("venue,Hall\nseat,ABCDEFGHIJKLMNOPQ,1,1\n",
	    "t.csv:2:6: section name 'ABCDEFGHIJKLMNOPQ' is longer than 16 characters");
	parse_fails("venue,Hall\nseat,A,ABCDEFGHIJKLMNOPQ,1\n",
	    "t.csv:2:8: row name 'ABCDEFGHIJKLMNOPQ' is longer than 16 characters");
	parse_fails("venue,Hall\nseat,STALLS-L,1,1\n",
	    "t.csv:2:12: '-' in section name 'STALLS-L': '-' separates the parts of a seat label");
	parse_fails("venue,Hall\nseat,A,1-2,1\n",
	    "t.csv:2:9: '-' in row name '1-2': '-' separates the parts of a seat label");
	parse_fails("venue,Hall\nseat,A B,1,1\n",
	    "t.csv:2:7: unexpected ' ' in section name: expected letters, digits or '_'");
	parse_fails("venue,Hall\nseat,\xc3\xa9,1,1\n",
	    "t.csv:2:6: unexpected byte 0xc3 in section name: expected letters, digits or '_'");
	parse_fails("venue,Hall\nseat,A,GA,1\n",
	    "t.csv:2:8: row name GA is kept for general-admission areas: use ga,SECTION,CAPACITY");
	parse_fails("venue,Hall\nrow,A,ga,1\n",
	    "t.csv:2:7: row name GA is kept for general-admission areas: use ga,SECTION,CAPACITY");

	/* The venue name. */
	{
		char text[VENUE_NAME_MAX + 64], want[128];

		snprintf(text, sizeof text, "venue,%0*d\nseat,A,1,1\n", VENUE_NAME_MAX + 1, 0);
		parse_fails(text, "t.csv:1:7: the venue name is longer than 200 bytes");
		snprintf(text, sizeof text, "venue,%0*d\nseat,A,1,1\n", VENUE_NAME_MAX, 0);
		venue_free(parse_ok(text));
		snprintf(want, sizeof want, "t.csv:1:9: the venue name is not valid UTF-8");
		parse_fails("venue,Ab\xc3\x28\nseat,A,1,1\n", want);
	}
	parse_fails("venue,Ab\xed\xa0\x80\nseat,A,1,1\n",      /* a surrogate */
	    "t.csv:1:9: the venue name is not valid UTF-8");
	parse_fails("venue,Ab\xc0\xaf\nseat,A,1,1\n",          /* overlong '/' */
	    "t.csv:1:9: the venue name is not valid UTF-8");
	parse_fails("venue,Ab\xe2\x82\nseat,A,1,1\n",          /* cut short */
	    "t.csv:1:9: the venue name is not valid UTF-8");
	parse_fails("venue,A\tb\nseat,A,1,1\n",
	    "t.csv:1:8: unexpected byte 0x09 in the venue name");
	parse_fails_n("venue,A\0b\nseat,A,1,1\n", 21,
	    "t.csv:1:8: unexpected byte 0x00 in the venue name");
	parse_fails("venue,Hall\nseat,A,1,1\nvenue,Other\n",
	    "t.csv:3:1: a second venue line: the venue is already named on line 1");

	/* No venue line, no seats. */
	parse_fails("", "t.csv:1:1: empty file: expected venue,NAME");
	parse_fails("# only\n\n# comments\n", "t.csv:4:1: no venue line: expected venue,NAME");
	parse_fails("# only\n  ", "t.csv:2:3: no venue line: expected venue,NAME");
	parse_fails("seat,A,1,1\nvenue,Hall\n",
	    "t.csv:1:1: expected venue,NAME before the first seat");
	parse_fails("venue,Hall\n",
	    "t.csv:2:1: venue 'Hall' has no seats: expected seat, row or ga lines");
	parse_fails("venue,Hall   # nothing yet",
	    "t.csv:1:27: venue 'Hall' has no seats: expected seat, row or ga lines");
}

static void
test_duplicates(void **state)
{
	(void)state;
	parse_fails("venue,Hall\nseat,A,1,5\n\nrow,A,1,1-10\n",
	    "t.csv:4:9: duplicate seat A-1-5: already defined on line 2, column 10");
	parse_fails("venue,Hall\nrow,A,1,1-10\nrow,a,1, 8-12\n",
	    "t.csv:3:10: duplicate seat A-1-8: already defined on line 2, column 9");
	parse_fails("venue,Hall\nrow,A,1,1-10;5\n",
	    "t.csv:2:14: duplicate seat A-1-5: already listed at column 9 of this line");
	/* Same number in another row or section is fine; these are all different seats. */
	venue_free(parse_ok("venue,Hall\nseat,A,1,1\nseat,A,2,1\nseat,B,1,1\nseat,A,11,1\n"
	    "seat,A1,1,1\n"));

	/* A section is seats or one GA area, not both. */
	parse_fails("venue,Hall\nga,FLOOR,10\nga,FLOOR,20\n",
	    "t.csv:3:4: general-admission area FLOOR is already defined on line 2");
	parse_fails("venue,Hall\nga,FLOOR,10\nseat,Floor,1,1\n",
	    "t.csv:3:6: section FLOOR is a general-admission area (line 2): it cannot also have "
	    "numbered seats");
	parse_fails("venue,Hall\nrow,FLOOR,1,1-4\nga,FLOOR,10\n",
	    "t.csv:3:4: section FLOOR already has numbered seats (line 2): a general-admission "
	    "area needs a section of its own");
}

static void
test_limits(void **state)
{
	struct venue *v;
	char         *text;
	size_t        n;

	(void)state;
	/* A line of exactly VENUE_LINE_MAX bytes is fine; one more is not. */
	n = VENUE_LINE_MAX - strlen("seat,A,1,1");
	text = xasprintf("venue,Hall\nseat,A,1,1%*s\n", (int)n, "");
	venue_free(parse_ok(text));
	free(text);
	text = xasprintf("venue,Hall\nseat,A,1,1%*s\r\n", (int)n, "");
	venue_free(parse_ok(text));
	free(text);
	text = xasprintf("venue,Hall\nseat,A,1,1%*s\n", (int)n + 1, "");
	parse_fails(text, "t.csv:2:4097: line is longer than 4096 bytes");
	free(text);

	/* A million places parse; one more does not. */
	v = parse_ok("venue,Stadium\nga,PITCH,600000\nga,STANDS,400000\n");
	assert_int_equal(v->nseats, VENUE_MAX_SEATS);
	assert_label(&v->seats[VENUE_MAX_SEATS - 1], "STANDS-GA-400000");
	venue_free(v);
	parse_fails("venue,Stadium\nga,PITCH,600000\nga,STANDS,400000\nseat,A,1,1\n",
	    "t.csv:4:10: too many seats: a venue holds at most 1000000");
	parse_fails("venue,Stadium\nga,PITCH,600000\nga,STANDS,400001\n",
	    "t.csv:3:11: too many seats: a capacity of 400001 brings the venue past 1000000");
	parse_fails("venue,Stadium\nga,PITCH,1000001\n",
	    "t.csv:2:10: capacity '1000001' is out of range: expected 1 to 1000000");

	/* Long input is quoted shortly in messages. */
	parse_fails("venue,Hall\nseat,ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ,1,1\n",
	    "t.csv:2:6: section name 'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN...' is longer than "
	    "16 characters");
}

static void
test_label(void **state)
{
	struct venue_seat s;
	char              buf[8];

	(void)state;
	memset(&s, 0, sizeof s);
	strcpy(s.section, "CIRCLE");
	strcpy(s.row, "12");
	s.number = 30;
	venue_seat_label(&s, buf, sizeof buf);
	assert_string_equal(buf, "CIRCLE-");
	buf[0] = 'x';
	venue_seat_label(&s, buf, 0);
	assert_int_equal(buf[0], 'x');
	venue_seat_label(&s, buf, 1);
	assert_string_equal(buf, "");
	venue_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_theatre),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_club),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_crlf_bom),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
