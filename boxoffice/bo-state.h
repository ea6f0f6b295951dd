/*
 * bo-state.h: the box-office screen as plain data: what is shown, where the cursor is, what the
 * cashier asked for. No curses, no database, no network: a key goes in, the state changes, and
 * flags come out (redraw; an action for bo-app.c to carry out; quit). bo-ui.c draws from a const
 * state with the bo_format_* functions, which are unit-tested (tests/test_bostate.c).
 */
#ifndef TESSERA_BO_STATE_H
#define TESSERA_BO_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "cart.h"
#include "compat.h"
#include "sale.h"

/* Keys: printable ASCII as itself, the others as these. */
enum bo_key {
	BO_KEY_ENTER = '\n',
	BO_KEY_ESC = 27,
	BO_KEY_TAB = '\t',
	BO_KEY_BACKSPACE = 127,
	BO_KEY_UP = 0x100,
	BO_KEY_DOWN,
	BO_KEY_LEFT,
	BO_KEY_RIGHT,
	BO_KEY_BTAB,
	BO_KEY_PGUP,
	BO_KEY_PGDN,
	BO_KEY_HOME,
	BO_KEY_END,
	BO_KEY_DELETE,
	BO_KEY_F1,
};

/* What bo_state_key and the result functions return. */
#define BO_REDRAW   0x1
#define BO_ACTION   0x2         /* s->action holds something for bo-app.c to do */
#define BO_QUIT     0x4

enum bo_view {
	BO_VIEW_EVENTS,
	BO_VIEW_MAP,
	BO_VIEW_CHECKOUT,
	BO_VIEW_TICKETS,
	BO_VIEW_ORDERS,
	BO_VIEW_SHIFT,
	BO_VIEW_HELP,
};

/* ------------------------------------------------------------------ the seat map */

struct bo_seat {
	uint32_t id;
	char     label[48];
	uint32_t number;
	int      state;                 /* enum seat_state, as the replica has it */
	int      leased;                /* leased to this box office */
	int      held;                  /* someone else holds or leases it (from a refusal) */
	int      tier;                  /* the tier index, -1 when not for sale */
};

/* A row: its seats by increasing number. */
struct bo_row {
	char            name[17];
	struct bo_seat *seats;
	size_t          n;
};

struct bo_section {
	char           name[17];
	int            ga;
	struct bo_row *rows;            /* a GA area is one row, "GA" */
	size_t         nrows;
	uint32_t       lo, hi;          /* lowest and highest seat number: the grid's columns */
};

struct bo_tier {
	int     idx;
	char    name[41];
	int64_t price;
};

struct bo_map {
	uint32_t           event_id;
	char               event[201];
	char               venue[201];
	int64_t            starts_at;
	char               currency[4];
	struct bo_section *sections;
	size_t             nsections;
	struct bo_tier    *tiers;
	size_t             ntiers;
};

/* Build a map: new, then tiers and seats in any order, then finish (sorts rows and seats). */
struct bo_map *bo_map_new(uint32_t event, const char *name, const char *venue,
    int64_t starts_at, const char *currency);
void bo_map_add_tier(struct bo_map *m, int idx, const char *name, int64_t price);
void bo_map_add_seat(struct bo_map *m, const char *section, const char *row, uint32_t number,
    int ga, uint32_t id, int state, int leased, int tier);
void bo_map_finish(struct bo_map *m);
void bo_map_free(struct bo_map *m);                   /* NULL is fine */
/* The seat with this id, or NULL (and its section in *sec when found and sec is not NULL). */
struct bo_seat *bo_map_seat(const struct bo_map *m, uint32_t id, size_t *sec);
const struct bo_tier *bo_map_tier(const struct bo_map *m, int idx);

/* How a seat shows, and its glyph ('o', '@', 'L', 'h', 'x', '-'). */
enum bo_glyph {
	BO_G_FREE,
	BO_G_MINE,                      /* in this cashier's cart */
	BO_G_LEASED,                    /* free, and leased to this box office */
	BO_G_HELD,                      /* held or leased elsewhere */
	BO_G_SOLD,
	BO_G_NOSALE,                    /* no tier covers its section */
	BO_G_GAP,                       /* no seat with this number in the row */
	BO_G_NGLYPHS,
};
char bo_glyph_char(enum bo_glyph g);
const char *bo_glyph_name(enum bo_glyph g);   /* "free", "yours", ... for the legend */

/* ------------------------------------------------------------------ events */

struct bo_event_row {
	uint32_t id;
	char     name[201];
	char     venue[201];
	int64_t  starts_at;
	int      sold;
	int      free;
	int      leased;                /* leased here and unsold */
};

/* ------------------------------------------------------------------ actions */

enum bo_act {
	BO_ACT_NONE,
	BO_ACT_OPEN_EVENT,      /* load the map of event */
	BO_ACT_HOLD,            /* hold seats[] (online) and put them in the cart */
	BO_ACT_RELEASE,         /* release seats[] (nseats 0: all of the event's) */
	BO_ACT_SELL,            /* sell the cart: pay, tendered, text (reference or reason) */
	BO_ACT_FIND_ORDER,      /* text: an order number or a seat label */
	BO_ACT_REPRINT,         /* order */
	BO_ACT_REFUND,          /* order, seat (0: every ticket) */
	BO_ACT_SHIFT_REPORT,    /* fetch the shift report for the shift view */
	BO_ACT_SHIFT_OPEN,      /* amount: the float */
	BO_ACT_SHIFT_CLOSE,     /* amount: the counted cash */
	BO_ACT_SYNC,            /* sync now */
	BO_ACT_QUIT,            /* release the cart's holds, then quit */
};

#define BO_MAX_PICK  64

struct bo_action {
	enum bo_act kind;
	uint32_t    event;
	uint32_t    seats[BO_MAX_PICK];
	size_t      nseats;
	char        pay[8];
	int64_t     tendered;           /* cash; -1 for the exact amount */
	char        text[81];
	uint32_t    order;
	uint32_t    seat;
	int64_t     amount;
};

/* ------------------------------------------------------------------ input fields */

enum bo_input_purpose {
	BO_IN_NONE,
	BO_IN_BEST,             /* how many adjacent seats */
	BO_IN_GA,               /* how many GA places */
	BO_IN_TENDERED,
	BO_IN_CARD,
	BO_IN_COMP,
	BO_IN_ORDER,            /* an order number or a seat */
	BO_IN_FLOAT,
	BO_IN_COUNTED,
	BO_IN_CONFIRM,          /* y or n */
	BO_IN_SECTION,          /* go to a section by name */
};

struct bo_input {
	enum bo_input_purpose purpose;
	char                  prompt[80];
	char                  buf[81];
	size_t                len;
};

/* ------------------------------------------------------------------ the state */

/* Where things go on a w x h screen. */
struct bo_layout {
	int map_x, map_y, map_w, map_h;         /* the seat map (or the list) */
	int cart_x, cart_w;                     /* the cart panel, right of the map; 0 wide if none */
	int hint_y;                             /* the key hints or the message */
	int status_y;                           /* the status bar */
};
void bo_layout(int w, int h, struct bo_layout *l);

struct bo_state {
	enum bo_view        view;
	enum bo_view        back;           /* where Esc goes from orders, shift, help */
	int                 w, h;

	/* The status bar. */
	char                name[64];
	int                 online;
	int                 waiting;
	int                 leased_left;
	int64_t             shift;          /* the open shift, 0 when none */
	char                message[200];
	int                 error;          /* the message is a refusal */

	struct bo_event_row *events;
	size_t              nevents;
	size_t              ev_cursor;

	struct bo_map      *map;
	size_t              sec, row, col;  /* the cursor: section, row, seat in the row */
	int                 top, left;      /* the map's scroll: first row, first column shown */
	struct cart         cart;

	char                pay[8];         /* checkout: the method chosen, "" while choosing */

	struct sale_order  *order;          /* the tickets view: sold or reprinted */
	size_t              ticket;
	char               *qr;             /* the current ticket's QR, qr_render_text */
	enum bo_view        after_tickets;

	struct sale_order  *found;          /* the orders view */
	size_t              found_cursor;
	uint32_t            refund_seat;    /* what the confirmation is about (0: all) */

	char               *report;         /* the shift view's text */

	struct bo_input     input;
	struct bo_action    action;
};

void bo_state_init(struct bo_state *s, const char *name);
void bo_state_free(struct bo_state *s);
void bo_state_resize(struct bo_state *s, int w, int h);
/* A key: BO_REDRAW, BO_ACTION (read s->action), BO_QUIT, or 0 when it did nothing. */
int bo_state_key(struct bo_state *s, int key);

/* What bo-app.c tells the state. Each returns flags like bo_state_key. */
void bo_state_message(struct bo_state *s, int error, const char *fmt, ...) PRINTFLIKE(3, 4);
void bo_state_status(struct bo_state *s, int online, int waiting, int leased_left,
    int64_t shift);
void bo_state_set_events(struct bo_state *s, const struct bo_event_row *rows, size_t n);
/* A new map (the state owns it); the cursor and the cart stay when it is the same event. */
int bo_state_set_map(struct bo_state *s, struct bo_map *m);
int bo_state_cart_add(struct bo_state *s, uint32_t seat);
int bo_state_cart_remove(struct bo_state *s, uint32_t seat);
/* A seat refused: held or leased elsewhere (held = 1), or sold (state). */
int bo_state_mark(struct bo_state *s, uint32_t seat, int held, int sold);
/* The sale went through (the state owns o) or was refused (seat 0: not about one seat). */
int bo_state_sold(struct bo_state *s, struct sale_order *o);
int bo_state_sale_failed(struct bo_state *s, uint32_t seat, const char *reason,
    const char *why);
/* The orders view: an order found (owned), or none. */
int bo_state_found(struct bo_state *s, struct sale_order *o);
/* Show the tickets of o (owned), as after a sale; back to the orders view afterwards. */
int bo_state_show_tickets(struct bo_state *s, struct sale_order *o);
/* The shift view's report (copied; NULL: no shift open) and the open shift's id. */
int bo_state_report(struct bo_state *s, const char *text, int64_t shift);

/* Can the cashier pick this seat now (free, or leased when offline)? */
int bo_state_selectable(const struct bo_state *s, const struct bo_seat *seat);
enum bo_glyph bo_state_glyph(const struct bo_state *s, const struct bo_seat *seat);
/* The seat under the cursor, or NULL (a GA area, an empty map). */
const struct bo_seat *bo_state_cursor_seat(const struct bo_state *s);

/* ------------------------------------------------------------------ formatting for bo-ui.c */

/* Each writes one screen line of at most len - 1 bytes (UTF-8 text may be cut short). */
void bo_format_title(const struct bo_state *s, char *buf, size_t len);
void bo_format_status(const struct bo_state *s, char *buf, size_t len);
void bo_format_hint(const struct bo_state *s, char *buf, size_t len);
/*
 * The section tabs in width columns: scrolled so that the current one shows ('<' and '>' mark
 * tabs cut off); *cur_x and *cur_w say where the current tab is in buf (-1 when none).
 */
void bo_format_tabs(const struct bo_state *s, int width, char *buf, size_t len, int *cur_x,
    int *cur_w);
void bo_format_event(const struct bo_state *s, size_t i, char *buf, size_t len);
/*
 * Line y (from 0) of the map area, width columns: the row name and two columns a seat, from
 * the scroll position. glyphs[] gets the characters, cls[] each one's enum bo_glyph
 * (BO_G_NGLYPHS for the row names and blanks); *cursor_x the cursor's column or -1. Both
 * buffers hold width + 1. Returns 0, or -1 when y is past the last row.
 */
int bo_format_map_line(const struct bo_state *s, int y, int width, char *glyphs, uint8_t *cls,
    int *cursor_x);
/* The cart panel's line y (0 first), width columns; 0, or -1 past the end. */
int bo_format_cart_line(const struct bo_state *s, int y, int width, char *buf, size_t len);
/* The checkout view's, the tickets view's info panel's and the orders view's line y. */
int bo_format_checkout_line(const struct bo_state *s, int y, char *buf, size_t len);
int bo_format_ticket_line(const struct bo_state *s, int y, char *buf, size_t len);
int bo_format_order_line(const struct bo_state *s, int y, char *buf, size_t len, int *selected);
int bo_format_help_line(int y, char *buf, size_t len);

#endif
