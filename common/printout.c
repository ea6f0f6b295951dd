/*
 * printout.c: a sold ticket on paper and in files: PNG (1-bit, deflated with zlib) and SVG with the
 * text and the QR code, and ESC/POS bytes for a thermal receipt printer.
 *
 * The PNG's text is drawn with a built-in 5x7 bitmap font (font[] below, ASCII 32 to 126), each
 * glyph row five bits with the leftmost pixel in bit 4, scaled up by whole pixels: no font files,
 * no FreeType, the same pixels everywhere. Text that is not ASCII is folded to ASCII for the PNG
 * and the printer (Latin-1 letters lose their accents, anything else is '?'); the SVG keeps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cart.h"
#include "printout.h"
#include "qr.h"
#include "timefmt.h"
#include "xmalloc.h"

#define GLYPH_W     5
#define GLYPH_H     7
#define MARGIN      16
#define QR_SCALE    8
#define QR_QUIET    4

static const uint8_t font[95][GLYPH_H] = {
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },	/* ' ' */
	{ 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04 },	/* '!' */
	{ 0x0a, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00 },	/* '"' */
	{ 0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a },	/* '#' */
	{ 0x04, 0x0f, 0x14, 0x0e, 0x05, 0x1e, 0x04 },	/* '$' */
	{ 0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03 },	/* '%' */
	{ 0x0c, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0d },	/* '&' */
	{ 0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00 },	/* '\'' */
	{ 0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02 },	/* '(' */
	{ 0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08 },	/* ')' */
	{ 0x00, 0x04, 0x15, 0x0e, 0x15, 0x04, 0x00 },	/* '*' */
	{ 0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00 },	/* '+' */
	{ 0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08 },	/* ',' */
	{ 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00 },	/* '-' */
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c },	/* '.' */
	{ 0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00 },	/* '/' */
	{ 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e },	/* '0' */
	{ 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e },	/* '1' */
	{ 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f },	/* '2' */
	{ 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e },	/* '3' */
	{ 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 },	/* '4' */
	{ 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e },	/* '5' */
	{ 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e },	/* '6' */
	{ 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 },	/* '7' */
	{ 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e },	/* '8' */
	{ 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c },	/* '9' */
	{ 0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00 },	/* ':' */
	{ 0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x04, 0x08 },	/* ';' */
	{ 0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02 },	/* '<' */
	{ 0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00 },	/* '=' */
	{ 0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08 },	/* '>' */
	{ 0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04 },	/* '?' */
	{ 0x0e, 0x11, 0x01, 0x0d, 0x15, 0x15, 0x0e },	/* '@' */
	{ 0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 },	/* 'A' */
	{ 0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e },	/* 'B' */
	{ 0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e },	/* 'C' */
	{ 0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c },	/* 'D' */
	{ 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f },	/* 'E' */
	{ 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10 },	/* 'F' */
	{ 0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f },	/* 'G' */
	{ 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 },	/* 'H' */
	{ 0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e },	/* 'I' */
	{ 0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c },	/* 'J' */
	{ 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11 },	/* 'K' */
	{ 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f },	/* 'L' */
	{ 0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11 },	/* 'M' */
	{ 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11 },	/* 'N' */
	{ 0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e },	/* 'O' */
	{ 0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10 },	/* 'P' */
	{ 0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d },	/* 'Q' */
	{ 0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11 },	/* 'R' */
	{ 0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e },	/* 'S' */
	{ 0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 },	/* 'T' */
	{ 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e },	/* 'U' */
	{ 0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04 },	/* 'V' */
	{ 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a },	/* 'W' */
	{ 0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11 },	/* 'X' */
	{ 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04 },	/* 'Y' */
	{ 0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f },	/* 'Z' */
	{ 0x0e, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0e },	/* '[' */
	{ 0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00 },	/* '\\' */
	{ 0x0e, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0e },	/* ']' */
	{ 0x04, 0x0a, 0x11, 0x00, 0x00, 0x00, 0x00 },	/* '^' */
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f },	/* '_' */
	{ 0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00 },	/* '`' */
	{ 0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f },	/* 'a' */
	{ 0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e },	/* 'b' */
	{ 0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e },	/* 'c' */
	{ 0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f },	/* 'd' */
	{ 0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e },	/* 'e' */
	{ 0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08 },	/* 'f' */
	{ 0x00, 0x0f, 0x11, 0x11, 0x0f, 0x01, 0x0e },	/* 'g' */
	{ 0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11 },	/* 'h' */
	{ 0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e },	/* 'i' */
	{ 0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0c },	/* 'j' */
	{ 0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12 },	/* 'k' */
	{ 0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e },	/* 'l' */
	{ 0x00, 0x00, 0x1a, 0x15, 0x15, 0x11, 0x11 },	/* 'm' */
	{ 0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11 },	/* 'n' */
	{ 0x00, 0x00, 0x0e, 0x11, 0x11, 0x11, 0x0e },	/* 'o' */
	{ 0x00, 0x00, 0x1e, 0x11, 0x1e, 0x10, 0x10 },	/* 'p' */
	{ 0x00, 0x00, 0x0d, 0x13, 0x0f, 0x01, 0x01 },	/* 'q' */
	{ 0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10 },	/* 'r' */
	{ 0x00, 0x00, 0x0e, 0x10, 0x0e, 0x01, 0x1e },	/* 's' */
	{ 0x08, 0x08, 0x1c, 0x08, 0x08, 0x09, 0x06 },	/* 't' */
	{ 0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0d },	/* 'u' */
	{ 0x00, 0x00, 0x11, 0x11, 0x11, 0x0a, 0x04 },	/* 'v' */
	{ 0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0a },	/* 'w' */
	{ 0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11 },	/* 'x' */
	{ 0x00, 0x00, 0x11, 0x11, 0x0f, 0x01, 0x0e },	/* 'y' */
	{ 0x00, 0x00, 0x1f, 0x02, 0x04, 0x08, 0x1f },	/* 'z' */
	{ 0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02 },	/* '{' */
	{ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 },	/* '|' */
	{ 0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08 },	/* '}' */
	{ 0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00 },	/* '~' */

};

/* Latin-1 letters U+00C0..U+00FF without their accents. */
static const char latin1[] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYPs" "aaaaaaaceeeeiiiidnooooo/ouuuuypy";

/* Fold UTF-8 text to printable ASCII into buf (NUL-terminated, at most len - 1 bytes). */
static void
to_ascii(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = 0;
	unsigned int cp;
	int more;

	if (len == 0)
		return;
	while (*p != '\0' && n + 1 < len) {
		if (*p < 0x80) {
			buf[n++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			more = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			more = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			more = 3;
		} else {
			buf[n++] = '?';
			p++;
			continue;
		}
		for (p++; more > 0 && (*p & 0xc0) == 0x80; more--, p++)
			cp = cp << 6 | (*p & 0x3f);
		if (more > 0)
			cp = '?';
		buf[n++] = cp >= 0xc0 && cp <= 0xff ? latin1[cp - 0xc0] : '?';
	}
	buf[n] = '\0';
}

/* After a cut: drop a UTF-8 sequence left incomplete at the end of s. */
static void
utf8_trim(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char c;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return;
	c = (unsigned char)s[i - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

void
printout_lines(const struct printout *p, char lines[PRINTOUT_LINES][PRINTOUT_COLS])
{
	int i;

	char money[CART_MONEY_LEN], when[48];

	cart_money_format(p->price, money, sizeof money);
	timefmt_local(p->starts_at, "%a %d %b %Y %H:%M", when, sizeof when);
	snprintf(lines[0], PRINTOUT_COLS, "%s", p->event != NULL ? p->event : "");
	snprintf(lines[1], PRINTOUT_COLS, "%s", when);
	snprintf(lines[2], PRINTOUT_COLS, "%s", p->venue != NULL ? p->venue : "");
	snprintf(lines[3], PRINTOUT_COLS, "Seat %s", p->seat != NULL ? p->seat : "");
	snprintf(lines[4], PRINTOUT_COLS, "%s  %s %s", p->tier != NULL ? p->tier : "", money,
	    p->currency != NULL ? p->currency : "");
	snprintf(lines[5], PRINTOUT_COLS, "Order %" PRIu32 "  Ticket %" PRIu32, p->order,
	    p->serial);
	for (i = 0; i < PRINTOUT_LINES; i++)
		utf8_trim(lines[i]);
}

char *
printout_filename(const struct printout *p, const char *ext)
{
	char *name, *c;

	name = xasprintf("%" PRIu32 "-%s-%" PRIu32 ".%s", p->event_id,
	    p->seat != NULL && p->seat[0] != '\0' ? p->seat : "seat", p->serial, ext);
	for (c = name; *c != '\0'; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			*c = '_';
	}
	return name;
}

/* Write len bytes to fd, through EINTR and short writes. 0 or -1 with errno. */
static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	ssize_t w;
	size_t off;

	for (off = 0; off < len; off += (size_t)w) {
		w = write(fd, buf + off, len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w == -1)
			return -1;
	}
	return 0;
}

/* path := buf, atomically: a temporary file beside it, fsync, rename. */
static int
write_atomic(const char *path, const uint8_t *buf, size_t len, char **cause)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd, e;

	if ((fd = mkstemp(tmp)) == -1) {
		set_cause(cause, "cannot create a file beside %s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, buf, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return set_cause(cause, "cannot write %s: %s", path, strerror(e));
}

/* ------------------------------------------------------------------ PNG */

/*
 * The canvas is the PNG's image data as it goes into deflate: a ticket is black on white, so
 * one bit a pixel (1-bit grey: 1 white, 0 black, the leftmost pixel in the high bit), and each
 * row starts with its filter byte, 0 (none). Glyph and QR pixels are whole scale x scale
 * blocks: each is drawn as spans on its first row and that row copied to the rows below it.
 */
struct canvas {
	uint8_t *px;
	size_t   stride;        /* bytes a row: the filter byte and the pixels */
	int      w, h;
};

/* A white canvas of w x h pixels. */
static void
canvas_init(struct canvas *c, int w, int h)
{
	int y;

	c->w = w;
	c->h = h;
	c->stride = 1 + ((size_t)w + 7) / 8;
	c->px = xmalloc(c->stride * (size_t)h);
	memset(c->px, 0xff, c->stride * (size_t)h);
	for (y = 0; y < h; y++)
		c->px[(size_t)y * c->stride] = 0;
}

/* The pixels of row y, after its filter byte. */
static uint8_t *
canvas_row(const struct canvas *c, int y)
{
	return c->px + (size_t)y * c->stride + 1;
}

/* Pixels x0 to x1 - 1 of row y black, clipped to the canvas. */
static void
canvas_span(const struct canvas *c, int y, int x0, int x1)
{
	uint8_t *row, first, last;
	int a, b;

	if (x0 < 0)
		x0 = 0;
	if (x1 > c->w)
		x1 = c->w;
	if (y < 0 || y >= c->h || x0 >= x1)
		return;
	row = canvas_row(c, y);
	a = x0 / 8;
	b = (x1 - 1) / 8;
	first = (uint8_t)(0xff >> (x0 % 8));            /* x0 to the end of its byte */
	last = (uint8_t)(0xff << (7 - (x1 - 1) % 8));   /* the start of x1 - 1's byte to it */
	if (a == b) {
		row[a] &= (uint8_t)~(first & last);
		return;
	}
	row[a] &= (uint8_t)~first;
	memset(row + a + 1, 0, (size_t)(b - a - 1));
	row[b] &= (uint8_t)~last;
}

/* Row y's pixels copied to the n - 1 rows below it (those on the canvas). */
static void
canvas_repeat(const struct canvas *c, int y, int n)
{
	int i;

	if (y < 0 || y >= c->h)
		return;
	for (i = 1; i < n && y + i < c->h; i++)
		memcpy(canvas_row(c, y + i), canvas_row(c, y), c->stride - 1);
}

/*
 * A line of text centred at row y, at scale or smaller (down to 2) when it does not fit; cut
 * (ending in '.') when it does not fit even then. A character is its 5x7 glyph in scale x scale
 * blocks, and advances 6 blocks.
 */
static void
draw_line(struct canvas *c, int y, int scale, const char *utf8)
{
	const uint8_t *g;
	char text[PRINTOUT_COLS];
	int advance, max, n, x, i, gx, gy, run;

	to_ascii(utf8, text, sizeof text);
	n = (int)strlen(text);
	for (;;) {
		advance = (GLYPH_W + 1) * scale;
		max = (c->w - 2 * MARGIN) / advance;
		if (n <= max || scale <= 2)
			break;
		scale--;
	}
	if (n > max) {
		n = max;
		text[n - 1] = '.';
	}
	x = (c->w - (n * advance - scale)) / 2;
	for (gy = 0; gy < GLYPH_H; gy++) {
		for (i = 0; i < n; i++) {
			g = font[text[i] >= 32 && text[i] <= 126 ? text[i] - 32 : '?' - 32];
			/* Each run of set bits in the glyph's row is one span. */
			for (gx = 0; gx < GLYPH_W; gx += run + 1) {
				for (run = 0; gx + run < GLYPH_W &&
				    (g[gy] & (1 << (GLYPH_W - 1 - gx - run))); run++)
					;
				if (run > 0) {
					canvas_span(c, y + gy * scale, x + i * advance +
					    gx * scale, x + i * advance + (gx + run) * scale);
				}
			}
		}
		canvas_repeat(c, y + gy * scale, scale);
	}
}

/* The QR code's modules with their top left corner at (x0, y0), QR_SCALE pixels a module. */
static void
draw_qr(struct canvas *c, const struct qr *q, int x0, int y0)
{
	const uint8_t *dark;
	int mx, my, run;

	for (my = 0; my < q->width; my++) {
		dark = q->dark + (size_t)my * (size_t)q->width;
		/* Each run of dark modules in the row is one span. */
		for (mx = 0; mx < q->width; mx += run + 1) {
			for (run = 0; mx + run < q->width && dark[mx + run]; run++)
				;
			if (run > 0) {
				canvas_span(c, y0 + my * QR_SCALE, x0 + mx * QR_SCALE,
				    x0 + (mx + run) * QR_SCALE);
			}
		}
		canvas_repeat(c, y0 + my * QR_SCALE, QR_SCALE);
	}
}

/* v as four bytes, the most significant first, as PNG writes its numbers. */
static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * The PNG chunk at p, whose len bytes of data are already at p + 8, completed: its length, its
 * type and its CRC (of the type and the data). Returns the size of the whole chunk.
 */
static size_t
png_chunk(uint8_t *p, const char *type, size_t len)
{
	put_be32(p, (uint32_t)len);
	memcpy(p + 4, type, 4);
	put_be32(p + 8 + len, (uint32_t)crc32(0, p + 4, (uInt)(len + 4)));
	return len + 12;
}

/*
 * zlib's memory for one PNG comes from one block (png_zalloc hands out its parts; png_zfree
 * frees none of them). With zlib's own allocations, its four 64 kB buffers freed after each
 * ticket let glibc give the top of the heap back to the kernel, and the next ticket paid for
 * fresh pages: a third of the PNG's time (docs/performance.md, figure 7). A block this large is
 * mmapped the first time; freeing it raises glibc's thresholds, and from then on it is reused
 * from the heap. Its size is zlib's estimate (zconf.h) and room for the small objects; should
 * a zlib want more, the rest comes from malloc.
 */
#define PNG_ZBITS       15
#define PNG_ZMEMLEVEL   8
#define PNG_ZARENA      ((1 << (PNG_ZBITS + 2)) + (1 << (PNG_ZMEMLEVEL + 9)) + 32768)

struct png_zarena {
	uint8_t *p;
	size_t   used;
};

static voidpf
png_zalloc(voidpf opaque, uInt items, uInt size)
{
	struct png_zarena *a = opaque;
	size_t n = ((size_t)items * size + 15) & ~(size_t)15;

	if (n > PNG_ZARENA - a->used)
		return malloc((size_t)items * size);
	a->used += n;
	return a->p + a->used - n;
}

static void
png_zfree(voidpf opaque, voidpf ptr)
{
	struct png_zarena *a = opaque;

	if ((uint8_t *)ptr < a->p || (uint8_t *)ptr >= a->p + PNG_ZARENA)
		free(ptr);
}

/*
 * The canvas as a 1-bit grey PNG: the signature, IHDR, one IDAT and IEND. The IDAT is the whole
 * canvas deflated by zlib at its fastest level in one call; libpng would call deflate once a
 * row and copy each row first, which on a ticket costs as much as the deflating itself
 * (docs/performance.md, figure 7).
 */
static int
png_1bit(const struct canvas *c, uint8_t **buf, size_t *len, char **cause)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t raw = c->stride * (size_t)c->h, bound, n;
	struct png_zarena a;
	uint8_t *out, *p;
	z_stream z;

	a.p = xmalloc(PNG_ZARENA);
	a.used = 0;
	memset(&z, 0, sizeof z);
	z.zalloc = png_zalloc;
	z.zfree = png_zfree;
	z.opaque = &a;
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, PNG_ZBITS, PNG_ZMEMLEVEL,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(a.p);
		return set_cause(cause, "cannot make the PNG: out of memory");
	}
	bound = deflateBound(&z, (uLong)raw);
	out = xmalloc(sizeof sig + (12 + 13) + (12 + bound) + 12);
	memcpy(out, sig, sizeof sig);
	p = out + sizeof sig;

	put_be32(p + 8, (uint32_t)c->w);
	put_be32(p + 12, (uint32_t)c->h);
	p[16] = 1;              /* bit depth */
	p[17] = 0;              /* colour type: grey */
	p[18] = 0;              /* compression: deflate */
	p[19] = 0;              /* filter method 0 */
	p[20] = 0;              /* no interlace */
	p += png_chunk(p, "IHDR", 13);

	/* With deflateBound's room, one call with Z_FINISH completes the stream. */
	z.next_in = c->px;
	z.avail_in = (uInt)raw;
	z.next_out = p + 8;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(a.p);
		free(out);
		return set_cause(cause, "cannot make the PNG: deflate failed");
	}
	n = (size_t)z.total_out;
	deflateEnd(&z);
	free(a.p);
	p += png_chunk(p, "IDAT", n);
	p += png_chunk(p, "IEND", 0);

	*len = (size_t)(p - out);
	*buf = xreallocarray(out, *len, 1);
	return 0;
}

/* Scale of each line: the event and the seat large. */
static const int line_scale[PRINTOUT_LINES] = { 4, 3, 3, 4, 3, 2 };

int
printout_png_memory(const struct printout *p, uint8_t **buf, size_t *len, char **cause)
{
	char lines[PRINTOUT_LINES][PRINTOUT_COLS];
	struct canvas c;
	struct qr *q = NULL;
	int i, y, h, side, rc;

	if (qr_encode(p->qr_text != NULL ? p->qr_text : "", &q, cause) != 0)
		return -1;
	printout_lines(p, lines);
	side = (q->width + 2 * QR_QUIET) * QR_SCALE;
	h = MARGIN;
	for (i = 0; i < PRINTOUT_LINES; i++)
		h += (GLYPH_H + 4) * line_scale[i];
	h += side + MARGIN;
	canvas_init(&c, PRINTOUT_PNG_WIDTH, h);

	y = MARGIN;
	for (i = 0; i < PRINTOUT_LINES; i++) {
		draw_line(&c, y, line_scale[i], lines[i]);
		y += (GLYPH_H + 4) * line_scale[i];
	}
	draw_qr(&c, q, (c.w - side) / 2 + QR_QUIET * QR_SCALE, y + QR_QUIET * QR_SCALE);
	qr_free(q);

	rc = png_1bit(&c, buf, len, cause);
	free(c.px);
	return rc;
}

int
printout_write_png(const struct printout *p, const char *path, char **cause)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (printout_png_memory(p, &buf, &len, cause) != 0)
		return -1;
	rc = write_atomic(path, buf, len, cause);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ SVG */

struct sbuf {
	char   *p;
	size_t  len, cap;
};

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sbuf_printf(struct sbuf *b, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		sbuf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Text for XML character data and attributes; control characters dropped. */
static void
sbuf_xml(struct sbuf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			sbuf_add(b, "&amp;", 5);
			break;
		case '<':
			sbuf_add(b, "&lt;", 4);
			break;
		case '>':
			sbuf_add(b, "&gt;", 4);
			break;
		case '"':
			sbuf_add(b, "&quot;", 6);
			break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				sbuf_add(b, s, 1);
			break;
		}
	}
}

int
printout_svg(const struct printout *p, char **out, char **cause)
{
	char lines[PRINTOUT_LINES][PRINTOUT_COLS];
	static const int size[PRINTOUT_LINES] = { 28, 20, 20, 28, 20, 16 };
	struct sbuf b = { NULL, 0, 0 };
	struct qr *q = NULL;
	int i, x, y, run, h, side, top;

	if (qr_encode(p->qr_text != NULL ? p->qr_text : "", &q, cause) != 0)
		return -1;
	printout_lines(p, lines);
	side = (q->width + 2 * QR_QUIET) * QR_SCALE;
	top = MARGIN;
	for (i = 0; i < PRINTOUT_LINES; i++)
		top += size[i] + 12;
	h = top + side + MARGIN;
	sbuf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\">\n", PRINTOUT_PNG_WIDTH, h, PRINTOUT_PNG_WIDTH, h);
	sbuf_printf(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	sbuf_printf(&b, "<g font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
	    "text-anchor=\"middle\" fill=\"#000\">\n");
	y = MARGIN;
	for (i = 0; i < PRINTOUT_LINES; i++) {
		y += size[i];
		sbuf_printf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"%d\"%s>",
		    PRINTOUT_PNG_WIDTH / 2, y, size[i], i == 0 || i == 3 ?
		    " font-weight=\"bold\"" : "");
		sbuf_xml(&b, lines[i]);
		sbuf_printf(&b, "</text>\n");
		y += 12;
	}
	sbuf_printf(&b, "</g>\n<desc>");
	sbuf_xml(&b, p->qr_text);
	sbuf_printf(&b, "</desc>\n");
	sbuf_printf(&b, "<path fill=\"#000\" shape-rendering=\"crispEdges\" "
	    "transform=\"translate(%d %d) scale(%d)\" d=\"", (PRINTOUT_PNG_WIDTH - side) / 2 +
	    QR_QUIET * QR_SCALE, top + QR_QUIET * QR_SCALE, QR_SCALE);
	for (y = 0; y < q->width; y++) {
		for (x = 0; x < q->width; x += run) {
			for (run = 0; x + run < q->width &&
			    q->dark[(size_t)y * (size_t)q->width + (size_t)(x + run)]; run++)
				;
			if (run == 0) {
				run = 1;
				continue;
			}
			sbuf_printf(&b, "M%d %dh%dv1h-%dz", x, y, run, run);
		}
	}
	sbuf_printf(&b, "\"/>\n</svg>\n");
	qr_free(q);
	*out = b.p;
	return 0;
}

int
printout_write_svg(const struct printout *p, const char *path, char **cause)
{
	char *svg;
	int rc;

	if (printout_svg(p, &svg, cause) != 0)
		return -1;
	rc = write_atomic(path, (const uint8_t *)svg, strlen(svg), cause);
	free(svg);
	return rc;
}

/* ------------------------------------------------------------------ ESC/POS */

/* The most a GS ( k store command takes: pL pH count the data and 3 bytes. */
#define ESCPOS_QR_MAX   7089

int
printout_escpos(const struct printout *p, uint8_t **buf, size_t *len, char **cause)
{
	static const uint8_t init[] = { 0x1b, 0x40, 0x1b, 0x61, 0x01 };     /* ESC @, ESC a 1 */
	static const uint8_t big[] = { 0x1d, 0x21, 0x11 };                  /* GS ! 0x11 */
	static const uint8_t normal[] = { 0x1d, 0x21, 0x00 };
	static const uint8_t model[] = { 0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00 };
	static const uint8_t modsize[] = { 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x06 };
	static const uint8_t ecc[] = { 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31 };
	static const uint8_t print[] = { 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30 };
	static const uint8_t cut[] = { 0x1b, 0x64, 0x03, 0x1d, 0x56, 0x42, 0x03 };
	char lines[PRINTOUT_LINES][PRINTOUT_COLS], text[PRINTOUT_COLS];
	const char *qt = p->qr_text != NULL ? p->qr_text : "";
	struct sbuf b = { NULL, 0, 0 };
	size_t qlen = strlen(qt), k;
	uint8_t store[8];
	int i;

	if (qlen == 0 || qlen > ESCPOS_QR_MAX)
		return set_cause(cause, "a QR text of %zu bytes cannot be printed", qlen);
	printout_lines(p, lines);
	sbuf_add(&b, (const char *)init, sizeof init);
	for (i = 0; i < PRINTOUT_LINES; i++) {
		if (i == 0 || i == 3)
			sbuf_add(&b, (const char *)big, sizeof big);
		to_ascii(lines[i], text, sizeof text);
		sbuf_add(&b, text, strlen(text));
		sbuf_add(&b, "\n", 1);
		if (i == 0 || i == 3)
			sbuf_add(&b, (const char *)normal, sizeof normal);
	}
	sbuf_add(&b, "\n", 1);
	sbuf_add(&b, (const char *)model, sizeof model);
	sbuf_add(&b, (const char *)modsize, sizeof modsize);
	sbuf_add(&b, (const char *)ecc, sizeof ecc);
	k = qlen + 3;
	store[0] = 0x1d;
	store[1] = 0x28;
	store[2] = 0x6b;
	store[3] = (uint8_t)(k & 0xff);
	store[4] = (uint8_t)(k >> 8);
	store[5] = 0x31;
	store[6] = 0x50;
	store[7] = 0x30;
	sbuf_add(&b, (const char *)store, sizeof store);
	sbuf_add(&b, qt, qlen);
	sbuf_add(&b, (const char *)print, sizeof print);
	sbuf_add(&b, "\n", 1);
	to_ascii(p->seat, text, sizeof text);
	sbuf_add(&b, text, strlen(text));
	sbuf_add(&b, "\n", 1);
	sbuf_add(&b, (const char *)cut, sizeof cut);
	*buf = (uint8_t *)b.p;
	*len = b.len;
	return 0;
}

int
printout_write_escpos(const struct printout *p, const char *path, char **cause)
{
	uint8_t *buf;
	size_t len;
	int fd, e;

	if (printout_escpos(p, &buf, &len, cause) != 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1) {
		e = errno;
		free(buf);
		return set_cause(cause, "cannot open the printer %s: %s", path, strerror(e));
	}
	if (write_all(fd, buf, len) != 0 || (fsync(fd) != 0 && errno != EINVAL &&
	    errno != ENOTSUP && errno != EROFS)) {
		e = errno;
		close(fd);
		free(buf);
		return set_cause(cause, "cannot write to the printer %s: %s", path, strerror(e));
	}
	free(buf);
	if (close(fd) != 0)
		return set_cause(cause, "cannot write to the printer %s: %s", path,
		    strerror(errno));
	return 0;
}
