/*
 * test_server.c: the sync server for real: libmicrohttpd on 127.0.0.1 (a port it picks), a
 * store in a temporary folder, devices that enroll and call it over HTTP with libcurl.
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <curl/curl.h>

#include "client.h"
#include "reqsign.h"
#include "server.h"
#include "store.h"
#include "xmalloc.h"

#define BO1 0
#define BO2 1
#define GATE1 2
#define GATE2 3
#define NDEV 4

struct dev {
	uint32_t        id;
	struct keypair *kp;
	struct client  *c;
	uint32_t        seq;
};

static char            dir[] = "/tmp/tessera-test-server-XXXXXX";
static char            dbpath[256];
static char            url[64];
static struct store   *st;
static struct server  *srv;
static struct dev      devs[NDEV];
static uint32_t        event_id;
static uint32_t        seat_a11, seat_a12, seat_a13, seat_b11;
static char           *codes[NDEV];

static uint32_t
seat_id(const char *label)
{
	sqlite3_stmt *s;
	uint32_t id = 0;

	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM seats WHERE label = ?",
	    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, label, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	assert_true(id != 0);
	return id;
}

static int
setup(void **state)
{
	static const char venue_text[] =
	    "venue,Test Hall\nrow,A,1,1-10\nrow,B,1,1-10\nga,FLOOR,20\n";
	struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };
	struct store_tier tiers[2];
	char sa[] = "A", sb[] = "B", sf[] = "FLOOR", n1[] = "Stalls", n2[] = "Standard";
	char *stalls[] = { sa, NULL }, *rest[] = { sb, sf, NULL };
	struct store_event ev;
	struct keypair *root;
	struct venue *v;
	uint32_t vid;
	char *cause = NULL;
	int i, roles[NDEV] = { ROLE_BOXOFFICE, ROLE_BOXOFFICE, ROLE_GATE, ROLE_GATE };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/central.db", dir);
	if (store_create(dbpath, &root, &cause) != 0)
		fail_msg("store_create: %s", cause);
	keypair_free(root);
	if (store_open(dbpath, &st, &cause) != 0)
		fail_msg("store_open: %s", cause);
	if (venue_parse(venue_text, sizeof venue_text - 1, "test", &v, &cause) != 0)
		fail_msg("venue: %s", cause);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	tiers[0].name = n1;
	tiers[0].price = 4500;
	tiers[0].sections = stalls;
	tiers[1].name = n2;
	tiers[1].price = 2500;
	tiers[1].sections = rest;
	ev.venue_id = vid;
	ev.name = "Opening night";
	ev.starts_at = time(NULL) + 3600;
	ev.doors_at = time(NULL);
	ev.currency = "EUR";
	ev.tiers = tiers;
	ev.ntiers = 2;
	assert_int_equal(store_event_create(st, &ev, &event_id, &cause), 0);
	seat_a11 = seat_id("A-1-1");
	seat_a12 = seat_id("A-1-2");
	seat_a13 = seat_id("A-1-3");
	seat_b11 = seat_id("B-1-1");
	for (i = 0; i < NDEV; i++) {
		assert_int_equal(store_device_add(st, roles[i], "dev", NULL, &devs[i].id, &codes[i],
		    &cause), 0);
		devs[i].kp = keypair_generate();
	}
	if (server_start(st, &cfg, &srv, &cause) != 0)
		fail_msg("server_start: %s", cause);
	snprintf(url, sizeof url, "http://127.0.0.1:%u", server_port(srv));
	for (i = 0; i < NDEV; i++) {
		devs[i].c = client_new(url, devs[i].id, devs[i].kp);
		/* Half the devices authenticate with the MAC (as devices do), half sign. */
		if (i % 2 == 1 && client_set_root(devs[i].c, store_root(st)->pk, &cause) != 0)
			fail_msg("client_set_root: %s", cause);
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];
	int i;

	(void)state;
	for (i = 0; i < NDEV; i++) {
		client_free(devs[i].c);
		keypair_free(devs[i].kp);
		free(codes[i]);
	}
	server_stop(srv);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Call and expect a status; returns the reply (caller decrefs). */
static int64_t query_int(sqlite3 *db, const char *sql);

static json_t *
call(struct client *c, const char *method, const char *path, json_t *body, long want)
{
	json_t *reply = NULL;
	char *cause = NULL, *dump;
	long status = 0;

	if (client_call(c, method, path, body, &status, &reply, &cause) != 0)
		fail_msg("%s %s: %s", method, path, cause);
	if (status != want) {
		dump = json_dumps(reply, JSON_COMPACT);
		fail_msg("%s %s: status %ld, want %ld: %s", method, path, status, want, dump);
	}
	json_decref(body);
	return reply;
}

static json_t *
enroll_body(int i)
{
	char *hex = keys_hex(devs[i].kp->pk, KEYS_PUBLICBYTES);
	json_t *j = json_pack("{s:s,s:s}", "code", codes[i], "pk", hex);

	free(hex);
	return j;
}

static void
test_enroll_once(void **state)
{
	struct client *anon = client_new(url, 0, NULL);
	json_t *r;
	int i;

	(void)state;
	for (i = 0; i < NDEV; i++) {
		r = call(anon, "POST", "/v1/enroll", enroll_body(i), 200);
		assert_int_equal(json_integer_value(json_object_get(r, "device")), devs[i].id);
		assert_int_equal(strlen(json_string_value(json_object_get(r, "cert"))),
		    2 * CERT_BYTES);
		json_decref(r);
	}
	/* A code works once. */
	r = call(anon, "POST", "/v1/enroll", enroll_body(0), 403);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "used"));
	json_decref(r);
	json_decref(call(anon, "POST", "/v1/enroll", json_pack("{s:s,s:s}", "code", "nope",
	    "pk", "00"), 400));
	json_decref(call(anon, "POST", "/v1/enroll", json_pack("{s:s}", "code",
	    "AAAA-BBBB-CCCC"), 400));
	client_free(anon);
}

static void
test_health_and_errors(void **state)
{
	struct client *anon = client_new(url, 0, NULL);
	json_t *r;

	(void)state;
	r = call(anon, "GET", "/healthz", NULL, 200);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	json_decref(call(anon, "GET", "/nowhere", NULL, 404));
	json_decref(call(anon, "DELETE", "/v1/push", NULL, 405));
	/* Unsigned: refused. */
	json_decref(call(anon, "GET", "/v1/events", NULL, 401));
	/* Malformed JSON from an enrolled device. */
	r = call(devs[GATE1].c, "GET", "/v1/events", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
	json_decref(r);
	client_free(anon);
}

/* The four authentication headers of a request, appended to h. */
static struct curl_slist *
auth_headers(struct curl_slist *h, uint32_t id, const struct reqsign *rs, const char *sig_header)
{
	char line[256];

	snprintf(line, sizeof line, "%s: %u", REQSIGN_H_DEVICE, id);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "%s: %s", REQSIGN_H_TIME, rs->time);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "%s: %s", REQSIGN_H_NONCE, rs->nonce);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "%s: %s", sig_header, rs->sig);
	return curl_slist_append(h, line);
}

/* Send it with headers h (freed, as are curl and sink): the status. */
static long
perform(CURL *curl, struct curl_slist *h, FILE *sink)
{
	long status = 0;

	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	fclose(sink);
	return status;
}

/* A raw request, with headers we choose: for what a well-behaved client never sends. */
static long
raw(const char *method, const char *path, const char *body, size_t len, struct dev *d,
    int64_t when, const char *nonce_override, const uint8_t *sign_body, size_t sign_len)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *h = NULL;
	struct reqsign rs;
	char full[256];
	FILE *sink = fopen("/dev/null", "w");

	snprintf(full, sizeof full, "%s%s", url, path);
	curl_easy_setopt(curl, CURLOPT_URL, full);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (d != NULL) {
		reqsign_sign(d->kp, method, path, when, sign_body, sign_len, &rs);
		if (nonce_override != NULL)
			snprintf(rs.nonce, sizeof rs.nonce, "%s", nonce_override);
		if (nonce_override != NULL)     /* re-sign with the chosen nonce */
			reqsign_sign(d->kp, method, path, when, sign_body, sign_len, &rs);
		h = auth_headers(h, d->id, &rs, REQSIGN_H_SIG);
	}
	h = curl_slist_append(h, "Expect:");
	return perform(curl, h, sink);
}

/*
 * GET path authenticated with a MAC (headers we choose): its status. *rs: the headers sent;
 * with again set, they are sent as they are (a replay).
 */
static long
raw_mac(const char *path, uint32_t id, const uint8_t *key, int64_t when, struct reqsign *rs,
    int again)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *h = NULL;
	char full[256];
	FILE *sink = fopen("/dev/null", "w");

	if (!again)
		reqsign_mac(key, "GET", path, when, NULL, 0, rs);
	snprintf(full, sizeof full, "%s%s", url, path);
	curl_easy_setopt(curl, CURLOPT_URL, full);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
	return perform(curl, auth_headers(h, id, rs, REQSIGN_H_MAC), sink);
}

/* Requests authenticated with the MAC key: only the device's own key, fresh, once. */
static void
test_mac_auth(void **state)
{
	struct keypair *other = keypair_generate();
	uint8_t *key = sodium_malloc(REQSIGN_KEYBYTES), *wrong = sodium_malloc(REQSIGN_KEYBYTES);
	struct reqsign rs;
	uint32_t id = devs[GATE1].id;

	(void)state;
	assert_int_equal(reqsign_key(devs[GATE1].kp, store_root(st)->pk, 1, key), 0);
	assert_int_equal(raw_mac("/v1/events", id, key, time(NULL), &rs, 0), 200);
	/* The same headers again: a replay. */
	assert_int_equal(raw_mac("/v1/events", id, key, time(NULL), &rs, 1), 401);
	/* Ten minutes old. */
	assert_int_equal(raw_mac("/v1/events", id, key, time(NULL) - 600, &rs, 0), 401);
	/* The key of this device with another root: a server that is not this one. */
	assert_int_equal(reqsign_key(devs[GATE1].kp, other->pk, 1, wrong), 0);
	assert_int_equal(raw_mac("/v1/events", id, wrong, time(NULL), &rs, 0), 401);
	/* Another device's key under this device's id. */
	assert_int_equal(reqsign_key(devs[GATE2].kp, store_root(st)->pk, 1, wrong), 0);
	assert_int_equal(raw_mac("/v1/events", id, wrong, time(NULL), &rs, 0), 401);
	/* Still good after all that. */
	assert_int_equal(raw_mac("/v1/events", id, key, time(NULL), &rs, 0), 200);
	sodium_free(key);
	sodium_free(wrong);
	keypair_free(other);
}

/* The same signed request sent twice, byte for byte. */
static void
test_auth_failures(void **state)
{
	CURL *curl;
	struct curl_slist *h = NULL;
	struct reqsign rs;
	struct keypair *other = keypair_generate();
	struct dev impostor = { devs[GATE1].id, other, NULL, 0 };
	char full[256];
	long status;
	int i;
	FILE *sink = fopen("/dev/null", "w");

	(void)state;
	/* A bad signature: the right device id, another key. */
	assert_int_equal(raw("GET", "/v1/events", NULL, 0, &impostor, time(NULL), NULL, NULL, 0),
	    401);
	/* Signed over another body than the one sent. */
	assert_int_equal(raw("POST", "/v1/push", "{\"ops\":[]}", 10, &devs[GATE1], time(NULL),
	    NULL, (const uint8_t *)"{}", 2), 401);
	/* Expired: ten minutes ago, and ten minutes ahead. */
	assert_int_equal(raw("GET", "/v1/events", NULL, 0, &devs[GATE1], time(NULL) - 600, NULL,
	    NULL, 0), 401);
	assert_int_equal(raw("GET", "/v1/events", NULL, 0, &devs[GATE1], time(NULL) + 600, NULL,
	    NULL, 0), 401);
	/* Unknown device. */
	impostor.id = 999;
	assert_int_equal(raw("GET", "/v1/events", NULL, 0, &impostor, time(NULL), NULL, NULL, 0),
	    401);
	keypair_free(other);

	/* Replayed: identical headers twice; the first passes, the second is refused. */
	reqsign_sign(devs[GATE1].kp, "GET", "/v1/events", time(NULL), NULL, 0, &rs);
	snprintf(full, sizeof full, "%s/v1/events", url);
	h = auth_headers(h, devs[GATE1].id, &rs, REQSIGN_H_SIG);
	for (i = 0; i < 2; i++) {
		curl = curl_easy_init();
		curl_easy_setopt(curl, CURLOPT_URL, full);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
		assert_int_equal(curl_easy_perform(curl), CURLE_OK);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(curl);
		assert_int_equal(status, i == 0 ? 200 : 401);
	}
	curl_slist_free_all(h);
	fclose(sink);
}

static void
test_clock_offset_corrected(void **state)
{
	json_t *r;

	(void)state;
	/* The device believes it is an hour behind: refused once, corrected, accepted. */
	client_set_clock_offset(devs[GATE2].c, -3600);
	r = call(devs[GATE2].c, "GET", "/v1/events", NULL, 200);
	json_decref(r);
	assert_true(llabs(client_clock_offset(devs[GATE2].c)) < 5);
}

/* An operation: dev did kind to seat, on top of base (NULL: available). */
static json_t *
op(int d, enum op_kind kind, uint32_t seat, const struct seat_rec *base, uint32_t serial,
    int64_t at)
{
	struct op o;
	json_t *j;

	op_init(&o);
	if (base != NULL)
		seat_rec_copy(&o.rec, base);
	o.rec.event_id = event_id;
	o.rec.seat_id = seat;
	o.device_id = devs[d].id;
	o.seq = ++devs[d].seq;
	o.kind = kind;
	o.at = at;
	vv_increment(&o.rec.vv, devs[d].id);
	o.rec.changed_by = devs[d].id;
	o.rec.changed_at = at;
	switch (kind) {
	case OP_SELL:
		o.rec.state = SEAT_SOLD;
		o.rec.key_id = devs[d].id;
		o.rec.serial = serial;
		o.rec.sold_at = at;
		o.rec.tier = seat == seat_b11 ? 1 : 0;
		o.rec.price = seat == seat_b11 ? 2500 : 4500;
		strcpy(o.pay, "cash");
		break;
	case OP_ADMIT:
		o.rec.state = SEAT_ADMITTED;
		o.rec.admitted_by = devs[d].id;
		o.rec.admitted_at = at;
		o.rec.moves++;
		break;
	case OP_EXIT:
		o.rec.state = SEAT_EXITED;
		o.rec.exited_at = at;
		o.rec.moves++;
		break;
	case OP_REFUND:
		o.rec.state = SEAT_VOID;
		break;
	}
	j = proto_op_to_json(&o);
	op_free(&o);
	return j;
}

static void
rec_of(json_t *j, struct seat_rec *r)
{
	char *cause = NULL;

	if (proto_rec_from_json(j, "rec", r, &cause) != 0)
		fail_msg("rec: %s", cause);
}

static void
test_push_idempotent(void **state)
{
	json_t *batch, *r, *res;
	int64_t now = time(NULL);
	size_t i;

	(void)state;
	batch = json_array();
	json_array_append_new(batch, op(BO1, OP_SELL, seat_a12, NULL, 1, now));
	json_array_append_new(batch, op(BO1, OP_SELL, seat_a13, NULL, 2, now));
	json_array_append_new(batch, op(BO1, OP_SELL, seat_b11, NULL, 3, now));

	/* Cut in the middle: only the first operation arrives. */
	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:[O]}", "ops",
	    json_array_get(batch, 0)), 200);
	res = json_object_get(r, "results");
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "result")),
	    "applied");
	json_decref(r);

	/* Resent whole: the first is known, the rest applied. */
	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:O}", "ops", batch), 200);
	res = json_object_get(r, "results");
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "result")),
	    "known");
	for (i = 1; i < 3; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(res, i),
		    "result")), "applied");
	json_decref(r);

	/* And again: nothing changes. */
	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:O}", "ops", batch), 200);
	res = json_object_get(r, "results");
	for (i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(res, i),
		    "result")), "known");
	json_decref(r);
	json_decref(batch);
}

/*
 * The compact answer: an operation applied as sent is the bare string "applied", in the
 * operation's place; anything else (known, rejected, merged) is the full result.
 */
static void
test_push_compact(void **state)
{
	json_t *first, *second, *bogus, *r, *res;
	int64_t now = time(NULL);

	(void)state;
	first = op(BO1, OP_SELL, seat_id("A-1-8"), NULL, 8, now);
	second = op(BO1, OP_SELL, seat_id("A-1-9"), NULL, 9, now);
	bogus = op(BO1, OP_SELL, 999999, NULL, 10, now);
	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:[O],s:b}", "ops", first,
	    "compact", 1), 200);
	res = json_object_get(r, "results");
	assert_int_equal(json_array_size(res), 1);
	assert_string_equal(json_string_value(json_array_get(res, 0)), "applied");
	json_decref(r);

	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:[O,O,O],s:b}", "ops", first,
	    second, bogus, "compact", 1), 200);
	res = json_object_get(r, "results");
	assert_int_equal(json_array_size(res), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "result")),
	    "known");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(json_array_get(res, 0),
	    "dot"), 1)), json_integer_value(json_object_get(first, "seq")));
	assert_string_equal(json_string_value(json_array_get(res, 1)), "applied");
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 2), "result")),
	    "rejected");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(res, 2),
	    "reason")), "no seat 999999"));
	json_decref(r);

	/* An online admission asked for compactly: the record comes back as an array. */
	{
		struct seat_rec sold, got;

		seat_rec_init(&sold, 0, 0);
		seat_rec_init(&got, 0, 0);
		rec_of(json_object_get(first, "rec"), &sold);
		r = call(devs[GATE1].c, "POST", "/v1/admit", json_pack("{s:o,s:b}", "op",
		    op(GATE1, OP_ADMIT, sold.seat_id, &sold, 0, now + 1), "compact", 1), 200);
		assert_true(json_is_array(json_object_get(r, "rec")));
		rec_of(json_object_get(r, "rec"), &got);
		assert_int_equal(got.state, SEAT_ADMITTED);
		assert_int_equal(got.admitted_by, devs[GATE1].id);
		assert_int_equal(got.serial, 8);
		json_decref(r);
		seat_rec_free(&sold);
		seat_rec_free(&got);
	}

	/* "compact" is a boolean; anything else is named. */
	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:[o],s:s}", "ops",
	    op(BO1, OP_SELL, seat_id("A-1-10"), NULL, 11, now), "compact", "yes"), 400);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "compact"));
	json_decref(r);
	devs[BO1].seq--;
	json_decref(first);
	json_decref(second);
	json_decref(bogus);
}

/* The result of pushing the one operation o (taken) as device d. */
static const char *
push_result(int d, json_t *o, json_t **keep)
{
	json_t *res;

	*keep = call(devs[d].c, "POST", "/v1/push", json_pack("{s:[o],s:b}", "ops", o, "compact",
	    1), 200);
	res = json_array_get(json_object_get(*keep, "results"), 0);
	return json_is_string(res) ? json_string_value(res) :
	    json_string_value(json_object_get(res, "result"));
}

/*
 * What the server keeps in memory to push faster decides as the tables would: a seat of
 * another venue is no seat of the event; a venue whose seats are not one range of ids is
 * asked of SQLite; an operation with a lower seq than one already pushed is still new.
 */
static void
test_push_seat_checks(void **state)
{
	static const char text[] = "venue,Odd Hall\nrow,O,1,1-3\n";
	struct store_event ev;
	struct venue *v;
	char *cause = NULL, name[] = "All", sql[200];
	struct store_tier tier = { name, 0, NULL };
	uint32_t vid, eid, first, far;
	int64_t now = time(NULL);
	json_t *o, *r;
	uint32_t top;

	(void)state;
	assert_int_equal(venue_parse(text, sizeof text - 1, "odd", &v, &cause), 0);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	snprintf(sql, sizeof sql, "SELECT min(id) FROM seats WHERE venue_id = %" PRIu32, vid);
	first = (uint32_t)query_int(store_db(st), sql);

	/* A seat of Odd Hall is no seat of the test event (Test Hall). */
	o = op(GATE1, OP_ADMIT, first, NULL, 0, now);
	assert_string_equal(push_result(GATE1, o, &r), "rejected");
	json_decref(r);

	/* Odd Hall with a seat far from the others: its ids are no longer one range. */
	far = first + 1000;
	snprintf(sql, sizeof sql, "INSERT INTO seats(id, venue_id, section, row, number, label) "
	    "VALUES(%" PRIu32 ", %" PRIu32 ", 'O', '9', 1, 'O-9-1')", far, vid);
	assert_int_equal(sqlite3_exec(store_db(st), sql, NULL, NULL, NULL), SQLITE_OK);
	memset(&ev, 0, sizeof ev);
	ev.venue_id = vid;
	ev.name = "Odd night";
	ev.starts_at = now + 3600;
	ev.doors_at = now;
	ev.currency = "EUR";
	ev.tiers = &tier;
	ev.ntiers = 1;
	assert_int_equal(store_event_create(st, &ev, &eid, &cause), 0);
	o = op(GATE1, OP_ADMIT, far, NULL, 0, now);
	json_object_set_new(json_object_get(o, "rec"), "event", json_integer(eid));
	assert_string_equal(push_result(GATE1, o, &r), "applied");
	json_decref(r);
	o = op(GATE1, OP_ADMIT, first + 500, NULL, 0, now);
	json_object_set_new(json_object_get(o, "rec"), "event", json_integer(eid));
	assert_string_equal(push_result(GATE1, o, &r), "rejected");
	json_decref(r);

	/* A gap in the gate's sequence, then an operation inside it: new, not known. */
	devs[GATE2].seq += 5;
	top = devs[GATE2].seq + 1;
	o = op(GATE2, OP_ADMIT, first, NULL, 0, now);
	json_object_set_new(json_object_get(o, "rec"), "event", json_integer(eid));
	assert_string_equal(push_result(GATE2, o, &r), "applied");
	json_decref(r);
	devs[GATE2].seq = top - 3;
	o = op(GATE2, OP_ADMIT, first + 1, NULL, 0, now);
	json_object_set_new(json_object_get(o, "rec"), "event", json_integer(eid));
	assert_string_equal(push_result(GATE2, o, &r), "applied");
	json_decref(r);
	devs[GATE2].seq = top;

	/*
	 * A dot written by another process on the same store (which the server's memory cannot
	 * know of): once it has failed to record it again, the server finds it known.
	 */
	{
		struct store *st2;
		struct store_device gate;
		json_t *ops, *reply = NULL;
		long status;
		int tries;

		if (store_open(dbpath, &st2, &cause) != 0)
			fail_msg("store_open: %s", cause);
		assert_int_equal(store_device_get(st2, devs[GATE2].id, &gate), 0);
		o = op(GATE2, OP_ADMIT, first + 2, NULL, 0, now);
		json_object_set_new(json_object_get(o, "rec"), "event", json_integer(eid));
		ops = json_pack("[O]", o);
		assert_int_equal(store_push(st2, &gate, ops, 1, &reply, &cause), STORE_OK);
		json_decref(reply);
		json_decref(ops);
		store_close(st2);
		ops = json_pack("{s:[O],s:b}", "ops", o, "compact", 1);
		for (tries = 0; tries < 2; tries++) {
			r = NULL;
			assert_int_equal(client_call(devs[GATE2].c, "POST", "/v1/push", ops, &status,
			    &r, &cause), 0);
			if (status == 200)
				break;
			json_decref(r);
		}
		json_decref(ops);
		assert_int_equal(status, 200);
		assert_string_equal(json_string_value(json_object_get(json_array_get(
		    json_object_get(r, "results"), 0), "result")), "known");
		json_decref(r);
		json_decref(o);
	}
}

static void
test_role_and_malformed(void **state)
{
	json_t *r;
	char *big;
	size_t n = PROTO_MAX_BODY + 100;

	(void)state;
	/* A gate may not sell; a box office may not admit. */
	json_decref(call(devs[GATE1].c, "POST", "/v1/push", json_pack("{s:[o]}", "ops",
	    op(GATE1, OP_SELL, seat_a11, NULL, 1, time(NULL))), 403));
	devs[GATE1].seq--;
	json_decref(call(devs[GATE1].c, "POST", "/v1/sell", json_pack("{s:[o]}", "ops",
	    op(GATE1, OP_SELL, seat_a11, NULL, 1, time(NULL))), 403));
	devs[GATE1].seq--;
	json_decref(call(devs[BO1].c, "POST", "/v1/admit", json_pack("{s:o}", "op",
	    op(BO1, OP_ADMIT, seat_a11, NULL, 1, time(NULL))), 403));
	devs[BO1].seq--;
	/* Another device's dot. */
	json_decref(call(devs[BO2].c, "POST", "/v1/push", json_pack("{s:[o]}", "ops",
	    op(BO1, OP_SELL, seat_a11, NULL, 1, time(NULL))), 403));
	devs[BO1].seq--;
	/* Fields of the wrong type, unknown states, a body that is not JSON. */
	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:[{s:s}]}", "ops", "dev", "x"),
	    400);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "ops[0].dev"));
	json_decref(r);
	/* In the compact form too, a member of the wrong type is named. */
	r = call(devs[BO1].c, "POST", "/v1/push", json_pack("{s:[[i,i,s,i,n,i,[i,i,s,s,i,i,i,s,"
	    "i,i,i,i,i,i,i,i]]]}", "ops", devs[BO1].id, 99, "sell", 1, 0, (int)event_id, seat_a11,
	    "sold", "1:1", 0, devs[BO1].id, 1, "stalls", 4500, 1, 0, 0, 0, 1, devs[BO1].id, 1),
	    400);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")),
	    "ops[0].rec.tier: not an integer"));
	json_decref(r);
	/* An online admission's errors name its one operation as the request does: "op". */
	r = call(devs[GATE1].c, "POST", "/v1/admit", json_pack("{s:{s:s}}", "op", "dev", "x"),
	    400);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "op.dev"));
	assert_null(strstr(json_string_value(json_object_get(r, "error")), "ops"));
	json_decref(r);
	r = call(devs[GATE1].c, "POST", "/v1/admit", json_pack("{s:i}", "ticket", 1), 400);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "op: missing"));
	json_decref(r);
	assert_int_equal(raw("POST", "/v1/push", "{\"ops\": [", 9, &devs[BO1], time(NULL), NULL,
	    (const uint8_t *)"{\"ops\": [", 9), 400);
	/* Over the size limit: refused, and the server still answers. */
	big = xmalloc(n);
	memset(big, ' ', n);
	assert_int_equal(raw("POST", "/v1/push", big, n, &devs[BO1], time(NULL), NULL,
	    (const uint8_t *)big, n), 413);
	free(big);
	json_decref(call(devs[BO1].c, "GET", "/v1/events", NULL, 200));
	/* Bad query arguments. */
	json_decref(call(devs[BO1].c, "GET", "/v1/pull?since=-4", NULL, 400));
	json_decref(call(devs[BO1].c, "GET", "/v1/bootstrap?event=999", NULL, 404));
}

static void
test_online_sell_and_admit_cas(void **state)
{
	struct seat_rec sold;
	json_t *r;
	int64_t now = time(NULL);

	(void)state;
	/* Box office 1 sells A-1-1 online; box office 2's second sale is refused with who. */
	r = call(devs[BO1].c, "POST", "/v1/sell", json_pack("{s:[o]}", "ops",
	    op(BO1, OP_SELL, seat_a11, NULL, 10, now)), 200);
	seat_rec_init(&sold, 0, 0);
	rec_of(json_array_get(json_object_get(r, "recs"), 0), &sold);
	json_decref(r);
	r = call(devs[BO2].c, "POST", "/v1/sell", json_pack("{s:[o]}", "ops",
	    op(BO2, OP_SELL, seat_a11, NULL, 1, now)), 409);
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "sold");
	assert_int_equal(json_integer_value(json_object_get(r, "by")), devs[BO1].id);
	json_decref(r);

	/* Gate 1 admits online; gate 2's admission of the same ticket is refused, naming gate 1. */
	r = call(devs[GATE1].c, "POST", "/v1/admit", json_pack("{s:o}", "op",
	    op(GATE1, OP_ADMIT, seat_a11, &sold, 0, now + 5)), 200);
	assert_string_equal(json_string_value(json_object_get(r, "result")), "admitted");
	json_decref(r);
	r = call(devs[GATE2].c, "POST", "/v1/admit", json_pack("{s:o}", "op",
	    op(GATE2, OP_ADMIT, seat_a11, &sold, 0, now + 6)), 409);
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "already-admitted");
	assert_int_equal(json_integer_value(json_object_get(r, "by")), devs[GATE1].id);
	assert_int_equal(json_integer_value(json_object_get(r, "at")), now + 5);
	json_decref(r);
	seat_rec_free(&sold);
}

struct waiter {
	struct client *c;
	uint64_t       since;
	json_t        *reply;
	long           status;
};

static void *
long_poll(void *arg)
{
	struct waiter *w = arg;
	char path[128], *cause = NULL;

	snprintf(path, sizeof path, "/v1/pull?since=%llu&wait=20",
	    (unsigned long long)w->since);
	if (client_call(w->c, "GET", path, NULL, &w->status, &w->reply, &cause) != 0)
		w->status = -1;
	free(cause);
	return NULL;
}

static void
test_offline_duplicate_admission_and_long_poll(void **state)
{
	struct seat_rec sold;
	struct waiter w;
	pthread_t t;
	json_t *r, *res, *seats, *conflicts;
	int64_t now = time(NULL);
	uint64_t cursor;
	struct client *watcher = client_new(url, devs[BO2].id, devs[BO2].kp);

	(void)state;
	r = call(devs[BO1].c, "GET", "/v1/pull?since=0", NULL, 200);
	cursor = (uint64_t)json_integer_value(json_object_get(r, "cursor"));
	json_decref(r);

	/* A-1-2 was sold by push; both gates admit it offline, then push. */
	r = call(devs[BO1].c, "GET", "/v1/bootstrap?event=1", NULL, 200);
	json_decref(r);
	seat_rec_init(&sold, 0, 0);
	{
		sqlite3_stmt *s;
		json_t *j;

		r = call(devs[GATE1].c, "GET", "/v1/pull?since=0", NULL, 200);
		seats = json_object_get(r, "seats");
		for (size_t i = 0; i < json_array_size(seats); i++) {
			j = json_array_get(seats, i);
			if (json_integer_value(json_object_get(j, "seat")) == seat_a12)
				rec_of(j, &sold);
		}
		json_decref(r);
		(void)s;
	}
	assert_int_equal(sold.state, SEAT_SOLD);

	/* Another box office long-polls; it must wake for the first push. */
	memset(&w, 0, sizeof w);
	w.c = watcher;
	w.since = cursor;
	assert_int_equal(pthread_create(&t, NULL, long_poll, &w), 0);

	r = call(devs[GATE2].c, "POST", "/v1/push", json_pack("{s:[o]}", "ops",
	    op(GATE2, OP_ADMIT, seat_a12, &sold, 0, now + 20)), 200);
	json_decref(r);
	pthread_join(t, NULL);
	assert_int_equal(w.status, 200);
	seats = json_object_get(w.reply, "seats");
	assert_true(json_array_size(seats) >= 1);
	json_decref(w.reply);

	r = call(devs[GATE1].c, "POST", "/v1/push", json_pack("{s:[o]}", "ops",
	    op(GATE1, OP_ADMIT, seat_a12, &sold, 0, now + 10)), 200);
	res = json_array_get(json_object_get(r, "results"), 0);
	assert_string_equal(json_string_value(json_object_get(res, "result")), "conflict");
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "conflict"),
	    "kind")), "duplicate-admission");
	/* The earlier admission, gate 1's, stands. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "rec"),
	    "adm_by")), devs[GATE1].id);
	json_decref(r);

	/* Every device learns of it by pull. */
	r = call(devs[GATE2].c, "GET", "/v1/pull?since=0", NULL, 200);
	conflicts = json_object_get(r, "conflicts");
	assert_int_equal(json_array_size(conflicts), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(conflicts, 0),
	    "winner")), devs[GATE1].id);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(conflicts, 0),
	    "loser")), devs[GATE2].id);
	json_decref(r);
	seat_rec_free(&sold);
	client_free(watcher);
}

/* A bad query argument of the bootstrap: 400, naming the argument. */
static void
bootstrap_refused(const char *query, const char *field)
{
	char path[128];
	json_t *r;

	snprintf(path, sizeof path, "/v1/bootstrap?%s", query);
	r = call(devs[GATE1].c, "GET", path, NULL, 400);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), field));
	json_decref(r);
}

/*
 * The bootstrap in pages: each page the seats after the cursor in id order, with the records
 * of exactly those seats; only the first page carries the event, tiers and change sequence.
 * Bad cursors and page sizes are refused, naming the argument.
 */
static void
test_bootstrap_pages(void **state)
{
	json_t *r, *v;
	char path[96];
	int64_t after = 0, prev, id;
	size_t i, seats = 0, states = 0, whole_states, pages = 0;
	int more;

	(void)state;
	r = call(devs[GATE1].c, "GET", "/v1/bootstrap?event=1", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(r, "seats")), 40);
	assert_false(json_is_true(json_object_get(r, "more")));
	whole_states = json_array_size(json_object_get(r, "states"));
	assert_true(whole_states > 0);
	json_decref(r);
	do {
		if (after == 0)         /* the first page names no cursor */
			snprintf(path, sizeof path, "/v1/bootstrap?event=1&limit=7");
		else
			snprintf(path, sizeof path, "/v1/bootstrap?event=1&limit=7&after=%" PRId64,
			    after);
		r = call(devs[GATE1].c, "GET", path, NULL, 200);
		assert_int_equal(json_object_get(r, "event") != NULL, pages == 0);
		assert_int_equal(json_object_get(r, "cursor") != NULL, pages == 0);
		assert_int_equal(json_object_get(r, "tiers") != NULL, pages == 0);
		more = json_is_true(json_object_get(r, "more"));
		prev = after;
		after = json_integer_value(json_object_get(r, "after"));
		assert_true(json_array_size(json_object_get(r, "seats")) <= 7);
		assert_true(!more || json_array_size(json_object_get(r, "seats")) == 7);
		json_array_foreach(json_object_get(r, "seats"), i, v) {
			id = json_integer_value(json_array_get(v, 0));
			assert_true(id > prev && id <= after);
			prev = id;
			seats++;
		}
		json_array_foreach(json_object_get(r, "states"), i, v) {
			id = json_integer_value(json_object_get(v, "seat"));
			assert_true(id <= after || !more);
			states++;
		}
		json_decref(r);
		pages++;
	} while (more);
	assert_int_equal(pages, 6);             /* 40 seats, 7 a page */
	assert_int_equal(seats, 40);
	assert_int_equal(states, whole_states);

	/* Past the last seat: an empty last page. */
	snprintf(path, sizeof path, "/v1/bootstrap?event=1&after=%" PRId64, after);
	r = call(devs[GATE1].c, "GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(r, "seats")), 0);
	assert_false(json_is_true(json_object_get(r, "more")));
	json_decref(r);

	bootstrap_refused("event=1&after=-1", "after");
	bootstrap_refused("event=1&after=abc", "after");
	bootstrap_refused("event=1&after=4294967296", "after");
	bootstrap_refused("event=1&after=", "after");
	bootstrap_refused("event=1&limit=0", "limit");
	bootstrap_refused("event=1&limit=2001", "limit");
	bootstrap_refused("event=1&limit=1e3", "limit");
	bootstrap_refused("limit=5", "event");
	json_decref(call(devs[GATE1].c, "GET", "/v1/bootstrap?event=999&after=3", NULL, 404));
}

static void
test_leases_never_overlap(void **state)
{
	json_t *r, *seats;

	(void)state;
	/* Box office 1 leases section B (B-1-1 is sold already: not leased). */
	r = call(devs[BO1].c, "POST", "/v1/lease", json_pack("{s:I,s:s}", "event",
	    (json_int_t)event_id, "section", "B"), 200);
	seats = json_object_get(r, "seats");
	assert_int_equal(json_array_size(seats), 9);
	json_decref(r);
	/* Box office 2 asks for the same seats: none for it. */
	r = call(devs[BO2].c, "POST", "/v1/lease", json_pack("{s:I,s:s}", "event",
	    (json_int_t)event_id, "section", "B"), 200);
	assert_int_equal(json_array_size(json_object_get(r, "seats")), 0);
	json_decref(r);
	r = call(devs[BO2].c, "POST", "/v1/lease", json_pack("{s:I,s:[I]}", "event",
	    (json_int_t)event_id, "seats", (json_int_t)seat_b11 + 1), 409);
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "leased");
	json_decref(r);
	/* Nor may it sell or hold a seat leased to box office 1. */
	r = call(devs[BO2].c, "POST", "/v1/hold", json_pack("{s:I,s:[I]}", "event",
	    (json_int_t)event_id, "seats", (json_int_t)seat_b11 + 1), 409);
	json_decref(r);
	/* GA: ten places from the floor for box office 2; more than there are is refused. */
	r = call(devs[BO2].c, "POST", "/v1/lease", json_pack("{s:I,s:s,s:i}", "event",
	    (json_int_t)event_id, "area", "FLOOR", "ga", 10), 200);
	assert_int_equal(json_array_size(json_object_get(r, "seats")), 10);
	json_decref(r);
	json_decref(call(devs[BO1].c, "POST", "/v1/lease", json_pack("{s:I,s:s,s:i}", "event",
	    (json_int_t)event_id, "area", "FLOOR", "ga", 11), 409));
	/* Returned, they are free for the other. */
	r = call(devs[BO1].c, "POST", "/v1/lease/return", json_pack("{s:I}", "event",
	    (json_int_t)event_id), 200);
	assert_int_equal(json_integer_value(json_object_get(r, "returned")), 9);
	json_decref(r);
	r = call(devs[BO2].c, "POST", "/v1/lease", json_pack("{s:I,s:s}", "event",
	    (json_int_t)event_id, "section", "B"), 200);
	assert_int_equal(json_array_size(json_object_get(r, "seats")), 19);
	json_decref(r);
}

static void
test_hold_and_release(void **state)
{
	json_t *r;
	uint32_t a14 = seat_a13 + 1;

	(void)state;
	/* Box office 1 holds A-1-4 in its cart: box office 2 can neither hold nor sell it. */
	r = call(devs[BO1].c, "POST", "/v1/hold", json_pack("{s:I,s:[I],s:i}", "event",
	    (json_int_t)event_id, "seats", (json_int_t)a14, "seconds", 120), 200);
	assert_string_equal(json_string_value(json_object_get(r, "result")), "held");
	assert_true(json_integer_value(json_object_get(r, "until")) > time(NULL) + 100);
	json_decref(r);
	r = call(devs[BO2].c, "POST", "/v1/hold", json_pack("{s:I,s:[I]}", "event",
	    (json_int_t)event_id, "seats", (json_int_t)a14), 409);
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "held");
	assert_int_equal(json_integer_value(json_object_get(r, "by")), devs[BO1].id);
	json_decref(r);
	r = call(devs[BO2].c, "POST", "/v1/sell", json_pack("{s:[o]}", "ops",
	    op(BO2, OP_SELL, a14, NULL, 2, time(NULL))), 409);
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "held");
	json_decref(r);
	/* Released, it is free for box office 2. */
	r = call(devs[BO1].c, "POST", "/v1/release", json_pack("{s:I,s:[I]}", "event",
	    (json_int_t)event_id, "seats", (json_int_t)a14), 200);
	assert_int_equal(json_integer_value(json_object_get(r, "released")), 1);
	json_decref(r);
	json_decref(call(devs[BO2].c, "POST", "/v1/hold", json_pack("{s:I,s:[I]}", "event",
	    (json_int_t)event_id, "seats", (json_int_t)a14), 200));
	r = call(devs[BO2].c, "POST", "/v1/release", json_pack("{s:I}", "event",
	    (json_int_t)event_id), 200);
	assert_int_equal(json_integer_value(json_object_get(r, "released")), 1);
	json_decref(r);
	/* A gate holds nothing. */
	json_decref(call(devs[GATE1].c, "POST", "/v1/hold", json_pack("{s:I,s:[I]}", "event",
	    (json_int_t)event_id, "seats", (json_int_t)a14), 403));
}

static size_t
on_header_gzip(char *data, size_t size, size_t n, void *arg)
{
	if (size * n >= 22 && strncasecmp(data, "Content-Encoding: gzip", 22) == 0)
		*(int *)arg = 1;
	return size * n;
}

struct sink {
	char   *buf;
	size_t  len;
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	s->buf = xreallocarray(s->buf, s->len + size * n + 1, 1);
	memcpy(s->buf + s->len, data, size * n);
	s->len += size * n;
	s->buf[s->len] = '\0';
	return size * n;
}

/* A large answer (a bootstrap page of a 3,000-seat venue) comes gzip-compressed and whole. */
static void
test_large_answers_compressed(void **state)
{
	static const char text[] = "venue,Big Hall\nga,FLOOR,3000\n";
	struct store_event ev;
	struct venue *v;
	struct reqsign rs;
	struct sink body = { NULL, 0 };
	struct curl_slist *h = NULL;
	char *cause = NULL, path[64], full[128];
	uint32_t vid, eid;
	json_t *j;
	json_error_t jerr;
	CURL *curl;
	int gz = 0;

	(void)state;
	assert_int_equal(venue_parse(text, sizeof text - 1, "big", &v, &cause), 0);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	ev.venue_id = vid;
	ev.name = "Rave";
	ev.starts_at = time(NULL) + 3600;
	ev.doors_at = time(NULL);
	ev.currency = "EUR";
	{
		char name[] = "General";
		struct store_tier tier = { name, 0, NULL };

		ev.tiers = &tier;
		ev.ntiers = 1;
		assert_int_equal(store_event_create(st, &ev, &eid, &cause), 0);
	}
	snprintf(path, sizeof path, "/v1/bootstrap?event=%u", eid);
	snprintf(full, sizeof full, "%s%s", url, path);
	reqsign_sign(devs[GATE1].kp, "GET", path, time(NULL), NULL, 0, &rs);
	h = auth_headers(h, devs[GATE1].id, &rs, REQSIGN_H_SIG);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, full);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header_gzip);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &gz);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_cleanup(curl);
	curl_slist_free_all(h);
	assert_true(gz);
	j = json_loadb(body.buf, body.len, 0, &jerr);
	assert_non_null(j);
	/* One page of them: the rest come after it. */
	assert_int_equal(json_array_size(json_object_get(j, "seats")), PROTO_BOOTSTRAP_PAGE);
	assert_true(json_is_true(json_object_get(j, "more")));
	json_decref(j);
	free(body.buf);
}

static void
test_revoked_device(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(store_device_revoke(st, devs[BO2].id, &cause), 0);
	json_decref(call(devs[BO2].c, "GET", "/v1/events", NULL, 403));
	/* Its leases went back. */
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM leases "
		    "WHERE device_id = ?", -1, &s, NULL), SQLITE_OK);
		sqlite3_bind_int64(s, 1, devs[BO2].id);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 0);
		sqlite3_finalize(s);
	}
}

/*
 * A long-poll's own writes (its nonce) end long before it answers: many other requests'
 * groups in between must not make it lose their outcome (it answered 500 once 1,024 groups
 * had passed).
 */
static void
test_long_poll_outlives_many_groups(void **state)
{
	struct client *watcher = client_new(url, devs[GATE2].id, devs[GATE2].kp);
	struct store_stats ss;
	struct waiter w;
	pthread_t t;
	uint32_t id;
	char *code = NULL, *cause = NULL;
	int i;

	(void)state;
	client_set_timeout(watcher, 40000);
	store_stats(st, &ss);
	memset(&w, 0, sizeof w);
	w.c = watcher;
	w.since = ss.seq;               /* nothing new: it waits */
	assert_int_equal(pthread_create(&t, NULL, long_poll, &w), 0);
	usleep(200 * 1000);
	for (i = 0; i < 1100; i++)
		json_decref(call(devs[BO1].c, "GET", "/v1/events", NULL, 200));
	/* A change for it to hear: a device added (the long-poll looks every second). */
	assert_int_equal(store_device_add(st, ROLE_GATE, "late", NULL, &id, &code, &cause), 0);
	free(code);
	pthread_join(t, NULL);
	assert_int_equal(w.status, 200);
	/* It answered the change made after all those requests (a pending device: no row). */
	assert_true((uint64_t)json_integer_value(json_object_get(w.reply, "cursor")) > w.since);
	json_decref(w.reply);
	client_free(watcher);
}

/* The server checkpoints the WAL on its own thread once it has grown: it stays bounded. */
static void
test_wal_checkpointed(void **state)
{
	sqlite3 *db = store_db(st);
	struct store_stats ss;
	int i, log = -1, done = -1;

	(void)state;
	store_stats(st, &ss);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE scratch(b BLOB); BEGIN", NULL, NULL,
	    NULL), SQLITE_OK);
	for (i = 0; i < 1500; i++)      /* 6 MB: past STORE_CKPT_BYTES */
		assert_int_equal(sqlite3_exec(db, "INSERT INTO scratch VALUES(randomblob(4000))",
		    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 200; i++) {
		struct store_stats now;

		store_stats(st, &now);
		if (now.checkpoints > ss.checkpoints) {
			assert_true(now.wal_frames >= (uint64_t)store_ckpt_pages(db));
			break;
		}
		usleep(50 * 1000);
	}
	assert_true(i < 200);
	/* Everything in the WAL is in the database now. */
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
	    &done), SQLITE_OK);
	assert_int_equal(log, done);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE scratch", NULL, NULL, NULL), SQLITE_OK);
}

static void
test_metrics(void **state)
{
	struct client *anon = client_new(url, 0, NULL);
	json_t *r = NULL;
	char *cause = NULL, *text;
	long status;

	(void)state;
	/* /metrics is text: the client wraps it as {"error": text}. */
	assert_int_equal(client_call(anon, "GET", "/metrics", NULL, &status, &r, &cause), 0);
	assert_int_equal(status, 200);
	text = (char *)json_string_value(json_object_get(r, "error"));
	assert_non_null(strstr(text, "tessera_requests_total{route=\"/v1/push\",status=\"2xx\"}"));
	assert_non_null(strstr(text, "tessera_conflicts_total 1"));
	assert_non_null(strstr(text, "tessera_request_seconds_bucket{le=\"+Inf\"}"));
	json_decref(r);
	client_free(anon);
}

static int64_t
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * A pull from the start sends each seat once, at its latest change (the superseded changes the
 * tests before made are skipped); a store of schema 4 (the seq index, no changes table)
 * migrates to the same answer.
 */
static void
test_pull_latest_and_migration(void **state)
{
	struct store *st2;
	sqlite3 *db;
	json_t *r, *seats, *r2 = NULL;
	char path[96], sql[96], *cause = NULL, *error = NULL;
	size_t i, j;
	int64_t nrows, nall;

	(void)state;
	snprintf(path, sizeof path, "/v1/pull?since=0&event=%" PRIu32, event_id);
	r = call(devs[GATE1].c, "GET", path, NULL, 200);
	seats = json_object_get(r, "seats");
	nall = query_int(store_db(st), "SELECT count(*) FROM seat_state");
	snprintf(sql, sizeof sql, "SELECT count(*) FROM seat_state WHERE event_id = %" PRIu32,
	    event_id);
	nrows = query_int(store_db(st), sql);
	assert_true(query_int(store_db(st), "SELECT count(*) FROM changes") > nall);
	assert_int_equal(json_array_size(seats), nrows);
	for (i = 0; i < json_array_size(seats); i++) {
		for (j = 0; j < i; j++)
			assert_false(json_integer_value(json_object_get(json_array_get(seats, i),
			    "seat")) == json_integer_value(json_object_get(json_array_get(seats, j),
			    "seat")));
	}

	/* Back to schema 4 on a connection of its own, then opened as a store again. */
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE; DROP TABLE changes; CREATE INDEX seat_state_seq ON "
	    "seat_state(seq); PRAGMA user_version = 4; COMMIT", NULL, NULL, &error) != SQLITE_OK)
		fail_msg("to schema 4: %s", error);
	sqlite3_close(db);
	if (store_open(dbpath, &st2, &cause) != 0)
		fail_msg("store_open: %s", cause);
	assert_int_equal(query_int(store_db(st2), "PRAGMA user_version"), 5);
	assert_int_equal(query_int(store_db(st2), "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'seat_state_seq'"), 0);
	assert_int_equal(query_int(store_db(st2), "SELECT count(*) FROM changes"), nall);
	assert_int_equal(store_pull(st2, 0, event_id, 0, 0, &r2, &cause), STORE_OK);
	assert_true(json_equal(json_object_get(r2, "seats"), seats));
	assert_int_equal(json_integer_value(json_object_get(r2, "cursor")),
	    json_integer_value(json_object_get(r, "cursor")));
	json_decref(r2);
	store_close(st2);
	json_decref(r);
}

/* A second server on the same store is refused, naming the lock; the first goes on. */
static void
test_second_server_refused(void **state)
{
	struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };
	struct server *srv2 = NULL;
	struct store *st2;
	char *cause = NULL;

	(void)state;
	if (store_open(dbpath, &st2, &cause) != 0)
		fail_msg("store_open: %s", cause);
	assert_int_equal(server_start(st2, &cfg, &srv2, &cause), -1);
	assert_non_null(strstr(cause, "in use by another tessera-sync serve"));
	assert_non_null(strstr(cause, ".lock"));
	free(cause);
	store_close(st2);
	json_decref(call(devs[GATE1].c, "GET", "/v1/events", NULL, 200));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enroll_once),
		cmocka_unit_test(test_health_and_errors),
		cmocka_unit_test(test_auth_failures),
		cmocka_unit_test(test_mac_auth),
		cmocka_unit_test(test_clock_offset_corrected),
		cmocka_unit_test(test_push_idempotent),
		cmocka_unit_test(test_push_compact),
		cmocka_unit_test(test_push_seat_checks),
		cmocka_unit_test(test_role_and_malformed),
		cmocka_unit_test(test_online_sell_and_admit_cas),
		cmocka_unit_test(test_offline_duplicate_admission_and_long_poll),
		cmocka_unit_test(test_bootstrap_pages),
		cmocka_unit_test(test_leases_never_overlap),
		cmocka_unit_test(test_hold_and_release),
		cmocka_unit_test(test_large_answers_compressed),
		cmocka_unit_test(test_revoked_device),
		cmocka_unit_test(test_wal_checkpointed),
		cmocka_unit_test(test_long_poll_outlives_many_groups),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_pull_latest_and_migration),
		cmocka_unit_test(test_second_server_refused),
	};

	keys_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
