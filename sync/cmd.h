/* cmd.h: tessera-sync's admin commands: one file per command, each exporting a descriptor. */
#ifndef TESSERA_CMD_H
#define TESSERA_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <getopt.h>

#include "cmdline.h"
#include "compat.h"
#include "store.h"

#define CMD_PROGRAM  "tessera-sync"
#define CMD_VERSION  "0.1.0"

/* Exit statuses of every command (docs/tessera-sync.md). */
#define CMD_EXIT_OK     0
#define CMD_EXIT_ERROR  1       /* understood, but refused or failed: nothing was changed */
#define CMD_EXIT_USAGE  2       /* the command line is wrong: nothing was opened */

/*
 * Each command is a struct cmdline_cmd (cmdline.h) with .prog = &cmd_prog; it prints errors with
 * cmdline_error(self, CMD_EXIT_ERROR, ...) and cmdline_usage_error(), and reads its options
 * with cmdline_getopt().
 */

/* cmd-*.c */
extern const struct cmdline_cmd cmd_init_entry;
extern const struct cmdline_cmd cmd_venue_import_entry, cmd_venue_list_entry;
extern const struct cmdline_cmd cmd_event_create_entry, cmd_event_list_entry;
extern const struct cmdline_cmd cmd_device_add_entry, cmd_device_list_entry,
    cmd_device_revoke_entry;
extern const struct cmdline_cmd cmd_report_sales_entry, cmd_report_attendance_entry,
    cmd_report_conflicts_entry;
extern const struct cmdline_cmd cmd_serve_entry;
extern const struct cmdline_cmd cmd_backup_entry;

/* cmd.c */
extern const struct cmdline_prog cmd_prog;           /* tessera-sync, for cmdline.h */
extern const struct cmdline_cmd *const cmd_table[];   /* NULL-terminated, in help order */

/* Open the store of --db (usage error when db is NULL). CMD_EXIT_OK with *st, or an exit status. */
int cmd_open(const struct cmdline_cmd *self, const char *db, struct store **st) WARN_UNUSED;

/* A decimal id from 1 to UINT32_MAX, nothing else. 0, or -1 with *out untouched. */
int cmd_parse_id(const char *s, uint32_t *out) WARN_UNUSED;

/*
 * An amount in major units with at most 2 decimals ("25", "25.5", "25.50") into minor units
 * (2550), exactly (no floating point). At most CMD_MONEY_MAX minor units; never negative.
 * 0, or -1 with *cause and *out untouched.
 */
#define CMD_MONEY_MAX  INT64_C(100000000000)       /* 1,000,000,000.00 */
int cmd_parse_money(const char *s, int64_t *out, char **cause) WARN_UNUSED;
/* minor units as "125.00", "-3.50", "0.07" into buf (CMD_MONEY_LEN is enough). */
#define CMD_MONEY_LEN  32
void cmd_format_money(int64_t minor, char *buf, size_t len);

/*
 * Text people give a name: 1 to max bytes of UTF-8 without control characters. 0, or -1 with
 * *cause ("--name: ...", what names the option).
 */
int cmd_check_text(const char *s, size_t max, const char *what, char **cause) WARN_UNUSED;

/*
 * A comma list of section names ("A,b,STALLS_1"): each 1 to VENUE_PART_MAX letters, digits or
 * '_', stored in upper case; no empty item, no name twice. On success 0 and *out is a new
 * NULL-terminated array for cmd_free_list(); else -1 with *cause and *out untouched.
 */
int cmd_parse_sections(const char *list, const char *what, char ***out, char **cause)
    WARN_UNUSED;
/* The names joined by ','; newly allocated. */
char *cmd_join(char **list);
void cmd_free_list(char **list);         /* NULL is fine */

/*
 * Rows of text to print as an aligned table or as CSV. headers is the column names joined by
 * '|'; a name that starts with '>' is right-aligned (numbers). Cells are added left to right,
 * a row at a time; a row is complete after as many cells as there are columns.
 */
struct cmd_rows;
struct cmd_rows *cmd_rows_new(const char *headers);    /* never NULL */
void cmd_rows_add(struct cmd_rows *r, const char *fmt, ...) PRINTFLIKE(2, 3);
size_t cmd_rows_count(const struct cmd_rows *r);       /* complete rows */
/*
 * Print the header then the rows. Text: columns padded to their widest cell (counting UTF-8
 * characters) and separated by two spaces. CSV (RFC 4180): the header in lower case with '_'
 * for spaces and '-', cells quoted where needed.
 */
void cmd_rows_print(const struct cmd_rows *r, FILE *f, int csv);
void cmd_rows_free(struct cmd_rows *r);                /* NULL is fine */

#endif
