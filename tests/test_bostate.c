/*
 * test_bostate.c: the box-office screen's state without a terminal: keys move the cursor and
 * pick seats, the checkout flow asks for the right things, actions carry the right seats, and
 * every line the screen would draw fits 80 columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bo-state.h"
#include "seat.h"
#include "xmalloc.h"

/*
 * Section A: row 1 seats 1-10, row 2 seats 1-12, row 3 seats 1-4 and 7-12 (a gap);
 * section W: one row of 40 seats (wider than the screen); section X: not for sale;
 * FLOOR: 20 GA places, 5 of them leased here. Seat ids: A = 100 + row * 20 + number,
 * W = 500 + number, X = 600 + number, FLOOR = 700 + number.
 */
static struct bo_map *
sample_map(void)
{
	struct bo_map *m = bo_map_new(7, "Hamlet", "Riverside Theatre", 1893528000, "EUR");
	char row[8];
	uint32_t n;
	int r;

	bo_map_add_tier(m, 0, "Stalls", 4500);
	bo_map_add_tier(m, 1, "Standing", 2000);
	for (r = 1; r <= 3; r++) {
		snprintf(row, sizeof row, "%d", r);
		for (n = 1; n <= (r == 1 ? 10u : 12u); n++) {
			if (r == 3 && (n == 5 || n == 6))
				continue;
			bo_map_add_seat(m, "A", row, n, 0, 100 + (uint32_t)r * 20 + n,
			    SEAT_AVAILABLE, 0, 0);
		}
	}
	for (n = 40; n >= 1; n--)           /* any order: finish sorts */
		bo_map_add_seat(m, "W", "1", n, 0, 500 + n, SEAT_AVAILABLE, 0, 0);
	for (n = 1; n <= 3; n++)
		bo_map_add_seat(m, "X", "1", n, 0, 600 + n, SEAT_AVAILABLE, 0, -1);
	for (n = 1; n <= 20; n++)
		bo_map_add_seat(m, "FLOOR", "GA", n, 1, 700 + n, SEAT_AVAILABLE, n > 15, 1);
	bo_map_finish(m);
	return m;
}

static int
setup(void **state)
{
	struct bo_state *s = xcalloc(1, sizeof *s);
	struct bo_event_row ev;

	bo_state_init(s, "Front desk");
	bo_state_resize(s, 80, 24);
	bo_state_status(s, 1, 0, 5, 1);
	memset(&ev, 0, sizeof ev);
	ev.id = 7;
	snprintf(ev.name, sizeof ev.name, "Hamlet");
	snprintf(ev.venue, sizeof ev.venue, "Riverside Theatre");
	ev.starts_at = 1893528000;
	bo_state_set_events(s, &ev, 1);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	bo_state_free(*state);
	free(*state);
	return 0;
}

/* Open the sample event the way bo-app.c does: Enter, then the map. */
static void
open_event(struct bo_state *s)
{
	int f = bo_state_key(s, BO_KEY_ENTER);

	assert_true(f & BO_ACTION);
	assert_int_equal(s->action.kind, BO_ACT_OPEN_EVENT);
	assert_int_equal(s->action.event, 7);
	bo_state_set_map(s, sample_map());
	assert_int_equal(s->view, BO_VIEW_MAP);
}

static void
keys(struct bo_state *s, const char *k)
{
	for (; *k != '\0'; k++)
		bo_state_key(s, *k == '\n' ? BO_KEY_ENTER : *k);
}

/* The app's side of a hold that the server granted. */
static void
grant(struct bo_state *s)
{
	size_t i;

	assert_int_equal(s->action.kind, BO_ACT_HOLD);
	for (i = 0; i < s->action.nseats; i++)
		bo_state_cart_add(s, s->action.seats[i]);
}

static void
test_cursor(void **state)
{
	struct bo_state *s = *state;
	const struct bo_seat *c;

	open_event(s);
	c = bo_state_cursor_seat(s);
	assert_non_null(c);
	assert_string_equal(c->label, "A-1-5");     /* the middle of the front row */
	bo_state_key(s, BO_KEY_RIGHT);
	bo_state_key(s, 'l');
	assert_string_equal(bo_state_cursor_seat(s)->label, "A-1-7");
	bo_state_key(s, BO_KEY_DOWN);
	bo_state_key(s, 'j');
	assert_string_equal(bo_state_cursor_seat(s)->label, "A-3-7");
	bo_state_key(s, 'h');                       /* across the gap: 5 and 6 are missing */
	assert_string_equal(bo_state_cursor_seat(s)->label, "A-3-4");
	bo_state_key(s, 'j');                       /* the last row: stays */
	assert_string_equal(bo_state_cursor_seat(s)->label, "A-3-4");
	keys(s, "hhhhh");                           /* the edge */
	assert_string_equal(bo_state_cursor_seat(s)->label, "A-3-1");
	bo_state_key(s, BO_KEY_UP);
	assert_string_equal(bo_state_cursor_seat(s)->label, "A-2-1");
	bo_state_key(s, BO_KEY_TAB);
	assert_string_equal(bo_state_cursor_seat(s)->label, "W-1-20");
	bo_state_key(s, BO_KEY_BTAB);
	bo_state_key(s, BO_KEY_BTAB);
	assert_null(bo_state_cursor_seat(s));       /* FLOOR: a GA area has no cursor seat */
	bo_state_key(s, BO_KEY_TAB);
	assert_string_equal(bo_state_cursor_seat(s)->label, "A-1-5");
}

static void
test_scroll(void **state)
{
	struct bo_state *s = *state;
	char g[128];
	uint8_t cls[128];
	int cx, i;

	open_event(s);
	bo_state_key(s, BO_KEY_TAB);                /* W: 40 seats, 23 columns show at 80x24 */
	for (i = 0; i < 25; i++)
		bo_state_key(s, BO_KEY_RIGHT);
	assert_string_equal(bo_state_cursor_seat(s)->label, "W-1-40");
	assert_true(s->left > 0);
	assert_int_equal(bo_format_map_line(s, 0, 50, g, cls, &cx), 0);
	assert_true(cx > 0 && cx < 50);             /* the cursor is on screen */
	assert_int_equal(g[cx], 'o');
	assert_int_equal(g[cx - 1], '[');
	assert_int_equal(g[cx + 1], ']');
	assert_int_equal(bo_format_map_line(s, 1, 50, g, cls, &cx), -1);
	for (i = 0; i < 40; i++)
		bo_state_key(s, BO_KEY_LEFT);
	assert_int_equal(s->left, 0);

	/* A small terminal: rows scroll too. */
	bo_state_key(s, BO_KEY_BTAB);
	bo_state_resize(s, 40, 6);                  /* 2 map rows */
	keys(s, "jj");
	assert_int_equal(s->row, 2);
	assert_int_equal(s->top, 1);
	assert_int_equal(bo_format_map_line(s, 1, 40, g, cls, &cx), 0);
	assert_true(cx > 0);
	assert_int_equal(strncmp(g, "  3 ", 4), 0);
}

static void
test_pick_online(void **state)
{
	struct bo_state *s = *state;
	int f;

	open_event(s);
	f = bo_state_key(s, ' ');
	assert_true(f & BO_ACTION);
	assert_int_equal(s->action.nseats, 1);
	assert_int_equal(s->action.seats[0], 125);          /* A-1-5 */
	grant(s);
	assert_int_equal(s->cart.n, 1);
	assert_int_equal(s->cart.items[0].price, 4500);
	assert_string_equal(s->cart.items[0].tier_name, "Stalls");
	assert_int_equal(bo_state_glyph(s, bo_state_cursor_seat(s)), BO_G_MINE);
	/* Again: dropped and released. */
	f = bo_state_key(s, ' ');
	assert_true(f & BO_ACTION);
	assert_int_equal(s->action.kind, BO_ACT_RELEASE);
	assert_int_equal(s->action.seats[0], 125);
	assert_int_equal(s->cart.n, 0);

	/* A seat sold elsewhere cannot be picked. */
	bo_state_mark(s, 125, 0, 1);
	f = bo_state_key(s, ' ');
	assert_false(f & BO_ACTION);
	assert_string_equal(s->message, "A-1-5 is sold");
	/* Nor one held by another cashier. */
	bo_state_key(s, 'l');
	bo_state_mark(s, 126, 1, 0);
	f = bo_state_key(s, ' ');
	assert_false(f & BO_ACTION);
	assert_non_null(strstr(s->message, "held"));
	/* Nor one not for sale. */
	keys(s, "\t\t");
	f = bo_state_key(s, ' ');
	assert_false(f & BO_ACTION);
	assert_string_equal(s->message, "X-1-2 is not for sale at this event");
}

static void
test_pick_offline(void **state)
{
	struct bo_state *s = *state;
	int f;

	open_event(s);
	bo_state_status(s, 0, 3, 5, 1);
	f = bo_state_key(s, ' ');
	assert_false(f & BO_ACTION);
	assert_string_equal(s->message, "A-1-5 is not leased to this box office; offline it "
	    "can sell only its leased seats");
	/* GA: only the leased places, 16 to 20. */
	bo_state_key(s, BO_KEY_BTAB);
	keys(s, " 3\n");
	grant(s);
	assert_int_equal(s->cart.n, 3);
	assert_int_equal(s->cart.items[0].seat_id, 716);
	assert_int_equal(s->cart.items[2].seat_id, 718);
	assert_int_equal(cart_total(&s->cart), 6000);
	keys(s, "b3\n");                                    /* only 2 leased left */
	assert_int_equal(s->action.kind, BO_ACT_NONE);
	assert_non_null(strstr(s->message, "only 2 leased places"));
	/* One place less. */
	f = bo_state_key(s, '-');
	assert_true(f & BO_ACTION);
	assert_int_equal(s->action.kind, BO_ACT_RELEASE);
	assert_int_equal(s->cart.n, 2);
	/* The status bar says so. */
	{
		char buf[200];

		bo_format_status(s, buf, sizeof buf);
		assert_non_null(strstr(buf, "Front desk | OFFLINE | 3 waiting | 5 leased left"));
	}
}

static void
test_best(void **state)
{
	struct bo_state *s = *state;

	open_event(s);
	keys(s, "b3\n");
	grant(s);
	assert_int_equal(s->cart.n, 3);
	assert_string_equal(s->cart.items[0].label, "A-1-4");   /* the middle of row 1 */
	assert_string_equal(s->cart.items[2].label, "A-1-6");
	/* Seven more: row 1 has no 7 adjacent left; row 2 has. */
	keys(s, "b7\n");
	grant(s);
	assert_int_equal(s->cart.n, 10);
	assert_string_equal(s->cart.items[3].label, "A-2-3");
	assert_string_equal(s->cart.items[9].label, "A-2-9");
	/* Eleven: none in any row. */
	keys(s, "b11\n");
	assert_int_equal(s->action.kind, BO_ACT_NONE);
	assert_non_null(strstr(s->message, "no 11 adjacent free seats"));
	/* The cart is emptied with x, every seat released. */
	bo_state_key(s, 'x');
	assert_int_equal(s->action.kind, BO_ACT_RELEASE);
	assert_int_equal(s->action.nseats, 10);
	assert_int_equal(s->cart.n, 0);
}

static struct sale_order *
fake_order(int cash)
{
	struct sale_order *o = xcalloc(1, sizeof *o);
	int i;

	o->id = 12;
	o->event.id = 7;
	snprintf(o->event.name, sizeof o->event.name, "Hamlet");
	snprintf(o->event.currency, sizeof o->event.currency, "EUR");
	snprintf(o->pay, sizeof o->pay, "%s", cash ? "cash" : "card");
	o->total = 9000;
	o->tendered = cash ? 10000 : -1;
	o->change = cash ? 1000 : 0;
	o->online = 1;
	o->n = 2;
	o->tickets = xcalloc(2, sizeof *o->tickets);
	for (i = 0; i < 2; i++) {
		o->tickets[i].seat_id = 124 + (uint32_t)i;
		snprintf(o->tickets[i].label, sizeof o->tickets[i].label, "A-1-%d", 4 + i);
		snprintf(o->tickets[i].tier_name, sizeof o->tickets[i].tier_name, "Stalls");
		o->tickets[i].price = 4500;
		o->tickets[i].serial = 40 + (uint32_t)i;
		snprintf(o->tickets[i].qr, sizeof o->tickets[i].qr, "TS1:TEST%d", i);
	}
	return o;
}

static void
test_checkout_cash(void **state)
{
	struct bo_state *s = *state;
	char buf[256];
	int f, y, found = 0;

	open_event(s);
	bo_state_key(s, BO_KEY_ENTER);                      /* an empty cart: no checkout */
	assert_int_equal(s->view, BO_VIEW_MAP);
	assert_non_null(strstr(s->message, "empty"));
	keys(s, "b2\n");
	grant(s);
	bo_state_key(s, BO_KEY_ESC);                        /* seats in the cart: stay */
	assert_int_equal(s->view, BO_VIEW_MAP);
	bo_state_key(s, BO_KEY_ENTER);
	assert_int_equal(s->view, BO_VIEW_CHECKOUT);
	keys(s, "c50");
	assert_int_equal(s->input.purpose, BO_IN_TENDERED);
	for (y = 0; bo_format_checkout_line(s, y, buf, sizeof buf) == 0; y++)
		found |= strstr(buf, "Short by 40.00 EUR") != NULL;
	assert_true(found);
	f = bo_state_key(s, BO_KEY_ENTER);                  /* short: refused */
	assert_false(f & BO_ACTION);
	assert_string_equal(s->message, "40.00 short");
	keys(s, "\x7f\x7f" "100");
	assert_string_equal(s->input.buf, "100");
	found = 0;
	for (y = 0; bo_format_checkout_line(s, y, buf, sizeof buf) == 0; y++)
		found |= strstr(buf, "CHANGE DUE: 10.00 EUR") != NULL;
	assert_true(found);
	f = bo_state_key(s, BO_KEY_ENTER);
	assert_true(f & BO_ACTION);
	assert_int_equal(s->action.kind, BO_ACT_SELL);
	assert_string_equal(s->action.pay, "cash");
	assert_int_equal(s->action.tendered, 10000);

	/* Sold: the tickets, one QR at a time, the change due. */
	bo_state_sold(s, fake_order(1));
	assert_int_equal(s->view, BO_VIEW_TICKETS);
	assert_int_equal(s->cart.n, 0);
	assert_non_null(s->qr);
	assert_non_null(strstr(s->qr, "\342\226\210"));       /* half blocks */
	found = 0;
	for (y = 0; bo_format_ticket_line(s, y, buf, sizeof buf) == 0; y++) {
		found |= (strcmp(buf, "SEAT A-1-4") == 0) << 0;
		found |= (strcmp(buf, "CHANGE DUE 10.00 EUR") == 0) << 1;
		found |= (strcmp(buf, "Ticket 1 of 2") == 0) << 2;
	}
	assert_int_equal(found, 7);
	bo_state_key(s, 'n');
	assert_int_equal(s->ticket, 1);
	assert_int_equal(bo_format_ticket_line(s, 7, buf, sizeof buf), 0);
	assert_string_equal(buf, "SEAT A-1-5");
	bo_state_key(s, 'n');                               /* the last: stays */
	assert_int_equal(s->ticket, 1);
	f = bo_state_key(s, 'r');
	assert_int_equal(s->action.kind, BO_ACT_REPRINT);
	assert_int_equal(s->action.order, 12);
	bo_state_key(s, BO_KEY_ENTER);                      /* the next sale */
	assert_int_equal(s->view, BO_VIEW_MAP);
	(void)f;
}

static void
test_checkout_card_comp_and_failure(void **state)
{
	struct bo_state *s = *state;
	int f;

	open_event(s);
	keys(s, "b2\n");
	grant(s);
	keys(s, "\nd");
	assert_int_equal(s->input.purpose, BO_IN_CARD);
	bo_state_key(s, BO_KEY_ESC);                        /* back to choosing */
	assert_int_equal(s->input.purpose, BO_IN_NONE);
	assert_int_equal(s->view, BO_VIEW_CHECKOUT);
	keys(s, "f");
	f = bo_state_key(s, BO_KEY_ENTER);                  /* a comp needs a reason */
	assert_false(f & BO_ACTION);
	keys(s, "press\n");
	assert_int_equal(s->action.kind, BO_ACT_SELL);
	assert_string_equal(s->action.pay, "comp");
	assert_string_equal(s->action.text, "press");
	keys(s, "d");
	keys(s, "4471\n");
	assert_string_equal(s->action.pay, "card");
	assert_string_equal(s->action.text, "4471");
	assert_int_equal(s->action.tendered, -1);

	/* Refused: the seat someone else sold leaves the cart and shows sold. */
	bo_state_sale_failed(s, 125, "sold", "A-1-5 is already sold (by box office 3)");
	assert_int_equal(s->view, BO_VIEW_MAP);
	assert_int_equal(s->cart.n, 1);
	assert_int_equal(bo_state_glyph(s, bo_map_seat(s->map, 125, NULL)), BO_G_SOLD);
	assert_string_equal(s->message, "not sold: A-1-5 is already sold (by box office 3)");
	assert_int_equal(s->error, 1);
}

static void
test_orders_and_refund(void **state)
{
	struct bo_state *s = *state;
	char buf[256];
	int sel, f;

	open_event(s);
	keys(s, "o");
	assert_int_equal(s->view, BO_VIEW_ORDERS);
	assert_int_equal(s->input.purpose, BO_IN_ORDER);
	keys(s, "a-1-4\n");
	assert_int_equal(s->action.kind, BO_ACT_FIND_ORDER);
	assert_string_equal(s->action.text, "a-1-4");
	bo_state_found(s, fake_order(0));
	assert_int_equal(bo_format_order_line(s, 3, buf, sizeof buf, &sel), 0);
	assert_true(sel);
	assert_non_null(strstr(buf, "A-1-4"));
	keys(s, "jr");
	assert_int_equal(s->input.purpose, BO_IN_CONFIRM);
	assert_string_equal(s->input.prompt, "Refund A-1-5 (45.00)? y/n");
	f = bo_state_key(s, 'n');                           /* no */
	assert_false(f & BO_ACTION);
	keys(s, "R");
	f = bo_state_key(s, 'y');
	assert_true(f & BO_ACTION);
	assert_int_equal(s->action.kind, BO_ACT_REFUND);
	assert_int_equal(s->action.order, 12);
	assert_int_equal(s->action.seat, 0);                /* the whole order */
	keys(s, "r");
	f = bo_state_key(s, 'y');
	assert_int_equal(s->action.seat, 125);
	keys(s, "p");
	assert_int_equal(s->action.kind, BO_ACT_REPRINT);
	bo_state_key(s, BO_KEY_ESC);
	assert_int_equal(s->view, BO_VIEW_MAP);
	(void)f;
}

static void
test_shift(void **state)
{
	struct bo_state *s = *state;
	int f;

	bo_state_status(s, 1, 0, 0, 0);
	f = bo_state_key(s, 's');
	assert_true(f & BO_ACTION);
	assert_int_equal(s->action.kind, BO_ACT_SHIFT_REPORT);
	bo_state_report(s, NULL, 0);                        /* none open: the float */
	assert_int_equal(s->input.purpose, BO_IN_FLOAT);
	keys(s, "150.5\n");
	assert_int_equal(s->action.kind, BO_ACT_SHIFT_OPEN);
	assert_int_equal(s->action.amount, 15050);
	bo_state_report(s, "Shift 4 (open)\n", 4);
	keys(s, "c");
	assert_int_equal(s->input.purpose, BO_IN_COUNTED);
	keys(s, "abc");                                     /* not money: ignored */
	assert_string_equal(s->input.buf, "");
	keys(s, "200\n");
	assert_int_equal(s->action.kind, BO_ACT_SHIFT_CLOSE);
	assert_int_equal(s->action.amount, 20000);
	bo_state_key(s, BO_KEY_ESC);
	assert_int_equal(s->view, BO_VIEW_EVENTS);
	f = bo_state_key(s, 'q');
	assert_true(f & BO_QUIT);
}

/* Every line of every view fits an 80-column terminal. */
static void
check_width(const char *what, const char *line)
{
	const unsigned char *p;
	int cols = 0;

	for (p = (const unsigned char *)line; *p != '\0'; p++)
		cols += (*p & 0xc0) != 0x80;
	if (cols > 80)
		fail_msg("%s: %d columns: \"%s\"", what, cols, line);
}

static void
test_fits_80x24(void **state)
{
	struct bo_state *s = *state;
	struct bo_layout l;
	char buf[512], g[128];
	uint8_t cls[128];
	int y, cx, sel, tx, tw;
	enum bo_view v;

	bo_layout(80, 24, &l);
	assert_int_equal(l.map_w + l.cart_w, 80);
	assert_int_equal(l.status_y, 23);
	assert_true(l.map_h >= 16);
	bo_format_event(s, 0, buf, sizeof buf);
	check_width("event", buf);
	open_event(s);
	keys(s, "b5\n");
	grant(s);
	for (v = BO_VIEW_EVENTS; v <= BO_VIEW_HELP; v++) {
		s->view = v;
		bo_format_title(s, buf, sizeof buf);
		check_width("title", buf);
		bo_format_hint(s, buf, sizeof buf);
		check_width("hint", buf);
		bo_format_status(s, buf, sizeof buf);
		check_width("status", buf);
	}
	bo_format_tabs(s, 80, buf, sizeof buf, &tx, &tw);
	check_width("tabs", buf);
	for (y = 0; bo_format_map_line(s, y, l.map_w, g, cls, &cx) == 0; y++)
		check_width("map", g);
	for (y = 0; bo_format_cart_line(s, y, l.cart_w - 1, buf, sizeof buf) == 0; y++) {
		if ((int)strlen(buf) > l.cart_w - 1)
			fail_msg("cart line %d: \"%s\" is wider than %d", y, buf, l.cart_w - 1);
	}
	assert_true(y <= l.map_h);
	for (y = 0; bo_format_checkout_line(s, y, buf, sizeof buf) == 0; y++)
		check_width("checkout", buf);
	for (y = 0; bo_format_help_line(y, buf, sizeof buf) == 0; y++)
		check_width("help", buf);
	assert_true(y <= 22);
	bo_state_found(s, fake_order(1));
	for (y = 0; bo_format_order_line(s, y, buf, sizeof buf, &sel) == 0; y++)
		check_width("order", buf);
	bo_state_sold(s, fake_order(1));
	for (y = 0; bo_format_ticket_line(s, y, buf, sizeof buf) == 0; y++) {
		if (strlen(buf) > 31)
			fail_msg("ticket info \"%s\" is wider than the panel", buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_best, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkout_cash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkout_card_comp_and_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_orders_and_refund, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shift, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fits_80x24, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
