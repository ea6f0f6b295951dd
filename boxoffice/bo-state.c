/*
 * bo-state.c: the box-office screen's state machine and line formatting (see bo-state.h).
 *
 * Views: the event list; the seat map with the cart beside it; checkout (cash, card, comp);
 * the tickets just sold, one QR at a time; orders (find, reprint, refund); the shift (open with
 * a float, the running report, close with the counted cash); help. Keys change the state and
 * may leave an action in s->action, which bo-app.c carries out and answers with the result
 * functions (bo_state_cart_add, bo_state_sold, ...). Nothing here blocks or draws.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bo-state.h"
#include "qr.h"
#include "seat.h"
#include "timefmt.h"
#include "xmalloc.h"

#define CART_PANEL   30         /* columns of the cart panel, when the screen is wide enough */
#define ROW_LABEL    4          /* "12  " before a row's seats */

static const char glyph_chars[BO_G_NGLYPHS] = { 'o', '@', 'L', 'h', 'x', '-', ' ' };
static const char *const glyph_names[BO_G_NGLYPHS] = {
	"free", "yours", "leased here", "held", "sold", "no sale", "",
};

char
bo_glyph_char(enum bo_glyph g)
{
	return (unsigned)g < BO_G_NGLYPHS ? glyph_chars[g] : '?';
}

const char *
bo_glyph_name(enum bo_glyph g)
{
	return (unsigned)g < BO_G_NGLYPHS ? glyph_names[g] : "";
}

/* ------------------------------------------------------------------ the map */

struct bo_map *
bo_map_new(uint32_t event, const char *name, const char *venue, int64_t starts_at,
    const char *currency)
{
	struct bo_map *m = xcalloc(1, sizeof *m);

	m->event_id = event;
	snprintf(m->event, sizeof m->event, "%s", name != NULL ? name : "");
	snprintf(m->venue, sizeof m->venue, "%s", venue != NULL ? venue : "");
	m->starts_at = starts_at;
	snprintf(m->currency, sizeof m->currency, "%s", currency != NULL ? currency : "");
	return m;
}

void
bo_map_add_tier(struct bo_map *m, int idx, const char *name, int64_t price)
{
	struct bo_tier *t;

	m->tiers = xreallocarray(m->tiers, m->ntiers + 1, sizeof *m->tiers);
	t = &m->tiers[m->ntiers++];
	t->idx = idx;
	snprintf(t->name, sizeof t->name, "%s", name);
	t->price = price;
}

const struct bo_tier *
bo_map_tier(const struct bo_map *m, int idx)
{
	size_t i;

	for (i = 0; m != NULL && i < m->ntiers; i++) {
		if (m->tiers[i].idx == idx)
			return &m->tiers[i];
	}
	return NULL;
}

void
bo_map_add_seat(struct bo_map *m, const char *section, const char *row, uint32_t number,
    int ga, uint32_t id, int state, int leased, int tier)
{
	struct bo_section *sec = NULL;
	struct bo_row *r = NULL;
	struct bo_seat *st;
	size_t i;

	for (i = m->nsections; i > 0; i--) {
		if (strcmp(m->sections[i - 1].name, section) == 0) {
			sec = &m->sections[i - 1];
			break;
		}
	}
	if (sec == NULL) {
		m->sections = xreallocarray(m->sections, m->nsections + 1, sizeof *m->sections);
		sec = &m->sections[m->nsections++];
		memset(sec, 0, sizeof *sec);
		snprintf(sec->name, sizeof sec->name, "%s", section);
		sec->ga = ga;
	}
	for (i = sec->nrows; i > 0; i--) {
		if (strcmp(sec->rows[i - 1].name, row) == 0) {
			r = &sec->rows[i - 1];
			break;
		}
	}
	if (r == NULL) {
		sec->rows = xreallocarray(sec->rows, sec->nrows + 1, sizeof *sec->rows);
		r = &sec->rows[sec->nrows++];
		memset(r, 0, sizeof *r);
		snprintf(r->name, sizeof r->name, "%s", row);
	}
	r->seats = xreallocarray(r->seats, r->n + 1, sizeof *r->seats);
	st = &r->seats[r->n++];
	memset(st, 0, sizeof *st);
	st->id = id;
	snprintf(st->label, sizeof st->label, "%s-%s-%" PRIu32, section, row, number);
	st->number = number;
	st->state = state;
	st->leased = leased;
	st->tier = tier;
}

static int
seat_cmp(const void *a, const void *b)
{
	const struct bo_seat *x = a, *y = b;

	return x->number < y->number ? -1 : x->number > y->number;
}

void
bo_map_finish(struct bo_map *m)
{
	struct bo_section *sec;
	size_t i, j;

	for (i = 0; i < m->nsections; i++) {
		sec = &m->sections[i];
		sec->lo = UINT32_MAX;
		sec->hi = 0;
		for (j = 0; j < sec->nrows; j++) {
			struct bo_row *r = &sec->rows[j];

			qsort(r->seats, r->n, sizeof *r->seats, seat_cmp);
			if (r->n > 0 && r->seats[0].number < sec->lo)
				sec->lo = r->seats[0].number;
			if (r->n > 0 && r->seats[r->n - 1].number > sec->hi)
				sec->hi = r->seats[r->n - 1].number;
		}
		if (sec->lo > sec->hi)
			sec->lo = sec->hi = 0;
	}
}

void
bo_map_free(struct bo_map *m)
{
	size_t i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->nsections; i++) {
		for (j = 0; j < m->sections[i].nrows; j++)
			free(m->sections[i].rows[j].seats);
		free(m->sections[i].rows);
	}
	free(m->sections);
	free(m->tiers);
	free(m);
}

struct bo_seat *
bo_map_seat(const struct bo_map *m, uint32_t id, size_t *secp)
{
	size_t i, j, k;

	for (i = 0; m != NULL && i < m->nsections; i++) {
		for (j = 0; j < m->sections[i].nrows; j++) {
			struct bo_row *r = &m->sections[i].rows[j];

			for (k = 0; k < r->n; k++) {
				if (r->seats[k].id == id) {
					if (secp != NULL)
						*secp = i;
					return &r->seats[k];
				}
			}
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ layout and status */

void
bo_layout(int w, int h, struct bo_layout *l)
{
	memset(l, 0, sizeof *l);
	l->map_x = 0;
	l->map_y = 2;
	l->cart_w = w >= 60 ? CART_PANEL : 0;
	l->map_w = w - l->cart_w;
	l->cart_x = l->map_w;
	l->map_h = h - 4;
	if (l->map_h < 1)
		l->map_h = 1;
	l->hint_y = h - 2;
	l->status_y = h - 1;
}

void
bo_state_init(struct bo_state *s, const char *name)
{
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name != NULL ? name : "");
	s->w = 80;
	s->h = 24;
	s->view = BO_VIEW_EVENTS;
	s->back = BO_VIEW_EVENTS;
}

void
bo_state_free(struct bo_state *s)
{
	free(s->events);
	bo_map_free(s->map);
	cart_free(&s->cart);
	sale_order_free(s->order);
	sale_order_free(s->found);
	free(s->qr);
	free(s->report);
	memset(s, 0, sizeof *s);
}

void
bo_state_message(struct bo_state *s, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->message, sizeof s->message, fmt, ap);
	va_end(ap);
	s->error = error;
}

void
bo_state_status(struct bo_state *s, int online, int waiting, int leased_left, int64_t shift)
{
	s->online = online;
	s->waiting = waiting;
	s->leased_left = leased_left;
	s->shift = shift;
}

void
bo_state_set_events(struct bo_state *s, const struct bo_event_row *rows, size_t n)
{
	free(s->events);
	s->events = n > 0 ? xcalloc(n, sizeof *rows) : NULL;
	if (n > 0)
		memcpy(s->events, rows, n * sizeof *rows);
	s->nevents = n;
	if (s->ev_cursor >= n)
		s->ev_cursor = n > 0 ? n - 1 : 0;
}

/* ------------------------------------------------------------------ seats and the cursor */

static const struct bo_section *
cur_section(const struct bo_state *s)
{
	if (s->map == NULL || s->sec >= s->map->nsections)
		return NULL;
	return &s->map->sections[s->sec];
}

const struct bo_seat *
bo_state_cursor_seat(const struct bo_state *s)
{
	const struct bo_section *sec = cur_section(s);

	if (sec == NULL || sec->ga || s->row >= sec->nrows || s->col >= sec->rows[s->row].n)
		return NULL;
	return &sec->rows[s->row].seats[s->col];
}

enum bo_glyph
bo_state_glyph(const struct bo_state *s, const struct bo_seat *seat)
{
	if (cart_find(&s->cart, seat->id) >= 0)
		return BO_G_MINE;
	if (seat->state == SEAT_SOLD || seat->state == SEAT_ADMITTED || seat->state == SEAT_EXITED)
		return BO_G_SOLD;
	if (seat->tier < 0)
		return BO_G_NOSALE;
	if (seat->held)
		return BO_G_HELD;
	if (seat->leased)
		return BO_G_LEASED;
	return BO_G_FREE;
}

int
bo_state_selectable(const struct bo_state *s, const struct bo_seat *seat)
{
	enum bo_glyph g = bo_state_glyph(s, seat);

	if (g == BO_G_LEASED)
		return 1;
	return g == BO_G_FREE && s->online;
}

/* Why a seat cannot be picked, for the message line. */
static void
why_not(struct bo_state *s, const struct bo_seat *seat)
{
	switch (bo_state_glyph(s, seat)) {
	case BO_G_SOLD:
		bo_state_message(s, 1, "%s is sold", seat->label);
		break;
	case BO_G_NOSALE:
		bo_state_message(s, 1, "%s is not for sale at this event", seat->label);
		break;
	case BO_G_HELD:
		bo_state_message(s, 1, "%s is held or leased by another box office", seat->label);
		break;
	default:
		bo_state_message(s, 1, "%s is not leased to this box office; offline it can sell "
		    "only its leased seats", seat->label);
		break;
	}
}

/* How many seat columns and rows the map area shows. */
static void
map_view(const struct bo_state *s, int *cols, int *rows)
{
	struct bo_layout l;

	bo_layout(s->w, s->h, &l);
	*cols = (l.map_w - ROW_LABEL) / 2;
	if (*cols < 1)
		*cols = 1;
	*rows = l.map_h;
}

/* Scroll so that the cursor shows. */
static void
scroll_to_cursor(struct bo_state *s)
{
	const struct bo_section *sec = cur_section(s);
	const struct bo_seat *seat = bo_state_cursor_seat(s);
	int cols, rows, c;

	map_view(s, &cols, &rows);
	if (sec == NULL || seat == NULL) {
		s->top = s->left = 0;
		return;
	}
	if ((int)s->row < s->top)
		s->top = (int)s->row;
	if ((int)s->row >= s->top + rows)
		s->top = (int)s->row - rows + 1;
	c = (int)(seat->number - sec->lo);
	if (c < s->left)
		s->left = c;
	if (c >= s->left + cols)
		s->left = c - cols + 1;
	if ((int)(sec->hi - sec->lo) + 1 <= cols)
		s->left = 0;
}

/* Put the cursor on the seat of row r nearest to number. */
static void
cursor_near(struct bo_state *s, size_t r, uint32_t number)
{
	const struct bo_section *sec = cur_section(s);
	const struct bo_row *row;
	uint32_t best = UINT32_MAX, d;
	size_t i;

	if (sec == NULL || r >= sec->nrows)
		return;
	row = &sec->rows[r];
	s->row = r;
	s->col = 0;
	for (i = 0; i < row->n; i++) {
		d = row->seats[i].number > number ? row->seats[i].number - number :
		    number - row->seats[i].number;
		if (d < best) {
			best = d;
			s->col = i;
		}
	}
}

static void
section_enter(struct bo_state *s, size_t sec)
{
	const struct bo_section *x;

	s->sec = sec;
	s->top = s->left = 0;
	x = cur_section(s);
	if (x == NULL || x->nrows == 0) {
		s->row = s->col = 0;
		return;
	}
	if (x->rows[0].n > 0)
		cursor_near(s, 0, (x->rows[0].seats[0].number +
		    x->rows[0].seats[x->rows[0].n - 1].number) / 2);
	scroll_to_cursor(s);
}

void
bo_state_resize(struct bo_state *s, int w, int h)
{
	s->w = w;
	s->h = h;
	scroll_to_cursor(s);
}

int
bo_state_set_map(struct bo_state *s, struct bo_map *m)
{
	int same = s->map != NULL && s->map->event_id == m->event_id;
	size_t i, sec = s->sec;
	struct bo_seat *seat;

	if (!same) {
		bo_map_free(s->map);
		s->map = m;
		cart_free(&s->cart);
		s->cart.event_id = m->event_id;
		section_enter(s, 0);
		s->view = BO_VIEW_MAP;
		return BO_REDRAW;
	}
	/* The same event again (after a sync): keep the cursor, and what we know of holds. */
	for (i = 0; i < s->map->nsections; i++) {
		size_t j, k;

		for (j = 0; j < s->map->sections[i].nrows; j++) {
			struct bo_row *r = &s->map->sections[i].rows[j];

			for (k = 0; k < r->n; k++) {
				if (r->seats[k].held && (seat = bo_map_seat(m, r->seats[k].id, NULL)) !=
				    NULL && seat->state != SEAT_SOLD)
					seat->held = 1;
			}
		}
	}
	bo_map_free(s->map);
	s->map = m;
	if (sec >= m->nsections)
		section_enter(s, 0);
	else {
		const struct bo_section *x = &m->sections[sec];

		if (s->row >= x->nrows)
			s->row = x->nrows > 0 ? x->nrows - 1 : 0;
		if (s->row < x->nrows && s->col >= x->rows[s->row].n)
			s->col = x->rows[s->row].n > 0 ? x->rows[s->row].n - 1 : 0;
		scroll_to_cursor(s);
	}
	return BO_REDRAW;
}

int
bo_state_cart_add(struct bo_state *s, uint32_t id)
{
	struct cart_item it;
	const struct bo_tier *t;
	struct bo_seat *seat = bo_map_seat(s->map, id, NULL);

	if (seat == NULL)
		return 0;
	memset(&it, 0, sizeof it);
	it.seat_id = id;
	snprintf(it.label, sizeof it.label, "%s", seat->label);
	it.tier = (uint8_t)(seat->tier >= 0 ? seat->tier : 0);
	if ((t = bo_map_tier(s->map, seat->tier)) != NULL) {
		snprintf(it.tier_name, sizeof it.tier_name, "%s", t->name);
		it.price = t->price;
	}
	seat->held = 0;
	cart_add(&s->cart, &it);
	return BO_REDRAW;
}

int
bo_state_cart_remove(struct bo_state *s, uint32_t id)
{
	return cart_remove(&s->cart, id) == 0 ? BO_REDRAW : 0;
}

int
bo_state_mark(struct bo_state *s, uint32_t id, int held, int sold)
{
	struct bo_seat *seat = bo_map_seat(s->map, id, NULL);

	cart_remove(&s->cart, id);
	if (seat == NULL)
		return BO_REDRAW;
	if (held)
		seat->held = 1;
	if (sold)
		seat->state = SEAT_SOLD;
	return BO_REDRAW;
}

/* ------------------------------------------------------------------ actions */

static int
act(struct bo_state *s, enum bo_act kind)
{
	memset(&s->action, 0, sizeof s->action);
	s->action.kind = kind;
	s->action.event = s->map != NULL ? s->map->event_id : 0;
	s->action.tendered = -1;
	return BO_REDRAW | BO_ACTION;
}

static void
input_start(struct bo_state *s, enum bo_input_purpose p, const char *prompt)
{
	memset(&s->input, 0, sizeof s->input);
	s->input.purpose = p;
	snprintf(s->input.prompt, sizeof s->input.prompt, "%s", prompt);
}

static void
input_stop(struct bo_state *s)
{
	memset(&s->input, 0, sizeof s->input);
}

/* Release every seat of the cart (the action) and empty it. */
static int
cart_release_all(struct bo_state *s)
{
	size_t i;
	int f;

	if (s->cart.n == 0)
		return BO_REDRAW;
	f = act(s, BO_ACT_RELEASE);
	for (i = 0; i < s->cart.n && i < BO_MAX_PICK; i++)
		s->action.seats[s->action.nseats++] = s->cart.items[i].seat_id;
	cart_clear(&s->cart);
	return f;
}

/* Hold these seats: the action; bo-app.c puts them in the cart when it may. */
static int
hold(struct bo_state *s, const uint32_t *ids, size_t n)
{
	size_t i;
	int f = act(s, BO_ACT_HOLD);

	for (i = 0; i < n && i < BO_MAX_PICK; i++)
		s->action.seats[s->action.nseats++] = ids[i];
	return f;
}

/* The best n adjacent seats of the current section that may be picked now. */
static int
best(struct bo_state *s, size_t want)
{
	const struct bo_section *sec = cur_section(s);
	struct cart_place *p;
	const struct bo_seat **who;
	uint32_t ids[BO_MAX_PICK];
	size_t n = 0, i, j, *out, got;

	if (sec == NULL)
		return BO_REDRAW;
	if (want > BO_MAX_PICK) {
		bo_state_message(s, 1, "at most %d seats at once", BO_MAX_PICK);
		return BO_REDRAW;
	}
	for (i = 0; i < sec->nrows; i++)
		n += sec->rows[i].n;
	p = xcalloc(n + 1, sizeof *p);
	who = xcalloc(n + 1, sizeof *who);
	out = xcalloc(want + 1, sizeof *out);
	n = 0;
	for (i = 0; i < sec->nrows; i++) {
		for (j = 0; j < sec->rows[i].n; j++) {
			who[n] = &sec->rows[i].seats[j];
			p[n].row = (int)i;
			p[n].number = who[n]->number;
			p[n].free = bo_state_selectable(s, who[n]);
			n++;
		}
	}
	got = cart_best_adjacent(p, n, want, out);
	for (i = 0; i < got; i++)
		ids[i] = who[out[i]]->id;
	if (got > 0) {
		/* Show where they are. */
		for (i = 0; i < sec->nrows; i++) {
			for (j = 0; j < sec->rows[i].n; j++) {
				if (&sec->rows[i].seats[j] == who[out[0]]) {
					s->row = i;
					s->col = j;
				}
			}
		}
		scroll_to_cursor(s);
	}
	free(p);
	free(who);
	free(out);
	if (got == 0) {
		bo_state_message(s, 1, "no %zu adjacent %s seats in section %s", want,
		    s->online ? "free" : "leased", sec->name);
		return BO_REDRAW;
	}
	return hold(s, ids, got);
}

/* n places of the current GA area that may be picked now. */
static int
ga_places(struct bo_state *s, size_t want)
{
	const struct bo_section *sec = cur_section(s);
	uint32_t ids[BO_MAX_PICK];
	size_t n = 0, i, j;

	if (sec == NULL)
		return BO_REDRAW;
	if (want > BO_MAX_PICK) {
		bo_state_message(s, 1, "at most %d places at once", BO_MAX_PICK);
		return BO_REDRAW;
	}
	/* Leased places last online (they are kept for offline sale), only they offline. */
	for (j = 0; j < 2 && n < want; j++) {
		for (i = 0; i < sec->rows[0].n && n < want; i++) {
			const struct bo_seat *p = &sec->rows[0].seats[i];

			if (bo_state_selectable(s, p) && (p->leased != 0) == (j == 1))
				ids[n++] = p->id;
		}
	}
	if (n < want) {
		bo_state_message(s, 1, "%s has only %zu %s places", sec->name, n,
		    s->online ? "free" : "leased");
		return BO_REDRAW;
	}
	return hold(s, ids, n);
}

/* Toggle the seat under the cursor. */
static int
toggle(struct bo_state *s)
{
	const struct bo_section *sec = cur_section(s);
	const struct bo_seat *seat;
	int f;

	if (sec != NULL && sec->ga) {
		input_start(s, BO_IN_GA, "How many places?");
		return BO_REDRAW;
	}
	if ((seat = bo_state_cursor_seat(s)) == NULL)
		return 0;
	if (cart_find(&s->cart, seat->id) >= 0) {
		cart_remove(&s->cart, seat->id);
		f = act(s, BO_ACT_RELEASE);
		s->action.seats[s->action.nseats++] = seat->id;
		return f;
	}
	if (!bo_state_selectable(s, seat)) {
		why_not(s, seat);
		return BO_REDRAW;
	}
	return hold(s, &seat->id, 1);
}

static void
move(struct bo_state *s, int dx, int dy)
{
	const struct bo_section *sec = cur_section(s);
	const struct bo_seat *seat = bo_state_cursor_seat(s);
	long r;

	if (sec == NULL || sec->ga || seat == NULL)
		return;
	if (dx < 0 && s->col > 0)
		s->col--;
	if (dx > 0 && s->col + 1 < sec->rows[s->row].n)
		s->col++;
	if (dy != 0) {
		r = (long)s->row + dy;
		if (r < 0)
			r = 0;
		if (r >= (long)sec->nrows)
			r = (long)sec->nrows - 1;
		cursor_near(s, (size_t)r, seat->number);
	}
	scroll_to_cursor(s);
}

/* Keys every view but an input field understands. */
static int
global_key(struct bo_state *s, int key)
{
	switch (key) {
	case '?':
	case BO_KEY_F1:
		if (s->view != BO_VIEW_HELP)
			s->back = s->view;
		s->view = BO_VIEW_HELP;
		return BO_REDRAW;
	case 'o':
		if (s->view != BO_VIEW_ORDERS)
			s->back = s->view == BO_VIEW_MAP ? BO_VIEW_MAP : BO_VIEW_EVENTS;
		s->view = BO_VIEW_ORDERS;
		input_start(s, BO_IN_ORDER, "Order number or seat:");
		return BO_REDRAW;
	case 's':
		if (s->view != BO_VIEW_SHIFT)
			s->back = s->view == BO_VIEW_MAP ? BO_VIEW_MAP : BO_VIEW_EVENTS;
		s->view = BO_VIEW_SHIFT;
		return act(s, BO_ACT_SHIFT_REPORT);
	case 18:                                /* ^R */
		bo_state_message(s, 0, "syncing...");
		return act(s, BO_ACT_SYNC);
	}
	return 0;
}

static int
events_key(struct bo_state *s, int key)
{
	int f;

	switch (key) {
	case BO_KEY_UP:
	case 'k':
		if (s->ev_cursor > 0)
			s->ev_cursor--;
		return BO_REDRAW;
	case BO_KEY_DOWN:
	case 'j':
		if (s->ev_cursor + 1 < s->nevents)
			s->ev_cursor++;
		return BO_REDRAW;
	case BO_KEY_ENTER:
	case '\r':
	case ' ':
		if (s->nevents == 0) {
			bo_state_message(s, 1, "no events yet: sync (^R) when the server is up");
			return BO_REDRAW;
		}
		f = act(s, BO_ACT_OPEN_EVENT);
		s->action.event = s->events[s->ev_cursor].id;
		return f;
	case 'q':
		return act(s, BO_ACT_QUIT) | BO_QUIT;
	}
	return global_key(s, key);
}

static int
map_key(struct bo_state *s, int key)
{
	const struct bo_section *sec = cur_section(s);
	size_t i;
	int f;

	switch (key) {
	case BO_KEY_LEFT:
	case 'h':
		move(s, -1, 0);
		return BO_REDRAW;
	case BO_KEY_RIGHT:
	case 'l':
		move(s, 1, 0);
		return BO_REDRAW;
	case BO_KEY_UP:
	case 'k':
		move(s, 0, -1);
		return BO_REDRAW;
	case BO_KEY_DOWN:
	case 'j':
		move(s, 0, 1);
		return BO_REDRAW;
	case BO_KEY_PGUP:
		move(s, 0, -10);
		return BO_REDRAW;
	case BO_KEY_PGDN:
		move(s, 0, 10);
		return BO_REDRAW;
	case BO_KEY_TAB:
		if (s->map != NULL && s->map->nsections > 0)
			section_enter(s, (s->sec + 1) % s->map->nsections);
		return BO_REDRAW;
	case BO_KEY_BTAB:
		if (s->map != NULL && s->map->nsections > 0)
			section_enter(s, (s->sec + s->map->nsections - 1) % s->map->nsections);
		return BO_REDRAW;
	case ' ':
		return toggle(s);
	case 'b':
		input_start(s, sec != NULL && sec->ga ? BO_IN_GA : BO_IN_BEST, sec != NULL &&
		    sec->ga ? "How many places?" : "Best how many adjacent seats?");
		return BO_REDRAW;
	case '-':
		/* One GA place of this area out of the cart. */
		for (i = s->cart.n; sec != NULL && sec->ga && i > 0; i--) {
			size_t x;

			if (bo_map_seat(s->map, s->cart.items[i - 1].seat_id, &x) != NULL &&
			    x == s->sec) {
				f = act(s, BO_ACT_RELEASE);
				s->action.seats[s->action.nseats++] = s->cart.items[i - 1].seat_id;
				cart_remove(&s->cart, s->cart.items[i - 1].seat_id);
				return f;
			}
		}
		return 0;
	case 'x':
		return cart_release_all(s);
	case 'g':
		input_start(s, BO_IN_SECTION, "Go to section:");
		return BO_REDRAW;
	case BO_KEY_ENTER:
	case '\r':
	case 'p':
		if (s->cart.n == 0) {
			bo_state_message(s, 1, "the cart is empty: pick seats with space (or b)");
			return BO_REDRAW;
		}
		s->view = BO_VIEW_CHECKOUT;
		s->pay[0] = '\0';
		return BO_REDRAW;
	case BO_KEY_ESC:
	case 'e':
		if (s->cart.n > 0) {
			bo_state_message(s, 1, "the cart holds seats: pay (Enter) or empty it (x) "
			    "first");
			return BO_REDRAW;
		}
		s->view = BO_VIEW_EVENTS;
		return BO_REDRAW;
	case 'q':
		f = act(s, BO_ACT_QUIT) | BO_QUIT;
		for (i = 0; i < s->cart.n && i < BO_MAX_PICK; i++)
			s->action.seats[s->action.nseats++] = s->cart.items[i].seat_id;
		return f;
	}
	return global_key(s, key);
}

static int
checkout_key(struct bo_state *s, int key)
{
	switch (key) {
	case 'c':
	case '1':
		snprintf(s->pay, sizeof s->pay, "cash");
		input_start(s, BO_IN_TENDERED, "Cash tendered (Enter: exact):");
		return BO_REDRAW;
	case 'd':
	case '2':
		snprintf(s->pay, sizeof s->pay, "card");
		input_start(s, BO_IN_CARD, "Card slip reference:");
		return BO_REDRAW;
	case 'f':
	case '3':
		snprintf(s->pay, sizeof s->pay, "comp");
		input_start(s, BO_IN_COMP, "Free ticket (comp) - the reason:");
		return BO_REDRAW;
	case BO_KEY_ESC:
	case 'q':
		s->view = BO_VIEW_MAP;
		return BO_REDRAW;
	}
	return 0;
}

static void
ticket_qr(struct bo_state *s)
{
	struct qr *q = NULL;
	char *cause = NULL;

	free(s->qr);
	s->qr = NULL;
	if (s->order == NULL || s->ticket >= s->order->n)
		return;
	if (qr_encode(s->order->tickets[s->ticket].qr, &q, &cause) != 0) {
		bo_state_message(s, 1, "cannot draw the QR code: %s", cause);
		free(cause);
		return;
	}
	s->qr = qr_render_text(q);
	qr_free(q);
}

static int
tickets_key(struct bo_state *s, int key)
{
	int f;

	switch (key) {
	case BO_KEY_RIGHT:
	case BO_KEY_DOWN:
	case 'n':
	case 'l':
	case 'j':
	case ' ':
	case BO_KEY_TAB:
		if (s->order != NULL && s->ticket + 1 < s->order->n) {
			s->ticket++;
			ticket_qr(s);
		}
		return BO_REDRAW;
	case BO_KEY_LEFT:
	case BO_KEY_UP:
	case 'p':
	case 'h':
	case 'k':
	case BO_KEY_BTAB:
		if (s->ticket > 0) {
			s->ticket--;
			ticket_qr(s);
		}
		return BO_REDRAW;
	case 'r':
		if (s->order == NULL)
			return 0;
		f = act(s, BO_ACT_REPRINT);
		s->action.order = s->order->id;
		return f;
	case BO_KEY_ENTER:
	case '\r':
	case BO_KEY_ESC:
	case 'q':
		s->view = s->after_tickets;
		return BO_REDRAW;
	}
	return global_key(s, key);
}

static const struct sale_ticket *
found_ticket(const struct bo_state *s)
{
	if (s->found == NULL || s->found_cursor >= s->found->n)
		return NULL;
	return &s->found->tickets[s->found_cursor];
}

static int
orders_key(struct bo_state *s, int key)
{
	const struct sale_ticket *t = found_ticket(s);
	char prompt[80], money[CART_MONEY_LEN];
	int f;

	switch (key) {
	case BO_KEY_UP:
	case 'k':
		if (s->found_cursor > 0)
			s->found_cursor--;
		return BO_REDRAW;
	case BO_KEY_DOWN:
	case 'j':
		if (s->found != NULL && s->found_cursor + 1 < s->found->n)
			s->found_cursor++;
		return BO_REDRAW;
	case '/':
		input_start(s, BO_IN_ORDER, "Order number or seat:");
		return BO_REDRAW;
	case 'p':
		if (s->found == NULL)
			return 0;
		f = act(s, BO_ACT_REPRINT);
		s->action.order = s->found->id;
		return f;
	case 'r':
	case 'R':
		if (s->found == NULL || t == NULL)
			return 0;
		if (key == 'r' && t->refunded_at != 0) {
			bo_state_message(s, 1, "%s was refunded already", t->label);
			return BO_REDRAW;
		}
		s->refund_seat = key == 'r' ? t->seat_id : 0;
		if (key == 'r') {
			cart_money_format(t->price, money, sizeof money);
			snprintf(prompt, sizeof prompt, "Refund %.16s (%s)? y/n", t->label, money);
		} else
			snprintf(prompt, sizeof prompt, "Refund all of order %" PRIu32 "? y/n",
			    s->found->id);
		input_start(s, BO_IN_CONFIRM, prompt);
		return BO_REDRAW;
	case BO_KEY_ESC:
	case 'q':
		s->view = s->back;
		return BO_REDRAW;
	}
	return global_key(s, key);
}

static int
shift_key(struct bo_state *s, int key)
{
	switch (key) {
	case 'c':
		if (s->shift == 0) {
			bo_state_message(s, 1, "no shift is open");
			return BO_REDRAW;
		}
		input_start(s, BO_IN_COUNTED, "Cash counted in the drawer:");
		return BO_REDRAW;
	case 'n':
		if (s->shift != 0) {
			bo_state_message(s, 1, "a shift is open already");
			return BO_REDRAW;
		}
		input_start(s, BO_IN_FLOAT, "Opening float (cash in the drawer):");
		return BO_REDRAW;
	case BO_KEY_ESC:
	case 'q':
		s->view = s->back;
		return BO_REDRAW;
	}
	return global_key(s, key);
}

/* Which characters a field takes. */
static int
input_accepts(enum bo_input_purpose p, int key)
{
	switch (p) {
	case BO_IN_BEST:
	case BO_IN_GA:
		return key >= '0' && key <= '9';
	case BO_IN_TENDERED:
	case BO_IN_FLOAT:
	case BO_IN_COUNTED:
		return (key >= '0' && key <= '9') || key == '.';
	case BO_IN_ORDER:
	case BO_IN_SECTION:
		return (key >= '0' && key <= '9') || (key >= 'a' && key <= 'z') ||
		    (key >= 'A' && key <= 'Z') || key == '-' || key == '_';
	case BO_IN_CONFIRM:
		return 0;
	default:
		return key >= 0x20 && key < 0x7f;
	}
}

/* The section named name (any case), else the first whose name starts with it. */
static int
goto_section(struct bo_state *s, const char *name)
{
	size_t i, n = strlen(name);

	if (s->map == NULL || n == 0)
		return BO_REDRAW;
	for (i = 0; i < s->map->nsections; i++) {
		if (strcasecmp(s->map->sections[i].name, name) == 0) {
			section_enter(s, i);
			return BO_REDRAW;
		}
	}
	for (i = 0; i < s->map->nsections; i++) {
		if (strncasecmp(s->map->sections[i].name, name, n) == 0) {
			section_enter(s, i);
			return BO_REDRAW;
		}
	}
	bo_state_message(s, 1, "no section \"%s\" at this venue", name);
	return BO_REDRAW;
}

/* Enter in a field. */
static int
input_done(struct bo_state *s)
{
	struct bo_input in = s->input;
	char *cause = NULL;
	int64_t v = -1, change;
	unsigned long n;
	int f;

	switch (in.purpose) {
	case BO_IN_BEST:
	case BO_IN_GA:
		n = strtoul(in.buf, NULL, 10);
		input_stop(s);
		if (n == 0)
			return BO_REDRAW;
		return in.purpose == BO_IN_BEST ? best(s, n) : ga_places(s, n);
	case BO_IN_TENDERED:
		if (in.len > 0 && cart_money_parse(in.buf, &v, &cause) != 0) {
			bo_state_message(s, 1, "%s", cause);
			free(cause);
			return BO_REDRAW;
		}
		if (v >= 0 && cart_change(cart_total(&s->cart), v, &change, &cause) != 0) {
			bo_state_message(s, 1, "%s", cause);
			free(cause);
			return BO_REDRAW;
		}
		input_stop(s);
		f = act(s, BO_ACT_SELL);
		snprintf(s->action.pay, sizeof s->action.pay, "cash");
		s->action.tendered = v;
		return f;
	case BO_IN_CARD:
	case BO_IN_COMP:
		if (in.purpose == BO_IN_COMP && in.len == 0) {
			bo_state_message(s, 1, "a free ticket needs a reason");
			return BO_REDRAW;
		}
		input_stop(s);
		f = act(s, BO_ACT_SELL);
		snprintf(s->action.pay, sizeof s->action.pay, "%s", in.purpose == BO_IN_CARD ?
		    "card" : "comp");
		snprintf(s->action.text, sizeof s->action.text, "%s", in.buf);
		return f;
	case BO_IN_ORDER:
		if (in.len == 0)
			return BO_REDRAW;
		input_stop(s);
		f = act(s, BO_ACT_FIND_ORDER);
		snprintf(s->action.text, sizeof s->action.text, "%s", in.buf);
		return f;
	case BO_IN_SECTION:
		input_stop(s);
		return goto_section(s, in.buf);
	case BO_IN_FLOAT:
	case BO_IN_COUNTED:
		if (cart_money_parse(in.len > 0 ? in.buf : "0", &v, &cause) != 0) {
			bo_state_message(s, 1, "%s", cause);
			free(cause);
			return BO_REDRAW;
		}
		input_stop(s);
		f = act(s, in.purpose == BO_IN_FLOAT ? BO_ACT_SHIFT_OPEN : BO_ACT_SHIFT_CLOSE);
		s->action.amount = v;
		return f;
	default:
		input_stop(s);
		return BO_REDRAW;
	}
}

static int
input_key(struct bo_state *s, int key)
{
	int f;

	if (s->input.purpose == BO_IN_CONFIRM) {
		input_stop(s);
		if (key != 'y' && key != 'Y')
			return BO_REDRAW;
		if (s->found == NULL)
			return BO_REDRAW;
		f = act(s, BO_ACT_REFUND);
		s->action.order = s->found->id;
		s->action.seat = s->refund_seat;
		return f;
	}
	switch (key) {
	case BO_KEY_ESC:
		if (s->input.purpose == BO_IN_TENDERED || s->input.purpose == BO_IN_CARD ||
		    s->input.purpose == BO_IN_COMP)
			s->pay[0] = '\0';
		if (s->input.purpose == BO_IN_ORDER && s->found == NULL)
			s->view = s->back;
		if (s->input.purpose == BO_IN_FLOAT && s->report == NULL)
			s->view = s->back;
		input_stop(s);
		return BO_REDRAW;
	case BO_KEY_ENTER:
	case '\r':
		return input_done(s);
	case BO_KEY_BACKSPACE:
	case 8:
	case BO_KEY_DELETE:
		if (s->input.len > 0)
			s->input.buf[--s->input.len] = '\0';
		return BO_REDRAW;
	}
	if (!input_accepts(s->input.purpose, key) || s->input.len + 1 >= sizeof s->input.buf)
		return 0;
	s->input.buf[s->input.len++] = (char)key;
	s->input.buf[s->input.len] = '\0';
	return BO_REDRAW;
}

int
bo_state_key(struct bo_state *s, int key)
{
	s->message[0] = '\0';
	s->error = 0;
	memset(&s->action, 0, sizeof s->action);
	if (s->input.purpose != BO_IN_NONE)
		return input_key(s, key) | BO_REDRAW;
	switch (s->view) {
	case BO_VIEW_EVENTS:
		return events_key(s, key) | BO_REDRAW;
	case BO_VIEW_MAP:
		return map_key(s, key) | BO_REDRAW;
	case BO_VIEW_CHECKOUT:
		return checkout_key(s, key) | BO_REDRAW;
	case BO_VIEW_TICKETS:
		return tickets_key(s, key) | BO_REDRAW;
	case BO_VIEW_ORDERS:
		return orders_key(s, key) | BO_REDRAW;
	case BO_VIEW_SHIFT:
		return shift_key(s, key) | BO_REDRAW;
	case BO_VIEW_HELP:
		s->view = s->back;
		return BO_REDRAW;
	}
	return 0;
}

/* ------------------------------------------------------------------ results */

int
bo_state_sold(struct bo_state *s, struct sale_order *o)
{
	sale_order_free(s->order);
	s->order = o;
	s->ticket = 0;
	s->after_tickets = BO_VIEW_MAP;
	cart_clear(&s->cart);
	s->pay[0] = '\0';
	s->view = BO_VIEW_TICKETS;
	ticket_qr(s);
	return BO_REDRAW;
}

int
bo_state_show_tickets(struct bo_state *s, struct sale_order *o)
{
	sale_order_free(s->order);
	s->order = o;
	s->ticket = 0;
	s->after_tickets = s->view == BO_VIEW_TICKETS ? s->after_tickets : s->view;
	s->view = BO_VIEW_TICKETS;
	ticket_qr(s);
	return BO_REDRAW;
}

int
bo_state_sale_failed(struct bo_state *s, uint32_t seat, const char *reason, const char *why)
{
	bo_state_message(s, 1, "not sold: %s", why);
	if (seat != 0 && cart_find(&s->cart, seat) >= 0) {
		bo_state_mark(s, seat, reason != NULL && (strcmp(reason, "held") == 0 ||
		    strcmp(reason, "leased") == 0), reason != NULL && strcmp(reason, "sold") == 0);
		s->view = BO_VIEW_MAP;
	}
	s->pay[0] = '\0';
	return BO_REDRAW;
}

int
bo_state_found(struct bo_state *s, struct sale_order *o)
{
	if (o == NULL) {
		input_start(s, BO_IN_ORDER, "Order number or seat:");
		return BO_REDRAW;
	}
	sale_order_free(s->found);
	s->found = o;
	if (s->found_cursor >= o->n)
		s->found_cursor = 0;
	s->view = BO_VIEW_ORDERS;
	return BO_REDRAW;
}

int
bo_state_report(struct bo_state *s, const char *text, int64_t shift)
{
	free(s->report);
	s->report = text != NULL ? xstrdup(text) : NULL;
	s->shift = shift;
	if (s->view == BO_VIEW_SHIFT && text == NULL && shift == 0)
		input_start(s, BO_IN_FLOAT, "Opening float (cash in the drawer):");
	return BO_REDRAW;
}

/* ------------------------------------------------------------------ formatting */

void
bo_format_title(const struct bo_state *s, char *buf, size_t len)
{
	char when[48];

	if (s->map != NULL && s->view != BO_VIEW_EVENTS) {
		timefmt_local(s->map->starts_at, "%a %d %b %Y %H:%M", when, sizeof when);
		snprintf(buf, len, " %s - %s - %s", s->map->event, when, s->map->venue);
	} else
		snprintf(buf, len, " Tessera box office - choose an event");
}

void
bo_format_status(const struct bo_state *s, char *buf, size_t len)
{
	char shift[32];

	if (s->shift != 0)
		snprintf(shift, sizeof shift, "shift %lld", (long long)s->shift);
	else
		snprintf(shift, sizeof shift, "no shift (s)");
	snprintf(buf, len, " %s | %s | %d waiting | %d leased left | %s | ? help", s->name,
	    s->online ? "ONLINE" : "OFFLINE", s->waiting, s->leased_left, shift);
}

void
bo_format_hint(const struct bo_state *s, char *buf, size_t len)
{
	if (s->input.purpose != BO_IN_NONE) {
		snprintf(buf, len, " %s %s_", s->input.prompt, s->input.buf);
		return;
	}
	if (s->message[0] != '\0') {
		snprintf(buf, len, " %s", s->message);
		return;
	}
	switch (s->view) {
	case BO_VIEW_EVENTS:
		snprintf(buf, len, " Up/Down choose  Enter open  o orders  s shift  ^R sync  q quit");
		break;
	case BO_VIEW_MAP:
		snprintf(buf, len, " arrows move  Tab/g section  space pick  b best N  x empty  "
		    "Enter pay");
		break;
	case BO_VIEW_CHECKOUT:
		snprintf(buf, len, " c cash  d card  f free (comp)  Esc back to the seats");
		break;
	case BO_VIEW_TICKETS:
		snprintf(buf, len, " n/p next/previous ticket  r print again  Enter new sale");
		break;
	case BO_VIEW_ORDERS:
		snprintf(buf, len, " Up/Down ticket  p print again  r refund ticket  R refund all  "
		    "/ find  Esc back");
		break;
	case BO_VIEW_SHIFT:
		snprintf(buf, len, s->shift != 0 ? " c close the shift (count the cash)  Esc back" :
		    " n open a new shift  Esc back");
		break;
	case BO_VIEW_HELP:
		snprintf(buf, len, " any key: back");
		break;
	}
}

void
bo_format_tabs(const struct bo_state *s, int width, char *buf, size_t len, int *cur_x,
    int *cur_w)
{
	char all[4096];
	size_t i, off = 0;
	int n, start = 0, x = -1, w = 0, total;

	*cur_x = -1;
	*cur_w = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	all[0] = '\0';
	for (i = 0; s->map != NULL && i < s->map->nsections; i++) {
		n = snprintf(all + off, sizeof all - off, " %s ", s->map->sections[i].name);
		if (n < 0 || (size_t)n >= sizeof all - off)
			break;
		if (i == s->sec) {
			x = (int)off;
			w = n;
		}
		off += (size_t)n;
	}
	total = (int)off;
	if (width < 8)
		width = 8;
	/* Scroll so that the current tab shows, with room for the '<' and '>' marks. */
	if (x >= 0 && x + w > width - 1)
		start = x + w - (width - 1);
	if (start > 0 && x - start < 1)
		start = x - 1;
	if (start < 0)
		start = 0;
	snprintf(buf, len, "%.*s", width, all + start);
	if (start > 0)
		buf[0] = '<';
	if (total - start > width && (size_t)width - 1 < len) {
		buf[width - 1] = '>';
		buf[width] = '\0';
	}
	if (x >= 0) {
		*cur_x = x - start;
		*cur_w = w;
	}
}

void
bo_format_event(const struct bo_state *s, size_t i, char *buf, size_t len)
{
	const struct bo_event_row *e;
	char when[48];

	if (i >= s->nevents) {
		snprintf(buf, len, "%s", "");
		return;
	}
	e = &s->events[i];
	timefmt_local(e->starts_at, "%d %b %Y %H:%M", when, sizeof when);
	snprintf(buf, len, " %-3" PRIu32 " %-24.24s %-17s %-14.14s %5d %6d", e->id, e->name, when,
	    e->venue, e->sold, e->leased);
}

/* The seat of row r numbered number, or NULL (a gap): rows are sorted by number. */
static const struct bo_seat *
row_seat(const struct bo_row *r, uint32_t number, size_t *index)
{
	size_t lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->seats[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->n && r->seats[lo].number == number) {
		if (index != NULL)
			*index = lo;
		return &r->seats[lo];
	}
	return NULL;
}

int
bo_format_map_line(const struct bo_state *s, int y, int width, char *glyphs, uint8_t *cls,
    int *cursor_x)
{
	const struct bo_section *sec = cur_section(s);
	const struct bo_seat *seat;
	const struct bo_row *r;
	char label[16];
	size_t row, idx;
	int x, c, cols, n;

	*cursor_x = -1;
	memset(glyphs, ' ', (size_t)width);
	glyphs[width] = '\0';
	memset(cls, BO_G_NGLYPHS, (size_t)width + 1);
	if (sec == NULL || sec->ga || y < 0)
		return -1;
	row = (size_t)s->top + (size_t)y;
	if (row >= sec->nrows)
		return -1;
	r = &sec->rows[row];
	n = snprintf(label, sizeof label, "%3.3s", r->name);
	for (x = 0; x < n && x < width; x++)
		glyphs[x] = label[x];
	cols = (width - ROW_LABEL) / 2;
	for (c = 0; c < cols; c++) {
		uint64_t number = (uint64_t)sec->lo + (uint64_t)s->left + (uint64_t)c;

		if (number > sec->hi)
			break;
		x = ROW_LABEL + 2 * c;
		if ((seat = row_seat(r, (uint32_t)number, &idx)) == NULL)
			continue;
		glyphs[x] = bo_glyph_char(bo_state_glyph(s, seat));
		cls[x] = (uint8_t)bo_state_glyph(s, seat);
		if (row == s->row && idx == s->col) {
			*cursor_x = x;
			glyphs[x - 1] = '[';
			glyphs[x + 1] = ']';
		}
	}
	/* Seats cut off to the left or the right of the window. */
	if (s->left > 0 && r->n > 0 && r->seats[0].number < sec->lo + (uint32_t)s->left &&
	    glyphs[ROW_LABEL - 1] == ' ')
		glyphs[ROW_LABEL - 1] = '<';
	if (r->n > 0 && (uint64_t)r->seats[r->n - 1].number >= (uint64_t)sec->lo +
	    (uint64_t)s->left + (uint64_t)cols && ROW_LABEL + 2 * cols - 1 < width &&
	    glyphs[ROW_LABEL + 2 * cols - 1] == ' ')
		glyphs[ROW_LABEL + 2 * cols - 1] = '>';
	return 0;
}

int
bo_format_cart_line(const struct bo_state *s, int y, int width, char *buf, size_t len)
{
	char money[CART_MONEY_LEN];
	int n = (int)s->cart.n, legend, i, w = width - 2;
	const struct cart_item *it;
	struct bo_layout l;

	bo_layout(s->w, s->h, &l);
	if (w < 10)
		w = 10;
	legend = l.map_h - 4;           /* the legend takes the panel's last 4 lines */
	if (y >= legend && y < legend + 4) {
		static const enum bo_glyph order[] = { BO_G_FREE, BO_G_MINE, BO_G_LEASED,
		    BO_G_HELD, BO_G_SOLD, BO_G_NOSALE };

		i = (y - legend) * 2;
		if (i >= 6) {
			snprintf(buf, len, " [o] the cursor");
			return 0;
		}
		snprintf(buf, len, " %c %-12s %c %s", bo_glyph_char(order[i]),
		    bo_glyph_name(order[i]), bo_glyph_char(order[i + 1]),
		    bo_glyph_name(order[i + 1]));
		return 0;
	}
	if (y == 0) {
		snprintf(buf, len, " Cart%*d seat%s", w - 10, n, n == 1 ? " " : "s");
		return 0;
	}
	if (y - 1 < n && y < legend - 2) {
		/* Too many to list: the last line says how many more. */
		if (y == legend - 3 && n > legend - 3) {
			snprintf(buf, len, " ... and %d more", n - (y - 1));
			return 0;
		}
		it = &s->cart.items[y - 1];
		cart_money_format(it->price, money, sizeof money);
		snprintf(buf, len, " %-11.11s %-7.7s%*s", it->label, it->tier_name, w - 20, money);
		return 0;
	}
	if (y == (n < legend - 3 ? n : legend - 3) + 1) {
		cart_money_format(cart_total(&s->cart), money, sizeof money);
		snprintf(buf, len, " Total %-3s%*s", s->map != NULL ? s->map->currency : "",
		    w - 11, money);
		return 0;
	}
	if (y < legend + 4) {
		snprintf(buf, len, "%s", "");
		return 0;
	}
	return -1;
}

int
bo_format_checkout_line(const struct bo_state *s, int y, char *buf, size_t len)
{
	char money[CART_MONEY_LEN], b[CART_MONEY_LEN];
	int n = (int)s->cart.n;
	int64_t v, change;
	const char *cur = s->map != NULL ? s->map->currency : "";

	if (y == 0) {
		snprintf(buf, len, " Checkout: %d ticket%s", n, n == 1 ? "" : "s");
		return 0;
	}
	if (y == 1) {
		snprintf(buf, len, "%s", "");
		return 0;
	}
	if (y - 2 < n) {
		const struct cart_item *it = &s->cart.items[y - 2];

		cart_money_format(it->price, money, sizeof money);
		snprintf(buf, len, "   %-14.14s %-12.12s %12s", it->label, it->tier_name, money);
		return 0;
	}
	y -= n + 2;
	cart_money_format(cart_total(&s->cart), money, sizeof money);
	switch (y) {
	case 0:
		snprintf(buf, len, "   %-27s %12s %s", "Total", money, cur);
		return 0;
	case 1:
		snprintf(buf, len, "%s", "");
		return 0;
	case 2:
		if (s->pay[0] == '\0')
			snprintf(buf, len, "   Pay by:  [c] cash   [d] card   [f] free (comp)");
		else
			snprintf(buf, len, "   Paying by %s", s->pay);
		return 0;
	case 3:
		if (s->input.purpose != BO_IN_TENDERED) {
			snprintf(buf, len, "%s", "");
			return 0;
		}
		if (s->input.len == 0) {
			snprintf(buf, len, "   Tendered: exact amount (%s %s)", money, cur);
			return 0;
		}
		if (cart_money_parse(s->input.buf, &v, NULL) != 0) {
			snprintf(buf, len, "   Tendered: ?");
			return 0;
		}
		if (cart_change(cart_total(&s->cart), v, &change, NULL) != 0) {
			cart_money_format(cart_total(&s->cart) - v, b, sizeof b);
			snprintf(buf, len, "   Short by %s %s", b, cur);
			return 0;
		}
		cart_money_format(change, b, sizeof b);
		snprintf(buf, len, "   CHANGE DUE: %s %s", b, cur);
		return 0;
	}
	return -1;
}

int
bo_format_ticket_line(const struct bo_state *s, int y, char *buf, size_t len)
{
	const struct sale_order *o = s->order;
	const struct sale_ticket *t;
	char money[CART_MONEY_LEN], when[48];

	if (o == NULL || s->ticket >= o->n)
		return -1;
	t = &o->tickets[s->ticket];
	switch (y) {
	case 0:
		snprintf(buf, len, "Order %" PRIu32 "  %s%s", o->id, o->pay,
		    o->online == 0 ? "  (offline)" : "");
		return 0;
	case 1:
		snprintf(buf, len, "Ticket %zu of %zu%s", s->ticket + 1, o->n,
		    t->refunded_at != 0 ? "  REFUNDED" : "");
		return 0;
	case 3:
		snprintf(buf, len, "%s", o->event.name);
		return 0;
	case 4:
		timefmt_local(o->event.starts_at, "%a %d %b %Y %H:%M", when, sizeof when);
		snprintf(buf, len, "%s", when);
		return 0;
	case 5:
		snprintf(buf, len, "%s", o->event.venue);
		return 0;
	case 7:
		snprintf(buf, len, "SEAT %s", t->label);
		return 0;
	case 8:
		cart_money_format(t->price, money, sizeof money);
		snprintf(buf, len, "%s  %s %s", t->tier_name, money, o->event.currency);
		return 0;
	case 9:
		snprintf(buf, len, "ticket no. %" PRIu32, t->serial);
		return 0;
	case 11:
		cart_money_format(o->total, money, sizeof money);
		snprintf(buf, len, "Total     %s %s", money, o->event.currency);
		return 0;
	case 12:
		if (o->tendered < 0)
			break;
		cart_money_format(o->tendered, money, sizeof money);
		snprintf(buf, len, "Tendered  %s", money);
		return 0;
	case 13:
		if (o->tendered < 0)
			break;
		cart_money_format(o->change, money, sizeof money);
		snprintf(buf, len, "CHANGE DUE %s %s", money, o->event.currency);
		return 0;
	default:
		if (y > 14)
			return -1;
		break;
	}
	snprintf(buf, len, "%s", "");
	return 0;
}

int
bo_format_order_line(const struct bo_state *s, int y, char *buf, size_t len, int *selected)
{
	const struct sale_order *o = s->found;
	char money[CART_MONEY_LEN], when[48];
	size_t i;

	*selected = 0;
	if (o == NULL)
		return y == 0 ? (snprintf(buf, len, " Find an order by its number or a seat "
		    "(A-1-5)."), 0) : -1;
	if (y == 0) {
		cart_money_format(o->total, money, sizeof money);
		timefmt_local(o->created_at, NULL, when, sizeof when);
		snprintf(buf, len, " Order %" PRIu32 "  %s  %s %s  sold %s", o->id, o->pay, money,
		    o->event.currency, when);
		return 0;
	}
	if (y == 1) {
		timefmt_local(o->event.starts_at, "%a %d %b %Y %H:%M", when, sizeof when);
		snprintf(buf, len, " %s - %s%s%s", o->event.name, when, o->reference[0] == '\0' ?
		    "" : strcmp(o->pay, "comp") == 0 ? " - reason: " : " - ref. ", o->reference);
		return 0;
	}
	if (y == 2) {
		snprintf(buf, len, "%s", "");
		return 0;
	}
	i = (size_t)(y - 3);
	if (i >= o->n)
		return -1;
	cart_money_format(o->tickets[i].price, money, sizeof money);
	snprintf(buf, len, " %c %-14.14s %-12.12s %10s   ticket %-8" PRIu32 " %s",
	    i == s->found_cursor ? '>' : ' ', o->tickets[i].label, o->tickets[i].tier_name,
	    money, o->tickets[i].serial, o->tickets[i].refunded_at != 0 ? "REFUNDED" : "");
	*selected = i == s->found_cursor;
	return 0;
}

int
bo_format_help_line(int y, char *buf, size_t len)
{
	static const char *const lines[] = {
		" Tessera box office - keys",
		"",
		" Events     Up/Down choose, Enter open",
		" Seat map   arrows or h j k l move, PgUp/PgDn, Tab / Shift-Tab next section",
		"            space pick or drop the seat (a GA area: how many places)",
		"            b the best N adjacent seats, - one GA place less, x empty the cart",
		"            g go to a section by name, Enter pay, Esc back to the events",
		" Checkout   c cash (type the amount tendered: the change shows), d card,",
		"            f free (comp, give the reason), Esc back",
		" Tickets    n / p next and previous, r print again, Enter the next sale",
		" Orders     o find by number or seat, p print again, r refund the ticket,",
		"            R refund the whole order (the old QR codes stop working)",
		" Shift      s the shift: open with a float, c close with the counted cash",
		" Anywhere   ^R sync now, ? this help, q quit",
		"",
		" Glyphs: o free  @ yours  L leased here (sold offline too)  h held elsewhere",
		"         x sold  - not for sale.  Offline only leased seats can be picked.",
	};

	if (y < 0 || (size_t)y >= nitems(lines))
		return -1;
	snprintf(buf, len, "%s", lines[y]);
	return 0;
}
