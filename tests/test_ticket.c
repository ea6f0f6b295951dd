/* test_ticket.c: the ticket's known-answer vector, tamper loop, every refusal and its order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "base45.h"
#include "keys.h"
#include "ticket.h"
#include "xmalloc.h"

/* The test vector of docs/ticket-format.md: keep the two the same. */
#define VEC_ROOT_SEED   "tessera test vector root seed 01"
#define VEC_DEVICE_SEED "tessera test vector boxoffice 07"
#define VEC_ROOT_PK \
	"72285d84504831607e55b12047a247917c0fe10e20c8baa6e24e393c609962dd"
#define VEC_DEVICE_PK \
	"a6abc45ca8ec4702370825558e7c57b8036d60087c45df6abffa8ca7c7aedcf6"
#define VEC_CERT \
	"010000000701a6abc45ca8ec4702370825558e7c57b8036d60087c45df6abffa8ca7c7aedcf6" \
	"0000000067748580000000006b36ec80" \
	"ee7b0ac13371aa3d06b8b590a8feade4f6f4bf9918af010366337f6c2f1fb474" \
	"ca22fc00e30cdedf992552cdfeb4effcc304f9ceb48536631740914ad0daee02"
#define VEC_PAYLOAD \
	"0100000007000007e8000004d20000002a0001026955b900"
#define VEC_SIG \
	"e2200d7d5be0ffb1212a24879d0cee90b24e5e1bc948a1f5e78f4314dd8aa45d" \
	"26782bf5104498f05a9aae44af7b1ca27ef951cb77c4d2a49b9d0f1915a01002"
#define VEC_TEXT \
	"TS1:V50000$*0700$ET400UOQ000.D5X50AEDKHNIQSXV1URBREWU84 R4J%J77UGOMG+B3KPGLKECTRL8E" \
	"0S2ZK%%43P5O222FJJKBH1MD8M+R3F2GEFAF6FESQCUJ++11X2312"
#define VEC_NOT_BEFORE  1735689600      /* 2025-01-01T00:00:00Z */
#define VEC_NOT_AFTER   1798761600      /* 2027-01-01T00:00:00Z */
#define VEC_ISSUED_AT   1767225600      /* 2026-01-01T00:00:00Z */

static const struct ticket vec_ticket = {
	.version = TICKET_VERSION,
	.key_id = 7,
	.event_id = 2024,
	.seat_id = 1234,
	.serial = 42,
	.generation = 1,
	.tier = 2,
	.issued_at = VEC_ISSUED_AT,
};

struct fixture {
	struct keypair *root;
	struct keypair *device;         /* 7, boxoffice, the vector's */
	struct keypair *gate;           /* 8, gate */
	struct keypair *stranger;       /* no certificate */
	struct keyring *kr;
};

static struct keypair *
keypair_from_seed(const char *seed)
{
	uint8_t pk[KEYS_PUBLICBYTES], sk[KEYS_SECRETBYTES];
	struct keypair *kp;

	assert_int_equal(strlen(seed), crypto_sign_SEEDBYTES);
	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)seed);
	kp = keypair_from_secret(sk);
	sodium_memzero(sk, sizeof sk);
	assert_memory_equal(kp->pk, pk, sizeof pk);
	return kp;
}

static struct cert
make_cert(uint32_t id, uint8_t role, const struct keypair *dev, const struct keypair *root)
{
	struct cert c;

	memset(&c, 0, sizeof c);
	c.device_id = id;
	c.role = role;
	memcpy(c.pk, dev->pk, KEYS_PUBLICBYTES);
	c.not_before = VEC_NOT_BEFORE;
	c.not_after = VEC_NOT_AFTER;
	cert_sign(&c, root);
	return c;
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct cert c;

	f->root = keypair_from_seed(VEC_ROOT_SEED);
	f->device = keypair_from_seed(VEC_DEVICE_SEED);
	f->gate = keypair_generate();
	f->stranger = keypair_generate();
	f->kr = keyring_new(f->root->pk);
	c = make_cert(7, ROLE_BOXOFFICE, f->device, f->root);
	assert_int_equal(keyring_add(f->kr, &c, NULL), 0);
	c = make_cert(8, ROLE_GATE, f->gate, f->root);
	assert_int_equal(keyring_add(f->kr, &c, NULL), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	keyring_free(f->kr);
	keypair_free(f->root);
	keypair_free(f->device);
	keypair_free(f->gate);
	keypair_free(f->stranger);
	free(f);
	return 0;
}

/* "TS1:" and the base45 of 88 bytes, without checking anything: for crafted tickets. */
static char *
text_of(const uint8_t bytes[TICKET_SIGNED_BYTES])
{
	char *body = base45_encode(bytes, TICKET_SIGNED_BYTES), *text;

	text = xasprintf("%s%s", TICKET_PREFIX, body);
	free(body);
	return text;
}

/* A ticket with any payload (even a wrong version) signed by kp. */
static char *
sign_raw(const struct ticket *t, const struct keypair *kp)
{
	uint8_t bytes[TICKET_SIGNED_BYTES];

	ticket_payload(t, bytes);
	keys_sign(kp, TICKET_DOMAIN, bytes, TICKET_PAYLOAD_BYTES, bytes + TICKET_PAYLOAD_BYTES);
	return text_of(bytes);
}

static void
assert_ticket_equal(const struct ticket *a, const struct ticket *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->key_id, b->key_id);
	assert_int_equal(a->event_id, b->event_id);
	assert_int_equal(a->seat_id, b->seat_id);
	assert_int_equal(a->serial, b->serial);
	assert_int_equal(a->generation, b->generation);
	assert_int_equal(a->tier, b->tier);
	assert_int_equal(a->issued_at, b->issued_at);
}

static void
assert_hex(const uint8_t *bin, size_t len, const char *expected)
{
	char *hex = keys_hex(bin, len);

	assert_string_equal(hex, expected);
	free(hex);
}

static void
test_vector(void **state)
{
	struct fixture *f = *state;
	struct cert c = make_cert(7, ROLE_BOXOFFICE, f->device, f->root), d;
	uint8_t payload[TICKET_PAYLOAD_BYTES], sig[KEYS_SIGBYTES], cbuf[CERT_BYTES];
	struct ticket t;
	char *text;

	assert_hex((const uint8_t *)VEC_ROOT_SEED, 32,
	    "74657373657261207465737420766563746f7220726f6f742073656564203031");
	assert_hex((const uint8_t *)VEC_DEVICE_SEED, 32,
	    "74657373657261207465737420766563746f7220626f786f6666696365203037");
	assert_hex(f->root->pk, KEYS_PUBLICBYTES, VEC_ROOT_PK);
	assert_hex(f->device->pk, KEYS_PUBLICBYTES, VEC_DEVICE_PK);

	cert_encode(&c, cbuf);
	assert_hex(cbuf, CERT_BYTES, VEC_CERT);
	assert_int_equal(cert_decode(cbuf, CERT_BYTES, &d, NULL), 0);
	assert_int_equal(cert_verify(&d, f->root->pk), 0);

	ticket_payload(&vec_ticket, payload);
	assert_hex(payload, sizeof payload, VEC_PAYLOAD);

	text = ticket_sign(&vec_ticket, f->device);
	assert_string_equal(text, VEC_TEXT);
	free(text);

	assert_int_equal(ticket_parse(VEC_TEXT, &t, sig), TICKET_OK);
	assert_ticket_equal(&t, &vec_ticket);
	assert_hex(sig, sizeof sig, VEC_SIG);
	assert_int_equal(keys_verify(f->device->pk, TICKET_DOMAIN, payload, sizeof payload, sig),
	    0);

	memset(&t, 0, sizeof t);
	assert_int_equal(ticket_verify(VEC_TEXT, f->kr, &t), TICKET_OK);
	assert_ticket_equal(&t, &vec_ticket);
}

static void
test_text_shape(void **state)
{
	struct fixture *f = *state;
	char *text = ticket_sign(&vec_ticket, f->device);

	assert_int_equal(strlen(text), TICKET_TEXT_LEN);
	assert_int_equal(TICKET_TEXT_LEN, 136);
	assert_true(strlen(text) < 150);
	assert_true(strlen(text) < TICKET_TEXT_MAX);
	/* QR alphanumeric mode: the prefix and the body. */
	assert_int_equal(strspn(text, BASE45_ALPHABET), strlen(text));
	assert_memory_equal(text, TICKET_PREFIX, 4);
	free(text);
}

static void
test_roundtrip(void **state)
{
	struct fixture *f = *state;
	static const struct ticket cases[] = {
		{ 1, 7, 0, 0, 0, 0, 0, VEC_NOT_BEFORE },
		{ 1, 7, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT16_MAX, UINT8_MAX, VEC_NOT_AFTER },
		{ 1, 7, 0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e, 0x0f, 0x7fffffff },
	};
	uint8_t sig[KEYS_SIGBYTES];
	struct ticket t;
	size_t i;
	char *text;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ticket c = cases[i];

		if (c.issued_at > VEC_NOT_AFTER)
			c.issued_at = VEC_NOT_AFTER;
		text = ticket_sign(&c, f->device);
		assert_int_equal(strlen(text), TICKET_TEXT_LEN);
		assert_int_equal(ticket_parse(text, &t, sig), TICKET_OK);
		assert_ticket_equal(&t, &c);
		assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_OK);
		assert_ticket_equal(&t, &c);
		assert_int_equal(ticket_verify(text, f->kr, NULL), TICKET_OK);
		free(text);
	}
}

/* Flip every bit of the 88 signed bytes: no flip may be admitted. */
static void
test_tamper(void **state)
{
	struct fixture *f = *state;
	uint8_t bytes[TICKET_SIGNED_BYTES];
	size_t bit;
	enum ticket_error e;
	int counts[TICKET_EVALIDITY + 1] = { 0 };
	char *text;

	ticket_payload(&vec_ticket, bytes);
	assert_int_equal(keys_unhex(VEC_SIG, bytes + TICKET_PAYLOAD_BYTES, KEYS_SIGBYTES), 0);
	text = text_of(bytes);
	assert_string_equal(text, VEC_TEXT);
	free(text);

	for (bit = 0; bit < 8 * TICKET_SIGNED_BYTES; bit++) {
		bytes[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		text = text_of(bytes);
		e = ticket_verify(text, f->kr, NULL);
		assert_int_not_equal(e, TICKET_OK);
		if (bit < 8)
			assert_int_equal(e, TICKET_EVERSION);
		else if (bit < 40)
			assert_int_equal(e, TICKET_EUNKNOWNKEY);    /* 7 flipped is never 8 */
		else
			assert_int_equal(e, TICKET_EBADSIG);
		counts[e]++;
		free(text);
		bytes[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	assert_int_equal(counts[TICKET_EVERSION], 8);
	assert_int_equal(counts[TICKET_EUNKNOWNKEY], 32);
	assert_int_equal(counts[TICKET_EBADSIG], 8 * TICKET_SIGNED_BYTES - 8 - 32);

	/* With key id 6 known too, the flip of key id bit 0 is a bad signature under 6's key. */
	{
		struct keyring *kr = keyring_new(f->root->pk);
		struct cert c;

		memset(&c, 0, sizeof c);
		c.device_id = 6;
		c.role = ROLE_BOXOFFICE;
		memcpy(c.pk, f->stranger->pk, KEYS_PUBLICBYTES);
		c.not_before = VEC_NOT_BEFORE;
		c.not_after = VEC_NOT_AFTER;
		cert_sign(&c, f->root);
		assert_int_equal(keyring_add(kr, &c, NULL), 0);
		bytes[4] ^= 1;
		text = text_of(bytes);
		assert_int_equal(ticket_verify(text, kr, NULL), TICKET_EBADSIG);
		free(text);
		bytes[4] ^= 1;
		keyring_free(kr);
	}
}

static void
test_not_a_ticket(void **state)
{
	struct fixture *f = *state;
	static const char *texts[] = {
		"", " ", "\r\n", "hello", "T", "TS", "TS1", "TSX:ABC", "TS:ABC", "ts1:ABC",
		"https://example.com/TS1:", "XTS1:", "TS 1:", "TS1;" VEC_TEXT,
	};
	struct ticket t;
	uint8_t sig[KEYS_SIGBYTES];
	size_t i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		assert_int_equal(ticket_parse(texts[i], &t, sig), TICKET_ENOTTICKET);
		assert_int_equal(ticket_verify(texts[i], f->kr, &t), TICKET_ENOTTICKET);
	}
}

static void
test_bad_encoding(void **state)
{
	struct fixture *f = *state;
	char *text = xstrdup(VEC_TEXT);
	struct ticket t;

	/* A character outside base45: what a keyboard-wedge scanner in the wrong layout types. */
	text[10] = 'a';
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EENCODING);
	text[10] = '\t';
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EENCODING);
	/* Invalid characters win over the length. */
	text[20] = '\0';
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EENCODING);
	free(text);

	/* The right length and characters, but a group over 65535. */
	text = xstrdup(VEC_TEXT);
	memcpy(text + 4, "GGW", 3);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EENCODING);
	memcpy(text + 4 + 129, ":::", 3);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EENCODING);
	free(text);
}

static void
test_version(void **state)
{
	struct fixture *f = *state;
	struct ticket t = vec_ticket, out;
	uint8_t sig[KEYS_SIGBYTES];
	char *text;

	/* Another prefix version. */
	text = xasprintf("TS2:%s", VEC_TEXT + 4);
	assert_int_equal(ticket_parse(text, &out, sig), TICKET_EVERSION);
	assert_int_equal(ticket_verify(text, f->kr, &out), TICKET_EVERSION);
	free(text);
	assert_int_equal(ticket_verify("TS10:ABC", f->kr, &out), TICKET_EVERSION);
	assert_int_equal(ticket_verify("TS01:ABC", f->kr, &out), TICKET_EVERSION);
	assert_int_equal(ticket_verify("TS0:", f->kr, &out), TICKET_EVERSION);

	/* A properly signed payload with version 2 behind a TS1 prefix. */
	t.version = 2;
	text = sign_raw(&t, f->device);
	assert_int_equal(ticket_parse(text, &out, sig), TICKET_EVERSION);
	assert_int_equal(ticket_verify(text, f->kr, &out), TICKET_EVERSION);
	free(text);
	t.version = 0;
	text = sign_raw(&t, f->device);
	assert_int_equal(ticket_verify(text, f->kr, &out), TICKET_EVERSION);
	free(text);
}

static void
test_length(void **state)
{
	struct fixture *f = *state;
	struct ticket t;
	char *text;
	size_t len;

	/* Every cut of the text after the prefix is truncated. */
	for (len = 4; len < TICKET_TEXT_LEN; len++) {
		text = xstrndup(VEC_TEXT, len);
		assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_ETRUNCATED);
		free(text);
	}
	text = xasprintf("%s0", VEC_TEXT);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_ETOOLONG);
	free(text);
	text = xasprintf("%s000", VEC_TEXT);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_ETOOLONG);
	free(text);
	/* The same ticket twice, as a scanner that missed the line end sends it. */
	text = xasprintf("%s%s", VEC_TEXT, VEC_TEXT);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_ETOOLONG);
	free(text);
	text = xasprintf("%s %s", VEC_TEXT, VEC_TEXT);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_ETOOLONG);
	free(text);
}

static void
test_unknown_key(void **state)
{
	struct fixture *f = *state;
	struct ticket t = vec_ticket;
	char *text;

	t.key_id = 99;
	text = ticket_sign(&t, f->stranger);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EUNKNOWNKEY);
	free(text);
}

static void
test_bad_signature(void **state)
{
	struct fixture *f = *state;
	struct ticket t = vec_ticket, out;
	uint8_t sig[KEYS_SIGBYTES];
	char *text;

	/* Key id 7, but signed by another key. */
	text = ticket_sign(&t, f->stranger);
	assert_int_equal(ticket_parse(text, &out, sig), TICKET_OK);
	assert_int_equal(ticket_verify(text, f->kr, &out), TICKET_EBADSIG);
	free(text);

	/* Signed by the right key under another domain. */
	{
		uint8_t bytes[TICKET_SIGNED_BYTES];

		ticket_payload(&t, bytes);
		keys_sign(f->device, CERT_DOMAIN, bytes, TICKET_PAYLOAD_BYTES,
		    bytes + TICKET_PAYLOAD_BYTES);
		text = text_of(bytes);
		assert_int_equal(ticket_verify(text, f->kr, &out), TICKET_EBADSIG);
		free(text);
	}

	/* A forgery claiming the gate's key id is a bad signature, not a wrong role. */
	t.key_id = 8;
	text = ticket_sign(&t, f->stranger);
	assert_int_equal(ticket_verify(text, f->kr, &out), TICKET_EBADSIG);
	free(text);

	/* A forgery outside the validity is a bad signature, not outside validity. */
	t.key_id = 7;
	t.issued_at = VEC_NOT_AFTER + 1;
	text = ticket_sign(&t, f->stranger);
	assert_int_equal(ticket_verify(text, f->kr, &out), TICKET_EBADSIG);
	free(text);
}

static void
test_role(void **state)
{
	struct fixture *f = *state;
	struct ticket t = vec_ticket;
	char *text;

	t.key_id = 8;
	text = ticket_sign(&t, f->gate);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EROLE);
	free(text);
}

static void
test_revoked(void **state)
{
	struct fixture *f = *state;
	struct keyring *kr = keyring_new(f->root->pk);
	struct cert c7 = make_cert(7, ROLE_BOXOFFICE, f->device, f->root);
	struct cert c8 = make_cert(8, ROLE_GATE, f->gate, f->root);
	struct ticket t = vec_ticket;
	char *text;

	assert_int_equal(keyring_add(kr, &c7, NULL), 0);
	assert_int_equal(keyring_add(kr, &c8, NULL), 0);
	assert_int_equal(ticket_verify(VEC_TEXT, kr, &t), TICKET_OK);

	/* Revoked after the ticket was issued: still refused (a stolen terminal backdates). */
	keyring_revoke(kr, 7, VEC_ISSUED_AT + 86400);
	assert_int_equal(ticket_verify(VEC_TEXT, kr, &t), TICKET_EREVOKED);

	/* A forgery under a revoked key is a bad signature. */
	text = ticket_sign(&vec_ticket, f->stranger);
	assert_int_equal(ticket_verify(text, kr, &t), TICKET_EBADSIG);
	free(text);

	/* Revoked outside its validity: revoked. */
	t = vec_ticket;
	t.issued_at = VEC_NOT_BEFORE - 1;
	text = ticket_sign(&t, f->device);
	assert_int_equal(ticket_verify(text, kr, &t), TICKET_EREVOKED);
	free(text);

	/* A revoked gate that signs tickets: revoked before wrong role. */
	keyring_revoke(kr, 8, 0);
	t = vec_ticket;
	t.key_id = 8;
	text = ticket_sign(&t, f->gate);
	assert_int_equal(ticket_verify(text, kr, &t), TICKET_EREVOKED);
	free(text);
	keyring_free(kr);
}

static void
test_validity(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint32_t         issued_at;
		enum ticket_error expected;
	} cases[] = {
		{ 0, TICKET_EVALIDITY },
		{ VEC_NOT_BEFORE - 1, TICKET_EVALIDITY },
		{ VEC_NOT_BEFORE, TICKET_OK },
		{ VEC_NOT_AFTER, TICKET_OK },
		{ VEC_NOT_AFTER + 1, TICKET_EVALIDITY },
		{ UINT32_MAX, TICKET_EVALIDITY },
	};
	struct ticket t = vec_ticket, out;
	size_t i;
	char *text;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t.issued_at = cases[i].issued_at;
		text = ticket_sign(&t, f->device);
		assert_int_equal(ticket_verify(text, f->kr, &out), cases[i].expected);
		free(text);
	}
}

static void
test_whitespace(void **state)
{
	struct fixture *f = *state;
	static const char *wraps[][2] = {
		{ "", "\r\n" }, { "", "\n" }, { "", "\r" }, { " ", " " }, { "\t", "\t\r\n" },
		{ "\r\n", "" }, { "  \n", "\r\n\r\n" },
	};
	struct ticket t;
	uint8_t sig[KEYS_SIGBYTES];
	size_t i;
	char *text;

	for (i = 0; i < sizeof wraps / sizeof wraps[0]; i++) {
		text = xasprintf("%s%s%s", wraps[i][0], VEC_TEXT, wraps[i][1]);
		assert_int_equal(ticket_parse(text, &t, sig), TICKET_OK);
		assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_OK);
		assert_ticket_equal(&t, &vec_ticket);
		free(text);
	}

	/* Not inside. */
	text = xasprintf("TS1: %s", VEC_TEXT + 4);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_ETOOLONG);
	free(text);
	text = xasprintf("%.50s\n%s", VEC_TEXT, VEC_TEXT + 50);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EENCODING);
	free(text);
}

/* Out-parameters are left alone on failure. */
static void
test_outputs_untouched(void **state)
{
	struct fixture *f = *state;
	struct ticket t, before;
	uint8_t sig[KEYS_SIGBYTES], sigbefore[KEYS_SIGBYTES];
	char *text;

	memset(&t, 0xa5, sizeof t);
	memset(sig, 0x5a, sizeof sig);
	before = t;
	memcpy(sigbefore, sig, sizeof sig);
	assert_int_equal(ticket_parse("TS1:", &t, sig), TICKET_ETRUNCATED);
	assert_memory_equal(&t, &before, sizeof t);
	assert_memory_equal(sig, sigbefore, sizeof sig);

	text = ticket_sign(&vec_ticket, f->stranger);
	assert_int_equal(ticket_verify(text, f->kr, &t), TICKET_EBADSIG);
	assert_memory_equal(&t, &before, sizeof t);
	free(text);
}

static void
test_error_strings(void **state)
{
	static const char *codes[] = {
		"ok", "not-a-ticket", "bad-encoding", "unknown-version", "truncated", "too-long",
		"unknown-key", "bad-signature", "revoked", "wrong-role", "outside-validity",
	};
	int e, g;

	(void)state;
	assert_int_equal(sizeof codes / sizeof codes[0], TICKET_EVALIDITY + 1);
	assert_string_equal(ticket_error_code(TICKET_EROLE), "wrong-role");
	assert_string_equal(ticket_error_code(TICKET_EREVOKED), "revoked");
	for (e = TICKET_OK; e <= TICKET_EVALIDITY; e++) {
		assert_string_equal(ticket_error_code((enum ticket_error)e), codes[e]);
		assert_non_null(ticket_error_text((enum ticket_error)e));
		assert_true(strlen(ticket_error_text((enum ticket_error)e)) > 10);
		for (g = TICKET_OK; g < e; g++) {
			assert_string_not_equal(ticket_error_text((enum ticket_error)e),
			    ticket_error_text((enum ticket_error)g));
		}
	}
	assert_string_equal(ticket_error_code((enum ticket_error)99), "unknown-error");
	assert_string_equal(ticket_error_code((enum ticket_error)-1), "unknown-error");
	assert_string_equal(ticket_error_text((enum ticket_error)99), "Unknown ticket error.");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_text_shape),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_not_a_ticket),
		cmocka_unit_test(test_bad_encoding),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_role),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_outputs_untouched),
		cmocka_unit_test(test_error_strings),
	};

	keys_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
