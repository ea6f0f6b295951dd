/*
 * cmd.c: the table of tessera-sync's commands and what they share beyond cmdline.c: opening
 * the store, money, names, and printing tables.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "venue.h"
#include "xmalloc.h"

const struct cmdline_prog cmd_prog = {
	.name = CMD_PROGRAM,
	.exit_ok = CMD_EXIT_OK,
	.exit_usage = CMD_EXIT_USAGE,
	.no_value_error = 1,
};

const struct cmdline_cmd *const cmd_table[] = {
	&cmd_init_entry,
	&cmd_venue_import_entry,
	&cmd_venue_list_entry,
	&cmd_event_create_entry,
	&cmd_event_list_entry,
	&cmd_device_add_entry,
	&cmd_device_list_entry,
	&cmd_device_revoke_entry,
	&cmd_report_sales_entry,
	&cmd_report_attendance_entry,
	&cmd_report_conflicts_entry,
	&cmd_serve_entry,
	&cmd_backup_entry,
	NULL,
};

int
cmd_open(const struct cmdline_cmd *self, const char *db, struct store **st)
{
	char *cause = NULL;

	if (db == NULL)
		return cmdline_usage_error(self,
		    "--db FILE is required (the store that %s init made)",
		    CMD_PROGRAM);
	if (store_open(db, st, &cause) != 0) {
		cmdline_error(self, CMD_EXIT_ERROR, "cannot open the store %s: %s", db, cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	return CMD_EXIT_OK;
}

int
cmd_parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (*s == '\0' || *s == '0' || strlen(s) > 10)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
cmd_parse_money(const char *s, int64_t *out, char **cause)
{
	const char *p = s;
	int64_t major = 0, minor = 0;
	int n = 0;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (major > CMD_MONEY_MAX / 100)
			goto big;
		major = major * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++n > 2)
				return set_cause(cause, "price \"%s\": at most 2 decimals (cents)", s);
			minor = minor * 10 + (*p - '0');
		}
		if (n == 0)
			goto bad;
		if (n == 1)
			minor *= 10;
	}
	if (*p != '\0')
		goto bad;
	if (major > CMD_MONEY_MAX / 100 || major * 100 + minor > CMD_MONEY_MAX)
		goto big;
	*out = major * 100 + minor;
	return 0;
bad:
	return set_cause(cause, "price \"%.40s\": want an amount in major units like 25, 25.5 or "
	    "25.50", s);
big:
	return set_cause(cause, "price \"%.40s\": too large", s);
}

void
cmd_format_money(int64_t minor, char *buf, size_t len)
{
	uint64_t a = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

	snprintf(buf, len, "%s%" PRIu64 ".%02" PRIu64, minor < 0 ? "-" : "", a / 100, a % 100);
}

/* Length of the UTF-8 sequence at p (1-4), or 0 when it is not valid UTF-8. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned int c = p[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp <= 0x9f)           /* C1 controls */
		return 0;
	return n;
}

int
cmd_check_text(const char *s, size_t max, const char *what, char **cause)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (*s == '\0')
		return set_cause(cause, "%s: empty", what);
	if (strlen(s) > max)
		return set_cause(cause, "%s: longer than %zu bytes", what, max);
	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return set_cause(cause, "%s: control character at byte %zu", what,
			    (size_t)(p - (const unsigned char *)s) + 1);
		if ((n = utf8_len(p)) == 0)
			return set_cause(cause, "%s: not UTF-8 text (byte %zu)", what,
			    (size_t)(p - (const unsigned char *)s) + 1);
		p += n;
	}
	return 0;
}

void
cmd_free_list(char **list)
{
	char **p;

	if (list == NULL)
		return;
	for (p = list; *p != NULL; p++)
		free(*p);
	free(list);
}

int
cmd_parse_sections(const char *list, const char *what, char ***out, char **cause)
{
	char **names = NULL, name[VENUE_PART_MAX + 1];
	const char *p = list, *end;
	size_t n = 0, len, i;

	for (;;) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0) {
			set_cause(cause, "%s: an empty section name in \"%.60s\"", what, list);
			goto fail;
		}
		if (len > VENUE_PART_MAX) {
			set_cause(cause, "%s: section name \"%.*s\" is longer than %d characters",
			    what, (int)(len > 40 ? 40 : len), p, VENUE_PART_MAX);
			goto fail;
		}
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];

			if (!(c < 0x80 && (isalnum(c) || c == '_'))) {
				set_cause(cause, "%s: section name \"%.*s\": only letters, digits "
				    "and _ are allowed", what, (int)len, p);
				goto fail;
			}
			name[i] = (char)toupper(c);
		}
		name[len] = '\0';
		for (i = 0; i < n; i++) {
			if (strcmp(names[i], name) == 0) {
				set_cause(cause, "%s: section %s is listed twice", what, name);
				goto fail;
			}
		}
		names = xreallocarray(names, n + 2, sizeof *names);
		names[n++] = xstrdup(name);
		names[n] = NULL;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*out = names;
	return 0;
fail:
	cmd_free_list(names);
	return -1;
}

char *
cmd_join(char **list)
{
	size_t len = 1, i;
	char *s;

	for (i = 0; list[i] != NULL; i++)
		len += strlen(list[i]) + 1;
	s = xcalloc(1, len);
	for (i = 0; list[i] != NULL; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, list[i]);
	}
	return s;
}

/* ------------------------------------------------------------------ tables */

struct cmd_rows {
	size_t    ncols;
	char    **headers;
	int      *right;
	char    **cells;          /* row-major, ncells of them */
	size_t    ncells;
};

struct cmd_rows *
cmd_rows_new(const char *headers)
{
	struct cmd_rows *r = xcalloc(1, sizeof *r);
	const char *p = headers, *end;

	for (;;) {
		end = strchr(p, '|');
		if (end == NULL)
			end = p + strlen(p);
		r->headers = xreallocarray(r->headers, r->ncols + 1, sizeof *r->headers);
		r->right = xreallocarray(r->right, r->ncols + 1, sizeof *r->right);
		r->right[r->ncols] = *p == '>';
		if (*p == '>')
			p++;
		r->headers[r->ncols++] = xstrndup(p, (size_t)(end - p));
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return r;
}

void
cmd_rows_add(struct cmd_rows *r, const char *fmt, ...)
{
	va_list ap;
	char *cell;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	cell = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(cell, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r->cells = xreallocarray(r->cells, r->ncells + 1, sizeof *r->cells);
	r->cells[r->ncells++] = cell;
}

size_t
cmd_rows_count(const struct cmd_rows *r)
{
	return r->ncells / r->ncols;
}

/* Characters, not bytes, of UTF-8 text. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static void
csv_cell(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL && *s != ' ' &&
	    (*s == '\0' || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
cmd_rows_print(const struct cmd_rows *r, FILE *f, int csv)
{
	size_t nrows = cmd_rows_count(r), *w, i, j, pad, k;
	const char *cell;

	if (csv) {
		for (j = 0; j < r->ncols; j++) {
			const char *h;

			if (j > 0)
				fputc(',', f);
			for (h = r->headers[j]; *h != '\0'; h++)
				fputc(*h == ' ' || *h == '-' ? '_' : tolower((unsigned char)*h), f);
		}
		fputc('\n', f);
		for (i = 0; i < nrows; i++) {
			for (j = 0; j < r->ncols; j++) {
				if (j > 0)
					fputc(',', f);
				csv_cell(f, r->cells[i * r->ncols + j]);
			}
			fputc('\n', f);
		}
		return;
	}

	w = xcalloc(r->ncols, sizeof *w);
	for (j = 0; j < r->ncols; j++) {
		w[j] = width(r->headers[j]);
		for (i = 0; i < nrows; i++) {
			if (width(r->cells[i * r->ncols + j]) > w[j])
				w[j] = width(r->cells[i * r->ncols + j]);
		}
	}
	for (i = 0; i <= nrows; i++) {
		for (j = 0; j < r->ncols; j++) {
			cell = i == 0 ? r->headers[j] : r->cells[(i - 1) * r->ncols + j];
			pad = w[j] - width(cell);
			if (j > 0)
				fputs("  ", f);
			if (r->right[j]) {
				for (k = 0; k < pad; k++)
					fputc(' ', f);
			}
			fputs(cell, f);
			if (!r->right[j] && j + 1 < r->ncols) {
				for (k = 0; k < pad; k++)
					fputc(' ', f);
			}
		}
		fputc('\n', f);
	}
	free(w);
}

void
cmd_rows_free(struct cmd_rows *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncols; i++)
		free(r->headers[i]);
	for (i = 0; i < r->ncells; i++)
		free(r->cells[i]);
	free(r->headers);
	free(r->right);
	free(r->cells);
	free(r);
}
