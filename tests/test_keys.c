/* test_keys.c: signatures and domains, certificates, key files and their permissions, keyrings. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys.h"
#include "reqsign.h"
#include "xmalloc.h"

static const uint8_t msg[] = "seat 12, row F, event 2024";

/* A fresh temporary folder for key files; removed with what is in it by rm_tmpdir. */
static char *
make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = xasprintf("%s/tessera-keys-XXXXXX", base != NULL ? base : "/tmp");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
rm_tmpdir(char *dir)
{
	struct dirent *de;
	char *path;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
	free(dir);
}

/* Number of entries in dir besides . and .. */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
write_file(const char *path, const char *content, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static struct cert
make_cert(uint32_t device_id, uint8_t role, const struct keypair *dev, const struct keypair *root)
{
	struct cert c;

	memset(&c, 0, sizeof c);
	c.device_id = device_id;
	c.role = role;
	memcpy(c.pk, dev->pk, KEYS_PUBLICBYTES);
	c.not_before = 1735689600;
	c.not_after = 1798761600;
	cert_sign(&c, root);
	return c;
}

static void
test_roles(void **state)
{
	(void)state;
	assert_string_equal(role_name(ROLE_BOXOFFICE), "boxoffice");
	assert_string_equal(role_name(ROLE_GATE), "gate");
	assert_string_equal(role_name(ROLE_HUB), "hub");
	assert_string_equal(role_name(ROLE_NONE), "none");
	assert_string_equal(role_name(77), "none");
	assert_int_equal(role_parse("boxoffice"), ROLE_BOXOFFICE);
	assert_int_equal(role_parse("gate"), ROLE_GATE);
	assert_int_equal(role_parse("hub"), ROLE_HUB);
	assert_int_equal(role_parse("none"), ROLE_NONE);
	assert_int_equal(role_parse("Gate"), -1);
	assert_int_equal(role_parse(""), -1);
}

static void
test_hex(void **state)
{
	const uint8_t bin[] = { 0x00, 0x01, 0xab, 0xff, 0x7f };
	uint8_t back[5] = { 0 }, untouched[5];
	char *hex;

	(void)state;
	hex = keys_hex(bin, sizeof bin);
	assert_string_equal(hex, "0001abff7f");
	assert_int_equal(keys_unhex(hex, back, sizeof back), 0);
	assert_memory_equal(back, bin, sizeof bin);
	free(hex);
	assert_int_equal(keys_unhex("0001ABFF7F", back, sizeof back), 0);
	assert_memory_equal(back, bin, sizeof bin);

	memset(untouched, 0x55, sizeof untouched);
	memcpy(back, untouched, sizeof back);
	assert_int_equal(keys_unhex("0001abff7", back, sizeof back), -1);
	assert_int_equal(keys_unhex("0001abff7f00", back, sizeof back), -1);
	assert_int_equal(keys_unhex("0001abfg7f", back, sizeof back), -1);
	assert_int_equal(keys_unhex("0001abff7 ", back, sizeof back), -1);
	assert_memory_equal(back, untouched, sizeof back);

	hex = keys_hex(bin, 0);
	assert_string_equal(hex, "");
	free(hex);
}

static void
test_sign_verify(void **state)
{
	struct keypair *kp = keypair_generate(), *other = keypair_generate();
	uint8_t sig[KEYS_SIGBYTES];

	(void)state;
	keys_sign(kp, "tessera/test/v1", msg, sizeof msg, sig);
	assert_int_equal(keys_verify(kp->pk, "tessera/test/v1", msg, sizeof msg, sig), 0);
	assert_int_equal(keys_verify(other->pk, "tessera/test/v1", msg, sizeof msg, sig), -1);
	assert_int_equal(keys_verify(kp->pk, "tessera/test/v1", msg, sizeof msg - 1, sig), -1);

	/* An empty message is allowed. */
	keys_sign(kp, "tessera/test/v1", NULL, 0, sig);
	assert_int_equal(keys_verify(kp->pk, "tessera/test/v1", NULL, 0, sig), 0);
	keypair_free(kp);
	keypair_free(other);
	keypair_free(NULL);
}

static void
test_domain_separation(void **state)
{
	struct keypair *kp = keypair_generate();
	uint8_t sig[KEYS_SIGBYTES];

	(void)state;
	keys_sign(kp, "tessera/ticket/v1", msg, sizeof msg, sig);
	assert_int_equal(keys_verify(kp->pk, "tessera/ticket/v1", msg, sizeof msg, sig), 0);
	assert_int_equal(keys_verify(kp->pk, "tessera/cert/v1", msg, sizeof msg, sig), -1);
	assert_int_equal(keys_verify(kp->pk, "tessera/request/v1", msg, sizeof msg, sig), -1);
	assert_int_equal(keys_verify(kp->pk, "", msg, sizeof msg, sig), -1);

	/* The domain's NUL: "ab" with "c" is not "a" with "bc". */
	keys_sign(kp, "ab", (const uint8_t *)"c", 1, sig);
	assert_int_equal(keys_verify(kp->pk, "ab", (const uint8_t *)"c", 1, sig), 0);
	assert_int_equal(keys_verify(kp->pk, "a", (const uint8_t *)"bc", 2, sig), -1);
	assert_int_equal(keys_verify(kp->pk, "abc", NULL, 0, sig), -1);
	keypair_free(kp);
}

/* The signing input is domain, NUL, message: checked against libsodium directly. */
static void
test_signing_input(void **state)
{
	struct keypair *kp = keypair_generate();
	uint8_t sig[KEYS_SIGBYTES], input[64];

	(void)state;
	keys_sign(kp, "tessera/ticket/v1", (const uint8_t *)"xyz", 3, sig);
	memcpy(input, "tessera/ticket/v1\0xyz", 21);
	assert_int_equal(crypto_sign_verify_detached(sig, input, 21, kp->pk), 0);
	keypair_free(kp);
}

static void
test_signature_tamper(void **state)
{
	struct keypair *kp = keypair_generate();
	uint8_t sig[KEYS_SIGBYTES];
	size_t bit;

	(void)state;
	keys_sign(kp, "tessera/test/v1", msg, sizeof msg, sig);
	for (bit = 0; bit < 8 * sizeof sig; bit++) {
		sig[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		assert_int_equal(keys_verify(kp->pk, "tessera/test/v1", msg, sizeof msg, sig), -1);
		sig[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	assert_int_equal(keys_verify(kp->pk, "tessera/test/v1", msg, sizeof msg, sig), 0);
	keypair_free(kp);
}

static void
test_from_secret(void **state)
{
	struct keypair *kp = keypair_generate(), *copy;
	uint8_t sk[KEYS_SECRETBYTES], sig[KEYS_SIGBYTES];

	(void)state;
	copy = keypair_from_secret(kp->sk);
	assert_memory_equal(copy->pk, kp->pk, KEYS_PUBLICBYTES);
	assert_memory_equal(copy->sk, kp->sk, KEYS_SECRETBYTES);
	keys_sign(copy, "d", msg, sizeof msg, sig);
	assert_int_equal(keys_verify(kp->pk, "d", msg, sizeof msg, sig), 0);
	keypair_free(copy);

	/* A damaged public half is recomputed from the seed. */
	memcpy(sk, kp->sk, sizeof sk);
	sk[40] ^= 1;
	copy = keypair_from_secret(sk);
	assert_memory_equal(copy->pk, kp->pk, KEYS_PUBLICBYTES);
	keys_sign(copy, "d", msg, sizeof msg, sig);
	assert_int_equal(keys_verify(kp->pk, "d", msg, sizeof msg, sig), 0);
	keypair_free(copy);
	keypair_free(kp);
}

static void
test_cert_roundtrip(void **state)
{
	struct keypair *root = keypair_generate(), *dev = keypair_generate();
	struct cert c = make_cert(0xdeadbeef, ROLE_GATE, dev, root), d;
	uint8_t buf[CERT_BYTES];

	(void)state;
	assert_int_equal(CERT_BYTES, 118);
	assert_int_equal(cert_verify(&c, root->pk), 0);
	assert_int_equal(cert_verify(&c, dev->pk), -1);
	cert_encode(&c, buf);
	assert_int_equal(buf[0], CERT_VERSION);
	assert_int_equal(buf[1], 0xde);
	assert_int_equal(buf[4], 0xef);
	assert_int_equal(buf[5], ROLE_GATE);
	assert_int_equal(cert_decode(buf, sizeof buf, &d, NULL), 0);
	assert_int_equal(d.device_id, c.device_id);
	assert_int_equal(d.role, c.role);
	assert_memory_equal(d.pk, c.pk, KEYS_PUBLICBYTES);
	assert_int_equal(d.not_before, c.not_before);
	assert_int_equal(d.not_after, c.not_after);
	assert_memory_equal(d.sig, c.sig, KEYS_SIGBYTES);
	assert_int_equal(cert_verify(&d, root->pk), 0);

	/* Negative and extreme times survive the encoding. */
	c.not_before = INT64_MIN;
	c.not_after = -1;
	cert_sign(&c, root);
	cert_encode(&c, buf);
	assert_int_equal(cert_decode(buf, sizeof buf, &d, NULL), 0);
	assert_true(d.not_before == INT64_MIN);
	assert_true(d.not_after == -1);
	assert_int_equal(cert_verify(&d, root->pk), 0);
	keypair_free(root);
	keypair_free(dev);
}

/* Flip every bit of an encoded certificate: each must fail to decode or to verify. */
static void
test_cert_tamper(void **state)
{
	struct keypair *root = keypair_generate(), *dev = keypair_generate();
	struct cert c = make_cert(7, ROLE_BOXOFFICE, dev, root), d;
	uint8_t buf[CERT_BYTES];
	size_t bit;
	int refused_decode = 0, refused_verify = 0;

	(void)state;
	cert_encode(&c, buf);
	for (bit = 0; bit < 8 * sizeof buf; bit++) {
		buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		if (cert_decode(buf, sizeof buf, &d, NULL) != 0)
			refused_decode++;
		else {
			assert_int_equal(cert_verify(&d, root->pk), -1);
			refused_verify++;
		}
		buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	assert_int_equal(refused_decode + refused_verify, 8 * CERT_BYTES);
	assert_true(refused_decode > 0);
	assert_true(refused_verify > 0);
	assert_int_equal(cert_decode(buf, sizeof buf, &d, NULL), 0);
	assert_int_equal(cert_verify(&d, root->pk), 0);
	keypair_free(root);
	keypair_free(dev);
}

static void
check_cert_decode_error(const uint8_t *buf, size_t len, const char *expected)
{
	struct cert d;
	char *cause = NULL;

	memset(&d, 0x5a, sizeof d);
	assert_int_equal(cert_decode(buf, len, &d, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, expected);
	free(cause);
	assert_int_equal(d.device_id, 0x5a5a5a5a);
}

static void
test_cert_decode_errors(void **state)
{
	struct keypair *root = keypair_generate(), *dev = keypair_generate();
	struct cert c = make_cert(7, ROLE_BOXOFFICE, dev, root);
	uint8_t buf[CERT_BYTES + 1], bad[CERT_BYTES];

	(void)state;
	cert_encode(&c, buf);
	buf[CERT_BYTES] = 0;
	check_cert_decode_error(buf, CERT_BYTES - 1, "certificate is 117 bytes, expected 118");
	check_cert_decode_error(buf, CERT_BYTES + 1, "certificate is 119 bytes, expected 118");
	check_cert_decode_error(buf, 0, "certificate is 0 bytes, expected 118");
	memcpy(bad, buf, CERT_BYTES);
	bad[0] = 2;
	check_cert_decode_error(bad, CERT_BYTES, "unknown certificate version 2");
	memcpy(bad, buf, CERT_BYTES);
	bad[5] = ROLE_NONE;
	check_cert_decode_error(bad, CERT_BYTES, "certificate has unknown role 0");
	bad[5] = 4;
	check_cert_decode_error(bad, CERT_BYTES, "certificate has unknown role 4");
	memcpy(bad, buf, CERT_BYTES);
	memcpy(bad + 38, buf + 46, 8);
	memcpy(bad + 46, buf + 38, 8);
	check_cert_decode_error(bad, CERT_BYTES, "certificate validity ends before it starts");
	keypair_free(root);
	keypair_free(dev);
}

static void
test_save_load(void **state)
{
	struct keypair *kp = keypair_generate(), *loaded = NULL, *other = keypair_generate();
	char *dir = make_tmpdir(), *path = xasprintf("%s/device.key", dir), *cause = NULL;
	char buf[256], *hex;
	struct stat st;
	uint8_t sig[KEYS_SIGBYTES];
	mode_t old;
	int fd;
	ssize_t n;

	(void)state;
	/* Mode 0600 whatever the umask. */
	old = umask(0);
	assert_int_equal(keypair_save(kp, path, &cause), 0);
	umask(old);
	assert_null(cause);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* The format: one line. */
	assert_true((fd = open(path, O_RDONLY)) != -1);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_int_equal(n, 15 + 128 + 1);
	buf[n] = '\0';
	hex = keys_hex(kp->sk, KEYS_SECRETBYTES);
	assert_memory_equal(buf, "tessera-key-v1 ", 15);
	assert_memory_equal(buf + 15, hex, 128);
	assert_int_equal(buf[143], '\n');
	free(hex);

	assert_int_equal(keypair_load(path, &loaded, &cause), 0);
	assert_non_null(loaded);
	assert_memory_equal(loaded->pk, kp->pk, KEYS_PUBLICBYTES);
	assert_memory_equal(loaded->sk, kp->sk, KEYS_SECRETBYTES);
	keys_sign(loaded, "d", msg, sizeof msg, sig);
	assert_int_equal(keys_verify(kp->pk, "d", msg, sizeof msg, sig), 0);
	keypair_free(loaded);

	/* Saving again replaces the key and leaves no temporary file. */
	assert_int_equal(keypair_save(other, path, &cause), 0);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(keypair_load(path, &loaded, &cause), 0);
	assert_memory_equal(loaded->pk, other->pk, KEYS_PUBLICBYTES);
	keypair_free(loaded);

	free(path);
	rm_tmpdir(dir);
	keypair_free(kp);
	keypair_free(other);
}

static void
test_save_fails(void **state)
{
	struct keypair *kp = keypair_generate();
	char *dir = make_tmpdir(), *path = xasprintf("%s/missing/device.key", dir), *cause = NULL;

	(void)state;
	assert_int_equal(keypair_save(kp, path, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, "No such file or directory"));
	free(cause);
	assert_int_equal(count_entries(dir), 0);
	free(path);
	rm_tmpdir(dir);
	keypair_free(kp);
}

static void
test_load_refuses_open_permissions(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0666, 0700, 0610, 0601, 0602 };
	struct keypair *kp = keypair_generate(), *loaded = NULL;
	char *dir = make_tmpdir(), *path = xasprintf("%s/device.key", dir), *cause = NULL;
	char *expected;
	size_t i;

	(void)state;
	assert_int_equal(keypair_save(kp, path, &cause), 0);
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		if ((modes[i] & 077) == 0) {
			/* 0700 has no group or other bits: allowed. */
			assert_int_equal(keypair_load(path, &loaded, &cause), 0);
			keypair_free(loaded);
			loaded = NULL;
			continue;
		}
		assert_int_equal(keypair_load(path, &loaded, &cause), -1);
		assert_null(loaded);
		expected = xasprintf("%s: permissions %04o are too open: a secret key must be "
		    "readable only by its owner (run: chmod 600 %s)", path, (unsigned)modes[i],
		    path);
		assert_string_equal(cause, expected);
		free(expected);
		free(cause);
		cause = NULL;
	}
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(keypair_load(path, &loaded, &cause), 0);
	keypair_free(loaded);
	free(path);
	rm_tmpdir(dir);
	keypair_free(kp);
}

static void
test_load_missing(void **state)
{
	struct keypair *loaded = NULL;
	char *dir = make_tmpdir(), *path = xasprintf("%s/nothing.key", dir), *cause = NULL;
	char *expected = xasprintf("%s: No such file or directory", path);

	(void)state;
	assert_int_equal(keypair_load(path, &loaded, &cause), -1);
	assert_null(loaded);
	assert_string_equal(cause, expected);
	free(cause);
	free(expected);

	/* A folder is not a key file. */
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(keypair_load(dir, &loaded, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	free(path);
	rm_tmpdir(dir);
}

static void
test_load_malformed(void **state)
{
	struct keypair *kp = keypair_generate(), *loaded = NULL;
	char *dir = make_tmpdir(), *path = xasprintf("%s/device.key", dir), *cause = NULL;
	char *hex = keys_hex(kp->sk, KEYS_SECRETBYTES), *good, *bad, *expected;
	size_t i;

	(void)state;
	good = xasprintf("tessera-key-v1 %s\n", hex);
	expected = xasprintf("%s: not a Tessera key file (expected one line "
	    "\"tessera-key-v1 <128 hex digits>\")", path);

	/* The good file loads, so that each case below fails for its own reason. */
	write_file(path, good, strlen(good), 0600);
	assert_int_equal(keypair_load(path, &loaded, &cause), 0);
	keypair_free(loaded);
	loaded = NULL;

	{
		char *cases[] = {
			xstrdup(""),
			xstrdup("\n"),
			xasprintf("tessera-key-v2 %s\n", hex),
			xasprintf("tessera-key-v1  %s\n", hex),
			xasprintf("tessera-key-v1 %s", hex),               /* no newline */
			xasprintf("tessera-key-v1 %s\r\n", hex),
			xasprintf("tessera-key-v1 %s\n\n", hex),
			xasprintf("tessera-key-v1 %s\nmore\n", hex),
			xasprintf("tessera-key-v1 %.126s\n", hex),         /* short */
			xasprintf("tessera-key-v1 %s00\n", hex),           /* long */
			xasprintf("tessera-key-v1 %.127sg\n", hex),        /* not hex */
			xasprintf("tessera-key-v1 %.127s\n\n", hex),
			xasprintf("TESSERA-KEY-V1 %s\n", hex),
			xasprintf("%s\n", hex),
		};
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			write_file(path, cases[i], strlen(cases[i]), 0600);
			assert_int_equal(keypair_load(path, &loaded, &cause), -1);
			assert_null(loaded);
			assert_string_equal(cause, expected);
			free(cause);
			cause = NULL;
			free(cases[i]);
		}
	}

	/* A NUL inside. */
	bad = xstrdup(good);
	bad[20] = '\0';
	write_file(path, bad, strlen(good), 0600);
	assert_int_equal(keypair_load(path, &loaded, &cause), -1);
	assert_string_equal(cause, expected);
	free(cause);
	free(bad);

	/* The public half does not match the seed. */
	bad = xstrdup(good);
	bad[15 + 64] = bad[15 + 64] == '0' ? '1' : '0';
	write_file(path, bad, strlen(bad), 0600);
	assert_int_equal(keypair_load(path, &loaded, &cause), -1);
	assert_null(loaded);
	free(expected);
	expected = xasprintf("%s: damaged key file: the public key does not match the secret",
	    path);
	assert_string_equal(cause, expected);
	free(cause);
	free(bad);

	free(expected);
	free(good);
	free(hex);
	free(path);
	rm_tmpdir(dir);
	keypair_free(kp);
}

static void
test_keyring(void **state)
{
	struct keypair *root = keypair_generate(), *dev = keypair_generate();
	struct keypair *dev2 = keypair_generate(), *other_root = keypair_generate();
	struct cert c7 = make_cert(7, ROLE_BOXOFFICE, dev, root);
	struct cert c8 = make_cert(8, ROLE_GATE, dev2, root);
	struct cert forged = make_cert(9, ROLE_BOXOFFICE, dev2, other_root);
	struct keyring *kr = keyring_new(root->pk);
	const struct cert *found;
	char *cause = NULL;

	(void)state;
	assert_memory_equal(keyring_root(kr), root->pk, KEYS_PUBLICBYTES);
	assert_null(keyring_find(kr, 7));
	assert_int_equal(keyring_add(kr, &c7, &cause), 0);
	assert_int_equal(keyring_add(kr, &c8, &cause), 0);
	assert_null(cause);
	assert_non_null(found = keyring_find(kr, 7));
	assert_memory_equal(found->pk, dev->pk, KEYS_PUBLICBYTES);
	assert_int_equal(keyring_find(kr, 8)->role, ROLE_GATE);

	/* Another root's certificate is refused and leaves the keyring as it was. */
	assert_int_equal(keyring_add(kr, &forged, &cause), -1);
	assert_string_equal(cause, "certificate of device 9 is not signed by this root");
	free(cause);
	cause = NULL;
	assert_null(keyring_find(kr, 9));

	/* Nor may it replace a genuine one. */
	forged.device_id = 7;
	cert_sign(&forged, other_root);
	assert_int_equal(keyring_add(kr, &forged, NULL), -1);
	assert_memory_equal(keyring_find(kr, 7)->pk, dev->pk, KEYS_PUBLICBYTES);

	/* A tampered certificate is refused. */
	c8.not_after++;
	assert_int_equal(keyring_add(kr, &c8, NULL), -1);
	assert_int_equal(keyring_find(kr, 8)->not_after, c8.not_after - 1);

	/* A new certificate from the root replaces the old one. */
	c7 = make_cert(7, ROLE_BOXOFFICE, dev2, root);
	assert_int_equal(keyring_add(kr, &c7, NULL), 0);
	assert_memory_equal(keyring_find(kr, 7)->pk, dev2->pk, KEYS_PUBLICBYTES);
	assert_non_null(keyring_find(kr, 8));

	keyring_free(kr);
	keyring_free(NULL);
	keypair_free(root);
	keypair_free(dev);
	keypair_free(dev2);
	keypair_free(other_root);
}

static void
test_revocation(void **state)
{
	struct keypair *root = keypair_generate(), *dev = keypair_generate();
	struct cert c7 = make_cert(7, ROLE_BOXOFFICE, dev, root);
	struct keyring *kr = keyring_new(root->pk);
	int64_t at = 0;

	(void)state;
	assert_int_equal(keyring_add(kr, &c7, NULL), 0);
	assert_int_equal(keyring_is_revoked(kr, 7, &at), 0);
	assert_int_equal(at, 0);
	keyring_revoke(kr, 7, 1767225600);
	assert_int_equal(keyring_is_revoked(kr, 7, &at), 1);
	assert_int_equal(at, 1767225600);
	assert_int_equal(keyring_is_revoked(kr, 7, NULL), 1);
	assert_int_equal(keyring_is_revoked(kr, 8, NULL), 0);

	/* The earliest time is kept; revoking a device not in the keyring is fine. */
	keyring_revoke(kr, 7, 1767225700);
	assert_int_equal(keyring_is_revoked(kr, 7, &at), 1);
	assert_int_equal(at, 1767225600);
	keyring_revoke(kr, 7, 1767225500);
	assert_int_equal(keyring_is_revoked(kr, 7, &at), 1);
	assert_int_equal(at, 1767225500);
	keyring_revoke(kr, 99, 5);
	assert_int_equal(keyring_is_revoked(kr, 99, &at), 1);
	assert_int_equal(at, 5);

	/* Adding the certificate again does not lift the revocation. */
	assert_int_equal(keyring_add(kr, &c7, NULL), 0);
	assert_int_equal(keyring_is_revoked(kr, 7, NULL), 1);

	keyring_free(kr);
	keypair_free(root);
	keypair_free(dev);
}

/* The request MAC key: the same on both sides, and nobody else's; the MAC covers everything. */
static void
test_request_mac(void **state)
{
	struct keypair *dev = keypair_generate(), *root = keypair_generate();
	struct keypair *other = keypair_generate();
	uint8_t *kd = sodium_malloc(REQSIGN_KEYBYTES), *ks = sodium_malloc(REQSIGN_KEYBYTES);
	uint8_t *ko = sodium_malloc(REQSIGN_KEYBYTES), bad_pk[KEYS_PUBLICBYTES];
	const char body[] = "{\"ops\":[]}";
	struct reqsign rs;
	char *cause = NULL, mac[REQSIGN_MAC_HEX + 1];
	int64_t when = 0;

	(void)state;
	assert_int_equal(reqsign_key(dev, root->pk, 1, kd), 0);
	assert_int_equal(reqsign_key(root, dev->pk, 0, ks), 0);
	assert_memory_equal(kd, ks, REQSIGN_KEYBYTES);
	/* Another root, or the sides swapped, give another key. */
	assert_int_equal(reqsign_key(dev, other->pk, 1, ko), 0);
	assert_memory_not_equal(kd, ko, REQSIGN_KEYBYTES);
	assert_int_equal(reqsign_key(dev, root->pk, 0, ko), 0);
	assert_memory_not_equal(kd, ko, REQSIGN_KEYBYTES);
	/* A public key that is not a point of the curve has no key. */
	memset(bad_pk, 0xff, sizeof bad_pk);
	assert_int_equal(reqsign_key(dev, bad_pk, 1, ko), -1);

	reqsign_mac(kd, "POST", "/v1/push", 1700000000, (const uint8_t *)body,
	    sizeof body - 1, &rs);
	assert_int_equal(strlen(rs.sig), REQSIGN_MAC_HEX);
	assert_int_equal(reqsign_verify_mac(ks, "POST", "/v1/push", rs.time, rs.nonce, rs.sig,
	    (const uint8_t *)body, sizeof body - 1, &when, &cause), 0);
	assert_int_equal(when, 1700000000);
	/* Every part of the request is covered. */
	assert_int_equal(reqsign_verify_mac(ks, "GET", "/v1/push", rs.time, rs.nonce, rs.sig,
	    (const uint8_t *)body, sizeof body - 1, &when, &cause), -1);
	assert_string_equal(cause, "bad request MAC");
	free(cause);
	cause = NULL;
	assert_int_equal(reqsign_verify_mac(ks, "POST", "/v1/pull", rs.time, rs.nonce, rs.sig,
	    (const uint8_t *)body, sizeof body - 1, &when, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(reqsign_verify_mac(ks, "POST", "/v1/push", "1700000001", rs.nonce,
	    rs.sig, (const uint8_t *)body, sizeof body - 1, &when, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(reqsign_verify_mac(ks, "POST", "/v1/push", rs.time, rs.nonce, rs.sig,
	    (const uint8_t *)"{}", 2, &when, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(reqsign_verify_mac(ko, "POST", "/v1/push", rs.time, rs.nonce, rs.sig,
	    (const uint8_t *)body, sizeof body - 1, &when, &cause), -1);
	free(cause);
	cause = NULL;
	/* Malformed headers are named. */
	memcpy(mac, rs.sig, sizeof mac);
	mac[0] = 'z';
	assert_int_equal(reqsign_verify_mac(ks, "POST", "/v1/push", rs.time, rs.nonce, mac,
	    (const uint8_t *)body, sizeof body - 1, &when, &cause), -1);
	assert_string_equal(cause, "malformed X-Tessera-Mac header");
	free(cause);
	cause = NULL;
	assert_int_equal(reqsign_verify_mac(ks, "POST", "/v1/push", rs.time, rs.nonce, NULL,
	    (const uint8_t *)body, sizeof body - 1, &when, &cause), -1);
	assert_string_equal(cause, "request is not signed (missing X-Tessera-Mac header)");
	free(cause);
	sodium_free(kd);
	sodium_free(ks);
	sodium_free(ko);
	keypair_free(dev);
	keypair_free(root);
	keypair_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_request_mac),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_domain_separation),
		cmocka_unit_test(test_signing_input),
		cmocka_unit_test(test_signature_tamper),
		cmocka_unit_test(test_from_secret),
		cmocka_unit_test(test_cert_roundtrip),
		cmocka_unit_test(test_cert_tamper),
		cmocka_unit_test(test_cert_decode_errors),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_save_fails),
		cmocka_unit_test(test_load_refuses_open_permissions),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_malformed),
		cmocka_unit_test(test_keyring),
		cmocka_unit_test(test_revocation),
	};

	keys_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
