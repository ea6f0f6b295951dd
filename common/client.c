/* client.c: a device's signed HTTP calls to the sync server, over libcurl. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "client.h"
#include "proto.h"
#include "reqsign.h"
#include "xmalloc.h"

struct client {
	char                 *base;
	uint32_t              device;
	const struct keypair *kp;
	uint8_t              *mackey;           /* REQSIGN_KEYBYTES, sodium_malloc; or NULL */
	CURL                 *curl;
	long                  timeout_ms;
	char                 *pin;
	char                 *cafile;
	int64_t               offset;
	volatile int         *cancel;
	int                   pin_mismatch;     /* the last call failed on the pin */
	char                  epoch[CLIENT_EPOCH_MAX + 1];      /* of the last answer */
	uint64_t              seq;
};

/* What the answer brought in: body (capped) and the server's clock. */
struct answer {
	char    *buf;
	size_t   len;
	int      too_large;
	int64_t  server_time;
	char     epoch[CLIENT_EPOCH_MAX + 1];
	uint64_t seq;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct client *
client_new(const char *base_url, uint32_t device_id, const struct keypair *kp)
{
	struct client *c = xcalloc(1, sizeof *c);
	size_t n;

	pthread_once(&curl_once, curl_init_once);
	c->base = xstrdup(base_url);
	n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	c->device = device_id;
	c->kp = kp;
	c->timeout_ms = 10000;
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		fprintf(stderr, "tessera: cannot start libcurl\n");
		abort();
	}
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->base);
	free(c->pin);
	free(c->cafile);
	if (c->mackey != NULL)
		sodium_free(c->mackey);
	free(c);
}

int
client_set_root(struct client *c, const uint8_t *root_pk, char **cause)
{
	if (c->mackey != NULL)
		sodium_free(c->mackey);
	c->mackey = NULL;
	if (root_pk == NULL || c->kp == NULL)
		return 0;
	keys_init();
	if ((c->mackey = sodium_malloc(REQSIGN_KEYBYTES)) == NULL) {
		fprintf(stderr, "tessera: out of secure memory\n");
		abort();
	}
	if (reqsign_key(c->kp, root_pk, 1, c->mackey) != 0) {
		sodium_free(c->mackey);
		c->mackey = NULL;
		return set_cause(cause, "the organizer root key is not a valid public key");
	}
	return 0;
}

void
client_set_timeout(struct client *c, long ms)
{
	c->timeout_ms = ms;
}

void
client_set_pin(struct client *c, const char *pin)
{
	free(c->pin);
	c->pin = pin != NULL ? xstrdup(pin) : NULL;
}

int
client_pin_mismatch(const struct client *c)
{
	return c->pin_mismatch;
}

void
client_set_cafile(struct client *c, const char *path)
{
	free(c->cafile);
	c->cafile = path != NULL ? xstrdup(path) : NULL;
}

void
client_set_cancel(struct client *c, volatile int *flag)
{
	c->cancel = flag;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct client *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return c->cancel != NULL && *c->cancel;
}

const char *
client_epoch(const struct client *c, uint64_t *seq)
{
	if (seq != NULL)
		*seq = c->seq;
	return c->epoch;
}

int64_t
client_clock_offset(const struct client *c)
{
	return c->offset;
}

void
client_set_clock_offset(struct client *c, int64_t offset)
{
	c->offset = offset;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (a->too_large || a->len + len > 64 * 1024 * 1024) {
		a->too_large = 1;
		return len;
	}
	a->buf = xreallocarray(a->buf, a->len + len + 1, 1);
	memcpy(a->buf + a->len, data, len);
	a->len += len;
	a->buf[a->len] = '\0';
	return len;
}

/* The value of header name in the line data (len bytes), or NULL. */
static const char *
header_value(const char *data, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len > n + 1 && strncasecmp(data, name, n) == 0 && data[n] == ':')
		return data + n + 1;
	return NULL;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n, i = 0;
	const char *v;

	if ((v = header_value(data, len, PROTO_H_SERVER_TIME)) != NULL)
		a->server_time = strtoll(v, NULL, 10);
	else if ((v = header_value(data, len, PROTO_H_SEQ)) != NULL)
		a->seq = strtoull(v, NULL, 10);
	else if ((v = header_value(data, len, PROTO_H_EPOCH)) != NULL) {
		/* Lower-case hex digits only; anything else is no epoch. */
		while (v < data + len && *v == ' ')
			v++;
		while (v + i < data + len && i < CLIENT_EPOCH_MAX &&
		    strchr("0123456789abcdef", v[i]) != NULL && v[i] != '\0')
			i++;
		memcpy(a->epoch, v, i);
		a->epoch[i] = '\0';
	}
	return len;
}

static int
call_once(struct client *c, const char *method, const char *path, const char *body,
    size_t blen, long *status, struct answer *a, char **cause)
{
	struct curl_slist *h = NULL;
	struct reqsign rs;
	char *url, *line, errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	url = xasprintf("%s%s", c->base, path);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	/* Large answers (a bootstrap) come gzip-compressed; libcurl inflates them. */
	curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, a);
	if (c->cancel != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	}
	if (c->pin != NULL) {
		/* The pin replaces the CA and name checks (libcurl still checks the pin). */
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(c->curl, CURLOPT_PINNEDPUBLICKEY, c->pin);
	}
	if (c->cafile != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cafile);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)blen);
		h = curl_slist_append(h, "Content-Type: application/json");
	}
	h = curl_slist_append(h, "Expect:");
	if (c->kp != NULL) {
		if (c->mackey != NULL)
			reqsign_mac(c->mackey, method, path, (int64_t)time(NULL) + c->offset,
			    (const uint8_t *)body, blen, &rs);
		else
			reqsign_sign(c->kp, method, path, (int64_t)time(NULL) + c->offset,
			    (const uint8_t *)body, blen, &rs);
		line = xasprintf("%s: %" PRIu32, REQSIGN_H_DEVICE, c->device);
		h = curl_slist_append(h, line);
		free(line);
		line = xasprintf("%s: %s", REQSIGN_H_TIME, rs.time);
		h = curl_slist_append(h, line);
		free(line);
		line = xasprintf("%s: %s", REQSIGN_H_NONCE, rs.nonce);
		h = curl_slist_append(h, line);
		free(line);
		line = xasprintf("%s: %s", c->mackey != NULL ? REQSIGN_H_MAC : REQSIGN_H_SIG,
		    rs.sig);
		h = curl_slist_append(h, line);
		free(line);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);
	c->pin_mismatch = rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
	if (c->pin_mismatch) {
		set_cause(cause, "certificate pin mismatch: the server at %s is not the one this "
		    "device enrolled with (its TLS key is not the pinned %s)", c->base, c->pin);
		free(url);
		return -1;
	}
	if (rc != CURLE_OK) {
		set_cause(cause, "%s: %s", url, errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		free(url);
		return -1;
	}
	free(url);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (a->server_time > 0)
		c->offset = a->server_time - (int64_t)time(NULL);
	memcpy(c->epoch, a->epoch, sizeof c->epoch);
	c->seq = a->seq;
	return 0;
}

int
client_call(struct client *c, const char *method, const char *path, json_t *body,
    long *status, json_t **reply, char **cause)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc;

	rc = client_call_text(c, method, path, text, text != NULL ? strlen(text) : 0, status,
	    reply, cause);
	free(text);
	return rc;
}

int
client_call_text(struct client *c, const char *method, const char *path, const char *text,
    size_t len, long *status, json_t **reply, char **cause)
{
	struct answer a;
	json_error_t jerr;
	int64_t before;
	json_t *j;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		memset(&a, 0, sizeof a);
		before = c->offset;
		if (call_once(c, method, path, text, len, status, &a, cause) != 0) {
			free(a.buf);
			return -1;
		}
		/* Refused for our clock, and we learned the server's: once more. */
		if (*status == 401 && c->offset != before && a.buf != NULL &&
		    strstr(a.buf, "off the server's clock") != NULL && tries == 0) {
			free(a.buf);
			continue;
		}
		break;
	}
	j = NULL;
	if (!a.too_large && a.buf != NULL)
		j = json_loadb(a.buf, a.len, 0, &jerr);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	if (j == NULL)
		j = json_pack("{s:s}", "error", a.too_large ? "answer too large" :
		    a.buf != NULL ? a.buf : "empty answer");
	free(a.buf);
	*reply = j;
	return 0;
}
