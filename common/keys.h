/* keys.h: Ed25519 key pairs, device certificates signed by the organizer root, and revocation. */
#ifndef TESSERA_KEYS_H
#define TESSERA_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

#define KEYS_PUBLICBYTES 32
#define KEYS_SECRETBYTES 64
#define KEYS_SIGBYTES    64

/* Device roles, as carried in a certificate byte. */
enum role {
	ROLE_NONE = 0,
	ROLE_BOXOFFICE = 1,
	ROLE_GATE = 2,
	ROLE_HUB = 3,
};
const char *role_name(int role);            /* "boxoffice", "gate", "hub", or "none" */
int role_parse(const char *name);           /* the role, or -1 when the name is not one */

/*
 * A key pair. The secret key lives in sodium_malloc()ed memory (guarded, locked
 * where the system allows) and is wiped by keypair_free().
 */
struct keypair {
	uint8_t  pk[KEYS_PUBLICBYTES];
	uint8_t *sk;                        /* KEYS_SECRETBYTES, sodium_malloc */
};

/* libsodium must be initialised once; every function below calls this itself. Aborts if it fails. */
void keys_init(void);

struct keypair *keypair_generate(void);               /* never NULL; free with keypair_free */
void keypair_free(struct keypair *kp);                /* wipes the secret; NULL is fine */
/* A key pair from a 64-byte libsodium secret key (seed || public key); copies it. */
struct keypair *keypair_from_secret(const uint8_t sk[KEYS_SECRETBYTES]);

/*
 * Write the key pair to path with mode 0600, atomically (temporary file and rename).
 * File format: one line "tessera-key-v1 <hex secret key>\n". 0 or -1 with *cause.
 */
int keypair_save(const struct keypair *kp, const char *path, char **cause) WARN_UNUSED;
/* Read a key pair; refuses a file that group or others can read or write. *out only on success. */
int keypair_load(const char *path, struct keypair **out, char **cause) WARN_UNUSED;

/* Ed25519 over domain || msg. The domain separates tickets, certificates and requests. */
void keys_sign(const struct keypair *kp, const char *domain, const uint8_t *msg, size_t len,
    uint8_t sig[KEYS_SIGBYTES]);
/* 0 when sig is pk's signature over domain || msg, else -1. */
int keys_verify(const uint8_t pk[KEYS_PUBLICBYTES], const char *domain, const uint8_t *msg,
    size_t len, const uint8_t sig[KEYS_SIGBYTES]) WARN_UNUSED;

/*
 * A device certificate: the root says that this public key belongs to this device, in this role,
 * for this time. Encoded (big-endian) as CERT_BYTES:
 *   0 version (1) | 1 device id (4) | 5 role (1) | 6 public key (32) | 38 not before (8, unix s)
 *   | 46 not after (8, unix s) | 54 signature (64) over "tessera/cert/v1" || bytes 0..53
 */
#define CERT_VERSION  1
#define CERT_SIGNED   54
#define CERT_BYTES    (CERT_SIGNED + KEYS_SIGBYTES)
#define CERT_DOMAIN   "tessera/cert/v1"
struct cert {
	uint32_t device_id;
	uint8_t  role;
	uint8_t  pk[KEYS_PUBLICBYTES];
	int64_t  not_before;
	int64_t  not_after;
	uint8_t  sig[KEYS_SIGBYTES];
};
void cert_sign(struct cert *c, const struct keypair *root);          /* fills c->sig */
int cert_verify(const struct cert *c, const uint8_t root_pk[KEYS_PUBLICBYTES]) WARN_UNUSED;
void cert_encode(const struct cert *c, uint8_t out[CERT_BYTES]);
/* Parses CERT_BYTES; does not verify the signature. 0, or -1 with *cause; *c only on success. */
int cert_decode(const uint8_t *buf, size_t len, struct cert *c, char **cause) WARN_UNUSED;

/*
 * A keyring: what a gate trusts. The root public key, the certificates the root signed, and the
 * revoked devices. A revoked device's tickets are refused whatever their issue time: a stolen
 * terminal could backdate them.
 */
struct keyring;
struct keyring *keyring_new(const uint8_t root_pk[KEYS_PUBLICBYTES]);
void keyring_free(struct keyring *kr);
const uint8_t *keyring_root(const struct keyring *kr);
/* Adds (or replaces, by device id) a certificate after checking the root's signature. */
int keyring_add(struct keyring *kr, const struct cert *c, char **cause) WARN_UNUSED;
const struct cert *keyring_find(const struct keyring *kr, uint32_t device_id); /* NULL if unknown */
void keyring_revoke(struct keyring *kr, uint32_t device_id, int64_t at);
/* 1 (and *at, when not NULL) if the device is revoked, else 0. */
int keyring_is_revoked(const struct keyring *kr, uint32_t device_id, int64_t *at);

/* Lower-case hex of len bytes; newly allocated. */
char *keys_hex(const uint8_t *bin, size_t len);
/* Exactly len bytes from hex; 0 or -1. */
int keys_unhex(const char *hex, uint8_t *bin, size_t len) WARN_UNUSED;

#endif
