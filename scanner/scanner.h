/* scanner.h: tessera-scanner's commands (one file each) and what they share. */
#ifndef TESSERA_SCANNER_H
#define TESSERA_SCANNER_H

#include <stdint.h>
#include <stdio.h>

#include <getopt.h>

#include "cmdline.h"
#include "compat.h"
#include "config.h"
#include "gate.h"

#define SCANNER_PROGRAM  "tessera-scanner"
#define SCANNER_VERSION  "0.1.0"

/* Exit statuses (docs/tessera-scanner.md). check: 0 admit, 1 deny, 2 error. */
#define SCANNER_EXIT_OK     0
#define SCANNER_EXIT_DENY   1
#define SCANNER_EXIT_FAIL   1       /* enroll, sync, inspect: refused or failed */
#define SCANNER_EXIT_ERROR  2       /* a wrong command line, or check could not decide */

/*
 * Each command is a struct cmdline_cmd (cmdline.h) with .prog = &scanner_prog; it prints
 * errors with cmdline_error(self, status, ...) and cmdline_usage_error() (SCANNER_EXIT_ERROR),
 * and reads its options with cmdline_getopt(). screen is the nameless command: its usage and
 * help lines leave "screen" out.
 */

/* cmd-*.c, screen.c */
extern const struct cmdline_cmd scanner_cmd_enroll, scanner_cmd_sync, scanner_cmd_check,
    scanner_cmd_inspect, scanner_cmd_screen;

/* scanner.c */
extern const struct cmdline_prog scanner_prog;        /* tessera-scanner, for cmdline.h */
extern const struct cmdline_cmd *const scanner_cmds[];    /* NULL-terminated */
void scanner_usage(FILE *f);
/* A decimal id from 1 to UINT32_MAX. 0, or -1 with *out untouched. */
int scanner_parse_id(const char *s, uint32_t *out) WARN_UNUSED;
/* Minutes from 0 to 7 days, into seconds. 0, or -1. */
int scanner_parse_minutes(const char *s, int64_t *out) WARN_UNUSED;
/* The replica of --replica, or $TESSERA_REPLICA, or the settings file's replica, or NULL. */
const char *scanner_replica(const char *arg);

/*
 * The settings file (docs/configuration.md): the keys it may hold, and what main() read before
 * running any command, from --config FILE or else ~/.config/tessera/scanner.conf when there is
 * one (NULL: none; config_*() then give the defaults). Options on the command line win.
 */
extern const struct config_key scanner_config_keys[];
extern const size_t scanner_nconfig_keys;
extern struct config *scanner_config;

#endif
