/* fuzz_tlspin.c: libFuzzer target for tlspin_check, tlspin_from_der and tlspin_from_pem. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlspin.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tlspin: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pin[TLSPIN_SIZE], *text, *cause = NULL;

	/* Text: only the one canonical spelling of a pin is accepted. */
	text = xstrndup((const char *)data, size);
	if (tlspin_check(text, &cause) == 0) {
		check(strlen(text) == TLSPIN_LEN, "accepted a pin of the wrong length");
		check(strncmp(text, TLSPIN_PREFIX, strlen(TLSPIN_PREFIX)) == 0,
		    "accepted a pin without its prefix");
	} else {
		check(cause != NULL, "check failed without a cause");
		free(cause);
		cause = NULL;
	}

	/* A certificate, DER or PEM: whatever gives a pin gives a well-formed one. */
	if (tlspin_from_der(data, size, pin, &cause) == 0)
		check(tlspin_check(pin, NULL) == 0, "from_der made a malformed pin");
	else {
		check(cause != NULL, "from_der failed without a cause");
		free(cause);
		cause = NULL;
	}
	if (tlspin_from_pem(text, strlen(text), pin, &cause) == 0)
		check(tlspin_check(pin, NULL) == 0, "from_pem made a malformed pin");
	else {
		check(cause != NULL, "from_pem failed without a cause");
		free(cause);
	}
	free(text);
	return 0;
}
