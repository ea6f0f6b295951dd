/* scanner.c: tessera-scanner's command table and the helpers its commands share. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scanner.h"

const struct config_key scanner_config_keys[] = {
	{ "replica", CONFIG_PATH, 0, 0 },
	{ "server", CONFIG_URL, 0, 0 },
	{ "pin", CONFIG_TEXT, 0, 0 },
	{ "camera", CONFIG_PATH, 0, 0 },
	{ "timeout", CONFIG_NUMBER, 1, 60000 },
	{ "bell", CONFIG_BOOL, 0, 0 },
	{ "colours", CONFIG_COLOURS, 0, 0 },
};
const size_t scanner_nconfig_keys = nitems(scanner_config_keys);
struct config *scanner_config;

const struct scanner_cmd *const scanner_cmds[] = {
	&scanner_cmd_screen,
	&scanner_cmd_check,
	&scanner_cmd_inspect,
	&scanner_cmd_enroll,
	&scanner_cmd_sync,
	NULL,
};

const struct scanner_cmd *
scanner_find(const char *name)
{
	const struct scanner_cmd *const *c;

	for (c = scanner_cmds; *c != NULL; c++) {
		if (strcmp((*c)->name, name) == 0)
			return *c;
	}
	return NULL;
}

void
scanner_usage(FILE *f)
{
	const struct scanner_cmd *const *c;

	fprintf(f, "%s: the Tessera gate scanner\n\n", SCANNER_PROGRAM);
	for (c = scanner_cmds; *c != NULL; c++) {
		if (*c == &scanner_cmd_screen)
			fprintf(f, "usage: %s %s\n", SCANNER_PROGRAM, (*c)->usage);
		else
			fprintf(f, "usage: %s %s %s\n", SCANNER_PROGRAM, (*c)->name, (*c)->usage);
	}
	fprintf(f, "\n%s COMMAND --help describes a command; without a command, the gate "
	    "screen.\n", SCANNER_PROGRAM);
	fprintf(f, "--config FILE (before or after the command) reads settings from FILE instead "
	    "of\n~/.config/tessera/scanner.conf; --version prints the version.\n");
}

static void
print_help(const struct scanner_cmd *self)
{
	if (self == &scanner_cmd_screen)
		printf("usage: %s %s\n\n%s\n", SCANNER_PROGRAM, self->usage, self->summary);
	else
		printf("usage: %s %s %s\n\n%s\n", SCANNER_PROGRAM, self->name, self->usage,
		    self->summary);
	if (self->help != NULL && *self->help != '\0')
		printf("\n%s", self->help);
}

int
scanner_error(const struct scanner_cmd *self, int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s %s: ", SCANNER_PROGRAM, self->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int
scanner_usage_error(const struct scanner_cmd *self, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s %s: ", SCANNER_PROGRAM, self->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s %s\n(%s %s --help says more)\n", SCANNER_PROGRAM,
	    self->name, self->usage, SCANNER_PROGRAM, self->name);
	return SCANNER_EXIT_ERROR;
}

int
scanner_getopt(const struct scanner_cmd *self, int argc, char **argv,
    const struct option *longopts)
{
	const struct option *o;
	int c;

	opterr = 0;
	/* "-" alone is an argument (standard input), which getopt leaves alone. */
	c = getopt_long(argc, argv, ":h", longopts, NULL);
	switch (c) {
	case 'h':
		print_help(self);
		exit(SCANNER_EXIT_OK);
	case ':':
		for (o = longopts; o->name != NULL; o++) {
			if (o->val == optopt)
				break;
		}
		exit(scanner_usage_error(self, "--%s needs a value",
		    o->name != NULL ? o->name : "?"));
	case '?':
		exit(scanner_usage_error(self, "unknown option %s", argv[optind - 1]));
	default:
		return c;
	}
}

int
scanner_parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
scanner_parse_minutes(const char *s, int64_t *out)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 7 * 24 * 60)
		return -1;
	*out = (int64_t)v * 60;
	return 0;
}

const char *
scanner_replica(const char *arg)
{
	const char *env;

	if (arg != NULL)
		return arg;
	env = getenv("TESSERA_REPLICA");
	if (env != NULL && *env != '\0')
		return env;
	return config_text(scanner_config, "replica");
}
