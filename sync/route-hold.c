/* route-hold.c: POST /v1/hold and /v1/release: a cashier's cart keeps its seats for minutes. */
#include "server.h"
#include "xmalloc.h"

static void
hold(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_hold(r->st, &r->device, r->body, 0, &out, &cause);
	reply_store(rep, rc, out, cause);
}

static void
release(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_hold(r->st, &r->device, r->body, 1, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_hold = { "POST", "/v1/hold", 1, hold };
const struct route route_release = { "POST", "/v1/release", 1, release };
