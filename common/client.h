/* client.h: a device's signed HTTP calls to the sync server (libcurl); the one networked module. */
#ifndef TESSERA_CLIENT_H
#define TESSERA_CLIENT_H

#include <stdint.h>

#include <jansson.h>

#include "compat.h"
#include "keys.h"

struct client;

/*
 * A client for the server at base_url ("http://127.0.0.1:8080"). Requests are signed by
 * device_id with kp (borrowed: it must outlive the client); with kp NULL only unsigned calls
 * (enroll, healthz) work. One client per thread: it keeps its connection open.
 */
struct client *client_new(const char *base_url, uint32_t device_id, const struct keypair *kp);
void client_free(struct client *c);
/*
 * Authenticate requests with the MAC key shared with the server whose organizer root public key
 * this is (common/reqsign.h), instead of an Ed25519 signature per request: 0, or -1 with *cause
 * (not a valid key; requests stay signed). NULL: back to signatures.
 */
int client_set_root(struct client *c, const uint8_t *root_pk, char **cause) WARN_UNUSED;
/* The whole call, connection included, gives up after ms milliseconds (default 10 s). */
void client_set_timeout(struct client *c, long ms);
/*
 * TLS: accept only a server whose public key hashes to pin ("sha256//BASE64", tlspin.h; copied),
 * whoever signed its certificate and whatever names it holds: the pin is the whole trust, so no
 * CA or host name check is made. A server with another key fails the call with a cause that
 * starts "certificate pin mismatch". NULL: back to the usual CA and host name checks.
 */
void client_set_pin(struct client *c, const char *pin);
/* 1 when the last call failed because the server's public key did not match the pin, else 0. */
int client_pin_mismatch(const struct client *c);
/* TLS: trust this CA or self-signed certificate file instead of the system's. */
void client_set_cafile(struct client *c, const char *path);
/* A call in progress gives up as soon as *flag becomes non-zero (for a quitting program). */
void client_set_cancel(struct client *c, volatile int *flag);
/*
 * The store epoch and change sequence of the last answer (X-Tessera-Epoch, X-Tessera-Seq;
 * docs/reliability.md): "" and 0 when it carried none. The string is the client's, valid until
 * the next call.
 */
#define CLIENT_EPOCH_MAX 32
const char *client_epoch(const struct client *c, uint64_t *seq);
/* Seconds to add to the local clock to get the server's, as last seen (starts at offset). */
int64_t client_clock_offset(const struct client *c);
void client_set_clock_offset(struct client *c, int64_t offset);

/*
 * Call METHOD path (with its query) with a JSON body (borrowed; NULL for none). On an HTTP
 * answer returns 0 with *status and *reply (a new reference; an object with "error" when the
 * server sent no JSON). On no answer (unreachable, timed out, TLS refused) returns -1 with
 * *cause. A request refused for the device's clock is retried once with the corrected time.
 */
int client_call(struct client *c, const char *method, const char *path, json_t *body,
    long *status, json_t **reply, char **cause) WARN_UNUSED;
/* client_call with the body already serialized (len bytes of JSON text; NULL for none). */
int client_call_text(struct client *c, const char *method, const char *path, const char *text,
    size_t len, long *status, json_t **reply, char **cause) WARN_UNUSED;

#endif
