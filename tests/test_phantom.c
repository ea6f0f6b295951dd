/*
 * test_phantom.c: an online sale of seats not leased to the box office that gets no answer is
 * refused there; the server may have applied it all the same (a "phantom" sale: the seat sold
 * by this box office, no ticket printed). The box office remembers the attempt (the replica's
 * unanswered table) and the next sync settles it:
 *
 *   - the answers are lost after the server commits: the sync voids the seat (a refund
 *     operation, pushed), journals a "release", and another box office can sell the seat;
 *   - the requests are lost before the server: the sync forgets the attempt, voids nothing.
 *
 * The box office talks to the real server (in this process) through a TCP proxy of the test's
 * that passes everything, or drops the answers, or drops the requests.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "fault.h"
#include "journal.h"
#include "sale.h"

enum { BO2, NDEV };
enum { PASS, DROP_ANSWERS, DROP_REQUESTS };

static struct world w;
static struct device *bo1;
static char bo1_path[256];
static volatile int mode = PASS;
static int listen_fd = -1;
static uint16_t proxy_port;

/* ---- the proxy ------------------------------------------------------------------------- */

struct conn {
	int client;
	int server;
};

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct pollfd p[2];
	char buf[16384];
	ssize_t n;

	p[0].fd = c->client;
	p[0].events = POLLIN;
	p[1].fd = c->server;
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, 60000) <= 0)
			break;
		if (p[0].revents != 0) {
			if ((n = read(c->client, buf, sizeof buf)) <= 0)
				break;
			if (mode != DROP_REQUESTS && write(c->server, buf, (size_t)n) != n)
				break;
		}
		if (p[1].revents != 0) {
			if ((n = read(c->server, buf, sizeof buf)) <= 0)
				break;
			if (mode != DROP_ANSWERS && write(c->client, buf, (size_t)n) != n)
				break;
		}
	}
	close(c->client);
	close(c->server);
	free(c);
	return NULL;
}

static void *
accept_main(void *arg)
{
	struct sockaddr_in a;
	struct conn *c;
	pthread_t t;
	int fd;

	(void)arg;
	while ((fd = accept(listen_fd, NULL, NULL)) >= 0) {
		c = xcalloc(1, sizeof *c);
		c->client = fd;
		c->server = socket(AF_INET, SOCK_STREAM, 0);
		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_port = htons(w.port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(c->server, (struct sockaddr *)&a, sizeof a) != 0 ||
		    pthread_create(&t, NULL, conn_main, c) != 0) {
			close(c->client);
			close(c->server);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static void
proxy_start(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	pthread_t t;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(listen_fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(listen_fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(listen_fd, 16), 0);
	assert_int_equal(getsockname(listen_fd, (struct sockaddr *)&a, &len), 0);
	proxy_port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&t, NULL, accept_main, NULL), 0);
	pthread_detach(t);
}

/* ---- the world ------------------------------------------------------------------------- */

static int
setup(void **state)
{
	static const int roles[NDEV] = { ROLE_BOXOFFICE };
	struct sync_report rep;
	char url[64], *cause = NULL, *code;
	uint32_t id;

	(void)state;
	world_setup(&w, "phantom", 1, 10, roles, NDEV);
	proxy_start();
	/* Box office 1 reaches the server through the proxy. */
	snprintf(url, sizeof url, "http://127.0.0.1:%u", proxy_port);
	snprintf(bo1_path, sizeof bo1_path, "%s/bo1.db", w.dir);
	if (store_device_add(w.st, ROLE_BOXOFFICE, "Box office 1", NULL, &id, &code,
	    &cause) != 0)
		fault_die("device add: %s", cause);
	if (device_enroll(bo1_path, url, code, &bo1, &cause) != 0)
		fault_die("enroll: %s", cause);
	free(code);
	if (device_sync(bo1, 0, &rep, &cause) != 0 || device_sync(w.dev[BO2], 0, &rep,
	    &cause) != 0)
		fault_die("first sync: %s", cause);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	shutdown(listen_fd, SHUT_RDWR);
	close(listen_fd);
	device_close(bo1);
	world_teardown(&w);
	return 0;
}

static uint32_t
seat(const char *label)
{
	int64_t id;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(store_db(w.st), "SELECT id FROM seats WHERE "
	    "label = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, label, -1, SQLITE_STATIC);
	id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	assert_true(id > 0);
	return (uint32_t)id;
}

/* The server's record of a seat: its state name into buf, key_id and serial. */
static void
server_rec(uint32_t seat_id, char *buf, size_t len, int64_t *key_id, int64_t *serial)
{
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(store_db(w.st), "SELECT state, key_id, serial FROM "
	    "seat_state WHERE event_id = ? AND seat_id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, w.event_id);
	sqlite3_bind_int64(s, 2, seat_id);
	snprintf(buf, len, "available");
	*key_id = *serial = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(buf, len, "%s", sqlite3_column_text(s, 0));
		*key_id = sqlite3_column_int64(s, 1);
		*serial = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
}

static int
sell(struct device *d, uint32_t seat_id, char **cause)
{
	struct sale_request req;
	struct sale_order *o = NULL;
	struct sale_refusal ref;
	int rc;

	memset(&req, 0, sizeof req);
	req.event_id = w.event_id;
	req.seats = &seat_id;
	req.nseats = 1;
	req.pay = "card";
	req.tendered = -1;
	req.reference = "phantom";
	rc = sale_sell(d, &req, &o, &ref, cause);
	sale_order_free(o);
	return rc;
}

static int64_t
in_bo1(const char *sql)
{
	return fault_int(replica_db(device_replica(bo1)), sql, 0);
}

/* Make box office 1's unanswered attempts secs older. */
static void
backdate_unanswered(int secs)
{
	char sql[80];

	snprintf(sql, sizeof sql, "UPDATE unanswered SET at = at - %d", secs);
	assert_int_equal(sqlite3_exec(replica_db(device_replica(bo1)), sql, NULL, NULL, NULL),
	    SQLITE_OK);
}

/* ---- the tests ------------------------------------------------------------------------- */

/* The server applies the sale, both answers are lost: the next sync releases the seat. */
static void
test_phantom_released(void **state)
{
	uint32_t a = seat("A-1-1");
	struct sync_report rep;
	struct seat_rec rec;
	char st[16], *cause = NULL;
	int64_t key, serial, entries = 0, bad = 0;

	(void)state;
	mode = DROP_ANSWERS;
	assert_int_equal(sell(bo1, a, &cause), -1);
	assert_non_null(strstr(cause, "A-1-1 is not leased to this box office"));
	assert_non_null(strstr(cause, "released automatically when the server is back"));
	free(cause);
	cause = NULL;
	/* The phantom: sold by box office 1 on the server, no order here. */
	server_rec(a, st, sizeof st, &key, &serial);
	assert_string_equal(st, "sold");
	assert_int_equal(key, device_id(bo1));
	assert_int_equal(in_bo1("SELECT count(*) FROM orders"), 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 1);
	assert_int_equal(in_bo1("SELECT serial FROM unanswered"), serial);

	/* The network is back: a sync voids it on the server too. */
	mode = PASS;
	if (device_sync(bo1, 0, &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_int_equal(rep.released, 1);
	assert_int_equal(rep.waiting, 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 0);
	assert_int_equal(device_seat(bo1, w.event_id, a, &rec, &cause), 0);
	assert_int_equal(rec.state, SEAT_VOID);
	assert_int_equal(rec.serial, serial);
	seat_rec_free(&rec);
	server_rec(a, st, sizeof st, &key, &serial);
	assert_string_equal(st, "void");
	/* The server took it as a refund of box office 1 that gives no money back. */
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM ops WHERE device_id = ? "
	    "AND seat_id = ? AND kind = 'refund' AND price = 0", 2, (int64_t)device_id(bo1),
	    (int64_t)a), 1);
	assert_int_equal(in_bo1("SELECT count(*) FROM journal WHERE kind = 'release'"), 1);
	assert_int_equal(journal_verify(replica_db(device_replica(bo1)), &entries, &bad, &cause),
	    0);
	/* A second sync has nothing more to do. */
	if (device_sync(bo1, 0, &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_int_equal(rep.released, 0);

	/* Another box office sells the seat. */
	world_sync(&w, BO2, NULL);
	if (sell(w.dev[BO2], a, &cause) != 0)
		fail_msg("the other box office could not sell the released seat: %s", cause);
	server_rec(a, st, sizeof st, &key, &serial);
	assert_string_equal(st, "sold");
	assert_int_equal(key, device_id(w.dev[BO2]));
	assert_int_equal(device_waiting(w.dev[BO2]), 0);
}

/* The requests never reach the server: the sync forgets the attempt and voids nothing. */
static void
test_unapplied_forgotten(void **state)
{
	uint32_t a = seat("A-1-2");
	struct sync_report rep;
	struct seat_rec rec;
	char st[16], *cause = NULL;
	int64_t key, serial;

	(void)state;
	mode = DROP_REQUESTS;
	assert_int_equal(sell(bo1, a, &cause), -1);
	assert_non_null(strstr(cause, "A-1-2 is not leased to this box office"));
	free(cause);
	cause = NULL;
	server_rec(a, st, sizeof st, &key, &serial);
	assert_string_equal(st, "available");
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 1);

	mode = PASS;
	/* Answered at once, the attempt is kept: a slow server could still apply it... */
	if (device_sync(bo1, 0, &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_int_equal(rep.released, 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 1);
	/* ...and forgotten once two minutes have passed since it. */
	backdate_unanswered(200);
	if (device_sync(bo1, 0, &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_int_equal(rep.released, 0);
	assert_int_equal(rep.waiting, 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM journal WHERE kind = 'release'"), 1);
	assert_int_equal(device_seat(bo1, w.event_id, a, &rec, &cause), 0);
	assert_int_equal(rec.state, SEAT_AVAILABLE);
	seat_rec_free(&rec);
	server_rec(a, st, sizeof st, &key, &serial);
	assert_string_equal(st, "available");

	/* The seat sells normally, online. */
	if (sell(bo1, a, &cause) != 0)
		fail_msg("sell: %s", cause);
	server_rec(a, st, sizeof st, &key, &serial);
	assert_string_equal(st, "sold");
	assert_int_equal(key, device_id(bo1));
	assert_int_equal(device_waiting(bo1), 0);
}

/*
 * An attempt recorded after the sync's pull was answered is not forgotten by that sync (the
 * server might still apply it): only by a later one.
 */
static void
test_forget_waits_for_an_answer(void **state)
{
	uint32_t a = seat("A-1-3");
	struct sync_report rep;
	char *cause = NULL;
	int64_t upto;

	(void)state;
	mode = DROP_REQUESTS;
	assert_int_equal(sell(bo1, a, &cause), -1);
	free(cause);
	cause = NULL;
	mode = PASS;
	backdate_unanswered(200);       /* only the pull's answer is waited for here */
	upto = device_unanswered_mark(bo1) - 1;
	memset(&rep, 0, sizeof rep);
	assert_int_equal(device_unanswered_settle(bo1, upto, &rep, &cause), 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 1);
	if (device_sync(bo1, 0, &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_int_equal(rep.released, 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 0);
}

/*
 * A later sale of the seat in flight at this box office (its entry offered and reserved) holds
 * the release back: voiding then could void the ticket that sale prints.
 */
static void
test_release_waits_for_a_sale_in_flight(void **state)
{
	uint32_t a = seat("A-1-4");
	struct sync_report rep;
	char sql[160], *cause = NULL;
	int64_t entry;

	(void)state;
	mode = DROP_ANSWERS;
	assert_int_equal(sell(bo1, a, &cause), -1);
	free(cause);
	cause = NULL;
	mode = PASS;
	entry = in_bo1("SELECT entry FROM unanswered");
	assert_true(entry >= 1);
	snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO pending VALUES(%" PRIu32 ", %" PRIu32
	    ", %" PRId64 ")", w.event_id, a, entry + 1);
	assert_int_equal(sqlite3_exec(replica_db(device_replica(bo1)), sql, NULL, NULL, NULL),
	    SQLITE_OK);
	memset(&rep, 0, sizeof rep);
	if (device_pull(bo1, 0, &rep, &cause) != 0 ||
	    device_unanswered_settle(bo1, device_unanswered_mark(bo1), &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_int_equal(rep.released, 0);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 1);
	/* The sale in flight done (its entry recorded): the release goes ahead. */
	assert_int_equal(sqlite3_exec(replica_db(device_replica(bo1)), "DELETE FROM pending",
	    NULL, NULL, NULL), SQLITE_OK);
	if (device_sync(bo1, 0, &rep, &cause) != 0)
		fail_msg("sync: %s", cause);
	assert_int_equal(rep.released, 1);
	assert_int_equal(in_bo1("SELECT count(*) FROM unanswered"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phantom_released),
		cmocka_unit_test(test_unapplied_forgotten),
		cmocka_unit_test(test_forget_waits_for_an_answer),
		cmocka_unit_test(test_release_waits_for_a_sale_in_flight),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
