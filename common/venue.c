/* venue.c: parse venue seat-map files (docs/venues.md) into a list of labelled seats. */

/*
 * The parser walks the text one line at a time. Each line is cut at '#' (a comment), trimmed,
 * and split at commas into fields; the first field is the keyword. Everything a line defines is
 * checked as it is added, so the error reported is always the first one in file order:
 *
 *   seats      a growing array in file order, with a parallel array of the line and column
 *              that defined each seat, so that a duplicate can name both places;
 *   seat_hash  open addressing over seat indices (index + 1, 0 for an empty slot), keyed by
 *              section, row and number: finds a duplicate in constant time, so a file of a
 *              million seats parses in well under a second;
 *   sections   the distinct section names in order of first use, with where each was first
 *              used and whether it is a general-admission area, and its own hash.
 *
 * Nothing is handed to the caller until the whole text has parsed; any error frees it all.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venue.h"
#include "xmalloc.h"

#define SHOW_MAX 40                     /* bytes of input quoted in an error message */
#define SHOW_BUF (SHOW_MAX * 4 + 8)     /* room for show() */

struct where {
	uint32_t line;
	uint32_t col;
};

struct section_info {
	struct where at;            /* where the section was first used */
	int          ga;
};

/* A line's fields, consumed left to right. */
struct cursor {
	const char *p;              /* start of the next field; NULL after the last */
	const char *end;            /* end of the line's content (comment and blanks cut) */
};

struct parser {
	const char          *file;
	char               **cause;
	const char          *linestart;     /* column 1 of the current line */
	uint32_t             line;

	char                *name;
	uint32_t             name_line;

	struct venue_seat   *seats;
	struct where        *seat_at;
	size_t               nseats;
	size_t               seatcap;
	uint32_t            *seat_hash;
	size_t               seat_hash_size; /* a power of two, or 0 */

	char               (*sections)[VENUE_PART_MAX + 1];
	struct section_info *section_info;
	size_t               nsections;
	size_t               sectioncap;
	uint32_t            *section_hash;
	size_t               section_hash_size;
};

static int fail_at(struct parser *, const char *, const char *, ...) PRINTFLIKE(3, 4);

/* Report an error at byte at of the current line; returns -1. */
static int
fail_at(struct parser *ps, const char *at, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return set_cause(ps->cause, "%s:%u:%zu: %s", ps->file, ps->line,
	    (size_t)(at - ps->linestart) + 1, msg);
}

/* A printable, quoted copy of up to SHOW_MAX bytes of p, for an error message. */
static const char *
show(char *buf, size_t size, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t            i, used = 0;
	int               c;

	if (size < SHOW_MAX * 4 + 6)
		abort();        /* a bug: every caller passes SHOW_BUF */
	buf[used++] = '\'';
	for (i = 0; i < n && i < SHOW_MAX; i++) {
		c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			buf[used++] = (char)c;
		else {
			buf[used++] = '\\';
			buf[used++] = 'x';
			buf[used++] = hex[c >> 4];
			buf[used++] = hex[c & 0xf];
		}
	}
	if (n > SHOW_MAX) {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used++] = '\'';
	buf[used] = '\0';
	return buf;
}

/* One byte for an error message: 'x', or byte 0xNN when it is not printable. */
static const char *
show_char(char *buf, size_t size, int c)
{
	c = (unsigned char)c;
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", (unsigned)c);
	return buf;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_';
}

static int
to_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static void
trim(const char **p, const char **end)
{
	while (*p < *end && is_blank(**p))
		(*p)++;
	while (*end > *p && is_blank((*end)[-1]))
		(*end)--;
}

/* FNV-1a, then a final mix so that the low bits used as the slot are well spread. */
static uint32_t
hash_bytes(uint32_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t               i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t
hash_mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t
hash_seat(const char *section, const char *row, uint32_t number)
{
	uint32_t h = 2166136261u;

	h = hash_bytes(h, section, strlen(section) + 1);
	h = hash_bytes(h, row, strlen(row) + 1);
	h = hash_bytes(h, &number, sizeof number);
	return hash_mix(h);
}

static uint32_t
hash_name(const char *name)
{
	return hash_mix(hash_bytes(2166136261u, name, strlen(name)));
}

/* The index of the seat, or -1. */
static long
seat_lookup(const struct parser *ps, const char *section, const char *row, uint32_t number)
{
	const struct venue_seat *s;
	size_t                   mask = ps->seat_hash_size - 1, i;

	if (ps->seat_hash_size == 0)
		return -1;
	i = hash_seat(section, row, number) & mask;
	for (; ps->seat_hash[i] != 0; i = (i + 1) & mask) {
		s = &ps->seats[ps->seat_hash[i] - 1];
		if (s->number == number && strcmp(s->row, row) == 0 &&
		    strcmp(s->section, section) == 0)
			return (long)ps->seat_hash[i] - 1;
	}
	return -1;
}

static void
seat_hash_insert(uint32_t *table, size_t size, const struct venue_seat *s, uint32_t idx)
{
	size_t mask = size - 1, i;

	for (i = hash_seat(s->section, s->row, s->number) & mask; table[i] != 0; i = (i + 1) & mask)
		/* probe */;
	table[i] = idx + 1;
}

/* Keep the seat table at most half full. */
static void
seat_hash_grow(struct parser *ps)
{
	size_t i, size;

	if ((ps->nseats + 1) * 2 <= ps->seat_hash_size)
		return;
	size = ps->seat_hash_size == 0 ? 1024 : ps->seat_hash_size * 2;
	free(ps->seat_hash);
	ps->seat_hash = xcalloc(size, sizeof *ps->seat_hash);
	ps->seat_hash_size = size;
	for (i = 0; i < ps->nseats; i++)
		seat_hash_insert(ps->seat_hash, size, &ps->seats[i], (uint32_t)i);
}

static long
section_lookup(const struct parser *ps, const char *name)
{
	size_t mask = ps->section_hash_size - 1, i;

	if (ps->section_hash_size == 0)
		return -1;
	for (i = hash_name(name) & mask; ps->section_hash[i] != 0; i = (i + 1) & mask) {
		if (strcmp(ps->sections[ps->section_hash[i] - 1], name) == 0)
			return (long)ps->section_hash[i] - 1;
	}
	return -1;
}

static void
section_hash_grow(struct parser *ps)
{
	size_t i, j, size, mask;

	if ((ps->nsections + 1) * 2 <= ps->section_hash_size)
		return;
	size = ps->section_hash_size == 0 ? 64 : ps->section_hash_size * 2;
	mask = size - 1;
	free(ps->section_hash);
	ps->section_hash = xcalloc(size, sizeof *ps->section_hash);
	ps->section_hash_size = size;
	for (i = 0; i < ps->nsections; i++) {
		for (j = hash_name(ps->sections[i]) & mask; ps->section_hash[j] != 0;
		    j = (j + 1) & mask)
			/* probe */;
		ps->section_hash[j] = (uint32_t)i + 1;
	}
}

/*
 * The index of section name for a line of kind ga (1 for a ga line), adding it when new.
 * A section holds either numbered seats or one general-admission area, never both.
 */
static int
use_section(struct parser *ps, const char *name, const char *at, int ga, size_t *idx)
{
	struct section_info *info;
	long                 i;
	size_t               mask, j;

	if ((i = section_lookup(ps, name)) != -1) {
		info = &ps->section_info[i];
		if (ga && info->ga)
			return fail_at(ps, at, "general-admission area %s is already defined "
			    "on line %u", name, info->at.line);
		if (ga)
			return fail_at(ps, at, "section %s already has numbered seats (line %u): "
			    "a general-admission area needs a section of its own", name,
			    info->at.line);
		if (info->ga)
			return fail_at(ps, at, "section %s is a general-admission area "
			    "(line %u): it cannot also have numbered seats", name, info->at.line);
		*idx = (size_t)i;
		return 0;
	}

	section_hash_grow(ps);
	if (ps->nsections == ps->sectioncap) {
		ps->sectioncap = ps->sectioncap == 0 ? 16 : ps->sectioncap * 2;
		ps->sections = xreallocarray(ps->sections, ps->sectioncap, sizeof *ps->sections);
		ps->section_info = xreallocarray(ps->section_info, ps->sectioncap,
		    sizeof *ps->section_info);
	}
	memcpy(ps->sections[ps->nsections], name, VENUE_PART_MAX + 1);
	info = &ps->section_info[ps->nsections];
	info->at.line = ps->line;
	info->at.col = (uint32_t)(at - ps->linestart) + 1;
	info->ga = ga;

	mask = ps->section_hash_size - 1;
	for (j = hash_name(name) & mask; ps->section_hash[j] != 0; j = (j + 1) & mask)
		/* probe */;
	ps->section_hash[j] = (uint32_t)ps->nsections + 1;
	*idx = ps->nsections++;
	return 0;
}

/* Add one seat defined at byte at of the current line; refuses a duplicate and seat 1,000,001. */
static int
add_seat(struct parser *ps, size_t section, const char *row, uint32_t number, int ga,
    const char *at)
{
	struct venue_seat *s;
	struct where      *first;
	char               label[VENUE_LABEL_MAX];
	long               dup;

	if (ps->nseats >= VENUE_MAX_SEATS)
		return fail_at(ps, at, "too many seats: a venue holds at most %d",
		    VENUE_MAX_SEATS);
	if ((dup = seat_lookup(ps, ps->sections[section], row, number)) != -1) {
		venue_seat_label(&ps->seats[dup], label, sizeof label);
		first = &ps->seat_at[dup];
		if (first->line == ps->line)
			return fail_at(ps, at, "duplicate seat %s: already listed at column %u of "
			    "this line", label, first->col);
		return fail_at(ps, at, "duplicate seat %s: already defined on line %u, column %u",
		    label, first->line, first->col);
	}

	if (ps->nseats == ps->seatcap) {
		ps->seatcap = ps->seatcap == 0 ? 256 : ps->seatcap * 2;
		ps->seats = xreallocarray(ps->seats, ps->seatcap, sizeof *ps->seats);
		ps->seat_at = xreallocarray(ps->seat_at, ps->seatcap, sizeof *ps->seat_at);
	}
	seat_hash_grow(ps);
	s = &ps->seats[ps->nseats];
	memcpy(s->section, ps->sections[section], sizeof s->section);
	memset(s->row, 0, sizeof s->row);
	memcpy(s->row, row, strlen(row));
	s->number = number;
	s->ga = ga;
	ps->seat_at[ps->nseats].line = ps->line;
	ps->seat_at[ps->nseats].col = (uint32_t)(at - ps->linestart) + 1;
	seat_hash_insert(ps->seat_hash, ps->seat_hash_size, s, (uint32_t)ps->nseats);
	ps->nseats++;
	return 0;
}

/* The next comma-separated field, trimmed and non-empty; syntax is the line's form, for errors. */
static int
next_field(struct parser *ps, struct cursor *c, const char *what, const char *syntax,
    const char **f, const char **fend)
{
	const char *comma;

	if (c->p == NULL)
		return fail_at(ps, c->end, "missing %s: expected %s", what, syntax);
	comma = memchr(c->p, ',', (size_t)(c->end - c->p));
	*f = c->p;
	*fend = comma != NULL ? comma : c->end;
	c->p = comma != NULL ? comma + 1 : NULL;
	trim(f, fend);
	if (*f == *fend)
		return fail_at(ps, *f, "empty %s: expected %s", what, syntax);
	return 0;
}

/* Refuse anything after the last field. */
static int
no_more_fields(struct parser *ps, const struct cursor *c, const char *syntax)
{
	if (c->p != NULL)
		return fail_at(ps, c->p - 1, "too many fields: expected %s", syntax);
	return 0;
}

/* A section or row name: letters, digits and '_', 1 to 16 of them; upper case, NUL-padded. */
static int
parse_part(struct parser *ps, const char *f, const char *fend, const char *what,
    char out[VENUE_PART_MAX + 1])
{
	const char *q;
	char        b1[16], b2[SHOW_BUF];
	size_t      n = (size_t)(fend - f), i;

	for (q = f; q < fend; q++) {
		if (*q == '-')
			return fail_at(ps, q, "'-' in %s name %s: '-' separates the parts of a "
			    "seat label", what, show(b2, sizeof b2, f, n));
		if (!is_name_char((unsigned char)*q))
			return fail_at(ps, q, "unexpected %s in %s name: expected letters, digits "
			    "or '_'", show_char(b1, sizeof b1, *q), what);
	}
	if (n > VENUE_PART_MAX)
		return fail_at(ps, f, "%s name %s is longer than %d characters", what,
		    show(b2, sizeof b2, f, n), VENUE_PART_MAX);
	memset(out, 0, VENUE_PART_MAX + 1);     /* no stray bytes after the name */
	for (i = 0; i < n; i++)
		out[i] = (char)to_upper((unsigned char)f[i]);
	return 0;
}

/* A decimal number from 1 to max. */
static int
parse_number(struct parser *ps, const char *f, const char *fend, uint32_t max, const char *what,
    uint32_t *out)
{
	const char *q;
	char        b1[16], b2[SHOW_BUF];
	uint64_t    v = 0;

	if (f == fend)
		return fail_at(ps, f, "missing %s", what);
	for (q = f; q < fend; q++) {
		if (*q < '0' || *q > '9')
			return fail_at(ps, q, "unexpected %s in %s: expected digits",
			    show_char(b1, sizeof b1, *q), what);
		if (v <= max)
			v = v * 10 + (uint64_t)(*q - '0');
	}
	if (v < 1 || v > max)
		return fail_at(ps, f, "%s %s is out of range: expected 1 to %u", what,
		    show(b2, sizeof b2, f, (size_t)(fend - f)), max);
	*out = (uint32_t)v;
	return 0;
}

/*
 * Where the bytes stop being valid UTF-8 text for a name: the first control character, bad
 * sequence, overlong form, surrogate or code point past U+10FFFF; NULL when all is well.
 */
static const char *
bad_text(const char *p, const char *end)
{
	const unsigned char *s = (const unsigned char *)p, *e = (const unsigned char *)end;
	uint32_t             cp, min;
	int                  n, i;

	while (s < e) {
		if (*s < 0x80) {
			if (*s < 0x20 || *s == 0x7f)
				return (const char *)s;
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1; cp = *s & 0x1f; min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2; cp = *s & 0x0f; min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3; cp = *s & 0x07; min = 0x10000;
		} else
			return (const char *)s;
		if (e - s <= n)
			return (const char *)s;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return (const char *)s;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (const char *)s;
		s += n + 1;
	}
	return NULL;
}

/* venue,NAME: the name is the rest of the line, commas and all. */
static int
parse_venue(struct parser *ps, const char *kw, struct cursor *c)
{
	const char *f, *fend, *bad;
	char        b1[16];

	if (ps->name != NULL)
		return fail_at(ps, kw, "a second venue line: the venue is already named on line %u",
		    ps->name_line);
	if (c->p == NULL)
		return fail_at(ps, c->end, "missing venue name: expected venue,NAME");
	f = c->p;
	fend = c->end;
	trim(&f, &fend);
	if (f == fend)
		return fail_at(ps, f, "empty venue name: expected venue,NAME");
	if ((bad = bad_text(f, fend)) != NULL) {
		if ((unsigned char)*bad < 0x80)
			return fail_at(ps, bad, "unexpected %s in the venue name",
			    show_char(b1, sizeof b1, *bad));
		return fail_at(ps, bad, "the venue name is not valid UTF-8");
	}
	if (fend - f > VENUE_NAME_MAX)
		return fail_at(ps, f, "the venue name is longer than %d bytes", VENUE_NAME_MAX);
	ps->name = xstrndup(f, (size_t)(fend - f));
	ps->name_line = ps->line;
	return 0;
}

/* seat,SECTION,ROW,NUMBER and row,SECTION,ROW,LIST where LIST is N or N-M, joined by ';'. */
static int
parse_seats(struct parser *ps, struct cursor *c, int is_row)
{
	const char *syntax = is_row ? "row,SECTION,ROW,FIRST-LAST" : "seat,SECTION,ROW,NUMBER";
	const char *sf, *sfend, *rf, *rfend, *f, *fend, *el, *elend, *semi, *dash, *a, *aend;
	char        section[VENUE_PART_MAX + 1], row[VENUE_PART_MAX + 1];
	size_t      sidx;
	uint32_t    lo, hi, n;

	if (next_field(ps, c, "section name", syntax, &sf, &sfend) != 0 ||
	    parse_part(ps, sf, sfend, "section", section) != 0)
		return -1;
	if (next_field(ps, c, "row name", syntax, &rf, &rfend) != 0 ||
	    parse_part(ps, rf, rfend, "row", row) != 0)
		return -1;
	if (strcmp(row, VENUE_GA_ROW) == 0)
		return fail_at(ps, rf, "row name GA is kept for general-admission areas: "
		    "use ga,SECTION,CAPACITY");
	if (next_field(ps, c, is_row ? "seat range" : "seat number", syntax, &f, &fend) != 0)
		return -1;
	if (no_more_fields(ps, c, syntax) != 0)
		return -1;
	if (use_section(ps, section, sf, 0, &sidx) != 0)
		return -1;

	if (!is_row) {
		if ((dash = memchr(f, '-', (size_t)(fend - f))) != NULL)
			return fail_at(ps, dash, "a seat line takes one seat number: use "
			    "row,SECTION,ROW,FIRST-LAST for a range");
		if (parse_number(ps, f, fend, VENUE_NUMBER_MAX, "seat number", &n) != 0)
			return -1;
		return add_seat(ps, sidx, row, n, 0, f);
	}

	for (el = f; el != NULL; el = semi != NULL ? semi + 1 : NULL) {
		semi = memchr(el, ';', (size_t)(fend - el));
		elend = semi != NULL ? semi : fend;
		trim(&el, &elend);
		if (el == elend)
			return fail_at(ps, el, "empty seat range: expected FIRST-LAST or a seat "
			    "number, several joined by ';'");
		if ((dash = memchr(el, '-', (size_t)(elend - el))) == NULL) {
			if (parse_number(ps, el, elend, VENUE_NUMBER_MAX, "seat number", &lo) != 0)
				return -1;
			hi = lo;
		} else {
			a = el;
			aend = dash;
			trim(&a, &aend);
			if (parse_number(ps, a, aend, VENUE_NUMBER_MAX, "first seat number",
			    &lo) != 0)
				return -1;
			a = dash + 1;
			aend = elend;
			trim(&a, &aend);
			if (parse_number(ps, a, aend, VENUE_NUMBER_MAX, "last seat number",
			    &hi) != 0)
				return -1;
			if (lo > hi)
				return fail_at(ps, el, "seat range %u-%u runs backwards", lo, hi);
		}
		for (n = lo; n <= hi; n++) {
			if (add_seat(ps, sidx, row, n, 0, el) != 0)
				return -1;
		}
	}
	return 0;
}

/* ga,SECTION,CAPACITY: places SECTION-GA-1 to SECTION-GA-CAPACITY. */
static int
parse_ga(struct parser *ps, struct cursor *c)
{
	const char *syntax = "ga,SECTION,CAPACITY";
	const char *sf, *sfend, *f, *fend;
	char        section[VENUE_PART_MAX + 1];
	size_t      sidx;
	uint32_t    cap, n;

	if (next_field(ps, c, "section name", syntax, &sf, &sfend) != 0 ||
	    parse_part(ps, sf, sfend, "section", section) != 0)
		return -1;
	if (next_field(ps, c, "capacity", syntax, &f, &fend) != 0 ||
	    parse_number(ps, f, fend, VENUE_MAX_SEATS, "capacity", &cap) != 0)
		return -1;
	if (no_more_fields(ps, c, syntax) != 0)
		return -1;
	if (use_section(ps, section, sf, 1, &sidx) != 0)
		return -1;
	if (cap > VENUE_MAX_SEATS - ps->nseats)
		return fail_at(ps, f, "too many seats: a capacity of %u brings the venue past %d",
		    cap, VENUE_MAX_SEATS);
	for (n = 1; n <= cap; n++) {
		if (add_seat(ps, sidx, VENUE_GA_ROW, n, 1, f) != 0)
			return -1;
	}
	return 0;
}

/* One line, from p to end (its line ending already cut). */
static int
parse_line(struct parser *ps, const char *p, const char *end)
{
	struct cursor c;
	const char   *hash, *kw, *kwend;
	char          b[SHOW_BUF];
	size_t        n;

	if ((hash = memchr(p, '#', (size_t)(end - p))) != NULL)
		end = hash;
	trim(&p, &end);
	if (p == end)
		return 0;

	c.end = end;
	kw = p;
	kwend = memchr(p, ',', (size_t)(end - p));
	c.p = kwend != NULL ? kwend + 1 : NULL;
	if (kwend == NULL)
		kwend = end;
	trim(&kw, &kwend);
	n = (size_t)(kwend - kw);

#define IS(s) (n == sizeof s - 1 && memcmp(kw, s, n) == 0)
	if (!IS("venue") && !IS("seat") && !IS("row") && !IS("ga")) {
		if (n == 0)
			return fail_at(ps, kw, "missing keyword: expected venue, seat, row or ga");
		return fail_at(ps, kw, "unknown keyword %s: expected venue, seat, row or ga",
		    show(b, sizeof b, kw, n));
	}
	if (IS("venue"))
		return parse_venue(ps, kw, &c);
	if (ps->name == NULL)
		return fail_at(ps, kw, "expected venue,NAME before the first seat");
	if (IS("ga"))
		return parse_ga(ps, &c);
	return parse_seats(ps, &c, IS("row"));
#undef IS
}

static void
parser_free(struct parser *ps)
{
	free(ps->name);
	free(ps->seats);
	free(ps->seat_at);
	free(ps->seat_hash);
	free(ps->sections);
	free(ps->section_info);
	free(ps->section_hash);
}

int
venue_parse(const char *text, size_t len, const char *filename, struct venue **out, char **cause)
{
	struct parser  ps;
	struct venue  *v;
	const char    *p, *end, *eol, *next, *body;
	char           b[SHOW_BUF];

	memset(&ps, 0, sizeof ps);
	ps.file = filename != NULL ? filename : "<venue>";
	ps.cause = cause;
	if (len > VENUE_FILE_MAX)
		return set_cause(cause, "%s: the file is larger than %d bytes", ps.file,
		    VENUE_FILE_MAX);
	if (text == NULL)
		len = 0;        /* NULL is taken as empty text */

	p = text != NULL ? text : "";
	end = p + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;         /* a UTF-8 byte order mark: not counted as a column */
	body = p;
	ps.linestart = p;
	while (p < end) {
		ps.line++;
		ps.linestart = p;
		eol = memchr(p, '\n', (size_t)(end - p));
		next = eol != NULL ? eol + 1 : end;
		if (eol == NULL)
			eol = end;
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (eol - p > VENUE_LINE_MAX) {
			fail_at(&ps, p + VENUE_LINE_MAX, "line is longer than %d bytes",
			    VENUE_LINE_MAX);
			goto fail;
		}
		if (parse_line(&ps, p, eol) != 0)
			goto fail;
		p = next;
	}

	/* Errors about what is missing point just past the end of the text. */
	if (body == end || end[-1] == '\n') {
		ps.line++;
		ps.linestart = end;
	}
	if (ps.name == NULL) {
		if (body == end)
			fail_at(&ps, end, "empty file: expected venue,NAME");
		else
			fail_at(&ps, end, "no venue line: expected venue,NAME");
		goto fail;
	}
	if (ps.nseats == 0) {
		fail_at(&ps, end, "venue %s has no seats: expected seat, row or ga lines",
		    show(b, sizeof b, ps.name, strlen(ps.name)));
		goto fail;
	}

	v = xcalloc(1, sizeof *v);
	v->name = ps.name;
	v->nseats = ps.nseats;
	v->seats = xreallocarray(ps.seats, ps.nseats, sizeof *v->seats);
	v->nsections = ps.nsections;
	v->sections = xreallocarray(ps.sections, ps.nsections, sizeof *v->sections);
	ps.name = NULL;
	ps.seats = NULL;
	ps.sections = NULL;
	parser_free(&ps);
	*out = v;
	return 0;

fail:
	parser_free(&ps);
	return -1;
}

int
venue_load(const char *path, struct venue **out, char **cause)
{
	FILE   *f;
	char   *buf = NULL;
	size_t  len = 0, cap = 0, n;
	int     rc;

	if ((f = fopen(path, "rb")) == NULL)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	for (;;) {
		if (len == cap) {
			if (cap > VENUE_FILE_MAX) {
				fclose(f);
				free(buf);
				return set_cause(cause, "%s: the file is larger than %d bytes",
				    path, VENUE_FILE_MAX);
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > (size_t)VENUE_FILE_MAX + 1)
				cap = (size_t)VENUE_FILE_MAX + 1;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = errno;
		fclose(f);
		free(buf);
		return set_cause(cause, "%s: %s", path, strerror(rc != 0 ? rc : EIO));
	}
	fclose(f);
	rc = venue_parse(buf, len, path, out, cause);
	free(buf);
	return rc;
}

void
venue_free(struct venue *v)
{
	if (v == NULL)
		return;
	free(v->name);
	free(v->seats);
	free(v->sections);
	free(v);
}

void
venue_seat_label(const struct venue_seat *s, char *buf, size_t len)
{
	if (len == 0)
		return;
	snprintf(buf, len, "%s-%s-%u", s->section, s->row, (unsigned)s->number);
}

/* One part of a label: 1 to 16 name characters up to '-' or the end, upper-cased. */
static const char *
label_part(const char *p, char out[VENUE_PART_MAX + 1])
{
	size_t n = 0;

	while (is_name_char((unsigned char)*p)) {
		if (n == VENUE_PART_MAX)
			return NULL;
		out[n++] = (char)to_upper((unsigned char)*p++);
	}
	out[n] = '\0';
	return n == 0 ? NULL : p;
}

const struct venue_seat *
venue_find(const struct venue *v, const char *label)
{
	char     section[VENUE_PART_MAX + 1], row[VENUE_PART_MAX + 1];
	uint32_t number = 0;
	size_t   i, digits = 0;
	const char *p = label;

	if ((p = label_part(p, section)) == NULL || *p++ != '-')
		return NULL;
	if ((p = label_part(p, row)) == NULL || *p++ != '-')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 7)
			return NULL;
		number = number * 10 + (uint32_t)(*p - '0');
	}
	if (*p != '\0' || digits == 0 || number == 0)
		return NULL;
	for (i = 0; i < v->nseats; i++) {
		if (v->seats[i].number == number && strcmp(v->seats[i].row, row) == 0 &&
		    strcmp(v->seats[i].section, section) == 0)
			return &v->seats[i];
	}
	return NULL;
}
