/* route-epoch.c: POST /v1/epoch: is what a device heard still this store's history? */
#include "server.h"
#include "xmalloc.h"

static void
epoch(struct request *r, struct reply *rep)
{
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	rc = store_epoch_check(r->st, r->body, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_epoch = { "POST", "/v1/epoch", 1, epoch };
