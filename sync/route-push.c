/* route-push.c: POST /v1/push {"ops": [...]}: a device's outbox, merged; replays are no-ops. */
#include "server.h"
#include "xmalloc.h"

static void
push(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL, *res;
	size_t i;
	int rc;

	rc = store_push(r->st, &r->device, json_object_get(r->body, "ops"), &out, &cause);
	if (rc == STORE_OK) {
		json_array_foreach(json_object_get(out, "results"), i, res)
			server_log_conflict(r->srv, json_object_get(res, "conflict"), r->device.id);
	}
	reply_store(rep, rc, out, cause);
}

const struct route route_push = { "POST", "/v1/push", 1, push };
