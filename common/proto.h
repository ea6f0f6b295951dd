/* proto.h: the sync wire protocol: version, paths, limits, and JSON for records and operations. */
#ifndef TESSERA_PROTO_H
#define TESSERA_PROTO_H

#include <stdint.h>

#include <jansson.h>

#include "compat.h"
#include "merge.h"

/*
 * Version 1 of the protocol lives under /v1/. A change that an old peer would misread gets a new
 * version and a new prefix; fields may be added within a version and are ignored by old peers.
 * docs/sync-protocol.md describes every call.
 */
#define PROTO_VERSION        1
#define PROTO_PREFIX         "/v1"
#define PROTO_MAX_BODY       (4 * 1024 * 1024)   /* bytes in any request body */
#define PROTO_MAX_OPS        1000                /* operations in one push */
#define PROTO_MAX_SEATS      500                 /* seats in one sell, hold or lease request */
#define PROTO_CLOCK_WINDOW   300                 /* seconds a request's time may be off */
#define PROTO_MAX_WAIT       30                  /* seconds a pull may long-poll */
#define PROTO_PULL_PAGE      2000                /* seat changes in one pull answer */
#define PROTO_BOOTSTRAP_PAGE 2000                /* seats in one bootstrap page */
#define PROTO_H_SERVER_TIME  "X-Tessera-Server-Time"
#define PROTO_H_EPOCH        "X-Tessera-Epoch"     /* the store's epoch (docs/reliability.md) */
#define PROTO_H_SEQ          "X-Tessera-Seq"       /* its change sequence when it answered */

/* What a device did to a seat. Each operation carries the seat as it was right after. */
enum op_kind {
	OP_SELL,
	OP_ADMIT,
	OP_EXIT,
	OP_REFUND,
};
const char *op_kind_name(enum op_kind k);     /* "sell", "admit", "exit", "refund" */
int op_kind_parse(const char *name);           /* -1 if unknown */

/* An operation, named by its dot (device, seq), unique for ever. */
struct op {
	uint32_t        device_id;
	uint32_t        seq;
	enum op_kind    kind;
	int64_t         at;
	struct seat_rec rec;
	char            pay[8];         /* sell: cash, card or comp */
	uint32_t        order;          /* sell, refund: the box office's order number */
};
void op_init(struct op *o);
void op_free(struct op *o);

/* JSON of a seat record, an operation, a conflict. Each returns a new reference. */
json_t *proto_rec_to_json(const struct seat_rec *r);
json_t *proto_op_to_json(const struct op *o);
/*
 * The compact form (docs/sync-protocol.md): arrays of the members in a fixed order, which the
 * server parses in about half the time of the objects. proto_op_from_json and
 * proto_rec_from_json read either form.
 */
json_t *proto_rec_to_compact(const struct seat_rec *r);
json_t *proto_op_to_compact(const struct op *o);
json_t *proto_conflict_to_json(const struct conflict *c);

/*
 * Parse JSON into *r / *o / *c. Every field is checked for type and range; the first problem is
 * named in *cause ("ops[3].rec.state: unknown seat state \"sould\""), using where as the prefix.
 * Outputs are set only on success; on success *r and *o own a vector the caller frees.
 */
int proto_rec_from_json(const json_t *j, const char *where, struct seat_rec *r, char **cause)
    WARN_UNUSED;
int proto_op_from_json(const json_t *j, const char *where, struct op *o, char **cause)
    WARN_UNUSED;
int proto_conflict_from_json(const json_t *j, const char *where, struct conflict *c,
    char **cause) WARN_UNUSED;

/* Helpers for the routes and the client: a field of the right type or -1 with *cause. */
int proto_get_u32(const json_t *obj, const char *key, const char *where, int required,
    uint32_t *out, char **cause) WARN_UNUSED;
int proto_get_i64(const json_t *obj, const char *key, const char *where, int required,
    int64_t *out, char **cause) WARN_UNUSED;
int proto_get_str(const json_t *obj, const char *key, const char *where, int required,
    const char **out, char **cause) WARN_UNUSED;

#endif
