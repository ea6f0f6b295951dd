/* test_cmdline.c: finding commands in a table, usage lines, help, error messages and options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmdline.h"

static int
exec_none(const struct cmdline_cmd *self, int argc, char **argv)
{
	(void)self;
	(void)argc;
	(void)argv;
	return 0;
}

extern const struct cmdline_cmd plain_init, plain_venue_import, plain_venue_list;
extern const struct cmdline_cmd bare_screen, bare_check;

/* Like tessera-sync: usage errors exit 2, a value given to a flag says so. */
static const struct cmdline_prog plain = { "prog", 0, 2, 1, NULL };
/* Like tessera-scanner: usage errors exit 3 here, screen runs without its name. */
static const struct cmdline_prog bare = { "gate", 0, 3, 0, &bare_screen };

const struct cmdline_cmd plain_init = { "init", "--db FILE", "Make a store.",
    "  --db FILE  the store\n", exec_none, &plain };
const struct cmdline_cmd plain_venue_import = { "venue import", "--db FILE VENUE",
    "Import a venue.", NULL, exec_none, &plain };
const struct cmdline_cmd plain_venue_list = { "venue list", "--db FILE", "List venues.", "",
    exec_none, &plain };
const struct cmdline_cmd bare_screen = { "screen", "[--bell]", "The screen.", NULL, exec_none,
    &bare };
const struct cmdline_cmd bare_check = { "check", "PAYLOAD", "Check a ticket.", NULL, exec_none,
    &bare };

static const struct cmdline_cmd *const plain_table[] = {
	&plain_init, &plain_venue_import, &plain_venue_list, NULL,
};
static const struct cmdline_cmd *const bare_table[] = { &bare_screen, &bare_check, NULL };

/* Everything f got since it was opened, as a string the caller frees. */
static char *
slurp(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

static void
find(const struct cmdline_cmd *const *table, const char *line, const struct cmdline_cmd *want,
    int want_used)
{
	char buf[128], *argv[8], *p;
	int argc = 0, used = -1;

	snprintf(buf, sizeof buf, "%s", line);
	for (p = strtok(buf, " "); p != NULL && argc < 8; p = strtok(NULL, " "))
		argv[argc++] = p;
	assert_ptr_equal(cmdline_find(table, argc, argv, &used), want);
	assert_int_equal(used, want_used);
}

static void
test_find(void **state)
{
	(void)state;
	find(plain_table, "init --db x", &plain_init, 1);
	find(plain_table, "venue import x", &plain_venue_import, 2);
	find(plain_table, "venue list", &plain_venue_list, 2);
	find(plain_table, "venue", NULL, 1);
	find(plain_table, "venue zap", NULL, 1);
	find(plain_table, "ven", NULL, 0);
	find(plain_table, "initx", NULL, 0);
	find(plain_table, "", NULL, 0);
	find(bare_table, "check x", &bare_check, 1);
	find(bare_table, "screen", &bare_screen, 1);
}

static void
test_print_usage(void **state)
{
	FILE *f;
	char *s;

	(void)state;
	assert_non_null(f = tmpfile());
	cmdline_print_usage(f, plain_table, NULL);
	cmdline_print_usage(f, plain_table, "venue");
	cmdline_print_usage(f, plain_table, "nothing");
	cmdline_print_usage(f, bare_table, NULL);
	s = slurp(f);
	assert_string_equal(s,
	    "usage: prog init --db FILE\n"
	    "usage: prog venue import --db FILE VENUE\n"
	    "usage: prog venue list --db FILE\n"
	    "usage: prog venue import --db FILE VENUE\n"
	    "usage: prog venue list --db FILE\n"
	    "usage: gate [--bell]\n"
	    "usage: gate check PAYLOAD\n");
	free(s);
	fclose(f);
}

/* What fn wrote on stdout and stderr (in one string, stdout first) and its status. */
static char *
capture(int (*fn)(void), int *status)
{
	FILE *out, *err;
	char *so, *se, *s;
	int o, e;

	fflush(stdout);
	fflush(stderr);
	assert_non_null(out = tmpfile());
	assert_non_null(err = tmpfile());
	o = dup(STDOUT_FILENO);
	e = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	*status = fn();
	fflush(stdout);
	fflush(stderr);
	dup2(o, STDOUT_FILENO);
	dup2(e, STDERR_FILENO);
	close(o);
	close(e);
	fseek(out, 0, SEEK_END);
	fseek(err, 0, SEEK_END);
	so = slurp(out);
	se = slurp(err);
	s = calloc(1, strlen(so) + strlen(se) + 2);
	assert_non_null(s);
	sprintf(s, "%s|%s", so, se);
	free(so);
	free(se);
	fclose(out);
	fclose(err);
	return s;
}

static int help_init(void) { return cmdline_print_help(&plain_init); }
static int help_list(void) { return cmdline_print_help(&plain_venue_list); }
static int help_screen(void) { return cmdline_print_help(&bare_screen); }
static int error_init(void) { return cmdline_error(&plain_init, 7, "no %s", "store"); }
static int usage_import(void) { return cmdline_usage_error(&plain_venue_import, "bad %d", 5); }
static int usage_screen(void) { return cmdline_usage_error(&bare_screen, "bad"); }

static void
expect(int (*fn)(void), const char *want, int want_status)
{
	char *s;
	int status;

	s = capture(fn, &status);
	assert_string_equal(s, want);
	assert_int_equal(status, want_status);
	free(s);
}

static void
test_messages(void **state)
{
	(void)state;
	expect(help_init,
	    "usage: prog init --db FILE\n\nMake a store.\n\n  --db FILE  the store\n|", 0);
	expect(help_list, "usage: prog venue list --db FILE\n\nList venues.\n|", 0);
	expect(help_screen, "usage: gate [--bell]\n\nThe screen.\n|", 0);
	expect(error_init, "|prog init: no store\n", 7);
	expect(usage_import, "|prog venue import: bad 5\nusage: prog venue import --db FILE VENUE\n"
	    "(prog venue import --help says more)\n", 2);
	/* The nameless command's errors still carry its name. */
	expect(usage_screen, "|gate screen: bad\nusage: gate screen [--bell]\n"
	    "(gate screen --help says more)\n", 3);
}

static const struct option longopts[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "csv", no_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Run getopt over the words of line in a child; its output and exit status, or 100 + count. */
static const struct cmdline_cmd *getopt_cmd;
static const char *getopt_line;

static int
run_getopt(void)
{
	char buf[128], *argv[8], *p;
	int argc = 0, n = 0;
	pid_t pid;
	int ws;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		snprintf(buf, sizeof buf, "%s", getopt_line);
		for (p = strtok(buf, " "); p != NULL && argc < 7; p = strtok(NULL, " "))
			argv[argc++] = p;
		argv[argc] = NULL;
		optind = 0;
		while (cmdline_getopt(getopt_cmd, argc, argv, longopts) != -1)
			n++;
		_exit(100 + n);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	return WEXITSTATUS(ws);
}

static void
opts(const struct cmdline_cmd *c, const char *line, const char *want, int want_status)
{
	getopt_cmd = c;
	getopt_line = line;
	expect(run_getopt, want, want_status);
}

static void
test_getopt(void **state)
{
	(void)state;
	opts(&plain_init, "init --db x --csv y", "|", 102);
	opts(&plain_init, "init --help", "usage: prog init --db FILE\n\nMake a store.\n\n"
	    "  --db FILE  the store\n|", 0);
	opts(&plain_init, "init --db", "|prog init: --db needs a value\n"
	    "usage: prog init --db FILE\n(prog init --help says more)\n", 2);
	opts(&plain_init, "init --bogus", "|prog init: unknown option --bogus\n"
	    "usage: prog init --db FILE\n(prog init --help says more)\n", 2);
	opts(&plain_init, "init --csv=1", "|prog init: --csv takes no value\n"
	    "usage: prog init --db FILE\n(prog init --help says more)\n", 2);
	/* Without no_value_error the same is an unknown option. */
	opts(&bare_check, "check --csv=1", "|gate check: unknown option --csv=1\n"
	    "usage: gate check PAYLOAD\n(gate check --help says more)\n", 3);
	opts(&bare_check, "check -", "|", 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_print_usage),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_getopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
