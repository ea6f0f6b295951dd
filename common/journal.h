/* journal.h: the box office's append-only, hash-chained sales journal, and its cash-drawer shifts. */
#ifndef TESSERA_JOURNAL_H
#define TESSERA_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "compat.h"

/*
 * Every sale, refund, reprint, and the opening and closing of each shift is one journal entry:
 * (seq, at, shift, kind, body). Entry n's hash is
 *
 *     hash(n) = BLAKE2b-256(hash(n-1) || entry bytes(n)),     hash(0) = 32 zero bytes
 *
 * (libsodium crypto_generichash, no key), where the entry bytes are the text
 * "tessera/journal/v1\n<seq>\n<at>\n<shift>\n<kind>\n<body>" (decimal numbers). So the head, the
 * last entry's hash, commits to every entry before it: changing, removing, reordering or
 * inserting any entry changes every hash after it. Each shift's close records the head, and the
 * shift report prints it: a head that was written down or printed cannot be matched by a
 * journal that was altered since.
 *
 * The tables are in the replica (migration 2 of replica.c): journal(seq, at, shift_id, kind,
 * body, hash) and shifts(id, device_id, opened_at, float, closed_at, counted, head_seq,
 * head_hash). Triggers refuse UPDATE and DELETE on the journal; the chain catches what goes
 * round them.
 */
#define JOURNAL_HASHBYTES   32
#define JOURNAL_HEX_LEN     (2 * JOURNAL_HASHBYTES + 1)

/* The hash of one entry, given the previous entry's hash (zeros for the first). */
void journal_hash(const uint8_t prev[JOURNAL_HASHBYTES], int64_t seq, int64_t at, int64_t shift,
    const char *kind, const char *body, uint8_t out[JOURNAL_HASHBYTES]);

/*
 * Append an entry to the journal of db (a replica), inside the caller's transaction (db_begin)
 * so that the entry commits with the change it records. kind is one of "shift-open", "sale",
 * "refund", "reprint", "shift-close", "release" (an unprinted online sale voided by a sync,
 * device.c); body is its description (the callers write compact JSON).
 * 0 with *seq (may be NULL) set, or -1 with *cause.
 */
int journal_append(sqlite3 *db, int64_t at, int64_t shift, const char *kind, const char *body,
    int64_t *seq, char **cause) WARN_UNUSED;

/*
 * The chain head: 0 with *seq the last entry's number (0 for an empty journal) and head its
 * hash (zeros for an empty journal), or -1 with *cause.
 */
int journal_head(sqlite3 *db, int64_t *seq, uint8_t head[JOURNAL_HASHBYTES], char **cause)
    WARN_UNUSED;

/*
 * Check the whole chain: every stored hash is recomputed from the entry and the one before it,
 * sequence numbers have no gaps from 1, and every closed shift's recorded head matches the entry
 * it names (so cutting the journal short after a shift closed shows too). 0 when all is intact
 * (*entries, when not NULL, is how many were checked). 1 when the journal was tampered with:
 * *bad_seq (when not NULL) is the first entry that does not check and *cause says what is
 * wrong. -1 with *cause when the database could not be read.
 */
int journal_verify(sqlite3 *db, int64_t *entries, int64_t *bad_seq, char **cause) WARN_UNUSED;

/* Lower-case hex of a hash into buf (JOURNAL_HEX_LEN bytes). */
void journal_hex(const uint8_t h[JOURNAL_HASHBYTES], char buf[JOURNAL_HEX_LEN]);

/* ------------------------------------------------------------------ shifts */

/*
 * A cash-drawer shift of one box office. At most one shift is open at a time; sales and refunds
 * are journalled under it.
 */
struct shift {
	int64_t  id;
	uint32_t device_id;
	int64_t  opened_at;
	int64_t  float_amount;          /* cash in the drawer at the start, minor units */
	int64_t  closed_at;             /* 0 while open */
	int64_t  counted;               /* cash counted at the close; -1 while open */
	int64_t  head_seq;              /* the journal head at the close; 0 while open */
	uint8_t  head[JOURNAL_HASHBYTES];
};

/*
 * The open shift of device: 0 with *s, 1 when none is open, -1 with *cause.
 */
int journal_shift_current(sqlite3 *db, uint32_t device, struct shift *s, char **cause)
    WARN_UNUSED;
/* The shift with this id (open or closed): 0, 1 when there is none, -1 with *cause. */
int journal_shift_get(sqlite3 *db, int64_t id, struct shift *s, char **cause) WARN_UNUSED;
/* The last shift of device, open or closed: 0, 1 when there is none, -1 with *cause. */
int journal_shift_last(sqlite3 *db, uint32_t device, struct shift *s, char **cause)
    WARN_UNUSED;

/*
 * Open a shift with a cash float, and journal it; inside the caller's transaction. Refused (-1,
 * *cause "a shift is already open (since ...)") while another is open. 0 with *s.
 */
int journal_shift_open(sqlite3 *db, uint32_t device, int64_t at, int64_t float_amount,
    struct shift *s, char **cause) WARN_UNUSED;
/*
 * The open shift, opening one with a float of 0 when none is open (a sale made before anyone
 * opened a shift still belongs to one). Inside the caller's transaction. 0 with *s, or -1.
 */
int journal_shift_ensure(sqlite3 *db, uint32_t device, int64_t at, struct shift *s,
    char **cause) WARN_UNUSED;
/*
 * Close the open shift with the cash counted in the drawer: journals the close (with the
 * expected cash and the difference) and records the journal head in the shift. Inside the
 * caller's transaction. 0 with *s as closed, or -1 (no shift open, database error).
 */
int journal_shift_close(sqlite3 *db, uint32_t device, int64_t at, int64_t counted,
    struct shift *s, char **cause) WARN_UNUSED;

/* The money of one payment method in a shift. */
struct shift_money {
	int     tickets;                /* tickets sold */
	int     refunds;                /* tickets refunded */
	int64_t sales;                  /* minor units taken */
	int64_t refunded;               /* minor units given back */
};
enum { SHIFT_CASH, SHIFT_CARD, SHIFT_COMP, SHIFT_NPAY };

/*
 * What a shift did, computed from its journal entries (not from the orders table: the journal
 * is the record the chain protects).
 */
struct shift_report {
	struct shift       shift;
	int                orders;
	int                tickets;             /* sold, all methods */
	int                refunds;             /* refunded, all methods */
	int                reprints;
	struct shift_money pay[SHIFT_NPAY];
	int64_t            net;                 /* sales minus refunds, all methods */
	int64_t            expected_cash;       /* float + cash sales - cash refunds */
	int64_t            entries;             /* journal entries in the shift */
	int64_t            head_seq;            /* the chain head: at the close, or now if open */
	uint8_t            head[JOURNAL_HASHBYTES];
	int                intact;              /* journal_verify found nothing wrong */
	char               problem[160];        /* else what it found */
	char               currency[4];         /* of the sales ("" when none or mixed) */
};

/*
 * The report of shift id. Sale entries carry {"order", "event", "currency", "pay", "total",
 * "tickets": [{"seat", "label", "serial", "price"}]}; refund entries {"order", "pay",
 * "tickets": [...], "amount"}. 0 with *r, 1 when there is no such shift, -1 with *cause.
 */
int journal_shift_report(sqlite3 *db, int64_t id, struct shift_report *r, char **cause)
    WARN_UNUSED;

/*
 * The report as lines of text for a screen or a terminal, each at most 60 columns; newly
 * allocated, '\n'-separated, for the caller to free. Pure.
 */
char *journal_report_text(const struct shift_report *r);
/* The same as CSV: a header line "item,method,count,amount" and one line per figure. */
char *journal_report_csv(const struct shift_report *r);

/* The name of a payment method index ("cash", "card", "comp"); -1 for an unknown name. */
const char *journal_pay_name(int i);
int journal_pay_parse(const char *name);

#endif
