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

/* GET /v1/bootstrap?event=ID[&after=SEAT][&limit=N]: one page of the event's seats. */
static void
bootstrap(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	uint64_t event = 0, after = 0, limit = PROTO_BOOTSTRAP_PAGE;
	int rc;

	if (request_arg_u64(r, rep, "event", UINT32_MAX, &event) != 0 ||
	    request_arg_u64(r, rep, "after", UINT32_MAX, &after) != 0 ||
	    request_arg_u64(r, rep, "limit", PROTO_BOOTSTRAP_PAGE, &limit) != 0)
		return;
	if (event == 0) {
		reply_error(rep, 400, "query argument event: missing");
		return;
	}
	if (limit == 0) {
		reply_error(rep, 400, "query argument limit: want a number from 1 to %d",
		    PROTO_BOOTSTRAP_PAGE);
		return;
	}
	rc = store_bootstrap(r->st, (uint32_t)event, (uint32_t)after, (int)limit, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_events = { "GET", "/v1/events", 1, events };
const struct route route_bootstrap = { "GET", "/v1/bootstrap", 1, bootstrap };
