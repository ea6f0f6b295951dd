/*
 * main.c: tessera-boxoffice, the box office: its screen and its commands.
 *
 *   tessera-boxoffice --replica FILE [--png DIR] [--svg DIR] [--escpos FILE]    the screen
 *   tessera-boxoffice COMMAND [SUBCOMMAND] [OPTIONS]                           a command
 *
 * The commands are in bo_cmd_table (bo-cmd.c); the screen is bo-app.c (what it does),
 * bo-state.c (what it shows) and bo-ui.c (curses). docs/tessera-boxoffice.md describes both.
 * Before anything runs, --config FILE is taken out of the arguments and the settings file is
 * read into bo_config; options given on the command line win over it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bo-app.h"
#include "bo-cmd.h"
#include "keys.h"

static void
usage(FILE *f)
{
	fprintf(f, "%s: the Tessera box office\n\n", BO_PROGRAM);
	bo_cmd_usage(f);
	fprintf(f, "\n%s COMMAND --help describes a command; --version prints the version.\n"
	    "The screen's options:\n"
	    "  --replica FILE    the box office's replica\n"
	    "  --png DIR         write each ticket as DIR/EVENT-SEAT-SERIAL.png\n"
	    "  --svg DIR         ... and as .svg\n"
	    "  --escpos FILE     print tickets on an ESC/POS receipt printer (a device or a file)\n"
	    "  --offline         never ask the server (sell leased seats only)\n"
	    "  --timeout MS      how long a sale waits for the server (default 300)\n"
	    "  --colours SCHEME  on, off, or a scheme: default, mono, colourblind\n"
	    "--config FILE (before or after the command) reads settings from FILE instead of\n"
	    "~/.config/tessera/boxoffice.conf: replica, server, pin, png, svg, escpos, timeout,\n"
	    "colours; options given on the command line win.\n", BO_PROGRAM);
}

static int
screen_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "png", required_argument, NULL, 'P' },
		{ "svg", required_argument, NULL, 'S' },
		{ "escpos", required_argument, NULL, 'E' },
		{ "offline", no_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "colours", required_argument, NULL, 'C' },
		{ "colors", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bo_app_options opts;
	char *end;
	int c;

	memset(&opts, 0, sizeof opts);
	opts.colours = -1;
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
		case 't':
			opts.timeout_ms = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || opts.timeout_ms < 1 ||
			    opts.timeout_ms > 60000) {
				fprintf(stderr, "%s: --timeout %s: want 1 to 60000 milliseconds\n",
				    BO_PROGRAM, optarg);
				return BO_EXIT_USAGE;
			}
			break;
		case 'C':
			if ((opts.colours = config_colours_parse(optarg)) < 0) {
				fprintf(stderr, "%s: --colours %s: want on, off, default, mono or "
				    "colourblind\n", BO_PROGRAM, optarg);
				return BO_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
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
	/* What the command line left unsaid, the settings file says. */
	if ((opts.replica = bo_cmd_replica(opts.replica)) == NULL) {
		fprintf(stderr, "%s: --replica FILE is required (or replica in the settings "
		    "file)\n\n", BO_PROGRAM);
		bo_cmd_usage(stderr);
		return BO_EXIT_USAGE;
	}
	if (opts.outputs.png_dir == NULL)
		opts.outputs.png_dir = config_text(bo_config, "png");
	if (opts.outputs.svg_dir == NULL)
		opts.outputs.svg_dir = config_text(bo_config, "svg");
	if (opts.outputs.escpos == NULL)
		opts.outputs.escpos = config_text(bo_config, "escpos");
	if (opts.timeout_ms == 0)
		opts.timeout_ms = config_number(bo_config, "timeout", 0);
	if (opts.colours < 0)
		opts.colours = config_colours(bo_config, "colours", CONFIG_COLOURS_DEFAULT);
	return bo_app_main(&opts);
}

int
main(int argc, char **argv)
{
	const struct cmdline_cmd *e;
	const char *path;
	char *cause = NULL;
	int used, rc;

	keys_init();
	tzset();
	if (config_take_option(&argc, argv, &path, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", BO_PROGRAM, cause);
		free(cause);
		return BO_EXIT_USAGE;
	}
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("%s %s\n", BO_PROGRAM, BO_VERSION);
		return BO_EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return BO_EXIT_OK;
	}
	if (config_load_program("boxoffice", path, bo_config_keys, bo_nconfig_keys, &bo_config,
	    &cause) != 0) {
		fprintf(stderr, "%s: %s\n", BO_PROGRAM, cause);
		free(cause);
		return BO_EXIT_USAGE;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		e = cmdline_find(bo_cmd_table, argc - 1, argv + 1, &used);
		if (e == NULL) {
			if (used == 1)
				fprintf(stderr, "%s: %s needs a subcommand\n\n", BO_PROGRAM, argv[1]);
			else
				fprintf(stderr, "%s: unknown command \"%s\"\n\n", BO_PROGRAM, argv[1]);
			bo_cmd_usage(stderr);
			rc = BO_EXIT_USAGE;
		} else
			rc = e->exec(e, argc - used, argv + used);
	} else
		rc = screen_main(argc, argv);
	config_free(bo_config);
	return rc;
}
