/* base45.h: RFC 9285 base45, the QR alphanumeric alphabet that carries ticket bytes in a QR. */
#ifndef TESSERA_BASE45_H
#define TESSERA_BASE45_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

/* The 45 characters, by value: the QR alphanumeric set. */
#define BASE45_ALPHABET "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

/*
 * Every two bytes become three characters of "0-9A-Z $%*+-./:", a final odd byte two:
 * len bytes encode to len / 2 * 3 + len % 2 * 2 characters.
 */
#define BASE45_ENCODED_LEN(len) ((len) / 2 * 3 + (len) % 2 * 2)

/* The base45 text of len bytes, newly allocated and NUL-terminated; the caller frees it. */
char *base45_encode(const uint8_t *data, size_t len);

/*
 * Decode len characters of text (no NUL needed; a NUL inside is an invalid character).
 * On success returns 0 and sets *out to newly allocated bytes the caller frees (never NULL,
 * even for an empty text) and *outlen to their number. On failure returns -1, sets *cause
 * (when not NULL) to one of "bad length N ...", "invalid character ... at position N", or
 * "value V over 65535 (or 255) at position N", positions counting from 0, and leaves *out and
 * *outlen alone.
 */
int base45_decode(const char *text, size_t len, uint8_t **out, size_t *outlen, char **cause)
    WARN_UNUSED;

#endif
