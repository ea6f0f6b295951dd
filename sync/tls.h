/* tls.h: the sync server's own TLS certificate: a self-signed one made by init, found by serve. */
#ifndef TESSERA_TLS_H
#define TESSERA_TLS_H

#include <stdint.h>

#include "compat.h"
#include "tlspin.h"

#define TLS_VALID_DAYS  (5 * 365 + 1)  /* five years, a leap day included */
#define TLS_HOSTS_MAX   16

/* The certificate and key files that go with the store db: "db.crt", "db.tlskey". New strings. */
char *tls_cert_path(const char *db);
char *tls_key_path(const char *db);

/*
 * Check a comma list of the names a certificate is for: DNS names (letters, digits and '-' in
 * dot-separated labels of at most 63, at most 253 in all) and IPv4 or IPv6 addresses; 1 to
 * TLS_HOSTS_MAX of them, none twice. 0, or -1 with *cause naming the one at fault.
 */
int tls_check_hosts(const char *hosts, char **cause) WARN_UNUSED;

/*
 * Make a new ECDSA P-256 key and a certificate for it that it signs itself (SHA-256): subject
 * CN the first of hosts, every one of hosts in subjectAltName (dNSName or iPAddress), for TLS
 * servers, not a CA, valid from a day ago (devices whose clock is behind) for TLS_VALID_DAYS.
 * Writes the key to key_path (PKCS#8 PEM, mode 0600) and the certificate to cert_path (PEM,
 * mode 0644), each atomically and durably, and refuses either path when it exists. On success 0
 * with *not_after (unix seconds; may be NULL) and pin (the certificate's, tlspin.h). On failure
 * -1 with *cause and neither file left behind. The key is wiped from memory.
 */
int tls_make_selfsigned(const char *hosts, const char *cert_path, const char *key_path,
    int64_t *not_after, char pin[TLSPIN_SIZE], char **cause) WARN_UNUSED;

#endif
