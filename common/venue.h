/* venue.h: venue seat maps: the venue file format (docs/venues.md), its parser, and seat labels. */
#ifndef TESSERA_VENUE_H
#define TESSERA_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

#define VENUE_PART_MAX    16                  /* section and row names, bytes */
#define VENUE_NAME_MAX    200                 /* the venue's name, bytes of UTF-8 */
#define VENUE_NUMBER_MAX  9999                /* seat numbers on seat and row lines */
#define VENUE_MAX_SEATS   1000000             /* seats in one venue, GA places included */
#define VENUE_LINE_MAX    4096                /* bytes in one line, without its line ending */
#define VENUE_FILE_MAX    (64 * 1024 * 1024)  /* bytes in one venue file */
#define VENUE_GA_ROW      "GA"                /* the row of every general-admission place */
/* "SECTION-ROW-NUMBER" and its NUL: 16 + 1 + 16 + 1 + 7 digits + 1, rounded up. */
#define VENUE_LABEL_MAX   48

/*
 * One seat. Section and row names are upper case letters, digits and '_' (never '-', which
 * separates the parts of a label). A general-admission place has ga set, row "GA" and a number
 * from 1 to the area's capacity.
 */
struct venue_seat {
	char     section[VENUE_PART_MAX + 1];
	char     row[VENUE_PART_MAX + 1];
	uint32_t number;
	int      ga;
};

/*
 * A parsed venue. Seats are in file order (a range in the order written, a GA area 1..N) and
 * no two have the same label. Sections are the distinct section names in order of first use.
 */
struct venue {
	char               *name;                            /* UTF-8, non-empty */
	size_t              nseats;                          /* at least 1 */
	struct venue_seat  *seats;
	size_t              nsections;
	char              (*sections)[VENUE_PART_MAX + 1];
};

/*
 * Parse a venue file held in text (len bytes; it need not be NUL-terminated and may hold any
 * bytes). filename names the text in error messages (NULL gives "<venue>"). On success *out is
 * a new venue that the caller frees with venue_free(). On failure returns -1, sets *cause to a
 * newly allocated "file:line:column: what was expected" (the first error in file order) and
 * leaves *out alone: nothing of a file that fails is returned.
 */
int venue_parse(const char *text, size_t len, const char *filename, struct venue **out,
    char **cause) WARN_UNUSED;

/*
 * Read the file at path (at most VENUE_FILE_MAX bytes) and venue_parse() it under that name.
 * 0 with a new *out for the caller to venue_free(), or -1 with *cause (an I/O error or a
 * parse error) and *out left alone.
 */
int venue_load(const char *path, struct venue **out, char **cause) WARN_UNUSED;

/* Free a venue and everything in it; NULL is fine. */
void venue_free(struct venue *v);

/*
 * Write the seat's label "A-1-1" or "FLOOR-GA-12" into buf, always NUL-terminated and
 * truncated to len - 1 bytes (VENUE_LABEL_MAX is always enough). Does nothing if len is 0.
 */
void venue_seat_label(const struct venue_seat *s, char *buf, size_t len);

/*
 * The seat whose label is label, compared without regard to case ("a-1-1" finds A-1-1),
 * or NULL when there is none or the label is malformed. A linear search: the pointer
 * points into v->seats and lives as long as v.
 */
const struct venue_seat *venue_find(const struct venue *v, const char *label);

#endif
