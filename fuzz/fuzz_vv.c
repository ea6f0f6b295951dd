/* fuzz_vv.c: libFuzzer target for vv_decode and vv_parse: whatever they accept must round-trip. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vv.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_vv: %s\n", what);
		abort();
	}
}

/* v must be canonical and survive both encodings unchanged. */
static void
roundtrip(const struct vv *v)
{
	struct vv	 d;
	uint8_t		*buf;
	char		*text, *cause = NULL;
	size_t		 len, i;

	for (i = 1; i < v->n; i++)
		check(v->e[i - 1].device < v->e[i].device, "entries out of order");
	for (i = 0; i < v->n; i++)
		check(v->e[i].count != 0, "zero count");

	vv_init(&d);
	len = vv_encode(v, &buf);
	check(vv_decode(buf, len, &d, &cause) == 0, "decode refused an encoding");
	check(vv_compare(v, &d) == VV_EQUAL, "decode(encode(v)) != v");
	free(buf);

	text = vv_to_string(v);
	check(vv_parse(text, &d, &cause) == 0, "parse refused to_string");
	check(vv_compare(v, &d) == VV_EQUAL, "parse(to_string(v)) != v");
	free(text);
	vv_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vv	 v;
	uint8_t		*buf;
	char		*text, *again, *cause = NULL;
	size_t		 len;

	/* Bytes: an accepted buffer re-encodes to exactly the same bytes. */
	vv_init(&v);
	if (vv_decode(data, size, &v, &cause) == 0) {
		len = vv_encode(&v, &buf);
		check(len == size && memcmp(buf, data, size) == 0, "encode(decode(b)) != b");
		free(buf);
		roundtrip(&v);
	} else {
		check(cause != NULL, "decode failed without a cause");
		check(v.n == 0 && v.e == NULL, "decode failed but changed its output");
		free(cause);
		cause = NULL;
	}
	vv_free(&v);

	/* Text: an accepted string prints back exactly (the grammar is canonical). */
	text = xstrndup((const char *)data, size);
	if (vv_parse(text, &v, &cause) == 0) {
		again = vv_to_string(&v);
		check(strcmp(again, text) == 0, "to_string(parse(s)) != s");
		free(again);
		roundtrip(&v);
	} else {
		check(cause != NULL, "parse failed without a cause");
		free(cause);
	}
	vv_free(&v);
	free(text);
	return 0;
}
