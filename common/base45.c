/*
 * base45.c: RFC 9285 base45.
 *
 * Bytes are taken two at a time as n = a * 256 + b and written as three characters c d e with
 * n = c + d * 45 + e * 45 * 45, least significant first; a final odd byte becomes two characters.
 * Each group has exactly one encoding, so decoding is the inverse of encoding: a text decodes
 * only when it is the encoding of what it decodes to. Since 65535 / 2025 = 32, the last
 * character of a three-character group is never a space (value 36).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base45.h"
#include "xmalloc.h"

static const char base45_alphabet[] = BASE45_ALPHABET;

/* The value of a base45 character, or -1. */
static int
base45_value(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 10;
	switch (ch) {
	case ' ':
		return 36;
	case '$':
		return 37;
	case '%':
		return 38;
	case '*':
		return 39;
	case '+':
		return 40;
	case '-':
		return 41;
	case '.':
		return 42;
	case '/':
		return 43;
	case ':':
		return 44;
	}
	return -1;
}

char *
base45_encode(const uint8_t *data, size_t len)
{
	char *text, *p;
	size_t i;
	unsigned int n;

	if (len / 2 > (SIZE_MAX - 3) / 3)
		abort();
	p = text = xmalloc(BASE45_ENCODED_LEN(len) + 1);
	for (i = 0; i + 1 < len; i += 2) {
		n = (unsigned int)data[i] * 256 + data[i + 1];
		*p++ = base45_alphabet[n % 45];
		*p++ = base45_alphabet[n / 45 % 45];
		*p++ = base45_alphabet[n / 2025];
	}
	if (i < len) {
		n = data[i];
		*p++ = base45_alphabet[n % 45];
		*p++ = base45_alphabet[n / 45];
	}
	*p = '\0';
	return text;
}

static int
base45_bad_char(const char *text, size_t pos, char **cause)
{
	unsigned char ch = (unsigned char)text[pos];

	if (ch > 0x20 && ch < 0x7f)
		return set_cause(cause, "invalid character '%c' at position %zu", ch, pos);
	return set_cause(cause, "invalid character 0x%02x at position %zu", ch, pos);
}

int
base45_decode(const char *text, size_t len, uint8_t **out, size_t *outlen, char **cause)
{
	uint8_t *buf = NULL;
	size_t i, j, group, n = 0;
	unsigned long value, scale, max;
	int v;

	if (len % 3 == 1) {
		set_cause(cause, "bad length %zu: base45 is groups of 3 characters and at most "
		    "one final group of 2", len);
		goto fail;
	}
	buf = xmalloc(len / 3 * 2 + len % 3 / 2);
	for (i = 0; i < len; i += group) {
		group = (len - i >= 3) ? 3 : 2;
		value = 0;
		scale = 1;
		for (j = 0; j < group; j++) {
			if ((v = base45_value((unsigned char)text[i + j])) == -1) {
				base45_bad_char(text, i + j, cause);
				goto fail;
			}
			value += (unsigned long)v * scale;
			scale *= 45;
		}
		max = (group == 3) ? 65535 : 255;
		if (value > max) {
			set_cause(cause, "value %lu over %lu at position %zu", value, max, i);
			goto fail;
		}
		if (group == 3)
			buf[n++] = (uint8_t)(value >> 8);
		buf[n++] = (uint8_t)value;
	}
	*out = buf;
	*outlen = n;
	return 0;

fail:
	free(buf);
	return -1;
}
