/*
 * main.c: tessera-scanner, the gate: the screen by default, and check, inspect, enroll and
 * sync for scripts (scanner.c has the table; one file per command; docs/tessera-scanner.md).
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keys.h"
#include "proto.h"
#include "scanner.h"

int
main(int argc, char **argv)
{
	const struct scanner_cmd *c;

	setlocale(LC_ALL, "");
	keys_init();
	tzset();
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
	/* No command, or options first: the gate screen. */
	if (argc < 2 || argv[1][0] == '-')
		return scanner_cmd_screen.exec(&scanner_cmd_screen, argc, argv);
	if ((c = scanner_find(argv[1])) == NULL) {
		fprintf(stderr, "%s: unknown command \"%s\"\n\n", SCANNER_PROGRAM, argv[1]);
		scanner_usage(stderr);
		return SCANNER_EXIT_ERROR;
	}
	return c->exec(c, argc - 1, argv + 1);
}
