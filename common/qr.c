/* qr.c: QR codes for tickets: libqrencode to encode, libpng for images, zbar to decode. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>
#include <zbar.h>

#include "qr.h"
#include "xmalloc.h"

/*
 * Sizes. A ticket's text is about 136 characters of the QR alphanumeric set: at level M that
 * is version 6, 41 x 41 modules. The PNG and SVG carry the standard 4-module quiet zone; the
 * terminal rendering only 2, to save screen lines (a terminal's dark surround is not a
 * problem for phones, which look for the light zone only).
 */
#define QR_QUIET_IMAGE	4
#define QR_QUIET_TEXT	2
/* The largest image file read: a 16-bit PGM of QR_MAX_DIM x QR_MAX_DIM and some header. */
#define QR_MAX_FILE	((size_t)QR_MAX_DIM * QR_MAX_DIM * 2 + 65536)

static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

struct qr_reader {
	zbar_image_scanner_t	*scanner;
};

/* A growable string for the renderers. */
struct qr_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
qr_buf_add(struct qr_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
qr_buf_str(struct qr_buf *b, const char *s)
{
	qr_buf_add(b, s, strlen(s));
}

int
qr_encode(const char *text, struct qr **out, char **cause)
{
	QRcode		*code;
	struct qr	*q;
	size_t		 i, n;

	if (text == NULL || *text == '\0')
		return set_cause(cause, "cannot encode an empty text as a QR code");

	/*
	 * QR_MODE_8 is only the hint for what is not numeric or alphanumeric: libqrencode still
	 * splits the text into the shortest mix of modes. Case-sensitive, so lower case is not
	 * folded into the alphanumeric set.
	 */
	errno = 0;
	code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (code == NULL) {
		if (errno == ERANGE) {
			return set_cause(cause, "text too long for a QR code (%zu bytes)",
			    strlen(text));
		}
		return set_cause(cause, "cannot encode QR code: %s",
		    strerror(errno != 0 ? errno : EINVAL));
	}

	q = xmalloc(sizeof *q);
	q->width = code->width;
	n = (size_t)code->width * (size_t)code->width;
	q->dark = xmalloc(n);
	for (i = 0; i < n; i++)
		q->dark[i] = code->data[i] & 1;
	QRcode_free(code);

	*out = q;
	return 0;
}

int
qr_version(const struct qr *q)
{
	return (q->width - 17) / 4;
}

void
qr_free(struct qr *q)
{
	if (q == NULL)
		return;
	free(q->dark);
	free(q);
}

/* Whether module (x, y) is dark; outside the symbol (the quiet zone) is light. */
static int
qr_module(const struct qr *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->dark[(size_t)y * (size_t)q->width + (size_t)x];
}

char *
qr_render_text(const struct qr *q)
{
	static const char *glyph[4] = {
		" ",		/* top dark, bottom dark */
		"\342\226\204",	/* U+2584 lower half: bottom light */
		"\342\226\200",	/* U+2580 upper half: top light */
		"\342\226\210",	/* U+2588 full block: both light */
	};
	struct qr_buf	 b = { NULL, 0, 0 };
	int		 lo = -QR_QUIET_TEXT, hi = q->width + QR_QUIET_TEXT;
	int		 x, y, top, bottom;

	/* Lit = light. The row below the last quiet row (odd count) is the terminal's dark. */
	for (y = lo; y < hi; y += 2) {
		for (x = lo; x < hi; x++) {
			top = !qr_module(q, x, y);
			bottom = y + 1 < hi && !qr_module(q, x, y + 1);
			qr_buf_str(&b, glyph[top << 1 | bottom]);
		}
		qr_buf_str(&b, "\n");
	}
	return b.p;
}

uint8_t *
qr_render_gray(const struct qr *q, int scale, int quiet, int *side)
{
	uint8_t		*px, *row;
	long long	 s;
	int		 n, x, y;

	if (scale < 1 || quiet < 0 || quiet > QR_MAX_DIM)
		return NULL;
	s = ((long long)q->width + 2LL * quiet) * scale;
	if (s > QR_MAX_DIM)
		return NULL;
	n = (int)s;

	px = xmalloc((size_t)n * (size_t)n);
	for (y = 0; y < n; y++) {
		row = px + (size_t)y * (size_t)n;
		for (x = 0; x < n; x++)
			row[x] = qr_module(q, x / scale - quiet, y / scale - quiet) ? 0 : 255;
	}
	*side = n;
	return px;
}

int
qr_png_memory(const struct qr *q, int scale, uint8_t **buf, size_t *len, char **cause)
{
	png_image	 img;
	uint8_t		*px, *out;
	size_t		 n;
	int		 side;

	px = qr_render_gray(q, scale, QR_QUIET_IMAGE, &side);
	if (px == NULL) {
		return set_cause(cause, "PNG scale %d out of range (image at most %d pixels)",
		    scale, QR_MAX_DIM);
	}

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)side;
	img.height = (png_uint_32)side;
	img.format = PNG_FORMAT_GRAY;

	n = PNG_IMAGE_PNG_SIZE_MAX(img);
	out = xmalloc(n);
	if (!png_image_write_to_memory(&img, out, &n, 0, px, 0, NULL)) {
		set_cause(cause, "cannot write PNG: %s", img.message);
		png_image_free(&img);
		free(out);
		free(px);
		return -1;
	}
	free(px);

	*buf = xreallocarray(out, n, 1);
	*len = n;
	return 0;
}

/* fsync the directory holding path, so that a rename into it is durable; best effort. */
static void
qr_sync_dir(const char *path)
{
	char		*dir, *slash;
	int		 fd;

	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int
qr_write_png(const struct qr *q, const char *path, int scale, char **cause)
{
	uint8_t		*buf;
	char		*tmp, *c;
	size_t		 len, off;
	ssize_t		 w;
	int		 fd;

	if (qr_png_memory(q, scale, &buf, &len, &c) != 0) {
		set_cause(cause, "%s: %s", path, c);
		free(c);
		return -1;
	}

	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd == -1) {
		set_cause(cause, "cannot create a temporary file for %s: %s", path,
		    strerror(errno));
		free(tmp);
		free(buf);
		return -1;
	}
	for (off = 0; off < len; off += (size_t)w) {
		w = write(fd, buf + off, len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w == -1)
			goto fail;
	}
	if (fchmod(fd, 0644) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	qr_sync_dir(path);

	free(tmp);
	free(buf);
	return 0;

fail:
	set_cause(cause, "cannot write %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(buf);
	return -1;
}

char *
qr_render_svg(const struct qr *q, int scale)
{
	struct qr_buf	 b = { NULL, 0, 0 };
	char		 tmp[256];
	int		 m, x, y, run, px;

	if (scale < 1)
		scale = 1;
	m = q->width + 2 * QR_QUIET_IMAGE;
	px = m * scale;
	snprintf(tmp, sizeof tmp,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n",
	    px, px, m, m);
	qr_buf_str(&b, tmp);
	qr_buf_str(&b, "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
	qr_buf_str(&b, "<path fill=\"#000\" d=\"");

	for (y = 0; y < q->width; y++) {
		for (x = 0; x < q->width; x += run) {
			for (run = 0; x + run < q->width && qr_module(q, x + run, y); run++)
				;
			if (run == 0) {
				run = 1;
				continue;
			}
			snprintf(tmp, sizeof tmp, "M%d %dh%dv1h-%dz", x + QR_QUIET_IMAGE,
			    y + QR_QUIET_IMAGE, run, run);
			qr_buf_str(&b, tmp);
		}
	}
	qr_buf_str(&b, "\"/>\n</svg>\n");
	return b.p;
}

struct qr_reader *
qr_reader_new(void)
{
	struct qr_reader	*r;

	r = xmalloc(sizeof *r);
	r->scanner = zbar_image_scanner_create();
	if (r->scanner == NULL) {
		fprintf(stderr, "tessera: out of memory creating a zbar scanner\n");
		abort();
	}
	/* QR codes only: every other symbology off. Texts are ASCII; no ZBAR_CFG_BINARY. */
	zbar_image_scanner_set_config(r->scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(r->scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	return r;
}

void
qr_reader_free(struct qr_reader *r)
{
	if (r == NULL)
		return;
	zbar_image_scanner_destroy(r->scanner);
	free(r);
}

int
qr_reader_decode(struct qr_reader *r, const uint8_t *pixels, int width, int height,
    char **text, char **cause)
{
	zbar_image_t		*img;
	const zbar_symbol_t	*sym;
	const char		*data;
	unsigned int		 len;
	int			 n;

	if (width < 1 || height < 1 || width > QR_MAX_DIM || height > QR_MAX_DIM) {
		return set_cause(cause, "bad image size %dx%d (at most %dx%d)", width, height,
		    QR_MAX_DIM, QR_MAX_DIM);
	}

	img = zbar_image_create();
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, (unsigned)width, (unsigned)height);
	zbar_image_set_data(img, pixels, (unsigned long)width * (unsigned long)height, NULL);

	n = zbar_scan_image(r->scanner, img);
	if (n < 0) {
		zbar_image_destroy(img);
		return set_cause(cause, "zbar cannot scan the image");
	}
	for (sym = zbar_image_first_symbol(img); sym != NULL; sym = zbar_symbol_next(sym)) {
		if (zbar_symbol_get_type(sym) == ZBAR_QRCODE)
			break;
	}
	if (sym == NULL) {
		zbar_image_destroy(img);
		return set_cause(cause, "no QR code found");
	}
	data = zbar_symbol_get_data(sym);
	len = zbar_symbol_get_data_length(sym);
	if (memchr(data, '\0', len) != NULL) {
		zbar_image_destroy(img);
		return set_cause(cause, "QR code holds a NUL byte");
	}
	*text = xstrndup(data, len);
	zbar_image_destroy(img);
	return 0;
}

int
qr_decode_gray(const uint8_t *pixels, int width, int height, char **text, char **cause)
{
	struct qr_reader	*r;
	int			 rc;

	r = qr_reader_new();
	rc = qr_reader_decode(r, pixels, width, height, text, cause);
	qr_reader_free(r);
	return rc;
}

static int
qr_load_png(const uint8_t *buf, size_t len, uint8_t **pixels, int *w, int *h, char **cause)
{
	static const png_color	 white = { 255, 255, 255 };
	png_image		 img;
	uint8_t			*px;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, buf, len)) {
		set_cause(cause, "corrupt PNG: %s", img.message);
		png_image_free(&img);
		return -1;
	}
	if (img.width > QR_MAX_DIM || img.height > QR_MAX_DIM) {
		set_cause(cause, "image too large (%ux%u, at most %dx%d)", (unsigned)img.width,
		    (unsigned)img.height, QR_MAX_DIM, QR_MAX_DIM);
		png_image_free(&img);
		return -1;
	}

	/* Any colour type and depth to 8-bit gray; alpha laid over white. */
	img.format = PNG_FORMAT_GRAY;
	px = xmalloc(PNG_IMAGE_SIZE(img));
	if (!png_image_finish_read(&img, &white, px, 0, NULL)) {
		set_cause(cause, "corrupt PNG: %s", img.message);
		png_image_free(&img);
		free(px);
		return -1;
	}
	*pixels = px;
	*w = (int)img.width;
	*h = (int)img.height;
	return 0;
}

/*
 * The next PGM header number at *off, skipping white space and # comments. Values past
 * 99999999 are held there (the caller's range checks refuse them). Returns -1 if no number.
 */
static int
qr_pgm_number(const uint8_t *buf, size_t len, size_t *off, unsigned long *out)
{
	size_t		 i = *off;
	unsigned long	 v = 0;

	for (;;) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
		    buf[i] == '\r' || buf[i] == '\v' || buf[i] == '\f'))
			i++;
		if (i >= len || buf[i] != '#')
			break;
		while (i < len && buf[i] != '\n' && buf[i] != '\r')
			i++;
	}
	if (i >= len || buf[i] < '0' || buf[i] > '9')
		return -1;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (unsigned long)(buf[i] - '0');
		if (v > 99999999UL)
			v = 99999999UL;
	}
	*off = i;
	*out = v;
	return 0;
}

static int
qr_load_pgm(const uint8_t *buf, size_t len, uint8_t **pixels, int *w, int *h, char **cause)
{
	uint8_t		*px = NULL;
	unsigned long	 width, height, maxval, v;
	size_t		 off = 2, n, i, bps;
	int		 plain = buf[1] == '2';

	if (qr_pgm_number(buf, len, &off, &width) != 0 ||
	    qr_pgm_number(buf, len, &off, &height) != 0 ||
	    qr_pgm_number(buf, len, &off, &maxval) != 0)
		return set_cause(cause, "corrupt PGM: bad header");
	if (width == 0 || height == 0)
		return set_cause(cause, "corrupt PGM: empty image");
	if (width > QR_MAX_DIM || height > QR_MAX_DIM) {
		return set_cause(cause, "image too large (%lux%lu, at most %dx%d)", width, height,
		    QR_MAX_DIM, QR_MAX_DIM);
	}
	if (maxval == 0 || maxval > 65535)
		return set_cause(cause, "corrupt PGM: maxval %lu not in 1..65535", maxval);
	n = (size_t)width * (size_t)height;

	if (plain) {
		px = xmalloc(n);
		for (i = 0; i < n; i++) {
			if (qr_pgm_number(buf, len, &off, &v) != 0) {
				free(px);
				return set_cause(cause, "corrupt PGM: truncated pixel data");
			}
			if (v > maxval)
				v = maxval;
			px[i] = (uint8_t)((v * 255 + maxval / 2) / maxval);
		}
		goto done;
	}

	/* P5: exactly one white space character, then the raster. */
	if (off >= len || (buf[off] != ' ' && buf[off] != '\t' && buf[off] != '\n' &&
	    buf[off] != '\r' && buf[off] != '\v' && buf[off] != '\f'))
		return set_cause(cause, "corrupt PGM: bad header");
	off++;
	bps = maxval > 255 ? 2 : 1;
	if ((len - off) / bps < n)
		return set_cause(cause, "corrupt PGM: truncated pixel data");
	px = xmalloc(n);
	for (i = 0; i < n; i++) {
		if (bps == 2)
			v = (unsigned long)buf[off + 2 * i] << 8 | buf[off + 2 * i + 1];
		else
			v = buf[off + i];
		if (v > maxval)
			v = maxval;
		px[i] = maxval == 255 ? (uint8_t)v :
		    (uint8_t)((v * 255 + maxval / 2) / maxval);
	}

done:
	*pixels = px;
	*w = (int)width;
	*h = (int)height;
	return 0;
}

int
qr_load_memory(const uint8_t *buf, size_t len, uint8_t **pixels, int *w, int *h,
    char **cause)
{
	if (len >= sizeof png_magic && memcmp(buf, png_magic, sizeof png_magic) == 0)
		return qr_load_png(buf, len, pixels, w, h, cause);
	if (len >= 3 && buf[0] == 'P' && (buf[1] == '5' || buf[1] == '2') &&
	    (buf[2] == ' ' || buf[2] == '\t' || buf[2] == '\n' || buf[2] == '\r' ||
	    buf[2] == '#'))
		return qr_load_pgm(buf, len, pixels, w, h, cause);
	return set_cause(cause, "not a PNG or PGM image");
}

/* The whole file, up to QR_MAX_FILE bytes, into *buf (newly allocated). */
static int
qr_read_file(const char *path, uint8_t **buf, size_t *len, char **cause)
{
	struct stat	 st;
	uint8_t		*p = NULL;
	size_t		 n = 0, cap = 0;
	ssize_t		 r;
	int		 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return set_cause(cause, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > (off_t)QR_MAX_FILE)
		goto too_large;
	for (;;) {
		if (n == cap) {
			if (cap > QR_MAX_FILE)
				goto too_large;
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > QR_MAX_FILE + 1)
				cap = QR_MAX_FILE + 1;
			p = xreallocarray(p, cap, 1);
		}
		r = read(fd, p + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			set_cause(cause, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > QR_MAX_FILE)
		goto too_large;
	close(fd);
	*buf = p;
	*len = n;
	return 0;

too_large:
	set_cause(cause, "%s: image too large (file over %zu bytes)", path, QR_MAX_FILE);
fail:
	close(fd);
	free(p);
	return -1;
}

int
qr_load_gray(const char *path, uint8_t **pixels, int *w, int *h, char **cause)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	char	*c;

	if (qr_read_file(path, &buf, &len, cause) != 0)
		return -1;
	if (qr_load_memory(buf, len, pixels, w, h, &c) != 0) {
		set_cause(cause, "%s: %s", path, c);
		free(c);
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

int
qr_decode_memory(const uint8_t *buf, size_t len, char **text, char **cause)
{
	uint8_t	*px = NULL;
	int	 w = 0, h = 0, rc;

	if (qr_load_memory(buf, len, &px, &w, &h, cause) != 0)
		return -1;
	rc = qr_decode_gray(px, w, h, text, cause);
	free(px);
	return rc;
}

int
qr_decode_file(const char *path, char **text, char **cause)
{
	uint8_t	*px = NULL;
	char	*c;
	int	 w = 0, h = 0;

	if (qr_load_gray(path, &px, &w, &h, cause) != 0)
		return -1;
	if (qr_decode_gray(px, w, h, text, &c) != 0) {
		set_cause(cause, "%s: %s", path, c);
		free(c);
		free(px);
		return -1;
	}
	free(px);
	return 0;
}
