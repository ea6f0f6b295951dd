/*
 * bigtext.c: the block letters of the verdict panel.
 *
 * Each glyph is 5 rows of 5 bits, the high bit on the left. Only the letters the screen needs
 * are here (ADMIT, DENIED, EXIT, ERROR, READY, OUT); the rest draws as a space.
 */
#include <string.h>

#include "bigtext.h"

struct glyph {
	char          c;
	unsigned char rows[BIGTEXT_ROWS];
};

static const struct glyph font[] = {
	{ 'A', { 0x0e, 0x11, 0x1f, 0x11, 0x11 } },
	{ 'D', { 0x1e, 0x11, 0x11, 0x11, 0x1e } },
	{ 'E', { 0x1f, 0x10, 0x1e, 0x10, 0x1f } },
	{ 'I', { 0x1f, 0x04, 0x04, 0x04, 0x1f } },
	{ 'M', { 0x11, 0x1b, 0x15, 0x11, 0x11 } },
	{ 'N', { 0x11, 0x19, 0x15, 0x13, 0x11 } },
	{ 'O', { 0x0e, 0x11, 0x11, 0x11, 0x0e } },
	{ 'R', { 0x1e, 0x11, 0x1e, 0x12, 0x11 } },
	{ 'T', { 0x1f, 0x04, 0x04, 0x04, 0x04 } },
	{ 'U', { 0x11, 0x11, 0x11, 0x11, 0x0e } },
	{ 'X', { 0x11, 0x0a, 0x04, 0x0a, 0x11 } },
	{ 'Y', { 0x11, 0x0a, 0x04, 0x04, 0x04 } },
};

static const unsigned char *
glyph(char c)
{
	size_t i;

	for (i = 0; i < sizeof font / sizeof font[0]; i++) {
		if (font[i].c == c)
			return font[i].rows;
	}
	return NULL;
}

int
bigtext_width(const char *word, int sx)
{
	size_t n = strlen(word);

	if (n == 0 || sx < 1)
		return 0;
	return (int)n * BIGTEXT_COLS * sx + ((int)n - 1) * sx;
}

int
bigtext_row(const char *word, int sx, int sy, int row, char *buf, size_t len)
{
	const unsigned char *g;
	size_t out = 0, i;
	int col, k, ink;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (sx < 1 || sy < 1 || row < 0 || row >= BIGTEXT_ROWS * sy)
		return 0;
	for (i = 0; word[i] != '\0'; i++) {
		g = glyph(word[i]);
		if (i > 0) {
			for (k = 0; k < sx && out + 1 < len; k++)
				buf[out++] = ' ';
		}
		for (col = 0; col < BIGTEXT_COLS; col++) {
			ink = g != NULL && (g[row / sy] >> (BIGTEXT_COLS - 1 - col) & 1);
			for (k = 0; k < sx && out + 1 < len; k++)
				buf[out++] = ink ? '#' : ' ';
		}
	}
	buf[out] = '\0';
	return (int)out;
}

int
bigtext_fit(const char *word, int width, int height, int *x, int *y)
{
	int sx, sy;

	/* Tallest first (seen from afar), then widest; a glyph never narrower than tall. */
	for (sy = 4; sy >= 1; sy--) {
		if (BIGTEXT_ROWS * sy > height)
			continue;
		for (sx = 2 * sy; sx >= sy; sx--) {
			if (bigtext_width(word, sx) <= width) {
				*x = sx;
				*y = sy;
				return 0;
			}
		}
	}
	return -1;
}
