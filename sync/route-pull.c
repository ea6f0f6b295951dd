/* route-pull.c: GET /v1/pull?since=N[&event=ID][&wait=S][&limit=N]: changes since a cursor. */
#include "server.h"
#include "xmalloc.h"

static void
pull(struct request *r, struct reply *rep)
{
	uint64_t since = 0, event = 0, wait = 0, limit = PROTO_PULL_PAGE;
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	if (request_arg_u64(r, rep, "since", INT64_MAX, &since) != 0 ||
	    request_arg_u64(r, rep, "event", UINT32_MAX, &event) != 0 ||
	    request_arg_u64(r, rep, "wait", PROTO_MAX_WAIT, &wait) != 0 ||
	    request_arg_u64(r, rep, "limit", PROTO_PULL_PAGE, &limit) != 0)
		return;
	rc = store_pull(r->st, since, (uint32_t)event, (int)wait, (int)limit, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_pull = { "GET", "/v1/pull", 1, pull };
