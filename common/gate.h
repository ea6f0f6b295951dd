/* gate.h: the gate's decision on a scanned ticket (pure), and recording it in a gate's replica. */
#ifndef TESSERA_GATE_H
#define TESSERA_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "keys.h"
#include "merge.h"
#include "ticket.h"

struct device;
struct replica;

/* Scanning people in, or out (exit mode). */
enum gate_mode {
	GATE_ENTRY,
	GATE_EXIT,
};
const char *gate_mode_name(enum gate_mode m);          /* "entry", "exit" */

/*
 * Why a gate admits or refuses, in the order it checks (the first that applies is the one
 * given). Each has a stable short code (gate_reason_code) for logs, --json and the tests, and
 * the verdict carries a sentence for the steward. docs/tessera-scanner.md has the table.
 */
enum gate_reason {
	GATE_ADMITTED,          /* "admitted": let them in */
	GATE_EXITED,            /* "exited": exit mode, scanned out */
	GATE_NOT_TICKET,        /* "not-a-ticket": some other code, or typed nonsense */
	GATE_UNREADABLE,        /* "unreadable": misread, cut short, extra characters, unknown format */
	GATE_UNKNOWN_KEY,       /* "unknown-key": no certificate for the issuing box office */
	GATE_BAD_SIGNATURE,     /* "bad-signature": altered or forged */
	GATE_REVOKED,           /* "revoked": the issuing box office is revoked */
	GATE_WRONG_ROLE,        /* "wrong-role": signed by a device that may not sell */
	GATE_OUTSIDE_VALIDITY,  /* "outside-validity": issued outside its certificate's validity */
	GATE_WRONG_EVENT,       /* "wrong-event": another event, or one this gate does not know */
	GATE_UNKNOWN_SEAT,      /* "unknown-seat": the seat is not in this venue's map */
	GATE_NOT_SOLD,          /* "not-sold": manual entry of a seat nobody bought */
	GATE_VOID,              /* "void": refunded, replaced by a newer ticket, or sold to another */
	GATE_WRONG_GATE,        /* "wrong-gate": the seat's section does not enter here */
	GATE_TOO_EARLY,         /* "too-early": before the doors open */
	GATE_TOO_LATE,          /* "too-late": the admission window has closed */
	GATE_ALREADY_ADMITTED,  /* "already-admitted": used (and no re-entry after an exit) */
	GATE_NOT_INSIDE,        /* "not-inside": exit mode, but the ticket is not in */
};
#define GATE_NREASONS 18
const char *gate_reason_code(enum gate_reason r);      /* static; "unknown" outside the enum */
/* The reason with that code, or -1. */
int gate_reason_parse(const char *code);

/* How the decision was made: not recorded, through the server's compare-and-swap, or alone. */
enum gate_route {
	GATE_ROUTE_NONE,
	GATE_ROUTE_ONLINE,
	GATE_ROUTE_OFFLINE,
};
const char *gate_route_name(enum gate_route r);        /* "", "online", "offline" */

/*
 * The admission window around an event: from doors_at - early until starts_at + late.
 * Defaults (gate_window_default): early 0, late 6 hours.
 */
struct gate_window {
	int64_t early;
	int64_t late;
};
#define GATE_LATE_DEFAULT (6 * 3600)
void gate_window_default(struct gate_window *w);

/* The event a ticket names, as the replica has it. */
struct gate_event {
	uint32_t    id;
	const char *name;
	int64_t     starts_at;
	int64_t     doors_at;
	int         reentry;
};

/* The seat a ticket names, as the replica's seat map has it. */
struct gate_seat {
	uint32_t    id;
	const char *section;
	const char *row;
	uint32_t    number;
	int         ga;
};

/*
 * Everything gate_decide looks at, as plain data. Pointers are borrowed; NULL where the
 * replica has nothing (no such event, seat, tier).
 */
struct gate_input {
	enum ticket_error        verify;        /* ticket_verify's result */
	const struct ticket     *ticket;        /* the verified ticket (when verify is TICKET_OK) */
	int                      manual;        /* a seat label typed by staff: no signature */
	uint32_t                 gate_id;       /* this gate's device id */
	uint32_t                 gate_event;    /* the event this gate admits to; 0: any */
	const struct gate_event *gate_event_row; /* its row, to name it; may be NULL */
	const struct gate_event *event;         /* the ticket's event */
	const struct gate_seat  *seat;          /* the ticket's seat in the event's venue */
	const char              *tier;          /* the name of the ticket's tier */
	const struct seat_rec   *rec;           /* the seat's record in the replica */
	const char              *sections;      /* the gate's sections, "A,B"; "" or NULL: all */
	const char              *right_gates;   /* names of gates that do admit the section */
	const char              *admitted_by;   /* the name of the gate of rec->admitted_by */
	enum gate_mode           mode;
	struct gate_window       window;
	int64_t                  now;
};

#define GATE_TEXT_MAX   200
#define GATE_LABEL_MAX  48
#define GATE_PART_MAX   17

/* The decision, and what the screen and the log show of it. */
struct gate_verdict {
	int              admit;         /* 1: let them in (or out, in exit mode); 0: refuse */
	enum gate_reason reason;
	enum gate_mode   mode;
	enum gate_route  route;
	int64_t          at;            /* when decided */
	uint32_t         event_id;      /* 0 when the text did not parse */
	uint32_t         seat_id;
	uint32_t         by;            /* already-admitted: the gate's device id */
	int64_t          by_at;         /* and when */
	char             label[GATE_LABEL_MAX];         /* "A-1-1"; "" when unknown */
	char             section[GATE_PART_MAX];
	char             row[GATE_PART_MAX];
	char             seat[12];
	int              ga;
	char             tier[64];
	char             text[GATE_TEXT_MAX];           /* the sentence for the steward */
};

/*
 * Decide, in the order of enum gate_reason: readable, signed, signer in good standing, event,
 * seat, void, gate sections, admission window, already inside, admit. A signed ticket for a
 * seat the replica has not seen sold at its generation is admitted: the signature proves the
 * sale. In exit mode the sections and the window do not apply, and the ticket must be inside.
 * Fills every field of *out (route NONE); never fails.
 */
void gate_decide(const struct gate_input *in, struct gate_verdict *out);

/* The seat as people read it into buf: "Section A, row 1, seat 1" or "Section FLOOR (standing)". */
void gate_seat_words(const struct gate_verdict *v, char *buf, size_t len);

/*
 * The keyring a gate checks tickets against, from its replica: the root key of the meta table
 * (root_pk, hex), every certificate of the certificates table that the root signed (others are
 * skipped), and the revocations of the devices table. 0 with *out (keyring_free), or -1 with
 * *cause (no root key, a database error).
 */
int gate_keyring(struct replica *r, struct keyring **out, char **cause) WARN_UNUSED;

/* What gate_check does besides the defaults. */
struct gate_config {
	struct gate_window window;
	uint32_t           event;       /* the event this gate admits to; 0: any it knows */
};
void gate_config_default(struct gate_config *c);

/*
 * Check a scanned text at gate d and record the scan: verify the ticket against the replica's
 * keyring, look its event, seat and tier up in the replica, and decide (gate_decide). When the
 * replica says admit (or exit) and offline is 0, ask the server first (POST /v1/admit, the
 * compare-and-swap, within the device's online timeout): its answer decides (route online) and
 * its seat record is merged; when it does not answer, the replica's decision stands (route
 * offline) and the change goes to the outbox for the next push. Every scan, admitted or not, is
 * written to scan_log in the same transaction as the change (with the admissions row of an
 * entry). text is the raw scan (a ticket's QR text; with manual, a seat label typed by staff).
 * 0 with *v filled; -1 with *cause on a database error (nothing recorded; *v untouched).
 */
int gate_check(struct device *d, const char *text, enum gate_mode mode, int offline,
    struct gate_verdict *v, char **cause) WARN_UNUSED;
int gate_check_config(struct device *d, const struct gate_config *cfg, const char *text,
    int manual, enum gate_mode mode, int offline, struct gate_verdict *v, char **cause)
    WARN_UNUSED;

/*
 * The event a gate admits to when none is configured: the one whose admission window holds now
 * (the earliest doors when several do), else the next to open, else the latest. 0 when the
 * replica has no event; *name (may be NULL) is then left alone, else set newly allocated.
 */
uint32_t gate_current_event(struct replica *r, const struct gate_window *w, int64_t now,
    char **name);

/*
 * Counters for a gate's status bar, for one event; gate is this gate's device id. 0 with *c
 * filled, or -1 with *cause (a database error) and *c untouched.
 */
struct gate_counts {
	int here;           /* entries through this gate (admissions; re-entries count again) */
	int all;            /* seats admitted or exited, at any gate */
	int inside;         /* seats admitted now */
	int sold;           /* seats sold, admitted or exited */
	int capacity;       /* seats in the event's venue */
	int scans;          /* scans in this gate's log, all events */
};
int gate_counts(struct replica *r, uint32_t event, uint32_t gate, struct gate_counts *c,
    char **cause) WARN_UNUSED;

#endif
