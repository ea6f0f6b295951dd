/*
 * bo-app.c: the box-office screen's driver. It owns the device and the background syncer,
 * reads keys through bo-ui.c, hands them to bo-state.c, and carries out the actions the state
 * asks for (hold seats, sell, refund, shifts) with sale.c and journal.c, telling the state how
 * each went. Everything that can wait on the server waits at most the online timeout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bo-app.h"
#include "bo-cmd.h"
#include "bo-state.h"
#include "bo-ui.h"
#include "db.h"
#include "device.h"
#include "journal.h"
#include "seat.h"
#include "xmalloc.h"

#define TICK_MS        250
#define REFRESH_EVERY  2        /* seconds between reloads of the map and the status */
#define HOLD_SECONDS   300

struct bo_app {
	const struct bo_app_options *opts;
	struct device               *d;
	struct syncer               *syncer;
	struct bo_state              s;
	time_t                       refreshed;
	time_t                       no_answer;     /* our own last call the server missed */
};

/* How long a call the server did not answer outweighs the syncer's word that it is online. */
#define NO_ANSWER_HOLDS  30

static sqlite3 *
adb(struct bo_app *a)
{
	return replica_db(device_replica(a->d));
}

/* ------------------------------------------------------------------ loading */

static void
load_events(struct bo_app *a)
{
	struct bo_event_row *rows = NULL;
	sqlite3_stmt *st;
	size_t n = 0;

	st = db_prepare(adb(a), "SELECT events.id, events.name, venues.name, starts_at, "
	    "(SELECT count(*) FROM seat_state WHERE event_id = events.id AND state IN ('sold', "
	    "'admitted', 'exited')), (SELECT count(*) FROM seats WHERE venue_id = "
	    "events.venue_id) FROM events JOIN venues ON venues.id = events.venue_id ORDER BY "
	    "starts_at, events.id");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct bo_event_row *r;

		rows = xreallocarray(rows, n + 1, sizeof *rows);
		r = &rows[n++];
		memset(r, 0, sizeof *r);
		r->id = (uint32_t)sqlite3_column_int64(st, 0);
		snprintf(r->name, sizeof r->name, "%s", sqlite3_column_text(st, 1));
		snprintf(r->venue, sizeof r->venue, "%s", sqlite3_column_text(st, 2));
		r->starts_at = sqlite3_column_int64(st, 3);
		r->sold = sqlite3_column_int(st, 4);
		r->free = sqlite3_column_int(st, 5) - r->sold;
		r->leased = sale_leased_left(a->d, r->id);
	}
	sqlite3_finalize(st);
	bo_state_set_events(&a->s, rows, n);
	free(rows);
}

static struct bo_map *
load_map(struct bo_app *a, uint32_t event)
{
	struct sale_event ev;
	struct bo_map *m;
	sqlite3_stmt *st;
	char *cause = NULL;
	int state;

	if (sale_event_load(a->d, event, &ev, &cause) != 0) {
		bo_state_message(&a->s, 1, "event %" PRIu32 ": %s", event, cause != NULL ? cause :
		    "unknown here");
		free(cause);
		return NULL;
	}
	m = bo_map_new(event, ev.name, ev.venue, ev.starts_at, ev.currency);
	st = db_prepare(adb(a), "SELECT idx, name, price FROM tiers WHERE event_id = ? ORDER BY "
	    "idx");
	sqlite3_bind_int64(st, 1, event);
	while (sqlite3_step(st) == SQLITE_ROW)
		bo_map_add_tier(m, sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_int64(st, 2));
	sqlite3_finalize(st);
	st = db_prepare(adb(a), "SELECT seats.id, seats.section, seats.row, seats.number, "
	    "seats.ga, coalesce(seat_state.state, 'available'), leases.seat_id IS NOT NULL, "
	    "coalesce(tier_sections.tier_idx, -1) FROM seats JOIN events ON events.venue_id = "
	    "seats.venue_id LEFT JOIN seat_state ON seat_state.event_id = events.id AND "
	    "seat_state.seat_id = seats.id LEFT JOIN leases ON leases.event_id = events.id AND "
	    "leases.seat_id = seats.id LEFT JOIN tier_sections ON tier_sections.event_id = "
	    "events.id AND tier_sections.section = seats.section WHERE events.id = ? ORDER BY "
	    "seats.id");
	sqlite3_bind_int64(st, 1, event);
	while (sqlite3_step(st) == SQLITE_ROW) {
		state = seat_state_parse((const char *)sqlite3_column_text(st, 5));
		bo_map_add_seat(m, (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), (uint32_t)sqlite3_column_int64(st, 3),
		    sqlite3_column_int(st, 4), (uint32_t)sqlite3_column_int64(st, 0),
		    state < 0 ? SEAT_AVAILABLE : state, sqlite3_column_int(st, 6),
		    sqlite3_column_int(st, 7));
	}
	sqlite3_finalize(st);
	bo_map_finish(m);
	return m;
}

/* The status bar's figures, and the map and events as the replica now has them. */
static void
refresh(struct bo_app *a)
{
	struct sync_status ss;
	struct shift sh;
	struct bo_map *m;
	int64_t shift = 0;

	memset(&ss, 0, sizeof ss);
	if (a->syncer != NULL)
		syncer_status(a->syncer, &ss);
	if (journal_shift_current(adb(a), device_id(a->d), &sh, NULL) == 0)
		shift = sh.id;
	if (a->no_answer != 0 && time(NULL) - a->no_answer >= NO_ANSWER_HOLDS)
		a->no_answer = 0;
	if (ss.released > 0)
		bo_state_message(&a->s, 0, "%d seat%s of an unanswered online sale released: the "
		    "server had sold %s with no ticket printed; for sale again", ss.released,
		    ss.released == 1 ? "" : "s", ss.released == 1 ? "it" : "them");
	bo_state_status(&a->s, a->syncer != NULL && ss.online && a->no_answer == 0,
	    a->syncer != NULL ? ss.waiting :
	    device_waiting(a->d), sale_leased_left(a->d, a->s.map != NULL ? a->s.map->event_id :
	    0), shift);
	if (a->s.view == BO_VIEW_EVENTS)
		load_events(a);
	if (a->s.map != NULL && (a->s.view == BO_VIEW_MAP || a->s.view == BO_VIEW_CHECKOUT) &&
	    (m = load_map(a, a->s.map->event_id)) != NULL)
		bo_state_set_map(&a->s, m);
	a->refreshed = time(NULL);
}

/* ------------------------------------------------------------------ actions */

static void
do_hold(struct bo_app *a, const struct bo_action *act)
{
	struct sale_refusal ref;
	struct bo_seat *seat;
	char *cause = NULL;
	size_t i, skipped = 0;
	int rc = 1;

	if (a->s.online) {
		rc = sale_hold(a->d, act->event, act->seats, act->nseats, HOLD_SECONDS, &ref,
		    &cause);
		a->no_answer = rc == 1 ? time(NULL) : 0;
		if (rc == 1)
			a->s.online = 0;
	}
	if (rc == 0) {
		for (i = 0; i < act->nseats; i++)
			bo_state_cart_add(&a->s, act->seats[i]);
		return;
	}
	if (rc < 0) {
		if (ref.seat_id != 0)
			bo_state_mark(&a->s, ref.seat_id, strcmp(ref.reason, "held") == 0 ||
			    strcmp(ref.reason, "leased") == 0, strcmp(ref.reason, "sold") == 0);
		bo_state_message(&a->s, 1, "%s", cause);
		free(cause);
		return;
	}
	/* No server: only what is leased here. */
	for (i = 0; i < act->nseats; i++) {
		seat = bo_map_seat(a->s.map, act->seats[i], NULL);
		if (seat != NULL && seat->leased)
			bo_state_cart_add(&a->s, act->seats[i]);
		else
			skipped++;
	}
	if (skipped > 0)
		bo_state_message(&a->s, 1, "the server does not answer: offline only leased seats "
		    "can be sold");
}

static void
outputs_note(struct bo_app *a, const struct sale_order *o, const char *what)
{
	const struct sale_outputs *outs = &a->opts->outputs;
	char *cause = NULL;

	if (outs->png_dir == NULL && outs->svg_dir == NULL && outs->escpos == NULL)
		return;
	if (sale_write_outputs(o, outs, &cause) != 0) {
		bo_state_message(&a->s, 1, "%s, but the tickets were not all written: %s", what,
		    cause);
		free(cause);
		return;
	}
	bo_state_message(&a->s, 0, "%s; tickets written to%s%s%s%s%s%s", what,
	    outs->png_dir != NULL ? " " : "", outs->png_dir != NULL ? outs->png_dir : "",
	    outs->svg_dir != NULL ? " " : "", outs->svg_dir != NULL ? outs->svg_dir : "",
	    outs->escpos != NULL ? " " : "", outs->escpos != NULL ? outs->escpos : "");
}

static void
do_sell(struct bo_app *a, const struct bo_action *act)
{
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o = NULL;
	uint32_t *ids;
	char *cause = NULL, what[64];
	size_t i;

	ids = xcalloc(a->s.cart.n + 1, sizeof *ids);
	for (i = 0; i < a->s.cart.n; i++)
		ids[i] = a->s.cart.items[i].seat_id;
	memset(&req, 0, sizeof req);
	req.event_id = a->s.cart.event_id;
	req.seats = ids;
	req.nseats = a->s.cart.n;
	req.pay = act->pay;
	req.tendered = act->tendered;
	req.reference = act->text;
	if (sale_sell(a->d, &req, &o, &ref, &cause) != 0) {
		if (strcmp(ref.reason, "not-leased") == 0)
			a->no_answer = time(NULL);
		bo_state_sale_failed(&a->s, ref.seat_id, ref.reason, cause);
		free(cause);
		free(ids);
		refresh(a);
		return;
	}
	free(ids);
	a->no_answer = o->online ? 0 : time(NULL);
	if (a->syncer != NULL)
		syncer_kick(a->syncer);
	snprintf(what, sizeof what, "order %" PRIu32 " sold%s", o->id, o->online ? "" :
	    " offline");
	bo_state_sold(&a->s, o);
	bo_state_message(&a->s, 0, "%s", what);
	outputs_note(a, o, what);
}

static void
do_find(struct bo_app *a, const struct bo_action *act)
{
	struct sale_order *o = NULL;
	uint32_t order = 0, seat = 0;
	char *cause = NULL;
	int rc;

	if (bo_cmd_parse_id(act->text, &order) != 0) {
		rc = sale_order_find_seat(a->d, a->s.map != NULL ? a->s.map->event_id : 0,
		    act->text, &order, &seat, &cause);
		if (rc != 0) {
			bo_state_message(&a->s, 1, "%s", rc < 0 ? cause :
			    "no ticket for that seat was sold here");
			free(cause);
			bo_state_found(&a->s, NULL);
			return;
		}
	}
	rc = sale_order_load(a->d, order, &o, &cause);
	if (rc != 0) {
		if (rc < 0)
			bo_state_message(&a->s, 1, "%s", cause);
		else
			bo_state_message(&a->s, 1, "there is no order %" PRIu32 " here", order);
		free(cause);
		bo_state_found(&a->s, NULL);
		return;
	}
	a->s.found_cursor = 0;
	for (size_t i = 0; i < o->n; i++) {
		if (o->tickets[i].seat_id == seat)
			a->s.found_cursor = i;
	}
	bo_state_found(&a->s, o);
}

static void
do_reprint(struct bo_app *a, const struct bo_action *act)
{
	struct sale_order *o = NULL;
	char *cause = NULL, what[64];

	if (sale_order_load(a->d, act->order, &o, &cause) != 0 || sale_reprint(a->d, act->order,
	    &cause) != 0) {
		bo_state_message(&a->s, 1, "%s", cause != NULL ? cause : "no such order");
		free(cause);
		sale_order_free(o);
		return;
	}
	snprintf(what, sizeof what, "order %" PRIu32 " printed again", o->id);
	bo_state_show_tickets(&a->s, o);
	bo_state_message(&a->s, 0, "%s", what);
	outputs_note(a, o, what);
}

static void
do_refund(struct bo_app *a, const struct bo_action *act)
{
	struct sale_order *o = NULL;
	char *cause = NULL;

	if (sale_refund(a->d, act->order, act->seat, &o, &cause) != 0) {
		bo_state_message(&a->s, 1, "not refunded: %s", cause);
		free(cause);
		return;
	}
	if (a->syncer != NULL)
		syncer_kick(a->syncer);
	bo_state_found(&a->s, o);
	bo_state_message(&a->s, 0, "refunded: the old ticket%s no longer admit%s anyone",
	    act->seat != 0 ? "" : "s", act->seat != 0 ? "s" : "");
}

static void
do_shift(struct bo_app *a, const struct bo_action *act)
{
	struct shift_report r;
	struct shift sh;
	sqlite3 *db = adb(a);
	char *cause = NULL, *text;
	int rc = 0;

	if (act->kind == BO_ACT_SHIFT_OPEN || act->kind == BO_ACT_SHIFT_CLOSE) {
		if (db_begin(db, &cause) != 0 || (act->kind == BO_ACT_SHIFT_OPEN ?
		    journal_shift_open(db, device_id(a->d), device_now(a->d), act->amount, &sh,
		    &cause) : journal_shift_close(db, device_id(a->d), device_now(a->d),
		    act->amount, &sh, &cause)) != 0 || db_commit(db, &cause) != 0) {
			db_rollback(db);
			bo_state_message(&a->s, 1, "%s", cause);
			free(cause);
			return;
		}
		bo_state_message(&a->s, 0, act->kind == BO_ACT_SHIFT_OPEN ? "shift %lld is open" :
		    "shift %lld is closed", (long long)sh.id);
	}
	rc = journal_shift_current(db, device_id(a->d), &sh, &cause);
	if (rc == 1)
		rc = journal_shift_last(db, device_id(a->d), &sh, &cause);
	if (rc < 0) {
		bo_state_message(&a->s, 1, "%s", cause);
		free(cause);
		return;
	}
	if (rc == 1) {
		bo_state_report(&a->s, NULL, 0);
		return;
	}
	if (journal_shift_report(db, sh.id, &r, &cause) != 0) {
		bo_state_message(&a->s, 1, "%s", cause);
		free(cause);
		return;
	}
	text = journal_report_text(&r);
	bo_state_report(&a->s, text, sh.closed_at == 0 ? sh.id : 0);
	free(text);
	if (!r.intact)
		bo_state_message(&a->s, 1, "THE SALES JOURNAL WAS TAMPERED WITH: %s", r.problem);
}

static void
perform(struct bo_app *a)
{
	struct bo_action act = a->s.action;
	struct bo_map *m;

	switch (act.kind) {
	case BO_ACT_NONE:
		break;
	case BO_ACT_OPEN_EVENT:
		if ((m = load_map(a, act.event)) != NULL)
			bo_state_set_map(&a->s, m);
		refresh(a);
		break;
	case BO_ACT_HOLD:
		do_hold(a, &act);
		break;
	case BO_ACT_RELEASE:
		if (a->s.online)
			sale_release(a->d, act.event, act.seats, act.nseats);
		break;
	case BO_ACT_SELL:
		do_sell(a, &act);
		break;
	case BO_ACT_FIND_ORDER:
		do_find(a, &act);
		break;
	case BO_ACT_REPRINT:
		do_reprint(a, &act);
		break;
	case BO_ACT_REFUND:
		do_refund(a, &act);
		break;
	case BO_ACT_SHIFT_REPORT:
	case BO_ACT_SHIFT_OPEN:
	case BO_ACT_SHIFT_CLOSE:
		do_shift(a, &act);
		break;
	case BO_ACT_SYNC:
		if (a->syncer != NULL) {
			syncer_kick(a->syncer);
			bo_state_message(&a->s, 0, "sync requested");
		} else
			bo_state_message(&a->s, 1, "offline mode: no sync");
		refresh(a);
		break;
	case BO_ACT_QUIT:
		if (a->s.online && act.nseats > 0)
			sale_release(a->d, act.event, act.seats, act.nseats);
		break;
	}
}

int
bo_app_main(const struct bo_app_options *opts)
{
	struct bo_app a;
	struct shift sh;
	char *cause = NULL;
	int key, flags = BO_REDRAW, w, h, rc = BO_EXIT_OK;

	memset(&a, 0, sizeof a);
	a.opts = opts;
	if (device_open(opts->replica, &a.d, &cause) != 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", BO_PROGRAM, opts->replica, cause);
		free(cause);
		return BO_EXIT_ERROR;
	}
	if (device_role(a.d) != ROLE_BOXOFFICE) {
		fprintf(stderr, "%s: %s is not a box office's replica\n", BO_PROGRAM, opts->replica);
		device_close(a.d);
		return BO_EXIT_ERROR;
	}
	if (opts->timeout_ms > 0)
		device_set_online_timeout(a.d, opts->timeout_ms);
	if (opts->offline)
		device_set_offline(a.d, 1);
	else if ((a.syncer = syncer_start(opts->replica, &cause)) == NULL) {
		fprintf(stderr, "%s: %s\n", BO_PROGRAM, cause);
		free(cause);
		device_close(a.d);
		return BO_EXIT_ERROR;
	}
	bo_state_init(&a.s, device_name(a.d));
	if (bo_ui_start(opts->colours, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", BO_PROGRAM, cause);
		free(cause);
		syncer_stop(a.syncer);
		device_close(a.d);
		bo_state_free(&a.s);
		return BO_EXIT_ERROR;
	}
	bo_ui_size(&w, &h);
	bo_state_resize(&a.s, w, h);
	load_events(&a);
	refresh(&a);
	/* A shift starts with the float counted into the drawer. */
	if (journal_shift_current(adb(&a), device_id(a.d), &sh, NULL) == 1) {
		a.s.back = BO_VIEW_EVENTS;
		a.s.view = BO_VIEW_SHIFT;
		bo_state_report(&a.s, NULL, 0);
	}

	for (;;) {
		if (flags & BO_REDRAW)
			bo_ui_draw(&a.s);
		flags = 0;
		key = bo_ui_key(TICK_MS);
		if (key == BO_KEY_RESIZE) {
			bo_ui_size(&w, &h);
			bo_state_resize(&a.s, w, h);
			flags = BO_REDRAW;
		} else if (key >= 0) {
			flags = bo_state_key(&a.s, key);
			if (flags & BO_ACTION) {
				perform(&a);
				flags |= BO_REDRAW;
			}
			if (flags & BO_QUIT)
				break;
		}
		if (time(NULL) - a.refreshed >= REFRESH_EVERY && a.s.input.purpose == BO_IN_NONE) {
			refresh(&a);
			flags |= BO_REDRAW;
		}
	}
	bo_ui_stop();
	syncer_stop(a.syncer);
	bo_state_free(&a.s);
	device_close(a.d);
	return rc;
}
