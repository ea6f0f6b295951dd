/*
 * bo-ui.c: the box-office screen in curses. It draws from a const struct bo_state, line by line
 * with the bo_format_* functions, and turns curses keys into bo_keys. No decision is taken here.
 */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "bo-ui.h"
#include "config.h"
#include "xmalloc.h"

#define LINE_MAX_BYTES  1024

enum {
	PAIR_FREE = 1,
	PAIR_MINE,
	PAIR_LEASED,
	PAIR_HELD,
	PAIR_SOLD,
	PAIR_NOSALE,
	PAIR_BAR,
	PAIR_ERROR,
	PAIR_OK,
};

static int colours;

int
bo_ui_start(int scheme, char **cause)
{
	const char *cs;

	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	if (cs == NULL || strcmp(cs, "UTF-8") != 0)
		setlocale(LC_ALL, "C.UTF-8");       /* the QR codes are drawn with half blocks */
	if (initscr() == NULL)
		return set_cause(cause, "cannot start the terminal (is TERM set?)");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	colours = 0;
	if (scheme != CONFIG_COLOURS_OFF && has_colors()) {
		int cb = scheme == CONFIG_COLOURS_COLOURBLIND;

		start_color();
		use_default_colors();
		/* Colour-blind safe: free is blue and sold yellow, never green against red. */
		init_pair(PAIR_FREE, cb ? COLOR_BLUE : COLOR_GREEN, -1);
		init_pair(PAIR_MINE, COLOR_BLACK, cb ? COLOR_WHITE : COLOR_YELLOW);
		init_pair(PAIR_LEASED, COLOR_CYAN, -1);
		init_pair(PAIR_HELD, COLOR_MAGENTA, -1);
		init_pair(PAIR_SOLD, cb ? COLOR_YELLOW : COLOR_RED, -1);
		init_pair(PAIR_NOSALE, COLOR_WHITE, -1);
		init_pair(PAIR_BAR, COLOR_BLACK, COLOR_WHITE);
		init_pair(PAIR_ERROR, cb ? COLOR_BLACK : COLOR_WHITE, cb ? COLOR_YELLOW : COLOR_RED);
		init_pair(PAIR_OK, cb ? COLOR_WHITE : COLOR_BLACK, cb ? COLOR_BLUE : COLOR_GREEN);
		colours = 1;
	}
	return 0;
}

void
bo_ui_stop(void)
{
	if (!isendwin())
		endwin();
}

void
bo_ui_size(int *w, int *h)
{
	getmaxyx(stdscr, *h, *w);
}

static attr_t
glyph_attr(int cls)
{
	static const int pair[BO_G_NGLYPHS] = {
		[BO_G_FREE] = PAIR_FREE, [BO_G_MINE] = PAIR_MINE, [BO_G_LEASED] = PAIR_LEASED,
		[BO_G_HELD] = PAIR_HELD, [BO_G_SOLD] = PAIR_SOLD, [BO_G_NOSALE] = PAIR_NOSALE,
	};

	if (cls >= BO_G_NGLYPHS)
		return A_NORMAL;
	if (!colours)
		return cls == BO_G_MINE ? A_REVERSE : cls == BO_G_NOSALE ? A_DIM : A_NORMAL;
	return COLOR_PAIR(pair[cls]) | (cls == BO_G_MINE || cls == BO_G_SOLD ? A_BOLD : 0) |
	    (cls == BO_G_NOSALE ? A_DIM : 0);
}

/* How many bytes of text fill at most cols columns (a code point a column), whole characters. */
static int
fit(const char *text, int cols)
{
	const unsigned char *p = (const unsigned char *)text;
	int n = 0;

	while (*p != '\0' && cols > 0) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		cols--;
	}
	n = (int)((const char *)p - text);
	return n;
}

/* A line of text at (y, x), cut to the screen. */
static void
put(int y, int x, const char *text)
{
	int w, h;

	getmaxyx(stdscr, h, w);
	if (y < 0 || y >= h || x >= w)
		return;
	mvaddnstr(y, x, text, fit(text, w - x));
}

/* A full-width bar (title, status). */
static void
bar(int y, const char *text, attr_t a)
{
	int w, h;

	getmaxyx(stdscr, h, w);
	if (y < 0 || y >= h)
		return;
	attron(a);
	mvhline(y, 0, ' ', w);
	mvaddnstr(y, 0, text, fit(text, w));
	attroff(a);
}

static void
draw_events(const struct bo_state *s, const struct bo_layout *l)
{
	char buf[LINE_MAX_BYTES];
	size_t i, first = 0, rows = (size_t)(l->map_h - 1);

	put(l->map_y, 0, " id  event                    starts            venue           sold leased");
	if (s->nevents == 0) {
		put(l->map_y + 2, 2, "No events yet. The box office fetches them from the server "
		    "(^R syncs now).");
		return;
	}
	if (s->ev_cursor >= rows)
		first = s->ev_cursor - rows + 1;
	for (i = first; i < s->nevents && i - first < rows; i++) {
		bo_format_event(s, i, buf, sizeof buf);
		if (i == s->ev_cursor)
			attron(A_REVERSE);
		mvhline(l->map_y + 1 + (int)(i - first), 0, ' ', l->map_w + l->cart_w);
		put(l->map_y + 1 + (int)(i - first), 0, buf);
		if (i == s->ev_cursor)
			attroff(A_REVERSE);
	}
}

static void
draw_map(const struct bo_state *s, const struct bo_layout *l)
{
	char glyphs[LINE_MAX_BYTES], buf[LINE_MAX_BYTES];
	uint8_t cls[LINE_MAX_BYTES];
	const struct bo_section *sec;
	int y, x, cx, tx, tw, width = l->map_w < LINE_MAX_BYTES - 1 ? l->map_w : LINE_MAX_BYTES - 1;
	size_t i, freec = 0, leased = 0, mine = 0;

	bo_format_tabs(s, s->w, buf, sizeof buf, &tx, &tw);
	put(1, 0, buf);
	if (tx >= 0) {
		attron(A_REVERSE | A_BOLD);
		mvaddnstr(1, tx, buf + tx, tw);
		attroff(A_REVERSE | A_BOLD);
	}
	if (s->map == NULL || s->sec >= s->map->nsections)
		return;
	sec = &s->map->sections[s->sec];
	if (sec->ga) {
		for (i = 0; sec->nrows > 0 && i < sec->rows[0].n; i++) {
			const struct bo_seat *p = &sec->rows[0].seats[i];
			enum bo_glyph g = bo_state_glyph(s, p);

			freec += g == BO_G_FREE || g == BO_G_LEASED;
			leased += g == BO_G_LEASED;
			mine += g == BO_G_MINE;
		}
		snprintf(buf, sizeof buf, " %s: general admission, %zu places", sec->name,
		    sec->nrows > 0 ? sec->rows[0].n : 0);
		put(l->map_y + 1, 0, buf);
		snprintf(buf, sizeof buf, " %zu free, %zu of them leased here; %zu in the cart",
		    freec, leased, mine);
		put(l->map_y + 3, 0, buf);
		put(l->map_y + 5, 0, " space or b: add places  -: one less  x: empty");
		return;
	}
	for (y = 0; y < l->map_h; y++) {
		if (bo_format_map_line(s, y, width, glyphs, cls, &cx) != 0)
			break;
		move(l->map_y + y, l->map_x);
		for (x = 0; x < width && glyphs[x] != '\0'; x++) {
			attr_t a = glyph_attr(cls[x]);

			if (x == cx)
				a = A_REVERSE | A_BOLD;
			attron(a);
			addch((chtype)(unsigned char)glyphs[x]);
			attroff(a);
		}
	}
}

static void
draw_cart(const struct bo_state *s, const struct bo_layout *l)
{
	char buf[LINE_MAX_BYTES];
	int y;

	if (l->cart_w == 0)
		return;
	mvvline(l->map_y, l->cart_x, ACS_VLINE, l->map_h);
	for (y = 0; y < l->map_h; y++) {
		if (bo_format_cart_line(s, y, l->cart_w - 1, buf, sizeof buf) != 0)
			break;
		if (y == 0)
			attron(A_BOLD);
		mvaddnstr(l->map_y + y, l->cart_x + 1, buf, fit(buf, l->cart_w - 1));
		if (y == 0)
			attroff(A_BOLD);
	}
}

static void
draw_checkout(const struct bo_state *s, const struct bo_layout *l)
{
	char buf[LINE_MAX_BYTES];
	int y;

	for (y = 0; y < l->map_h; y++) {
		if (bo_format_checkout_line(s, y, buf, sizeof buf) != 0)
			break;
		if (strstr(buf, "CHANGE DUE") != NULL)
			attron(A_BOLD | (colours ? COLOR_PAIR(PAIR_OK) : A_REVERSE));
		put(l->map_y + y, 0, buf);
		attroff(A_BOLD | (colours ? COLOR_PAIR(PAIR_OK) : A_REVERSE));
	}
}

/* The tickets view; returns whether the QR code was drawn (the hint line then stays off it). */
static int
draw_tickets(const struct bo_state *s, const struct bo_layout *l)
{
	char buf[LINE_MAX_BYTES];
	const char *p, *nl;
	int y = 0, x0 = 2, lines = 0;

	for (p = s->qr; p != NULL && *p != '\0'; p++)
		lines += *p == '\n';
	if (s->qr != NULL && (lines > l->status_y || s->w < 80)) {
		/* Whole or not at all: a QR code cut short does not scan. */
		put(0, x0, "(The window is too small for the QR code: 80x24.)");
	} else if (s->qr != NULL) {
		/* From the top left, light glyphs on the terminal's dark background. */
		for (p = s->qr; *p != '\0' && y < l->status_y; p = nl + 1, y++) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			mvaddnstr(y, 1, p, (int)(nl - p));
			if (*nl == '\0')
				break;
		}
		x0 = 48;
	}
	for (y = 0; bo_format_ticket_line(s, y, buf, sizeof buf) == 0; y++) {
		if (strncmp(buf, "SEAT", 4) == 0 || strncmp(buf, "CHANGE", 6) == 0)
			attron(A_BOLD);
		put(1 + y, x0, buf);
		attroff(A_BOLD);
	}
	if (x0 != 48)
		return 0;
	/* Messages here, not on the hint line: that would cover the QR's quiet zone. */
	if (s->message[0] != '\0') {
		int n = fit(s->message, s->w - x0 - 1), cut = n;

		/* Two lines, broken at a space. */
		while (s->message[n] != '\0' && cut > 0 && s->message[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = n;
		if (s->error)
			attron(A_BOLD);
		mvaddnstr(l->status_y - 7, x0, s->message, cut);
		if (s->message[cut] != '\0')
			put(l->status_y - 6, x0, s->message + cut + (s->message[cut] == ' '));
		attroff(A_BOLD);
	}
	put(l->status_y - 4, x0, "n/p   next/previous ticket");
	put(l->status_y - 3, x0, "r     print again");
	put(l->status_y - 2, x0, "Enter next sale");
	return 1;
}

static void
draw_orders(const struct bo_state *s, const struct bo_layout *l)
{
	char buf[LINE_MAX_BYTES];
	int y, sel;

	put(1, 0, " Orders");
	for (y = 0; y < l->map_h; y++) {
		if (bo_format_order_line(s, y, buf, sizeof buf, &sel) != 0)
			break;
		if (sel)
			attron(A_REVERSE);
		put(l->map_y + y, 0, buf);
		if (sel)
			attroff(A_REVERSE);
	}
}

static void
draw_text(const char *text, int y0, int max)
{
	const char *p, *nl;
	int y = y0;

	for (p = text; p != NULL && *p != '\0' && y < y0 + max; p = nl + 1, y++) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		mvaddnstr(y, 1, p, (int)(nl - p));
		if (*nl == '\0')
			break;
	}
}

void
bo_ui_draw(const struct bo_state *s)
{
	char buf[LINE_MAX_BYTES];
	struct bo_layout l;
	int y, qr = 0;

	bo_layout(s->w, s->h, &l);
	erase();
	if (s->view != BO_VIEW_TICKETS) {
		bo_format_title(s, buf, sizeof buf);
		bar(0, buf, A_BOLD | (colours ? COLOR_PAIR(PAIR_BAR) : A_REVERSE));
	}
	switch (s->view) {
	case BO_VIEW_EVENTS:
		draw_events(s, &l);
		break;
	case BO_VIEW_MAP:
		draw_map(s, &l);
		draw_cart(s, &l);
		break;
	case BO_VIEW_CHECKOUT:
		draw_checkout(s, &l);
		draw_cart(s, &l);
		break;
	case BO_VIEW_TICKETS:
		qr = draw_tickets(s, &l);
		break;
	case BO_VIEW_ORDERS:
		draw_orders(s, &l);
		break;
	case BO_VIEW_SHIFT:
		put(1, 0, " Shift");
		if (s->report != NULL)
			draw_text(s->report, l.map_y, l.map_h);
		else
			put(l.map_y, 1, "No shift is open. Count the cash in the drawer and type "
			    "the float.");
		break;
	case BO_VIEW_HELP:
		for (y = 0; bo_format_help_line(y, buf, sizeof buf) == 0 && y < l.map_h + 1; y++)
			put(1 + y, 0, buf);
		break;
	}
	if (!qr || s->input.purpose != BO_IN_NONE) {
		bo_format_hint(s, buf, sizeof buf);
		if (s->error)
			bar(l.hint_y, buf, A_BOLD | (colours ? COLOR_PAIR(PAIR_ERROR) : A_REVERSE));
		else if (s->input.purpose != BO_IN_NONE)
			bar(l.hint_y, buf, A_BOLD);
		else
			bar(l.hint_y, buf, A_NORMAL);
	}
	bo_format_status(s, buf, sizeof buf);
	bar(l.status_y, buf, colours ? COLOR_PAIR(s->online ? PAIR_BAR : PAIR_ERROR) : A_REVERSE);
	refresh();
}

int
bo_ui_key(int ms)
{
	int c;

	timeout(ms);
	c = getch();
	switch (c) {
	case ERR:
		return -1;
	case KEY_RESIZE:
		return BO_KEY_RESIZE;
	case KEY_UP:
		return BO_KEY_UP;
	case KEY_DOWN:
		return BO_KEY_DOWN;
	case KEY_LEFT:
		return BO_KEY_LEFT;
	case KEY_RIGHT:
		return BO_KEY_RIGHT;
	case KEY_BTAB:
		return BO_KEY_BTAB;
	case KEY_PPAGE:
		return BO_KEY_PGUP;
	case KEY_NPAGE:
		return BO_KEY_PGDN;
	case KEY_HOME:
		return BO_KEY_HOME;
	case KEY_END:
		return BO_KEY_END;
	case KEY_DC:
		return BO_KEY_DELETE;
	case KEY_F(1):
		return BO_KEY_F1;
	case KEY_F(5):
		return 18;
	case KEY_BACKSPACE:
	case 8:
	case 127:
		return BO_KEY_BACKSPACE;
	case KEY_ENTER:
	case '\r':
	case '\n':
		return BO_KEY_ENTER;
	}
	if (c < 0 || c > 0xff)
		return -1;
	return c;
}
