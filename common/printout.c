/*
 * printout.c: a sold ticket on paper and in files: PNG (libpng) and SVG with the text and the QR
 * code, and ESC/POS bytes for a thermal receipt printer.
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

#include <png.h>

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

struct canvas {
	uint8_t *px;
	int      w, h;
};

/* One character at (x, y), scale pixels a font pixel. */
static void
draw_char(struct canvas *c, int x, int y, int scale, char ch)
{
	const uint8_t *g;
	int gx, gy, px, py;

	if (ch < 32 || ch > 126)
		ch = '?';
	g = font[ch - 32];
	for (gy = 0; gy < GLYPH_H; gy++) {
		for (gx = 0; gx < GLYPH_W; gx++) {
			if (!(g[gy] & (1 << (GLYPH_W - 1 - gx))))
				continue;
			for (py = y + gy * scale; py < y + (gy + 1) * scale; py++) {
				for (px = x + gx * scale; px < x + (gx + 1) * scale; px++) {
					if (px >= 0 && py >= 0 && px < c->w && py < c->h)
						c->px[(size_t)py * (size_t)c->w + (size_t)px] = 0;
				}
			}
		}
	}
}

/*
 * A line of text centred at row y, at scale or smaller (down to 2) when it does not fit; cut
 * (ending in '.') when it does not fit even then.
 */
static void
draw_line(struct canvas *c, int y, int scale, const char *utf8)
{
	char text[PRINTOUT_COLS];
	int advance, max, n, x, i;

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
	for (i = 0; i < n; i++)
		draw_char(c, x + i * advance, y, scale, text[i]);
}

/* Where libpng writes: a growing buffer. */
struct png_out {
	uint8_t *buf;
	size_t   len, cap;
};

static void
png_out_write(png_structp png, png_bytep data, png_size_t n)
{
	struct png_out *o = png_get_io_ptr(png);

	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->buf = xreallocarray(o->buf, o->cap, 1);
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
}

static void
png_out_flush(png_structp png)
{
	(void)png;
}

/*
 * The canvas as a 1-bit grey PNG: a ticket is black on white, and one bit a pixel with no row
 * filter and fast deflate is about eight times quicker to make than 8-bit grey with libpng's
 * defaults, and smaller (docs/performance.md, figure 7).
 */
static int
png_1bit(const struct canvas *c, uint8_t **buf, size_t *len, char **cause)
{
	size_t stride = ((size_t)c->w + 7) / 8;
	/* Allocated before setjmp and never reassigned after it: safe across longjmp. */
	struct png_out *const o = xcalloc(1, sizeof *o);
	uint8_t *const row = xcalloc(stride, 1);
	png_structp png;
	png_infop info;
	int x, y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png == NULL) {
		free(row);
		free(o);
		return set_cause(cause, "cannot make the PNG: out of memory");
	}
	info = png_create_info_struct(png);
	if (info == NULL || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		free(o->buf);
		free(o);
		return set_cause(cause, "cannot make the PNG");
	}
	png_set_write_fn(png, o, png_out_write, png_out_flush);
	png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 1, PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_set_compression_level(png, 1);
	png_write_info(png, info);
	for (y = 0; y < c->h; y++) {
		const uint8_t *src = c->px + (size_t)y * (size_t)c->w;

		memset(row, 0, stride);
		for (x = 0; x < c->w; x++) {
			if (src[x] >= 128)              /* white is 1 in a grey PNG */
				row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	*buf = xreallocarray(o->buf, o->len, 1);
	*len = o->len;
	free(o);
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
	uint8_t *out;
	size_t n;
	int i, y, x0, y0, side, mx, my, px, py, rc;

	if (qr_encode(p->qr_text != NULL ? p->qr_text : "", &q, cause) != 0)
		return -1;
	printout_lines(p, lines);
	side = (q->width + 2 * QR_QUIET) * QR_SCALE;
	c.w = PRINTOUT_PNG_WIDTH;
	c.h = MARGIN;
	for (i = 0; i < PRINTOUT_LINES; i++)
		c.h += (GLYPH_H + 4) * line_scale[i];
	c.h += side + MARGIN;
	c.px = xmalloc((size_t)c.w * (size_t)c.h);
	memset(c.px, 255, (size_t)c.w * (size_t)c.h);

	y = MARGIN;
	for (i = 0; i < PRINTOUT_LINES; i++) {
		draw_line(&c, y, line_scale[i], lines[i]);
		y += (GLYPH_H + 4) * line_scale[i];
	}
	x0 = (c.w - side) / 2 + QR_QUIET * QR_SCALE;
	y0 = y + QR_QUIET * QR_SCALE;
	for (my = 0; my < q->width; my++) {
		for (mx = 0; mx < q->width; mx++) {
			if (!q->dark[(size_t)my * (size_t)q->width + (size_t)mx])
				continue;
			for (py = 0; py < QR_SCALE; py++) {
				for (px = 0; px < QR_SCALE; px++)
					c.px[(size_t)(y0 + my * QR_SCALE + py) * (size_t)c.w +
					    (size_t)(x0 + mx * QR_SCALE + px)] = 0;
			}
		}
	}
	qr_free(q);

	rc = png_1bit(&c, &out, &n, cause);
	free(c.px);
	if (rc != 0)
		return -1;
	*buf = out;
	*len = n;
	return 0;
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
