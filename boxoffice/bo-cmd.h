/* bo-cmd.h: tessera-boxoffice's commands: one descriptor each, listed in one table. */
#ifndef TESSERA_BO_CMD_H
#define TESSERA_BO_CMD_H

#include <stdint.h>
#include <stdio.h>

#include <getopt.h>

#include "cmdline.h"
#include "compat.h"
#include "config.h"

#define BO_PROGRAM  "tessera-boxoffice"
#define BO_VERSION  "0.1.0"

/* Exit statuses of every command (docs/tessera-boxoffice.md). */
#define BO_EXIT_OK     0
#define BO_EXIT_ERROR  1        /* refused or failed: a sale refused, the server unreachable */
#define BO_EXIT_USAGE  2        /* the command line is wrong: nothing was opened */

struct device;

/*
 * Each command is a struct cmdline_cmd (cmdline.h) with .prog = &bo_prog; it prints errors with
 * cmdline_error(self, BO_EXIT_ERROR, ...) and cmdline_usage_error(), and reads its options
 * with cmdline_getopt().
 */

/* bo-cmd-*.c */
extern const struct cmdline_cmd bo_cmd_enroll, bo_cmd_sync, bo_cmd_events, bo_cmd_sell,
    bo_cmd_lease, bo_cmd_refund, bo_cmd_report_shift, bo_cmd_shift_open, bo_cmd_shift_close;

/* bo-cmd.c */
extern const struct cmdline_prog bo_prog;              /* tessera-boxoffice, for cmdline.h */
extern const struct cmdline_cmd *const bo_cmd_table[];      /* NULL-terminated, in help order */
/* "usage: tessera-boxoffice ..." for the screen and for each command. */
void bo_cmd_usage(FILE *f);
/*
 * The settings file (docs/configuration.md): the keys it may hold, and what main() read before
 * running any command, from --config FILE or else ~/.config/tessera/boxoffice.conf when there
 * is one (NULL: none; config_*() then give the defaults). Options on the command line win.
 */
extern const struct config_key bo_config_keys[];
extern const size_t bo_nconfig_keys;
extern struct config *bo_config;
/* The replica of --replica, or else the settings file's, or NULL. */
const char *bo_cmd_replica(const char *arg);
/*
 * Open the device of --replica (or the settings file's replica), with the settings file's
 * online timeout: BO_EXIT_OK with *d, or an exit status (message printed).
 */
int bo_cmd_open(const struct cmdline_cmd *self, const char *replica, struct device **d)
    WARN_UNUSED;
/* A decimal id 1..UINT32_MAX. 0, or -1. */
int bo_cmd_parse_id(const char *s, uint32_t *out) WARN_UNUSED;
/* Split "A-1-5,A-1-6" (and repeated options) into a list; returns the new count. */
int bo_cmd_add_words(char ***list, int n, const char *arg);
void bo_cmd_free_words(char **list, int n);

#endif
