/* ticket.h: the signed ticket a box office prints and a gate scans, and its QR text. */
#ifndef TESSERA_TICKET_H
#define TESSERA_TICKET_H

#include <stdint.h>

#include "compat.h"
#include "keys.h"

/*
 * Payload, TICKET_PAYLOAD_BYTES, big-endian:
 *   0 version (1) | 1 key id (4) | 5 event id (4) | 9 seat id (4) | 13 serial (4)
 *   | 17 generation (2) | 19 tier (1) | 20 issued at (4, unix seconds)
 * Signature: keys_sign with TICKET_DOMAIN over the payload, that is Ed25519 over
 * "tessera/ticket/v1" 0x00 payload. QR text: TICKET_PREFIX then base45(payload || signature),
 * TICKET_TEXT_LEN characters, all in the QR alphanumeric set. Byte by byte, with a test vector:
 * docs/ticket-format.md.
 */
#define TICKET_PREFIX        "TS1:"
#define TICKET_VERSION       1
#define TICKET_PAYLOAD_BYTES 24
#define TICKET_SIGNED_BYTES  (TICKET_PAYLOAD_BYTES + KEYS_SIGBYTES)     /* 88 */
#define TICKET_TEXT_LEN      (4 + TICKET_SIGNED_BYTES / 2 * 3)          /* 136 */
#define TICKET_DOMAIN        "tessera/ticket/v1"
/* Room for any valid ticket text with its NUL, and some slack for a scanner's line buffer. */
#define TICKET_TEXT_MAX      160

struct ticket {
	uint8_t  version;           /* TICKET_VERSION */
	uint32_t key_id;            /* the issuing box office's device id: its certificate */
	uint32_t event_id;
	uint32_t seat_id;
	uint32_t serial;            /* per issuing device */
	uint16_t generation;        /* bumped by refund and resale, so the old QR dies */
	uint8_t  tier;              /* price tier */
	uint32_t issued_at;         /* unix seconds */
};

/*
 * Why a ticket is refused. ticket_verify checks in this order and stops at the first failure,
 * so each refusal has one reason:
 *   1. readable:  NOTTICKET, VERSION (prefix), ENCODING (characters), TRUNCATED, TOOLONG,
 *                 ENCODING (base45 value), VERSION (payload byte)
 *   2. signed:    UNKNOWNKEY (no certificate for the key id), BADSIG
 *   3. signer:    REVOKED, ROLE (not a box office), VALIDITY (issued_at outside the certificate)
 * Nothing in the payload is believed before the signature checks, so a forged ticket is always
 * BADSIG (or UNKNOWNKEY), never REVOKED or VALIDITY.
 */
enum ticket_error {
	TICKET_OK = 0,
	TICKET_ENOTTICKET,          /* empty, no "TS<n>:" prefix, garbage */
	TICKET_EENCODING,           /* not base45 */
	TICKET_EVERSION,            /* prefix TS<n>: with n != 1, or payload version != 1 */
	TICKET_ETRUNCATED,          /* fewer characters than a ticket has */
	TICKET_ETOOLONG,            /* more characters than a ticket has */
	TICKET_EUNKNOWNKEY,         /* no certificate for the key id in the keyring */
	TICKET_EBADSIG,
	TICKET_EREVOKED,            /* the signing device is revoked */
	TICKET_EROLE,               /* the signer's certificate is not a boxoffice one */
	TICKET_EVALIDITY,           /* issued_at outside the certificate's validity */
};

/*
 * A stable short code for logs, exit statuses and the sync protocol: "ok", "not-a-ticket",
 * "bad-encoding", "unknown-version", "truncated", "too-long", "unknown-key", "bad-signature",
 * "revoked", "wrong-role", "outside-validity"; "unknown-error" for anything else. Static.
 */
const char *ticket_error_code(enum ticket_error e);
/* A sentence for a steward's screen saying what is wrong and what to do. Static. */
const char *ticket_error_text(enum ticket_error e);

/* The TICKET_PAYLOAD_BYTES of t, fields as they are (t->version is not checked). */
void ticket_payload(const struct ticket *t, uint8_t out[TICKET_PAYLOAD_BYTES]);

/*
 * Sign t with the box office's key pair and return its QR text, newly allocated (the caller
 * frees it), TICKET_TEXT_LEN characters. t->key_id should be the device id whose certificate
 * holds kp's public key. Aborts when t->version is not TICKET_VERSION: such a ticket could
 * never be admitted.
 */
char *ticket_sign(const struct ticket *t, const struct keypair *kp);

/*
 * Read a ticket's structure without checking its signature (for inspection). Whitespace
 * around the text (spaces, tabs, the CR LF a USB scanner sends) is ignored. On TICKET_OK
 * fills *t and sig; otherwise returns one of the readability errors and leaves them alone.
 */
enum ticket_error ticket_parse(const char *text, struct ticket *t, uint8_t sig[KEYS_SIGBYTES])
    WARN_UNUSED;

/*
 * Decide whether a gate admits this ticket's signature: parse, then check against kr in the
 * order given above. On TICKET_OK fills *t (when t is not NULL); otherwise leaves it alone.
 * Does not look at the event, the seat or the clock: that is the replica's job.
 */
enum ticket_error ticket_verify(const char *text, const struct keyring *kr, struct ticket *t)
    WARN_UNUSED;

#endif
