/* vv.h: per-seat version vectors: a sparse map from device id to how many changes it made. */
#ifndef TESSERA_VV_H
#define TESSERA_VV_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

/* Entries sorted by device id, counts never zero. */
struct vv_entry {
	uint32_t device;
	uint32_t count;
};
struct vv {
	size_t           n;
	size_t           cap;
	struct vv_entry *e;
};

enum vv_order {
	VV_EQUAL,
	VV_BEFORE,          /* a < b: b descends from a */
	VV_AFTER,           /* a > b */
	VV_CONCURRENT,
};

void vv_init(struct vv *v);                        /* empty vector; no allocation */
void vv_free(struct vv *v);                        /* frees entries, leaves v empty */
void vv_copy(struct vv *dst, const struct vv *src);
void vv_increment(struct vv *v, uint32_t device);
uint32_t vv_get(const struct vv *v, uint32_t device);
enum vv_order vv_compare(const struct vv *a, const struct vv *b);
void vv_join(struct vv *a, const struct vv *b);    /* a := entry-wise max(a, b) */
const char *vv_order_name(enum vv_order o);

/*
 * Compact binary: LEB128 varints: entry count, then per entry the device id delta from the
 * previous entry and the count. The empty vector encodes to one byte 0.
 * *out is newly allocated; returns its length.
 */
size_t vv_encode(const struct vv *v, uint8_t **out);
/* Refuses trailing bytes, unsorted or duplicate devices, zero counts, overlong varints. */
int vv_decode(const uint8_t *buf, size_t len, struct vv *v, char **cause) WARN_UNUSED;

/* Text "3:2,7:1" (device:count, by device); "" for empty. Newly allocated. */
char *vv_to_string(const struct vv *v);
int vv_parse(const char *text, struct vv *v, char **cause) WARN_UNUSED;

#endif
