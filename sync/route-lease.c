/* route-lease.c: POST /v1/lease and /v1/lease/return: seats a box office may sell offline. */
#include "server.h"
#include "xmalloc.h"

static void
lease(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_lease(r->st, &r->device, r->body, &out, &cause);
	reply_store(rep, rc, out, cause);
}

static void
lease_return(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_lease_return(r->st, &r->device, r->body, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_lease = { "POST", "/v1/lease", 1, lease };
const struct route route_lease_return = { "POST", "/v1/lease/return", 1, lease_return };
