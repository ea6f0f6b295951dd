/*
 * ticket.c: the signed ticket.
 *
 * A ticket is 24 bytes of payload and the issuing box office's 64-byte Ed25519 signature over
 * them (domain "tessera/ticket/v1"), carried in a QR code as "TS1:" and the base45 of the 88
 * bytes: 136 characters, so the code stays at QR version 6 or lower at error correction M.
 *
 *   offset  size  field
 *        0     1  version, 1
 *        1     4  key id: the issuing device's id, whose certificate holds its public key
 *        5     4  event id
 *        9     4  seat id
 *       13     4  serial, per issuing device
 *       17     2  generation: a refund and resale bumps it, so the old QR dies
 *       19     1  price tier
 *       20     4  issued at, unix seconds
 *
 * All integers big-endian. base45 has one encoding per byte string, so a text that parses is
 * exactly the encoding of its ticket and signature; and since the last character of a base45
 * group of three is never a space, trimming whitespace after a ticket never eats part of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base45.h"
#include "keys.h"
#include "ticket.h"
#include "xmalloc.h"

#define TICKET_PREFIX_LEN (sizeof TICKET_PREFIX - 1)
#define TICKET_BODY_LEN   (TICKET_TEXT_LEN - TICKET_PREFIX_LEN)

static const struct {
	const char *code;
	const char *text;
} ticket_errors[] = {
	[TICKET_OK] = { "ok", "The ticket's signature is valid." },
	[TICKET_ENOTTICKET] = { "not-a-ticket", "This is not a Tessera ticket." },
	[TICKET_EENCODING] = { "bad-encoding",
	    "The ticket code was misread or is damaged: scan it again." },
	[TICKET_EVERSION] = { "unknown-version",
	    "This ticket is in a format this scanner does not know: update the scanner." },
	[TICKET_ETRUNCATED] = { "truncated",
	    "Only part of the ticket code was read: scan it again." },
	[TICKET_ETOOLONG] = { "too-long",
	    "The ticket code has extra characters: scan it again." },
	[TICKET_EUNKNOWNKEY] = { "unknown-key",
	    "The box office that issued this ticket is unknown here: sync this scanner, "
	    "or call a supervisor." },
	[TICKET_EBADSIG] = { "bad-signature",
	    "The ticket has been altered or forged: do not admit; call a supervisor." },
	[TICKET_EREVOKED] = { "revoked",
	    "The box office that issued this ticket has been revoked: do not admit; "
	    "call a supervisor." },
	[TICKET_EROLE] = { "wrong-role",
	    "This ticket was signed by a device that may not sell tickets: do not admit; "
	    "call a supervisor." },
	[TICKET_EVALIDITY] = { "outside-validity",
	    "This ticket was issued outside its box office's authorised period: do not admit; "
	    "call a supervisor." },
};

const char *
ticket_error_code(enum ticket_error e)
{
	if ((size_t)e >= nitems(ticket_errors) || ticket_errors[e].code == NULL)
		return "unknown-error";
	return ticket_errors[e].code;
}

const char *
ticket_error_text(enum ticket_error e)
{
	if ((size_t)e >= nitems(ticket_errors) || ticket_errors[e].text == NULL)
		return "Unknown ticket error.";
	return ticket_errors[e].text;
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
ticket_payload(const struct ticket *t, uint8_t out[TICKET_PAYLOAD_BYTES])
{
	out[0] = t->version;
	put_be32(out + 1, t->key_id);
	put_be32(out + 5, t->event_id);
	put_be32(out + 9, t->seat_id);
	put_be32(out + 13, t->serial);
	put_be16(out + 17, t->generation);
	out[19] = t->tier;
	put_be32(out + 20, t->issued_at);
}

char *
ticket_sign(const struct ticket *t, const struct keypair *kp)
{
	uint8_t bytes[TICKET_SIGNED_BYTES];
	char *body, *text;

	if (t->version != TICKET_VERSION) {
		fprintf(stderr, "tessera: ticket_sign: version %u is not %d\n", t->version,
		    TICKET_VERSION);
		abort();
	}
	ticket_payload(t, bytes);
	keys_sign(kp, TICKET_DOMAIN, bytes, TICKET_PAYLOAD_BYTES, bytes + TICKET_PAYLOAD_BYTES);
	body = base45_encode(bytes, sizeof bytes);
	text = xasprintf("%s%s", TICKET_PREFIX, body);
	free(body);
	return text;
}

static int
ticket_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Parse text into the 88 signed bytes and the ticket; both only on TICKET_OK. */
static enum ticket_error
ticket_decode(const char *text, uint8_t bytes[TICKET_SIGNED_BYTES], struct ticket *t)
{
	const char *start, *end, *p, *body;
	uint8_t *out;
	size_t i, len, outlen;

	for (start = text; ticket_space(*start); start++)
		/* nothing */;
	for (end = start + strlen(start); end > start && ticket_space(end[-1]); end--)
		/* nothing */;

	/* "TS", a version number, ":". */
	if (end - start < 2 || start[0] != 'T' || start[1] != 'S')
		return TICKET_ENOTTICKET;
	for (p = start + 2; p < end && *p >= '0' && *p <= '9'; p++)
		/* nothing */;
	if (p == start + 2 || p == end || *p != ':')
		return TICKET_ENOTTICKET;
	if ((size_t)(p + 1 - start) != TICKET_PREFIX_LEN ||
	    memcmp(start, TICKET_PREFIX, TICKET_PREFIX_LEN) != 0)
		return TICKET_EVERSION;

	/* Characters, then length, then what base45 still refuses (a value too large). */
	body = p + 1;
	len = (size_t)(end - body);
	for (i = 0; i < len; i++) {
		if (body[i] == '\0' || memchr(BASE45_ALPHABET, body[i], 45) == NULL)
			return TICKET_EENCODING;
	}
	if (len < TICKET_BODY_LEN)
		return TICKET_ETRUNCATED;
	if (len > TICKET_BODY_LEN)
		return TICKET_ETOOLONG;
	if (base45_decode(body, len, &out, &outlen, NULL) != 0)
		return TICKET_EENCODING;
	if (outlen != TICKET_SIGNED_BYTES) {
		/* Cannot happen: the length was checked. */
		free(out);
		return TICKET_EENCODING;
	}
	memcpy(bytes, out, TICKET_SIGNED_BYTES);
	free(out);

	if (bytes[0] != TICKET_VERSION)
		return TICKET_EVERSION;
	t->version = bytes[0];
	t->key_id = get_be32(bytes + 1);
	t->event_id = get_be32(bytes + 5);
	t->seat_id = get_be32(bytes + 9);
	t->serial = get_be32(bytes + 13);
	t->generation = get_be16(bytes + 17);
	t->tier = bytes[19];
	t->issued_at = get_be32(bytes + 20);
	return TICKET_OK;
}

enum ticket_error
ticket_parse(const char *text, struct ticket *t, uint8_t sig[KEYS_SIGBYTES])
{
	uint8_t bytes[TICKET_SIGNED_BYTES];
	struct ticket tmp;
	enum ticket_error e;

	if ((e = ticket_decode(text, bytes, &tmp)) != TICKET_OK)
		return e;
	*t = tmp;
	memcpy(sig, bytes + TICKET_PAYLOAD_BYTES, KEYS_SIGBYTES);
	return TICKET_OK;
}

enum ticket_error
ticket_verify(const char *text, const struct keyring *kr, struct ticket *t)
{
	uint8_t bytes[TICKET_SIGNED_BYTES];
	const struct cert *c;
	struct ticket tmp;
	enum ticket_error e;

	if ((e = ticket_decode(text, bytes, &tmp)) != TICKET_OK)
		return e;
	if ((c = keyring_find(kr, tmp.key_id)) == NULL)
		return TICKET_EUNKNOWNKEY;
	if (keys_verify(c->pk, TICKET_DOMAIN, bytes, TICKET_PAYLOAD_BYTES,
	    bytes + TICKET_PAYLOAD_BYTES) != 0)
		return TICKET_EBADSIG;
	if (keyring_is_revoked(kr, tmp.key_id, NULL))
		return TICKET_EREVOKED;
	if (c->role != ROLE_BOXOFFICE)
		return TICKET_EROLE;
	if ((int64_t)tmp.issued_at < c->not_before || (int64_t)tmp.issued_at > c->not_after)
		return TICKET_EVALIDITY;
	if (t != NULL)
		*t = tmp;
	return TICKET_OK;
}
