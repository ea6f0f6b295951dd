/* route-sell.c: POST /v1/sell {"ops": [...]}: an online order, all its seats or none. */
#include "server.h"
#include "xmalloc.h"

static void
sell(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_sell(r->st, &r->device, json_object_get(r->body, "ops"), &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_sell = { "POST", "/v1/sell", 1, sell };
