/* proto.c: JSON for seat records, operations and conflicts (jansson). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"

static const char *op_names[] = {
	[OP_SELL] = "sell",
	[OP_ADMIT] = "admit",
	[OP_EXIT] = "exit",
	[OP_REFUND] = "refund",
};

const char *
op_kind_name(enum op_kind k)
{
	if ((unsigned)k >= nitems(op_names))
		return "unknown";
	return op_names[k];
}

int
op_kind_parse(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(op_names); i++) {
		if (strcmp(name, op_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

void
op_init(struct op *o)
{
	memset(o, 0, sizeof *o);
	seat_rec_init(&o->rec, 0, 0);
}

void
op_free(struct op *o)
{
	seat_rec_free(&o->rec);
}

/*
 * The compact form of an operation and of a seat record: a JSON array holding the members in
 * this order (docs/sync-protocol.md, "Operations").
 */
static const char *const op_keys[] = {
	"dev", "seq", "kind", "at", "pay", "order", "rec", NULL
};
static const char *const rec_keys[] = {
	"event", "seat", "state", "vv", "gen", "key", "serial", "tier", "price", "sold_at",
	"adm_by", "adm_at", "exit_at", "moves", "by", "at", NULL
};

/*
 * Member key of j: by name in an object, by its place in keys in an array (compact form).
 * The readers below ask for the members in the table's order, so the place after the last
 * one found is tried first: one comparison a member instead of a search of the table (which
 * was two thirds of reading a pushed operation).
 */
static json_t *
member(const json_t *j, const char *const *keys, const char *key)
{
	static _Thread_local const char *const *last_keys;
	static _Thread_local size_t next;
	size_t i;

	if (keys == NULL || !json_is_array(j))
		return json_object_get(j, key);
	if (keys == last_keys && keys[next] != NULL && strcmp(keys[next], key) == 0)
		return json_array_get(j, next++);
	for (i = 0; keys[i] != NULL; i++) {
		if (strcmp(keys[i], key) == 0) {
			last_keys = keys;
			next = i + 1;
			return json_array_get(j, i);
		}
	}
	return NULL;
}

static int
get_int(const json_t *obj, const char *const *keys, const char *key, const char *where,
    int required, json_int_t min, json_int_t max, json_int_t *out, char **cause)
{
	json_t *v = member(obj, keys, key);
	json_int_t n;

	if (v == NULL || json_is_null(v)) {
		if (required)
			return set_cause(cause, "%s.%s: missing", where, key);
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return set_cause(cause, "%s.%s: not an integer", where, key);
	n = json_integer_value(v);
	if (n < min || n > max)
		return set_cause(cause, "%s.%s: %lld is out of range", where, key, (long long)n);
	*out = n;
	return 0;
}

static int
get_u32(const json_t *obj, const char *const *keys, const char *key, const char *where,
    int required, uint32_t *out, char **cause)
{
	json_int_t n;

	if (get_int(obj, keys, key, where, required, 0, UINT32_MAX, &n, cause) != 0)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int
get_i64(const json_t *obj, const char *const *keys, const char *key, const char *where,
    int required, int64_t *out, char **cause)
{
	json_int_t n;

	if (get_int(obj, keys, key, where, required, 0, INT64_MAX, &n, cause) != 0)
		return -1;
	*out = (int64_t)n;
	return 0;
}

static int
get_str(const json_t *obj, const char *const *keys, const char *key, const char *where,
    int required, const char **out, char **cause)
{
	json_t *v = member(obj, keys, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			return set_cause(cause, "%s.%s: missing", where, key);
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return set_cause(cause, "%s.%s: not a string", where, key);
	*out = json_string_value(v);
	return 0;
}

/* An object, or an array of exactly as many members as keys names: the keys to read it by. */
static int
shape(const json_t *j, const char *const *table, const char *where, const char *const **keys,
    char **cause)
{
	size_t n;

	if (json_is_object(j)) {
		*keys = NULL;
		return 0;
	}
	if (!json_is_array(j))
		return set_cause(cause, "%s: not an object (nor the compact array)", where);
	for (n = 0; table[n] != NULL; n++)
		;
	if (json_array_size(j) != n)
		return set_cause(cause, "%s: want %zu members in the compact form, not %zu", where,
		    n, json_array_size(j));
	*keys = table;
	return 0;
}

int
proto_get_u32(const json_t *obj, const char *key, const char *where, int required,
    uint32_t *out, char **cause)
{
	return get_u32(obj, NULL, key, where, required, out, cause);
}

int
proto_get_i64(const json_t *obj, const char *key, const char *where, int required,
    int64_t *out, char **cause)
{
	return get_i64(obj, NULL, key, where, required, out, cause);
}

int
proto_get_str(const json_t *obj, const char *key, const char *where, int required,
    const char **out, char **cause)
{
	return get_str(obj, NULL, key, where, required, out, cause);
}

json_t *
proto_rec_to_json(const struct seat_rec *r)
{
	char *vv = vv_to_string(&r->vv);
	json_t *j;

	j = json_pack("{s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "event", (json_int_t)r->event_id, "seat", (json_int_t)r->seat_id,
	    "state", seat_state_name(r->state), "vv", vv,
	    "gen", (json_int_t)r->generation, "key", (json_int_t)r->key_id,
	    "serial", (json_int_t)r->serial, "tier", (json_int_t)r->tier,
	    "price", (json_int_t)r->price, "sold_at", (json_int_t)r->sold_at,
	    "adm_by", (json_int_t)r->admitted_by, "adm_at", (json_int_t)r->admitted_at,
	    "exit_at", (json_int_t)r->exited_at, "moves", (json_int_t)r->moves,
	    "by", (json_int_t)r->changed_by,
	    "at", (json_int_t)r->changed_at);
	free(vv);
	return j;
}

int
proto_rec_from_json(const json_t *j, const char *where, struct seat_rec *out, char **cause)
{
	struct seat_rec r;
	const char *state = NULL, *vv = NULL;
	uint32_t gen, tier, moves;
	const char *const *k;
	char *why = NULL;
	int s;

	if (shape(j, rec_keys, where, &k, cause) != 0)
		return -1;
	seat_rec_init(&r, 0, 0);
	if (get_u32(j, k, "event", where, 1, &r.event_id, cause) != 0 ||
	    get_u32(j, k, "seat", where, 1, &r.seat_id, cause) != 0 ||
	    get_str(j, k, "state", where, 1, &state, cause) != 0 ||
	    get_str(j, k, "vv", where, 1, &vv, cause) != 0 ||
	    get_u32(j, k, "gen", where, 0, &gen, cause) != 0 ||
	    get_u32(j, k, "key", where, 0, &r.key_id, cause) != 0 ||
	    get_u32(j, k, "serial", where, 0, &r.serial, cause) != 0 ||
	    get_u32(j, k, "tier", where, 0, &tier, cause) != 0 ||
	    get_i64(j, k, "price", where, 0, &r.price, cause) != 0 ||
	    get_i64(j, k, "sold_at", where, 0, &r.sold_at, cause) != 0 ||
	    get_u32(j, k, "adm_by", where, 0, &r.admitted_by, cause) != 0 ||
	    get_i64(j, k, "adm_at", where, 0, &r.admitted_at, cause) != 0 ||
	    get_i64(j, k, "exit_at", where, 0, &r.exited_at, cause) != 0 ||
	    get_u32(j, k, "moves", where, 0, &moves, cause) != 0 ||
	    get_u32(j, k, "by", where, 0, &r.changed_by, cause) != 0 ||
	    get_i64(j, k, "at", where, 0, &r.changed_at, cause) != 0)
		goto fail;
	if (gen > UINT16_MAX) {
		set_cause(cause, "%s.gen: %" PRIu32 " is out of range", where, gen);
		goto fail;
	}
	if (tier > UINT8_MAX) {
		set_cause(cause, "%s.tier: %" PRIu32 " is out of range", where, tier);
		goto fail;
	}
	if (moves > UINT16_MAX) {
		set_cause(cause, "%s.moves: %" PRIu32 " is out of range", where, moves);
		goto fail;
	}
	r.moves = (uint16_t)moves;
	r.generation = (uint16_t)gen;
	r.tier = (uint8_t)tier;
	if ((s = seat_state_parse(state)) < 0) {
		set_cause(cause, "%s.state: unknown seat state \"%s\"", where, state);
		goto fail;
	}
	r.state = (enum seat_state)s;
	if (vv_parse(vv, &r.vv, &why) != 0) {
		set_cause(cause, "%s.vv: %s", where, why);
		free(why);
		goto fail;
	}
	*out = r;
	return 0;
fail:
	seat_rec_free(&r);
	return -1;
}

json_t *
proto_op_to_json(const struct op *o)
{
	json_t *j;

	j = json_pack("{s:I,s:I,s:s,s:I,s:o}", "dev", (json_int_t)o->device_id,
	    "seq", (json_int_t)o->seq, "kind", op_kind_name(o->kind), "at", (json_int_t)o->at,
	    "rec", proto_rec_to_json(&o->rec));
	if (o->pay[0] != '\0')
		json_object_set_new(j, "pay", json_string(o->pay));
	if (o->order != 0)
		json_object_set_new(j, "order", json_integer(o->order));
	return j;
}

json_t *
proto_rec_to_compact(const struct seat_rec *r)
{
	char *vv = vv_to_string(&r->vv);
	json_t *j;

	j = json_pack("[I,I,s,s,I,I,I,I,I,I,I,I,I,I,I,I]", (json_int_t)r->event_id,
	    (json_int_t)r->seat_id, seat_state_name(r->state), vv, (json_int_t)r->generation,
	    (json_int_t)r->key_id, (json_int_t)r->serial, (json_int_t)r->tier,
	    (json_int_t)r->price, (json_int_t)r->sold_at, (json_int_t)r->admitted_by,
	    (json_int_t)r->admitted_at, (json_int_t)r->exited_at, (json_int_t)r->moves,
	    (json_int_t)r->changed_by, (json_int_t)r->changed_at);
	free(vv);
	return j;
}

json_t *
proto_op_to_compact(const struct op *o)
{
	return json_pack("[I,I,s,I,s?,I,o]", (json_int_t)o->device_id, (json_int_t)o->seq,
	    op_kind_name(o->kind), (json_int_t)o->at, o->pay[0] != '\0' ? o->pay : NULL,
	    (json_int_t)o->order, proto_rec_to_compact(&o->rec));
}

int
proto_op_from_json(const json_t *j, const char *where, struct op *out, char **cause)
{
	struct op o;
	const char *kind = NULL, *pay = NULL;
	const char *const *keys;
	char *w;
	int k, rc;

	if (shape(j, op_keys, where, &keys, cause) != 0)
		return -1;
	memset(&o, 0, sizeof o);
	if (get_u32(j, keys, "dev", where, 1, &o.device_id, cause) != 0 ||
	    get_u32(j, keys, "seq", where, 1, &o.seq, cause) != 0 ||
	    get_str(j, keys, "kind", where, 1, &kind, cause) != 0 ||
	    get_i64(j, keys, "at", where, 1, &o.at, cause) != 0 ||
	    get_str(j, keys, "pay", where, 0, &pay, cause) != 0 ||
	    get_u32(j, keys, "order", where, 0, &o.order, cause) != 0)
		return -1;
	if ((k = op_kind_parse(kind)) < 0)
		return set_cause(cause, "%s.kind: unknown operation \"%s\"", where, kind);
	o.kind = (enum op_kind)k;
	if (pay != NULL) {
		if (strcmp(pay, "cash") != 0 && strcmp(pay, "card") != 0 &&
		    strcmp(pay, "comp") != 0)
			return set_cause(cause, "%s.pay: want cash, card or comp", where);
		strncpy(o.pay, pay, sizeof o.pay - 1);
	}
	w = xasprintf("%s.rec", where);
	rc = proto_rec_from_json(member(j, keys, "rec"), w, &o.rec, cause);
	free(w);
	if (rc != 0)
		return -1;
	*out = o;
	return 0;
}

json_t *
proto_conflict_to_json(const struct conflict *c)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "kind", conflict_kind_name(c->kind), "event", (json_int_t)c->event_id,
	    "seat", (json_int_t)c->seat_id, "winner", (json_int_t)c->winner_device,
	    "winner_at", (json_int_t)c->winner_at, "loser", (json_int_t)c->loser_device,
	    "loser_at", (json_int_t)c->loser_at, "loser_key", (json_int_t)c->loser_key_id,
	    "loser_serial", (json_int_t)c->loser_serial);
}

int
proto_conflict_from_json(const json_t *j, const char *where, struct conflict *out, char **cause)
{
	struct conflict c;
	const char *kind;
	int k;

	if (!json_is_object(j))
		return set_cause(cause, "%s: not an object", where);
	memset(&c, 0, sizeof c);
	if (proto_get_str(j, "kind", where, 1, &kind, cause) != 0 ||
	    proto_get_u32(j, "event", where, 1, &c.event_id, cause) != 0 ||
	    proto_get_u32(j, "seat", where, 1, &c.seat_id, cause) != 0 ||
	    proto_get_u32(j, "winner", where, 0, &c.winner_device, cause) != 0 ||
	    proto_get_i64(j, "winner_at", where, 0, &c.winner_at, cause) != 0 ||
	    proto_get_u32(j, "loser", where, 0, &c.loser_device, cause) != 0 ||
	    proto_get_i64(j, "loser_at", where, 0, &c.loser_at, cause) != 0 ||
	    proto_get_u32(j, "loser_key", where, 0, &c.loser_key_id, cause) != 0 ||
	    proto_get_u32(j, "loser_serial", where, 0, &c.loser_serial, cause) != 0)
		return -1;
	if ((k = conflict_kind_parse(kind)) <= 0)
		return set_cause(cause, "%s.kind: unknown conflict \"%s\"", where, kind);
	c.kind = (enum conflict_kind)k;
	*out = c;
	return 0;
}
