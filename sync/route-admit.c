/* route-admit.c: POST /v1/admit {"op": {...}}: an online entry or exit, compare-and-swap. */
#include "server.h"
#include "xmalloc.h"

static void
admit(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL, *op = json_object_get(r->body, "op");
	int rc;

	if (op == NULL) {
		reply_error(rep, 400, "request.op: missing");
		return;
	}
	rc = store_admit(r->st, &r->device, op, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_admit = { "POST", "/v1/admit", 1, admit };
