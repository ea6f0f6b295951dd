/*
 * test_tls.c: the sync server over TLS with a certificate tessera-sync made itself, and devices
 * that pin its key: the certificate and its files, the pin computed three ways (GnuTLS from the
 * PEM, the live server, openssl), enrollment by trust on first use and with a pin given, a
 * wrong pin refused without a trace, and a server restarted with another key refused by every
 * device that enrolled with the first.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "client.h"
#include "device.h"
#include "server.h"
#include "store.h"
#include "tls.h"
#include "tlspin.h"
#include "xmalloc.h"

static char            dir[] = "/tmp/tessera-test-tls-XXXXXX";
static char            dbpath[256];
static char            crt_a[256], key_a[256], crt_b[256], key_b[256];
static char            pin_a[TLSPIN_SIZE], pin_b[TLSPIN_SIZE];
static char            url[64], port_s[8];
static uint16_t        port;
static struct store   *st;
static struct server  *srv;
static struct device  *tofu;           /* enrolled by trust on first use, kept open */
static char            tofu_path[300];

static void
server_up(const char *crt, const char *key)
{
	struct server_config cfg = { "127.0.0.1", port, crt, key, 0, 0 };
	char *cause = NULL;

	if (server_start(st, &cfg, &srv, &cause) != 0)
		fail_msg("server_start: %s", cause);
	port = server_port(srv);
}

static void
server_down(void)
{
	char *cause = NULL;

	server_stop(srv);
	srv = NULL;
	/* store_wake() told long-polls to end; a new server needs them to wait again. */
	store_close(st);
	st = NULL;
	if (store_open(dbpath, &st, &cause) != 0)
		fail_msg("store_open: %s", cause);
}

/* A new enrollment code for a gate. */
static char *
new_code(const char *name)
{
	char *code = NULL, *cause = NULL;
	uint32_t id;

	if (store_device_add(st, ROLE_GATE, name, NULL, &id, &code, &cause) != 0)
		fail_msg("device add: %s", cause);
	return code;
}

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int
setup(void **state)
{
	static const char venue_text[] = "venue,TLS Hall\nrow,A,1,1-10\n";
	struct store_event ev;
	struct store_tier t = { NULL, 1500, NULL };
	struct keypair *root;
	struct venue *v;
	uint32_t vid, eid;
	char *cause = NULL, name[] = "General";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/central.db", dir);
	if (store_create(dbpath, &root, &cause) != 0 || store_open(dbpath, &st, &cause) != 0)
		fail_msg("store: %s", cause);
	keypair_free(root);
	assert_int_equal(venue_parse(venue_text, sizeof venue_text - 1, "t", &v, &cause), 0);
	assert_int_equal(store_venue_import(st, v, &vid, &cause), 0);
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	ev.venue_id = vid;
	ev.name = "Matinee";
	ev.starts_at = time(NULL) + 3600;
	ev.doors_at = time(NULL) - 60;
	ev.currency = "EUR";
	t.name = name;
	ev.tiers = &t;
	ev.ntiers = 1;
	assert_int_equal(store_event_create(st, &ev, &eid, &cause), 0);

	snprintf(crt_a, sizeof crt_a, "%s/a.crt", dir);
	snprintf(key_a, sizeof key_a, "%s/a.tlskey", dir);
	snprintf(crt_b, sizeof crt_b, "%s/b.crt", dir);
	snprintf(key_b, sizeof key_b, "%s/b.tlskey", dir);
	if (tls_make_selfsigned("localhost,127.0.0.1", crt_a, key_a, NULL, pin_a, &cause) != 0 ||
	    tls_make_selfsigned("localhost,127.0.0.1", crt_b, key_b, NULL, pin_b, &cause) != 0)
		fail_msg("tls_make_selfsigned: %s", cause);
	server_up(crt_a, key_a);
	snprintf(url, sizeof url, "https://127.0.0.1:%u", port);
	snprintf(port_s, sizeof port_s, "%u", port);
	snprintf(tofu_path, sizeof tofu_path, "%s/tofu.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	device_close(tofu);
	server_stop(srv);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = xcalloc(1, 65536);

	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------------ the certificate */

static void
test_certificate_files(void **state)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	struct stat sb;
	char *pem, *pem2, *cause = NULL, san[64], pin[TLSPIN_SIZE], path[300];
	unsigned char ip[16];
	size_t len;
	unsigned int type, bits;
	time_t now = time(NULL);
	int64_t until;

	(void)state;
	/* Modes: the key for the owner only, the certificate for everyone. */
	assert_int_equal(stat(key_a, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(crt_a, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	pem = slurp(key_a);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	free(pem);

	/* ECDSA P-256, for five years, for the names given. */
	pem = slurp(crt_a);
	d.data = (unsigned char *)pem;
	d.size = (unsigned int)strlen(pem);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_ECDSA);
	assert_int_equal(bits, 256);
	assert_true(gnutls_x509_crt_get_expiration_time(crt) >= now + 5 * 365 * 86400 - 60);
	assert_true(gnutls_x509_crt_get_expiration_time(crt) <= now + 5 * 366 * 86400);
	assert_true(gnutls_x509_crt_get_activation_time(crt) < now);
	len = sizeof san;
	assert_int_equal(gnutls_x509_crt_get_subject_alt_name2(crt, 0, san, &len, &type, NULL),
	    GNUTLS_SAN_DNSNAME);
	assert_string_equal(san, "localhost");
	len = sizeof ip;
	assert_int_equal(gnutls_x509_crt_get_subject_alt_name2(crt, 1, ip, &len, &type, NULL),
	    GNUTLS_SAN_IPADDRESS);
	assert_int_equal(len, 4);
	assert_memory_equal(ip, "\x7f\x00\x00\x01", 4);
	assert_int_equal(gnutls_x509_crt_check_hostname(crt, "localhost"), 1);
	assert_int_equal(gnutls_x509_crt_check_hostname(crt, "example.org"), 0);
	gnutls_x509_crt_deinit(crt);

	/* Never over an existing file: both there, or only the certificate there. */
	assert_int_equal(tls_make_selfsigned("localhost", crt_a, key_a, NULL, pin, &cause), -1);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
	cause = NULL;
	pem2 = slurp(crt_a);
	assert_string_equal(pem, pem2);
	free(pem2);
	snprintf(path, sizeof path, "%s/lonely.tlskey", dir);
	assert_int_equal(tls_make_selfsigned("localhost", crt_a, path, NULL, pin, &cause), -1);
	free(cause);
	cause = NULL;
	assert_false(exists(path));     /* the key written first went again */
	free(pem);

	/* An IPv6 address, and what the caller learns. */
	snprintf(path, sizeof path, "%s/v6.crt", dir);
	{
		char kpath[300];

		snprintf(kpath, sizeof kpath, "%s/v6.tlskey", dir);
		assert_int_equal(tls_make_selfsigned("::1,tickets.example.org", path, kpath, &until,
		    pin, &cause), 0);
		assert_true(until >= (int64_t)now + 5 * 365 * 86400);
		assert_int_equal(tlspin_check(pin, NULL), 0);
		assert_string_not_equal(pin, pin_a);
	}
}

static void
test_host_lists(void **state)
{
	static const char *good[] = { "localhost", "127.0.0.1", "::1", "tickets.example.org",
	    "a-b.c,10.0.0.5,fe80::1", "x1.example", NULL };
	static const char *bad[] = { "", ",", "a,,b", "a,", "bad_name", "-x", "x-", "a..b",
	    ".a", "a b", "a,A", "1.2.3.4:80", "http://x", NULL };
	char *cause = NULL, many[512] = "";
	int i;

	(void)state;
	for (i = 0; good[i] != NULL; i++) {
		if (tls_check_hosts(good[i], &cause) != 0)
			fail_msg("\"%s\" refused: %s", good[i], cause);
	}
	for (i = 0; bad[i] != NULL; i++) {
		if (tls_check_hosts(bad[i], &cause) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(strstr(cause, "--tls-host"));
		free(cause);
		cause = NULL;
	}
	for (i = 0; i <= TLS_HOSTS_MAX; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%sh%d", i ? "," : "", i);
	assert_int_equal(tls_check_hosts(many, &cause), -1);
	free(cause);
}

/* ------------------------------------------------------------------ pins */

static void
test_pin_format(void **state)
{
	char pin[TLSPIN_SIZE], *cause = NULL, bad[TLSPIN_SIZE + 8];

	(void)state;
	assert_int_equal(strlen(pin_a), TLSPIN_LEN);
	assert_int_equal(strncmp(pin_a, "sha256//", 8), 0);
	assert_string_not_equal(pin_a, pin_b);
	assert_int_equal(tlspin_check(pin_a, NULL), 0);
	assert_int_equal(tlspin_from_file(crt_a, pin, NULL), 0);
	assert_string_equal(pin, pin_a);
	/* Tampered, truncated, other prefix, other alphabet, trailing garbage. */
	snprintf(bad, sizeof bad, "%s", pin_a);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	assert_int_equal(tlspin_check(bad, NULL), 0);  /* still a pin, just another one */
	assert_int_equal(tlspin_check("sha256//abc", &cause), -1);
	assert_non_null(strstr(cause, "sha256//"));
	free(cause);
	snprintf(bad, sizeof bad, "sha1//%s", pin_a + 8);
	assert_int_equal(tlspin_check(bad, NULL), -1);
	snprintf(bad, sizeof bad, "%s", pin_a);
	bad[10] = '-';
	assert_int_equal(tlspin_check(bad, NULL), -1);
	snprintf(bad, sizeof bad, "%s=", pin_a);
	assert_int_equal(tlspin_check(bad, NULL), -1);
	/* The last character holds 4 bits and 2 zero bits; 'B' sets one of those: not canonical. */
	snprintf(bad, sizeof bad, "%s", pin_a);
	bad[TLSPIN_LEN - 2] = 'B';
	assert_int_equal(tlspin_check(bad, NULL), -1);
	/* Not certificates. */
	assert_int_equal(tlspin_from_pem("hello", 5, pin, &cause), -1);
	assert_non_null(strstr(cause, "not an X.509 certificate"));
	free(cause);
	assert_int_equal(tlspin_from_file(key_a, pin, &cause), -1);
	assert_non_null(strstr(cause, key_a));
	free(cause);
	assert_int_equal(tlspin_from_file("/nonexistent/x.crt", pin, &cause), -1);
	free(cause);
}

static void
test_pin_matches_openssl(void **state)
{
	char cmd[1024], line[128];
	FILE *p;
	size_t n;

	(void)state;
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin "
	    "-outform der | openssl dgst -sha256 -binary | base64", crt_a);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof line, p));
	assert_int_equal(pclose(p), 0);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	assert_string_equal(pin_a + 8, line);
}

static void
test_pin_fetch(void **state)
{
	struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };
	struct server *plain = NULL;
	char pin[TLSPIN_SIZE], u[128], p[8], *cause = NULL;

	(void)state;
	assert_int_equal(tlspin_fetch("127.0.0.1", port_s, 5000, pin, &cause), 0);
	assert_string_equal(pin, pin_a);
	assert_int_equal(tlspin_fetch("localhost", port_s, 5000, pin, &cause), 0);
	assert_string_equal(pin, pin_a);
	assert_int_equal(tlspin_fetch_url(url, 5000, pin, &cause), 0);
	assert_string_equal(pin, pin_a);
	snprintf(u, sizeof u, "HTTPS://localhost:%u/v1/enroll?x#y", port);
	assert_int_equal(tlspin_fetch_url(u, 5000, pin, &cause), 0);
	assert_string_equal(pin, pin_a);

	/* Nobody there. */
	assert_int_equal(tlspin_fetch_url("https://127.0.0.1:1", 5000, pin, &cause), -1);
	assert_non_null(strstr(cause, "cannot connect to 127.0.0.1 port 1"));
	free(cause);
	/* Not a URL it can use. */
	assert_int_equal(tlspin_fetch_url("http://127.0.0.1:1", 5000, pin, &cause), -1);
	assert_non_null(strstr(cause, "not an https:// URL"));
	free(cause);
	assert_int_equal(tlspin_fetch_url("https://", 5000, pin, &cause), -1);
	free(cause);
	assert_int_equal(tlspin_fetch_url("https://h:99999", 5000, pin, &cause), -1);
	free(cause);
	assert_int_equal(tlspin_fetch_url("https://[::1", 5000, pin, &cause), -1);
	free(cause);
	assert_int_equal(tlspin_fetch_url("https://u@h:1", 5000, pin, &cause), -1);
	free(cause);
	/* A server that speaks no TLS. */
	if (server_start(st, &cfg, &plain, &cause) != 0)
		fail_msg("server_start: %s", cause);
	snprintf(p, sizeof p, "%u", server_port(plain));
	assert_int_equal(tlspin_fetch("127.0.0.1", p, 5000, pin, &cause), -1);
	assert_non_null(strstr(cause, "TLS handshake"));
	assert_non_null(strstr(cause, "https"));
	free(cause);
	server_stop(plain);
}

/* ------------------------------------------------------------------ the client */

static void
test_client_pin(void **state)
{
	struct client *c;
	json_t *reply = NULL;
	long status = 0;
	char u[64], *cause = NULL;

	(void)state;
	/* Without a pin the usual checks apply, and no CA signed this certificate. */
	c = client_new(url, 0, NULL);
	assert_int_equal(client_call(c, "GET", "/healthz", NULL, &status, &reply, &cause), -1);
	assert_false(client_pin_mismatch(c));
	free(cause);
	cause = NULL;
	/* The pin alone is enough: no CA, and 127.0.0.1 or not, the names do not matter. */
	client_set_pin(c, pin_a);
	assert_int_equal(client_call(c, "GET", "/healthz", NULL, &status, &reply, &cause), 0);
	assert_int_equal(status, 200);
	json_decref(reply);
	/* libcurl checks the pin with peer verification off: another pin is refused. */
	client_set_pin(c, pin_b);
	assert_int_equal(client_call(c, "GET", "/healthz", NULL, &status, &reply, &cause), -1);
	assert_true(client_pin_mismatch(c));
	assert_non_null(strstr(cause, "certificate pin mismatch: the server at"));
	assert_non_null(strstr(cause, url));
	free(cause);
	cause = NULL;
	client_free(c);
	/* The certificate as a CA file, for ordinary clients: its name checks out too. */
	snprintf(u, sizeof u, "https://localhost:%u", port);
	c = client_new(u, 0, NULL);
	client_set_cafile(c, crt_a);
	if (client_call(c, "GET", "/healthz", NULL, &status, &reply, &cause) != 0)
		fail_msg("with the certificate as CA: %s", cause);
	assert_int_equal(status, 200);
	json_decref(reply);
	client_free(c);
}

/* ------------------------------------------------------------------ devices */

static char *
meta_pin(struct device *d)
{
	char *v = NULL, *cause = NULL;

	assert_int_equal(replica_meta_get(device_replica(d), REPLICA_META_TLS_PIN, &v, &cause),
	    0);
	return v;
}

static void
sync_ok(struct device *d, int events)
{
	struct sync_report r;
	char *cause = NULL;

	if (device_sync(d, 0, &r, &cause) != 0)
		fail_msg("sync: %s", cause);
	if (events >= 0)
		assert_int_equal(r.events, events);
}

static void
test_enroll_tofu(void **state)
{
	struct device *d;
	char *code = new_code("First use"), *cause = NULL, *v;

	(void)state;
	if (device_enroll(tofu_path, url, code, &tofu, &cause) != 0)
		fail_msg("enroll: %s", cause);
	free(code);
	assert_string_equal(device_tls_pin(tofu), pin_a);
	v = meta_pin(tofu);
	assert_string_equal(v, pin_a);
	free(v);
	sync_ok(tofu, 1);
	/* Opened again, it pins what it kept. */
	if (device_open(tofu_path, &d, &cause) != 0)
		fail_msg("open: %s", cause);
	assert_string_equal(device_tls_pin(d), pin_a);
	sync_ok(d, 0);
	device_close(d);
}

static void
test_enroll_pinned(void **state)
{
	struct device *d;
	char *code = new_code("Given pin"), *cause = NULL, path[300], *v;

	(void)state;
	snprintf(path, sizeof path, "%s/pinned.db", dir);
	if (device_enroll_pinned(path, url, code, pin_a, &d, &cause) != 0)
		fail_msg("enroll: %s", cause);
	free(code);
	v = meta_pin(d);
	assert_string_equal(v, pin_a);
	free(v);
	sync_ok(d, 1);
	device_close(d);
}

static void
test_enroll_wrong_pin(void **state)
{
	struct device *d = NULL;
	char *code = new_code("Wrong pin"), *cause = NULL, path[300], keypath[310];

	(void)state;
	snprintf(path, sizeof path, "%s/wrong.db", dir);
	snprintf(keypath, sizeof keypath, "%s.key", path);
	assert_int_equal(device_enroll_pinned(path, url, code, pin_b, &d, &cause), -1);
	assert_non_null(strstr(cause, "certificate pin mismatch"));
	assert_non_null(strstr(cause, pin_b));
	free(cause);
	cause = NULL;
	assert_null(d);
	assert_false(exists(path));
	assert_false(exists(keypath));
	/* A malformed pin, and a pin for a server without TLS: refused before anything. */
	assert_int_equal(device_enroll_pinned(path, url, code, "sha256//nope", &d, &cause), -1);
	assert_non_null(strstr(cause, "TLS pin"));
	free(cause);
	cause = NULL;
	assert_int_equal(device_enroll_pinned(path, "http://127.0.0.1:1", code, pin_a, &d,
	    &cause), -1);
	assert_non_null(strstr(cause, "https://"));
	free(cause);
	cause = NULL;
	assert_false(exists(path));
	assert_false(exists(keypath));
	/* The code never reached a server: it still works with the right pin. */
	if (device_enroll_pinned(path, url, code, pin_a, &d, &cause) != 0)
		fail_msg("enroll with the right pin: %s", cause);
	free(code);
	device_close(d);
}

static void
test_enroll_plain_http(void **state)
{
	struct server_config cfg = { "127.0.0.1", 0, NULL, NULL, 0, 0 };
	struct server *plain = NULL;
	struct device *d;
	char *code = new_code("Plain"), *cause = NULL, path[300], u[64], *v = NULL;

	(void)state;
	if (server_start(st, &cfg, &plain, &cause) != 0)
		fail_msg("server_start: %s", cause);
	snprintf(u, sizeof u, "http://127.0.0.1:%u", server_port(plain));
	snprintf(path, sizeof path, "%s/plain.db", dir);
	/* An https URL at a plain server: trust on first use finds no TLS there. */
	snprintf(u, sizeof u, "https://127.0.0.1:%u", server_port(plain));
	assert_int_equal(device_enroll(path, u, code, &d, &cause), -1);
	assert_non_null(strstr(cause, "TLS handshake"));
	free(cause);
	cause = NULL;
	assert_false(exists(path));
	snprintf(u, sizeof u, "http://127.0.0.1:%u", server_port(plain));
	if (device_enroll(path, u, code, &d, &cause) != 0)
		fail_msg("enroll over http: %s", cause);
	free(code);
	assert_null(device_tls_pin(d));
	assert_int_equal(replica_meta_get(device_replica(d), REPLICA_META_TLS_PIN, &v, &cause),
	    1);
	sync_ok(d, 1);
	device_close(d);
	server_stop(plain);
}

static void
test_other_certificate_refused(void **state)
{
	struct device *d;
	struct sync_report r;
	char *cause = NULL, pin[TLSPIN_SIZE];

	(void)state;
	assert_non_null(tofu);
	/* The same address, another key: an impostor, or a server whose key was replaced. */
	server_down();
	server_up(crt_b, key_b);
	assert_int_equal(tlspin_fetch_url(url, 5000, pin, NULL), 0);
	assert_string_equal(pin, pin_b);
	assert_int_equal(device_sync(tofu, 0, &r, &cause), -1);
	assert_non_null(strstr(cause, "certificate pin mismatch"));
	assert_non_null(strstr(cause, "is not the one this device enrolled with"));
	free(cause);
	cause = NULL;
	/* Opened afresh (the background syncer does so), still refused. */
	if (device_open(tofu_path, &d, &cause) != 0)
		fail_msg("open: %s", cause);
	assert_int_equal(device_sync(d, 0, &r, &cause), -1);
	assert_non_null(strstr(cause, "certificate pin mismatch"));
	free(cause);
	cause = NULL;
	/* The real server is back: all is well again. */
	server_down();
	server_up(crt_a, key_a);
	sync_ok(d, 0);
	sync_ok(tofu, 0);
	device_close(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certificate_files),
		cmocka_unit_test(test_host_lists),
		cmocka_unit_test(test_pin_format),
		cmocka_unit_test(test_pin_matches_openssl),
		cmocka_unit_test(test_pin_fetch),
		cmocka_unit_test(test_client_pin),
		cmocka_unit_test(test_enroll_tofu),
		cmocka_unit_test(test_enroll_pinned),
		cmocka_unit_test(test_enroll_wrong_pin),
		cmocka_unit_test(test_enroll_plain_http),
		cmocka_unit_test(test_other_certificate_refused),
	};

	keys_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
