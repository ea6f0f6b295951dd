/*
 * fuzz_proto.c: libFuzzer over what the server reads from a device's body: JSON, then an
 * operation, a seat record, a conflict. Whatever parses must encode and parse back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *j, *again;
	struct op o, o2;
	struct seat_rec r;
	struct conflict c;
	char *cause = NULL, *a, *b;

	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return 0;
	if (proto_op_from_json(j, "op", &o, &cause) == 0) {
		again = proto_op_to_json(&o);
		if (proto_op_from_json(again, "op", &o2, &cause) != 0)
			abort();
		a = json_dumps(again, JSON_SORT_KEYS);
		json_decref(again);
		again = proto_op_to_json(&o2);
		b = json_dumps(again, JSON_SORT_KEYS);
		if (strcmp(a, b) != 0)
			abort();
		free(b);
		json_decref(again);
		op_free(&o2);
		/* The compact form reads back as the same operation. */
		again = proto_op_to_compact(&o);
		if (proto_op_from_json(again, "op", &o2, &cause) != 0)
			abort();
		json_decref(again);
		again = proto_op_to_json(&o2);
		b = json_dumps(again, JSON_SORT_KEYS);
		if (strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
		json_decref(again);
		op_free(&o);
		op_free(&o2);
	} else
		free(cause);
	cause = NULL;
	seat_rec_init(&r, 0, 0);
	if (proto_rec_from_json(j, "rec", &r, &cause) == 0)
		seat_rec_free(&r);
	else
		free(cause);
	cause = NULL;
	if (proto_conflict_from_json(j, "conflict", &c, &cause) == 0) {
		again = proto_conflict_to_json(&c);
		json_decref(again);
	} else
		free(cause);
	json_decref(j);
	return 0;
}
