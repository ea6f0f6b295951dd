/* test_qr.c: common/qr.c: encode, render (text, gray, PNG, SVG), load images, decode. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>

#include "qr.h"
#include "xmalloc.h"

extern char **environ;

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static char	 tmpdir[256];
static char	 ticket[137];

/* "TS1:" and 132 characters walking the base45 alphabet by 7 (all 45 of them occur). */
static void
make_ticket(void)
{
	int	i;

	memcpy(ticket, "TS1:", 4);
	for (i = 0; i < 132; i++)
		ticket[4 + i] = alphabet[(i * 7) % 45];
	ticket[136] = '\0';
}

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static int
group_setup(void **state)
{
	const char	*t = getenv("TMPDIR");

	(void)state;
	make_ticket();
	snprintf(tmpdir, sizeof tmpdir, "%s/tessera-qr-XXXXXX", t != NULL ? t : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* The temporary directory holds only files. */
static int
group_teardown(void **state)
{
	DIR		*d;
	struct dirent	*de;

	(void)state;
	d = opendir(tmpdir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return rmdir(tmpdir);
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE	*f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *
read_all(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	uint8_t	*p = NULL;
	size_t	 n = 0, r;

	assert_non_null(f);
	do {
		p = xreallocarray(p, n + 4096, 1);
		r = fread(p + n, 1, 4096, f);
		n += r;
	} while (r == 4096);
	fclose(f);
	*len = n;
	return p;
}

static struct qr *
encode_ticket(void)
{
	struct qr	*q = NULL;
	char		*cause = NULL;

	assert_int_equal(qr_encode(ticket, &q, &cause), 0);
	assert_null(cause);
	assert_non_null(q);
	return q;
}

/*
 * Run argv (looked up in PATH), stdout to out_path if not NULL. Returns the exit status, or
 * -1 with errno when the program cannot be started (ENOENT: not installed).
 */
static int
run(char *const argv[], const char *out_path)
{
	posix_spawn_file_actions_t	 fa;
	pid_t				 pid;
	int				 rc, status;

	posix_spawn_file_actions_init(&fa);
	if (out_path != NULL) {
		posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC,
		    0644);
	}
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
test_encode_ticket(void **state)
{
	struct qr	*q = encode_ticket();

	(void)state;
	assert_int_equal(strlen(ticket), 136);
	/* Alphanumeric mode: 136 characters in 8-bit mode would need version 8. */
	print_message("136-character ticket: version %d, %d modules\n", qr_version(q), q->width);
	assert_true(qr_version(q) >= 1);
	assert_true(qr_version(q) <= 6);
	assert_int_equal(q->width, 17 + 4 * qr_version(q));
	qr_free(q);
	qr_free(NULL);
}

static void
test_encode_lowercase_is_bigger(void **state)
{
	struct qr	*upper, *lower;
	char		*text, *cause = NULL;
	size_t		 i;

	(void)state;
	/* Case-sensitive: lower case cannot use the alphanumeric mode and costs 8 bits. */
	text = xstrdup(ticket);
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] >= 'A' && text[i] <= 'Z')
			text[i] = (char)(text[i] - 'A' + 'a');
	}
	assert_int_equal(qr_encode(ticket, &upper, &cause), 0);
	assert_int_equal(qr_encode(text, &lower, &cause), 0);
	assert_true(qr_version(lower) > qr_version(upper));
	qr_free(upper);
	qr_free(lower);
	free(text);
}

static void
test_encode_errors(void **state)
{
	struct qr	*q = (struct qr *)&q;	/* a sentinel: must not change */
	char		*cause = NULL, *big;

	(void)state;
	assert_int_equal(qr_encode("", &q, &cause), -1);
	assert_non_null(strstr(cause, "empty"));
	free(cause);
	cause = NULL;

	big = xmalloc(8001);
	memset(big, 'x', 8000);
	big[8000] = '\0';
	assert_int_equal(qr_encode(big, &q, &cause), -1);
	assert_non_null(strstr(cause, "too long"));
	assert_ptr_equal(q, (struct qr *)&q);
	free(cause);
	free(big);

	/* A NULL cause is allowed. */
	assert_int_equal(qr_encode("", &q, NULL), -1);
}

static void
test_png_roundtrip(void **state)
{
	struct qr	*q = encode_ticket();
	char		*path = tmp_path("ticket.png"), *text = NULL, *cause = NULL;
	uint8_t		*buf, *px;
	size_t		 len;
	struct stat	 st;
	DIR		*d;
	struct dirent	*de;
	int		 w, h, n;

	(void)state;
	assert_int_equal(qr_write_png(q, path, 4, &cause), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* An 8-bit gray PNG with the 4-module quiet zone. */
	buf = read_all(path, &len);
	assert_true(len > 33);
	assert_memory_equal(buf, "\211PNG\r\n\032\n", 8);
	assert_int_equal(buf[24], 8);	/* bit depth */
	assert_int_equal(buf[25], 0);	/* colour type gray */
	free(buf);
	assert_int_equal(qr_load_gray(path, &px, &w, &h, &cause), 0);
	assert_int_equal(w, (q->width + 8) * 4);
	assert_int_equal(h, w);
	assert_int_equal(px[0], 255);
	assert_int_equal(px[(size_t)(4 * 4) * (size_t)w + 4 * 4], 0);	/* finder corner */
	free(px);

	assert_int_equal(qr_decode_file(path, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);

	/* Written again over itself; no temporary file left behind. */
	assert_int_equal(qr_write_png(q, path, 2, &cause), 0);
	d = opendir(tmpdir);
	assert_non_null(d);
	n = 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "ticket.png", 10) == 0)
			n++;
	}
	closedir(d);
	assert_int_equal(n, 1);

	free(path);
	qr_free(q);
}

static void
test_png_memory(void **state)
{
	struct qr	*q = encode_ticket();
	uint8_t		*buf = NULL;
	size_t		 len = 0;
	char		*text = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(qr_png_memory(q, 3, &buf, &len, &cause), 0);
	print_message("PNG at scale 3: %zu bytes\n", len);
	assert_int_equal(qr_decode_memory(buf, len, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);
	free(buf);

	/* The image would exceed QR_MAX_DIM, or no pixels at all. */
	buf = NULL;
	assert_int_equal(qr_png_memory(q, 1000, &buf, &len, &cause), -1);
	assert_null(buf);
	assert_non_null(strstr(cause, "out of range"));
	free(cause);
	assert_int_equal(qr_png_memory(q, 0, &buf, &len, NULL), -1);
	qr_free(q);
}

/* An RGBA PNG: black modules on a transparent background must be laid over white. */
static void
test_png_rgba_transparent(void **state)
{
	struct qr	*q = encode_ticket();
	png_image	 img;
	uint8_t		*gray, *rgba, *buf;
	size_t		 len, i, n;
	char		*text = NULL, *cause = NULL;
	int		 side;

	(void)state;
	gray = qr_render_gray(q, 3, 4, &side);
	assert_non_null(gray);
	n = (size_t)side * (size_t)side;
	rgba = xcalloc(n, 4);
	for (i = 0; i < n; i++)
		rgba[4 * i + 3] = gray[i] == 0 ? 255 : 0;	/* transparent black where light */

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = img.height = (png_uint_32)side;
	img.format = PNG_FORMAT_RGBA;
	len = PNG_IMAGE_PNG_SIZE_MAX(img);
	buf = xmalloc(len);
	assert_true(png_image_write_to_memory(&img, buf, &len, 0, rgba, 0, NULL));

	assert_int_equal(qr_decode_memory(buf, len, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);
	free(buf);
	free(rgba);
	free(gray);
	qr_free(q);
}

static void
test_pgm_roundtrip(void **state)
{
	struct qr	*q = encode_ticket();
	char		*path = tmp_path("ticket.pgm"), *text = NULL, *cause = NULL;
	char		*hdr, num[8];
	uint8_t		*px, *buf;
	size_t		 i, n, hl;
	int		 side;
	FILE		*f;

	(void)state;
	px = qr_render_gray(q, 4, 4, &side);
	assert_non_null(px);
	n = (size_t)side * (size_t)side;

	/* P5, 8-bit, with a comment. */
	hdr = xasprintf("P5\n# tessera test\n%d %d\n255\n", side, side);
	hl = strlen(hdr);
	buf = xmalloc(hl + n);
	memcpy(buf, hdr, hl);
	memcpy(buf + hl, px, n);
	write_file(path, buf, hl + n);
	free(buf);
	free(hdr);
	assert_int_equal(qr_decode_file(path, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);

	/* P5, 16-bit big-endian, maxval 65535. */
	hdr = xasprintf("P5 %d %d 65535\n", side, side);
	hl = strlen(hdr);
	buf = xmalloc(hl + 2 * n);
	memcpy(buf, hdr, hl);
	for (i = 0; i < n; i++)
		buf[hl + 2 * i] = buf[hl + 2 * i + 1] = px[i];
	assert_int_equal(qr_decode_memory(buf, hl + 2 * n, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);
	free(buf);
	free(hdr);

	/* P2, plain text, maxval 1. */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "P2\n%d %d\n1\n", side, side);
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%d%c", px[i] != 0, (i + 1) % (size_t)side ? ' ' : '\n');
		fputs(num, f);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(qr_decode_file(path, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);

	free(px);
	free(path);
	qr_free(q);
}

/* A 640x480 camera-like frame, mid gray with a little texture, the code pasted in the middle. */
static uint8_t *
make_frame(const struct qr *q, int fw, int fh)
{
	uint8_t	*frame, *code;
	int	 x, y, side, ox, oy;

	frame = xmalloc((size_t)fw * (size_t)fh);
	for (y = 0; y < fh; y++) {
		for (x = 0; x < fw; x++)
			frame[(size_t)y * (size_t)fw + (size_t)x] = (uint8_t)(96 + (x * 7 + y * 13) % 48);
	}
	if (q == NULL)
		return frame;
	code = qr_render_gray(q, 3, 4, &side);
	assert_non_null(code);
	ox = (fw - side) / 2;
	oy = (fh - side) / 2;
	for (y = 0; y < side; y++) {
		for (x = 0; x < side; x++) {
			frame[(size_t)(oy + y) * (size_t)fw + (size_t)(ox + x)] =
			    code[(size_t)y * (size_t)side + (size_t)x] ? 230 : 20;
		}
	}
	free(code);
	return frame;
}

static void
test_decode_frame(void **state)
{
	struct qr		*q = encode_ticket();
	struct qr_reader	*r;
	uint8_t			*frame, *blank;
	char			*text = NULL, *cause = NULL;
	int			 i;

	(void)state;
	frame = make_frame(q, 640, 480);
	blank = make_frame(NULL, 640, 480);

	assert_int_equal(qr_decode_gray(frame, 640, 480, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);

	/* One reader, frame after frame, with empty frames between. */
	r = qr_reader_new();
	for (i = 0; i < 3; i++) {
		text = NULL;
		assert_int_equal(qr_reader_decode(r, frame, 640, 480, &text, &cause), 0);
		assert_string_equal(text, ticket);
		free(text);
		text = NULL;
		assert_int_equal(qr_reader_decode(r, blank, 640, 480, &text, &cause), -1);
		assert_null(text);
		assert_string_equal(cause, "no QR code found");
		free(cause);
		cause = NULL;
	}
	assert_int_equal(qr_reader_decode(r, frame, 0, 480, &text, &cause), -1);
	assert_non_null(strstr(cause, "bad image size"));
	free(cause);
	qr_reader_free(r);
	qr_reader_free(NULL);

	free(blank);
	free(frame);
	qr_free(q);
}

static void
test_qrencode_tool(void **state)
{
	char	*path = tmp_path("tool.png"), *text = NULL, *cause = NULL;
	char	*argv[] = { (char *)"qrencode", (char *)"-o", path, (char *)"-l", (char *)"M",
		    ticket, NULL };
	int	 rc;

	(void)state;
	rc = run(argv, NULL);
	if (rc == -1 && errno == ENOENT) {
		print_message("SKIP: the qrencode command is not installed (scripts/install-deps)\n");
		free(path);
		skip();
	}
	assert_int_equal(rc, 0);
	/* A 1-bit palette PNG: libpng's transforms make it 8-bit gray. */
	assert_int_equal(qr_decode_file(path, &text, &cause), 0);
	assert_string_equal(text, ticket);
	free(text);
	free(path);
}

static void
test_zbarimg_tool(void **state)
{
	struct qr	*q = encode_ticket();
	char		*path = tmp_path("zbarimg.png"), *out = tmp_path("zbarimg.out");
	char		*argv[] = { (char *)"zbarimg", (char *)"--raw", (char *)"-q", path, NULL };
	char		*cause = NULL, *want;
	uint8_t		*buf;
	size_t		 len;
	int		 rc;

	(void)state;
	assert_int_equal(qr_write_png(q, path, 3, &cause), 0);
	rc = run(argv, out);
	if (rc == -1 && errno == ENOENT) {
		print_message("SKIP: the zbarimg command is not installed (scripts/install-deps)\n");
		free(out);
		free(path);
		qr_free(q);
		skip();
	}
	assert_int_equal(rc, 0);
	buf = read_all(out, &len);
	want = xasprintf("%s\n", ticket);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	free(want);
	free(buf);
	free(out);
	free(path);
	qr_free(q);
}

static void
test_render_text(void **state)
{
	struct qr	*q = encode_ticket();
	char		*s, *p, *nl;
	int		 lines = 0, cols, top = 0, bottom = 0, n = q->width + 4, x, y;
	uint8_t		*light;

	(void)state;
	s = qr_render_text(q);
	/* light[y * n + x] for the symbol and its 2-module quiet zone, read back from the text. */
	light = xcalloc((size_t)n + 1, (size_t)n);
	for (p = s; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		cols = 0;
		while (p < nl) {
			if (*p == ' ') {
				top = bottom = 0;
				p++;
			} else {
				assert_true(nl - p >= 3);
				assert_memory_equal(p, "\342\226", 2);
				switch ((uint8_t)p[2]) {
				case 0x80:
					top = 1; bottom = 0;
					break;
				case 0x84:
					top = 0; bottom = 1;
					break;
				case 0x88:
					top = bottom = 1;
					break;
				default:
					fail_msg("unexpected glyph byte %02x", (uint8_t)p[2]);
				}
				p += 3;
			}
			assert_true(cols < n);
			light[(size_t)(2 * lines) * (size_t)n + (size_t)cols] = (uint8_t)top;
			light[(size_t)(2 * lines + 1) * (size_t)n + (size_t)cols] = (uint8_t)bottom;
			cols++;
		}
		assert_int_equal(cols, n);
		lines++;
	}
	assert_int_equal(lines, (q->width + 5) / 2);

	for (y = 0; y < n; y++) {
		for (x = 0; x < n; x++) {
			if (x < 2 || y < 2 || x >= q->width + 2 || y >= q->width + 2)
				assert_int_equal(light[y * n + x], 1);	/* quiet zone */
			else {
				assert_int_equal(light[y * n + x],
				    !q->dark[(y - 2) * q->width + (x - 2)]);
			}
		}
	}
	/* The half row below the last quiet row is left to the terminal's background. */
	for (x = 0; x < n; x++)
		assert_int_equal(light[n * n + x], 0);

	free(light);
	free(s);
	qr_free(q);
}

static void
test_render_svg(void **state)
{
	struct qr	*q = encode_ticket();
	char		*s, *d, *end;
	uint8_t		*dark;
	int		 x, y, run, run2, used, i, rects = 0, count = 0, m = q->width + 8;
	char		 want[128];

	(void)state;
	s = qr_render_svg(q, 5);
	assert_true(strncmp(s, "<?xml version=\"1.0\"", 19) == 0);
	assert_non_null(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	snprintf(want, sizeof want, "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"", m * 5,
	    m * 5, m, m);
	assert_non_null(strstr(s, want));
	assert_int_equal(strcmp(s + strlen(s) - 7, "</svg>\n"), 0);
	d = strstr(s, "<path ");
	assert_non_null(d);
	assert_null(strstr(d + 1, "<path"));	/* one path */
	d = strstr(d, " d=\"");
	assert_non_null(d);
	d += 4;
	end = strchr(d, '"');
	assert_non_null(end);
	assert_non_null(strstr(end, "/>"));

	/* Rebuild the modules from the runs: exactly the dark ones, each once. */
	dark = xcalloc((size_t)m, (size_t)m);
	while (d < end) {
		assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used), 4);
		assert_int_equal(run, run2);
		assert_true(run >= 1 && x >= 4 && y >= 4 && x + run <= m - 4 && y < m - 4);
		for (i = 0; i < run; i++) {
			assert_int_equal(dark[y * m + x + i], 0);
			dark[y * m + x + i] = 1;
		}
		rects++;
		d += used;
	}
	assert_ptr_equal(d, end);
	for (y = 0; y < q->width; y++) {
		for (x = 0; x < q->width; x++) {
			assert_int_equal(dark[(y + 4) * m + x + 4], q->dark[y * q->width + x]);
			count += q->dark[y * q->width + x];
		}
	}
	print_message("SVG: %d dark modules in %d runs, %zu bytes\n", count, rects, strlen(s));
	free(dark);
	free(s);
	qr_free(q);
}

static void
test_render_gray_limits(void **state)
{
	struct qr	*q = encode_ticket();
	int		 side = -1;

	(void)state;
	assert_null(qr_render_gray(q, 0, 4, &side));
	assert_null(qr_render_gray(q, 1, -1, &side));
	assert_null(qr_render_gray(q, 200, 4, &side));
	assert_null(qr_render_gray(q, 1, 1 << 30, &side));
	assert_int_equal(side, -1);
	qr_free(q);
}

/* Returns -1 with a cause containing want, and leaves the out-parameters alone. */
static void
expect_file_error(const char *path, const char *want)
{
	char	*text = (char *)&text, *cause = NULL;

	assert_int_equal(qr_decode_file(path, &text, &cause), -1);
	assert_ptr_equal(text, (char *)&text);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" does not contain \"%s\"", cause, want);
	free(cause);
}

static void
test_errors(void **state)
{
	struct qr	*q = encode_ticket();
	char		*missing = tmp_path("missing.png"), *txt = tmp_path("notes.txt");
	char		*trunc = tmp_path("truncated.png"), *blank = tmp_path("blank.png");
	char		*big = tmp_path("big.pgm"), *short_pgm = tmp_path("short.pgm");
	char		*bad = tmp_path("bad.pgm"), *cause = NULL;
	uint8_t		*buf, *px;
	size_t		 len;
	png_image	 img;
	int		 w = -1;

	(void)state;
	expect_file_error(missing, "cannot open");
	expect_file_error(tmpdir, "cannot read");

	write_file(txt, "TS1:not an image\n", 17);
	expect_file_error(txt, "not a PNG or PGM image");
	expect_file_error(txt, txt);	/* the cause names the file */
	write_file(txt, "", 0);
	expect_file_error(txt, "not a PNG or PGM image");

	assert_int_equal(qr_png_memory(q, 4, &buf, &len, &cause), 0);
	write_file(trunc, buf, len / 2);
	expect_file_error(trunc, "corrupt PNG");
	write_file(trunc, buf, 40);
	expect_file_error(trunc, "corrupt PNG");
	buf[len / 2] ^= 0x55;	/* inside IDAT: CRC or zlib error */
	write_file(trunc, buf, len);
	expect_file_error(trunc, "corrupt PNG");
	free(buf);

	/* A well-formed white PNG. */
	px = xmalloc(100 * 100);
	memset(px, 255, 100 * 100);
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = img.height = 100;
	img.format = PNG_FORMAT_GRAY;
	assert_true(png_image_write_to_file(&img, blank, 0, px, 0, NULL));
	expect_file_error(blank, "no QR code found");
	free(px);

	write_file(big, "P5 9000 9000 255\n", 17);
	expect_file_error(big, "image too large");
	write_file(short_pgm, "P5 10 10 255\nabc", 16);
	expect_file_error(short_pgm, "corrupt PGM: truncated");
	write_file(bad, "P5 10 x 255\n", 12);
	expect_file_error(bad, "corrupt PGM: bad header");
	write_file(bad, "P5 10 10 0\n", 11);
	expect_file_error(bad, "corrupt PGM: maxval");
	write_file(bad, "P2 2 2 255\n0 0 0", 16);
	expect_file_error(bad, "corrupt PGM: truncated");

	/* qr_load_gray leaves its out-parameters alone on failure. */
	assert_int_equal(qr_load_gray(big, &px, &w, &w, &cause), -1);
	assert_int_equal(w, -1);
	free(cause);

	/* qr_write_png into a missing directory. */
	free(missing);
	missing = tmp_path("no/such/dir.png");
	assert_int_equal(qr_write_png(q, missing, 4, &cause), -1);
	assert_non_null(strstr(cause, "cannot create"));
	free(cause);

	free(bad);
	free(short_pgm);
	free(big);
	free(blank);
	free(trunc);
	free(txt);
	free(missing);
	qr_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_ticket),
		cmocka_unit_test(test_encode_lowercase_is_bigger),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_png_roundtrip),
		cmocka_unit_test(test_png_memory),
		cmocka_unit_test(test_png_rgba_transparent),
		cmocka_unit_test(test_pgm_roundtrip),
		cmocka_unit_test(test_decode_frame),
		cmocka_unit_test(test_qrencode_tool),
		cmocka_unit_test(test_zbarimg_tool),
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_svg),
		cmocka_unit_test(test_render_gray_limits),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
