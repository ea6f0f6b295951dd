/* fuzz_venue.c: libFuzzer over venue_parse: what it accepts must be well-formed and round-trip. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venue.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writing a venue back out as one line per seat is slow for the largest: skip those. */
#define FUZZ_MAX_ROUNDTRIP 20000

/* A section or row name; ga_row (rows only, -1 for a section) says whether it must be "GA". */
static void
check_part(const char *s, int ga_row)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > VENUE_PART_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			abort();
	}
	/* Only a row may not be called GA unless it is a GA area's; a section may. */
	if (ga_row >= 0 && ga_row != (strcmp(s, VENUE_GA_ROW) == 0))
		abort();
}

static int
cmp_seat(const void *a, const void *b)
{
	const struct venue_seat *x = a, *y = b;
	int                      c;

	if ((c = strcmp(x->section, y->section)) != 0)
		return c;
	if ((c = strcmp(x->row, y->row)) != 0)
		return c;
	return x->number < y->number ? -1 : x->number > y->number;
}

/* The venue as a file of its own: a seat line per seat, a ga line per GA area. */
static char *
write_venue(const struct venue *v, size_t *len)
{
	const struct venue_seat *s;
	size_t                   i, cap = 256 + v->nseats * 48, used;
	char                    *buf = xmalloc(cap);

	used = (size_t)snprintf(buf, cap, "venue,%s\n", v->name);
	for (i = 0; i < v->nseats; i++) {
		s = &v->seats[i];
		if (!s->ga)
			used += (size_t)snprintf(buf + used, cap - used, "seat,%s,%s,%u\n",
			    s->section, s->row, (unsigned)s->number);
		else if (i + 1 == v->nseats || strcmp(v->seats[i + 1].section, s->section) != 0)
			used += (size_t)snprintf(buf + used, cap - used, "ga,%s,%u\n",
			    s->section, (unsigned)s->number);
	}
	*len = used;
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct venue      *v = NULL, *w = NULL;
	struct venue_seat *sorted;
	char              *cause = NULL, *text, label[VENUE_LABEL_MAX];
	size_t             i, len;

	if (venue_parse((const char *)data, size, "fuzz.csv", &v, &cause) != 0) {
		if (v != NULL || cause == NULL || strncmp(cause, "fuzz.csv:", 9) != 0)
			abort();
		free(cause);
		return 0;
	}
	if (v == NULL || cause != NULL || v->name[0] == '\0' ||
	    strlen(v->name) > VENUE_NAME_MAX || v->nseats == 0 ||
	    v->nseats > VENUE_MAX_SEATS || v->nsections == 0 || v->nsections > v->nseats)
		abort();
	for (i = 0; i < v->nsections; i++)
		check_part(v->sections[i], -1);
	for (i = 0; i < v->nseats; i++) {
		check_part(v->seats[i].section, -1);
		check_part(v->seats[i].row, v->seats[i].ga);
		if (v->seats[i].number == 0 ||
		    (!v->seats[i].ga && v->seats[i].number > VENUE_NUMBER_MAX))
			abort();
		venue_seat_label(&v->seats[i], label, sizeof label);
		if (strlen(label) < 5 || strlen(label) >= sizeof label - 1)
			abort();
	}
	if (venue_find(v, label) != &v->seats[v->nseats - 1])
		abort();

	/* Labels are distinct. */
	sorted = xreallocarray(NULL, v->nseats, sizeof *sorted);
	memcpy(sorted, v->seats, v->nseats * sizeof *sorted);
	qsort(sorted, v->nseats, sizeof *sorted, cmp_seat);
	for (i = 1; i < v->nseats; i++) {
		if (cmp_seat(&sorted[i - 1], &sorted[i]) == 0)
			abort();
	}
	free(sorted);

	/* Written back out, it parses to the same seats in the same order. */
	if (v->nseats <= FUZZ_MAX_ROUNDTRIP) {
		text = write_venue(v, &len);
		if (venue_parse(text, len, "again.csv", &w, &cause) != 0) {
			fprintf(stderr, "round trip: %s\n", cause);
			abort();
		}
		if (strcmp(v->name, w->name) != 0 || v->nseats != w->nseats ||
		    v->nsections != w->nsections ||
		    memcmp(v->sections, w->sections, v->nsections * sizeof *v->sections) != 0)
			abort();
		for (i = 0; i < v->nseats; i++) {
			if (cmp_seat(&v->seats[i], &w->seats[i]) != 0 ||
			    v->seats[i].ga != w->seats[i].ga)
				abort();
		}
		venue_free(w);
		free(text);
	}
	venue_free(v);
	return 0;
}
