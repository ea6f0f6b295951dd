/* fuzz_qr_image.c: libFuzzer over the image loader (PNG, PGM) and the QR decoder, from memory. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "qr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* zbar over a large frame takes tens of milliseconds: decode only images up to this many pixels. */
#define FUZZ_MAX_PIXELS	(256 * 256)

static struct qr_reader	*reader;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	reader = qr_reader_new();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*px;
	char	*text, *cause = NULL;
	int	 w, h;

	if (qr_load_memory(data, size, &px, &w, &h, &cause) != 0) {
		free(cause);
		return 0;
	}
	if (w < 1 || h < 1 || w > QR_MAX_DIM || h > QR_MAX_DIM)
		abort();
	if ((size_t)w * (size_t)h <= FUZZ_MAX_PIXELS) {
		if (qr_reader_decode(reader, px, w, h, &text, &cause) == 0)
			free(text);
		else
			free(cause);
	}
	free(px);
	return 0;
}
