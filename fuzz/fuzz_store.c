/*
 * fuzz_store.c: libFuzzer over what the sync server does with a request from a device, below
 * the HTTP layer: the signature headers (reqsign_verify), then the JSON body as the server
 * parses it (an object, duplicate keys refused) handed to the store call of a route (push,
 * admit, sell, hold, release, lease, lease return, the epoch check, pull arguments), on a real
 * store in a temporary folder with a box office (device 1) and a gate (device 2) enrolled.
 *
 * Input: one byte chooses the call, the rest is the body (or, for the signature, the headers
 * separated by newlines). Every call must answer with one of the store's statuses, a reply
 * exactly when the store says so, a cause when it refuses, and nothing leaked (LeakSanitizer);
 * every 500 inputs the store must pass quick_check.
 *
 * The fuzz rule of the Makefile builds one file against common/, so the store is included as
 * source here.
 */
#include "../sync/store.c"

#include <stdio.h>

#include "reqsign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *fz;
static struct store_device fz_dev[2];
static struct keypair *fz_kp;
static unsigned long fz_runs;
static char fz_dir[] = "/tmp/tessera-fuzz-store-XXXXXX";

/* At exit: the store and its folder go. */
static void
fz_cleanup(void)
{
	static const char *files[] = { "fuzz.db", "fuzz.db-wal", "fuzz.db-shm", "fuzz.db.rootkey" };
	char path[96];
	size_t i;

	store_close(fz);
	fz = NULL;
	keypair_free(fz_kp);
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", fz_dir, files[i]);
		unlink(path);
	}
	rmdir(fz_dir);
}

static void
fz_setup(void)
{
	static const char venue[] = "venue,Fuzz Hall\nrow,A,1,1-10\nga,FLOOR,10\n";
	struct store_event ev;
	struct store_tier t;
	struct keypair *root, *kp;
	struct venue *v;
	json_t *reply = NULL;
	char path[64], *cause = NULL, *code, tn[] = "All";
	uint32_t vid, eid, id;
	int i;

	if (mkdtemp(fz_dir) == NULL)
		abort();
	atexit(fz_cleanup);
	snprintf(path, sizeof path, "%s/fuzz.db", fz_dir);
	if (store_create(path, &root, &cause) != 0 || store_open(path, &fz, &cause) != 0)
		abort();
	keypair_free(root);
	/* Speed over durability: the fuzzer runs thousands of transactions a second. */
	if (db_exec(store_db(fz), "PRAGMA synchronous = OFF", &cause) != 0)
		abort();
	if (venue_parse(venue, sizeof venue - 1, "fuzz", &v, &cause) != 0 ||
	    store_venue_import(fz, v, &vid, &cause) != 0)
		abort();
	venue_free(v);
	memset(&ev, 0, sizeof ev);
	t.name = tn;
	t.price = 1500;
	t.sections = NULL;
	ev.venue_id = vid;
	ev.name = "Fuzz";
	ev.starts_at = store_now() + 3600;
	ev.doors_at = store_now();
	ev.currency = "EUR";
	ev.tiers = &t;
	ev.ntiers = 1;
	if (store_event_create(fz, &ev, &eid, &cause) != 0 || store_epoch_begin(fz, &cause) != 0)
		abort();
	for (i = 0; i < 2; i++) {
		if (store_device_add(fz, i == 0 ? ROLE_BOXOFFICE : ROLE_GATE, "fuzz", NULL, &id,
		    &code, &cause) != 0)
			abort();
		kp = keypair_generate();
		if (store_enroll(fz, code, kp->pk, &reply, &cause) != STORE_OK ||
		    store_device_get(fz, id, &fz_dev[i]) != 0)
			abort();
		json_decref(reply);
		free(code);
		if (i == 0)
			fz_kp = kp;
		else
			keypair_free(kp);
	}
}

/* A store call's answer must be consistent: a reply on OK (and some refusals), a cause else. */
static void
fz_check(int rc, json_t *reply, char *cause)
{
	if (rc != STORE_OK && rc != STORE_ERROR && rc != STORE_BAD && rc != STORE_NOTFOUND &&
	    rc != STORE_FORBIDDEN && rc != STORE_REFUSED)
		abort();
	if (rc == STORE_OK && (reply == NULL || !json_is_object(reply)))
		abort();
	if (rc != STORE_OK && cause == NULL)
		abort();
	if (rc == STORE_ERROR)
		abort();                /* a request must never break the store */
	json_decref(reply);
	free(cause);
}

/* The headers of a request as lines: method, path, time, nonce, signature. */
static void
fz_reqsign(const char *text)
{
	char *copy = xstrdup(text), *line[5] = { NULL }, *p = copy, *cause = NULL;
	int64_t when;
	int n = 0;

	while (n < 5 && p != NULL) {
		line[n++] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	if (n == 5 && reqsign_verify(fz_kp->pk, line[0], line[1], line[2], line[3], line[4],
	    (const uint8_t *)(p != NULL ? p : ""), p != NULL ? strlen(p) : 0, &when, &cause) == 0)
		abort();                /* nobody but the device can sign */
	free(cause);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *body, *reply = NULL;
	char *cause = NULL, *text;
	const struct store_device *bo, *gate;
	int rc, which;

	if (fz == NULL)
		fz_setup();
	if (size < 1 || size > PROTO_MAX_BODY)
		return 0;
	bo = &fz_dev[0];
	gate = &fz_dev[1];
	which = data[0] % 12;
	if (which == 11) {
		text = xmalloc(size);
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		fz_reqsign(text);
		free(text);
		return 0;
	}
	if (which == 10) {
		/* Pull arguments: since, event, limit from the bytes; never a wait. */
		uint64_t since = 0;
		uint32_t event = 0;
		int limit = 0;

		if (size >= 9)
			memcpy(&since, data + 1, 8);
		if (size >= 13)
			memcpy(&event, data + 9, 4);
		if (size >= 15)
			limit = data[13] | data[14] << 8;
		rc = store_pull(fz, since & INT64_MAX, event, 0, limit, &reply, &cause);
		fz_check(rc, reply, cause);
		return 0;
	}
	body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL)
		return 0;
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	switch (which) {
	case 0:
		rc = store_push(fz, bo, json_object_get(body, "ops"), 0, &reply, &cause);
		break;
	case 1:
		rc = store_push(fz, gate, json_object_get(body, "ops"), 1, &reply, &cause);
		break;
	case 2:
		rc = store_admit(fz, gate, json_object_get(body, "op"), 1, &reply, &cause);
		break;
	case 3:
		rc = store_sell(fz, bo, json_object_get(body, "ops"), &reply, &cause);
		break;
	case 4:
		rc = store_hold(fz, bo, body, 0, &reply, &cause);
		break;
	case 5:
		rc = store_hold(fz, bo, body, 1, &reply, &cause);
		break;
	case 6:
		rc = store_lease(fz, bo, body, &reply, &cause);
		break;
	case 7:
		rc = store_lease_return(fz, bo, body, &reply, &cause);
		break;
	case 8:
		rc = store_epoch_check(fz, body, &reply, &cause);
		break;
	default:
		/* A gate trying what only a box office may. */
		rc = store_sell(fz, gate, json_object_get(body, "ops"), &reply, &cause);
		if (rc != STORE_FORBIDDEN)
			abort();
		break;
	}
	fz_check(rc, reply, cause);
	json_decref(body);
	if (++fz_runs % 500 == 0) {
		sqlite3_stmt *s = db_prepare(store_db(fz), "PRAGMA quick_check");

		if (sqlite3_step(s) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
			abort();
		sqlite3_finalize(s);
	}
	return 0;
}
