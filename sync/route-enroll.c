/* route-enroll.c: POST /v1/enroll: a one-time code and a new public key in, a certificate out. */
#include <string.h>

#include "server.h"
#include "xmalloc.h"

static void
enroll(struct request *r, struct reply *rep)
{
	uint8_t pk[KEYS_PUBLICBYTES];
	const char *code = NULL, *pkhex = NULL;
	char *cause = NULL;
	json_t *out = NULL;
	int rc;

	if (proto_get_str(r->body, "code", "request", 1, &code, &cause) != 0 ||
	    proto_get_str(r->body, "pk", "request", 1, &pkhex, &cause) != 0) {
		reply_store(rep, STORE_BAD, NULL, cause);
		return;
	}
	if (strlen(pkhex) != 2 * KEYS_PUBLICBYTES || keys_unhex(pkhex, pk, sizeof pk) != 0) {
		reply_error(rep, 400, "request.pk: want %d hex digits", 2 * KEYS_PUBLICBYTES);
		return;
	}
	rc = store_enroll(r->st, code, pk, &out, &cause);
	reply_store(rep, rc, out, cause);
}

const struct route route_enroll = { "POST", "/v1/enroll", 0, enroll };
