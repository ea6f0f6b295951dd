/* reqsign.c: signing and checking the requests a device makes to the sync server. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "reqsign.h"
#include "xmalloc.h"

/* The signed text; newly allocated, *len set. */
static char *
canonical(const char *method, const char *path, const char *time, const char *nonce,
    const uint8_t *body, size_t blen, size_t *len)
{
	uint8_t h[crypto_generichash_BYTES];
	char hex[2 * sizeof h + 1];
	char *s;

	crypto_generichash(h, sizeof h, body, blen, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	s = xasprintf("%s\n%s\n%s\n%s\n%s", method, path, time, nonce, hex);
	*len = strlen(s);
	return s;
}

void
reqsign_sign(const struct keypair *kp, const char *method, const char *path, int64_t now,
    const uint8_t *body, size_t len, struct reqsign *out)
{
	uint8_t nonce[REQSIGN_NONCE_HEX / 2], sig[KEYS_SIGBYTES];
	size_t clen;
	char *c;

	keys_init();
	snprintf(out->time, sizeof out->time, "%" PRId64, now);
	randombytes_buf(nonce, sizeof nonce);
	sodium_bin2hex(out->nonce, sizeof out->nonce, nonce, sizeof nonce);
	c = canonical(method, path, out->time, out->nonce, body, len, &clen);
	keys_sign(kp, REQSIGN_DOMAIN, (const uint8_t *)c, clen, sig);
	sodium_bin2hex(out->sig, sizeof out->sig, sig, sizeof sig);
	free(c);
}

int
reqsign_verify(const uint8_t pk[KEYS_PUBLICBYTES], const char *method, const char *path,
    const char *time, const char *nonce, const char *sig, const uint8_t *body, size_t len,
    int64_t *when, char **cause)
{
	uint8_t s[KEYS_SIGBYTES];
	char *end, *c;
	long long t;
	size_t clen, i;
	int rc;

	if (time == NULL || nonce == NULL || sig == NULL)
		return set_cause(cause, "request is not signed (missing %s header)",
		    time == NULL ? REQSIGN_H_TIME : nonce == NULL ? REQSIGN_H_NONCE : REQSIGN_H_SIG);
	errno = 0;
	t = strtoll(time, &end, 10);
	if (*time == '\0' || *end != '\0' || errno != 0 || t < 0)
		return set_cause(cause, "malformed %s header", REQSIGN_H_TIME);
	if (strlen(nonce) != REQSIGN_NONCE_HEX)
		return set_cause(cause, "malformed %s header: want %d hex digits", REQSIGN_H_NONCE,
		    REQSIGN_NONCE_HEX);
	for (i = 0; nonce[i] != '\0'; i++) {
		if (strchr("0123456789abcdef", nonce[i]) == NULL)
			return set_cause(cause, "malformed %s header: want lower-case hex",
			    REQSIGN_H_NONCE);
	}
	if (strlen(sig) != REQSIGN_SIG_HEX || keys_unhex(sig, s, sizeof s) != 0)
		return set_cause(cause, "malformed %s header", REQSIGN_H_SIG);
	c = canonical(method, path, time, nonce, body, len, &clen);
	rc = keys_verify(pk, REQSIGN_DOMAIN, (const uint8_t *)c, clen, s);
	free(c);
	if (rc != 0)
		return set_cause(cause, "bad request signature");
	if (when != NULL)
		*when = t;
	return 0;
}
