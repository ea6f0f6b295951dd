/* route-push.c: POST /v1/push {"ops": [...]}: a device's outbox, merged; replays are no-ops. */
#include "server.h"
#include "xmalloc.h"

static void
push(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_push(r->st, &r->device, json_object_get(r->body, "ops"), &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_push = { "POST", "/v1/push", 1, push };
