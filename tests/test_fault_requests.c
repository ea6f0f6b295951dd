/*
 * test_fault_requests.c: hostile requests against the real tessera-sync serve (a child process
 * on 127.0.0.1), over raw sockets so that every byte is the test's:
 *
 *   malformed (bad JSON, wrong types, bad query arguments, unknown paths and methods, deep
 *   nesting, bad UTF-8), oversized (a 5 MB body, a 100 KB header, a 1 MB URL), unsigned, badly
 *   signed, from an unknown device, an hour off the clock, replayed, revoked, and of the wrong
 *   role (a gate selling, a box office admitting, one device pushing another's operations):
 *   each refused with its status (400, 404, 405, 413, 414/431, 401, 403), in waves, while a
 *   signed client keeps pushing and pulling successfully; then a slowloris wave (hundreds of
 *   connections sending a header byte at a time) during which the signed client is still
 *   served. The server's VmRSS is read before and after each wave: it must stay bounded.
 *
 *   With a short read deadline (in this process), a slow connection is cut once its deadline
 *   passes, and a greedy address is held to its connection limit while another is served.
 *
 * TESSERA_TORTURE: more waves, more slow connections, and the real server's own 30 s deadline
 * waited out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "fault.h"
#include "reqsign.h"

enum { BO, GATE, GONE, NDEV };

static char dir[64], dbpath[256];
static pid_t server_pid;
static uint16_t port;
static struct keypair *kp[NDEV];
static uint32_t ids[NDEV];
static uint32_t event_id, seat_ids[40];
static uint32_t next_seq[NDEV];
static int wrong[8];            /* refusals with another status than wanted */

/* ---- raw HTTP -------------------------------------------------------------------------- */

/* A connection to the server from source address src (NULL: any). -1 when refused. */
static int
raw_connect(uint16_t to, const char *src)
{
	struct sockaddr_in a;
	struct timeval tv = { 15, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	if (src != NULL) {
		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		inet_pton(AF_INET, src, &a.sin_addr);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	}
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(to);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Send a whole request (head, then body) and read the answer to the end: its status, or -1
 * when the server closed without one. *body (may be NULL) gets the answer's body.
 */
static int
raw_call(uint16_t to, const char *src, const char *head, const char *body, size_t blen,
    char **answer)
{
	char buf[65536], *all = NULL, *p;
	size_t len = 0;
	ssize_t n;
	int fd, status = -1;

	if ((fd = raw_connect(to, src)) < 0)
		return -1;
	if (send_all(fd, head, strlen(head)) == 0 && (blen == 0 || send_all(fd, body, blen) == 0))
		shutdown(fd, SHUT_WR);
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
		all = xreallocarray(all, len + (size_t)n + 1, 1);
		memcpy(all + len, buf, (size_t)n);
		len += (size_t)n;
		all[len] = '\0';
	}
	close(fd);
	if (all != NULL && strncmp(all, "HTTP/1.", 7) == 0 && len > 12)
		status = atoi(all + 9);
	if (answer != NULL) {
		p = all != NULL ? strstr(all, "\r\n\r\n") : NULL;
		*answer = xstrdup(p != NULL ? p + 4 : "");
	}
	free(all);
	return status;
}

/* A signed request of device i (time off by skew, nonce as given or fresh). */
static char *
signed_head(int i, const char *method, const char *path, const char *body, int64_t skew,
    struct reqsign *reuse)
{
	struct reqsign rs;
	size_t blen = body != NULL ? strlen(body) : 0;

	if (reuse != NULL && reuse->nonce[0] != '\0')
		rs = *reuse;
	else {
		reqsign_sign(kp[i], method, path, (int64_t)time(NULL) + skew, (const uint8_t *)body,
		    blen, &rs);
		if (reuse != NULL)
			*reuse = rs;
	}
	return xasprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n%s: %u\r\n%s: %s\r\n"
	    "%s: %s\r\n%s: %s\r\n\r\n", method, path, blen, REQSIGN_H_DEVICE, ids[i],
	    REQSIGN_H_TIME, rs.time, REQSIGN_H_NONCE, rs.nonce, REQSIGN_H_SIG, rs.sig);
}

static int
signed_call(const char *src, int i, const char *method, const char *path, const char *body,
    char **answer)
{
	char *head = signed_head(i, method, path, body, 0, NULL);
	int st = raw_call(port, src, head, body, body != NULL ? strlen(body) : 0, answer);

	free(head);
	return st;
}

/* One operation of device i on seat k, as JSON text. */
static char *
op_body(int i, enum op_kind kind, int k, const char *wrap)
{
	struct op o;
	json_t *j;
	char *text;

	op_init(&o);
	o.device_id = ids[i];
	o.seq = __atomic_add_fetch(&next_seq[i], 1, __ATOMIC_SEQ_CST);
	o.kind = kind;
	o.at = time(NULL);
	seat_rec_init(&o.rec, event_id, seat_ids[k]);
	o.rec.state = kind == OP_SELL ? SEAT_SOLD : kind == OP_ADMIT ? SEAT_ADMITTED : SEAT_VOID;
	o.rec.key_id = ids[BO];
	o.rec.serial = o.seq;
	o.rec.sold_at = o.at;
	o.rec.price = 1500;
	o.rec.changed_by = ids[i];
	o.rec.changed_at = o.at;
	if (kind == OP_ADMIT) {
		o.rec.admitted_by = ids[i];
		o.rec.admitted_at = o.at;
		o.rec.moves = 1;
	}
	vv_increment(&o.rec.vv, ids[i]);
	if (kind == OP_SELL)
		snprintf(o.pay, sizeof o.pay, "cash");
	j = json_pack(strcmp(wrap, "op") == 0 ? "{s:o}" : "{s:[o]}", wrap, proto_op_to_json(&o));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	op_free(&o);
	return text;
}

static long
vmrss_kb(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return kb;
}

/* ---- the world ------------------------------------------------------------------------- */

static void
server_spawn(void)
{
	const char *build = getenv("BUILD");
	char bin[512], line[256];
	int pfd[2];
	FILE *f;

	snprintf(bin, sizeof bin, "%s/tessera-sync", build != NULL ? build : "build");
	assert_int_equal(pipe(pfd), 0);
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (server_pid == 0) {
		/* FAULT_SERVER_LOG=FILE keeps the server's log (a sanitizer's report, say). */
		const char *log = getenv("FAULT_SERVER_LOG");
		int null = open(log != NULL ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(pfd[1], 1);
		dup2(null, 2);
		close(pfd[0]);
		execl(bin, bin, "serve", "--db", dbpath, "--listen", "127.0.0.1:0", "--quiet",
		    (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (fgets(line, sizeof line, f) == NULL ||
	    sscanf(line, "tessera-sync: serving on http://127.0.0.1:%hu", &port) != 1)
		fail_msg("the server did not start: %s", line);
	fclose(f);
}

static int
setup(void **state)
{
	static const char venue[] = "venue,Hostile Hall\nrow,A,1,1-20\nrow,B,1,1-20\n";
	static const int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_GATE, ROLE_BOXOFFICE };
	struct store *st;
	struct store_event ev;
	struct store_tier t;
	struct keypair *root;
	struct venue *v;
	sqlite3_stmt *s;
	char *cause = NULL, *code[NDEV], *hex, *body, *answer, tname[] = "All";
	uint32_t vid;
	json_t *j;
	int i;

	(void)state;
	snprintf(dir, sizeof dir, "/tmp/tessera-requests-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/central.db", dir);
	if (store_create(dbpath, &root, &cause) != 0 || store_open(dbpath, &st, &cause) != 0)
		fail_msg("store: %s", cause);
	keypair_free(root);
	assert_int_equal(venue_parse(venue, sizeof venue - 1, "v", &v, &cause), 0);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	t.name = tname;
	t.price = 1500;
	t.sections = NULL;
	ev.venue_id = vid;
	ev.name = "Hostile night";
	ev.starts_at = time(NULL) + 3600;
	ev.doors_at = time(NULL) - 60;
	ev.currency = "EUR";
	ev.tiers = &t;
	ev.ntiers = 1;
	assert_int_equal(store_event_create(st, &ev, &event_id, &cause), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM seats ORDER BY id", -1,
	    &s, NULL), SQLITE_OK);
	for (i = 0; i < 40 && sqlite3_step(s) == SQLITE_ROW; i++)
		seat_ids[i] = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	for (i = 0; i < NDEV; i++) {
		assert_int_equal(store_device_add(st, roles[i], "dev", NULL, &ids[i], &code[i],
		    &cause), 0);
		kp[i] = keypair_generate();
	}
	store_close(st);
	server_spawn();
	for (i = 0; i < NDEV; i++) {
		char *head;

		hex = keys_hex(kp[i]->pk, KEYS_PUBLICBYTES);
		j = json_pack("{s:s,s:s}", "code", code[i], "pk", hex);
		body = json_dumps(j, JSON_COMPACT);
		head = xasprintf("POST /v1/enroll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		    "Content-Length: %zu\r\n\r\n", strlen(body));
		assert_int_equal(raw_call(port, NULL, head, body, strlen(body), &answer), 200);
		free(head);
		free(answer);
		free(body);
		json_decref(j);
		free(hex);
		free(code[i]);
	}
	/* The third box office is revoked: its requests are refused from now on. */
	{
		char cmd[600];
		const char *build = getenv("BUILD");

		snprintf(cmd, sizeof cmd, "'%s/tessera-sync' device revoke --db '%s' %u >/dev/null",
		    build != NULL ? build : "build", dbpath, ids[GONE]);
		assert_int_equal(system(cmd), 0);
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];
	int i, status;

	(void)state;
	kill(server_pid, SIGTERM);
	waitpid(server_pid, &status, 0);
	for (i = 0; i < NDEV; i++)
		keypair_free(kp[i]);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the hostile suite ----------------------------------------------------------------- */

static void
want(int got, int status, const char *what)
{
	if (got == status)
		return;
	print_message("%s: status %d, want %d\n", what, got, status);
	wrong[0]++;
}

/* An unsigned request of method to path with this body: its status. */
static int
plain(const char *method, const char *path, const char *extra, const char *body, size_t blen)
{
	char *head = xasprintf("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s"
	    "Content-Length: %zu\r\n\r\n", method, path, extra != NULL ? extra : "", blen);
	int st = raw_call(port, NULL, head, body, blen, NULL);

	free(head);
	return st;
}

static int
hostile_wave(void)
{
	struct reqsign rs;
	char *head, *body, *big;
	int n = 0, i;

	/* Malformed. */
	want(signed_call(NULL, BO, "POST", "/v1/push", "{", NULL), 400, "truncated JSON"), n++;
	want(signed_call(NULL, BO, "POST", "/v1/push", "[]", NULL), 400, "an array"), n++;
	want(signed_call(NULL, BO, "POST", "/v1/push", "{\"ops\": \"x\"}", NULL), 400,
	    "ops a string"), n++;
	want(signed_call(NULL, BO, "POST", "/v1/push", "{\"ops\": []}", NULL), 400,
	    "no ops"), n++;
	want(signed_call(NULL, BO, "POST", "/v1/push", "{\"ops\": [{\"dev\": 1}]}", NULL),
	    400, "an op without fields"), n++;
	want(signed_call(NULL, BO, "POST", "/v1/push", "{\"a\": 1, \"a\": 2}", NULL), 400,
	    "duplicate keys"), n++;
	want(signed_call(NULL, BO, "POST", "/v1/push", "{\"ops\": \"\xff\xfe\"}", NULL), 400,
	    "bad UTF-8"), n++;
	big = xmalloc(200001);
	for (i = 0; i < 100000; i++) {
		big[i] = '[';
		big[200000 - 1 - i] = ']';
	}
	big[200000] = '\0';
	want(signed_call(NULL, BO, "POST", "/v1/push", big, NULL), 400, "nested 100,000 deep"),
	    n++;
	free(big);
	want(signed_call(NULL, BO, "GET", "/v1/pull?since=-1", NULL, NULL), 400, "since -1"), n++;
	want(signed_call(NULL, BO, "GET", "/v1/pull?since=abc", NULL, NULL), 400, "since abc"),
	    n++;
	want(signed_call(NULL, BO, "GET", "/v1/pull?wait=999", NULL, NULL), 400, "wait 999"), n++;
	want(signed_call(NULL, BO, "GET", "/v1/bootstrap?event=99999", NULL, NULL), 404,
	    "no such event"), n++;
	{
		char path[96];

		snprintf(path, sizeof path, "/v1/bootstrap?event=%u&after=-1", event_id);
		want(signed_call(NULL, BO, "GET", path, NULL, NULL), 400, "bootstrap after -1"), n++;
		snprintf(path, sizeof path, "/v1/bootstrap?event=%u&after=99999999999", event_id);
		want(signed_call(NULL, BO, "GET", path, NULL, NULL), 400,
		    "bootstrap after past 32 bits"), n++;
		snprintf(path, sizeof path, "/v1/bootstrap?event=%u&limit=0", event_id);
		want(signed_call(NULL, BO, "GET", path, NULL, NULL), 400, "bootstrap limit 0"), n++;
		snprintf(path, sizeof path, "/v1/bootstrap?event=%u&limit=1000000", event_id);
		want(signed_call(NULL, BO, "GET", path, NULL, NULL), 400,
		    "bootstrap limit 1,000,000"), n++;
	}
	want(plain("GET", "/v1/nothing", NULL, NULL, 0), 404, "unknown path"), n++;
	want(plain("DELETE", "/v1/push", NULL, NULL, 0), 405, "DELETE"), n++;
	want(plain("GARBAGE", "/", NULL, NULL, 0) >= 400 ? 400 : -2, 400, "a made-up method"),
	    n++;
	i = raw_call(port, NULL, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS to HTTP\r\n\r\n",
	    NULL, 0, NULL);
	want(i == 400 || i == -1 ? 400 : i, 400, "a TLS hello to plain HTTP (400 or closed)"), n++;

	/* Oversized. */
	big = xmalloc(5 * 1024 * 1024 + 1);
	memset(big, ' ', 5 * 1024 * 1024);
	big[0] = '{';
	big[5 * 1024 * 1024 - 1] = '}';
	big[5 * 1024 * 1024] = '\0';
	want(signed_call(NULL, BO, "POST", "/v1/push", big, NULL), 413, "a 5 MB body"), n++;
	free(big);
	big = xmalloc(100 * 1024 + 32);
	snprintf(big, 32, "X-Junk: ");
	memset(big + 8, 'a', 100 * 1024);
	memcpy(big + 8 + 100 * 1024, "\r\n", 3);
	i = plain("GET", "/healthz", big, NULL, 0);
	want(i == 431 || i == 413 || i == 400 ? 431 : i, 431, "a 100 KB header"), n++;
	free(big);
	big = xmalloc(1024 * 1024 + 32);
	memcpy(big, "/v1/pull?x=", 11);
	memset(big + 11, 'a', 1024 * 1024);
	big[11 + 1024 * 1024] = '\0';
	i = plain("GET", big, NULL, NULL, 0);
	want(i == 414 || i == 431 || i == 413 || i == 400 ? 414 : i, 414, "a 1 MB URL"), n++;
	free(big);

	/* Unsigned, badly signed, unknown, an hour off, replayed, revoked. */
	want(plain("GET", "/v1/pull?since=0", NULL, NULL, 0), 401, "unsigned"), n++;
	head = signed_head(BO, "GET", "/v1/pull?since=0", NULL, 0, NULL);
	{
		char *sig = strstr(head, REQSIGN_H_SIG) + strlen(REQSIGN_H_SIG) + 2;

		*sig = *sig == 'a' ? 'b' : 'a';
	}
	want(raw_call(port, NULL, head, NULL, 0, NULL), 401, "a bad signature"), n++;
	free(head);
	head = signed_head(BO, "GET", "/v1/pull?since=0", NULL, 0, NULL);
	{
		char *dev = strstr(head, REQSIGN_H_DEVICE) + strlen(REQSIGN_H_DEVICE) + 2;

		*dev = '9';
	}
	want(raw_call(port, NULL, head, NULL, 0, NULL), 401, "an unknown device"), n++;
	free(head);
	head = signed_head(BO, "GET", "/v1/pull?since=1", NULL, 3600, NULL);
	want(raw_call(port, NULL, head, NULL, 0, NULL), 401, "an hour ahead"), n++;
	free(head);
	memset(&rs, 0, sizeof rs);
	head = signed_head(BO, "GET", "/v1/pull?since=2", NULL, 0, &rs);
	want(raw_call(port, NULL, head, NULL, 0, NULL), 200, "the original"), n++;
	want(raw_call(port, NULL, head, NULL, 0, NULL), 401, "its replay"), n++;
	free(head);
	want(signed_call(NULL, GONE, "GET", "/v1/pull?since=0", NULL, NULL), 403, "revoked"), n++;

	/* The wrong role; another device's operations. */
	body = op_body(GATE, OP_SELL, 0, "ops");
	want(signed_call(NULL, GATE, "POST", "/v1/sell", body, NULL), 403, "a gate selling"), n++;
	want(signed_call(NULL, GATE, "POST", "/v1/push", body, NULL), 403, "a gate pushing a sale"),
	    n++;
	free(body);
	body = op_body(BO, OP_ADMIT, 1, "op");
	want(signed_call(NULL, BO, "POST", "/v1/admit", body, NULL), 403, "a box office admitting"),
	    n++;
	free(body);
	body = op_body(BO, OP_SELL, 2, "ops");
	want(signed_call(NULL, GATE, "POST", "/v1/push", body, NULL), 403,
	    "pushing another device's operations"), n++;
	free(body);
	want(signed_call(NULL, GATE, "POST", "/v1/lease", "{\"event\": 1, \"seats\": [1]}", NULL),
	    403, "a gate leasing"), n++;
	return n;
}

/* Signed work that must keep succeeding: a push of a new sale and a pull. */
struct worker {
	volatile int stop;
	int          ok, failed, k;
	double       worst, total;
};

static void *
work_main(void *arg)
{
	struct worker *wk = arg;
	char *body;
	double t0, dt;
	int st;

	while (!wk->stop) {
		body = op_body(BO, OP_SELL, 3 + wk->k++ % 30, "ops");
		t0 = fault_now();
		st = signed_call("127.0.0.2", BO, "POST", "/v1/push", body, NULL);
		if (st == 200)
			st = signed_call("127.0.0.2", BO, "GET", "/v1/pull?since=0", NULL, NULL);
		dt = fault_now() - t0;
		free(body);
		if (st == 200)
			wk->ok++;
		else
			wk->failed++;
		wk->total += dt;
		if (dt > wk->worst)
			wk->worst = dt;
		usleep(20000);
	}
	return NULL;
}

/* Open n slow connections: a request line, then a header byte now and then. */
static int *
slow_open(uint16_t to, const char *src, int n, int *opened)
{
	int *fds = xcalloc((size_t)n, sizeof *fds), i;

	*opened = 0;
	for (i = 0; i < n; i++) {
		fds[i] = raw_connect(to, src);
		if (fds[i] >= 0 && send_all(fds[i], "GET /healthz HTTP/1.1\r\nX-Slow: ", 31) == 0)
			(*opened)++;
	}
	return fds;
}

/* One more byte on every slow connection; how many the server has closed. */
static int
slow_drip(int *fds, int n)
{
	struct pollfd p;
	char c;
	int i, closed = 0;

	for (i = 0; i < n; i++) {
		if (fds[i] < 0) {
			closed++;
			continue;
		}
		p.fd = fds[i];
		p.events = POLLIN;
		if ((poll(&p, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_DONTWAIT) <= 0) ||
		    send(fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			close(fds[i]);
			fds[i] = -1;
			closed++;
		}
	}
	return closed;
}

static void
slow_close(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(fds);
}

static void
test_hostile_waves(void **state)
{
	struct worker wk;
	pthread_t t;
	long rss[16];
	int waves = fault_torture() ? 10 : 3, i, n = 0;
	double t0;

	(void)state;
	memset(&wk, 0, sizeof wk);
	assert_int_equal(pthread_create(&t, NULL, work_main, &wk), 0);
	usleep(200000);
	rss[0] = vmrss_kb(server_pid);
	t0 = fault_now();
	for (i = 1; i <= waves; i++) {
		int k;

		for (k = 0; k < 10; k++)
			n += hostile_wave();
		rss[i] = vmrss_kb(server_pid);
	}
	wk.stop = 1;
	pthread_join(t, NULL);
	assert_int_equal(wrong[0], 0);
	assert_int_equal(wk.failed, 0);
	assert_true(wk.ok > 0);
	/* Bounded: the last wave grew the server by less than 4 MB over the first. */
#ifndef __SANITIZE_ADDRESS__
	assert_true(rss[waves] - rss[1] < 4096);
#else
	print_message("AddressSanitizer's quarantine grows the memory: not checked\n");
#endif
	fault_figure("requests", "%d hostile requests in %d waves (%.1f s), each refused with its "
	    "status; meanwhile %d signed push+pull rounds all served (worst %.0f ms, mean %.1f "
	    "ms); server VmRSS %ld kB before, %ld kB after wave 1, %ld kB after wave %d", n, waves,
	    fault_now() - t0, wk.ok, 1000 * wk.worst, 1000 * wk.total / (wk.ok > 0 ? wk.ok : 1),
	    rss[0], rss[1], rss[waves], waves);
}

static void
test_slowloris_real_server(void **state)
{
	struct worker wk;
	struct rlimit rl;
	pthread_t t;
	long before, during, after;
	int *fds, n = fault_torture() ? 450 : 300, opened, secs = 5, s, closed = 0, early;
	int all_cut = 0;

	(void)state;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	before = vmrss_kb(server_pid);
	fds = slow_open(port, NULL, n, &opened);
	memset(&wk, 0, sizeof wk);
	assert_int_equal(pthread_create(&t, NULL, work_main, &wk), 0);
	for (s = 0; s < secs; s++) {
		sleep(1);
		closed = slow_drip(fds, n);
	}
	during = vmrss_kb(server_pid);
	wk.stop = 1;
	pthread_join(t, NULL);
	assert_int_equal(wk.failed, 0);
	assert_true(wk.ok >= 10);
	early = closed;
	if (fault_torture()) {
		/* The server's own deadline (30 s) cuts every one of them. */
		for (s = secs; s < SERVER_READ_TIMEOUT + 5 && closed < n; s++) {
			sleep(1);
			closed = slow_drip(fds, n);
		}
		assert_int_equal(closed, n);
		all_cut = s;
	}
	slow_close(fds, n);
	sleep(1);
	after = vmrss_kb(server_pid);
	fault_figure("slowloris", "%d connections sending a header byte a second for %d s: the "
	    "signed client was served %d times, none failed (worst %.0f ms); %d of them cut "
	    "within those %d s; server VmRSS %ld kB before, %ld kB with them, %ld kB after", opened,
	    secs, wk.ok, 1000 * wk.worst, early, secs, before, during, after);
	if (fault_torture())
		fault_figure("slowloris", "all %d cut by the server's %d s deadline within %d s",
		    n, SERVER_READ_TIMEOUT, all_cut + 1);
}

/* In this process, with a 2 s deadline and 20 connections per address: cut, and held back. */
static void
test_deadline_and_per_ip(void **state)
{
	struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };
	struct server_limits lim = { 2, 200, 20 };
	struct store *st;
	struct server *srv;
	struct keypair *root;
	char *cause = NULL, *metrics = NULL, path[300];
	uint16_t p;
	int *fds, opened, closed = 0, extra, status;
	double t0, cut_after = 0;

	(void)state;
	/* A store of its own: the real server of setup() holds dbpath (one server a store). */
	snprintf(path, sizeof path, "%s/limits.db", dir);
	if (store_create(path, &root, &cause) != 0)
		fail_msg("store_create: %s", cause);
	keypair_free(root);
	if (store_open(path, &st, &cause) != 0)
		fail_msg("store_open: %s", cause);
	if (server_start_limits(st, &cfg, &lim, &srv, &cause) != 0)
		fail_msg("server_start: %s", cause);
	p = server_port(srv);
	t0 = fault_now();
	fds = slow_open(p, NULL, 20, &opened);
	assert_int_equal(opened, 20);
	/* The 21st connection from the same address is turned away... */
	extra = raw_call(p, NULL, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", NULL, 0,
	    NULL);
	assert_int_equal(extra, -1);
	/* ...while another address is served. */
	status = raw_call(p, "127.0.0.2", "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
	    NULL, 0, NULL);
	assert_int_equal(status, 200);
	while (closed < 20 && fault_now() - t0 < 10) {
		usleep(100000);
		closed = slow_drip(fds, 20);
		if (closed == 20)
			cut_after = fault_now() - t0;
	}
	assert_int_equal(closed, 20);
	assert_true(cut_after >= 1.9 && cut_after < 4);
	/* Then the address is welcome again. */
	status = raw_call(p, NULL, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", NULL, 0,
	    &metrics);
	assert_int_equal(status, 200);
	assert_non_null(strstr(metrics, "tessera_connections_cut_total 20"));
	free(metrics);
	slow_close(fds, 20);
	server_stop(srv);
	store_close(st);
	fault_figure("deadline", "with a 2 s read deadline and 20 connections per address: 20 "
	    "slow connections all cut after %.1f s; the 21st from that address turned away, "
	    "another address served meanwhile", cut_after);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_waves),
		cmocka_unit_test(test_slowloris_real_server),
		cmocka_unit_test(test_deadline_and_per_ip),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
