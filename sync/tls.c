/*
 * tls.c: a self-signed TLS certificate for the sync server, with GnuTLS.
 *
 * Devices do not check the certificate against any authority: they pin its public key at
 * enrollment (tlspin.h). So what matters here is a strong key that stays the same for years; the
 * names and the validity are for whoever points an ordinary TLS client at the server with the
 * certificate as its CA file (curl --cacert FILE.crt https://NAME:PORT/healthz).
 *
 * Files: the key first (0600), then the certificate (0644). Each is written to a temporary file
 * in the same folder, synced, and linked into place: link() refuses a name that exists, so an
 * existing key is never replaced, and no reader ever sees half a file.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "keys.h"
#include "tls.h"
#include "xmalloc.h"

#define DNS_MAX    253
#define LABEL_MAX  63
#define DAY        86400

char *
tls_cert_path(const char *db)
{
	return xasprintf("%s.crt", db);
}

char *
tls_key_path(const char *db)
{
	return xasprintf("%s.tlskey", db);
}

/* The item of hosts that starts at p, into buf (size DNS_MAX + 1). Returns its length. */
static size_t
host_item(const char *p, char *buf)
{
	size_t len = strcspn(p, ",");

	snprintf(buf, DNS_MAX + 1, "%.*s", (int)(len > DNS_MAX ? DNS_MAX : len), p);
	return len;
}

static int
check_dns(const char *name)
{
	const char *p;
	size_t label = 0;

	for (p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return -1;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || (*p == '-' && label > 0)))
			return -1;
		if (++label > LABEL_MAX)
			return -1;
	}
	return label == 0 || p[-1] == '-' ? -1 : 0;
}

int
tls_check_hosts(const char *hosts, char **cause)
{
	unsigned char ip[sizeof(struct in6_addr)];
	char name[DNS_MAX + 1], seen[TLS_HOSTS_MAX][DNS_MAX + 1];
	const char *p = hosts;
	size_t len;
	int n = 0, i;

	for (;;) {
		len = host_item(p, name);
		if (len == 0)
			return set_cause(cause, "--tls-host: an empty name in \"%.80s\"", hosts);
		if (len > DNS_MAX)
			return set_cause(cause, "--tls-host: \"%.40s...\" is longer than %d characters",
			    p, DNS_MAX);
		if (inet_pton(AF_INET, name, ip) != 1 && inet_pton(AF_INET6, name, ip) != 1 &&
		    check_dns(name) != 0)
			return set_cause(cause, "--tls-host: \"%s\" is neither an IP address nor a "
			    "host name (letters, digits and - between dots)", name);
		if (n == TLS_HOSTS_MAX)
			return set_cause(cause, "--tls-host: more than %d names", TLS_HOSTS_MAX);
		for (i = 0; i < n; i++) {
			if (strcasecmp(seen[i], name) == 0)
				return set_cause(cause, "--tls-host: \"%s\" is listed twice", name);
		}
		memcpy(seen[n++], name, sizeof name);
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int
fsync_dir_of(const char *path, char **cause)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 || fsync(fd) == -1)
		rc = set_cause(cause, "%s: %s", dir, strerror(errno));
	if (fd != -1)
		close(fd);
	free(dir);
	return rc;
}

/* Write a new file path holding data with mode, atomically; refuses a path that exists. */
static int
write_new(const char *path, const void *data, size_t len, mode_t mode, char **cause)
{
	const char *p = data;
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = mkstemp(tmp)) == -1) {
		set_cause(cause, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			set_cause(cause, "%s already exists; refusing to overwrite it", path);
		else
			set_cause(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	unlink(tmp);
	free(tmp);
	return fsync_dir_of(path, cause);
fail:
	set_cause(cause, "%s: %s", tmp, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

/* Subject, names, validity, extensions; the key is already set. */
static int
fill_crt(gnutls_x509_crt_t crt, const char *hosts, time_t now, char **cause)
{
	unsigned char serial[16], ip[sizeof(struct in6_addr)], id[64];
	char name[DNS_MAX + 1];
	const char *p = hosts;
	size_t len, idlen = sizeof id;
	unsigned int flag = GNUTLS_FSAN_SET;
	int rc;

	randombytes_buf(serial, sizeof serial);
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);        /* positive, 16 bytes */
	host_item(hosts, name);
	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	    "Tessera sync server", (unsigned int)strlen("Tessera sync server"))) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
	    (unsigned int)strlen(name))) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - DAY)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)TLS_VALID_DAYS * DAY)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id, &idlen)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_key_id(crt, id, idlen)) < 0)
		goto fail;
	for (;;) {
		len = host_item(p, name);
		if (inet_pton(AF_INET, name, ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
			    flag);
		else if (inet_pton(AF_INET6, name, ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
			    flag);
		else
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
			    (unsigned int)strlen(name), flag);
		if (rc < 0)
			goto fail;
		flag = GNUTLS_FSAN_APPEND;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return 0;
fail:
	return set_cause(cause, "making the certificate: %s", gnutls_strerror(rc));
}

int
tls_make_selfsigned(const char *hosts, const char *cert_path, const char *key_path,
    int64_t *not_after, char pin[TLSPIN_SIZE], char **cause)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_privkey_t signer = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	time_t now = time(NULL);
	int rc, ret = -1;

	keys_init();
	if (tls_check_hosts(hosts, cause) != 0)
		return -1;
	if ((rc = gnutls_x509_privkey_init(&key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN, &kpem)) < 0 ||
	    (rc = gnutls_privkey_init(&signer)) < 0 ||
	    (rc = gnutls_privkey_import_x509(signer, key, 0)) < 0 ||
	    (rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0) {
		set_cause(cause, "making the TLS key: %s", gnutls_strerror(rc));
		goto out;
	}
	if (fill_crt(crt, hosts, now, cause) != 0)
		goto out;
	if ((rc = gnutls_x509_crt_privkey_sign(crt, crt, signer, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem)) < 0) {
		set_cause(cause, "signing the certificate: %s", gnutls_strerror(rc));
		goto out;
	}
	if (tlspin_from_pem((const char *)cpem.data, cpem.size, pin, cause) != 0)
		goto out;
	if (write_new(key_path, kpem.data, kpem.size, 0600, cause) != 0)
		goto out;
	if (write_new(cert_path, cpem.data, cpem.size, 0644, cause) != 0) {
		unlink(key_path);
		goto out;
	}
	if (not_after != NULL)
		*not_after = (int64_t)now + (int64_t)TLS_VALID_DAYS * DAY;
	ret = 0;
out:
	if (kpem.data != NULL) {
		sodium_memzero(kpem.data, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_privkey_deinit(signer);
	gnutls_x509_privkey_deinit(key);
	return ret;
}
