/*
 * scan-state.c: the gate screen as state and events, with no curses.
 *
 * Input is one event at a time (scan-state.h): a key, a verdict, a tick of the clock, a new
 * terminal size, the syncer's status, the counters, an alert. Each changes the state and
 * returns what to redraw and what the caller should do (check queued lines, sync, ring, quit).
 *
 * A USB barcode scanner is a keyboard that types a whole ticket and Enter in a few
 * milliseconds. Its characters accumulate in line until Enter, and each finished line is
 * queued in order; nothing is dropped while the caller is busy checking the previous one (the
 * terminal holds the keys until they are read). The single-letter commands (x, m, s, a, ?, q)
 * act only when typed alone: a key that arrives in a burst with others, or while a line is
 * being read, is part of a scan. A ticket's text is upper case, digits and $%*+-./: anyway.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan-state.h"
#include "timefmt.h"
#include "xmalloc.h"

struct scan_state *
scan_state_new(const char *gate, const char *event, int bell)
{
	struct scan_state *s = xcalloc(1, sizeof *s);

	snprintf(s->gate, sizeof s->gate, "%s", gate != NULL ? gate : "");
	snprintf(s->event, sizeof s->event, "%s", event != NULL ? event : "");
	s->bell = bell;
	s->width = 80;
	s->height = 24;
	s->queue = xcalloc(SCAN_QUEUE_MAX, sizeof *s->queue);
	return s;
}

void
scan_state_free(struct scan_state *s)
{
	if (s == NULL)
		return;
	free(s->queue);
	free(s);
}

static void PRINTFLIKE(2, 3)
notice(struct scan_state *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->notice, sizeof s->notice, fmt, ap);
	va_end(ap);
	s->notice_ms = s->now_ms;
}

static void
add_row(struct scan_state *s, const struct scan_row *r)
{
	memmove(&s->rows[1], &s->rows[0], (SCAN_ROWS_MAX - 1) * sizeof s->rows[0]);
	s->rows[0] = *r;
	if (s->nrows < SCAN_ROWS_MAX)
		s->nrows++;
}

static int
enqueue(struct scan_state *s, const char *text, int manual)
{
	struct scan_request *r;

	if (s->qcount == SCAN_QUEUE_MAX) {
		s->lost++;
		notice(s, "Too many scans waiting: scan that ticket again.");
		return SCAN_REDRAW_FOOTER | SCAN_WANT_BELL;
	}
	r = &s->queue[(s->qhead + s->qcount) % SCAN_QUEUE_MAX];
	snprintf(r->text, sizeof r->text, "%s", text);
	r->manual = manual;
	r->mode = s->mode;
	s->qcount++;
	s->queued++;
	return SCAN_WANT_CHECK;
}

int
scan_state_pop(struct scan_state *s, struct scan_request *r)
{
	if (s->qcount == 0)
		return 0;
	*r = s->queue[s->qhead];
	s->qhead = (s->qhead + 1) % SCAN_QUEUE_MAX;
	s->qcount--;
	return 1;
}

/* The scanner's line is complete: queue it. */
static int
end_line(struct scan_state *s)
{
	int flags;

	if (s->len == 0)
		return 0;       /* the LF of a CR LF, or Enter on nothing */
	s->line[s->len] = '\0';
	flags = enqueue(s, s->line, 0);
	s->len = 0;
	s->overflow = 0;
	return flags | SCAN_REDRAW_FOOTER;
}

static int
line_add(struct scan_state *s, int c)
{
	int flags = 0;

	/* A partial line left idle (a scan cut short) must not stick to the next one. */
	if (s->len > 0 && s->now_ms - s->line_ms > SCAN_GAP_MS) {
		notice(s, "An incomplete scan was discarded: scan that ticket again.");
		s->len = 0;
		s->overflow = 0;
		flags |= SCAN_REDRAW_FOOTER;
	}
	if (s->len + 1 < sizeof s->line)
		s->line[s->len++] = (char)c;
	else
		s->overflow++;
	s->line_ms = s->now_ms;
	return flags;
}

static int
is_command(int c)
{
	return c == 'x' || c == 'm' || c == 's' || c == 'a' || c == '?' || c == 'q' ||
	    c == 'y' || c == 'n' || c == SCAN_KEY_ESC;
}

static int
toggle_mode(struct scan_state *s)
{
	s->mode = s->mode == GATE_ENTRY ? GATE_EXIT : GATE_ENTRY;
	s->has_verdict = 0;
	notice(s, s->mode == GATE_EXIT ? "Exit mode: scanning people OUT." :
	    "Entry mode: scanning people IN.");
	return SCAN_REDRAW_ALL;
}

/* A command key typed alone, outside manual entry. */
static int
command(struct scan_state *s, int c)
{
	if (s->screen == SCAN_QUIT) {
		if (c == 'y')
			return SCAN_WANT_QUIT;
		s->screen = SCAN_MAIN;
		return SCAN_REDRAW_ALL;
	}
	if (s->screen == SCAN_HELP && (c == '?' || c == 'q' || c == SCAN_KEY_ESC)) {
		s->screen = SCAN_MAIN;
		return SCAN_REDRAW_ALL;
	}
	s->screen = SCAN_MAIN;
	switch (c) {
	case 'x':
		return toggle_mode(s);
	case 'm':
		s->screen = SCAN_MANUAL;
		s->mlen = 0;
		s->manual[0] = '\0';
		return SCAN_REDRAW_ALL;
	case 's':
		notice(s, "Syncing with the server...");
		return SCAN_REDRAW_FOOTER | SCAN_WANT_SYNC;
	case 'a':
		if (s->alerts == 0)
			return SCAN_REDRAW_ALL;
		s->alert[0] = '\0';
		s->alerts = 0;
		return SCAN_REDRAW_ALL | SCAN_WANT_ACK;
	case '?':
		s->screen = SCAN_HELP;
		return SCAN_REDRAW_ALL;
	case 'q':
		s->screen = SCAN_QUIT;
		return SCAN_REDRAW_ALL;
	case SCAN_KEY_ESC:
		s->has_verdict = 0;
		s->notice[0] = '\0';
		return SCAN_REDRAW_ALL;
	}
	return SCAN_REDRAW_ALL;
}

static int
manual_key(struct scan_state *s, int c, int more)
{
	int flags;

	if (c == SCAN_KEY_ENTER || c == '\r' || c == '\n') {
		if (s->mlen == 0)
			return 0;
		s->manual[s->mlen] = '\0';
		flags = enqueue(s, s->manual, 1);
		s->mlen = 0;
		s->screen = SCAN_MAIN;
		return flags | SCAN_REDRAW_ALL;
	}
	if (c == SCAN_KEY_ESC && !more) {
		s->screen = SCAN_MAIN;
		s->mlen = 0;
		return SCAN_REDRAW_ALL;
	}
	if (c == SCAN_KEY_BACKSPACE || c == 0x7f || c == 0x08) {
		if (s->mlen > 0)
			s->mlen--;
		s->manual[s->mlen] = '\0';
		return SCAN_REDRAW_FOOTER;
	}
	if (c >= 0x20 && c <= 0xff && c != 0x7f && s->mlen + 1 < sizeof s->manual) {
		s->manual[s->mlen++] = (char)c;
		s->manual[s->mlen] = '\0';
	}
	return SCAN_REDRAW_FOOTER;
}

static int
key(struct scan_state *s, int c, int more)
{
	if (s->screen == SCAN_MANUAL)
		return manual_key(s, c, more);
	/* The question and the help go away with any key typed alone ('y' quits). */
	if ((s->screen == SCAN_QUIT || s->screen == SCAN_HELP) && s->len == 0 && !more &&
	    !is_command(c)) {
		s->screen = SCAN_MAIN;
		return SCAN_REDRAW_ALL;
	}
	if (c == SCAN_KEY_ENTER || c == '\r' || c == '\n')
		return end_line(s);
	if (c == SCAN_KEY_BACKSPACE || c == 0x7f || c == 0x08) {
		if (s->len > 0)
			s->len--;
		return SCAN_REDRAW_FOOTER;
	}
	if (c == SCAN_KEY_OTHER)
		return 0;
	if (s->len == 0 && !more && is_command(c))
		return command(s, c);
	if (c == SCAN_KEY_ESC)
		return 0;       /* an ESC inside a burst: not ours */
	if (c < 0x20 || c > 0xff)
		return 0;       /* other control characters */
	return line_add(s, c) | (s->len == 1 ? SCAN_REDRAW_FOOTER : 0);
}

static int
verdict(struct scan_state *s, const struct gate_verdict *v)
{
	struct scan_row r;

	s->verdict = *v;
	s->has_verdict = 1;
	if (s->screen == SCAN_HELP)
		s->screen = SCAN_MAIN;  /* the verdict matters more */
	s->verdict_ms = s->now_ms;
	s->verdicts++;
	memset(&r, 0, sizeof r);
	r.at = v->at;
	r.admit = v->admit;
	r.mode = v->mode;
	r.reason = v->reason;
	snprintf(r.label, sizeof r.label, "%s", v->label);
	snprintf(r.text, sizeof r.text, "%s", v->text);
	add_row(s, &r);
	return SCAN_REDRAW_VERDICT | SCAN_REDRAW_LIST | SCAN_REDRAW_STATUS |
	    (!v->admit && s->bell ? SCAN_WANT_BELL : 0);
}

static int
tick(struct scan_state *s, int64_t before)
{
	int flags = 0;

	if (s->has_verdict && s->now_ms - s->verdict_ms >= SCAN_VERDICT_MS) {
		s->has_verdict = 0;
		flags |= SCAN_REDRAW_VERDICT;
	}
	if (s->notice[0] != '\0' && s->now_ms - s->notice_ms >= SCAN_NOTICE_MS) {
		s->notice[0] = '\0';
		flags |= SCAN_REDRAW_FOOTER | SCAN_REDRAW_VERDICT;
	}
	if (s->len > 0 && s->screen != SCAN_MANUAL) {
		/* A scanner set up without Enter: a whole ticket followed by silence. */
		if (s->now_ms - s->line_ms >= SCAN_IDLE_SUBMIT_MS &&
		    s->len >= (size_t)TICKET_TEXT_LEN && strncmp(s->line, "TS", 2) == 0)
			flags |= end_line(s);
		else if (s->now_ms - s->line_ms > SCAN_GAP_MS) {
			notice(s, "An incomplete scan was discarded: scan that ticket again.");
			s->len = 0;
			s->overflow = 0;
			flags |= SCAN_REDRAW_FOOTER | SCAN_REDRAW_VERDICT;
		}
	}
	if (before / 1000 != s->now_ms / 1000)
		flags |= SCAN_REDRAW_STATUS;
	return flags;
}

int
scan_state_handle(struct scan_state *s, const struct scan_event *ev)
{
	struct scan_row r;
	int64_t before = s->now_ms;

	s->now_ms = ev->now_ms;
	switch (ev->kind) {
	case SCAN_EV_KEY:
		return key(s, ev->key, ev->more);
	case SCAN_EV_VERDICT:
		return verdict(s, ev->verdict);
	case SCAN_EV_TICK:
		return tick(s, before);
	case SCAN_EV_RESIZE:
		s->width = ev->width;
		s->height = ev->height;
		return SCAN_REDRAW_ALL;
	case SCAN_EV_SYNC:
		if (s->have_sync && memcmp(&s->sync, ev->sync, sizeof s->sync) == 0)
			return 0;
		s->sync = *ev->sync;
		s->have_sync = 1;
		return SCAN_REDRAW_STATUS;
	case SCAN_EV_COUNTS:
		if (memcmp(&s->counts, ev->counts, sizeof s->counts) == 0)
			return 0;
		s->counts = *ev->counts;
		return SCAN_REDRAW_STATUS;
	case SCAN_EV_ALERT:
	case SCAN_EV_ERROR:
		memset(&r, 0, sizeof r);
		r.at = s->now_ms / 1000;
		r.kind = ev->kind == SCAN_EV_ALERT ? 1 : 2;
		snprintf(r.text, sizeof r.text, "%s", ev->text);
		add_row(s, &r);
		if (ev->kind == SCAN_EV_ALERT) {
			snprintf(s->alert, sizeof s->alert, "%s", ev->text);
			s->alerts++;
		} else
			notice(s, "%s", ev->text);
		return SCAN_REDRAW_ALL | (s->bell ? SCAN_WANT_BELL : 0);
	}
	return 0;
}

/* ---- Formatting ------------------------------------------------------------------------ */

/* Copy src into buf, at most width characters (UTF-8 aware) and len - 1 bytes. */
static void
fit(char *buf, size_t len, int width, const char *src)
{
	size_t out = 0, n;
	int cols = 0;
	const unsigned char *p = (const unsigned char *)src;

	if (len == 0)
		return;
	while (*p != '\0' && cols < width) {
		n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;
		if (out + n >= len)
			break;
		if (strnlen((const char *)p, n) < n)
			break;
		memcpy(buf + out, p, n);
		out += n;
		p += n;
		cols++;
	}
	buf[out] = '\0';
}

static int
columns(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* left, spaces, right, in width columns; when both do not fit, the side keep names is kept. */
static void
spread(char *buf, size_t len, int width, const char *left, const char *right, int keep_left)
{
	char l[512], r[512], tmp[1100];
	int lw = columns(left), rw = columns(right);

	if (lw + rw <= width) {
		snprintf(tmp, sizeof tmp, "%s%*s%s", left, width - lw - rw, "", right);
		fit(buf, len, width, tmp);
		return;
	}
	if (keep_left) {
		fit(l, sizeof l, width, left);
		fit(r, sizeof r, width - columns(l) - 1 > 0 ? width - columns(l) - 1 : 0, right);
		snprintf(tmp, sizeof tmp, "%s %s", l, r);
	} else {
		fit(r, sizeof r, width, right);
		fit(l, sizeof l, width - columns(r), left);
		snprintf(tmp, sizeof tmp, "%s%s", l, r);
	}
	fit(buf, len, width, tmp);
}

static void
hhmm(int64_t t, char *buf, size_t len)
{
	timefmt_local(t, "%H:%M", buf, len);
}

void
scan_format_status(const struct scan_state *s, int line, char *buf, size_t len, int width)
{
	char left[256], right[256], when[16], clock[16];
	const struct gate_counts *c = &s->counts;

	if (line == 0) {
		timefmt_local(s->now_ms / 1000, "%H:%M:%S", clock, sizeof clock);
		snprintf(left, sizeof left, " %s | %s", s->gate[0] != '\0' ? s->gate : "(gate)",
		    s->event[0] != '\0' ? s->event : "no event");
		snprintf(right, sizeof right, "%s%s ", s->mode == GATE_EXIT ? "EXIT MODE | " : "",
		    clock);
		spread(buf, len, width, left, right, 0);
		return;
	}
	if (!s->have_sync)
		snprintf(left, sizeof left, " CONNECTING");
	else if (s->sync.online)
		snprintf(left, sizeof left, " ONLINE");
	else if (s->sync.offline_since != 0) {
		hhmm(s->sync.offline_since, when, sizeof when);
		snprintf(left, sizeof left, " OFFLINE since %s", when);
	} else
		snprintf(left, sizeof left, " OFFLINE");
	if (s->have_sync && s->sync.waiting > 0)
		snprintf(left + strlen(left), sizeof left - strlen(left), ", %d to upload",
		    s->sync.waiting);
	snprintf(right, sizeof right, "here %d | all gates %d | sold %d of %d ", c->here, c->all,
	    c->sold, c->capacity);
	spread(buf, len, width, left, right, 1);
}

static const char *
row_word(const struct scan_row *r)
{
	if (r->kind == 1)
		return "ALERT";
	if (r->kind == 2)
		return "ERROR";
	if (r->admit)
		return r->mode == GATE_EXIT ? "OUT" : "ADMIT";
	return "DENY";
}

void
scan_format_row(const struct scan_row *r, char *buf, size_t len, int width)
{
	char t[16], tmp[512];

	timefmt_local(r->at, "%H:%M:%S", t, sizeof t);
	if (r->kind != 0)
		snprintf(tmp, sizeof tmp, "%s %-5s %s", t, row_word(r), r->text);
	else
		snprintf(tmp, sizeof tmp, "%s %-5s %-12s %-16s %s", t, row_word(r),
		    r->label[0] != '\0' ? r->label : "-", gate_reason_code(r->reason), r->text);
	fit(buf, len, width, tmp);
}

const char *
scan_verdict_word(const struct scan_state *s)
{
	if (!s->has_verdict)
		return "";
	if (!s->verdict.admit)
		return "DENIED";
	return s->verdict.mode == GATE_EXIT ? "EXIT" : "ADMIT";
}

void
scan_format_verdict(const struct scan_state *s, int line, char *buf, size_t len, int width)
{
	const struct gate_verdict *v = &s->verdict;
	char seat[128], tmp[512];

	if (!s->has_verdict) {
		fit(buf, len, width, "");
		return;
	}
	if (line == 0) {
		gate_seat_words(v, seat, sizeof seat);
		if (v->label[0] == '\0')
			snprintf(tmp, sizeof tmp, "%s", scan_verdict_word(s));
		else
			snprintf(tmp, sizeof tmp, "%s  %s%s%s", scan_verdict_word(s), seat,
			    v->tier[0] != '\0' ? "  " : "", v->tier);
	} else
		snprintf(tmp, sizeof tmp, "%s", v->text);
	fit(buf, len, width, tmp);
}

void
scan_format_footer(const struct scan_state *s, char *buf, size_t len, int width)
{
	char tmp[1024];

	switch (s->screen) {
	case SCAN_MANUAL:
		snprintf(tmp, sizeof tmp, "Seat (A-12-7) or ticket text, Enter checks, Esc "
		    "cancels: %s_", s->manual);
		/* Keep the end of a long entry in view. */
		if (columns(tmp) > width && width > 1) {
			const char *p = tmp + strlen(tmp);
			char end[1024];
			int n = 0;

			while (p > tmp && n < width - 1) {
				p--;
				if (((unsigned char)*p & 0xc0) != 0x80)
					n++;
			}
			end[0] = '<';
			memcpy(end + 1, p, strlen(p) + 1);
			memcpy(tmp, end, strlen(end) + 1);
		}
		break;
	case SCAN_QUIT:
		snprintf(tmp, sizeof tmp, "Quit the scanner? y: quit  n: keep scanning");
		break;
	case SCAN_HELP:
	case SCAN_MAIN:
		if (s->len > 0)
			snprintf(tmp, sizeof tmp, "Reading a scan... (%zu characters)", s->len);
		else if (s->notice[0] != '\0')
			snprintf(tmp, sizeof tmp, "%s", s->notice);
		else
			snprintf(tmp, sizeof tmp, "x %s  m type a seat  s sync  %s? help  q quit",
			    s->mode == GATE_EXIT ? "ENTRY mode" : "exit mode",
			    s->alerts > 0 ? "a alert seen  " : "");
		break;
	}
	fit(buf, len, width, tmp);
}

static const char *help[] = {
	"Scan a ticket: the verdict fills the screen.",
	"  ADMIT (green)   let them in",
	"  DENIED (red)    do not let them in; the line below says why",
	"  EXIT (blue)     exit mode: scanned out",
	"Keys (each on its own):",
	"  x   switch between entry and exit mode (scanning people out)",
	"  m   type a seat (A-12-7) or a ticket's text by hand; Enter checks it",
	"  s   sync with the server now",
	"  a   an alert was seen (a duplicate entry found by sync)",
	"  Esc clear the verdict",
	"  ?   this help (? or Esc closes it)",
	"  q   quit (asks first)",
	"OFFLINE: the scanner decides alone and uploads later; keep scanning.",
	NULL,
};

const char *
scan_help_line(int i)
{
	if (i < 0 || (size_t)i >= sizeof help / sizeof help[0])
		return NULL;
	return help[i];
}
