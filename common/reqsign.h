/* reqsign.h: signing and checking the requests a device makes to the sync server. */
#ifndef TESSERA_REQSIGN_H
#define TESSERA_REQSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "keys.h"

/*
 * A request is signed with the device key (Ed25519, domain "tessera/request/v1") over
 *   METHOD "\n" PATH-WITH-QUERY "\n" TIME "\n" NONCE "\n" hex(BLAKE2b-256(body))
 * and travels in four headers. TIME is unix seconds; NONCE is 32 hex digits, fresh per request.
 *
 * Or, cheaper for the server (an Ed25519 verification is most of the cost of a small request),
 * it is authenticated with a MAC (HMAC-SHA-512-256, crypto_auth) over the same text, in
 * X-Tessera-Mac instead of X-Tessera-Signature. The MAC key is one only the device and the
 * server can compute, with no exchange: X25519 of the device's key and the organizer root key
 * (each converted from Ed25519), hashed with both public keys (docs/sync-protocol.md).
 */
#define REQSIGN_DOMAIN     "tessera/request/v1"
#define REQSIGN_H_DEVICE   "X-Tessera-Device"
#define REQSIGN_H_TIME     "X-Tessera-Time"
#define REQSIGN_H_NONCE    "X-Tessera-Nonce"
#define REQSIGN_H_SIG      "X-Tessera-Signature"
#define REQSIGN_NONCE_HEX  32
#define REQSIGN_H_MAC      "X-Tessera-Mac"
#define REQSIGN_SIG_HEX    (2 * KEYS_SIGBYTES)
#define REQSIGN_KEYBYTES   32
#define REQSIGN_MAC_HEX    64

struct reqsign {
	char time[24];
	char nonce[REQSIGN_NONCE_HEX + 1];
	char sig[REQSIGN_SIG_HEX + 1];      /* the signature, or (reqsign_mac) the MAC, in hex */
};

/*
 * The MAC key of a device: on the device from its key pair and the root's public key, on the
 * server from the root's key pair and the device's public key; both give the same key.
 * Returns -1 if a public key is not a valid point (then there is no key). key must be
 * REQSIGN_KEYBYTES of secure memory (sodium_malloc).
 */
int reqsign_key(const struct keypair *mine, const uint8_t peer_pk[KEYS_PUBLICBYTES],
    int device_side, uint8_t *key) WARN_UNUSED;

/* Fill *out (time, a fresh nonce, and in sig the MAC) for this request. */
void reqsign_mac(const uint8_t *key, const char *method, const char *path, int64_t now,
    const uint8_t *body, size_t len, struct reqsign *out);

/* reqsign_verify for a MAC. */
int reqsign_verify_mac(const uint8_t *key, const char *method, const char *path,
    const char *time, const char *nonce, const char *mac, const uint8_t *body, size_t len,
    int64_t *when, char **cause) WARN_UNUSED;

/* Fill *out (time, a fresh nonce, signature) for this request. */
void reqsign_sign(const struct keypair *kp, const char *method, const char *path, int64_t now,
    const uint8_t *body, size_t len, struct reqsign *out);

/*
 * Check a request's headers against the device's public key. Returns 0 if the signature is
 * good, else -1 with *cause (malformed time, nonce or signature, or a bad signature). Freshness
 * (the clock window) and replay (the nonce seen before) are the server's to check.
 */
int reqsign_verify(const uint8_t pk[KEYS_PUBLICBYTES], const char *method, const char *path,
    const char *time, const char *nonce, const char *sig, const uint8_t *body, size_t len,
    int64_t *when, char **cause) WARN_UNUSED;

#endif
