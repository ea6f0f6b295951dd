/*
 * test_scanstate.c: the gate screen's state machine without a terminal: keys and commands, a
 * burst of 50 scanned tickets, manual entry, quit, partial scans, the verdict panel's life, and
 * the status bar, list rows, verdict lines and footer as text; the block font; the camera's
 * repeat filter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bigtext.h"
#include "camera.h"
#include "scan-state.h"
#include "ticket.h"

static const int64_t T0 = INT64_C(1790000000000);      /* ms; 2026-09-21T14:13:20Z */

static int
ev_key(struct scan_state *s, int64_t ms, int key, int more)
{
	struct scan_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = SCAN_EV_KEY;
	ev.now_ms = ms;
	ev.key = key;
	ev.more = more;
	return scan_state_handle(s, &ev);
}

static int
ev_tick(struct scan_state *s, int64_t ms)
{
	struct scan_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = SCAN_EV_TICK;
	ev.now_ms = ms;
	return scan_state_handle(s, &ev);
}

/* Type text as a scanner does: one burst, Enter (CR) at the end. Returns the flags or'ed. */
static int
scan(struct scan_state *s, int64_t ms, const char *text, int enter)
{
	int flags = 0;
	size_t i, n = strlen(text);

	for (i = 0; i < n; i++)
		flags |= ev_key(s, ms, (unsigned char)text[i], 1);
	if (enter)
		flags |= ev_key(s, ms, '\r', 0);
	return flags;
}

static struct scan_state *
fresh(void)
{
	return scan_state_new("North Gate 2", "Rock Night", 1);
}

/* A ticket-like text: "TS1:" and 132 base45 characters (a space among them), numbered. */
static void
fake_ticket(int i, char *buf)
{
	static const char alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
	int k;

	memcpy(buf, "TS1:", 4);
	for (k = 0; k < 132; k++)
		buf[4 + k] = alpha[(i * 7 + k * 13) % 45];
	snprintf(buf + 4 + 120, 13, "%012d", i);
	buf[TICKET_TEXT_LEN] = '\0';
}

static void
test_burst_of_50(void **state)
{
	struct scan_state *s = fresh();
	struct scan_request r;
	char texts[50][TICKET_TEXT_LEN + 1];
	int i, flags = 0, checks = 0;

	(void)state;
	for (i = 0; i < 50; i++)
		fake_ticket(i, texts[i]);
	/* All 50 arrive before the first is decided, CR LF after each, as fast as can be. */
	for (i = 0; i < 50; i++) {
		flags = scan(s, T0, texts[i], 0);
		assert_false(flags & (SCAN_WANT_QUIT | SCAN_WANT_SYNC));
		flags = ev_key(s, T0, '\r', 1) | ev_key(s, T0, '\n', i < 49);
		if (flags & SCAN_WANT_CHECK)
			checks++;
	}
	assert_int_equal(checks, 50);
	assert_int_equal(s->qcount, 50);
	assert_int_equal(s->mode, GATE_ENTRY);
	assert_int_equal(s->screen, SCAN_MAIN);
	for (i = 0; i < 50; i++) {
		assert_int_equal(scan_state_pop(s, &r), 1);
		assert_string_equal(r.text, texts[i]);
		assert_int_equal(r.manual, 0);
		assert_int_equal(r.mode, GATE_ENTRY);
	}
	assert_int_equal(scan_state_pop(s, &r), 0);

	/* Interleaved with verdicts: the queue and the list stay in order. */
	for (i = 0; i < 50; i++) {
		struct gate_verdict v;
		struct scan_event ev;

		scan(s, T0 + i, texts[i], 1);
		if (i % 3 != 2)
			continue;
		while (scan_state_pop(s, &r)) {
			memset(&v, 0, sizeof v);
			v.admit = 1;
			v.at = (T0 + i) / 1000;
			snprintf(v.label, sizeof v.label, "A-1-%d", atoi(r.text + 124) + 1);
			memset(&ev, 0, sizeof ev);
			ev.kind = SCAN_EV_VERDICT;
			ev.now_ms = T0 + i;
			ev.verdict = &v;
			scan_state_handle(s, &ev);
		}
	}
	while (scan_state_pop(s, &r))
		;
	assert_int_equal(s->verdicts, 48);
	for (i = 0; i < 48; i++) {
		char want[16];

		snprintf(want, sizeof want, "A-1-%d", 48 - i);
		assert_string_equal(s->rows[i].label, want);
	}
	scan_state_free(s);
}

static void
test_commands_only_alone(void **state)
{
	struct scan_state *s = fresh();
	struct scan_request r;
	int flags;

	(void)state;
	/* x alone: exit mode, and back. */
	flags = ev_key(s, T0, 'x', 0);
	assert_true(flags & SCAN_REDRAW_ALL);
	assert_int_equal(s->mode, GATE_EXIT);
	assert_int_equal(s->len, 0);
	ev_key(s, T0, 'x', 0);
	assert_int_equal(s->mode, GATE_ENTRY);

	/* The same letters inside a burst are a scan, mode untouched. */
	flags = scan(s, T0, "xmsq?a", 1);
	assert_true(flags & SCAN_WANT_CHECK);
	assert_false(flags & (SCAN_WANT_SYNC | SCAN_WANT_QUIT));
	assert_int_equal(s->mode, GATE_ENTRY);
	assert_int_equal(s->screen, SCAN_MAIN);
	assert_int_equal(scan_state_pop(s, &r), 1);
	assert_string_equal(r.text, "xmsq?a");

	/* A letter typed while a line is being read belongs to the line. */
	ev_key(s, T0, 'T', 0);
	ev_key(s, T0, 's', 0);
	assert_false(ev_key(s, T0, 'q', 0) & SCAN_WANT_QUIT);
	assert_int_equal(s->screen, SCAN_MAIN);
	assert_int_equal(s->len, 3);
	ev_key(s, T0, SCAN_KEY_BACKSPACE, 0);
	assert_int_equal(s->len, 2);
	assert_true(ev_key(s, T0, SCAN_KEY_ENTER, 0) & SCAN_WANT_CHECK);
	assert_int_equal(scan_state_pop(s, &r), 1);
	assert_string_equal(r.text, "Ts");

	/* Enter on nothing, and the LF of CR LF: nothing. */
	assert_int_equal(ev_key(s, T0, '\n', 0), 0);
	assert_int_equal(s->qcount, 0);

	/* s: sync; a: only when there is an alert. */
	assert_true(ev_key(s, T0, 's', 0) & SCAN_WANT_SYNC);
	assert_false(ev_key(s, T0, 'a', 0) & SCAN_WANT_ACK);

	/* Exit mode is carried by each queued line. */
	ev_key(s, T0, 'x', 0);
	scan(s, T0, "TS1:ABC", 1);
	assert_int_equal(scan_state_pop(s, &r), 1);
	assert_int_equal(r.mode, GATE_EXIT);
	ev_key(s, T0, 'x', 0);

	/* Function keys and stray control characters are ignored. */
	assert_int_equal(ev_key(s, T0, SCAN_KEY_OTHER, 0), 0);
	assert_int_equal(ev_key(s, T0, 0x01, 1), 0);
	assert_int_equal(s->len, 0);
	scan_state_free(s);
}

static void
test_help_quit(void **state)
{
	struct scan_state *s = fresh();
	struct gate_verdict v;
	struct scan_event ev;

	(void)state;
	ev_key(s, T0, '?', 0);
	assert_int_equal(s->screen, SCAN_HELP);
	assert_non_null(scan_help_line(0));
	ev_key(s, T0, '?', 0);
	assert_int_equal(s->screen, SCAN_MAIN);
	ev_key(s, T0, '?', 0);
	/* A scan while the help is up: the verdict shows. */
	memset(&v, 0, sizeof v);
	memset(&ev, 0, sizeof ev);
	ev.kind = SCAN_EV_VERDICT;
	ev.now_ms = T0;
	ev.verdict = &v;
	scan_state_handle(s, &ev);
	assert_int_equal(s->screen, SCAN_MAIN);

	/* Quit asks first: n (or anything else) keeps scanning, y quits. */
	assert_false(ev_key(s, T0, 'q', 0) & SCAN_WANT_QUIT);
	assert_int_equal(s->screen, SCAN_QUIT);
	assert_false(ev_key(s, T0, 'n', 0) & SCAN_WANT_QUIT);
	assert_int_equal(s->screen, SCAN_MAIN);
	ev_key(s, T0, 'q', 0);
	assert_false(ev_key(s, T0, SCAN_KEY_ESC, 0) & SCAN_WANT_QUIT);
	assert_int_equal(s->screen, SCAN_MAIN);
	ev_key(s, T0, 'q', 0);
	assert_false(ev_key(s, T0, SCAN_KEY_ENTER, 0) & SCAN_WANT_QUIT);
	assert_int_equal(s->screen, SCAN_MAIN);
	ev_key(s, T0, 'q', 0);
	assert_false(ev_key(s, T0, 'z', 0) & SCAN_WANT_QUIT);
	assert_int_equal(s->screen, SCAN_MAIN);
	assert_int_equal(s->len, 0);
	ev_key(s, T0, '?', 0);
	ev_key(s, T0, 'z', 0);
	assert_int_equal(s->screen, SCAN_MAIN);
	assert_int_equal(s->len, 0);
	ev_key(s, T0, 'q', 0);
	/* A scan arriving at the question is a scan, not an answer. */
	assert_false(scan(s, T0, "TS1:YY", 1) & SCAN_WANT_QUIT);
	assert_int_equal(s->qcount, 1);
	assert_true(ev_key(s, T0, 'y', 0) & SCAN_WANT_QUIT);
	scan_state_free(s);
}

static void
test_manual(void **state)
{
	struct scan_state *s = fresh();
	struct scan_request r;
	char buf[256];
	int flags;

	(void)state;
	ev_key(s, T0, 'm', 0);
	assert_int_equal(s->screen, SCAN_MANUAL);
	/* In manual entry every letter is text, commands included. */
	scan(s, T0, "a-1-3x", 0);
	assert_int_equal(s->mode, GATE_ENTRY);
	ev_key(s, T0, SCAN_KEY_BACKSPACE, 0);
	scan_format_footer(s, buf, sizeof buf, 200);
	assert_non_null(strstr(buf, "a-1-3_"));
	flags = ev_key(s, T0, SCAN_KEY_ENTER, 0);
	assert_true(flags & SCAN_WANT_CHECK);
	assert_int_equal(s->screen, SCAN_MAIN);
	assert_int_equal(scan_state_pop(s, &r), 1);
	assert_string_equal(r.text, "a-1-3");
	assert_int_equal(r.manual, 1);

	/* Esc cancels; Enter on nothing stays. */
	ev_key(s, T0, 'm', 0);
	assert_int_equal(ev_key(s, T0, SCAN_KEY_ENTER, 0), 0);
	assert_int_equal(s->screen, SCAN_MANUAL);
	scan(s, T0, "B-2", 0);
	ev_key(s, T0, SCAN_KEY_ESC, 0);
	assert_int_equal(s->screen, SCAN_MAIN);
	assert_int_equal(s->qcount, 0);

	/* A long entry keeps its end in view. */
	ev_key(s, T0, 'm', 0);
	scan(s, T0, "TS1:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 0);
	scan_format_footer(s, buf, sizeof buf, 30);
	assert_int_equal(strlen(buf), 30);
	assert_int_equal(buf[0], '<');
	assert_non_null(strstr(buf, "456789_"));
	scan_state_free(s);
}

static void
test_partial_scans(void **state)
{
	struct scan_state *s = fresh();
	struct scan_request r;
	char t[TICKET_TEXT_LEN + 1], buf[256];
	int flags;

	(void)state;
	/* A scan cut short, then nothing: dropped after a while, with a word to the steward. */
	scan(s, T0, "TS1:ABCDEF", 0);
	assert_int_equal(ev_tick(s, T0 + 1000) & SCAN_WANT_CHECK, 0);
	assert_int_equal(s->len, 10);
	scan_format_footer(s, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, "Reading"));
	ev_tick(s, T0 + SCAN_GAP_MS + 1);
	assert_int_equal(s->len, 0);
	scan_format_footer(s, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, "incomplete"));

	/* Cut short and followed by a real scan much later: the real one is not spoiled. */
	scan(s, T0 + 10000, "TS1:GARB", 0);
	fake_ticket(3, t);
	scan(s, T0 + 10000 + SCAN_GAP_MS + 500, t, 1);
	assert_int_equal(scan_state_pop(s, &r), 1);
	assert_string_equal(r.text, t);

	/* A scanner without Enter: a whole ticket and silence is a scan. */
	scan(s, T0 + 20000, t, 0);
	assert_int_equal(ev_tick(s, T0 + 20500) & SCAN_WANT_CHECK, 0);
	flags = ev_tick(s, T0 + 20000 + SCAN_IDLE_SUBMIT_MS);
	assert_true(flags & SCAN_WANT_CHECK);
	assert_int_equal(scan_state_pop(s, &r), 1);
	assert_string_equal(r.text, t);

	/* A line longer than the buffer is cut, counted, and still queued (and refused). */
	{
		char big[SCAN_LINE_MAX + 100];

		memset(big, 'A', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		scan(s, T0 + 30000, big, 1);
		assert_int_equal(scan_state_pop(s, &r), 1);
		assert_int_equal(strlen(r.text), SCAN_LINE_MAX - 1);
	}
	scan_state_free(s);
}

static void
test_queue_full(void **state)
{
	struct scan_state *s = fresh();
	int i, flags = 0;

	(void)state;
	for (i = 0; i < SCAN_QUEUE_MAX; i++)
		assert_true(scan(s, T0, "TS1:X", 1) & SCAN_WANT_CHECK);
	flags = scan(s, T0, "TS1:Y", 1);
	assert_false(flags & SCAN_WANT_CHECK);
	assert_true(flags & SCAN_WANT_BELL);
	assert_int_equal(s->lost, 1);
	assert_int_equal(s->qcount, SCAN_QUEUE_MAX);
	scan_state_free(s);
}

static struct gate_verdict
verdict(int admit, enum gate_reason r, enum gate_mode mode)
{
	struct gate_verdict v;

	memset(&v, 0, sizeof v);
	v.admit = admit;
	v.reason = r;
	v.mode = mode;
	v.at = T0 / 1000;
	snprintf(v.label, sizeof v.label, "A-1-7");
	snprintf(v.section, sizeof v.section, "A");
	snprintf(v.row, sizeof v.row, "1");
	snprintf(v.seat, sizeof v.seat, "7");
	snprintf(v.tier, sizeof v.tier, "Stalls");
	snprintf(v.text, sizeof v.text, admit ? "Valid ticket: let them in." :
	    "Already admitted at North Gate 2 at 14:10.");
	return v;
}

static int
show(struct scan_state *s, int64_t ms, const struct gate_verdict *v)
{
	struct scan_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = SCAN_EV_VERDICT;
	ev.now_ms = ms;
	ev.verdict = v;
	return scan_state_handle(s, &ev);
}

static void
test_verdict_panel(void **state)
{
	struct scan_state *s = fresh();
	struct gate_verdict a = verdict(1, GATE_ADMITTED, GATE_ENTRY);
	struct gate_verdict d = verdict(0, GATE_ALREADY_ADMITTED, GATE_ENTRY);
	struct gate_verdict x = verdict(1, GATE_EXITED, GATE_EXIT);
	char buf[256];
	int flags, i;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(scan_verdict_word(s), "");
	flags = show(s, T0, &a);
	assert_true(flags & SCAN_REDRAW_VERDICT);
	assert_false(flags & SCAN_WANT_BELL);
	assert_string_equal(scan_verdict_word(s), "ADMIT");
	scan_format_verdict(s, 0, buf, sizeof buf, 80);
	assert_string_equal(buf, "ADMIT  Section A, row 1, seat 7  Stalls");
	scan_format_verdict(s, 1, buf, sizeof buf, 80);
	assert_string_equal(buf, "Valid ticket: let them in.");

	/* A refusal rings (unless the bell is off) and stays until the next scan... */
	flags = show(s, T0 + 1000, &d);
	assert_true(flags & SCAN_WANT_BELL);
	assert_string_equal(scan_verdict_word(s), "DENIED");
	scan_format_verdict(s, 0, buf, sizeof buf, 80);
	assert_string_equal(buf, "DENIED  Section A, row 1, seat 7  Stalls");
	/* ... or a few seconds. */
	assert_false(ev_tick(s, T0 + 1000 + SCAN_VERDICT_MS - 1) & SCAN_REDRAW_VERDICT);
	assert_string_equal(scan_verdict_word(s), "DENIED");
	assert_true(ev_tick(s, T0 + 1000 + SCAN_VERDICT_MS) & SCAN_REDRAW_VERDICT);
	assert_string_equal(scan_verdict_word(s), "");
	scan_format_verdict(s, 0, buf, sizeof buf, 80);
	assert_string_equal(buf, "");

	show(s, T0 + 9000, &x);
	assert_string_equal(scan_verdict_word(s), "EXIT");
	ev_key(s, T0 + 9000, SCAN_KEY_ESC, 0);
	assert_string_equal(scan_verdict_word(s), "");

	/* The list, newest first, and its rows as text. */
	assert_int_equal(s->nrows, 3);
	scan_format_row(&s->rows[1], buf, sizeof buf, 200);
	assert_string_equal(buf, "14:13:20 DENY  A-1-7        already-admitted "
	    "Already admitted at North Gate 2 at 14:10.");
	scan_format_row(&s->rows[0], buf, sizeof buf, 200);
	assert_non_null(strstr(buf, " OUT   A-1-7 "));
	scan_format_row(&s->rows[2], buf, sizeof buf, 30);
	assert_int_equal(strlen(buf), 30);
	assert_string_equal(buf, "14:13:20 ADMIT A-1-7        ad");
	for (i = 0; i < 100; i++)
		show(s, T0, &a);
	assert_int_equal(s->nrows, SCAN_ROWS_MAX);

	/* No bell when turned off. */
	s->bell = 0;
	assert_false(show(s, T0, &d) & SCAN_WANT_BELL);
	scan_state_free(s);
}

static void
test_status_bar(void **state)
{
	struct scan_state *s = fresh();
	struct sync_status ss;
	struct gate_counts c;
	struct scan_event ev;
	char buf[512];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	ev_tick(s, T0);
	scan_format_status(s, 0, buf, sizeof buf, 80);
	assert_int_equal(strlen(buf), 80);
	assert_non_null(strstr(buf, " North Gate 2 | Rock Night"));
	assert_string_equal(buf + 80 - 9, "14:13:20 ");
	scan_format_status(s, 1, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, "CONNECTING"));

	memset(&ss, 0, sizeof ss);
	ss.online = 1;
	memset(&ev, 0, sizeof ev);
	ev.kind = SCAN_EV_SYNC;
	ev.now_ms = T0;
	ev.sync = &ss;
	assert_true(scan_state_handle(s, &ev) & SCAN_REDRAW_STATUS);
	assert_int_equal(scan_state_handle(s, &ev), 0);        /* nothing new */
	memset(&c, 0, sizeof c);
	c.here = 12;
	c.all = 340;
	c.sold = 900;
	c.capacity = 1000;
	ev.kind = SCAN_EV_COUNTS;
	ev.counts = &c;
	assert_true(scan_state_handle(s, &ev) & SCAN_REDRAW_STATUS);
	scan_format_status(s, 1, buf, sizeof buf, 80);
	assert_int_equal(strlen(buf), 80);
	assert_memory_equal(buf, " ONLINE   ", 10);
	{
		const char *want = "here 12 | all gates 340 | sold 900 of 1000 ";

		assert_string_equal(buf + 80 - strlen(want), want);
	}

	ss.online = 0;
	ss.offline_since = T0 / 1000 - 133;            /* 14:11:07 */
	ss.waiting = 7;
	ev.kind = SCAN_EV_SYNC;
	scan_state_handle(s, &ev);
	scan_format_status(s, 1, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, " OFFLINE since 14:11, 7 to upload"));
	assert_non_null(strstr(buf, "sold 900 of 1000 "));

	/* Exit mode shows on the top line; a narrow screen keeps the right part whole. */
	ev_key(s, T0, 'x', 0);
	scan_format_status(s, 0, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, "EXIT MODE | 14:13:20 "));
	scan_format_status(s, 0, buf, sizeof buf, 30);
	assert_int_equal(strlen(buf), 30);
	assert_non_null(strstr(buf, "EXIT MODE | 14:13:20 "));
	scan_format_status(s, 1, buf, sizeof buf, 40);
	assert_true(strlen(buf) <= 40);

	/* UTF-8 names are cut between characters. */
	snprintf(s->gate, sizeof s->gate, "Pörtchen Nord");
	scan_format_status(s, 0, buf, sizeof buf, 25);
	assert_true(strlen(buf) <= 26);
	assert_non_null(strstr(buf, " P\xc3\xb6r"));

	/* Footer: first the news of the mode, then the keys; in exit mode, the way back. */
	scan_format_footer(s, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, "Exit mode: scanning people OUT"));
	ev_tick(s, T0 + SCAN_NOTICE_MS);
	scan_format_footer(s, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, "x ENTRY mode"));
	ev_key(s, T0 + SCAN_NOTICE_MS, 'x', 0);
	ev_tick(s, T0 + 2 * SCAN_NOTICE_MS);
	scan_format_footer(s, buf, sizeof buf, 80);
	assert_non_null(strstr(buf, "x exit mode"));
	assert_non_null(strstr(buf, "q quit"));
	scan_state_free(s);
}

static void
test_alerts(void **state)
{
	struct scan_state *s = fresh();
	struct scan_event ev;
	char buf[256];
	int flags;

	(void)state;
	memset(&ev, 0, sizeof ev);
	ev.kind = SCAN_EV_ALERT;
	ev.now_ms = T0;
	ev.text = "DUPLICATE ENTRY A-1-7: in at North 14:00, and again at South 14:02";
	flags = scan_state_handle(s, &ev);
	assert_true(flags & SCAN_WANT_BELL);
	assert_int_equal(s->alerts, 1);
	assert_int_equal(s->rows[0].kind, 1);
	scan_format_row(&s->rows[0], buf, sizeof buf, 200);
	assert_non_null(strstr(buf, "ALERT DUPLICATE ENTRY A-1-7"));
	scan_format_footer(s, buf, sizeof buf, 200);
	assert_non_null(strstr(buf, "a alert seen"));
	/* a: acknowledged; the row stays in the list. */
	assert_true(ev_key(s, T0, 'a', 0) & SCAN_WANT_ACK);
	assert_int_equal(s->alerts, 0);
	assert_int_equal(s->nrows, 1);

	ev.kind = SCAN_EV_ERROR;
	ev.text = "Scan not recorded (disk full): scan it again.";
	scan_state_handle(s, &ev);
	scan_format_row(&s->rows[0], buf, sizeof buf, 200);
	assert_non_null(strstr(buf, "ERROR Scan not recorded"));
	assert_int_equal(s->alerts, 0);
	scan_state_free(s);
}

static void
test_bigtext(void **state)
{
	char row[256];
	int sx, sy, i;

	(void)state;
	assert_int_equal(bigtext_width("ADMIT", 1), 29);
	assert_int_equal(bigtext_width("DENIED", 2), 70);
	assert_int_equal(bigtext_width("", 2), 0);
	assert_int_equal(bigtext_row("AT", 1, 1, 0, row, sizeof row), 11);
	assert_string_equal(row, " ###  #####");
	bigtext_row("AT", 1, 1, 2, row, sizeof row);
	assert_string_equal(row, "#####   #  ");
	bigtext_row("I", 2, 1, 1, row, sizeof row);
	assert_string_equal(row, "    ##    ");
	/* Vertical scale repeats rows. */
	bigtext_row("E", 1, 2, 2, row, sizeof row);
	assert_string_equal(row, "#    ");
	bigtext_row("E", 1, 2, 3, row, sizeof row);
	assert_string_equal(row, "#    ");
	assert_int_equal(bigtext_row("E", 1, 2, 10, row, sizeof row), 0);
	assert_string_equal(row, "");
	/* Every letter of every word has ink in every row. */
	for (i = 0; i < BIGTEXT_ROWS; i++) {
		const char *w[] = { "ADMIT", "DENIED", "EXIT", "ERROR", "READY", "OUT" };
		size_t k;

		for (k = 0; k < nitems(w); k++) {
			bigtext_row(w[k], 1, 1, i, row, sizeof row);
			assert_non_null(strchr(row, '#'));
		}
	}
	/* Truncation. */
	assert_int_equal(bigtext_row("DENIED", 2, 1, 0, row, 11), 10);
	/* Fitting: the tallest, then the widest that fits. */
	assert_int_equal(bigtext_fit("DENIED", 78, 9, &sx, &sy), 0);
	assert_int_equal(sx, 2);
	assert_int_equal(sy, 1);
	assert_int_equal(bigtext_fit("DENIED", 78, 12, &sx, &sy), 0);
	assert_int_equal(sx, 2);
	assert_int_equal(sy, 2);
	assert_int_equal(bigtext_fit("DENIED", 128, 12, &sx, &sy), 0);
	assert_int_equal(sx, 3);
	assert_int_equal(sy, 2);
	assert_int_equal(bigtext_fit("DENIED", 198, 40, &sx, &sy), 0);
	assert_int_equal(sx, 5);
	assert_int_equal(sy, 4);
	assert_int_equal(bigtext_fit("DENIED", 40, 12, &sx, &sy), 0);
	assert_int_equal(sx, 1);
	assert_int_equal(sy, 1);
	assert_int_equal(bigtext_fit("DENIED", 30, 12, &sx, &sy), -1);
	assert_int_equal(bigtext_fit("DENIED", 78, 4, &sx, &sy), -1);
}

static void
test_camera_repeat(void **state)
{
	char last[64] = "";
	int64_t at = 0;

	(void)state;
	assert_int_equal(camera_new_scan("TS1:A", 1000, last, sizeof last, &at), 1);
	assert_int_equal(camera_new_scan("TS1:A", 1100, last, sizeof last, &at), 0);
	/* Held in front of the lens: still the same scan. */
	assert_int_equal(camera_new_scan("TS1:A", 1100 + CAMERA_REPEAT_MS, last, sizeof last,
	    &at), 0);
	assert_int_equal(camera_new_scan("TS1:B", 3200, last, sizeof last, &at), 1);
	assert_int_equal(camera_new_scan("TS1:A", 3300, last, sizeof last, &at), 1);
	/* Shown again after a pause: a new scan (the gate will say already admitted). */
	assert_int_equal(camera_new_scan("TS1:A", 3301 + CAMERA_REPEAT_MS, last, sizeof last,
	    &at), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_of_50),
		cmocka_unit_test(test_commands_only_alone),
		cmocka_unit_test(test_help_quit),
		cmocka_unit_test(test_manual),
		cmocka_unit_test(test_partial_scans),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_verdict_panel),
		cmocka_unit_test(test_status_bar),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_bigtext),
		cmocka_unit_test(test_camera_repeat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
