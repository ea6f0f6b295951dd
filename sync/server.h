/* server.h: the sync server's HTTP front (libmicrohttpd): routes, authentication, metrics. */
#ifndef TESSERA_SERVER_H
#define TESSERA_SERVER_H

#include <stdint.h>

#include <jansson.h>

#include "compat.h"
#include "store.h"

struct server_config {
	const char *host;               /* address to listen on, e.g. "127.0.0.1" or "0.0.0.0" */
	uint16_t    port;               /* 0: any free port (server_port() says which) */
	const char *tls_cert;           /* PEM files; both or neither */
	const char *tls_key;
	int         log;                /* one line per request on stderr */
	int         log_json;
};

/*
 * Limits against slow and greedy clients (docs/reliability.md); 0 takes the default.
 * read_timeout: seconds a client has to send a whole request, counted from the connection (or
 * the end of its previous request); a connection still sending after that is cut.
 * max_connections: connections at once; per_ip: of them from one address.
 */
struct server_limits {
	unsigned    read_timeout;       /* default SERVER_READ_TIMEOUT */
	unsigned    max_connections;    /* default SERVER_MAX_CONNECTIONS */
	unsigned    per_ip;             /* default SERVER_PER_IP */
};
#define SERVER_READ_TIMEOUT     30
#define SERVER_MAX_CONNECTIONS  1000
#define SERVER_PER_IP           500

/* What a route sees: the store, the authenticated device, the parsed body. */
struct request {
	struct store        *st;
	const char          *method;
	const char          *path;
	void                *conn;      /* struct MHD_Connection */
	struct store_device  device;    /* set when the route needs authentication */
	json_t              *body;      /* the JSON body of a POST, else NULL */
	struct server       *srv;
};
/* What a route answers: a status and JSON (or text for /metrics). */
struct reply {
	int          status;
	json_t      *json;
	char        *text;
	const char  *content_type;
};

struct route {
	const char *method;
	const char *path;
	int         auth;               /* needs a signed request from an enrolled device */
	void      (*handle)(struct request *, struct reply *);
};

/* route-*.c */
extern const struct route route_healthz, route_metrics, route_enroll, route_events,
    route_bootstrap, route_pull, route_push, route_admit, route_sell, route_hold,
    route_release, route_lease, route_lease_return, route_epoch;

/* A query argument of the request, or NULL. */
const char *request_arg(struct request *r, const char *name);
/* An unsigned query argument; -1 with an error reply when present and malformed. */
int request_arg_u64(struct request *r, struct reply *rep, const char *name, uint64_t max,
    uint64_t *out) WARN_UNUSED;
/*
 * The body's "compact" member (docs/sync-protocol.md): 1 when true, 0 when false or absent;
 * -1 with an error reply when it is not a boolean.
 */
int request_compact(struct request *r, struct reply *rep) WARN_UNUSED;
/* Set an error reply {"error": ...}. */
void reply_error(struct reply *rep, int status, const char *fmt, ...) PRINTFLIKE(3, 4);
/* Turn a store status (and its reply or cause) into the HTTP reply; takes both. */
void reply_store(struct reply *rep, int rc, json_t *json, char *cause);

struct server;
/* Start serving in background threads. 0, or -1 with *cause (cannot bind, bad TLS files). */
int server_start(struct store *st, const struct server_config *cfg, struct server **out,
    char **cause) WARN_UNUSED;
/* The same with limits other than the defaults (lim NULL: the defaults). */
int server_start_limits(struct store *st, const struct server_config *cfg,
    const struct server_limits *lim, struct server **out, char **cause) WARN_UNUSED;
uint16_t server_port(struct server *srv);
/* Finish in-flight requests, end long-polls, stop. */
void server_stop(struct server *srv);
/* One line on stderr for a conflict the merge found (when logging is on). */
void server_log_conflict(struct server *srv, const json_t *conflict, uint32_t dev);
/* Prometheus text for /metrics; newly allocated. */
char *server_metrics(struct server *srv);

#endif
