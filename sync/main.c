/*
 * main.c: tessera-sync, the central server and its admin commands.
 *
 *   tessera-sync COMMAND [SUBCOMMAND] [OPTIONS] [ARGUMENTS]
 *
 * The commands are in cmd_table (cmd.c), one file each (cmd-*.c); docs/tessera-sync.md
 * describes them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "keys.h"

static void
usage(FILE *f)
{
	fprintf(f, "%s: the Tessera sync server and its admin commands\n\n", CMD_PROGRAM);
	cmdline_print_usage(f, cmd_table, NULL);
	fprintf(f, "\n%s COMMAND --help describes a command; %s --version prints the version.\n",
	    CMD_PROGRAM, CMD_PROGRAM);
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

int
main(int argc, char **argv)
{
	const struct cmdline_cmd *e;
	int used;

	keys_init();
	tzset();
	if (argc < 2) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		usage(stdout);
		return CMD_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("%s %s (sync protocol %d)\n", CMD_PROGRAM, CMD_VERSION, PROTO_VERSION);
		return CMD_EXIT_OK;
	}

	e = cmdline_find(cmd_table, argc - 1, argv + 1, &used);
	if (e == NULL && used == 0) {
		fprintf(stderr, "%s: unknown command \"%s\"\n\n", CMD_PROGRAM, argv[1]);
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (e == NULL) {
		/* A group such as "venue" without one of its commands. */
		if (argc > 2 && is_help(argv[2])) {
			cmdline_print_usage(stdout, cmd_table, argv[1]);
			return CMD_EXIT_OK;
		}
		if (argc > 2)
			fprintf(stderr, "%s: unknown %s command \"%s\"\n", CMD_PROGRAM, argv[1],
			    argv[2]);
		else
			fprintf(stderr, "%s: %s needs a command\n", CMD_PROGRAM, argv[1]);
		cmdline_print_usage(stderr, cmd_table, argv[1]);
		return CMD_EXIT_USAGE;
	}
	return e->exec(e, argc - used, argv + used);
}
