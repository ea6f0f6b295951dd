/* scan-state.h: the gate screen's state and its input events, with no curses (scan-ui.c draws). */
#ifndef TESSERA_SCAN_STATE_H
#define TESSERA_SCAN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "gate.h"

#define SCAN_LINE_MAX       512     /* bytes of one scanned line kept; the rest is counted */
#define SCAN_QUEUE_MAX      1024    /* lines waiting for their verdict */
#define SCAN_ROWS_MAX       64      /* last scans kept for the list */
#define SCAN_VERDICT_MS     4000    /* the verdict panel stays this long without a new scan */
#define SCAN_GAP_MS         3000    /* a partial line idle this long is dropped */
#define SCAN_IDLE_SUBMIT_MS 1000    /* a whole ticket idle this long counts as ended (no Enter) */
#define SCAN_NOTICE_MS      5000

/* Keys other than characters (the UI maps curses' codes to these). */
#define SCAN_KEY_ENTER      0x1000
#define SCAN_KEY_BACKSPACE  0x1001
#define SCAN_KEY_ESC        0x1002
#define SCAN_KEY_OTHER      0x1003  /* a function or arrow key: ignored */

/* What scan_state_handle() asks for: parts of the screen to redraw, and things to do. */
#define SCAN_REDRAW_STATUS  0x0001
#define SCAN_REDRAW_VERDICT 0x0002
#define SCAN_REDRAW_LIST    0x0004
#define SCAN_REDRAW_FOOTER  0x0008
#define SCAN_REDRAW_ALL     0x000f
#define SCAN_WANT_CHECK     0x0010  /* lines are queued: scan_state_pop() them */
#define SCAN_WANT_SYNC      0x0020  /* sync now (syncer_kick) */
#define SCAN_WANT_QUIT      0x0040
#define SCAN_WANT_BELL      0x0080
#define SCAN_WANT_ACK       0x0100  /* the steward acknowledged the alerts */

enum scan_screen {
	SCAN_MAIN,
	SCAN_MANUAL,        /* typing a seat label or a ticket's text */
	SCAN_HELP,
	SCAN_QUIT,          /* "quit? y/n" */
};

enum scan_ev_kind {
	SCAN_EV_KEY,        /* key, more */
	SCAN_EV_VERDICT,    /* verdict */
	SCAN_EV_TICK,       /* the clock moved */
	SCAN_EV_RESIZE,     /* width, height */
	SCAN_EV_SYNC,       /* sync: the syncer's status */
	SCAN_EV_COUNTS,     /* counts */
	SCAN_EV_ALERT,      /* text: a duplicate (or other conflict) found by sync */
	SCAN_EV_ERROR,      /* text: a scan could not be recorded */
};

struct scan_event {
	enum scan_ev_kind          kind;
	int64_t                    now_ms;      /* unix time in milliseconds, for every event */
	int                        key;         /* a byte (0-255) or SCAN_KEY_* */
	int                        more;        /* more input came with this key (a burst) */
	const struct gate_verdict *verdict;
	int                        width, height;
	const struct sync_status  *sync;
	const struct gate_counts  *counts;
	const char                *text;
};

/* A line waiting for its verdict. */
struct scan_request {
	char           text[SCAN_LINE_MAX];
	int            manual;      /* typed by staff in manual entry */
	enum gate_mode mode;
};

/* A row of the last scans list. */
struct scan_row {
	int64_t          at;
	int              kind;          /* 0 verdict, 1 alert, 2 error */
	int              admit;
	enum gate_mode   mode;
	enum gate_reason reason;
	char             label[GATE_LABEL_MAX];
	char             text[GATE_TEXT_MAX];
};

struct scan_state {
	char                gate[64];       /* this gate's name */
	char                event[128];     /* the event it admits to */
	int                 bell;           /* ring on a refusal */
	int64_t             now_ms;
	int                 width, height;
	enum scan_screen    screen;
	enum gate_mode      mode;

	int                 have_sync;
	struct sync_status  sync;
	struct gate_counts  counts;

	/* The line a scanner is typing, until Enter. */
	char                line[SCAN_LINE_MAX];
	size_t              len;
	size_t              overflow;       /* bytes past SCAN_LINE_MAX - 1, dropped */
	int64_t             line_ms;        /* when its last byte came */

	/* Manual entry. */
	char                manual[SCAN_LINE_MAX];
	size_t              mlen;

	/* Lines waiting for a verdict, oldest first (a ring). */
	struct scan_request *queue;
	size_t              qhead, qcount;
	uint64_t            queued;         /* lines queued since the start */
	uint64_t            lost;           /* lines refused because the queue was full */

	/* The verdict panel. */
	int                 has_verdict;
	struct gate_verdict verdict;
	int64_t             verdict_ms;
	uint64_t            verdicts;       /* verdicts shown since the start */

	/* Last scans, newest first. */
	struct scan_row     rows[SCAN_ROWS_MAX];
	size_t              nrows;

	char                alert[GATE_TEXT_MAX];   /* unacknowledged alert, "" for none */
	int                 alerts;                 /* how many */
	char                notice[160];            /* a passing message */
	int64_t             notice_ms;
};

/* A new state for gate and event names (copied); free with scan_state_free. */
struct scan_state *scan_state_new(const char *gate, const char *event, int bell);
void scan_state_free(struct scan_state *s);         /* NULL is fine */

/* Turn one input event into new state; returns SCAN_REDRAW_* | SCAN_WANT_* flags. */
int scan_state_handle(struct scan_state *s, const struct scan_event *ev);

/* The oldest queued line into *r: 1, or 0 when none is waiting. */
int scan_state_pop(struct scan_state *s, struct scan_request *r);

/*
 * Formatting into plain buffers (the UI draws them as they are; the tests read them). Each
 * writes at most width columns (and len - 1 bytes) and NUL-terminates.
 *
 * Status bar, line 0: gate, event and clock; line 1: ONLINE, or OFFLINE since hh:mm with the
 * operations waiting to upload, and the counters.
 */
void scan_format_status(const struct scan_state *s, int line, char *buf, size_t len, int width);
/* One row of the last scans list: time, ADMIT/DENY/OUT/ALERT/ERROR, seat, reason, sentence. */
void scan_format_row(const struct scan_row *r, char *buf, size_t len, int width);
/*
 * The verdict in words, under the big letters: line 0 the word with the seat and tier
 * ("ADMIT  Section A, row 1, seat 1  Stalls"), line 1 the sentence.
 */
void scan_format_verdict(const struct scan_state *s, int line, char *buf, size_t len, int width);
/* The big word of the verdict panel: "ADMIT", "DENIED", "EXIT" ("" when none is shown). */
const char *scan_verdict_word(const struct scan_state *s);
/* The bottom line: the keys, the manual entry prompt, or the quit question. */
void scan_format_footer(const struct scan_state *s, char *buf, size_t len, int width);
/* The help text, one line at a time: NULL after the last. */
const char *scan_help_line(int i);

#endif
