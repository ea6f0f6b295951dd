/* config.h: the device programs' settings files: "key = value" lines checked against known keys. */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <stddef.h>

#include "compat.h"

#define CONFIG_FILE_MAX   (64 * 1024)     /* bytes in one settings file */
#define CONFIG_LINE_MAX   4096            /* bytes in one line, without its line ending */

/*
 * The format (docs/configuration.md): UTF-8 text, one setting a line, "key = value". Blank
 * lines and lines whose first non-blank character is '#' are ignored; so is the rest of a line
 * from a '#' that follows a space or a tab. Spaces and tabs around the key, the '=' and the
 * value do not count. A value in double quotes keeps its spaces and '#' ("\"" and "\\" inside
 * are a quote and a backslash). Line endings LF or CRLF; a UTF-8 byte order mark is skipped.
 * Keys are lower case; each may be given once.
 */
enum config_type {
	CONFIG_TEXT,        /* 1 to CONFIG_LINE_MAX bytes, no control characters */
	CONFIG_PATH,        /* a file or folder; a leading "~/" (or "~" alone) is $HOME */
	CONFIG_URL,         /* http://HOST... or https://HOST... */
	CONFIG_BOOL,        /* on/off, yes/no, true/false, 1/0 (any case) */
	CONFIG_NUMBER,      /* a decimal integer from min to max */
	CONFIG_COLOURS,     /* on, off, or a scheme name (config_colours_parse) */
};

/* One key a program knows. The program's keys are an array; their order does not matter. */
struct config_key {
	const char        *name;
	enum config_type   type;
	long               min, max;        /* CONFIG_NUMBER only */
};

/* Colour schemes of the screens. */
enum config_colours {
	CONFIG_COLOURS_OFF = 0,             /* no colour: bold and reverse video only */
	CONFIG_COLOURS_DEFAULT,             /* green admits, red refuses */
	CONFIG_COLOURS_COLOURBLIND,         /* blue admits, yellow refuses: safe for red-green */
};

/* A parsed settings file: a value or nothing for each key of the program. */
struct config;

/*
 * Parse the settings in text (len bytes; need not be NUL-terminated; any bytes) against keys
 * (nkeys of them). filename names the text in messages (NULL gives "<config>"). On success *out
 * is a new config for config_free(). On the first error in file order returns -1, sets *cause
 * to a new "file:line:column: what is wrong" (column in bytes from 1) and leaves *out alone:
 * an unknown key, a key given twice, a line without '=', an unterminated quote, a control
 * character or invalid UTF-8, a line over CONFIG_LINE_MAX, an empty value, or a value its key's
 * type refuses. A "~" path with HOME unset is an error too.
 */
int config_parse(const char *text, size_t len, const char *filename,
    const struct config_key *keys, size_t nkeys, struct config **out, char **cause)
    WARN_UNUSED;

/*
 * Read the file at path (at most CONFIG_FILE_MAX bytes, a regular file) and config_parse() it
 * under that name. When the file does not exist: with must_exist an error, else success with
 * an empty config (every key unset). 0 with a new *out, or -1 with *cause and *out alone.
 */
int config_load(const char *path, int must_exist, const struct config_key *keys, size_t nkeys,
    struct config **out, char **cause) WARN_UNUSED;

/*
 * The default settings file of program ("scanner" gives ".../tessera/scanner.conf"):
 * under $XDG_CONFIG_HOME when it is set to an absolute path, else under $HOME/.config. Newly
 * allocated; NULL when neither is set.
 */
char *config_default_path(const char *program);

/*
 * A program's settings: the file at path when it is not NULL (it must exist), else the default
 * file of program (config_default_path), which may be missing (then an empty config).
 * 0 with a new *out, or -1 with *cause and *out alone.
 */
int config_load_program(const char *program, const char *path, const struct config_key *keys,
    size_t nkeys, struct config **out, char **cause) WARN_UNUSED;

/*
 * Take "--config FILE" and "--config=FILE" out of argv wherever they are (up to a "--"), so
 * that the commands never see them: the rest of argv (its NULL too) moves down and *argc goes
 * down. *path is the last FILE given (pointing into argv), or NULL. 0, or -1 with *cause when
 * --config is the last word or its FILE is empty.
 */
int config_take_option(int *argc, char **argv, const char **path, char **cause) WARN_UNUSED;

void config_free(struct config *c);                   /* NULL is fine */

/*
 * A key's value; the defaults when c is NULL or the key was not set. The key must be one of
 * those c was parsed with (else the program aborts: a bug). config_text gives the value as
 * written (a path with "~" expanded), for any type, borrowed from c.
 */
const char *config_text(const struct config *c, const char *key);
int config_bool(const struct config *c, const char *key, int def);
long config_number(const struct config *c, const char *key, long def);
int config_colours(const struct config *c, const char *key, int def);
/* The file's line that set key, or 0 when unset. */
unsigned int config_line(const struct config *c, const char *key);

/*
 * "on", "off", or a scheme name ("default", "mono", "colourblind" or "colorblind"), any case:
 * an enum config_colours, or -1. For options like --colours too.
 */
int config_colours_parse(const char *s);
/* on/off, yes/no, true/false, 1/0, any case: 1 or 0, or -1. */
int config_bool_parse(const char *s);

#endif
