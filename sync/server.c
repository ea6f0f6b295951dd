/*
 * server.c: the sync server's HTTP front on libmicrohttpd.
 *
 * One thread per connection, so that a long-polling pull can simply wait on the store's
 * condition variable. For each request: find the route (404, 405), refuse a body over
 * PROTO_MAX_BODY (413) without keeping it, check the device's signature (401, 403) over the
 * method, the URI as sent (path and query), the time, the nonce and the body, parse the JSON
 * body (400), then call the route. Every answer is JSON (but /metrics) and carries the
 * server's clock in X-Tessera-Server-Time so that a device whose clock is off can correct, and
 * the store's epoch and change sequence (X-Tessera-Epoch, X-Tessera-Seq) so that a device can
 * tell when the store went back to an older backup (docs/reliability.md).
 *
 * Slow clients: a thread per connection is cheap until a client sends its request a byte at a
 * time (slowloris): libmicrohttpd's timeout counts idle time only. So a watchdog thread cuts
 * (shutdown()) every connection that is still sending its request read_timeout seconds after
 * it connected or finished its previous request; a request fully received (a long-poll
 * waiting, a reply on its way) is never cut. With the connection limits (in all, and from one
 * address) a slow or greedy client holds a bounded number of threads for a bounded time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>
#include <zlib.h>

#include "reqsign.h"
#include "server.h"
#include "xmalloc.h"

static const struct route *routes[] = {
	&route_healthz,
	&route_metrics,
	&route_enroll,
	&route_events,
	&route_bootstrap,
	&route_pull,
	&route_push,
	&route_admit,
	&route_sell,
	&route_hold,
	&route_release,
	&route_lease,
	&route_lease_return,
	&route_epoch,
};
#define NROUTES nitems(routes)

static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    2.5, 5, 10, 30 };
#define NBUCKETS nitems(buckets)

/* A connection the watchdog keeps an eye on: since when it has been sending a request. */
struct watch {
	MHD_socket       fd;
	int              reading;       /* sending (the rest of) a request */
	int              cut;
	struct timespec  since;
	struct watch    *prev, *next;
};

struct server {
	struct MHD_Daemon     *daemon;
	struct store          *st;
	struct server_config   cfg;
	struct server_limits   lim;
	char                  *tls_cert;
	char                  *tls_key;
	pthread_mutex_t        mu;
	uint64_t               count[NROUTES + 1][6];     /* by route (last: none), status class */
	uint64_t               hist[NBUCKETS + 1];
	double                 hist_sum;
	uint64_t               hist_count;
	pthread_mutex_t        wmu;                       /* the watches and the watchdog */
	pthread_cond_t         wcond;
	struct watch          *watches;
	pthread_t              watchdog;
	int                    watchdog_on;
	int                    watchdog_stop;
	uint64_t               cut;                       /* connections cut for slowness */
	uint64_t               open;                      /* connections now */
	pthread_mutex_t        kmu;                       /* the MAC keys */
	struct mackey         *keys;                      /* MACKEYS of them, sodium_malloc */
};

/*
 * The request MAC keys of the devices seen lately (common/reqsign.h), so that an X25519 is
 * computed once per device rather than once per request: direct-mapped by device id, each
 * entry with the public key it was computed from (a device enrolled again has another).
 */
#define MACKEYS 4096
struct mackey {
	uint32_t device;
	uint8_t  pk[KEYS_PUBLICBYTES];
	uint8_t  key[REQSIGN_KEYBYTES];
};

/* Per request, from the first byte to the end. */
struct call {
	char           *uri;            /* as sent, with its query: what the device signed */
	int             started;
	int             too_large;
	char           *body;
	size_t          len;
	struct timespec t0;
};

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void
reply_error(struct reply *rep, int status, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_decref(rep->json);
	rep->status = status;
	rep->json = json_pack("{s:s,s:i}", "error", buf, "status", status);
}

void
reply_store(struct reply *rep, int rc, json_t *json, char *cause)
{
	static const struct {
		int rc, status;
	} map[] = {
		{ STORE_OK, 200 }, { STORE_ERROR, 500 }, { STORE_BAD, 400 },
		{ STORE_NOTFOUND, 404 }, { STORE_FORBIDDEN, 403 }, { STORE_REFUSED, 409 },
	};
	size_t i;
	int status = 500;

	for (i = 0; i < nitems(map); i++) {
		if (map[i].rc == rc)
			status = map[i].status;
	}
	if (json != NULL) {
		json_decref(rep->json);
		rep->status = status;
		rep->json = json;
		if (cause != NULL && status != 200)
			json_object_set_new(json, "error", json_string(cause));
	} else
		reply_error(rep, status, "%s", cause != NULL ? cause : "internal error");
	free(cause);
}

const char *
request_arg(struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int
request_arg_u64(struct request *r, struct reply *rep, const char *name, uint64_t max,
    uint64_t *out)
{
	const char *v = request_arg(r, name);
	unsigned long long n;
	char *end;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n > max || *v == '-') {
		reply_error(rep, 400, "query argument %s: want a number up to %" PRIu64, name, max);
		return -1;
	}
	*out = n;
	return 0;
}

int
request_compact(struct request *r, struct reply *rep)
{
	json_t *v = json_object_get(r->body, "compact");

	if (v != NULL && !json_is_boolean(v)) {
		reply_error(rep, 400, "request.compact: want true or false");
		return -1;
	}
	return json_is_true(v);
}

/* The route for method and path; *exists says whether the path exists with another method. */
static int
find_route(const char *method, const char *path, int *exists)
{
	size_t i;

	*exists = 0;
	for (i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i]->path, path) != 0)
			continue;
		*exists = 1;
		if (strcmp(routes[i]->method, method) == 0)
			return (int)i;
	}
	return -1;
}

/* ------------------------------------------------------------------ slow clients */

static void
on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	struct watch *w;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		w = xcalloc(1, sizeof *w);
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		w->fd = ci != NULL ? ci->connect_fd : MHD_INVALID_SOCKET;
		w->reading = 1;
		clock_gettime(CLOCK_MONOTONIC, &w->since);
		pthread_mutex_lock(&srv->wmu);
		w->next = srv->watches;
		if (w->next != NULL)
			w->next->prev = w;
		srv->watches = w;
		srv->open++;
		pthread_mutex_unlock(&srv->wmu);
		*ctx = w;
		return;
	}
	/* Closed: libmicrohttpd tells before it closes the socket, so the fd is still ours. */
	if ((w = *ctx) == NULL)
		return;
	pthread_mutex_lock(&srv->wmu);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		srv->watches = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	srv->open--;
	pthread_mutex_unlock(&srv->wmu);
	free(w);
	*ctx = NULL;
}

/* The connection has sent its whole request (reading 0), or is ready for the next (1). */
static void
watch_set(struct server *srv, struct MHD_Connection *conn, int reading)
{
	const union MHD_ConnectionInfo *ci;
	struct watch *w;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (w = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&srv->wmu);
	w->reading = reading;
	clock_gettime(CLOCK_MONOTONIC, &w->since);
	pthread_mutex_unlock(&srv->wmu);
}

static void *
watchdog_main(void *arg)
{
	struct server *srv = arg;
	struct timespec now, until;
	struct watch *w;
	double limit = srv->lim.read_timeout;

	pthread_mutex_lock(&srv->wmu);
	while (!srv->watchdog_stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (w = srv->watches; w != NULL; w = w->next) {
			if (!w->reading || w->cut || w->fd == MHD_INVALID_SOCKET ||
			    (double)(now.tv_sec - w->since.tv_sec) +
			    (double)(now.tv_nsec - w->since.tv_nsec) / 1e9 < limit)
				continue;
			/* The connection's thread sees the end and closes it. */
			shutdown(w->fd, SHUT_RDWR);
			w->cut = 1;
			srv->cut++;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&srv->wcond, &srv->wmu, &until);
	}
	pthread_mutex_unlock(&srv->wmu);
	return NULL;
}

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct call *c = xcalloc(1, sizeof *c);

	(void)cls;
	(void)conn;
	c->uri = xstrdup(uri);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	return c;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct call *c = *con_cls;

	(void)toe;
	watch_set(cls, conn, 1);
	if (c == NULL)
		return;
	free(c->uri);
	free(c->body);
	free(c);
	*con_cls = NULL;
}

/* reqsign_verify_mac with the device's key, computed on its first request. */
static int
mac_verify(struct server *srv, struct request *r, struct call *c, const char *tm,
    const char *nonce, const char *mac, int64_t *when, char **cause)
{
	struct mackey *k = &srv->keys[r->device.id % MACKEYS];
	uint8_t key[REQSIGN_KEYBYTES];
	int rc;

	pthread_mutex_lock(&srv->kmu);
	if (k->device != r->device.id || memcmp(k->pk, r->device.pk, sizeof k->pk) != 0) {
		k->device = 0;
		if (reqsign_key(store_root(srv->st), r->device.pk, 0, k->key) != 0) {
			pthread_mutex_unlock(&srv->kmu);
			return set_cause(cause, "device %" PRIu32 " has no request key (its "
			    "public key is not a valid point)", r->device.id);
		}
		k->device = r->device.id;
		memcpy(k->pk, r->device.pk, sizeof k->pk);
	}
	memcpy(key, k->key, sizeof key);
	pthread_mutex_unlock(&srv->kmu);
	rc = reqsign_verify_mac(key, r->method, c->uri, tm, nonce, mac,
	    (const uint8_t *)c->body, c->len, when, cause);
	sodium_memzero(key, sizeof key);
	return rc;
}

/* Check the device's signature or MAC and freshness; fills r->device or the reply. */
static int
authenticate(struct server *srv, struct request *r, struct call *c, struct reply *rep)
{
	struct MHD_Connection *conn = r->conn;
	const char *dev, *tm, *nonce, *sig, *mac;
	char *cause = NULL, *end;
	unsigned long id;
	int64_t when, now = store_now();
	int rc;

	dev = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, REQSIGN_H_DEVICE);
	tm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, REQSIGN_H_TIME);
	nonce = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, REQSIGN_H_NONCE);
	sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, REQSIGN_H_SIG);
	if (dev == NULL) {
		reply_error(rep, 401, "request is not signed (missing %s header)", REQSIGN_H_DEVICE);
		return -1;
	}
	errno = 0;
	id = strtoul(dev, &end, 10);
	if (*dev == '\0' || *end != '\0' || errno != 0 || id == 0 || id > UINT32_MAX ||
	    store_device_get(srv->st, (uint32_t)id, &r->device) != 0) {
		reply_error(rep, 401, "unknown device \"%.20s\"", dev);
		return -1;
	}
	mac = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, REQSIGN_H_MAC);
	if (mac != NULL && sig == NULL)
		rc = mac_verify(srv, r, c, tm, nonce, mac, &when, &cause);
	else
		rc = reqsign_verify(r->device.pk, r->method, c->uri, tm, nonce, sig,
		    (const uint8_t *)c->body, c->len, &when, &cause);
	if (rc != 0) {
		reply_error(rep, 401, "%s", cause);
		free(cause);
		return -1;
	}
	if (when < now - PROTO_CLOCK_WINDOW || when > now + PROTO_CLOCK_WINDOW) {
		reply_error(rep, 401, "request time is %" PRId64 " s off the server's clock "
		    "(allowed: %d s); correct by %s", when - now, PROTO_CLOCK_WINDOW,
		    PROTO_H_SERVER_TIME);
		return -1;
	}
	if (r->device.revoked) {
		reply_error(rep, 403, "device %" PRIu32 " is revoked", r->device.id);
		return -1;
	}
	if ((rc = store_nonce_use(srv->st, r->device.id, nonce, when, now, &cause)) != STORE_OK) {
		reply_error(rep, rc == STORE_REFUSED ? 401 : 500, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static void
account(struct server *srv, int route, int status, double secs)
{
	size_t i;

	pthread_mutex_lock(&srv->mu);
	srv->count[route < 0 ? NROUTES : (size_t)route][status / 100 % 6]++;
	for (i = 0; i < NBUCKETS && secs > buckets[i]; i++)
		;
	srv->hist[i]++;
	srv->hist_sum += secs;
	srv->hist_count++;
	pthread_mutex_unlock(&srv->mu);
}

static void
log_request(struct server *srv, const char *method, const struct call *c, int status,
    double secs, uint32_t dev, const struct reply *rep)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	const char *err = NULL;

	if (!srv->cfg.log)
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (rep->json != NULL && status >= 400)
		err = json_string_value(json_object_get(rep->json, "error"));
	if (srv->cfg.log_json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:f,s:I}", "time", when, "method", method,
		    "uri", c->uri, "status", status, "ms", secs * 1000, "device", (json_int_t)dev);
		char *s;

		if (err != NULL)
			json_object_set_new(j, "error", json_string(err));
		s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(4));
		fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		fprintf(stderr, "%s %s %s %d %.1fms dev=%" PRIu32 "%s%s\n", when, method, c->uri,
		    status, secs * 1000, dev, err != NULL ? " error: " : "",
		    err != NULL ? err : "");
	}
}

void
server_log_conflict(struct server *srv, const json_t *conflict, uint32_t dev)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	char *s;

	if (!srv->cfg.log || conflict == NULL)
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (srv->cfg.log_json) {
		json_t *j = json_deep_copy(conflict);

		json_object_set_new(j, "time", json_string(when));
		json_object_set_new(j, "log", json_string("conflict"));
		json_object_set_new(j, "device", json_integer(dev));
		s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(j);
		return;
	}
	fprintf(stderr, "%s conflict %s event=%lld seat=%lld winner=%lld at=%lld loser=%lld "
	    "at=%lld pushed-by=%" PRIu32 "\n", when,
	    json_string_value(json_object_get(conflict, "kind")),
	    (long long)json_integer_value(json_object_get(conflict, "event")),
	    (long long)json_integer_value(json_object_get(conflict, "seat")),
	    (long long)json_integer_value(json_object_get(conflict, "winner")),
	    (long long)json_integer_value(json_object_get(conflict, "winner_at")),
	    (long long)json_integer_value(json_object_get(conflict, "loser")),
	    (long long)json_integer_value(json_object_get(conflict, "loser_at")), dev);
}

/* Answers this large are sent gzip-compressed to a client that accepts it. */
#define GZIP_OVER 16384

/* Does the request's Accept-Encoding allow gzip? */
static int
accepts_gzip(struct MHD_Connection *conn)
{
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");

	return ae != NULL && strstr(ae, "gzip") != NULL && strstr(ae, "gzip;q=0") == NULL;
}

/*
 * body (len bytes) as gzip; newly allocated, or NULL when zlib fails (then the answer goes
 * uncompressed). A sold-out 20,000-seat bootstrap shrinks about twentyfold.
 */
static char *
gzip(const char *body, size_t len, size_t *outlen)
{
	z_stream z;
	uLong cap;
	char *out;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)len) + 32;
	out = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static enum MHD_Result
send_reply(struct server *srv, struct MHD_Connection *conn, struct reply *rep)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *body, *z, now[24], epoch[STORE_EPOCH_LEN + 1];
	uint64_t seq;
	size_t len, zlen;
	int gzipped = 0;

	if (rep->text != NULL) {
		body = rep->text;
		rep->text = NULL;
	} else {
		body = json_dumps(rep->json, JSON_COMPACT);
		if (body == NULL)
			body = xstrdup("{\"error\":\"internal error\",\"status\":500}");
		rep->content_type = "application/json";
	}
	len = strlen(body);
	if (len > GZIP_OVER && len < UINT32_MAX && accepts_gzip(conn) &&
	    (z = gzip(body, len, &zlen)) != NULL) {
		free(body);
		body = z;
		len = zlen;
		gzipped = 1;
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", rep->content_type);
	if (gzipped)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	snprintf(now, sizeof now, "%" PRId64, store_now());
	MHD_add_response_header(resp, PROTO_H_SERVER_TIME, now);
	store_epoch(srv->st, epoch, &seq);
	if (epoch[0] != '\0') {
		MHD_add_response_header(resp, PROTO_H_EPOCH, epoch);
		snprintf(now, sizeof now, "%" PRIu64, seq);
		MHD_add_response_header(resp, PROTO_H_SEQ, now);
	}
	ret = MHD_queue_response(conn, (unsigned int)rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct call *c = *con_cls;
	struct request r;
	struct reply rep;
	json_error_t jerr;
	const char *cl;
	char *cause = NULL;
	enum MHD_Result ret;
	int route, exists;

	(void)version;
	if (c == NULL)          /* no URI callback: should not happen */
		return MHD_NO;
	if (!c->started) {
		c->started = 1;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > PROTO_MAX_BODY)
			c->too_large = 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!c->too_large && c->len + *upload_size > PROTO_MAX_BODY) {
			c->too_large = 1;
			free(c->body);
			c->body = NULL;
			c->len = 0;
		}
		if (!c->too_large) {
			c->body = xreallocarray(c->body, c->len + *upload_size + 1, 1);
			memcpy(c->body + c->len, upload, *upload_size);
			c->len += *upload_size;
			c->body[c->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}

	/* The whole request is in: from here on the watchdog leaves the connection alone. */
	watch_set(srv, conn, 0);
	memset(&r, 0, sizeof r);
	memset(&rep, 0, sizeof rep);
	rep.status = 200;
	r.st = srv->st;
	r.method = method;
	r.path = url;
	r.conn = conn;
	r.srv = srv;
	route = find_route(method, url, &exists);
	if (route < 0) {
		if (exists)
			reply_error(&rep, 405, "%s is not allowed on %s", method, url);
		else
			reply_error(&rep, 404, "no such path: %s", url);
	} else if (c->too_large)
		reply_error(&rep, 413, "request body over %d bytes", PROTO_MAX_BODY);
	else if (routes[route]->auth && authenticate(srv, &r, c, &rep) != 0)
		;
	else if (strcmp(method, "POST") == 0 &&
	    (r.body = json_loadb(c->body != NULL ? c->body : "", c->len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		reply_error(&rep, 400, "malformed JSON body: %s (line %d, column %d)", jerr.text,
		    jerr.line, jerr.column);
	else if (r.body != NULL && !json_is_object(r.body))
		reply_error(&rep, 400, "malformed JSON body: want an object");
	else
		routes[route]->handle(&r, &rep);
	if (rep.json == NULL && rep.text == NULL)
		reply_error(&rep, 500, "the route gave no answer");
	/* Nothing is answered before what the request wrote is durable (group commit). */
	if (store_settle(srv->st, &cause) != 0) {
		free(rep.text);
		rep.text = NULL;
		reply_error(&rep, 500, "the store could not commit: %s", cause);
		free(cause);
		cause = NULL;
	}

	ret = send_reply(srv, conn, &rep);
	account(srv, route, rep.status, seconds_since(&c->t0));
	log_request(srv, method, c, rep.status, seconds_since(&c->t0), r.device.id, &rep);
	json_decref(rep.json);
	json_decref(r.body);
	free(rep.text);
	return ret;
}

static char *
read_pem(const char *path, char **cause)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(1024 * 1024);
	n = fread(buf, 1, 1024 * 1024 - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strstr(buf, "-----BEGIN") == NULL) {
		free(buf);
		set_cause(cause, "%s: not a PEM file", path);
		return NULL;
	}
	return buf;
}

int
server_start(struct store *st, const struct server_config *cfg, struct server **out,
    char **cause)
{
	return server_start_limits(st, cfg, NULL, out, cause);
}

int
server_start_limits(struct store *st, const struct server_config *cfg,
    const struct server_limits *lim, struct server **out, char **cause)
{
	struct server *srv = xcalloc(1, sizeof *srv);
	struct addrinfo hints, *ai = NULL;
	char port[8];
	unsigned int flags;
	int rc;

	srv->st = st;
	srv->cfg = *cfg;
	if (lim != NULL)
		srv->lim = *lim;
	if (srv->lim.read_timeout == 0)
		srv->lim.read_timeout = SERVER_READ_TIMEOUT;
	if (srv->lim.max_connections == 0)
		srv->lim.max_connections = SERVER_MAX_CONNECTIONS;
	if (srv->lim.per_ip == 0)
		srv->lim.per_ip = SERVER_PER_IP;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_mutex_init(&srv->wmu, NULL);
	pthread_cond_init(&srv->wcond, NULL);
	pthread_mutex_init(&srv->kmu, NULL);
	keys_init();
	if ((srv->keys = sodium_allocarray(MACKEYS, sizeof *srv->keys)) == NULL) {
		fprintf(stderr, "tessera-sync: out of secure memory\n");
		abort();
	}
	memset(srv->keys, 0, MACKEYS * sizeof *srv->keys);
	if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL)) {
		set_cause(cause, "TLS needs both --tls-cert and --tls-key");
		goto fail;
	}
	if (cfg->tls_cert != NULL) {
		if ((srv->tls_cert = read_pem(cfg->tls_cert, cause)) == NULL ||
		    (srv->tls_key = read_pem(cfg->tls_key, cause)) == NULL)
			goto fail;
	}
	if (store_claim(st, cause) != 0)
		goto fail;
	/* A new epoch for every start: a device can tell a restored store from this run. */
	if (store_epoch_begin(st, cause) != 0)
		goto fail;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", cfg->port);
	if ((rc = getaddrinfo(cfg->host, port, &hints, &ai)) != 0) {
		set_cause(cause, "cannot listen on %s: %s", cfg->host, gai_strerror(rc));
		goto fail;
	}
	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (srv->tls_cert != NULL)
		flags |= MHD_USE_TLS;
	srv->daemon = MHD_start_daemon(flags, cfg->port, NULL, NULL, handler, srv,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)(PROTO_MAX_WAIT + 30),
	    MHD_OPTION_CONNECTION_LIMIT, srv->lim.max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->lim.per_ip,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)512,
	    srv->tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (srv->daemon == NULL) {
		set_cause(cause, "cannot listen on %s:%u (in use, not an address of this host, or "
		    "a bad TLS certificate or key)", cfg->host, cfg->port);
		goto fail;
	}
	if (pthread_create(&srv->watchdog, NULL, watchdog_main, srv) != 0) {
		fprintf(stderr, "tessera-sync: cannot start the watchdog thread\n");
		abort();
	}
	srv->watchdog_on = 1;
	store_group(st, 1);
	*out = srv;
	return 0;
fail:
	free(srv->tls_cert);
	free(srv->tls_key);
	pthread_cond_destroy(&srv->wcond);
	pthread_mutex_destroy(&srv->wmu);
	pthread_mutex_destroy(&srv->mu);
	pthread_mutex_destroy(&srv->kmu);
	sodium_free(srv->keys);
	free(srv);
	return -1;
}

uint16_t
server_port(struct server *srv)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	return info != NULL ? info->port : 0;
}

void
server_stop(struct server *srv)
{
	if (srv == NULL)
		return;
	store_wake(srv->st);
	MHD_stop_daemon(srv->daemon);
	store_group(srv->st, 0);        /* commits a group left open */
	pthread_mutex_lock(&srv->wmu);
	srv->watchdog_stop = 1;
	pthread_cond_broadcast(&srv->wcond);
	pthread_mutex_unlock(&srv->wmu);
	if (srv->watchdog_on)
		pthread_join(srv->watchdog, NULL);
	pthread_cond_destroy(&srv->wcond);
	pthread_mutex_destroy(&srv->wmu);
	if (srv->tls_key != NULL)
		memset(srv->tls_key, 0, strlen(srv->tls_key));
	free(srv->tls_cert);
	free(srv->tls_key);
	pthread_mutex_destroy(&srv->mu);
	pthread_mutex_destroy(&srv->kmu);
	sodium_free(srv->keys);
	free(srv);
}

char *
server_metrics(struct server *srv)
{
	static const char *classes[] = { "0xx", "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct store_stats ss;
	char *out = xstrdup(""), *next;
	size_t i, k;
	uint64_t cum = 0;

#define ADD(...) do {						\
	char *line_ = xasprintf(__VA_ARGS__);			\
	next = xasprintf("%s%s", out, line_);			\
	free(line_);						\
	free(out);						\
	out = next;						\
} while (0)

	store_stats(srv->st, &ss);
	pthread_mutex_lock(&srv->mu);
	ADD("# HELP tessera_requests_total HTTP requests by route and status class.\n"
	    "# TYPE tessera_requests_total counter\n");
	for (i = 0; i <= NROUTES; i++) {
		for (k = 1; k < 6; k++) {
			if (srv->count[i][k] == 0)
				continue;
			ADD("tessera_requests_total{route=\"%s\",status=\"%s\"} %" PRIu64 "\n",
			    i < NROUTES ? routes[i]->path : "other", classes[k], srv->count[i][k]);
		}
	}
	ADD("# HELP tessera_request_seconds Time to answer a request (long-polls included).\n"
	    "# TYPE tessera_request_seconds histogram\n");
	for (i = 0; i < NBUCKETS; i++) {
		cum += srv->hist[i];
		ADD("tessera_request_seconds_bucket{le=\"%g\"} %" PRIu64 "\n", buckets[i], cum);
	}
	ADD("tessera_request_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", srv->hist_count);
	ADD("tessera_request_seconds_sum %.6f\ntessera_request_seconds_count %" PRIu64 "\n",
	    srv->hist_sum, srv->hist_count);
	pthread_mutex_unlock(&srv->mu);
	ADD("# HELP tessera_ops_applied_total Operations that changed a seat.\n"
	    "# TYPE tessera_ops_applied_total counter\ntessera_ops_applied_total %" PRIu64 "\n",
	    ss.ops_applied);
	ADD("# HELP tessera_ops_known_total Operations received again (idempotent no-ops).\n"
	    "# TYPE tessera_ops_known_total counter\ntessera_ops_known_total %" PRIu64 "\n",
	    ss.ops_known);
	ADD("# HELP tessera_conflicts_total Conflicts found by the merge.\n"
	    "# TYPE tessera_conflicts_total counter\ntessera_conflicts_total %" PRIu64 "\n",
	    ss.conflicts);
	pthread_mutex_lock(&srv->wmu);
	ADD("# HELP tessera_connections Open connections.\n"
	    "# TYPE tessera_connections gauge\ntessera_connections %" PRIu64 "\n", srv->open);
	ADD("# HELP tessera_connections_cut_total Connections cut for sending a request too "
	    "slowly.\n# TYPE tessera_connections_cut_total counter\n"
	    "tessera_connections_cut_total %" PRIu64 "\n", srv->cut);
	pthread_mutex_unlock(&srv->wmu);
	ADD("# HELP tessera_checkpoints_total WAL checkpoints run by the server's checkpointer.\n"
	    "# TYPE tessera_checkpoints_total counter\ntessera_checkpoints_total %" PRIu64 "\n"
	    "# HELP tessera_wal_frames Frames in the WAL at the latest checkpoint.\n"
	    "# TYPE tessera_wal_frames gauge\ntessera_wal_frames %" PRIu64 "\n",
	    ss.checkpoints, ss.wal_frames);
	ADD("# HELP tessera_pull_waiters Pulls waiting for a change now.\n"
	    "# TYPE tessera_pull_waiters gauge\ntessera_pull_waiters %" PRIu64 "\n",
	    ss.pull_waiters);
	ADD("# HELP tessera_change_seq The latest change sequence number.\n"
	    "# TYPE tessera_change_seq gauge\ntessera_change_seq %" PRIu64 "\n", ss.seq);
#undef ADD
	return out;
}
