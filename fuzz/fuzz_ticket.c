/*
 * fuzz_ticket.c: ticket_parse and ticket_verify over any text, with the keyring of the test
 * vector in docs/ticket-format.md (root, box office 7, gate 8). Checks that verify never
 * admits what parse refuses, and that a ticket that parses is exactly the encoding of what it
 * parsed to, apart from surrounding whitespace.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base45.h"
#include "keys.h"
#include "ticket.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct keyring *fuzz_kr;

static struct keypair *
from_seed(const char *seed)
{
	uint8_t pk[KEYS_PUBLICBYTES], sk[KEYS_SECRETBYTES];
	struct keypair *kp;

	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)seed);
	kp = keypair_from_secret(sk);
	sodium_memzero(sk, sizeof sk);
	return kp;
}

static void
add(struct keypair *root, uint32_t id, uint8_t role, const char *seed)
{
	struct keypair *dev = from_seed(seed);
	struct cert c;

	memset(&c, 0, sizeof c);
	c.device_id = id;
	c.role = role;
	memcpy(c.pk, dev->pk, KEYS_PUBLICBYTES);
	c.not_before = 1735689600;
	c.not_after = 1798761600;
	cert_sign(&c, root);
	if (keyring_add(fuzz_kr, &c, NULL) != 0)
		abort();
	keypair_free(dev);
}

static void
fuzz_init(void)
{
	struct keypair *root;

	keys_init();
	root = from_seed("tessera test vector root seed 01");
	fuzz_kr = keyring_new(root->pk);
	add(root, 7, ROLE_BOXOFFICE, "tessera test vector boxoffice 07");
	add(root, 8, ROLE_GATE, "tessera fuzz gate seed number 08");
	keypair_free(root);
}

static int
space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t bytes[TICKET_SIGNED_BYTES], sig[KEYS_SIGBYTES];
	struct ticket t, v;
	enum ticket_error pe, ve;
	char *text, *body, *again;
	const char *start, *end;

	if (fuzz_kr == NULL)
		fuzz_init();
	text = xstrndup((const char *)data, size);

	pe = ticket_parse(text, &t, sig);
	ve = ticket_verify(text, fuzz_kr, &v);
	if (ticket_error_code(pe) == NULL || ticket_error_code(ve) == NULL)
		abort();
	if (pe != TICKET_OK) {
		/* The same structural reason. */
		if (ve != pe)
			abort();
	} else {
		if (ve == TICKET_ENOTTICKET || ve == TICKET_EENCODING || ve == TICKET_EVERSION ||
		    ve == TICKET_ETRUNCATED || ve == TICKET_ETOOLONG)
			abort();
		if (ve == TICKET_OK && (t.version != v.version || t.key_id != v.key_id ||
		    t.event_id != v.event_id || t.seat_id != v.seat_id || t.serial != v.serial ||
		    t.generation != v.generation || t.tier != v.tier || t.issued_at != v.issued_at))
			abort();

		/* Re-encode: the trimmed input, character for character. */
		ticket_payload(&t, bytes);
		memcpy(bytes + TICKET_PAYLOAD_BYTES, sig, KEYS_SIGBYTES);
		body = base45_encode(bytes, sizeof bytes);
		again = xasprintf("%s%s", TICKET_PREFIX, body);
		for (start = text; space(*start); start++)
			;
		for (end = start + strlen(start); end > start && space(end[-1]); end--)
			;
		if ((size_t)(end - start) != strlen(again) ||
		    memcmp(start, again, strlen(again)) != 0)
			abort();
		free(again);
		free(body);
	}
	free(text);
	return 0;
}
