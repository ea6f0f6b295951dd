/*
 * tlspin.c: the pin of a TLS server's public key, from a certificate or from the live server.
 *
 * pin = "sha256//" base64(SHA-256(DER SubjectPublicKeyInfo)). GnuTLS parses the certificate and
 * exports its public key as SubjectPublicKeyInfo; libsodium hashes and encodes it.
 *
 * The fetch is a bare GnuTLS client: no certificate check of any kind (there is nothing to check
 * it against yet), one handshake, the peer's first certificate, and goodbye. Whoever calls it
 * then talks to the server through a client pinned to what it got, so a server swapped in
 * between the two connections is refused, not trusted.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <sodium.h>

#include "keys.h"
#include "tlspin.h"
#include "xmalloc.h"

#define PEM_MAX   (1024 * 1024)
#define HOST_MAX  255

int
tlspin_check(const char *pin, char **cause)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char again[TLSPIN_SIZE];
	size_t n = 0;
	const char *end = NULL;

	keys_init();
	if (strncmp(pin, TLSPIN_PREFIX, strlen(TLSPIN_PREFIX)) != 0 ||
	    strlen(pin) != TLSPIN_LEN ||
	    sodium_base642bin(h, sizeof h, pin + strlen(TLSPIN_PREFIX),
	    TLSPIN_LEN - strlen(TLSPIN_PREFIX), NULL, &n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || n != sizeof h || *end != '\0')
		goto bad;
	/* Only the one spelling libcurl compares with. */
	memcpy(again, TLSPIN_PREFIX, strlen(TLSPIN_PREFIX));
	sodium_bin2base64(again + strlen(TLSPIN_PREFIX), TLSPIN_SIZE - strlen(TLSPIN_PREFIX), h,
	    sizeof h, sodium_base64_VARIANT_ORIGINAL);
	if (strcmp(again, pin) != 0)
		goto bad;
	return 0;
bad:
	return set_cause(cause, "TLS pin \"%.60s\": want sha256// and 44 characters of base64 "
	    "(the \"tls pin\" that tessera-sync init printed)", pin);
}

static int
pin_from_crt(gnutls_x509_crt_t crt, char pin[TLSPIN_SIZE], char **cause)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 };
	unsigned char h[crypto_hash_sha256_BYTES];
	int rc;

	keys_init();
	if ((rc = gnutls_pubkey_init(&pub)) < 0 ||
	    (rc = gnutls_pubkey_import_x509(pub, crt, 0)) < 0 ||
	    (rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der)) < 0) {
		gnutls_pubkey_deinit(pub);
		return set_cause(cause, "the certificate's public key: %s", gnutls_strerror(rc));
	}
	crypto_hash_sha256(h, der.data, der.size);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
	memcpy(pin, TLSPIN_PREFIX, strlen(TLSPIN_PREFIX));
	sodium_bin2base64(pin + strlen(TLSPIN_PREFIX), TLSPIN_SIZE - strlen(TLSPIN_PREFIX), h,
	    sizeof h, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

static int
pin_from(const void *data, size_t len, gnutls_x509_crt_fmt_t fmt, char pin[TLSPIN_SIZE],
    char **cause)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	int rc;

	if (len > PEM_MAX)
		return set_cause(cause, "not a certificate: over %d bytes", PEM_MAX);
	d.data = (unsigned char *)(uintptr_t)data;
	d.size = (unsigned int)len;
	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return set_cause(cause, "GnuTLS: %s", gnutls_strerror(rc));
	if ((rc = gnutls_x509_crt_import(crt, &d, fmt)) < 0) {
		gnutls_x509_crt_deinit(crt);
		return set_cause(cause, "not an X.509 certificate: %s", gnutls_strerror(rc));
	}
	rc = pin_from_crt(crt, pin, cause);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int
tlspin_from_pem(const char *pem, size_t len, char pin[TLSPIN_SIZE], char **cause)
{
	return pin_from(pem, len, GNUTLS_X509_FMT_PEM, pin, cause);
}

int
tlspin_from_der(const void *der, size_t len, char pin[TLSPIN_SIZE], char **cause)
{
	return pin_from(der, len, GNUTLS_X509_FMT_DER, pin, cause);
}

int
tlspin_from_file(const char *path, char pin[TLSPIN_SIZE], char **cause)
{
	FILE *f;
	char *buf, *why = NULL;
	size_t n;
	int rc;

	if ((f = fopen(path, "r")) == NULL)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	buf = xmalloc(PEM_MAX + 1);
	n = fread(buf, 1, PEM_MAX + 1, f);
	if (ferror(f)) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (n > PEM_MAX) {
		free(buf);
		return set_cause(cause, "%s: over %d bytes: not a certificate", path, PEM_MAX);
	}
	buf[n] = '\0';
	rc = tlspin_from_pem(buf, n, pin, &why);
	free(buf);
	if (rc != 0) {
		set_cause(cause, "%s: %s", path, why);
		free(why);
	}
	return rc;
}

/* ------------------------------------------------------------------ the live server */

/* Connect fd to a within ms milliseconds. 0, or -1 with errno. */
static int
connect_within(int fd, const struct sockaddr *a, socklen_t alen, long ms)
{
	struct pollfd p;
	socklen_t elen = sizeof(int);
	int flags, err = 0, n;

	if ((flags = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	if (connect(fd, a, alen) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		p.fd = fd;
		p.events = POLLOUT;
		do
			n = poll(&p, 1, (int)ms);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			return -1;
		if (err != 0) {
			errno = err;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, flags);
}

/* Is host an IPv4 or IPv6 address (no SNI for those)? */
static int
is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int
tlspin_fetch(const char *host, const char *port, long ms, char pin[TLSPIN_SIZE], char **cause)
{
	struct addrinfo hints, *ai = NULL, *a;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	const gnutls_datum_t *peers;
	struct timeval tv;
	unsigned int npeers = 0;
	char *why = NULL;
	int fd = -1, rc, err = 0, ret = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return set_cause(cause, "cannot find %s: %s", host, gai_strerror(rc));
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol)) == -1) {
			err = errno;
			continue;
		}
		if (connect_within(fd, a->ai_addr, a->ai_addrlen, ms) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd == -1)
		return set_cause(cause, "cannot connect to %s port %s: %s", host, port,
		    strerror(err));
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

	if ((rc = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
	    (rc = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL)) < 0 ||
	    (rc = gnutls_set_default_priority(s)) < 0 ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0 ||
	    (!is_address(host) &&
	    (rc = gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host))) < 0)) {
		set_cause(cause, "GnuTLS: %s", gnutls_strerror(rc));
		goto out;
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, (unsigned int)ms);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
	if (rc < 0) {
		set_cause(cause, "TLS handshake with %s port %s failed: %s (is it an https "
		    "server?)", host, port, gnutls_strerror(rc));
		goto out;
	}
	if (gnutls_certificate_type_get(s) != GNUTLS_CRT_X509 ||
	    (peers = gnutls_certificate_get_peers(s, &npeers)) == NULL || npeers == 0) {
		set_cause(cause, "the TLS server at %s port %s presented no X.509 certificate",
		    host, port);
		goto out;
	}
	if (tlspin_from_der(peers[0].data, peers[0].size, pin, &why) != 0) {
		set_cause(cause, "the TLS server at %s port %s: %s", host, port, why);
		free(why);
		goto out;
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
	ret = 0;
out:
	if (s != NULL)
		gnutls_deinit(s);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	close(fd);
	return ret;
}

int
tlspin_fetch_url(const char *url, long ms, char pin[TLSPIN_SIZE], char **cause)
{
	static const char scheme[] = "https://";
	char host[HOST_MAX + 1], port[8] = "443";
	const char *p, *h, *end;
	size_t len, i;

	if (strncasecmp(url, scheme, strlen(scheme)) != 0)
		return set_cause(cause, "\"%.100s\" is not an https:// URL", url);
	h = url + strlen(scheme);
	if (*h == '[') {
		h++;
		if ((end = strchr(h, ']')) == NULL)
			goto bad;
		p = end + 1;
	} else {
		end = h + strcspn(h, ":/?#@");
		p = end;
	}
	len = (size_t)(end - h);
	if (len == 0 || len > HOST_MAX)
		goto bad;
	memcpy(host, h, len);
	host[len] = '\0';
	if (*p == ':') {
		p++;
		len = strspn(p, "0123456789");
		if (len == 0 || len > 5 || atoi(p) > 65535 || atoi(p) == 0)
			goto bad;
		memcpy(port, p, len);
		port[len] = '\0';
		p += len;
	}
	if (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		goto bad;
	for (i = 0; host[i] != '\0'; i++) {
		if ((unsigned char)host[i] <= ' ')
			goto bad;
	}
	return tlspin_fetch(host, port, ms, pin, cause);
bad:
	return set_cause(cause, "\"%.100s\": want https://HOST[:PORT], like "
	    "https://tickets.example.org:8443 or https://[::1]:8443", url);
}
