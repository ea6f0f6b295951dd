/* route-events.c: GET /v1/events and GET /v1/bootstrap?event=ID: what a new device needs. */
#include "server.h"
#include "xmalloc.h"

static void
events(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_events(r->st, &out, &cause);
	reply_store(rep, rc, out, cause);
}

static void
bootstrap(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	uint64_t event = 0;
	int rc;

	if (request_arg_u64(r, rep, "event", UINT32_MAX, &event) != 0)
		return;
	if (event == 0) {
		reply_error(rep, 400, "query argument event: missing");
		return;
	}
	rc = store_bootstrap(r->st, (uint32_t)event, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_events = { "GET", "/v1/events", 1, events };
const struct route route_bootstrap = { "GET", "/v1/bootstrap", 1, bootstrap };
