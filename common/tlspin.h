/* tlspin.h: a TLS server's identity as a pin, the hash of its public key, computed or fetched. */
#ifndef TESSERA_TLSPIN_H
#define TESSERA_TLSPIN_H

#include <stddef.h>

#include "compat.h"

/*
 * A pin is "sha256//" followed by the base64 (standard alphabet, with padding) of the SHA-256 of
 * the DER SubjectPublicKeyInfo of the server's certificate: exactly what libcurl's
 * CURLOPT_PINNEDPUBLICKEY takes, and what
 *   openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
 *       openssl dgst -sha256 -binary | base64
 * prints after the prefix. It names the key, not the certificate: a certificate renewed over the
 * same key keeps its pin.
 */
#define TLSPIN_PREFIX  "sha256//"
#define TLSPIN_LEN     52              /* 8 + 44 characters */
#define TLSPIN_SIZE    (TLSPIN_LEN + 1)

/* 0 when pin is well-formed (prefix, 44 characters of base64 of 32 bytes); else -1 with *cause. */
int tlspin_check(const char *pin, char **cause) WARN_UNUSED;

/*
 * The pin of a certificate, given as PEM (the first certificate of the text is taken: the leaf
 * of a chain) or as DER. 0 with pin filled, or -1 with *cause (not a certificate).
 */
int tlspin_from_pem(const char *pem, size_t len, char pin[TLSPIN_SIZE], char **cause)
    WARN_UNUSED;
int tlspin_from_der(const void *der, size_t len, char pin[TLSPIN_SIZE], char **cause)
    WARN_UNUSED;
/* The pin of the PEM certificate in file path. 0, or -1 with *cause naming the file. */
int tlspin_from_file(const char *path, char pin[TLSPIN_SIZE], char **cause) WARN_UNUSED;

/*
 * Trust on first use: connect to host:port (a name or an address; port a number or a service),
 * make a TLS handshake that verifies nothing, and take the pin of the certificate the server
 * presents. Gives up after ms milliseconds for the connection and again for the handshake. Sends
 * no request. 0 with pin filled, or -1 with *cause (cannot resolve, cannot connect, no TLS there).
 *
 * Besides common/client.c, this is the one place in common/ that opens a socket: libcurl cannot
 * hand over a certificate it did not verify, and enrollment needs one to pin.
 */
int tlspin_fetch(const char *host, const char *port, long ms, char pin[TLSPIN_SIZE],
    char **cause) WARN_UNUSED;
/* As tlspin_fetch, for the host and port of an https:// URL (port 443 when it names none). */
int tlspin_fetch_url(const char *url, long ms, char pin[TLSPIN_SIZE], char **cause) WARN_UNUSED;

#endif
