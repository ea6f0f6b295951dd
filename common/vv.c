/*
 * vv.c: per-seat version vectors.
 *
 * A vector is an array of (device, count) entries sorted by device, with no zero counts: a
 * device that is absent has count 0. Keeping that form canonical means two equal vectors have
 * equal arrays, equal text and equal bytes, so the encoding can be compared and hashed.
 *
 * a <= b when every entry of a is <= the same entry of b. vv_compare() walks both arrays once.
 *
 * Binary form (vv_encode): unsigned LEB128 varints, each at most 5 bytes and minimal (no
 * trailing 0x80 groups), so every vector has exactly one encoding:
 *
 *	n                     number of entries
 *	n times: delta count  device minus the previous entry's device (the first: minus 0),
 *	                      which is >= 1 after the first entry; count >= 1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vv.h"
#include "xmalloc.h"

#define VV_VARINT_MAX 5         /* bytes of a u32 varint */

void
vv_init(struct vv *v)
{
	v->n = 0;
	v->cap = 0;
	v->e = NULL;
}

void
vv_free(struct vv *v)
{
	free(v->e);
	vv_init(v);
}

static void
vv_reserve(struct vv *v, size_t n)
{
	size_t	cap;

	if (n <= v->cap)
		return;
	cap = v->cap < 4 ? 4 : v->cap;
	while (cap < n)
		cap = cap > SIZE_MAX / 2 ? n : cap * 2;
	v->e = xreallocarray(v->e, cap, sizeof *v->e);
	v->cap = cap;
}

/* Replace v's entries with the array e of n entries (taking ownership of e). */
static void
vv_take(struct vv *v, struct vv_entry *e, size_t n, size_t cap)
{
	free(v->e);
	v->e = e;
	v->n = n;
	v->cap = cap;
}

void
vv_copy(struct vv *dst, const struct vv *src)
{
	if (dst == src)
		return;
	vv_reserve(dst, src->n);
	if (src->n != 0)
		memcpy(dst->e, src->e, src->n * sizeof *src->e);
	dst->n = src->n;
}

/* The index of device in v, or where it would be inserted; *found says which. */
static size_t
vv_find(const struct vv *v, uint32_t device, int *found)
{
	size_t	lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->e[mid].device == device) {
			*found = 1;
			return mid;
		}
		if (v->e[mid].device < device)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

void
vv_increment(struct vv *v, uint32_t device)
{
	size_t	i;
	int	found;

	i = vv_find(v, device, &found);
	if (found) {
		if (v->e[i].count == UINT32_MAX) {
			fprintf(stderr, "tessera: version vector count overflow for device %u\n",
			    device);
			abort();
		}
		v->e[i].count++;
		return;
	}
	vv_reserve(v, v->n + 1);
	memmove(&v->e[i + 1], &v->e[i], (v->n - i) * sizeof *v->e);
	v->e[i].device = device;
	v->e[i].count = 1;
	v->n++;
}

void
vv_raise(struct vv *v, uint32_t device, uint32_t count)
{
	size_t	i;
	int	found;

	if (count == 0)
		return;
	i = vv_find(v, device, &found);
	if (found) {
		if (v->e[i].count < count)
			v->e[i].count = count;
		return;
	}
	vv_reserve(v, v->n + 1);
	memmove(&v->e[i + 1], &v->e[i], (v->n - i) * sizeof *v->e);
	v->e[i].device = device;
	v->e[i].count = count;
	v->n++;
}

uint32_t
vv_get(const struct vv *v, uint32_t device)
{
	size_t	i;
	int	found;

	i = vv_find(v, device, &found);
	return found ? v->e[i].count : 0;
}

enum vv_order
vv_compare(const struct vv *a, const struct vv *b)
{
	size_t	i = 0, j = 0;
	int	a_more = 0, b_more = 0;    /* some entry of a (b) is larger */

	while ((i < a->n || j < b->n) && !(a_more && b_more)) {
		if (j == b->n || (i < a->n && a->e[i].device < b->e[j].device)) {
			a_more = 1;             /* b's count is 0 there */
			i++;
		} else if (i == a->n || b->e[j].device < a->e[i].device) {
			b_more = 1;
			j++;
		} else {
			if (a->e[i].count > b->e[j].count)
				a_more = 1;
			else if (a->e[i].count < b->e[j].count)
				b_more = 1;
			i++;
			j++;
		}
	}
	if (a_more && b_more)
		return VV_CONCURRENT;
	if (a_more)
		return VV_AFTER;
	if (b_more)
		return VV_BEFORE;
	return VV_EQUAL;
}

void
vv_join(struct vv *a, const struct vv *b)
{
	struct vv_entry	*e;
	size_t		 i = 0, j = 0, n = 0, cap;

	if (b->n == 0 || a == b)
		return;
	cap = a->n + b->n;
	e = xreallocarray(NULL, cap, sizeof *e);
	while (i < a->n || j < b->n) {
		if (j == b->n || (i < a->n && a->e[i].device < b->e[j].device))
			e[n++] = a->e[i++];
		else if (i == a->n || b->e[j].device < a->e[i].device)
			e[n++] = b->e[j++];
		else {
			e[n] = a->e[i];
			if (b->e[j].count > e[n].count)
				e[n].count = b->e[j].count;
			n++;
			i++;
			j++;
		}
	}
	vv_take(a, e, n, cap);
}

const char *
vv_order_name(enum vv_order o)
{
	switch (o) {
	case VV_EQUAL:
		return "equal";
	case VV_BEFORE:
		return "before";
	case VV_AFTER:
		return "after";
	case VV_CONCURRENT:
		return "concurrent";
	}
	return "unknown";
}

static size_t
put_varint(uint8_t *p, uint32_t x)
{
	size_t	n = 0;

	while (x >= 0x80) {
		p[n++] = (uint8_t)(x | 0x80);
		x >>= 7;
	}
	p[n++] = (uint8_t)x;
	return n;
}

size_t
vv_encode(const struct vv *v, uint8_t **out)
{
	uint8_t		*buf;
	size_t		 len = 0, i;
	uint32_t	 prev = 0;

	if (v->n > UINT32_MAX) {
		/* Cannot happen: there are at most 2^32 devices and that much memory. */
		fprintf(stderr, "tessera: version vector of %zu entries\n", v->n);
		abort();
	}
	buf = xreallocarray(NULL, 1 + 2 * v->n, VV_VARINT_MAX);
	len += put_varint(buf + len, (uint32_t)v->n);
	for (i = 0; i < v->n; i++) {
		len += put_varint(buf + len, v->e[i].device - prev);
		len += put_varint(buf + len, v->e[i].count);
		prev = v->e[i].device;
	}
	*out = buf;
	return len;
}

/* Read one minimal u32 varint at *pos, advancing it. */
static int
get_varint(const uint8_t *buf, size_t len, size_t *pos, uint32_t *out, const char *what,
    char **cause)
{
	uint32_t	x = 0;
	size_t		i;
	uint8_t		b;

	for (i = 0; i < VV_VARINT_MAX; i++) {
		if (*pos + i >= len)
			return set_cause(cause, "version vector: truncated %s at byte %zu", what,
			    *pos + i);
		b = buf[*pos + i];
		if (i == VV_VARINT_MAX - 1 && (b & 0xf0) != 0)
			return set_cause(cause, "version vector: %s at byte %zu is longer than 5 "
			    "bytes or exceeds 32 bits", what, *pos);
		x |= (uint32_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			if (i > 0 && b == 0)
				return set_cause(cause, "version vector: overlong %s at byte %zu",
				    what, *pos);
			*pos += i + 1;
			*out = x;
			return 0;
		}
	}
	/* Not reached: the fifth byte either ends the varint or is refused above. */
	return set_cause(cause, "version vector: bad %s at byte %zu", what, *pos);
}

int
vv_decode(const uint8_t *buf, size_t len, struct vv *v, char **cause)
{
	struct vv_entry	*e = NULL;
	size_t		 pos = 0, i;
	uint32_t	 n, delta, count, device = 0;

	if (get_varint(buf, len, &pos, &n, "entry count", cause) != 0)
		return -1;
	/* Each entry takes at least two bytes: refuse a count the buffer cannot hold. */
	if (n > (len - pos) / 2)
		return set_cause(cause, "version vector: %u entries cannot fit in %zu bytes", n,
		    len - pos);
	if (n != 0)
		e = xreallocarray(NULL, n, sizeof *e);
	for (i = 0; i < n; i++) {
		if (get_varint(buf, len, &pos, &delta, "device", cause) != 0 ||
		    get_varint(buf, len, &pos, &count, "count", cause) != 0)
			goto fail;
		if (i > 0 && delta == 0) {
			set_cause(cause, "version vector: duplicate device %u", device);
			goto fail;
		}
		if (delta > UINT32_MAX - device) {
			set_cause(cause, "version vector: device ids out of order or beyond 32 bits");
			goto fail;
		}
		device += delta;
		if (count == 0) {
			set_cause(cause, "version vector: zero count for device %u", device);
			goto fail;
		}
		e[i].device = device;
		e[i].count = count;
	}
	if (pos != len) {
		set_cause(cause, "version vector: %zu trailing bytes", len - pos);
		goto fail;
	}
	vv_take(v, e, n, n);
	return 0;

fail:
	free(e);
	return -1;
}

char *
vv_to_string(const struct vv *v)
{
	char	*s, *p;
	size_t	 i, size;

	/* "4294967295:4294967295," is 22 bytes. */
	size = v->n * 22 + 1;
	s = p = xmalloc(size);
	*p = '\0';
	for (i = 0; i < v->n; i++) {
		p += snprintf(p, size - (size_t)(p - s), "%s%u:%u", i ? "," : "", v->e[i].device,
		    v->e[i].count);
	}
	return s;
}

/* A decimal u32 without sign, spaces or leading zeros, at *pp; advances *pp. */
static int
parse_u32(const char **pp, uint32_t *out)
{
	const char	*p = *pp;
	uint64_t	 x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > UINT32_MAX)
			return -1;
	}
	*pp = p;
	*out = (uint32_t)x;
	return 0;
}

int
vv_parse(const char *text, struct vv *v, char **cause)
{
	struct vv	 tmp;
	const char	*p = text;
	uint32_t	 device, count;

	vv_init(&tmp);
	while (*p != '\0') {
		if (tmp.n != 0 && *p++ != ',') {
			set_cause(cause, "version vector \"%.64s\": expected ',' at column %zu", text,
			    (size_t)(p - text));
			goto fail;
		}
		if (parse_u32(&p, &device) != 0) {
			set_cause(cause, "version vector \"%.64s\": expected a device id at column %zu",
			    text, (size_t)(p - text) + 1);
			goto fail;
		}
		if (*p++ != ':') {
			set_cause(cause, "version vector \"%.64s\": expected ':' at column %zu", text,
			    (size_t)(p - text));
			goto fail;
		}
		if (parse_u32(&p, &count) != 0 || count == 0) {
			set_cause(cause, "version vector \"%.64s\": expected a count from 1 to "
			    "4294967295 at column %zu", text, (size_t)(p - text) + 1);
			goto fail;
		}
		if (tmp.n != 0 && device <= tmp.e[tmp.n - 1].device) {
			set_cause(cause, "version vector \"%.64s\": device %u is out of order or "
			    "repeated", text, device);
			goto fail;
		}
		vv_reserve(&tmp, tmp.n + 1);
		tmp.e[tmp.n].device = device;
		tmp.e[tmp.n].count = count;
		tmp.n++;
	}
	vv_take(v, tmp.e, tmp.n, tmp.cap);
	return 0;

fail:
	vv_free(&tmp);
	return -1;
}
