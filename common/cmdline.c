/*
 * cmdline.c: what the three programs' command lines share: finding a command in a table, the
 * usage lines and help, error messages and getopt_long with --help and option errors handled.
 * Every message starts with the program's name (cmd->prog->name).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

/* Does word equal the n-th word (from 0) of name? */
static int
word_is(const char *name, int n, const char *word)
{
	const char *p = name, *end;

	while (n-- > 0) {
		if ((p = strchr(p, ' ')) == NULL)
			return 0;
		p++;
	}
	end = strchr(p, ' ');
	if (end == NULL)
		end = p + strlen(p);
	return strlen(word) == (size_t)(end - p) && strncmp(p, word, (size_t)(end - p)) == 0;
}

const struct cmdline_cmd *
cmdline_find(const struct cmdline_cmd *const *table, int argc, char **argv, int *used)
{
	const struct cmdline_cmd *const *e;

	*used = 0;
	if (argc < 1)
		return NULL;
	for (e = table; *e != NULL; e++) {
		if (!word_is((*e)->name, 0, argv[0]))
			continue;
		*used = 1;
		if (strchr((*e)->name, ' ') == NULL)
			return *e;
		if (argc >= 2 && word_is((*e)->name, 1, argv[1])) {
			*used = 2;
			return *e;
		}
	}
	return NULL;
}

/* "usage: PROGRAM NAME USAGE", the nameless command without NAME; no newline. */
static void
print_usage_line(FILE *f, const struct cmdline_cmd *c)
{
	if (c == c->prog->nameless)
		fprintf(f, "usage: %s %s", c->prog->name, c->usage);
	else
		fprintf(f, "usage: %s %s %s", c->prog->name, c->name, c->usage);
}

void
cmdline_print_usage(FILE *f, const struct cmdline_cmd *const *table, const char *group)
{
	const struct cmdline_cmd *const *e;

	for (e = table; *e != NULL; e++) {
		if (group == NULL || word_is((*e)->name, 0, group)) {
			print_usage_line(f, *e);
			fputc('\n', f);
		}
	}
}

int
cmdline_print_help(const struct cmdline_cmd *self)
{
	print_usage_line(stdout, self);
	printf("\n\n%s\n", self->summary);
	if (self->help != NULL && *self->help != '\0')
		printf("\n%s", self->help);
	return self->prog->exit_ok;
}

/* "PROGRAM NAME: message" on stderr, without a newline. */
static void
print_message(const struct cmdline_cmd *self, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s %s: ", self->prog->name, self->name);
	vfprintf(stderr, fmt, ap);
}

int
cmdline_error(const struct cmdline_cmd *self, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(self, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int
cmdline_usage_error(const struct cmdline_cmd *self, const char *fmt, ...)
{
	const char *prog = self->prog->name;
	va_list ap;

	va_start(ap, fmt);
	print_message(self, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s %s\n(%s %s --help says more)\n", prog, self->name,
	    self->usage, prog, self->name);
	return self->prog->exit_usage;
}

int
cmdline_getopt(const struct cmdline_cmd *self, int argc, char **argv,
    const struct option *longopts)
{
	const struct option *o;
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, ":h", longopts, NULL);
	switch (c) {
	case 'h':
		exit(cmdline_print_help(self));
	case ':':
		/* optopt is the option's val; find its name. */
		for (o = longopts; o->name != NULL; o++) {
			if (o->val == optopt)
				break;
		}
		exit(cmdline_usage_error(self, "--%s needs a value",
		    o->name != NULL ? o->name : "?"));
	case '?':
		/* A long option given a value it does not take comes here with its val. */
		for (o = longopts; self->prog->no_value_error && optopt != 0 && o->name != NULL;
		    o++) {
			if (o->val == optopt && strncmp(argv[optind - 1], "--", 2) == 0)
				exit(cmdline_usage_error(self, "--%s takes no value", o->name));
		}
		exit(cmdline_usage_error(self, "unknown option %s", argv[optind - 1]));
	default:
		return c;
	}
}
