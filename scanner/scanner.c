/* scanner.c: tessera-scanner's command table and the helpers its commands share. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

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

const struct cmdline_prog scanner_prog = {
	.name = SCANNER_PROGRAM,
	.exit_ok = SCANNER_EXIT_OK,
	.exit_usage = SCANNER_EXIT_ERROR,
	.nameless = &scanner_cmd_screen,
};

const struct cmdline_cmd *const scanner_cmds[] = {
	&scanner_cmd_screen,
	&scanner_cmd_check,
	&scanner_cmd_inspect,
	&scanner_cmd_enroll,
	&scanner_cmd_sync,
	NULL,
};

void
scanner_usage(FILE *f)
{
	fprintf(f, "%s: the Tessera gate scanner\n\n", SCANNER_PROGRAM);
	cmdline_print_usage(f, scanner_cmds, NULL);
	fprintf(f, "\n%s COMMAND --help describes a command; without a command, the gate "
	    "screen.\n", SCANNER_PROGRAM);
	fprintf(f, "--config FILE (before or after the command) reads settings from FILE instead "
	    "of\n~/.config/tessera/scanner.conf; --version prints the version.\n");
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
