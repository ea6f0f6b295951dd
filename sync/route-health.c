/* route-health.c: GET /healthz (is the server up and its store readable) and GET /metrics. */
#include <stdlib.h>

#include "server.h"
#include "xmalloc.h"

static void
healthz(struct request *r, struct reply *rep)
{
	struct store_stats s;

	store_stats(r->st, &s);
	rep->json = json_pack("{s:b,s:i,s:I,s:I}", "ok", 1, "version", PROTO_VERSION,
	    "seq", (json_int_t)s.seq, "server_time", (json_int_t)store_now());
}

static void
metrics(struct request *r, struct reply *rep)
{
	rep->text = server_metrics(r->srv);
	rep->content_type = "text/plain; version=0.0.4";
}

const struct route route_healthz = { "GET", "/healthz", 0, healthz };
const struct route route_metrics = { "GET", "/metrics", 0, metrics };
