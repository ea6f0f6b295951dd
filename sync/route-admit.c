/*
 * route-admit.c: POST /v1/admit {"op": {...}, "compact": true}: an online entry or exit,
 * compare-and-swap. With "compact" the record in the answer is an array.
 */
#include "server.h"
#include "xmalloc.h"

static void
admit(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL, *op = json_object_get(r->body, "op");
	int rc, compact;

	if (op == NULL) {
		reply_error(rep, 400, "request.op: missing");
		return;
	}
	if ((compact = request_compact(r, rep)) < 0)
		return;
	rc = store_admit(r->st, &r->device, op, compact, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_admit = { "POST", "/v1/admit", 1, admit };
