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

/*
 * A struct vv owns its entries. Every vv passed to a function below must have been vv_init()ed
 * (or copied, decoded or parsed into); functions that replace a vector's contents free the old
 * entries themselves. None of them fails except decode and parse; allocation aborts on
 * out-of-memory (xmalloc.h).
 */
void vv_init(struct vv *v);                        /* empty vector; no allocation */
void vv_free(struct vv *v);                        /* frees entries, leaves v empty */
void vv_copy(struct vv *dst, const struct vv *src);        /* dst := src */
/* Count one more change by device. Aborts if its count would pass UINT32_MAX. */
void vv_increment(struct vv *v, uint32_t device);
uint32_t vv_get(const struct vv *v, uint32_t device);      /* 0 when absent */
/* device's count := max(its count, count); 0 changes nothing. */
void vv_raise(struct vv *v, uint32_t device, uint32_t count);
enum vv_order vv_compare(const struct vv *a, const struct vv *b);
void vv_join(struct vv *a, const struct vv *b);    /* a := entry-wise max(a, b); b may be a */
const char *vv_order_name(enum vv_order o);        /* "equal", "before", "after", "concurrent" */

/*
 * Compact binary: LEB128 varints: entry count, then per entry the device id delta from the
 * previous entry (the first entry: from 0) and the count. Every varint is minimal and at most
 * 5 bytes, so each vector has exactly one encoding. The empty vector encodes to one byte 0.
 * *out is newly allocated for the caller to free; returns its length.
 */
size_t vv_encode(const struct vv *v, uint8_t **out);
/*
 * The inverse of vv_encode. Refuses trailing bytes, truncated, overlong or over-32-bit
 * varints, unsorted or duplicate devices and zero counts: whatever it accepts re-encodes to
 * the same bytes. On success replaces *v; on failure sets *cause and leaves *v alone.
 */
int vv_decode(const uint8_t *buf, size_t len, struct vv *v, char **cause) WARN_UNUSED;

/* Text "3:2,7:1" (device:count, by device); "" for empty. Newly allocated for the caller. */
char *vv_to_string(const struct vv *v);
/*
 * The inverse of vv_to_string, as strictly: decimal without signs, spaces or leading zeros,
 * devices increasing, counts from 1. On success replaces *v; on failure sets *cause and leaves
 * *v alone.
 */
int vv_parse(const char *text, struct vv *v, char **cause) WARN_UNUSED;

#endif
