/*
 * keys.c: Ed25519 key pairs, device certificates and the keyring a gate trusts.
 *
 * Signing input: domain, its terminating NUL, message. Key file: one line
 * "tessera-key-v1 " followed by the 64-byte libsodium secret key (32-byte seed, 32-byte
 * public key) in lower-case hex and "\n", mode 0600. Certificate layout: see keys.h and
 * docs/ticket-format.md.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "xmalloc.h"

#define KEYFILE_MAGIC "tessera-key-v1 "
#define KEYFILE_MAGICLEN (sizeof KEYFILE_MAGIC - 1)
/* Magic, hex, newline. */
#define KEYFILE_LEN (KEYFILE_MAGICLEN + 2 * KEYS_SECRETBYTES + 1)

struct revocation {
	uint32_t device_id;
	int64_t  at;
};

struct keyring {
	uint8_t            root[KEYS_PUBLICBYTES];
	struct cert       *certs;
	size_t             ncerts;
	struct revocation *revoked;
	size_t             nrevoked;
};

static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void
keys_init_once(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "tessera: libsodium failed to initialise\n");
		abort();
	}
}

void
keys_init(void)
{
	if (pthread_once(&keys_once, keys_init_once) != 0) {
		fprintf(stderr, "tessera: pthread_once failed\n");
		abort();
	}
}

const char *
role_name(int role)
{
	switch (role) {
	case ROLE_BOXOFFICE:
		return "boxoffice";
	case ROLE_GATE:
		return "gate";
	case ROLE_HUB:
		return "hub";
	}
	return "none";
}

int
role_parse(const char *name)
{
	if (strcmp(name, "boxoffice") == 0)
		return ROLE_BOXOFFICE;
	if (strcmp(name, "gate") == 0)
		return ROLE_GATE;
	if (strcmp(name, "hub") == 0)
		return ROLE_HUB;
	if (strcmp(name, "none") == 0)
		return ROLE_NONE;
	return -1;
}

/* A keypair with its secret in guarded memory. */
static struct keypair *
keypair_alloc(void)
{
	struct keypair *kp;

	keys_init();
	kp = xcalloc(1, sizeof *kp);
	if ((kp->sk = sodium_malloc(KEYS_SECRETBYTES)) == NULL) {
		fprintf(stderr, "tessera: out of guarded memory for a secret key\n");
		abort();
	}
	return kp;
}

struct keypair *
keypair_generate(void)
{
	struct keypair *kp = keypair_alloc();

	crypto_sign_keypair(kp->pk, kp->sk);
	return kp;
}

void
keypair_free(struct keypair *kp)
{
	if (kp == NULL)
		return;
	if (kp->sk != NULL) {
		sodium_memzero(kp->sk, KEYS_SECRETBYTES);
		sodium_free(kp->sk);
	}
	free(kp);
}

struct keypair *
keypair_from_secret(const uint8_t sk[KEYS_SECRETBYTES])
{
	struct keypair *kp = keypair_alloc();

	/* The first half of a libsodium secret key is the seed. */
	crypto_sign_seed_keypair(kp->pk, kp->sk, sk);
	return kp;
}

static int
hex_value(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decode exactly 2 * len hex digits; bin is written only when all are valid. */
static int
hex_decode(const char *hex, uint8_t *bin, size_t len)
{
	size_t i;

	for (i = 0; i < 2 * len; i++) {
		if (hex_value((unsigned char)hex[i]) == -1)
			return -1;
	}
	for (i = 0; i < len; i++) {
		bin[i] = (uint8_t)(hex_value((unsigned char)hex[2 * i]) << 4 |
		    hex_value((unsigned char)hex[2 * i + 1]));
	}
	return 0;
}

char *
keys_hex(const uint8_t *bin, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *hex;
	size_t i;

	if (len > (SIZE_MAX - 1) / 2)
		abort();
	hex = xmalloc(2 * len + 1);
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[bin[i] >> 4];
		hex[2 * i + 1] = digits[bin[i] & 0xf];
	}
	hex[2 * len] = '\0';
	return hex;
}

int
keys_unhex(const char *hex, uint8_t *bin, size_t len)
{
	if (strlen(hex) != 2 * len)
		return -1;
	return hex_decode(hex, bin, len);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the folder that holds path, so that a rename into it survives a power cut. */
static int
fsync_parent(const char *path, char **cause)
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

int
keypair_save(const struct keypair *kp, const char *path, char **cause)
{
	static const char digits[] = "0123456789abcdef";
	char *tmp, *line;
	size_t i, off;
	int fd;

	keys_init();
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((line = sodium_malloc(KEYFILE_LEN)) == NULL) {
		fprintf(stderr, "tessera: out of guarded memory for a key file\n");
		abort();
	}
	memcpy(line, KEYFILE_MAGIC, KEYFILE_MAGICLEN);
	off = KEYFILE_MAGICLEN;
	for (i = 0; i < KEYS_SECRETBYTES; i++) {
		line[off++] = digits[kp->sk[i] >> 4];
		line[off++] = digits[kp->sk[i] & 0xf];
	}
	line[off++] = '\n';

	/* mkstemp creates the file with mode 0600 whatever the umask. */
	if ((fd = mkstemp(tmp)) == -1) {
		set_cause(cause, "%s: cannot create %s: %s", path, tmp, strerror(errno));
		goto fail;
	}
	if (fchmod(fd, 0600) == -1 || write_all(fd, line, off) == -1 || fsync(fd) == -1) {
		set_cause(cause, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail_unlink;
	}
	if (close(fd) == -1) {
		set_cause(cause, "%s: %s", tmp, strerror(errno));
		goto fail_unlink;
	}
	if (rename(tmp, path) == -1) {
		set_cause(cause, "%s: cannot rename %s: %s", path, tmp, strerror(errno));
		goto fail_unlink;
	}
	if (fsync_parent(path, cause) != 0)
		goto fail;
	sodium_free(line);
	free(tmp);
	return 0;

fail_unlink:
	unlink(tmp);
fail:
	sodium_free(line);
	free(tmp);
	return -1;
}

int
keypair_load(const char *path, struct keypair **out, char **cause)
{
	struct keypair *kp = NULL;
	struct stat st;
	uint8_t *sk = NULL;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	keys_init();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		set_cause(cause, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & 077) {
		set_cause(cause, "%s: permissions %04o are too open: a secret key must be readable "
		    "only by its owner (run: chmod 600 %s)", path, (unsigned)(st.st_mode & 07777),
		    path);
		goto fail;
	}

	/* One byte more than a key file holds, to see that nothing follows. */
	buf = sodium_malloc(KEYFILE_LEN + 1);
	sk = sodium_malloc(KEYS_SECRETBYTES);
	if (buf == NULL || sk == NULL) {
		fprintf(stderr, "tessera: out of guarded memory for a key file\n");
		abort();
	}
	while (len < KEYFILE_LEN + 1) {
		n = read(fd, buf + len, KEYFILE_LEN + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			set_cause(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len != KEYFILE_LEN ||
	    memcmp(buf, KEYFILE_MAGIC, KEYFILE_MAGICLEN) != 0 ||
	    buf[KEYFILE_LEN - 1] != '\n' ||
	    hex_decode(buf + KEYFILE_MAGICLEN, sk, KEYS_SECRETBYTES) != 0) {
		set_cause(cause, "%s: not a Tessera key file (expected one line "
		    "\"tessera-key-v1 <128 hex digits>\")", path);
		goto fail;
	}
	kp = keypair_from_secret(sk);
	if (sodium_memcmp(kp->pk, sk + 32, KEYS_PUBLICBYTES) != 0) {
		set_cause(cause, "%s: damaged key file: the public key does not match the secret",
		    path);
		goto fail;
	}
	close(fd);
	sodium_free(buf);
	sodium_free(sk);
	*out = kp;
	return 0;

fail:
	close(fd);
	keypair_free(kp);
	if (buf != NULL)
		sodium_free(buf);
	if (sk != NULL)
		sodium_free(sk);
	return -1;
}

/* domain || 0x00 || msg, newly allocated; *total is its length. */
static uint8_t *
signing_input(const char *domain, const uint8_t *msg, size_t len, size_t *total)
{
	size_t dlen = strlen(domain) + 1;
	uint8_t *buf;

	if (len > SIZE_MAX - dlen)
		abort();
	buf = xmalloc(dlen + len);
	memcpy(buf, domain, dlen);
	if (len != 0)
		memcpy(buf + dlen, msg, len);
	*total = dlen + len;
	return buf;
}

void
keys_sign(const struct keypair *kp, const char *domain, const uint8_t *msg, size_t len,
    uint8_t sig[KEYS_SIGBYTES])
{
	uint8_t *buf;
	size_t total;

	keys_init();
	buf = signing_input(domain, msg, len, &total);
	crypto_sign_detached(sig, NULL, buf, total, kp->sk);
	free(buf);
}

int
keys_verify(const uint8_t pk[KEYS_PUBLICBYTES], const char *domain, const uint8_t *msg,
    size_t len, const uint8_t sig[KEYS_SIGBYTES])
{
	uint8_t *buf;
	size_t total;
	int rc;

	keys_init();
	buf = signing_input(domain, msg, len, &total);
	rc = crypto_sign_verify_detached(sig, buf, total, pk);
	free(buf);
	return rc == 0 ? 0 : -1;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_be64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	put_be32(p, (uint32_t)(u >> 32));
	put_be32(p + 4, (uint32_t)u);
}

static int64_t
get_be64(const uint8_t *p)
{
	uint64_t u = (uint64_t)get_be32(p) << 32 | get_be32(p + 4);

	/* Two's complement back to signed without implementation-defined conversion. */
	if (u <= INT64_MAX)
		return (int64_t)u;
	return -(int64_t)(~u) - 1;
}

void
cert_encode(const struct cert *c, uint8_t out[CERT_BYTES])
{
	out[0] = CERT_VERSION;
	put_be32(out + 1, c->device_id);
	out[5] = c->role;
	memcpy(out + 6, c->pk, KEYS_PUBLICBYTES);
	put_be64(out + 38, c->not_before);
	put_be64(out + 46, c->not_after);
	memcpy(out + CERT_SIGNED, c->sig, KEYS_SIGBYTES);
}

void
cert_sign(struct cert *c, const struct keypair *root)
{
	uint8_t buf[CERT_BYTES];

	cert_encode(c, buf);
	keys_sign(root, CERT_DOMAIN, buf, CERT_SIGNED, c->sig);
}

int
cert_verify(const struct cert *c, const uint8_t root_pk[KEYS_PUBLICBYTES])
{
	uint8_t buf[CERT_BYTES];

	cert_encode(c, buf);
	return keys_verify(root_pk, CERT_DOMAIN, buf, CERT_SIGNED, c->sig);
}

int
cert_decode(const uint8_t *buf, size_t len, struct cert *c, char **cause)
{
	struct cert tmp;

	if (len != CERT_BYTES)
		return set_cause(cause, "certificate is %zu bytes, expected %d", len, CERT_BYTES);
	if (buf[0] != CERT_VERSION)
		return set_cause(cause, "unknown certificate version %u", buf[0]);
	memset(&tmp, 0, sizeof tmp);
	tmp.device_id = get_be32(buf + 1);
	tmp.role = buf[5];
	if (tmp.role != ROLE_BOXOFFICE && tmp.role != ROLE_GATE && tmp.role != ROLE_HUB)
		return set_cause(cause, "certificate has unknown role %u", tmp.role);
	memcpy(tmp.pk, buf + 6, KEYS_PUBLICBYTES);
	tmp.not_before = get_be64(buf + 38);
	tmp.not_after = get_be64(buf + 46);
	if (tmp.not_after < tmp.not_before)
		return set_cause(cause, "certificate validity ends before it starts");
	memcpy(tmp.sig, buf + CERT_SIGNED, KEYS_SIGBYTES);
	*c = tmp;
	return 0;
}

struct keyring *
keyring_new(const uint8_t root_pk[KEYS_PUBLICBYTES])
{
	struct keyring *kr;

	keys_init();
	kr = xcalloc(1, sizeof *kr);
	memcpy(kr->root, root_pk, KEYS_PUBLICBYTES);
	return kr;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	free(kr->certs);
	free(kr->revoked);
	free(kr);
}

const uint8_t *
keyring_root(const struct keyring *kr)
{
	return kr->root;
}

/* The index of the device's certificate, or kr->ncerts. A gate holds tens of devices. */
static size_t
keyring_index(const struct keyring *kr, uint32_t device_id)
{
	size_t i;

	for (i = 0; i < kr->ncerts; i++) {
		if (kr->certs[i].device_id == device_id)
			break;
	}
	return i;
}

int
keyring_add(struct keyring *kr, const struct cert *c, char **cause)
{
	size_t i;

	if (cert_verify(c, kr->root) != 0) {
		return set_cause(cause, "certificate of device %u is not signed by this root",
		    c->device_id);
	}
	if ((i = keyring_index(kr, c->device_id)) == kr->ncerts) {
		kr->certs = xreallocarray(kr->certs, kr->ncerts + 1, sizeof *kr->certs);
		kr->ncerts++;
	}
	kr->certs[i] = *c;
	return 0;
}

const struct cert *
keyring_find(const struct keyring *kr, uint32_t device_id)
{
	size_t i = keyring_index(kr, device_id);

	return i == kr->ncerts ? NULL : &kr->certs[i];
}

void
keyring_revoke(struct keyring *kr, uint32_t device_id, int64_t at)
{
	size_t i;

	for (i = 0; i < kr->nrevoked; i++) {
		if (kr->revoked[i].device_id == device_id) {
			if (at < kr->revoked[i].at)
				kr->revoked[i].at = at;
			return;
		}
	}
	kr->revoked = xreallocarray(kr->revoked, kr->nrevoked + 1, sizeof *kr->revoked);
	kr->revoked[kr->nrevoked].device_id = device_id;
	kr->revoked[kr->nrevoked].at = at;
	kr->nrevoked++;
}

int
keyring_is_revoked(const struct keyring *kr, uint32_t device_id, int64_t *at)
{
	size_t i;

	for (i = 0; i < kr->nrevoked; i++) {
		if (kr->revoked[i].device_id == device_id) {
			if (at != NULL)
				*at = kr->revoked[i].at;
			return 1;
		}
	}
	return 0;
}
