/*
 * test_printout.c: ticket printouts: the PNG decodes back to the ticket text and its pixels are
 * the ones the box office has always printed, the ESC/POS bytes hold the QR store command with
 * the text, the SVG holds the text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys.h"
#include "printout.h"
#include "qr.h"
#include "ticket.h"
#include "xmalloc.h"

static char *ticket_text;

static int
setup(void **state)
{
	struct keypair *kp = keypair_generate();
	struct ticket t = { TICKET_VERSION, 3, 1, 517, 42, 1, 0, 1893528000 };

	(void)state;
	ticket_text = ticket_sign(&t, kp);
	keypair_free(kp);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(ticket_text);
	return 0;
}

static struct printout
sample(void)
{
	struct printout p;

	memset(&p, 0, sizeof p);
	p.event_id = 1;
	p.event = "Rock & Roll <Live> at the Café";
	p.venue = "Riverside Theatre";
	p.starts_at = 1893528000;
	p.seat = "A-1-5";
	p.tier = "Stalls";
	p.price = 4500;
	p.currency = "EUR";
	p.order = 12;
	p.serial = 42;
	p.qr_text = ticket_text;
	return p;
}

static void
test_lines(void **state)
{
	struct printout p = sample();
	char lines[PRINTOUT_LINES][PRINTOUT_COLS];
	char *long_name, *f;

	(void)state;
	printout_lines(&p, lines);
	assert_string_equal(lines[0], "Rock & Roll <Live> at the Café");
	assert_string_equal(lines[3], "Seat A-1-5");
	assert_string_equal(lines[4], "Stalls  45.00 EUR");
	assert_string_equal(lines[5], "Order 12  Ticket 42");

	/* A long name is cut, never in the middle of a UTF-8 character. */
	long_name = xstrdup("ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé");
	p.event = long_name;
	printout_lines(&p, lines);
	assert_true(strlen(lines[0]) <= PRINTOUT_COLS - 1);
	assert_int_equal(strlen(lines[0]) % 2, 0);
	free(long_name);

	p.seat = "A-1-5/../../x";
	f = printout_filename(&p, "png");
	assert_string_equal(f, "1-A-1-5_.._.._x-42.png");
	free(f);
	p.seat = NULL;
	f = printout_filename(&p, "svg");
	assert_string_equal(f, "1-seat-42.svg");
	free(f);
}

static void
test_png_decodes(void **state)
{
	struct printout p = sample();
	char dir[] = "/tmp/tessera-test-printout-XXXXXX", path[128], *text = NULL;
	char *cause = NULL;
	uint8_t *buf, *px;
	size_t len;
	int w, h;

	(void)state;
	if (printout_png_memory(&p, &buf, &len, &cause) != 0)
		fail_msg("png: %s", cause);
	assert_true(len > 8 && memcmp(buf, "\211PNG\r\n\032\n", 8) == 0);
	if (qr_load_memory(buf, len, &px, &w, &h, &cause) != 0)
		fail_msg("load: %s", cause);
	assert_int_equal(w, PRINTOUT_PNG_WIDTH);
	assert_true(h > w);
	free(px);
	if (qr_decode_memory(buf, len, &text, &cause) != 0)
		fail_msg("decode: %s", cause);
	assert_string_equal(text, ticket_text);
	free(text);
	free(buf);

	/* Written to a file, as the sale does. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ticket.png", dir);
	if (printout_write_png(&p, path, &cause) != 0)
		fail_msg("write: %s", cause);
	if (qr_decode_file(path, &text, &cause) != 0)
		fail_msg("decode file: %s", cause);
	assert_string_equal(text, ticket_text);
	free(text);
	if (getenv("TESSERA_KEEP_PRINTOUT") == NULL)
		unlink(path);
	/* A folder that does not exist: an error naming the file. */
	snprintf(path, sizeof path, "%s/nowhere/ticket.png", dir);
	assert_int_equal(printout_write_png(&p, path, &cause), -1);
	assert_non_null(strstr(cause, "nowhere"));
	free(cause);
	if (getenv("TESSERA_KEEP_PRINTOUT") == NULL)
		rmdir(dir);
}

/*
 * The PNG's pixels, exactly: a 1-bit grey PNG; under the text, the QR code at 8 pixels a module
 * in its 4-module quiet zone, centred, and white below; the text rows as the renderer before the
 * 1-bit canvas drew them (their SHA-256, taken from that renderer), for a line that fits, one
 * folded to ASCII, one drawn smaller and one cut.
 */
static void
test_png_pixels(void **state)
{
	/* A 16-pixel margin, then six lines of 11 font rows at scales 4, 3, 3, 4, 3, 2. */
	static const int text_rows = 16 + 11 * (4 + 3 + 3 + 4 + 3 + 2);
	static const char text_sha256[] =
	    "84fb7f1b78ee79682beb1ff45321a8b68519fcadc615b6502d1e46252f7fd0b0";
	struct printout p = sample();
	struct qr *q;
	uint8_t *buf, *px, *row, digest[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], *cause = NULL;
	size_t len;
	int w, h, side, x0, x, y, mx, my, dark;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	p.qr_text = "TESSERA-PRINTOUT-PIXELS";
	p.venue = "The Riverside Theatre, Main Concert Hall";
	p.tier = "Stalls, Row K, Aisle Seats With Extra Legroom Near The Stage";
	if (printout_png_memory(&p, &buf, &len, &cause) != 0)
		fail_msg("png: %s", cause);
	/* IHDR: width, height, bit depth 1, colour type 0 (grey), no interlace. */
	assert_memory_equal(buf + 12, "IHDR", 4);
	assert_int_equal(buf[24], 1);
	assert_int_equal(buf[25], 0);
	assert_int_equal(buf[28], 0);
	if (qr_load_memory(buf, len, &px, &w, &h, &cause) != 0)
		fail_msg("load: %s", cause);
	free(buf);
	if (qr_encode(p.qr_text, &q, &cause) != 0)
		fail_msg("qr: %s", cause);
	side = (q->width + 2 * 4) * 8;
	assert_int_equal(w, PRINTOUT_PNG_WIDTH);
	assert_int_equal(h, text_rows + side + 16);

	x0 = (w - side) / 2 + 4 * 8;
	for (y = text_rows; y < h; y++) {
		row = px + (size_t)y * (size_t)w;
		for (x = 0; x < w; x++) {
			mx = x - x0 >= 0 ? (x - x0) / 8 : -1;
			my = y - text_rows - 4 * 8 >= 0 ? (y - text_rows - 4 * 8) / 8 : -1;
			dark = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
			    q->dark[(size_t)my * (size_t)q->width + (size_t)mx];
			if (row[x] != (dark ? 0 : 255))
				fail_msg("pixel (%d, %d) is %d", x, y, row[x]);
		}
	}
	qr_free(q);

	crypto_hash_sha256(digest, px, (unsigned long long)text_rows * (unsigned long long)w);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	assert_string_equal(hex, text_sha256);
	free(px);
}

/* Where needle (n bytes) starts in hay, or -1. */
static long
find(const uint8_t *hay, size_t len, const void *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++) {
		if (memcmp(hay + i, needle, n) == 0)
			return (long)i;
	}
	return -1;
}

static void
test_escpos(void **state)
{
	static const uint8_t model2[] = { 0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00 };
	static const uint8_t ecc_m[] = { 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31 };
	static const uint8_t print[] = { 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30 };
	static const uint8_t cut[] = { 0x1d, 0x56, 0x42 };
	struct printout p = sample();
	uint8_t *buf, store[8];
	size_t len, k = strlen(ticket_text) + 3;
	long at, m, pr;
	char *cause = NULL;

	(void)state;
	if (printout_escpos(&p, &buf, &len, &cause) != 0)
		fail_msg("escpos: %s", cause);
	assert_memory_equal(buf, "\x1b\x40", 2);                 /* ESC @ first */
	m = find(buf, len, model2, sizeof model2);
	assert_true(m > 0);
	assert_true(find(buf, len, ecc_m, sizeof ecc_m) > m);
	/* GS ( k pL pH 49 80 48 then exactly the ticket text. */
	store[0] = 0x1d;
	store[1] = 0x28;
	store[2] = 0x6b;
	store[3] = (uint8_t)(k & 0xff);
	store[4] = (uint8_t)(k >> 8);
	store[5] = 0x31;
	store[6] = 0x50;
	store[7] = 0x30;
	at = find(buf, len, store, sizeof store);
	assert_true(at > m);
	assert_memory_equal(buf + at + 8, ticket_text, strlen(ticket_text));
	pr = find(buf, len, print, sizeof print);
	assert_int_equal(pr, at + 8 + (long)strlen(ticket_text));
	assert_true(find(buf, len, cut, sizeof cut) > pr);
	/* Text in ASCII: the accent folded away, the seat there. */
	assert_true(find(buf, len, "at the Cafe", 11) > 0);
	assert_true(find(buf, len, "Seat A-1-5", 10) > 0);
	free(buf);

	p.qr_text = "";
	assert_int_equal(printout_escpos(&p, &buf, &len, &cause), -1);
	free(cause);
}

static void
test_escpos_appends(void **state)
{
	struct printout p = sample();
	char path[] = "/tmp/tessera-test-escpos-XXXXXX", *cause = NULL;
	uint8_t *buf;
	size_t len;
	struct stat sb;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(printout_escpos(&p, &buf, &len, &cause), 0);
	free(buf);
	assert_int_equal(printout_write_escpos(&p, path, &cause), 0);
	assert_int_equal(printout_write_escpos(&p, path, &cause), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((size_t)sb.st_size, 2 * len);          /* two tickets, one after the other */
	unlink(path);
	assert_int_equal(printout_write_escpos(&p, "/nonexistent/lp0", &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent/lp0"));
	free(cause);
}

static void
test_svg(void **state)
{
	struct printout p = sample();
	char *svg = NULL, *cause = NULL;

	(void)state;
	if (printout_svg(&p, &svg, &cause) != 0)
		fail_msg("svg: %s", cause);
	assert_true(strncmp(svg, "<?xml", 5) == 0);
	assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, ">Rock &amp; Roll &lt;Live&gt; at the Café</text>"));
	assert_non_null(strstr(svg, ">Seat A-1-5</text>"));
	assert_non_null(strstr(svg, ">Stalls  45.00 EUR</text>"));
	assert_non_null(strstr(svg, ticket_text));
	assert_non_null(strstr(svg, "<path fill=\"#000\""));
	assert_non_null(strstr(svg, "</svg>\n"));
	assert_null(strstr(svg, "<Live>"));
	free(svg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_png_decodes),
		cmocka_unit_test(test_png_pixels),
		cmocka_unit_test(test_escpos),
		cmocka_unit_test(test_escpos_appends),
		cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
