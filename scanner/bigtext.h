/* bigtext.h: a 5-row block font for the verdict words, rendered into plain rows of text. */
#ifndef TESSERA_BIGTEXT_H
#define TESSERA_BIGTEXT_H

#include <stddef.h>

#define BIGTEXT_ROWS   5        /* rows of a glyph at scale 1 */
#define BIGTEXT_COLS   5        /* columns of a glyph at scale 1 */

/*
 * The font has the upper-case letters A D E I M N O R T U X Y and space; any other character
 * is drawn as a space. A glyph is BIGTEXT_COLS * sx columns wide and BIGTEXT_ROWS * sy rows
 * tall, glyphs sx columns apart (terminal cells are about twice as tall as wide: sx = 2 * sy
 * looks square).
 */

/* Columns that word takes at horizontal scale sx (0 for an empty word). */
int bigtext_width(const char *word, int sx);

/*
 * Row row (0 to BIGTEXT_ROWS * sy - 1) of word into buf: '#' for ink, ' ' for paper, then a
 * NUL; truncated to len - 1 columns. Returns the columns written; 0 (and buf empty) for a row
 * out of range or a scale below 1.
 */
int bigtext_row(const char *word, int sx, int sy, int row, char *buf, size_t len);

/*
 * The largest scale at which word fits in width x height columns and rows: the tallest (sy
 * from 4 down to 1), then the widest (sx from 2 * sy, which looks square, down to sy). 0 with
 * *sx and *sy, or -1 when the word does not fit even at scale 1.
 */
int bigtext_fit(const char *word, int width, int height, int *sx, int *sy);

#endif
