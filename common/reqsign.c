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

/* The time and nonce headers: 0 and *when, or -1 with *cause. */
static int
check_fields(const char *time, const char *nonce, const char *sig, const char *sig_header,
    int64_t *when, char **cause)
{
	char *end;
	long long t;
	size_t i;

	if (time == NULL || nonce == NULL || sig == NULL)
		return set_cause(cause, "request is not signed (missing %s header)",
		    time == NULL ? REQSIGN_H_TIME : nonce == NULL ? REQSIGN_H_NONCE : sig_header);
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
	*when = t;
	return 0;
}

int
reqsign_verify(const uint8_t pk[KEYS_PUBLICBYTES], const char *method, const char *path,
    const char *time, const char *nonce, const char *sig, const uint8_t *body, size_t len,
    int64_t *when, char **cause)
{
	uint8_t s[KEYS_SIGBYTES];
	char *c;
	int64_t t;
	size_t clen;
	int rc;

	if (check_fields(time, nonce, sig, REQSIGN_H_SIG, &t, cause) != 0)
		return -1;
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

/* ------------------------------------------------------------------ MAC */

#define REQSIGN_KEY_DOMAIN "tessera/request-key/v1"

int
reqsign_key(const struct keypair *mine, const uint8_t peer_pk[KEYS_PUBLICBYTES],
    int device_side, uint8_t *key)
{
	uint8_t xsk[crypto_scalarmult_BYTES], xpk[crypto_scalarmult_BYTES];
	uint8_t shared[crypto_scalarmult_BYTES], mypk[crypto_scalarmult_BYTES];
	crypto_generichash_state h;
	int rc = -1;

	keys_init();
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, peer_pk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(mypk, mine->pk) != 0)
		return -1;
	crypto_sign_ed25519_sk_to_curve25519(xsk, mine->sk);
	if (crypto_scalarmult(shared, xsk, xpk) == 0) {
		/* BLAKE2b-256(domain || shared || device's X25519 key || root's X25519 key) */
		crypto_generichash_init(&h, NULL, 0, REQSIGN_KEYBYTES);
		crypto_generichash_update(&h, (const uint8_t *)REQSIGN_KEY_DOMAIN,
		    sizeof REQSIGN_KEY_DOMAIN - 1);
		crypto_generichash_update(&h, shared, sizeof shared);
		crypto_generichash_update(&h, device_side ? mypk : xpk, sizeof xpk);
		crypto_generichash_update(&h, device_side ? xpk : mypk, sizeof xpk);
		crypto_generichash_final(&h, key, REQSIGN_KEYBYTES);
		rc = 0;
	}
	sodium_memzero(xsk, sizeof xsk);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(&h, sizeof h);
	return rc;
}

static void
mac_of(const uint8_t *key, const char *method, const char *path, const char *time,
    const char *nonce, const uint8_t *body, size_t len, uint8_t mac[crypto_auth_BYTES])
{
	size_t clen;
	char *c = canonical(method, path, time, nonce, body, len, &clen);

	crypto_auth(mac, (const uint8_t *)c, clen, key);
	free(c);
}

void
reqsign_mac(const uint8_t *key, const char *method, const char *path, int64_t now,
    const uint8_t *body, size_t len, struct reqsign *out)
{
	uint8_t nonce[REQSIGN_NONCE_HEX / 2], mac[crypto_auth_BYTES];

	keys_init();
	snprintf(out->time, sizeof out->time, "%" PRId64, now);
	randombytes_buf(nonce, sizeof nonce);
	sodium_bin2hex(out->nonce, sizeof out->nonce, nonce, sizeof nonce);
	mac_of(key, method, path, out->time, out->nonce, body, len, mac);
	sodium_bin2hex(out->sig, sizeof out->sig, mac, sizeof mac);
}

int
reqsign_verify_mac(const uint8_t *key, const char *method, const char *path,
    const char *time, const char *nonce, const char *mac, const uint8_t *body, size_t len,
    int64_t *when, char **cause)
{
	uint8_t want[crypto_auth_BYTES], got[crypto_auth_BYTES];
	int64_t t;

	if (check_fields(time, nonce, mac, REQSIGN_H_MAC, &t, cause) != 0)
		return -1;
	if (strlen(mac) != REQSIGN_MAC_HEX || keys_unhex(mac, got, sizeof got) != 0)
		return set_cause(cause, "malformed %s header", REQSIGN_H_MAC);
	mac_of(key, method, path, time, nonce, body, len, want);
	if (sodium_memcmp(want, got, sizeof want) != 0)
		return set_cause(cause, "bad request MAC");
	if (when != NULL)
		*when = t;
	return 0;
}
