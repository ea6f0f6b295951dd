/* cmdline.h: the command-line framework of the three programs: tables, help, errors, options. */
#ifndef TESSERA_CMDLINE_H
#define TESSERA_CMDLINE_H

#include <stdio.h>

#include <getopt.h>

#include "compat.h"

struct cmdline_cmd;

/*
 * A program: what its messages start with and how its commands differ. Each program defines
 * one (sync/cmd.c, boxoffice/bo-cmd.c, scanner/scanner.c) and its commands point to it.
 */
struct cmdline_prog {
	const char  *name;              /* "tessera-sync": the first word of every message */
	int          exit_ok;           /* the exit status after --help */
	int          exit_usage;        /* the exit status of a usage error */
	/*
	 * 1: a value given to an option that takes none ("--help=x") is reported as "--help
	 * takes no value" (tessera-sync); 0: as "unknown option --help=x".
	 */
	int          no_value_error;
	/*
	 * The command that runs when no command is named (tessera-scanner's screen), or NULL:
	 * its usage and help lines leave its name out. Its errors still carry the name.
	 */
	const struct cmdline_cmd *nameless;
};

/*
 * A command. name is the words that select it ("venue import"); usage its arguments; summary
 * one line for the program's --help; help what it does and its options, for CMD --help.
 * exec runs it with argv[0] the command's last word and returns an exit status; it prints
 * errors itself (cmdline_error, cmdline_usage_error) and frees what it made.
 */
struct cmdline_cmd {
	const char  *name;
	const char  *usage;
	const char  *summary;
	const char  *help;
	int        (*exec)(const struct cmdline_cmd *self, int argc, char **argv);
	const struct cmdline_prog *prog;
};

/*
 * The command of table (NULL-terminated) that argv (the words after the program name) names:
 * *used is set to how many words its name took (1 or 2). NULL when none matches; then *used
 * says how many words did match (0: no command starts with argv[0]; 1: argv[0] is a group such
 * as "venue" and argv[1] is missing or not one of its commands).
 */
const struct cmdline_cmd *cmdline_find(const struct cmdline_cmd *const *table, int argc,
    char **argv, int *used);
/*
 * "usage: PROGRAM NAME USAGE" on f for each command of table, or for those of one group (NULL:
 * all); the program's nameless command without its name.
 */
void cmdline_print_usage(FILE *f, const struct cmdline_cmd *const *table, const char *group);
/* The command's usage line, summary and help, on stdout. Returns the program's exit_ok. */
int cmdline_print_help(const struct cmdline_cmd *self);

/*
 * "PROGRAM NAME: message" on stderr (stdout flushed first). cmdline_error returns status;
 * cmdline_usage_error adds the usage line and a pointer to --help and returns the program's
 * exit_usage.
 */
int cmdline_error(const struct cmdline_cmd *self, int status, const char *fmt, ...)
    PRINTFLIKE(3, 4);
int cmdline_usage_error(const struct cmdline_cmd *self, const char *fmt, ...) PRINTFLIKE(2, 3);

/*
 * getopt_long over argv (options may come before or after the other arguments; "-" alone is
 * an argument). longopts must hold { "help", no_argument, NULL, 'h' }. Returns each option's
 * val (optarg set), then -1 with optind at the first other argument. On --help prints the help
 * and exits with exit_ok; on an unknown option or a missing value prints what was wrong and
 * exits with exit_usage (nothing is open yet).
 */
int cmdline_getopt(const struct cmdline_cmd *self, int argc, char **argv,
    const struct option *longopts);

#endif
