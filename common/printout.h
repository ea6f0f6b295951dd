/* printout.h: a ticket as people get it: PNG and SVG files, and ESC/POS bytes for a receipt printer. */
#ifndef TESSERA_PRINTOUT_H
#define TESSERA_PRINTOUT_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

/*
 * What a printed ticket shows. Every string is borrowed (UTF-8; NULL is taken as ""). The QR
 * holds qr_text exactly, so a gate reads back the ticket text the box office signed.
 */
struct printout {
	uint32_t    event_id;
	const char *event;              /* the event's name */
	const char *venue;
	int64_t     starts_at;          /* unix seconds, shown in local time */
	const char *seat;               /* the label, "A-1-5" */
	const char *tier;               /* the price tier's name */
	int64_t     price;              /* minor units */
	const char *currency;           /* "EUR" */
	uint32_t    order;
	uint32_t    serial;
	const char *qr_text;            /* the ticket's QR text (ticket_sign) */
};

/* The text lines of a ticket, for every output: at most PRINTOUT_LINES, each at most 60 bytes. */
#define PRINTOUT_LINES  6
#define PRINTOUT_COLS   61
void printout_lines(const struct printout *p, char lines[PRINTOUT_LINES][PRINTOUT_COLS]);

/*
 * "<event id>-<seat label>-<serial>.<ext>": a file name for the ticket, unique per sale, with
 * only letters, digits, '-', '_' and '.'. Newly allocated.
 */
char *printout_filename(const struct printout *p, const char *ext);

/*
 * A PNG (1-bit grey, black on white, PRINTOUT_PNG_WIDTH pixels wide, as a 72 mm thermal line at
 * 203 dpi): the text in a built-in 5x7 bitmap font (ASCII; accented Latin letters lose their
 * accents, other characters print as '?') above the QR code at 8 pixels a module with a 4-module
 * quiet zone. printout_png_memory: 0 with *buf (newly allocated) and *len; printout_write_png
 * writes it to path atomically (temporary file, fsync, rename; mode 0644). -1 with *cause (the
 * QR text does not fit a QR code, zlib or the file system failed); on failure path is untouched.
 */
#define PRINTOUT_PNG_WIDTH  576
int printout_png_memory(const struct printout *p, uint8_t **buf, size_t *len, char **cause)
    WARN_UNUSED;
int printout_write_png(const struct printout *p, const char *path, char **cause) WARN_UNUSED;

/*
 * A standalone SVG document: the lines as <text> (XML-escaped UTF-8, kept as given) and the QR
 * as one <path> of dark modules. 0 with *out newly allocated, or -1 with *cause.
 * printout_write_svg writes it atomically, as printout_write_png.
 */
int printout_svg(const struct printout *p, char **out, char **cause) WARN_UNUSED;
int printout_write_svg(const struct printout *p, const char *path, char **cause) WARN_UNUSED;

/*
 * ESC/POS bytes for an 80 mm receipt printer: ESC @ (initialise), centred text (the event and
 * the seat double size; ASCII as for the PNG), the QR code by GS ( k (model 2, module size 6,
 * error correction M, store the text with function 80, print with function 81), a feed and
 * GS V 66 (feed and cut). 0 with *buf (newly allocated) and *len, or -1 with *cause (a QR text
 * longer than the printer's store command takes).
 */
int printout_escpos(const struct printout *p, uint8_t **buf, size_t *len, char **cause)
    WARN_UNUSED;
/*
 * Append the ESC/POS bytes of p to path: a printer device (/dev/usb/lp0) or a file, created
 * (0644) when absent. Written with one write() loop and fsync where the file allows. 0, or -1
 * with *cause naming path.
 */
int printout_write_escpos(const struct printout *p, const char *path, char **cause)
    WARN_UNUSED;

#endif
