/*
 * main.c: tessera-boxoffice, the box office: its screen and its commands.
 *
 *   tessera-boxoffice --replica FILE [--png DIR] [--svg DIR] [--escpos FILE]    the screen
 *   tessera-boxoffice COMMAND [SUBCOMMAND] [OPTIONS]                           a command
 *
 * The commands are in bo_cmd_table (bo-cmd.c); the screen is bo-app.c (what it does),
 * bo-state.c (what it shows) and bo-ui.c (curses). docs/tessera-boxoffice.md describes both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bo-app.h"
#include "bo-cmd.h"
#include "keys.h"

static int
screen_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "png", required_argument, NULL, 'P' },
		{ "svg", required_argument, NULL, 'S' },
		{ "escpos", required_argument, NULL, 'E' },
		{ "offline", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bo_app_options opts;
	int c;

	memset(&opts, 0, sizeof opts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			opts.replica = optarg;
			break;
		case 'P':
			opts.outputs.png_dir = optarg;
			break;
		case 'S':
			opts.outputs.svg_dir = optarg;
			break;
		case 'E':
			opts.outputs.escpos = optarg;
			break;
		case 'o':
			opts.offline = 1;
			break;
		case 'h':
			printf("%s: the Tessera box office\n\n", BO_PROGRAM);
			bo_cmd_usage(stdout);
			printf("\n%s COMMAND --help describes a command.\n", BO_PROGRAM);
			return BO_EXIT_OK;
		case ':':
			fprintf(stderr, "%s: %s needs a value\n", BO_PROGRAM, argv[optind - 1]);
			return BO_EXIT_USAGE;
		default:
			fprintf(stderr, "%s: unknown option %s\n\n", BO_PROGRAM, argv[optind - 1]);
			bo_cmd_usage(stderr);
			return BO_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unknown command \"%s\"\n\n", BO_PROGRAM, argv[optind]);
		bo_cmd_usage(stderr);
		return BO_EXIT_USAGE;
	}
	if (opts.replica == NULL) {
		fprintf(stderr, "%s: --replica FILE is required\n\n", BO_PROGRAM);
		bo_cmd_usage(stderr);
		return BO_EXIT_USAGE;
	}
	return bo_app_main(&opts);
}

int
main(int argc, char **argv)
{
	const struct bo_cmd *e;
	int used;

	keys_init();
	tzset();
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("%s %s\n", BO_PROGRAM, BO_VERSION);
		return BO_EXIT_OK;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		e = bo_cmd_find(argc - 1, argv + 1, &used);
		if (e == NULL) {
			if (used == 1)
				fprintf(stderr, "%s: %s needs a subcommand\n\n", BO_PROGRAM, argv[1]);
			else
				fprintf(stderr, "%s: unknown command \"%s\"\n\n", BO_PROGRAM, argv[1]);
			bo_cmd_usage(stderr);
			return BO_EXIT_USAGE;
		}
		return e->exec(e, argc - used, argv + used);
	}
	return screen_main(argc, argv);
}
