/*
 * test_gate.c: the gate's decision (gate_decide: every reason code from inputs made for it, and
 * their order) and gate_check on real replicas against the real server in this process: online
 * compare-and-swap, refusal naming the gate, offline fallback and upload, exit mode, manual
 * entry, refunds, revocation, the scan log and the counters.
 *
 * With arguments it is a helper for tests/t20-scanner.sh instead (no cmocka):
 *   test_gate sign KEYFILE KEY_ID EVENT SEAT SERIAL GENERATION TIER ISSUED_AT
 *       prints the QR text of that ticket signed with the key pair in KEYFILE
 *   test_gate png TEXT FILE
 *       writes TEXT as a QR code PNG with the QR module (qr_write_png)
 */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "device.h"
#include "gate.h"
#include "proto.h"
#include "keys.h"
#include "qr.h"
#include "server.h"
#include "store.h"
#include "ticket.h"
#include "timefmt.h"
#include "venue.h"
#include "xmalloc.h"

/* ---- gate_decide over plain data ------------------------------------------------------- */

struct fixture {
	struct ticket     t;
	struct gate_event ev;
	struct gate_event other;
	struct gate_seat  seat;
	struct seat_rec   rec;
	struct gate_input in;
};

static const int64_t NOW = 1790000000;      /* 2026-09-21, a fixed clock */

/* A sold ticket for seat A-1-7 of event 10, doors open, show in an hour: admitted. */
static void
fixture(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	f->t.version = TICKET_VERSION;
	f->t.key_id = 7;
	f->t.event_id = 10;
	f->t.seat_id = 100;
	f->t.serial = 5;
	f->t.generation = 1;
	f->t.tier = 0;
	f->t.issued_at = NOW - 86400;
	f->ev.id = 10;
	f->ev.name = "Evening Show";
	f->ev.starts_at = NOW + 3600;
	f->ev.doors_at = NOW - 1800;
	f->other.id = 11;
	f->other.name = "Matinee";
	f->other.starts_at = NOW - 7200;
	f->other.doors_at = NOW - 9000;
	f->seat.id = 100;
	f->seat.section = "A";
	f->seat.row = "1";
	f->seat.number = 7;
	seat_rec_init(&f->rec, 10, 100);
	f->rec.state = SEAT_SOLD;
	f->rec.generation = 1;
	f->rec.key_id = 7;
	f->rec.serial = 5;
	f->rec.sold_at = NOW - 86400;
	f->in.verify = TICKET_OK;
	f->in.ticket = &f->t;
	f->in.gate_id = 20;
	f->in.event = &f->ev;
	f->in.seat = &f->seat;
	f->in.tier = "Stalls";
	f->in.rec = &f->rec;
	f->in.sections = "";
	f->in.mode = GATE_ENTRY;
	gate_window_default(&f->in.window);
	f->in.now = NOW;
}

static struct gate_verdict
decide(struct fixture *f)
{
	struct gate_verdict v;

	memset(&v, 0x5a, sizeof v);
	gate_decide(&f->in, &v);
	assert_true(strlen(v.text) > 10);
	assert_int_equal(v.route, GATE_ROUTE_NONE);
	assert_int_equal(v.at, NOW);
	return v;
}

#define expect_reason(f, r) do {						\
	struct gate_verdict v_ = decide(f);					\
	if (v_.reason != (r))							\
		fail_msg("got %s (%s), want %s", gate_reason_code(v_.reason),	\
		    v_.text, gate_reason_code(r));				\
	assert_int_equal(v_.admit, (r) == GATE_ADMITTED || (r) == GATE_EXITED);	\
} while (0)

static void
test_codes(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < GATE_NREASONS; i++) {
		assert_int_equal(gate_reason_parse(gate_reason_code(i)), i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(gate_reason_code(i), gate_reason_code(j));
	}
	assert_string_equal(gate_reason_code(GATE_NREASONS), "unknown");
	assert_int_equal(gate_reason_parse("nope"), -1);
	assert_int_equal(gate_reason_parse(NULL), -1);
	assert_string_equal(gate_mode_name(GATE_EXIT), "exit");
	assert_string_equal(gate_route_name(GATE_ROUTE_ONLINE), "online");
	assert_string_equal(gate_route_name(GATE_ROUTE_OFFLINE), "offline");
}

static void
test_admit(void **state)
{
	struct fixture f;
	struct gate_verdict v;
	char words[128];

	(void)state;
	fixture(&f);
	v = decide(&f);
	assert_int_equal(v.admit, 1);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_string_equal(v.label, "A-1-7");
	assert_string_equal(v.section, "A");
	assert_string_equal(v.row, "1");
	assert_string_equal(v.seat, "7");
	assert_string_equal(v.tier, "Stalls");
	assert_int_equal(v.event_id, 10);
	assert_int_equal(v.seat_id, 100);
	gate_seat_words(&v, words, sizeof words);
	assert_string_equal(words, "Section A, row 1, seat 7");

	/* A general-admission place reads as standing. */
	f.seat.section = "FLOOR";
	f.seat.row = "GA";
	f.seat.ga = 1;
	v = decide(&f);
	gate_seat_words(&v, words, sizeof words);
	assert_string_equal(words, "Section FLOOR, standing (place 7)");

	/* The replica has not seen the sale: the signature proves it. */
	fixture(&f);
	f.rec.state = SEAT_AVAILABLE;
	f.rec.key_id = 0;
	f.rec.serial = 0;
	f.rec.generation = 0;
	expect_reason(&f, GATE_ADMITTED);
	f.in.rec = NULL;
	expect_reason(&f, GATE_ADMITTED);

	/* Refunded and sold again: the new generation is good. */
	fixture(&f);
	f.rec.state = SEAT_VOID;
	f.rec.generation = 0;
	expect_reason(&f, GATE_ADMITTED);
	/* A newer generation than the replica's sale (its resale not synced yet). */
	fixture(&f);
	f.rec.generation = 0;
	f.rec.serial = 3;
	expect_reason(&f, GATE_ADMITTED);
}

static void
test_unreadable(void **state)
{
	static const struct {
		enum ticket_error e;
		enum gate_reason  r;
	} map[] = {
		{ TICKET_ENOTTICKET, GATE_NOT_TICKET },
		{ TICKET_EENCODING, GATE_UNREADABLE },
		{ TICKET_EVERSION, GATE_UNREADABLE },
		{ TICKET_ETRUNCATED, GATE_UNREADABLE },
		{ TICKET_ETOOLONG, GATE_UNREADABLE },
		{ TICKET_EUNKNOWNKEY, GATE_UNKNOWN_KEY },
		{ TICKET_EBADSIG, GATE_BAD_SIGNATURE },
		{ TICKET_EREVOKED, GATE_REVOKED },
		{ TICKET_EROLE, GATE_WRONG_ROLE },
		{ TICKET_EVALIDITY, GATE_OUTSIDE_VALIDITY },
	};
	struct fixture f;
	struct gate_verdict v;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(map); i++) {
		fixture(&f);
		f.in.verify = map[i].e;
		f.in.ticket = NULL;             /* nothing of it is believed */
		f.in.event = NULL;
		f.in.seat = NULL;
		v = decide(&f);
		assert_int_equal(v.admit, 0);
		assert_int_equal(v.reason, map[i].r);
		assert_string_equal(v.text, ticket_error_text(map[i].e));
		assert_string_equal(v.label, "");
		assert_int_equal(v.event_id, 0);
		/* In exit mode too. */
		f.in.mode = GATE_EXIT;
		expect_reason(&f, map[i].r);
	}
	/* Manual entry of something that is no seat. */
	fixture(&f);
	f.in.manual = 1;
	f.in.ticket = NULL;
	f.in.verify = TICKET_ENOTTICKET;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_NOT_TICKET);
	assert_non_null(strstr(v.text, "A-12-7"));
}

static void
test_event_and_seat(void **state)
{
	struct fixture f;
	struct gate_verdict v;

	(void)state;
	fixture(&f);
	f.in.event = NULL;
	expect_reason(&f, GATE_WRONG_EVENT);

	/* Known, but this gate admits to the matinee. */
	fixture(&f);
	f.in.gate_event = 11;
	f.in.gate_event_row = &f.other;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_WRONG_EVENT);
	assert_non_null(strstr(v.text, "Evening Show"));
	assert_non_null(strstr(v.text, "Matinee"));
	f.in.gate_event = 10;
	expect_reason(&f, GATE_ADMITTED);

	fixture(&f);
	f.in.seat = NULL;
	expect_reason(&f, GATE_UNKNOWN_SEAT);

	/* Manual entry of a seat nobody bought. */
	fixture(&f);
	f.in.manual = 1;
	f.rec.state = SEAT_AVAILABLE;
	expect_reason(&f, GATE_NOT_SOLD);
	f.rec.state = SEAT_HELD;
	expect_reason(&f, GATE_NOT_SOLD);
	f.rec.state = SEAT_SOLD;
	expect_reason(&f, GATE_ADMITTED);
}

static void
test_void(void **state)
{
	struct fixture f;
	struct gate_verdict v;

	(void)state;
	/* Refunded. */
	fixture(&f);
	f.rec.state = SEAT_VOID;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_VOID);
	assert_non_null(strstr(v.text, "refunded"));
	f.rec.generation = 2;
	expect_reason(&f, GATE_VOID);

	/* An older generation than the replica knows (refunded and resold). */
	fixture(&f);
	f.rec.generation = 2;
	f.rec.serial = 9;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_VOID);
	assert_non_null(strstr(v.text, "newer"));
	f.rec.state = SEAT_ADMITTED;
	f.rec.admitted_at = NOW - 60;
	expect_reason(&f, GATE_VOID);

	/* Same generation, another ticket: a double sale this one lost. */
	fixture(&f);
	f.rec.serial = 6;
	expect_reason(&f, GATE_VOID);
	fixture(&f);
	f.rec.key_id = 8;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_VOID);
	assert_non_null(strstr(v.text, "re-seated"));

	/* Void is checked in exit mode as well. */
	f.in.mode = GATE_EXIT;
	expect_reason(&f, GATE_VOID);
}

static void
test_gate_sections(void **state)
{
	struct fixture f;
	struct gate_verdict v;

	(void)state;
	fixture(&f);
	f.in.sections = "B,C";
	v = decide(&f);
	assert_int_equal(v.reason, GATE_WRONG_GATE);
	assert_non_null(strstr(v.text, "Section A"));
	f.in.right_gates = "North Gate";
	v = decide(&f);
	assert_non_null(strstr(v.text, "North Gate"));
	f.in.sections = "b,a";          /* case does not matter */
	expect_reason(&f, GATE_ADMITTED);
	f.in.sections = "AA,A_1";       /* whole names only */
	expect_reason(&f, GATE_WRONG_GATE);
	f.in.sections = NULL;
	expect_reason(&f, GATE_ADMITTED);
	/* People leave by any gate. */
	f.in.sections = "B";
	f.rec.state = SEAT_ADMITTED;
	f.rec.admitted_at = NOW - 60;
	f.in.mode = GATE_EXIT;
	expect_reason(&f, GATE_EXITED);
}

static void
test_window(void **state)
{
	struct fixture f;
	struct gate_verdict v;
	char want[16];

	(void)state;
	fixture(&f);
	f.ev.doors_at = NOW + 600;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_TOO_EARLY);
	timefmt_local(NOW + 600, "%H:%M", want, sizeof want);
	assert_non_null(strstr(v.text, want));
	/* Admitting 15 minutes before the doors. */
	f.in.window.early = 900;
	expect_reason(&f, GATE_ADMITTED);
	f.ev.doors_at = NOW;                    /* the doors' very second */
	f.in.window.early = 0;
	expect_reason(&f, GATE_ADMITTED);

	fixture(&f);
	f.ev.doors_at = NOW - 8 * 3600;
	f.ev.starts_at = NOW - 6 * 3600 - 1;
	expect_reason(&f, GATE_TOO_LATE);
	f.ev.starts_at = NOW - 6 * 3600;        /* the window's last second */
	expect_reason(&f, GATE_ADMITTED);
	f.ev.starts_at = NOW - 3 * 3600;
	f.in.window.late = 3600;
	expect_reason(&f, GATE_TOO_LATE);

	/* Exit mode ignores the window. */
	f.rec.state = SEAT_ADMITTED;
	f.rec.admitted_at = NOW - 3600;
	f.in.mode = GATE_EXIT;
	expect_reason(&f, GATE_EXITED);
}

static void
test_already_admitted(void **state)
{
	struct fixture f;
	struct gate_verdict v;
	char want[16];

	(void)state;
	fixture(&f);
	f.rec.state = SEAT_ADMITTED;
	f.rec.admitted_by = 3;
	f.rec.admitted_at = NOW - 300;
	f.in.admitted_by = "North Gate 2";
	v = decide(&f);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	timefmt_local(NOW - 300, "%H:%M", want, sizeof want);
	assert_non_null(strstr(v.text, "North Gate 2"));
	assert_non_null(strstr(v.text, want));
	assert_int_equal(v.by, 3);
	assert_int_equal(v.by_at, NOW - 300);
	assert_string_equal(v.label, "A-1-7");

	/* Here: "this gate"; unnamed: "gate 3". */
	f.rec.admitted_by = 20;
	v = decide(&f);
	assert_non_null(strstr(v.text, "this gate"));
	f.rec.admitted_by = 3;
	f.in.admitted_by = NULL;
	v = decide(&f);
	assert_non_null(strstr(v.text, "gate 3"));

	/* Another day: the date is named. */
	f.rec.admitted_at = NOW - 3 * 86400;
	v = decide(&f);
	timefmt_local(NOW - 3 * 86400, "%d %b", want, sizeof want);
	assert_non_null(strstr(v.text, want));

	/* Left, and no re-entry: refused, saying so; with re-entry: welcome back. */
	fixture(&f);
	f.rec.state = SEAT_EXITED;
	f.rec.admitted_by = 3;
	f.rec.admitted_at = NOW - 3600;
	f.rec.exited_at = NOW - 600;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	assert_non_null(strstr(v.text, "no re-entry"));
	f.ev.reentry = 1;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_non_null(strstr(v.text, "back"));
	/* Re-entry never lets an admitted ticket in twice. */
	f.rec.state = SEAT_ADMITTED;
	expect_reason(&f, GATE_ALREADY_ADMITTED);
}

static void
test_exit_mode(void **state)
{
	struct fixture f;
	struct gate_verdict v;

	(void)state;
	fixture(&f);
	f.in.mode = GATE_EXIT;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_NOT_INSIDE);
	assert_int_equal(v.mode, GATE_EXIT);
	f.rec.state = SEAT_ADMITTED;
	f.rec.admitted_at = NOW - 60;
	v = decide(&f);
	assert_int_equal(v.admit, 1);
	assert_int_equal(v.reason, GATE_EXITED);
	assert_non_null(strstr(v.text, "No re-entry"));
	f.ev.reentry = 1;
	v = decide(&f);
	assert_non_null(strstr(v.text, "come back"));
	f.rec.state = SEAT_EXITED;
	f.rec.exited_at = NOW - 30;
	v = decide(&f);
	assert_int_equal(v.reason, GATE_NOT_INSIDE);
	assert_non_null(strstr(v.text, "already scanned out"));
	/* A seat never sold at this generation is not inside. */
	f.rec.state = SEAT_AVAILABLE;
	expect_reason(&f, GATE_NOT_INSIDE);
}

/* Each check comes before the ones after it: break several at once, mend them one by one. */
static void
test_order(void **state)
{
	struct fixture f;

	(void)state;
	fixture(&f);
	f.in.verify = TICKET_EBADSIG;
	f.in.gate_event = 11;
	f.in.gate_event_row = &f.other;
	f.rec.state = SEAT_ADMITTED;
	f.rec.admitted_at = NOW - 10;
	f.rec.generation = 1;
	f.rec.key_id = 7;
	f.rec.serial = 5;
	f.in.sections = "B";
	f.ev.doors_at = NOW + 60;
	f.ev.starts_at = NOW + 120;
	expect_reason(&f, GATE_BAD_SIGNATURE);
	f.in.verify = TICKET_OK;
	expect_reason(&f, GATE_WRONG_EVENT);
	f.in.gate_event = 0;
	f.seat.id = 100;
	f.in.seat = NULL;
	expect_reason(&f, GATE_UNKNOWN_SEAT);
	f.in.seat = &f.seat;
	f.rec.generation = 2;
	expect_reason(&f, GATE_VOID);
	f.rec.generation = 1;
	expect_reason(&f, GATE_WRONG_GATE);
	f.in.sections = "A";
	expect_reason(&f, GATE_TOO_EARLY);
	f.ev.doors_at = NOW - 60;
	expect_reason(&f, GATE_ALREADY_ADMITTED);
	f.rec.state = SEAT_SOLD;
	expect_reason(&f, GATE_ADMITTED);
}

/* ---- gate_check: replicas and the real server ------------------------------------------ */

enum { BO, BO2, GATE1, GATE2, NDEV };

static char            dir[] = "/tmp/tessera-test-gate-XXXXXX";
static char            dbpath[256];
static char            url[64];
static uint16_t        port;
static struct store   *st;
static struct server  *srv;
static struct device  *dev[NDEV];
static uint32_t        event_id, later_event;
static uint32_t        seats[20];      /* A-1-1 .. A-1-10, B-1-1 .. B-1-10 */
static uint32_t        serial = 100;

static void
server_up(void)
{
	struct server_config cfg = { "127.0.0.1", port, NULL, NULL, 0, 0 };
	char *cause = NULL;

	if (server_start(st, &cfg, &srv, &cause) != 0)
		fail_msg("server_start: %s", cause);
	port = server_port(srv);
}

static void
server_down(void)
{
	char *cause = NULL;

	server_stop(srv);
	srv = NULL;
	store_close(st);
	if (store_open(dbpath, &st, &cause) != 0)
		fail_msg("store_open: %s", cause);
}

static uint32_t
seat_id(const char *label)
{
	sqlite3_stmt *s;
	uint32_t id = 0;

	s = db_prepare(store_db(st), "SELECT id FROM seats WHERE label = ?");
	sqlite3_bind_text(s, 1, label, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	assert_true(id != 0);
	return id;
}

static void
sync_ok(int i)
{
	struct sync_report r;
	char *cause = NULL;

	if (device_sync(dev[i], 0, &r, &cause) != 0)
		fail_msg("sync of device %d: %s", i, cause);
}

static int
setup(void **state)
{
	static const char venue_text[] = "venue,Gate Hall\nrow,A,1,1-10\nrow,B,1,1-10\n";
	static const int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_BOXOFFICE, ROLE_GATE, ROLE_GATE };
	static const char *names[NDEV] = { "Box office", "Kiosk", "North Gate", "South Gate" };
	static const char *sections[NDEV] = { NULL, NULL, NULL, "B" };
	struct store_event ev;
	struct store_tier t[2];
	char *a[] = { xstrdup("A"), NULL }, *b[] = { xstrdup("B"), NULL };
	char stalls[] = "Stalls", balcony[] = "Balcony";
	struct keypair *root;
	struct venue *v;
	uint32_t vid, id;
	char *cause = NULL, *code, label[16];
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/central.db", dir);
	if (store_create(dbpath, &root, &cause) != 0 || store_open(dbpath, &st, &cause) != 0)
		fail_msg("store: %s", cause);
	keypair_free(root);
	assert_int_equal(venue_parse(venue_text, sizeof venue_text - 1, "t", &v, &cause), 0);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	ev.venue_id = vid;
	ev.name = "Evening Show";
	ev.starts_at = time(NULL) + 3600;
	ev.doors_at = time(NULL) - 600;
	ev.currency = "EUR";
	t[0].name = stalls;
	t[0].price = 4500;
	t[0].sections = a;
	t[1].name = balcony;
	t[1].price = 2500;
	t[1].sections = b;
	ev.tiers = t;
	ev.ntiers = 2;
	assert_int_equal(store_event_create(st, &ev, &event_id, &cause), 0);
	ev.name = "Tomorrow";
	ev.starts_at = time(NULL) + 86400 + 3600;
	ev.doors_at = time(NULL) + 86400;
	assert_int_equal(store_event_create(st, &ev, &later_event, &cause), 0);
	free(a[0]);
	free(b[0]);
	for (i = 0; i < 20; i++) {
		snprintf(label, sizeof label, "%c-1-%d", i < 10 ? 'A' : 'B', i % 10 + 1);
		seats[i] = seat_id(label);
	}
	server_up();
	snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
	for (i = 0; i < NDEV; i++) {
		char path[300];

		if (store_device_add(st, roles[i], names[i], sections[i], &id, &code, &cause) != 0)
			fail_msg("device add: %s", cause);
		snprintf(path, sizeof path, "%s/dev%d.db", dir, i);
		if (device_enroll(path, url, code, &dev[i], &cause) != 0)
			fail_msg("enroll: %s", cause);
		free(code);
		/* Generous for a loaded test machine; the screen's default is 300 ms. */
		device_set_online_timeout(dev[i], 3000);
	}
	for (i = 0; i < NDEV; i++)
		sync_ok(i);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];
	int i;

	(void)state;
	for (i = 0; i < NDEV; i++)
		device_close(dev[i]);
	if (srv != NULL)
		server_stop(srv);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A ticket for seat signed by box office b (not recorded anywhere: see sell()). */
static char *
ticket(int b, uint32_t event, uint32_t seat, uint32_t ser, uint16_t gen)
{
	struct ticket t;

	memset(&t, 0, sizeof t);
	t.version = TICKET_VERSION;
	t.key_id = device_id(dev[b]);
	t.event_id = event;
	t.seat_id = seat;
	t.serial = ser;
	t.generation = gen;
	t.tier = seat >= seats[10] ? 1 : 0;
	t.issued_at = (uint32_t)time(NULL);
	return ticket_sign(&t, device_keypair(dev[b]));
}

/* Box office b sells seat (offline, then pushes) and returns the ticket's text. */
static char *
sell(int b, uint32_t seat)
{
	struct seat_rec r;
	struct sync_report rep;
	sqlite3 *db = replica_db(device_replica(dev[b]));
	char *cause = NULL;

	assert_int_equal(device_seat(dev[b], event_id, seat, &r, &cause), 0);
	if (r.state == SEAT_VOID)
		r.generation++;
	r.state = SEAT_SOLD;
	r.key_id = device_id(dev[b]);
	r.serial = ++serial;
	r.tier = seat >= seats[10] ? 1 : 0;
	r.price = 4500;
	r.sold_at = time(NULL);
	r.moves = 0;
	r.admitted_by = 0;
	r.admitted_at = 0;
	r.exited_at = 0;
	assert_int_equal(db_begin(db, &cause), 0);
	if (device_change(dev[b], OP_SELL, &r, "cash", 0, r.sold_at, NULL, &cause) != 0)
		fail_msg("sell: %s", cause);
	assert_int_equal(db_commit(db, &cause), 0);
	if (device_push(dev[b], &rep, &cause) != 0)
		fail_msg("push: %s", cause);
	seat_rec_free(&r);
	return ticket(b, event_id, seat, serial, r.generation);
}

static void
refund(int b, uint32_t seat)
{
	struct seat_rec r;
	struct sync_report rep;
	sqlite3 *db = replica_db(device_replica(dev[b]));
	char *cause = NULL;

	assert_int_equal(device_seat(dev[b], event_id, seat, &r, &cause), 0);
	r.state = SEAT_VOID;
	assert_int_equal(db_begin(db, &cause), 0);
	if (device_change(dev[b], OP_REFUND, &r, NULL, 0, device_now(dev[b]), NULL,
	    &cause) != 0)
		fail_msg("refund: %s", cause);
	assert_int_equal(db_commit(db, &cause), 0);
	if (device_push(dev[b], &rep, &cause) != 0)
		fail_msg("push: %s", cause);
	seat_rec_free(&r);
}

static struct gate_verdict
check(int g, const char *text, enum gate_mode mode, int offline)
{
	struct gate_verdict v;
	char *cause = NULL;

	if (gate_check(dev[g], text, mode, offline, &v, &cause) != 0)
		fail_msg("gate_check: %s", cause);
	return v;
}

#define want_check(g, t_, mode, offline, r, route_) do {			\
	struct gate_verdict w_ = check(g, t_, mode, offline);			\
	if (w_.reason != (r))							\
		fail_msg("got %s (%s), want %s", gate_reason_code(w_.reason),	\
		    w_.text, gate_reason_code(r));				\
	assert_int_equal(w_.route, route_);					\
} while (0)

static int
query_int(int d, const char *sql)
{
	sqlite3_stmt *s = db_prepare(replica_db(device_replica(dev[d])), sql);
	int v = -1;

	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char *
query_text(int d, const char *sql)
{
	sqlite3_stmt *s = db_prepare(replica_db(device_replica(dev[d])), sql);
	char *v = NULL;

	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

static void
test_online_then_refused_elsewhere(void **state)
{
	struct gate_verdict v;
	struct seat_rec r;
	char *text = sell(BO, seats[0]), *cause = NULL, *s;
	int before = query_int(GATE1, "SELECT value FROM meta WHERE key = 'next_op_seq'");

	(void)state;
	sync_ok(GATE1);
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.admit, 1);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_int_equal(v.route, GATE_ROUTE_ONLINE);
	assert_string_equal(v.label, "A-1-1");
	assert_string_equal(v.tier, "Stalls");
	/* The server has it: nothing waits in the outbox, but the dot was spent. */
	assert_int_equal(device_waiting(dev[GATE1]), 0);
	assert_int_equal(query_int(GATE1, "SELECT value FROM meta WHERE key = 'next_op_seq'"),
	    before + 1);
	assert_int_equal(device_seat(dev[GATE1], event_id, seats[0], &r, &cause), 0);
	assert_int_equal(r.state, SEAT_ADMITTED);
	assert_int_equal(r.admitted_by, device_id(dev[GATE1]));
	assert_true(vv_get(&r.vv, device_id(dev[GATE1])) == 1);
	seat_rec_free(&r);
	assert_int_equal(query_int(GATE1, "SELECT count(*) FROM scan_log WHERE verdict = 'admit' "
	    "AND reason = 'admitted' AND route = 'online' AND mode = 'entry'"), 1);
	assert_int_equal(query_int(GATE1, "SELECT count(*) FROM admissions WHERE route = "
	    "'online'"), 1);
	s = query_text(GATE1, "SELECT raw FROM scan_log ORDER BY id DESC LIMIT 1");
	assert_string_equal(s, text);
	free(s);

	/* South Gate admits section B only. */
	v = check(GATE2, text, GATE_ENTRY, 0);
	assert_int_equal(v.admit, 0);
	assert_int_equal(v.reason, GATE_WRONG_GATE);

	/* Scanned again here. */
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	assert_non_null(strstr(v.text, "this gate"));
	/* The local decision refused: the server was not asked. */
	assert_int_equal(v.route, GATE_ROUTE_OFFLINE);
	free(text);
}

static void
test_cas_refusal(void **state)
{
	struct gate_verdict v;
	struct seat_rec r;
	char *text = sell(BO, seats[10]), *cause = NULL;    /* B-1-1: both gates admit B */

	(void)state;
	sync_ok(GATE1);
	sync_ok(GATE2);
	v = check(GATE2, text, GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_string_equal(v.tier, "Balcony");
	/* North's replica still says sold: only the server's compare-and-swap knows. */
	assert_int_equal(device_seat(dev[GATE1], event_id, seats[10], &r, &cause), 0);
	assert_int_equal(r.state, SEAT_SOLD);
	seat_rec_free(&r);
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.admit, 0);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	assert_int_equal(v.route, GATE_ROUTE_ONLINE);
	assert_non_null(strstr(v.text, "South Gate"));
	assert_int_equal(v.by, device_id(dev[GATE2]));
	/* And North took the server's record. */
	assert_int_equal(device_seat(dev[GATE1], event_id, seats[10], &r, &cause), 0);
	assert_int_equal(r.state, SEAT_ADMITTED);
	assert_int_equal(r.admitted_by, device_id(dev[GATE2]));
	seat_rec_free(&r);
	assert_int_equal(device_waiting(dev[GATE1]), 0);
	assert_int_equal(query_int(GATE1, "SELECT count(*) FROM scan_log WHERE verdict = 'deny' "
	    "AND reason = 'already-admitted' AND route = 'online'"), 1);
	free(text);
}

static void
test_offline_fallback(void **state)
{
	struct gate_verdict v;
	struct sync_report rep;
	char *text = sell(BO, seats[11]), *cause = NULL;    /* B-1-2 */
	int64_t t0;

	(void)state;
	sync_ok(GATE1);
	sync_ok(GATE2);
	server_down();
	t0 = time(NULL);
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_true(time(NULL) - t0 <= 4);      /* the online timeout, no more */
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_int_equal(v.route, GATE_ROUTE_OFFLINE);
	assert_int_equal(device_waiting(dev[GATE1]), 1);
	assert_int_equal(query_int(GATE1, "SELECT count(*) FROM admissions WHERE route = "
	    "'offline'"), 1);
	/* South, offline too, admits the same ticket: the duplicate that sync will find. */
	v = check(GATE2, text, GATE_ENTRY, 1);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_int_equal(v.route, GATE_ROUTE_OFFLINE);
	server_up();
	memset(&rep, 0, sizeof rep);            /* device_push adds to what is there */
	if (device_push(dev[GATE1], &rep, &cause) != 0)
		fail_msg("push: %s", cause);
	assert_int_equal(rep.pushed, 1);
	assert_int_equal(device_waiting(dev[GATE1]), 0);
	if (device_sync(dev[GATE2], 0, &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_true(rep.conflicts >= 1);
	assert_int_equal(query_int(GATE2, "SELECT count(*) FROM conflicts WHERE kind = "
	    "'duplicate-admission' AND seen = 0"), 1);
	/* Back online, a third scan is refused by the server. */
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	free(text);
}

static void
test_unseen_sale_and_exit(void **state)
{
	struct gate_verdict v;
	struct seat_rec r;
	char *text, *cause = NULL;

	(void)state;
	/* Sold offline at the kiosk and not pushed: the signature is the proof of sale. */
	serial++;
	text = ticket(BO2, event_id, seats[12], serial, 0);
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_int_equal(v.route, GATE_ROUTE_ONLINE);
	assert_int_equal(device_seat(dev[GATE1], event_id, seats[12], &r, &cause), 0);
	assert_int_equal(r.key_id, device_id(dev[BO2]));
	assert_int_equal(r.serial, serial);
	assert_int_equal(r.price, 2500);        /* the tier's price */
	seat_rec_free(&r);

	/* Out and back in: no re-entry at this event. */
	v = check(GATE1, text, GATE_EXIT, 0);
	assert_int_equal(v.admit, 1);
	assert_int_equal(v.reason, GATE_EXITED);
	assert_int_equal(v.route, GATE_ROUTE_ONLINE);
	want_check(GATE1, text, GATE_EXIT, 0, GATE_NOT_INSIDE, GATE_ROUTE_OFFLINE);
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	assert_non_null(strstr(v.text, "no re-entry"));
	assert_int_equal(query_int(GATE1, "SELECT count(*) FROM scan_log WHERE mode = 'exit'"), 2);
	free(text);

	/* Offline exit goes to the outbox. */
	text = sell(BO, seats[13]);
	sync_ok(GATE1);
	want_check(GATE1, text, GATE_ENTRY, 1, GATE_ADMITTED, GATE_ROUTE_OFFLINE);
	want_check(GATE1, text, GATE_EXIT, 1, GATE_EXITED, GATE_ROUTE_OFFLINE);
	assert_int_equal(device_waiting(dev[GATE1]), 2);
	sync_ok(GATE1);
	assert_int_equal(device_waiting(dev[GATE1]), 0);
	free(text);
}

static void
test_refused_tickets_are_logged(void **state)
{
	struct gate_verdict v;
	char *text, *bad, *s;
	size_t n;

	(void)state;
	text = sell(BO, seats[1]);
	sync_ok(GATE1);

	v = check(GATE1, "https://example.com/?q=1", GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_NOT_TICKET);
	s = query_text(GATE1, "SELECT raw || '|' || reason || '|' || coalesce(event_id, 'null') "
	    "FROM scan_log ORDER BY id DESC LIMIT 1");
	assert_string_equal(s, "https://example.com/?q=1|not-a-ticket|null");
	free(s);

	bad = xstrdup(text);
	n = strlen(bad);
	bad[n - 5] = bad[n - 5] == 'A' ? 'B' : 'A';    /* in the signature */
	want_check(GATE1, bad, GATE_ENTRY, 0, GATE_BAD_SIGNATURE, GATE_ROUTE_OFFLINE);
	/* Logged with the ids it claims, for the record; not believed. */
	assert_int_equal(query_int(GATE1, "SELECT seat_id FROM scan_log ORDER BY id DESC LIMIT 1"),
	    (int)seats[1]);
	bad[n - 10] = '\0';
	want_check(GATE1, bad, GATE_ENTRY, 0, GATE_UNREADABLE, GATE_ROUTE_OFFLINE);
	free(bad);

	/* Signed by a gate: not a box office. */
	bad = ticket(GATE2, event_id, seats[1], 1, 0);
	want_check(GATE1, bad, GATE_ENTRY, 0, GATE_WRONG_ROLE, GATE_ROUTE_OFFLINE);
	free(bad);

	/* For tomorrow's show: the gate admits to tonight's. */
	bad = ticket(BO, later_event, seats[1], 999, 0);
	want_check(GATE1, bad, GATE_ENTRY, 0, GATE_WRONG_EVENT, GATE_ROUTE_OFFLINE);
	free(bad);
	/* A seat of no venue. */
	bad = ticket(BO, event_id, 4000000000u, 999, 0);
	want_check(GATE1, bad, GATE_ENTRY, 0, GATE_UNKNOWN_SEAT, GATE_ROUTE_OFFLINE);
	free(bad);
	/* The same seat, another serial: void. */
	bad = ticket(BO, event_id, seats[1], 999, 0);
	want_check(GATE1, bad, GATE_ENTRY, 0, GATE_VOID, GATE_ROUTE_OFFLINE);
	free(bad);

	/* Refunded after the gate synced: the server's compare-and-swap says void. */
	refund(BO, seats[1]);
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_VOID);
	assert_int_equal(v.route, GATE_ROUTE_ONLINE);
	/* And once synced, the replica alone says so too. */
	sync_ok(GATE1);
	want_check(GATE1, text, GATE_ENTRY, 1, GATE_VOID, GATE_ROUTE_OFFLINE);
	free(text);

	/* Every refusal is in the log; no refusal left anything to upload. */
	assert_int_equal(query_int(GATE1, "SELECT count(*) FROM scan_log WHERE verdict = 'deny' "
	    "AND reason IN ('not-a-ticket', 'bad-signature', 'unreadable', 'wrong-role', "
	    "'wrong-event', 'unknown-seat', 'void')"), 9);
	assert_int_equal(device_waiting(dev[GATE1]), 0);
}

static void
test_manual_entry(void **state)
{
	struct gate_config cfg;
	struct gate_verdict v;
	char *text = sell(BO, seats[2]), *cause = NULL;     /* A-1-3 */

	(void)state;
	free(text);
	sync_ok(GATE1);
	gate_config_default(&cfg);
	if (gate_check_config(dev[GATE1], &cfg, "a-1-3", 1, GATE_ENTRY, 0, &v, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_string_equal(v.label, "A-1-3");
	assert_int_equal(gate_check_config(dev[GATE1], &cfg, "A-1-3", 1, GATE_ENTRY, 0, &v,
	    &cause), 0);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	assert_int_equal(gate_check_config(dev[GATE1], &cfg, "A-1-9", 1, GATE_ENTRY, 0, &v,
	    &cause), 0);
	assert_int_equal(v.reason, GATE_NOT_SOLD);
	assert_int_equal(gate_check_config(dev[GATE1], &cfg, "Z-9-9", 1, GATE_ENTRY, 0, &v,
	    &cause), 0);
	assert_int_equal(v.reason, GATE_UNKNOWN_SEAT);
	assert_int_equal(gate_check_config(dev[GATE1], &cfg, "hello", 1, GATE_ENTRY, 0, &v,
	    &cause), 0);
	assert_int_equal(v.reason, GATE_NOT_TICKET);
	/* A ticket's text typed in manual entry is checked as a ticket, signature and all. */
	text = sell(BO, seats[3]);
	sync_ok(GATE1);
	assert_int_equal(gate_check_config(dev[GATE1], &cfg, text, 1, GATE_ENTRY, 0, &v,
	    &cause), 0);
	assert_int_equal(v.reason, GATE_ADMITTED);
	free(text);
	/* A scanned line is never a seat label: a QR code saying "A-1-5" admits nobody. */
	text = sell(BO, seats[4]);
	free(text);
	sync_ok(GATE1);
	want_check(GATE1, "A-1-5", GATE_ENTRY, 0, GATE_NOT_TICKET, GATE_ROUTE_OFFLINE);
}

static void
test_counts_and_event(void **state)
{
	struct gate_counts c;
	struct gate_window w;
	char *cause = NULL, *name = NULL;
	uint32_t e;

	(void)state;
	sync_ok(GATE1);
	assert_int_equal(gate_counts(device_replica(dev[GATE1]), event_id, device_id(dev[GATE1]),
	    &c, &cause), 0);
	assert_int_equal(c.capacity, 20);
	assert_int_equal(c.here, query_int(GATE1, "SELECT count(*) FROM scan_log WHERE verdict = "
	    "'admit' AND mode = 'entry' AND event_id = (SELECT min(id) FROM events)"));
	assert_true(c.here >= 5);
	assert_true(c.all >= c.here - 1);
	assert_true(c.sold >= c.all);
	assert_true(c.inside <= c.all);
	assert_int_equal(c.scans, query_int(GATE1, "SELECT count(*) FROM scan_log"));

	gate_window_default(&w);
	e = gate_current_event(device_replica(dev[GATE1]), &w, time(NULL), &name);
	assert_int_equal(e, event_id);
	assert_string_equal(name, "Evening Show");
	free(name);
	/* Tomorrow, once tonight's window has closed. */
	e = gate_current_event(device_replica(dev[GATE1]), &w, time(NULL) + 3600 + 7 * 3600,
	    NULL);
	assert_int_equal(e, later_event);
	/* Long after everything: the latest. */
	e = gate_current_event(device_replica(dev[GATE1]), &w, time(NULL) + 30 * 86400, NULL);
	assert_int_equal(e, later_event);
}

/* Last: revoking a box office for good. */
static void
test_revoked(void **state)
{
	struct keyring *kr;
	char *text, *cause = NULL;

	(void)state;
	text = ticket(BO2, event_id, seats[5], ++serial, 0);
	assert_int_equal(store_device_revoke(st, device_id(dev[BO2]), &cause), 0);
	sync_ok(GATE1);
	assert_int_equal(gate_keyring(device_replica(dev[GATE1]), &kr, &cause), 0);
	assert_int_equal(keyring_is_revoked(kr, device_id(dev[BO2]), NULL), 1);
	assert_non_null(keyring_find(kr, device_id(dev[BO])));
	keyring_free(kr);
	want_check(GATE1, text, GATE_ENTRY, 0, GATE_REVOKED, GATE_ROUTE_OFFLINE);
	free(text);
}

/* ---- the helper for the shell tests ---------------------------------------------------- */

static int
num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
helper(int argc, char **argv)
{
	struct keypair *kp;
	struct ticket t;
	struct qr *q;
	uint64_t v[7];
	char *cause = NULL, *text;
	static const uint64_t max[7] = { UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX,
	    UINT16_MAX, UINT8_MAX, UINT32_MAX };
	int i;

	keys_init();
	if (argc == 10 && strcmp(argv[1], "sign") == 0) {
		for (i = 0; i < 7; i++) {
			if (num(argv[3 + i], max[i], &v[i]) != 0) {
				fprintf(stderr, "test_gate sign: bad number \"%s\"\n", argv[3 + i]);
				return 2;
			}
		}
		if (keypair_load(argv[2], &kp, &cause) != 0) {
			fprintf(stderr, "test_gate sign: %s\n", cause);
			return 2;
		}
		memset(&t, 0, sizeof t);
		t.version = TICKET_VERSION;
		t.key_id = (uint32_t)v[0];
		t.event_id = (uint32_t)v[1];
		t.seat_id = (uint32_t)v[2];
		t.serial = (uint32_t)v[3];
		t.generation = (uint16_t)v[4];
		t.tier = (uint8_t)v[5];
		t.issued_at = (uint32_t)v[6];
		text = ticket_sign(&t, kp);
		printf("%s\n", text);
		free(text);
		keypair_free(kp);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "png") == 0) {
		if (qr_encode(argv[2], &q, &cause) != 0 || qr_write_png(q, argv[3], 4, &cause) != 0) {
			fprintf(stderr, "test_gate png: %s\n", cause);
			return 2;
		}
		qr_free(q);
		return 0;
	}
	fprintf(stderr, "usage: test_gate sign KEYFILE KEY_ID EVENT SEAT SERIAL GENERATION TIER "
	    "ISSUED_AT\n       test_gate png TEXT FILE\n");
	return 2;
}

/*
 * An online admission the server committed while the gate was killed before recording it;
 * the next scan of that ticket finds the server down and admits offline. What the gate records
 * must follow the server's admission (not carry its vector with another time), so that both
 * converge to one record and the reservation is cleared.
 */
static void
test_online_admit_killed_after_server_commit(void **state)
{
	uint32_t seat = seats[16];
	char *text = sell(BO, seat), *cause = NULL, q[256];
	struct seat_rec rec;
	struct op op;
	json_t *body, *reply = NULL;
	long status = 0;
	struct gate_verdict v;
	sqlite3_stmt *s, *t;

	(void)state;
	sync_ok(GATE1);
	assert_int_equal(device_seat(dev[GATE1], event_id, seat, &rec, &cause), 0);
	rec.state = SEAT_ADMITTED;
	rec.admitted_by = device_id(dev[GATE1]);
	rec.admitted_at = time(NULL) - 100;
	rec.moves++;
	if (device_prepare(dev[GATE1], OP_ADMIT, &rec, NULL, 0, time(NULL) - 100, &op,
	    &cause) != 0)
		fail_msg("prepare: %s", cause);
	body = json_pack("{s:o}", "op", proto_op_to_compact(&op));
	assert_int_equal(device_call(dev[GATE1], "POST", PROTO_PREFIX "/admit", body, 0, &status,
	    &reply, &cause), 0);
	assert_int_equal(status, 200);
	json_decref(body);
	json_decref(reply);
	op_free(&op);
	seat_rec_free(&rec);
	/* ... killed here: the replica never recorded it. */
	server_down();
	v = check(GATE1, text, GATE_ENTRY, 0);
	assert_int_equal(v.reason, GATE_ADMITTED);
	assert_int_equal(v.route, GATE_ROUTE_OFFLINE);
	server_up();
	sync_ok(GATE1);
	sync_ok(GATE1);
	snprintf(q, sizeof q, "SELECT vv, admitted_at FROM seat_state WHERE event_id = %u AND "
	    "seat_id = %u", event_id, seat);
	s = db_prepare(store_db(st), q);
	t = db_prepare(replica_db(device_replica(dev[GATE1])), q);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_step(t), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), sqlite3_column_bytes(t, 0));
	assert_memory_equal(sqlite3_column_blob(s, 0), sqlite3_column_blob(t, 0),
	    sqlite3_column_bytes(s, 0));
	assert_int_equal(sqlite3_column_int64(s, 1), sqlite3_column_int64(t, 1));
	sqlite3_finalize(s);
	sqlite3_finalize(t);
	snprintf(q, sizeof q, "SELECT count(*) FROM pending WHERE seat_id = %u", seat);
	assert_int_equal(query_int(GATE1, q), 0);
	free(text);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		/* gate_decide: no setup needed, but one group keeps one summary line. */
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_admit),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_event_and_seat),
		cmocka_unit_test(test_void),
		cmocka_unit_test(test_gate_sections),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_already_admitted),
		cmocka_unit_test(test_exit_mode),
		cmocka_unit_test(test_order),
		/* gate_check, in this order: they share the server and the replicas. */
		cmocka_unit_test(test_online_then_refused_elsewhere),
		cmocka_unit_test(test_cas_refusal),
		cmocka_unit_test(test_offline_fallback),
		cmocka_unit_test(test_unseen_sale_and_exit),
		cmocka_unit_test(test_refused_tickets_are_logged),
		cmocka_unit_test(test_manual_entry),
		cmocka_unit_test(test_counts_and_event),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_online_admit_killed_after_server_commit),
	};

	if (argc > 1)
		return helper(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	keys_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
