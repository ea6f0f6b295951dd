/*
 * cmd-inspect.c: tessera-scanner inspect: every field of a ticket, and the exact bytes its
 * signature covers, in hex, so that any Ed25519 implementation can check it
 * (docs/ticket-format.md). Works without a replica; with one it also verifies.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "keys.h"
#include "qr.h"
#include "replica.h"
#include "scanner.h"
#include "ticket.h"
#include "timefmt.h"
#include "xmalloc.h"

static const struct option inspect_options[] = {
	{ "replica", required_argument, NULL, 'r' },
	{ "image", required_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
hex_line(const char *name, const uint8_t *b, size_t len)
{
	char *h = keys_hex(b, len);

	printf("%-12s %s\n", name, h);
	free(h);
}

/* Verify against the replica's keyring; prints the signer's key and the result. */
static int
verify(const struct cmdline_cmd *self, const char *path, const char *text,
    const struct ticket *t)
{
	struct replica *r = NULL;
	struct keyring *kr = NULL;
	const struct cert *c;
	enum ticket_error e;
	char *cause = NULL;
	int rc;

	if (replica_open(path, 0, &r, &cause) != 0 || gate_keyring(r, &kr, &cause) != 0) {
		rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s", cause);
		free(cause);
		replica_close(r);
		return rc;
	}
	if ((c = keyring_find(kr, t->key_id)) != NULL)
		hex_line("public key:", c->pk, KEYS_PUBLICBYTES);
	else
		printf("%-12s %s\n", "public key:", "(no certificate for this key id)");
	e = ticket_verify(text, kr, NULL);
	printf("%-12s %s%s%s\n", "verify:", ticket_error_code(e), e == TICKET_OK ? "" : ": ",
	    e == TICKET_OK ? "" : ticket_error_text(e));
	keyring_free(kr);
	replica_close(r);
	return e == TICKET_OK ? SCANNER_EXIT_OK : SCANNER_EXIT_FAIL;
}

static int
inspect_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL, *image = NULL;
	struct ticket t;
	uint8_t payload[TICKET_PAYLOAD_BYTES], sig[KEYS_SIGBYTES];
	uint8_t signed_bytes[sizeof TICKET_DOMAIN + TICKET_PAYLOAD_BYTES];
	enum ticket_error e;
	char *text = NULL, *cause = NULL, iso[TIMEFMT_ISO_MAX];
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, inspect_options)) != -1) {
		if (c == 'r')
			replica = optarg;
		else if (c == 'i')
			image = optarg;
	}
	if (image == NULL && argc - optind != 1)
		return cmdline_usage_error(self, argc == optind ? "which ticket? give its text" :
		    "one ticket at a time (quote a text that holds a space)");
	if (image != NULL && optind < argc)
		return cmdline_usage_error(self, "give a payload or --image, not both");
	if (image != NULL) {
		if (qr_decode_file(image, &text, &cause) != 0) {
			rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s", cause);
			free(cause);
			return rc;
		}
	} else
		text = xstrdup(argv[optind]);

	printf("%-12s %s\n", "text:", text);
	e = ticket_parse(text, &t, sig);
	if (e != TICKET_OK) {
		printf("%-12s %s: %s\n", "error:", ticket_error_code(e), ticket_error_text(e));
		free(text);
		return SCANNER_EXIT_FAIL;
	}
	ticket_payload(&t, payload);
	memcpy(signed_bytes, TICKET_DOMAIN, sizeof TICKET_DOMAIN);      /* with its NUL */
	memcpy(signed_bytes + sizeof TICKET_DOMAIN, payload, sizeof payload);
	timefmt_iso(t.issued_at, iso, sizeof iso);

	printf("%-12s %u\n", "version:", t.version);
	printf("%-12s %" PRIu32 "\n", "key id:", t.key_id);
	printf("%-12s %" PRIu32 "\n", "event:", t.event_id);
	printf("%-12s %" PRIu32 "\n", "seat:", t.seat_id);
	printf("%-12s %" PRIu32 "\n", "serial:", t.serial);
	printf("%-12s %u\n", "generation:", t.generation);
	printf("%-12s %u\n", "tier:", t.tier);
	printf("%-12s %" PRIu32 " (%s)\n", "issued at:", t.issued_at, iso);
	hex_line("payload:", payload, sizeof payload);
	printf("%-12s \"%s\" 00 payload, %zu bytes: what the signature covers\n", "domain:",
	    TICKET_DOMAIN, sizeof signed_bytes);
	hex_line("signed:", signed_bytes, sizeof signed_bytes);
	hex_line("signature:", sig, sizeof sig);
	rc = replica != NULL ? verify(self, replica, text, &t) : SCANNER_EXIT_OK;
	free(text);
	return rc;
}

const struct cmdline_cmd scanner_cmd_inspect = {
	.name = "inspect",
	.usage = "[--replica FILE] (PAYLOAD | --image FILE)",
	.summary = "Print every field of a ticket, the bytes it signs and its signature, in hex.",
	.help =
	    "Reads the ticket without checking it (docs/ticket-format.md has the layout). The\n"
	    "\"signed:\" line is exactly what the Ed25519 signature covers: the domain\n"
	    "\"tessera/ticket/v1\", a zero byte, then the 24-byte payload; check it with any\n"
	    "Ed25519 implementation, e.g. openssl pkeyutl -verify -rawin.\n"
	    "\n"
	    "  --replica FILE   also print the issuing box office's public key from this\n"
	    "                   replica's certificates, and verify the ticket against them\n"
	    "  --image FILE     read the ticket from a QR code in a PNG or PGM image\n"
	    "\n"
	    "Exit status 0, or 1 when the text is not a readable ticket (or, with --replica,\n"
	    "does not verify).\n",
	.exec = inspect_exec,
	.prog = &scanner_prog,
};
