/*
 * fuzz_config.c: libFuzzer over config_parse: it fails with "file:line:column: ..." and returns
 * nothing, or it succeeds with values that are text and that, written back quoted, parse the
 * same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct config_key keys[] = {
	{ "replica", CONFIG_PATH, 0, 0 },
	{ "server", CONFIG_URL, 0, 0 },
	{ "pin", CONFIG_TEXT, 0, 0 },
	{ "bell", CONFIG_BOOL, 0, 0 },
	{ "timeout", CONFIG_NUMBER, 1, 60000 },
	{ "colours", CONFIG_COLOURS, 0, 0 },
};

/* key = "value" with " and \ escaped, for every key set. */
static char *
write_back(const struct config *c, size_t *len)
{
	const char *v, *p;
	size_t i, cap = 64, used = 0;
	char *buf = xmalloc(cap);

	for (i = 0; i < nitems(keys); i++) {
		if ((v = config_text(c, keys[i].name)) == NULL)
			continue;
		if (cap - used < strlen(keys[i].name) + 2 * strlen(v) + 16) {
			cap = used + strlen(keys[i].name) + 2 * strlen(v) + 64;
			buf = xreallocarray(buf, cap, 1);
		}
		used += (size_t)sprintf(buf + used, "%s = \"", keys[i].name);
		for (p = v; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf[used++] = '\\';
			buf[used++] = *p;
		}
		buf[used++] = '"';
		buf[used++] = '\n';
	}
	*len = used;
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL, *d = NULL;
	const char *v, *w, *p;
	char *cause = NULL, *text;
	size_t i, len;

	setenv("HOME", "/home/fuzz", 1);
	if (config_parse((const char *)data, size, "fuzz.conf", keys, nitems(keys), &c,
	    &cause) != 0) {
		if (c != NULL || cause == NULL || strncmp(cause, "fuzz.conf:", 10) != 0)
			abort();
		free(cause);
		return 0;
	}
	if (c == NULL || cause != NULL)
		abort();
	for (i = 0; i < nitems(keys); i++) {
		if ((v = config_text(c, keys[i].name)) == NULL) {
			if (config_line(c, keys[i].name) != 0)
				abort();
			continue;
		}
		if (*v == '\0' || config_line(c, keys[i].name) == 0)
			abort();
		for (p = v; *p != '\0'; p++) {
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				abort();
		}
		if (keys[i].type == CONFIG_NUMBER && (config_number(c, keys[i].name, 0) < 1 ||
		    config_number(c, keys[i].name, 0) > 60000))
			abort();
		if (keys[i].type == CONFIG_PATH && v[0] == '~')
			abort();
	}

	text = write_back(c, &len);
	/*
	 * A path that began with "~/" comes back with $HOME in front of it, so a line that was
	 * just within the limit may not be any more: such a file cannot be written back as is.
	 */
	{
		const char *q = text, *nl;
		int too_long = 0;

		while ((nl = memchr(q, '\n', len - (size_t)(q - text))) != NULL) {
			if (nl - q > CONFIG_LINE_MAX)
				too_long = 1;
			q = nl + 1;
		}
		if ((size_t)(q - text) < len && len - (size_t)(q - text) > CONFIG_LINE_MAX)
			too_long = 1;
		if (too_long) {
			free(text);
			config_free(c);
			return 0;
		}
	}
	if (config_parse(text, len, "again.conf", keys, nitems(keys), &d, &cause) != 0) {
		fprintf(stderr, "round trip: %s\n", cause);
		abort();
	}
	for (i = 0; i < nitems(keys); i++) {
		v = config_text(c, keys[i].name);
		w = config_text(d, keys[i].name);
		if ((v == NULL) != (w == NULL) || (v != NULL && strcmp(v, w) != 0))
			abort();
	}
	free(text);
	config_free(d);
	config_free(c);
	return 0;
}
