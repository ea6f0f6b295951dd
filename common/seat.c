/*
 * seat.c: the seat state machine as a table, and seat labels.
 *
 * transitions[from][to] is NULL when the change is allowed, otherwise the sentence that says
 * why not. The one change that depends on the event is exited -> admitted (re-entry), which
 * the table marks with REENTRY.
 */
#include <ctype.h>
#include <string.h>

#include "seat.h"
#include "xmalloc.h"

static const char *state_names[SEAT_NSTATES] = {
	[SEAT_AVAILABLE] = "available",
	[SEAT_HELD] = "held",
	[SEAT_SOLD] = "sold",
	[SEAT_ADMITTED] = "admitted",
	[SEAT_EXITED] = "exited",
	[SEAT_VOID] = "void",
};

#define OK        NULL
/* An object, not a literal, so that seat_transition() can recognise it by address. */
static const char REENTRY[] = "re-entry is not allowed at this event";
#define NOT_SOLD  "the seat is not sold"
#define USED      "the ticket has already been used"
#define REFUNDED  "the ticket was refunded"

static const char *transitions[SEAT_NSTATES][SEAT_NSTATES] = {
	[SEAT_AVAILABLE] = {
		[SEAT_AVAILABLE] = "the seat is already available",
		[SEAT_HELD] = OK,
		[SEAT_SOLD] = OK,
		[SEAT_ADMITTED] = NOT_SOLD,
		[SEAT_EXITED] = NOT_SOLD,
		[SEAT_VOID] = NOT_SOLD,
	},
	[SEAT_HELD] = {
		[SEAT_AVAILABLE] = OK,
		[SEAT_HELD] = "the seat is already held",
		[SEAT_SOLD] = OK,
		[SEAT_ADMITTED] = NOT_SOLD,
		[SEAT_EXITED] = NOT_SOLD,
		[SEAT_VOID] = NOT_SOLD,
	},
	[SEAT_SOLD] = {
		[SEAT_AVAILABLE] = "a sold seat must be refunded before it returns to sale",
		[SEAT_HELD] = "the seat is already sold",
		[SEAT_SOLD] = "the seat is already sold",
		[SEAT_ADMITTED] = OK,
		[SEAT_EXITED] = "the ticket holder has not entered",
		[SEAT_VOID] = OK,
	},
	[SEAT_ADMITTED] = {
		[SEAT_AVAILABLE] = USED,
		[SEAT_HELD] = USED,
		[SEAT_SOLD] = USED,
		[SEAT_ADMITTED] = USED,
		[SEAT_EXITED] = OK,
		[SEAT_VOID] = "a ticket that has been used cannot be refunded",
	},
	[SEAT_EXITED] = {
		[SEAT_AVAILABLE] = USED,
		[SEAT_HELD] = USED,
		[SEAT_SOLD] = USED,
		[SEAT_ADMITTED] = REENTRY,
		[SEAT_EXITED] = "the ticket holder has already left",
		[SEAT_VOID] = "a ticket that has been used cannot be refunded",
	},
	[SEAT_VOID] = {
		[SEAT_AVAILABLE] = OK,
		[SEAT_HELD] = OK,
		[SEAT_SOLD] = OK,
		[SEAT_ADMITTED] = REFUNDED,
		[SEAT_EXITED] = REFUNDED,
		[SEAT_VOID] = "the ticket was already refunded",
	},
};

static int
valid_state(int s)
{
	return s >= 0 && s < SEAT_NSTATES;
}

const char *
seat_state_name(enum seat_state s)
{
	if (!valid_state((int)s))
		return "unknown";
	return state_names[s];
}

int
seat_state_parse(const char *name)
{
	int	s;

	if (name == NULL)
		return -1;
	for (s = 0; s < SEAT_NSTATES; s++) {
		if (strcmp(name, state_names[s]) == 0)
			return s;
	}
	return -1;
}

int
seat_transition(enum seat_state from, enum seat_state to, int reentry, const char **why)
{
	const char	*reason;

	if (!valid_state((int)from) || !valid_state((int)to)) {
		if (why != NULL)
			*why = "unknown seat state";
		return -1;
	}
	reason = transitions[from][to];
	if (reason == REENTRY && reentry)
		reason = OK;
	if (reason == OK)
		return 0;
	if (why != NULL)
		*why = reason;
	return -1;
}

/* Check one part of a label: non-empty, short enough, letters, digits and '_' only. */
static int
check_part(const char *label, const char *what, const char *p, size_t len, size_t size,
    char **cause)
{
	size_t		i;
	unsigned char	c;

	if (len == 0)
		return set_cause(cause, "seat label: the %s is empty (expected SECTION-ROW-SEAT)",
		    what);
	if (len >= size)
		return set_cause(cause, "seat label: the %s is too long (at most %zu characters)",
		    what, size > 0 ? size - 1 : 0);
	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f)
			return set_cause(cause, "seat label: control character 0x%02x in the %s",
			    c, what);
		if (c >= 0x80 || !(isalnum(c) || c == '_'))
			return set_cause(cause, "seat label %s: '%c' is not allowed in the %s "
			    "(letters, digits and '_')", label, c < 0x80 ? c : '?', what);
	}
	return 0;
}

int
seat_label_parse(const char *label, char *section, size_t sectionsz, char *row, size_t rowsz,
    char *seat, size_t seatsz, char **cause)
{
	const char	*d1, *d2, *p;
	size_t		 len, nsection, nrow, nseat;

	if (label == NULL || *label == '\0')
		return set_cause(cause, "seat label: empty (expected SECTION-ROW-SEAT)");
	len = strlen(label);
	for (p = label; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return set_cause(cause, "seat label: control character 0x%02x at byte %zu",
			    (unsigned char)*p, (size_t)(p - label));
	}

	d2 = strrchr(label, '-');
	if (d2 == NULL)
		return set_cause(cause, "seat label %s: expected SECTION-ROW-SEAT", label);
	for (d1 = d2; d1 > label && d1[-1] != '-'; d1--)
		/* nothing */;
	if (d1 == label)
		return set_cause(cause, "seat label %s: expected SECTION-ROW-SEAT", label);
	d1--;

	nsection = (size_t)(d1 - label);
	nrow = (size_t)(d2 - d1 - 1);
	nseat = len - (size_t)(d2 - label) - 1;
	if (check_part(label, "section", label, nsection, sectionsz, cause) != 0 ||
	    check_part(label, "row", d1 + 1, nrow, rowsz, cause) != 0 ||
	    check_part(label, "seat", d2 + 1, nseat, seatsz, cause) != 0)
		return -1;

	memcpy(section, label, nsection);
	section[nsection] = '\0';
	memcpy(row, d1 + 1, nrow);
	row[nrow] = '\0';
	memcpy(seat, d2 + 1, nseat);
	seat[nseat] = '\0';
	return 0;
}

char *
seat_label(const char *section, const char *row, const char *seat)
{
	return xasprintf("%s-%s-%s", section, row, seat);
}
