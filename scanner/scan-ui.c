/*
 * scan-ui.c: the gate screen in curses. The only file of the scanner that includes curses.h.
 *
 *   row 0        gate | event                                  [EXIT MODE |] clock
 *   row 1        ONLINE / OFFLINE since hh:mm, n to upload     here | all gates | sold | capacity
 *   row 2        an alert, or the exit-mode banner
 *   rows 3..     the verdict panel: ADMIT on green, DENIED on red, EXIT on blue, in block
 *                letters, then the same word with the seat and tier, and the reason in words
 *   last rows    the last scans, newest first
 *   bottom row   the keys, or what is being typed
 *
 * Everything drawn is formatted by scan-state.c from the state; this file only places it.
 */
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "bigtext.h"
#include "config.h"
#include "scan-ui.h"
#include "xmalloc.h"

enum {
	PAIR_ADMIT = 1,
	PAIR_DENY,
	PAIR_EXIT,
	PAIR_WARN,
	PAIR_ADMIT_INK,
	PAIR_DENY_INK,
	PAIR_EXIT_INK,
};

struct scan_ui {
	int colors;
	int utf8;
};

struct scan_ui *
scan_ui_start(int colours)
{
	struct scan_ui *ui = xcalloc(1, sizeof *ui);
	const char *cs = nl_langinfo(CODESET);

	ui->utf8 = cs != NULL && strcmp(cs, "UTF-8") == 0;
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	initscr();
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (colours != CONFIG_COLOURS_OFF && has_colors()) {
		start_color();
		use_default_colors();
		if (colours == CONFIG_COLOURS_COLOURBLIND) {
			/* Blue and yellow stay apart for every common colour blindness. */
			init_pair(PAIR_ADMIT, COLOR_WHITE, COLOR_BLUE);
			init_pair(PAIR_DENY, COLOR_BLACK, COLOR_YELLOW);
			init_pair(PAIR_EXIT, COLOR_BLACK, COLOR_WHITE);
			init_pair(PAIR_WARN, COLOR_BLACK, COLOR_CYAN);
			init_pair(PAIR_ADMIT_INK, COLOR_WHITE, COLOR_BLUE);
			init_pair(PAIR_DENY_INK, COLOR_BLACK, COLOR_YELLOW);
			init_pair(PAIR_EXIT_INK, COLOR_BLACK, COLOR_WHITE);
		} else {
			init_pair(PAIR_ADMIT, COLOR_BLACK, COLOR_GREEN);
			init_pair(PAIR_DENY, COLOR_WHITE, COLOR_RED);
			init_pair(PAIR_EXIT, COLOR_WHITE, COLOR_BLUE);
			init_pair(PAIR_WARN, COLOR_BLACK, COLOR_YELLOW);
			init_pair(PAIR_ADMIT_INK, COLOR_BLACK, COLOR_GREEN);
			init_pair(PAIR_DENY_INK, COLOR_WHITE, COLOR_RED);
			init_pair(PAIR_EXIT_INK, COLOR_WHITE, COLOR_BLUE);
		}
		ui->colors = 1;
	}
	return ui;
}

void
scan_ui_end(struct scan_ui *ui)
{
	if (ui == NULL)
		return;
	endwin();
	free(ui);
}

void
scan_ui_size(struct scan_ui *ui, int *width, int *height)
{
	(void)ui;
	*width = COLS;
	*height = LINES;
}

static int
map_key(int c)
{
	switch (c) {
	case KEY_ENTER:
	case '\r':
	case '\n':
		return SCAN_KEY_ENTER;
	case KEY_BACKSPACE:
	case 0x7f:
	case 0x08:
		return SCAN_KEY_BACKSPACE;
	case 0x1b:
		return SCAN_KEY_ESC;
	case KEY_RESIZE:
		return SCAN_UI_RESIZE;
	}
	if (c >= KEY_MIN)
		return SCAN_KEY_OTHER;
	return c & 0xff;
}

int
scan_ui_read(struct scan_ui *ui, int *keys, int max, int timeout_ms)
{
	int n = 0, c;

	(void)ui;
	if (max <= 0)
		return 0;
	wtimeout(stdscr, timeout_ms);
	c = wgetch(stdscr);
	if (c == ERR)
		return 0;
	keys[n++] = map_key(c);
	/* Everything else already typed, without waiting: a scanner's burst stays whole. */
	wtimeout(stdscr, 0);
	while (n < max && (c = wgetch(stdscr)) != ERR)
		keys[n++] = map_key(c);
	return n;
}

void
scan_ui_bell(struct scan_ui *ui)
{
	(void)ui;
	beep();
}

/* Bytes of text that fill at most cols columns (UTF-8: continuation bytes take none). */
static int
clip(const char *text, int cols)
{
	int n = 0, c = 0;

	while (text[n] != '\0') {
		if (((unsigned char)text[n] & 0xc0) != 0x80) {
			if (c == cols)
				break;
			c++;
		}
		n++;
	}
	return n;
}

/* Text at row y from column x (cut at the right edge), the rest of the row blank, in attr. */
static void
line_at(int y, int x, const char *text, attr_t attr, short pair)
{
	int cx;

	if (y < 0 || y >= LINES)
		return;
	if (x < 0)
		x = 0;
	attrset(attr | COLOR_PAIR(pair));
	move(y, 0);
	for (cx = 0; cx < COLS; cx++)
		addch(' ');
	if (x < COLS)
		mvaddnstr(y, x, text, clip(text, COLS - x));
	attrset(A_NORMAL);
}

static int
text_columns(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* Centre text on row y within width w, in attr (the row keeps its background). */
static void
centre(int y, const char *text, attr_t attr, short pair)
{
	int x = (COLS - text_columns(text)) / 2;

	if (y < 0 || y >= LINES)
		return;
	attrset(attr | COLOR_PAIR(pair));
	mvaddnstr(y, x < 0 ? 0 : x, text, clip(text, COLS));
	attrset(A_NORMAL);
}

/* Split text into lines of at most width columns at spaces; returns how many (at most max). */
static int
wrap(const char *text, int width, char lines[][256], int max)
{
	const char *p = text, *end, *cut;
	int n = 0, len;

	while (*p != '\0' && n < max) {
		while (*p == ' ')
			p++;
		len = (int)strlen(p);
		if (len <= width || width < 10) {
			snprintf(lines[n++], 256, "%.*s", width, p);
			break;
		}
		end = p + width;
		for (cut = end; cut > p && *cut != ' '; cut--)
			;
		if (cut == p)
			cut = end;
		snprintf(lines[n++], 256, "%.*s", (int)(cut - p), p);
		p = cut;
	}
	return n;
}

static void
draw_panel(struct scan_ui *ui, const struct scan_state *s, int top, int bottom)
{
	const char *word = scan_verdict_word(s);
	char row[512], text[256], lines[4][256];
	short pair = 0, ink = 0;
	int y, sx = 1, sy = 1, h = bottom - top, big, x, i, n, k;

	if (h <= 0)
		return;
	if (*word == '\0') {
		/* Idle: say what the gate is doing. */
		if (s->mode == GATE_EXIT) {
			for (y = top; y < bottom; y++)
				line_at(y, 0, "", A_NORMAL, ui->colors ? PAIR_EXIT : 0);
			centre(top + h / 2 - 1, "EXIT MODE: scan tickets of people LEAVING",
			    A_BOLD, ui->colors ? PAIR_EXIT : 0);
			centre(top + h / 2 + 1, "press x to go back to entry mode", A_NORMAL,
			    ui->colors ? PAIR_EXIT : 0);
		} else
			centre(top + h / 2, "Ready: scan a ticket", A_BOLD, 0);
		return;
	}
	if (!s->verdict.admit) {
		pair = PAIR_DENY;
		ink = PAIR_DENY_INK;
	} else if (s->verdict.mode == GATE_EXIT) {
		pair = PAIR_EXIT;
		ink = PAIR_EXIT_INK;
	} else {
		pair = PAIR_ADMIT;
		ink = PAIR_ADMIT_INK;
	}
	if (!ui->colors)
		pair = ink = 0;
	for (y = top; y < bottom; y++)
		line_at(y, 0, "", A_NORMAL, pair);

	/* The sentence, wrapped, takes what the big letters leave. */
	scan_format_verdict(s, 1, text, sizeof text, 250);
	n = wrap(text, COLS - 4, lines, 3);
	big = h - 2 - n - 1;
	if (bigtext_fit(word, COLS - 2, big, &sx, &sy) != 0)
		sy = 0;
	k = sy > 0 ? BIGTEXT_ROWS * sy + 1 : 0;
	y = top + (h - (k + 1 + n)) / 2;
	if (y < top)
		y = top;
	for (i = 0; sy > 0 && i < BIGTEXT_ROWS * sy; i++, y++) {
		bigtext_row(word, sx, sy, i, row, sizeof row);
		x = (COLS - (int)strlen(row)) / 2;
		for (k = 0; row[k] != '\0'; k++) {
			if (row[k] != '#')
				continue;
			if (ui->utf8) {
				attrset(A_BOLD | COLOR_PAIR(ink));
				mvaddstr(y, x + k, "\xe2\x96\x88");    /* U+2588 FULL BLOCK */
			} else {
				attrset(A_REVERSE | COLOR_PAIR(ink));
				mvaddch(y, x + k, ' ');
			}
		}
		attrset(A_NORMAL);
	}
	if (sy > 0)
		y++;
	scan_format_verdict(s, 0, row, sizeof row, COLS - 2);
	centre(y++, row, A_BOLD, pair);
	for (i = 0; i < n && y < bottom; i++)
		centre(y++, lines[i], A_NORMAL, pair);
}

void
scan_ui_draw(struct scan_ui *ui, const struct scan_state *s)
{
	char buf[1024];
	int H = LINES, W = COLS, list, top, bottom, i, y;
	short warn = ui->colors ? PAIR_WARN : 0;

	erase();
	if (H < 3 || W < 10) {
		mvaddstr(0, 0, "too small");
		refresh();
		return;
	}
	scan_format_status(s, 0, buf, sizeof buf, W);
	line_at(0, 0, buf, A_REVERSE | A_BOLD, 0);
	scan_format_status(s, 1, buf, sizeof buf, W);
	if (s->have_sync && !s->sync.online)
		line_at(1, 0, buf, A_BOLD, warn);
	else
		line_at(1, 0, buf, A_REVERSE, 0);

	if (s->alerts > 0) {
		if (s->alerts > 1)
			snprintf(buf, sizeof buf, " %d ALERTS (a: seen), latest: %s", s->alerts,
			    s->alert);
		else
			snprintf(buf, sizeof buf, " ALERT (a: seen): %s", s->alert);
		line_at(2, 0, buf, A_BOLD, ui->colors ? PAIR_DENY : 0);
	} else if (s->mode == GATE_EXIT)
		line_at(2, 0, " EXIT MODE: scanning people OUT   (x: back to entry)", A_BOLD,
		    ui->colors ? PAIR_EXIT : 0);

	top = 3;
	if (s->screen == SCAN_HELP) {
		/* The help takes the panel and the list. */
		for (i = 0; scan_help_line(i) != NULL && top + i < H - 1; i++)
			line_at(top + i, 2, scan_help_line(i), A_NORMAL, 0);
		list = 0;
	} else {
		list = H >= 34 ? 10 : H >= 20 ? 6 : H >= 14 ? 3 : 0;
		bottom = H - 1 - (list > 0 ? list + 1 : 0);
		draw_panel(ui, s, top, bottom);
	}

	if (list > 0) {
		snprintf(buf, sizeof buf, " Last scans (%llu this session)",
		    (unsigned long long)s->verdicts);
		line_at(bottom, 0, buf, A_UNDERLINE, 0);
		for (i = 0, y = bottom + 1; i < list && (size_t)i < s->nrows; i++, y++) {
			scan_format_row(&s->rows[i], buf, sizeof buf, W - 1);
			line_at(y, 1, buf, s->rows[i].kind != 0 ? A_BOLD : A_NORMAL, 0);
		}
	}
	scan_format_footer(s, buf, sizeof buf, W - 1);
	line_at(H - 1, 0, buf, s->screen == SCAN_QUIT ? A_BOLD : A_REVERSE,
	    s->screen == SCAN_QUIT ? warn : 0);
	if (s->screen == SCAN_MANUAL) {
		curs_set(1);
		move(H - 1, text_columns(buf) - 1 < W - 1 ? text_columns(buf) - 1 : W - 1);
	} else
		curs_set(0);
	refresh();
}
