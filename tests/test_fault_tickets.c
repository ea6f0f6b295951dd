/*
 * test_fault_tickets.c: a corpus of hostile tickets, each scanned at a real gate (gate_check on
 * a replica synced with the real server) and each refused with the right reason:
 *
 *   every bit of the payload flipped (no new signature): bad-signature, or unknown-key when
 *   the flip names a key id nobody has, or unreadable when it changes the format version;
 *   every bit of the signature flipped: bad-signature; signed by a key the root never
 *   certified: bad-signature (known key id) or unknown-key; signed by a revoked box office,
 *   before or after its revocation: revoked; by a gate: wrong-role; issued outside the
 *   certificate: outside-validity; for another event, or an event the gate does not know:
 *   wrong-event; a seat not in the venue: unknown-seat; an older generation of a resold
 *   seat: void; the same ticket twice: already-admitted; cut short, lengthened, oversized (up
 *   to 100 KB) and binary junk: unreadable or not-a-ticket.
 *
 * Nothing in the corpus changes a seat, every scan is in the scan log with its reason, and the
 * outbox holds only the genuine entries.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>

#include "base45.h"
#include "fault.h"
#include "gate.h"
#include "sale.h"
#include "ticket.h"

enum { BO, BO2, GATE, NDEV };

static struct world w;
static int counts[GATE_NREASONS];
static int scans;

static int
setup(void **state)
{
	static const int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_BOXOFFICE, ROLE_GATE };
	int i;

	(void)state;
	world_setup(&w, "tickets", 2, 10, roles, NDEV);
	for (i = 0; i < NDEV; i++)
		device_set_online_timeout(w.dev[i], 5000);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	world_teardown(&w);
	return 0;
}

/* Scan text at the gate (offline: the replica decides) and require the reason. */
static void
expect(const char *text, enum gate_reason want, const char *what)
{
	struct gate_verdict v;
	char *cause = NULL;

	if (gate_check(w.dev[GATE], text, GATE_ENTRY, 1, &v, &cause) != 0)
		fail_msg("%s: %s", what, cause);
	if (v.reason != want)
		fail_msg("%s: %s, want %s", what, gate_reason_code(v.reason),
		    gate_reason_code(want));
	assert_int_equal(v.admit, want == GATE_ADMITTED);
	counts[v.reason]++;
	scans++;
}

/* The QR text of payload || sig, as a ticket would carry them. */
static char *
encode(const uint8_t payload[TICKET_PAYLOAD_BYTES], const uint8_t sig[KEYS_SIGBYTES])
{
	uint8_t buf[TICKET_SIGNED_BYTES];
	char *b45, *text;

	memcpy(buf, payload, TICKET_PAYLOAD_BYTES);
	memcpy(buf + TICKET_PAYLOAD_BYTES, sig, KEYS_SIGBYTES);
	b45 = base45_encode(buf, sizeof buf);
	text = xasprintf("%s%s", TICKET_PREFIX, b45);
	free(b45);
	return text;
}

static int
has_cert(uint32_t id)
{
	return fault_int(replica_db(device_replica(w.dev[GATE])), "SELECT count(*) FROM "
	    "certificates WHERE device_id = ?", 1, (int64_t)id) > 0;
}

/* A ticket of box office b for seat index i, signed with kp (NULL: b's own key). */
static char *
signed_ticket(int b, uint32_t event, uint32_t seat, uint32_t serial, uint16_t gen,
    uint32_t issued, const struct keypair *kp)
{
	struct ticket t;

	memset(&t, 0, sizeof t);
	t.version = TICKET_VERSION;
	t.key_id = device_id(w.dev[b]);
	t.event_id = event;
	t.seat_id = seat;
	t.serial = serial;
	t.generation = gen;
	t.issued_at = issued;
	return ticket_sign(&t, kp != NULL ? kp : device_keypair(w.dev[b]));
}

static struct sale_order *
sell(uint32_t seat)
{
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o;
	char *cause = NULL;

	memset(&req, 0, sizeof req);
	req.event_id = w.event_id;
	req.seats = &seat;
	req.nseats = 1;
	req.pay = "card";
	req.reference = "corpus";
	if (sale_sell(w.dev[BO], &req, &o, &ref, &cause) != 0)
		fail_msg("sell: %s", cause);
	return o;
}

static void
test_corpus(void **state)
{
	struct sale_order *o, *old, *again;
	struct ticket t;
	struct keypair *stranger;
	uint8_t payload[TICKET_PAYLOAD_BYTES], sig[KEYS_SIGBYTES], p2[TICKET_PAYLOAD_BYTES];
	uint8_t s2[KEYS_SIGBYTES];
	char *text, *cause = NULL, *big, what[64];
	uint32_t other_event, now = (uint32_t)time(NULL), serial = 90000;
	int byte, bit, i, n;
	int64_t changed0, outbox0;     /* seats changed before; the gate's operations */

	(void)state;
	/* A genuine ticket, admitted once. */
	o = sell(w.seats[0]);
	world_sync(&w, GATE, NULL);
	changed0 = fault_int(store_db(w.st), "SELECT count(*) FROM seat_state", 0);
	assert_int_equal(ticket_parse(o->tickets[0].qr, &t, sig), TICKET_OK);
	ticket_payload(&t, payload);

	/* Every bit of the payload, flipped without a new signature. */
	for (byte = 0; byte < TICKET_PAYLOAD_BYTES; byte++) {
		for (bit = 0; bit < 8; bit++) {
			struct ticket t2;
			uint8_t junk[KEYS_SIGBYTES];
			enum gate_reason want = GATE_BAD_SIGNATURE;

			memcpy(p2, payload, sizeof p2);
			p2[byte] ^= (uint8_t)(1u << bit);
			text = encode(p2, sig);
			assert_int_equal(ticket_parse(text, &t2, junk), byte == 0 ? TICKET_EVERSION :
			    TICKET_OK);
			if (byte == 0)
				want = GATE_UNREADABLE;
			else if (byte <= 4 && !has_cert(t2.key_id))
				want = GATE_UNKNOWN_KEY;
			snprintf(what, sizeof what, "payload byte %d bit %d", byte, bit);
			expect(text, want, what);
			free(text);
		}
	}
	/* Every bit of the signature. */
	for (byte = 0; byte < KEYS_SIGBYTES; byte++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(s2, sig, sizeof s2);
			s2[byte] ^= (uint8_t)(1u << bit);
			text = encode(payload, s2);
			snprintf(what, sizeof what, "signature byte %d bit %d", byte, bit);
			expect(text, GATE_BAD_SIGNATURE, what);
			free(text);
		}
	}
	/* The genuine one, then again. */
	expect(o->tickets[0].qr, GATE_ADMITTED, "the genuine ticket");
	expect(o->tickets[0].qr, GATE_ALREADY_ADMITTED, "the genuine ticket again");

	/* Keys: a stranger's key under a known id and an unknown one; a gate's key. */
	stranger = keypair_generate();
	text = signed_ticket(BO, w.event_id, w.seats[1], ++serial, 0, now, stranger);
	expect(text, GATE_BAD_SIGNATURE, "signed by a key the root never certified");
	free(text);
	{
		struct ticket tt;

		memset(&tt, 0, sizeof tt);
		tt.version = TICKET_VERSION;
		tt.key_id = 4242;
		tt.event_id = w.event_id;
		tt.seat_id = w.seats[1];
		tt.serial = ++serial;
		tt.issued_at = now;
		text = ticket_sign(&tt, stranger);
		expect(text, GATE_UNKNOWN_KEY, "a key id nobody has");
		free(text);
		tt.key_id = device_id(w.dev[GATE]);
		text = ticket_sign(&tt, device_keypair(w.dev[GATE]));
		expect(text, GATE_WRONG_ROLE, "signed by a gate");
		free(text);
	}
	keypair_free(stranger);
	text = signed_ticket(BO, w.event_id, w.seats[1], ++serial, 0, 1000000000, NULL);
	expect(text, GATE_OUTSIDE_VALIDITY, "issued in 2001");
	free(text);
	text = signed_ticket(BO, w.event_id, w.seats[1], ++serial, 0, 4000000000u, NULL);
	expect(text, GATE_OUTSIDE_VALIDITY, "issued in 2096");
	free(text);

	/* Events and seats: another event, one nobody made, a seat of no venue. */
	{
		struct store_event ev;
		struct store_tier tier;
		char name[] = "All";

		memset(&ev, 0, sizeof ev);
		memset(&tier, 0, sizeof tier);
		tier.name = name;
		tier.price = 100;
		ev.venue_id = (uint32_t)fault_int(store_db(w.st), "SELECT venue_id FROM events WHERE "
		    "id = ?", 1, (int64_t)w.event_id);
		ev.name = "Tomorrow";
		ev.starts_at = time(NULL) + 90000;
		ev.doors_at = time(NULL) + 86400;
		ev.currency = "EUR";
		ev.tiers = &tier;
		ev.ntiers = 1;
		assert_int_equal(store_event_create(w.st, &ev, &other_event, &cause), 0);
	}
	world_sync(&w, GATE, NULL);
	text = signed_ticket(BO, other_event, w.seats[2], ++serial, 0, now, NULL);
	expect(text, GATE_WRONG_EVENT, "tomorrow's event");
	free(text);
	text = signed_ticket(BO, 999999, w.seats[2], ++serial, 0, now, NULL);
	expect(text, GATE_WRONG_EVENT, "an event nobody made");
	free(text);
	text = signed_ticket(BO, w.event_id, 4000000000u, ++serial, 0, now, NULL);
	expect(text, GATE_UNKNOWN_SEAT, "a seat of no venue");
	free(text);

	/* Generations: sold, refunded, sold again: the old ticket is dead. */
	old = sell(w.seats[3]);
	assert_int_equal(sale_refund(w.dev[BO], old->id, 0, NULL, &cause), 0);
	world_sync(&w, BO, NULL);
	again = sell(w.seats[3]);
	assert_int_equal(again->tickets[0].generation, old->tickets[0].generation + 1);
	world_sync(&w, BO, NULL);
	world_sync(&w, GATE, NULL);
	expect(old->tickets[0].qr, GATE_VOID, "the ticket of a refunded sale");
	text = signed_ticket(BO, w.event_id, w.seats[3], ++serial, old->tickets[0].generation,
	    now, NULL);
	expect(text, GATE_VOID, "an old generation, signed anew");
	free(text);

	/* A revoked box office: a ticket it signed before, and one after. */
	text = signed_ticket(BO2, w.event_id, w.seats[4], ++serial, 0, now - 60, NULL);
	assert_int_equal(store_device_revoke(w.st, device_id(w.dev[BO2]), &cause), 0);
	world_sync(&w, GATE, NULL);
	expect(text, GATE_REVOKED, "signed by a box office revoked since");
	free(text);
	text = signed_ticket(BO2, w.event_id, w.seats[5], ++serial, 0, now + 60, NULL);
	expect(text, GATE_REVOKED, "signed by a revoked box office");
	free(text);

	/* Shapes: short, long, oversized, junk. */
	n = (int)strlen(o->tickets[0].qr);
	for (i = 1; i < n; i += 7) {
		text = xasprintf("%.*s", i, o->tickets[0].qr);
		snprintf(what, sizeof what, "the first %d characters", i);
		expect(text, i < 4 ? GATE_NOT_TICKET : GATE_UNREADABLE, what);
		free(text);
	}
	text = xasprintf("%sAB", o->tickets[0].qr);
	expect(text, GATE_UNREADABLE, "two characters more");
	free(text);
	big = xmalloc(100001);
	memset(big, 'A', 100000);
	big[100000] = '\0';
	memcpy(big, TICKET_PREFIX, strlen(TICKET_PREFIX));
	expect(big, GATE_UNREADABLE, "100 KB of base45 after the prefix");
	memset(big, 'Z', 100000);
	expect(big, GATE_NOT_TICKET, "100 KB of letters");
	free(big);
	{
		char junk[257];
		unsigned seed = 3;

		for (i = 0; i < 200; i++) {
			for (n = 0; n < 256; n++)
				junk[n] = (char)(1 + rand_r(&seed) % 255);
			junk[256] = '\0';
			if (i % 2 == 0)
				memcpy(junk, TICKET_PREFIX, 4);
			snprintf(what, sizeof what, "binary junk %d", i);
			expect(junk, i % 2 == 0 ? GATE_UNREADABLE : GATE_NOT_TICKET, what);
		}
	}

	/* Nothing changed a seat; every scan is logged with its reason; one entry to upload. */
	assert_int_equal(fault_int(replica_db(device_replica(w.dev[GATE])), "SELECT count(*) FROM "
	    "scan_log", 0), scans);
	assert_int_equal(fault_int(replica_db(device_replica(w.dev[GATE])), "SELECT count(*) FROM "
	    "scan_log WHERE verdict = 'admit'", 0), 1);
	world_sync(&w, GATE, NULL);
	outbox0 = fault_int(store_db(w.st), "SELECT count(*) FROM ops WHERE device_id = ?", 1,
	    (int64_t)device_id(w.dev[GATE]));
	assert_int_equal(outbox0, 1);
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM seat_state WHERE state = "
	    "'admitted'", 0), 1);
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM seat_state", 0),
	    changed0 + 1);     /* the resold seat, and nothing of the corpus */
	{
		char line[1024];
		size_t len = 0;

		line[0] = '\0';
		for (i = 0; i < GATE_NREASONS; i++) {
			if (counts[i] > 0)
				len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %d",
				    len > 0 ? ", " : "", gate_reason_code((enum gate_reason)i),
				    counts[i]);
		}
		fault_figure("tickets", "%d hostile scans, each refused with the reason expected "
		    "(%s); no seat changed by them", scans - 1, line);
	}
	sale_order_free(o);
	sale_order_free(old);
	sale_order_free(again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
