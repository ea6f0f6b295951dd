/* test_config.c: the settings file parser: values, types, every error with its line and column. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "xmalloc.h"

static const struct config_key keys[] = {
	{ "replica", CONFIG_PATH, 0, 0 },
	{ "server", CONFIG_URL, 0, 0 },
	{ "name", CONFIG_TEXT, 0, 0 },
	{ "bell", CONFIG_BOOL, 0, 0 },
	{ "timeout", CONFIG_NUMBER, 1, 60000 },
	{ "colours", CONFIG_COLOURS, 0, 0 },
};

/* A pointer that config_parse must leave alone when it fails. */
static long sentinel;
#define SENTINEL ((struct config *)(void *)&sentinel)

static struct config *
parse_ok(const char *text)
{
	struct config *c = NULL;
	char *cause = NULL;

	if (config_parse(text, strlen(text), "t.conf", keys, nitems(keys), &c, &cause) != 0)
		fail_msg("unexpected error: %s", cause);
	assert_null(cause);
	assert_non_null(c);
	return c;
}

static void
parse_fails_n(const char *text, size_t len, const char *want)
{
	struct config *c = SENTINEL;
	char *cause = NULL;

	assert_int_equal(config_parse(text, len, "t.conf", keys, nitems(keys), &c, &cause), -1);
	assert_ptr_equal(c, SENTINEL);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
parse_fails(const char *text, const char *want)
{
	parse_fails_n(text, strlen(text), want);
}

static void
test_values(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("# the front desk\n"
	    "\n"
	    "replica = /var/lib/tessera/front.db\n"
	    "  server=https://tickets.example.org:8443   # the central office\n"
	    "\tname =\tFront desk\t\n"
	    "bell = off\n"
	    "timeout = 750\n"
	    "colours = colourblind\n");
	assert_string_equal(config_text(c, "replica"), "/var/lib/tessera/front.db");
	assert_string_equal(config_text(c, "server"), "https://tickets.example.org:8443");
	assert_string_equal(config_text(c, "name"), "Front desk");
	assert_int_equal(config_bool(c, "bell", 1), 0);
	assert_int_equal(config_number(c, "timeout", 300), 750);
	assert_int_equal(config_colours(c, "colours", CONFIG_COLOURS_DEFAULT),
	    CONFIG_COLOURS_COLOURBLIND);
	assert_int_equal(config_line(c, "replica"), 3);
	assert_int_equal(config_line(c, "colours"), 8);
	assert_string_equal(config_text(c, "timeout"), "750");
	config_free(c);
}

static void
test_defaults(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("");
	assert_null(config_text(c, "replica"));
	assert_int_equal(config_bool(c, "bell", 1), 1);
	assert_int_equal(config_number(c, "timeout", 300), 300);
	assert_int_equal(config_colours(c, "colours", CONFIG_COLOURS_OFF), CONFIG_COLOURS_OFF);
	assert_int_equal(config_line(c, "bell"), 0);
	config_free(c);
	/* No file at all is the same as an empty one. */
	assert_null(config_text(NULL, "replica"));
	assert_int_equal(config_bool(NULL, "bell", 1), 1);
	assert_int_equal(config_number(NULL, "timeout", 300), 300);
	config_free(NULL);
	c = parse_ok("# only comments\n   # and blanks\n\t\n");
	assert_null(config_text(c, "name"));
	config_free(c);
}

static void
test_quotes_and_comments(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("name = \"  Door #2 \\\"north\\\" \\\\ \"  # quoted\n"
	    "replica = /tmp/a#b.db\n");
	assert_string_equal(config_text(c, "name"), "  Door #2 \"north\" \\ ");
	/* A '#' inside a word is part of the value; after a blank it starts a comment. */
	assert_string_equal(config_text(c, "replica"), "/tmp/a#b.db");
	config_free(c);
	c = parse_ok("name = a b   c # d\n");
	assert_string_equal(config_text(c, "name"), "a b   c");
	config_free(c);
}

static void
test_line_endings(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("\xef\xbb\xbfname = x\r\nbell = yes\r\ntimeout = 5");
	assert_string_equal(config_text(c, "name"), "x");
	assert_int_equal(config_bool(c, "bell", 0), 1);
	assert_int_equal(config_number(c, "timeout", 0), 5);
	config_free(c);
	/* UTF-8 is text. */
	c = parse_ok("name = Guichet à l'entrée ★\n");
	assert_string_equal(config_text(c, "name"), "Guichet à l'entrée ★");
	config_free(c);
}

static void
test_bools_and_colours(void **state)
{
	static const char *const on[] = { "on", "ON", "yes", "True", "1" };
	static const char *const off[] = { "off", "No", "false", "0" };
	size_t i;

	(void)state;
	for (i = 0; i < nitems(on); i++)
		assert_int_equal(config_bool_parse(on[i]), 1);
	for (i = 0; i < nitems(off); i++)
		assert_int_equal(config_bool_parse(off[i]), 0);
	assert_int_equal(config_bool_parse("2"), -1);
	assert_int_equal(config_bool_parse(""), -1);
	assert_int_equal(config_bool_parse("onn"), -1);
	assert_int_equal(config_colours_parse("on"), CONFIG_COLOURS_DEFAULT);
	assert_int_equal(config_colours_parse("default"), CONFIG_COLOURS_DEFAULT);
	assert_int_equal(config_colours_parse("off"), CONFIG_COLOURS_OFF);
	assert_int_equal(config_colours_parse("MONO"), CONFIG_COLOURS_OFF);
	assert_int_equal(config_colours_parse("colorblind"), CONFIG_COLOURS_COLOURBLIND);
	assert_int_equal(config_colours_parse("colourblind"), CONFIG_COLOURS_COLOURBLIND);
	assert_int_equal(config_colours_parse("rainbow"), -1);
}

static void
test_home(void **state)
{
	struct config *c;
	char *old = getenv("HOME") != NULL ? xstrdup(getenv("HOME")) : NULL;

	(void)state;
	setenv("HOME", "/home/cashier", 1);
	c = parse_ok("replica = ~/tessera/front.db\n");
	assert_string_equal(config_text(c, "replica"), "/home/cashier/tessera/front.db");
	config_free(c);
	c = parse_ok("replica = ~\n");
	assert_string_equal(config_text(c, "replica"), "/home/cashier");
	config_free(c);
	/* Only paths expand "~". */
	c = parse_ok("name = ~/x\n");
	assert_string_equal(config_text(c, "name"), "~/x");
	config_free(c);
	parse_fails("replica = ~root/x\n",
	    "t.conf:1:11: replica: only \"~/\" is understood, not \"~user\"");
	unsetenv("HOME");
	parse_fails("\nreplica = ~/x\n", "t.conf:2:11: replica: \"~\" needs $HOME, which is not set");
	if (old != NULL)
		setenv("HOME", old, 1);
	free(old);
}

static void
test_errors(void **state)
{
	(void)state;
	parse_fails("bell = on\nfrobnicate = 1\n", "t.conf:2:1: unknown key \"frobnicate\"");
	parse_fails("bell = on\n  bell = off\n", "t.conf:2:3: bell is set twice (first on line 1)");
	parse_fails("replica /tmp/x\n", "t.conf:1:9: want '=' after \"replica\"");
	parse_fails("replica\n", "t.conf:1:8: want '=' after \"replica\"");
	parse_fails("Replica = x\n", "t.conf:1:1: want a key (lower-case letters, digits, - and "
	    "_), then '=' and a value");
	parse_fails("= x\n", "t.conf:1:1: want a key (lower-case letters, digits, - and _), then "
	    "'=' and a value");
	parse_fails("name =\n", "t.conf:1:7: a value is missing after '='");
	parse_fails("name =   # nothing\n", "t.conf:1:10: a value is missing after '='");
	parse_fails("name = \"\"\n", "t.conf:1:8: a value is missing after '='");
	parse_fails("name = \"open\n", "t.conf:1:8: the quote is not closed on this line");
	parse_fails("name = \"a\\nb\"\n",
	    "t.conf:1:10: in quotes, a backslash goes before \" or \\ only");
	parse_fails("name = \"a\" b\n", "t.conf:1:12: unexpected text after the closing quote");
	parse_fails("name = a\x01" "b\n", "t.conf:1:9: control character 0x01");
	parse_fails("name = a\rb\n", "t.conf:1:9: control character 0x0d");
	parse_fails("name = a\x7f\n", "t.conf:1:9: control character 0x7f");
	parse_fails("# ok\nname = caf\xc3\n", "t.conf:2:11: not UTF-8 text");
	parse_fails("name = \xc0\xaf\n", "t.conf:1:8: not UTF-8 text");
	parse_fails("# \xff in a comment\n", "t.conf:1:3: not UTF-8 text");
	parse_fails_n("name = a\0b\n", 11, "t.conf:1:9: control character 0x00");
}

static void
test_type_errors(void **state)
{
	(void)state;
	parse_fails("bell = maybe\n", "t.conf:1:8: bell: want on or off");
	parse_fails("timeout = 0\n", "t.conf:1:11: timeout: want a whole number from 1 to 60000");
	parse_fails("timeout = 60001\n",
	    "t.conf:1:11: timeout: want a whole number from 1 to 60000");
	parse_fails("timeout = -5\n", "t.conf:1:11: timeout: want a whole number from 1 to 60000");
	parse_fails("timeout = 3s\n", "t.conf:1:11: timeout: want a whole number from 1 to 60000");
	parse_fails("timeout = 99999999999999999999999\n",
	    "t.conf:1:11: timeout: want a whole number from 1 to 60000");
	parse_fails("colours = rainbow\n", "t.conf:1:11: colours: want on, off, or a scheme: "
	    "default, mono, colourblind");
	parse_fails("server = tickets.example.org\n",
	    "t.conf:1:10: server: want an http:// or https:// URL");
	parse_fails("server = https://\n", "t.conf:1:10: server: want a host after https://");
	parse_fails("server = \"http://a b\"\n", "t.conf:1:10: server: want a host after http://");
}

static void
test_long_lines(void **state)
{
	struct config *c;
	char *text = xmalloc(CONFIG_LINE_MAX + 16);
	char *cause = NULL;

	(void)state;
	/* Exactly CONFIG_LINE_MAX bytes is fine; one more is not. */
	memcpy(text, "name = ", 7);
	memset(text + 7, 'x', CONFIG_LINE_MAX - 7);
	text[CONFIG_LINE_MAX] = '\n';
	assert_int_equal(config_parse(text, CONFIG_LINE_MAX + 1, "t.conf", keys, nitems(keys), &c,
	    &cause), 0);
	assert_int_equal(strlen(config_text(c, "name")), CONFIG_LINE_MAX - 7);
	config_free(c);
	text[CONFIG_LINE_MAX] = 'x';
	text[CONFIG_LINE_MAX + 1] = '\n';
	parse_fails_n(text, CONFIG_LINE_MAX + 2, "t.conf:1:4097: the line is longer than 4096 bytes");
	free(text);
}

static void
test_load_and_paths(void **state)
{
	struct config *c = SENTINEL;
	char dir[] = "/tmp/test_config.XXXXXX", *path, *cause = NULL, *big, *old, *xdg;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/scanner.conf", dir);

	/* Missing: an error only when the file was asked for. */
	assert_int_equal(config_load(path, 1, keys, nitems(keys), &c, &cause), -1);
	assert_ptr_equal(c, SENTINEL);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	cause = NULL;
	assert_int_equal(config_load(path, 0, keys, nitems(keys), &c, &cause), 0);
	assert_null(config_text(c, "replica"));
	config_free(c);

	/* The file's name in errors. */
	f = fopen(path, "w");
	fputs("bell = on\ntimeout = never\n", f);
	fclose(f);
	c = SENTINEL;
	assert_int_equal(config_load(path, 0, keys, nitems(keys), &c, &cause), -1);
	assert_ptr_equal(c, SENTINEL);
	big = xasprintf("%s:2:11: timeout: want a whole number from 1 to 60000", path);
	assert_string_equal(cause, big);
	free(big);
	free(cause);
	cause = NULL;

	/* Too large, and not a regular file. */
	big = xmalloc(CONFIG_FILE_MAX + 1);
	memset(big, '#', CONFIG_FILE_MAX + 1);
	f = fopen(path, "w");
	fwrite(big, 1, CONFIG_FILE_MAX + 1, f);
	fclose(f);
	free(big);
	assert_int_equal(config_load(path, 0, keys, nitems(keys), &c, &cause), -1);
	assert_non_null(strstr(cause, "larger than 65536 bytes"));
	free(cause);
	cause = NULL;
	assert_int_equal(config_load(dir, 0, keys, nitems(keys), &c, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	unlink(path);
	rmdir(dir);
	free(path);

	/* The default path: XDG_CONFIG_HOME when absolute, else HOME/.config, else none. */
	old = getenv("HOME") != NULL ? xstrdup(getenv("HOME")) : NULL;
	xdg = getenv("XDG_CONFIG_HOME") != NULL ? xstrdup(getenv("XDG_CONFIG_HOME")) : NULL;
	setenv("HOME", "/home/gate", 1);
	setenv("XDG_CONFIG_HOME", "/etc/xdg-user", 1);
	path = config_default_path("scanner");
	assert_string_equal(path, "/etc/xdg-user/tessera/scanner.conf");
	free(path);
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	path = config_default_path("boxoffice");
	assert_string_equal(path, "/home/gate/.config/tessera/boxoffice.conf");
	free(path);
	unsetenv("XDG_CONFIG_HOME");
	path = config_default_path("scanner");
	assert_string_equal(path, "/home/gate/.config/tessera/scanner.conf");
	free(path);
	unsetenv("HOME");
	assert_null(config_default_path("scanner"));
	if (old != NULL)
		setenv("HOME", old, 1);
	if (xdg != NULL)
		setenv("XDG_CONFIG_HOME", xdg, 1);
	free(old);
	free(xdg);
}

static void
test_take_option(void **state)
{
	char a0[] = "prog", a1[] = "--config", a2[] = "/etc/x.conf", a3[] = "check",
	    a4[] = "--config=/y.conf", a5[] = "--offline", a6[] = "--", a7[] = "--config",
	    a8[] = "z";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL };
	char *one[] = { a0, a3, a1, NULL }, *empty[] = { a0, NULL, NULL };
	char e1[] = "--config=";
	const char *path = NULL;
	char *cause = NULL;
	int argc = 9;

	(void)state;
	assert_int_equal(config_take_option(&argc, argv, &path, &cause), 0);
	/* The last one counts; nothing after "--" is touched. */
	assert_string_equal(path, "/y.conf");
	assert_int_equal(argc, 6);
	assert_string_equal(argv[1], "check");
	assert_string_equal(argv[2], "--offline");
	assert_string_equal(argv[3], "--");
	assert_string_equal(argv[4], "--config");
	assert_string_equal(argv[5], "z");
	assert_null(argv[6]);

	argc = 3;
	assert_int_equal(config_take_option(&argc, one, &path, &cause), -1);
	assert_string_equal(cause, "--config needs a FILE");
	free(cause);
	cause = NULL;
	empty[1] = e1;
	argc = 2;
	assert_int_equal(config_take_option(&argc, empty, &path, &cause), -1);
	free(cause);
	cause = NULL;
	argc = 1;
	path = "untouched";
	assert_int_equal(config_take_option(&argc, empty, &path, &cause), 0);
	assert_null(path);
}

static void
test_load_program(void **state)
{
	struct config *c = NULL;
	char dir[] = "/tmp/test_config.XXXXXX", *sub, *path, *cause = NULL, *old;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	old = getenv("XDG_CONFIG_HOME") != NULL ? xstrdup(getenv("XDG_CONFIG_HOME")) : NULL;
	setenv("XDG_CONFIG_HOME", dir, 1);
	/* No file: every key unset. */
	assert_int_equal(config_load_program("scanner", NULL, keys, nitems(keys), &c, &cause), 0);
	assert_null(config_text(c, "replica"));
	config_free(c);
	sub = xasprintf("%s/tessera", dir);
	path = xasprintf("%s/scanner.conf", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	f = fopen(path, "w");
	fputs("name = from the default file\n", f);
	fclose(f);
	assert_int_equal(config_load_program("scanner", NULL, keys, nitems(keys), &c, &cause), 0);
	assert_string_equal(config_text(c, "name"), "from the default file");
	config_free(c);
	/* Another program's file is not read. */
	assert_int_equal(config_load_program("boxoffice", NULL, keys, nitems(keys), &c, &cause),
	    0);
	assert_null(config_text(c, "name"));
	config_free(c);
	/* A file asked for must exist. */
	assert_int_equal(config_load_program("scanner", "/nonexistent/x.conf", keys, nitems(keys),
	    &c, &cause), -1);
	free(cause);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	free(path);
	free(sub);
	if (old != NULL)
		setenv("XDG_CONFIG_HOME", old, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_quotes_and_comments),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_bools_and_colours),
		cmocka_unit_test(test_home),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_type_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_load_and_paths),
		cmocka_unit_test(test_take_option),
		cmocka_unit_test(test_load_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
