/* seat.h: the seat state machine of an event (which change may follow which) and seat labels. */
#ifndef TESSERA_SEAT_H
#define TESSERA_SEAT_H

#include <stddef.h>

#include "compat.h"

/*
 * available -> held -> sold -> admitted (<-> exited where re-entry is allowed);
 * sold -> void (refund); a void seat is sold again with a new ticket generation.
 * The names ("available", ...) are the ones stored in the replica's seat_state table.
 */
enum seat_state {
	SEAT_AVAILABLE,
	SEAT_HELD,
	SEAT_SOLD,
	SEAT_ADMITTED,
	SEAT_EXITED,
	SEAT_VOID,
};
#define SEAT_NSTATES 6

/* The state's name, a static string; "unknown" for a value outside the enum. */
const char *seat_state_name(enum seat_state s);
/* The state named name (exact, lower case), or -1 when name is NULL or not a state. */
int seat_state_parse(const char *name);

/*
 * May a seat go from one state to another? reentry says whether the event allows re-entry
 * (exited -> admitted). Returns 0 when allowed. Otherwise returns -1 and sets *why (when why is
 * not NULL) to a static sentence for staff, such as "the ticket has already been used"; the
 * caller must not free it. States outside the enum are refused.
 */
int seat_transition(enum seat_state from, enum seat_state to, int reentry,
    const char **why) WARN_UNUSED;

/*
 * Split a label "SECTION-ROW-SEAT" at its last two '-' into the caller's buffers (each part
 * NUL-terminated, at most size - 1 bytes). Each part is non-empty and holds only ASCII
 * letters, digits and '_' (so a section never holds '-', as in venue.h). On success returns 0
 * and fills all three buffers; on failure returns -1, sets *cause to a newly allocated message
 * (an empty part, a part too long, a control character or another character not allowed) and
 * leaves the buffers alone.
 */
int seat_label_parse(const char *label, char *section, size_t sectionsz, char *row,
    size_t rowsz, char *seat, size_t seatsz, char **cause) WARN_UNUSED;

/* "SECTION-ROW-SEAT", newly allocated for the caller to free; the parts are not checked. */
char *seat_label(const char *section, const char *row, const char *seat);

#endif
