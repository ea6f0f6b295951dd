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

/*
 * Initialises libsodium once per process (thread-safe); every function below calls it itself.
 * Prints a message and aborts if libsodium cannot start.
 */
void keys_init(void);

struct keypair *keypair_generate(void);               /* never NULL; free with keypair_free */
void keypair_free(struct keypair *kp);                /* wipes the secret; NULL is fine */
/*
 * A key pair from a 64-byte libsodium secret key (seed || public key); copies it. Never NULL.
 * Only the seed is used: the public key is computed from it, so the pair is always consistent.
 */
struct keypair *keypair_from_secret(const uint8_t sk[KEYS_SECRETBYTES]);

/*
 * Write the key pair to path with mode 0600, atomically and durably (temporary file in the same
 * folder, fsync, rename, fsync of the folder). File format: one line
 * "tessera-key-v1 <128 lower-case hex digits of the secret key>\n". 0, or -1 with *cause and
 * no temporary file left behind: path is then the old file (or absent), except when only the
 * final fsync of the folder failed, when it is the new file, not yet known to be durable.
 */
int keypair_save(const struct keypair *kp, const char *path, char **cause) WARN_UNUSED;
/*
 * Read a key pair saved by keypair_save. Refuses a file that group or others may read, write or
 * execute (the message names the file and says "chmod 600"), a file that is not regular, and
 * malformed content (wrong header, bad hex, extra bytes, a public half that does not match the
 * seed). On success 0 and *out is a new key pair for keypair_free; else -1 with *cause.
 */
int keypair_load(const char *path, struct keypair **out, char **cause) WARN_UNUSED;

/*
 * Ed25519 over domain || 0x00 || msg: the domain's bytes, its terminating NUL, then msg. The
 * domain separates tickets, certificates and requests; the NUL keeps one domain from being a
 * prefix of another ("a" with "bc" and "ab" with "c" sign different bytes).
 */
void keys_sign(const struct keypair *kp, const char *domain, const uint8_t *msg, size_t len,
    uint8_t sig[KEYS_SIGBYTES]);
/* 0 when sig is pk's signature over domain || 0x00 || msg, else -1. */
int keys_verify(const uint8_t pk[KEYS_PUBLICBYTES], const char *domain, const uint8_t *msg,
    size_t len, const uint8_t sig[KEYS_SIGBYTES]) WARN_UNUSED;

/*
 * A device certificate: the root says that this public key belongs to this device, in this role,
 * for this time. Encoded (big-endian) as CERT_BYTES:
 *   0 version (1) | 1 device id (4) | 5 role (1) | 6 public key (32) | 38 not before (8, unix s)
 *   | 46 not after (8, unix s) | 54 signature (64) by the root, keys_sign with CERT_DOMAIN over
 *   bytes 0..53 (that is, over "tessera/cert/v1" 0x00 bytes 0..53)
 * Times are signed two's complement; the validity [not_before, not_after] includes both ends.
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
/* 0 when c->sig is root_pk's signature over c's encoding, else -1. */
int cert_verify(const struct cert *c, const uint8_t root_pk[KEYS_PUBLICBYTES]) WARN_UNUSED;
void cert_encode(const struct cert *c, uint8_t out[CERT_BYTES]);
/*
 * Parses exactly CERT_BYTES; does not verify the signature. Refuses another length, another
 * version, a role other than boxoffice, gate or hub, and not_after before not_before.
 * 0, or -1 with *cause; *c only on success.
 */
int cert_decode(const uint8_t *buf, size_t len, struct cert *c, char **cause) WARN_UNUSED;

/*
 * A keyring: what a gate trusts. The root public key, the certificates the root signed, and the
 * revoked devices. A revoked device's tickets are refused whatever their issue time: a stolen
 * terminal could backdate them.
 */
struct keyring;
struct keyring *keyring_new(const uint8_t root_pk[KEYS_PUBLICBYTES]);  /* never NULL; copies */
void keyring_free(struct keyring *kr);                                 /* NULL is fine */
const uint8_t *keyring_root(const struct keyring *kr);                 /* KEYS_PUBLICBYTES */
/*
 * Adds a copy of c, replacing any certificate with the same device id, after checking the
 * root's signature. 0, or -1 with *cause and the keyring unchanged.
 */
int keyring_add(struct keyring *kr, const struct cert *c, char **cause) WARN_UNUSED;
/* NULL if unknown; the pointer is the keyring's and valid until the next keyring_add. */
const struct cert *keyring_find(const struct keyring *kr, uint32_t device_id);
/*
 * Marks the device revoked from time at (kept when earlier than a time already recorded).
 * Revocation is for good: a later keyring_add of the device's certificate does not lift it.
 */
void keyring_revoke(struct keyring *kr, uint32_t device_id, int64_t at);
/* 1 (and *at, when not NULL) if the device is revoked, else 0. */
int keyring_is_revoked(const struct keyring *kr, uint32_t device_id, int64_t *at);

/* Lower-case hex of len bytes; newly allocated. */
char *keys_hex(const uint8_t *bin, size_t len);
/* len bytes from exactly 2 * len hex digits (either case) then NUL; 0, or -1 with bin untouched. */
int keys_unhex(const char *hex, uint8_t *bin, size_t len) WARN_UNUSED;

#endif
