/* qr.h: QR codes for tickets: encode (libqrencode), render (text, PNG, SVG), read images and decode (zbar). */
#ifndef TESSERA_QR_H
#define TESSERA_QR_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

/* The largest image, in pixels on a side, that the loaders and decoders accept. */
#define QR_MAX_DIM	8192

/* A QR symbol: width x width modules, row-major, 1 = dark, 0 = light. No quiet zone. */
struct qr {
	int	 width;
	uint8_t	*dark;
};

/*
 * Encode text at error correction level M. libqrencode splits the text into numeric,
 * alphanumeric and 8-bit segments as is shortest (case-sensitive), so a ticket's base45 text
 * (the QR alphanumeric set) costs 5.5 bits a character: 136 characters fit version 6.
 * On success *out is newly allocated (free with qr_free). On failure (empty text, text too
 * long for any QR version) returns -1 and sets *cause.
 */
int qr_encode(const char *text, struct qr **out, char **cause) WARN_UNUSED;
/* The symbol's version, 1 to 40: width = 17 + 4 * version. */
int qr_version(const struct qr *q);
/* Frees q and its modules; q may be NULL. */
void qr_free(struct qr *q);

/*
 * The symbol as UTF-8 text for a DARK-background terminal: two module rows per line with the
 * half blocks U+2580 (upper), U+2584 (lower), U+2588 (full) and space, and a 2-module quiet
 * zone. A lit glyph is a LIGHT module, a space is a dark one: the terminal's own dark
 * background draws the dark modules, so a phone sees dark-on-light as printed. Each line ends
 * with '\n'; (width + 5) / 2 lines of width + 4 characters. Newly allocated; never fails.
 */
char *qr_render_text(const struct qr *q);

/*
 * 8-bit gray pixels, 0 = dark, 255 = light: each module scale x scale pixels, with a quiet
 * zone of quiet modules around. *side is set to (width + 2 * quiet) * scale. Newly allocated.
 * Returns NULL (and leaves *side) when scale < 1, quiet < 0 or the side would exceed QR_MAX_DIM.
 */
uint8_t *qr_render_gray(const struct qr *q, int scale, int quiet, int *side);

/*
 * A PNG (8-bit gray, 4-module quiet zone, scale pixels a module) in memory. On success *buf
 * is newly allocated and *len set. Returns -1 with *cause when scale is out of range (the
 * image must stay within QR_MAX_DIM) or libpng fails.
 */
int qr_png_memory(const struct qr *q, int scale, uint8_t **buf, size_t *len, char **cause)
    WARN_UNUSED;
/*
 * The same PNG written atomically to path: a temporary file in the same directory, fsync, then
 * rename over path (mode 0644). On failure path is untouched, the temporary removed, and
 * -1 returned with *cause naming the file and the error.
 */
int qr_write_png(const struct qr *q, const char *path, int scale, char **cause) WARN_UNUSED;

/*
 * A standalone SVG document: a white background and one black <path> holding one rectangle per
 * horizontal run of dark modules, in module units ("M x y h n v1 h -n z"), with a 4-module
 * quiet zone; width and height are (width + 8) * scale pixels (scale < 1 is taken as 1).
 * Newly allocated; never fails.
 */
char *qr_render_svg(const struct qr *q, int scale);

/*
 * A reusable zbar image scanner restricted to QR codes, for a camera loop that decodes frame
 * after frame. Not thread-safe: one reader per thread. qr_reader_new never fails (aborts on
 * out-of-memory); qr_reader_free accepts NULL.
 */
struct qr_reader;
struct qr_reader *qr_reader_new(void);
void qr_reader_free(struct qr_reader *r);
/*
 * Decode the first QR symbol in an 8-bit gray frame (row-major, width * height bytes, not
 * retained). On success *text is the symbol's text, newly allocated. On failure returns -1
 * with *cause: bad dimensions, "no QR code found", or a symbol holding a NUL byte.
 */
int qr_reader_decode(struct qr_reader *r, const uint8_t *pixels, int width, int height,
    char **text, char **cause) WARN_UNUSED;
/* qr_reader_decode with a reader of its own, made and freed for this one call. */
int qr_decode_gray(const uint8_t *pixels, int width, int height, char **text, char **cause)
    WARN_UNUSED;

/*
 * Load an image as 8-bit gray, recognised by its first bytes: PNG (any colour type, bit depth,
 * interlace; alpha is laid over white) or PGM (P5 binary or P2 text, maxval 1..65535, scaled
 * to 0..255). On success *pixels (width * height bytes, newly allocated), *w and *h are set.
 * On failure returns -1 with *cause: "not a PNG or PGM image", "corrupt PNG: ...",
 * "corrupt PGM: ...", or "image too large" (more than QR_MAX_DIM on a side).
 */
int qr_load_memory(const uint8_t *buf, size_t len, uint8_t **pixels, int *w, int *h,
    char **cause) WARN_UNUSED;
/* qr_load_memory on a file's contents; causes are prefixed with the path, "cannot open" etc. */
int qr_load_gray(const char *path, uint8_t **pixels, int *w, int *h, char **cause) WARN_UNUSED;
/* Load (as qr_load_memory) and decode (as qr_decode_gray): *text newly allocated on success. */
int qr_decode_memory(const uint8_t *buf, size_t len, char **text, char **cause) WARN_UNUSED;
/* Load (as qr_load_gray) and decode; causes are prefixed with the path. */
int qr_decode_file(const char *path, char **text, char **cause) WARN_UNUSED;

#endif
