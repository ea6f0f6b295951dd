/*
 * fuzz_base45.c: base45_decode over any bytes. What decodes must encode back to the same
 * text (base45 has one encoding per byte string); any bytes must encode and decode back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base45.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	char *cause = NULL, *text;

	if (base45_decode((const char *)data, size, &out, &outlen, &cause) == 0) {
		if (cause != NULL)
			abort();
		text = base45_encode(out, outlen);
		if (strlen(text) != size || memcmp(text, data, size) != 0)
			abort();
		free(text);
		free(out);
	} else {
		if (cause == NULL || out != NULL || outlen != 0)
			abort();
		free(cause);
	}

	text = base45_encode(data, size);
	if (base45_decode(text, strlen(text), &out, &outlen, NULL) != 0 || outlen != size ||
	    (size != 0 && memcmp(out, data, size) != 0))
		abort();
	free(out);
	free(text);
	return 0;
}
