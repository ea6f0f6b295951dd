/*
 * main.c: tessera-scanner, the gate: the screen by default, and check, inspect, enroll and
 * sync for scripts (scanner.c has the table; one file per command; docs/tessera-scanner.md).
 * Before any command runs, --config FILE is taken out of the arguments and the settings file
 * is read into scanner_config.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys.h"
#include "proto.h"
#include "scanner.h"

int
main(int argc, char **argv)
{
	const struct cmdline_cmd *c;
	const char *path;
	char *cause = NULL;
	int rc, used;

	setlocale(LC_ALL, "");
	keys_init();
	tzset();
	if (config_take_option(&argc, argv, &path, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", SCANNER_PROGRAM, cause);
		free(cause);
		return SCANNER_EXIT_ERROR;
	}
	if (argc >= 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		scanner_usage(stdout);
		return SCANNER_EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("%s %s (sync protocol %d)\n", SCANNER_PROGRAM, SCANNER_VERSION,
		    PROTO_VERSION);
		return SCANNER_EXIT_OK;
	}
	if (config_load_program("scanner", path, scanner_config_keys, scanner_nconfig_keys,
	    &scanner_config, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", SCANNER_PROGRAM, cause);
		free(cause);
		return SCANNER_EXIT_ERROR;
	}
	/* No command, or options first: the gate screen. */
	if (argc < 2 || argv[1][0] == '-')
		rc = scanner_cmd_screen.exec(&scanner_cmd_screen, argc, argv);
	else if ((c = cmdline_find(scanner_cmds, 1, argv + 1, &used)) == NULL) {
		fprintf(stderr, "%s: unknown command \"%s\"\n\n", SCANNER_PROGRAM, argv[1]);
		scanner_usage(stderr);
		rc = SCANNER_EXIT_ERROR;
	} else
		rc = c->exec(c, argc - 1, argv + 1);
	config_free(scanner_config);
	return rc;
}
