/*
 * fig-issue.c: box office tickets issued per second: sign the ticket (ticket_sign: payload,
 * Ed25519, base45), then the printed ticket as the box office writes it (printout_png_memory:
 * the QR encoded, the text lines and the QR drawn, PNG compressed). Against: Ed25519 signing
 * the same bytes (libsodium) plus libqrencode encoding the same text, nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <sodium.h>

#include "bench.h"
#include "printout.h"
#include "qr.h"
#include "ticket.h"
#include "xmalloc.h"

#define CHUNK 50

static int
issue_run(void)
{
	long n = bench_env("BENCH_ISSUE_N", 1000, 40), i, j;
	struct keypair *kp = keypair_generate();
	struct ticket t;
	struct printout p;
	struct qr *q;
	QRcode *qc;
	uint8_t msg[sizeof TICKET_DOMAIN + TICKET_PAYLOAD_BYTES], sig[crypto_sign_BYTES];
	uint8_t *png;
	size_t len, pngbytes = 0;
	char **text, *cause = NULL, label[32];
	double t0, tess = 0, lim = 0, tsign = 0, tqr = 0;
	int rc = -1;

	text = xcalloc((size_t)n, sizeof *text);
	memset(&t, 0, sizeof t);
	t.version = TICKET_VERSION;
	t.key_id = 7;
	t.event_id = 1;
	t.tier = 0;
	t.issued_at = 1790000000;
	memset(&p, 0, sizeof p);
	p.event_id = 1;
	p.event = "Bench Night";
	p.venue = "Bench Arena";
	p.starts_at = 1790003600;
	p.tier = "Standard";
	p.price = 4500;
	p.currency = "EUR";
	p.order = 1;
	memcpy(msg, TICKET_DOMAIN, sizeof TICKET_DOMAIN);          /* with its NUL */

	for (i = 0; i < n; i += CHUNK) {
		/* Tessera: what the box office does for each ticket it prints. */
		t0 = bench_now();
		for (j = i; j < n && j < i + CHUNK; j++) {
			t.seat_id = (uint32_t)j + 1;
			t.serial = (uint32_t)j + 1;
			text[j] = ticket_sign(&t, kp);
			snprintf(label, sizeof label, "S%ld-%ld-%ld", j / 2000 + 1, j / 50 % 40 + 1,
			    j % 50 + 1);
			p.seat = label;
			p.serial = t.serial;
			p.qr_text = text[j];
			if (printout_png_memory(&p, &png, &len, &cause) != 0) {
				fprintf(stderr, "bench: issue: %s\n", cause);
				free(cause);
				goto out;
			}
			pngbytes += len;
			free(png);
		}
		tess += bench_now() - t0;

		/* The limit: Ed25519 over the same bytes, libqrencode on the same text. */
		t0 = bench_now();
		for (j = i; j < n && j < i + CHUNK; j++) {
			t.seat_id = (uint32_t)j + 1;
			t.serial = (uint32_t)j + 1;
			ticket_payload(&t, msg + sizeof TICKET_DOMAIN);
			crypto_sign_detached(sig, NULL, msg, sizeof msg, kp->sk);
			if ((qc = QRcode_encodeString(text[j], 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
				goto out;
			QRcode_free(qc);
		}
		lim += bench_now() - t0;
	}

	/* Where Tessera's time goes: signing, and encoding the QR, apart from the printout. */
	t0 = bench_now();
	for (j = 0; j < n; j++)
		free(ticket_sign(&t, kp));
	tsign = bench_now() - t0;
	t0 = bench_now();
	for (j = 0; j < n; j++) {
		if (qr_encode(text[j], &q, &cause) != 0)
			goto out;
		qr_free(q);
	}
	tqr = bench_now() - t0;

	bench_row("7 box office tickets issued/s (sign, QR, PNG)", "/s", (double)n / tess,
	    (double)n / lim, "ratio >= 0.5", (double)n / tess >= 0.5 * (double)n / lim);
	bench_note("issue: %ld tickets: %.0f us each: ticket_sign %.0f us, qr_encode %.0f us, the "
	    "rest of printout_png_memory %.0f us (%zu-byte PNGs, %d px wide)", n,
	    tess / (double)n * 1e6, tsign / (double)n * 1e6, tqr / (double)n * 1e6,
	    (tess - tsign - tqr) / (double)n * 1e6, pngbytes / (size_t)n, PRINTOUT_PNG_WIDTH);
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(text[i]);
	free(text);
	keypair_free(kp);
	return rc;
}

const struct bench_fig fig_issue = {
	"issue", "7: box office tickets issued per second, against Ed25519 sign + QR encode",
	issue_run
};
