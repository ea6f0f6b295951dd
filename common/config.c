/*
 * config.c: the device programs' settings files.
 *
 * A file is read whole and parsed line by line into one slot per known key (the program's
 * array of struct config_key): the value as text (a "~" path already expanded), and for
 * numbers, switches and colour schemes the value as a number, checked here so that the
 * program's getters never fail. The first error stops the parse and names its line and column;
 * nothing of a file that fails is returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "xmalloc.h"

struct config_value {
	int           set;
	unsigned int  line;
	char         *text;
	long          number;           /* NUMBER, BOOL (0/1), COLOURS (enum config_colours) */
};

struct config {
	const struct config_key  *keys;
	size_t                    nkeys;
	struct config_value      *values;
};

/* The parse in progress. */
struct parse {
	const char    *filename;
	const char    *linestart;
	unsigned int   line;
	char         **cause;
};

static int
fail_at(struct parse *ps, const char *at, const char *fmt, ...) PRINTFLIKE(3, 4);

static int
fail_at(struct parse *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return set_cause(ps->cause, "%s:%u:%u: %s", ps->filename, ps->line,
	    (unsigned int)(at - ps->linestart) + 1, msg);
}

/* Length of the UTF-8 sequence at p (before end): 1-4, or 0 when it is not valid UTF-8. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned int c = p[0], cp;
	size_t n, i;

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
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/* Every byte of the line is text: no control character but tab, valid UTF-8. */
static int
check_line(struct parse *ps, const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p, *e = (const unsigned char *)end;
	size_t n;

	while (u < e) {
		if ((*u < 0x20 && *u != '\t') || *u == 0x7f)
			return fail_at(ps, (const char *)u, "control character 0x%02x", *u);
		if ((n = utf8_len(u, e)) == 0)
			return fail_at(ps, (const char *)u, "not UTF-8 text");
		u += n;
	}
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
config_bool_parse(const char *s)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

int
config_colours_parse(const char *s)
{
	static const struct {
		const char *name;
		int         scheme;
	} names[] = {
		{ "on", CONFIG_COLOURS_DEFAULT }, { "default", CONFIG_COLOURS_DEFAULT },
		{ "off", CONFIG_COLOURS_OFF }, { "mono", CONFIG_COLOURS_OFF },
		{ "colourblind", CONFIG_COLOURS_COLOURBLIND },
		{ "colorblind", CONFIG_COLOURS_COLOURBLIND },
	};
	size_t i;

	for (i = 0; i < nitems(names); i++) {
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].scheme;
	}
	return -1;
}

/* Check value (from at) against its key's type; fill v. 0, or -1 with the message. */
static int
set_value(struct parse *ps, const struct config_key *k, struct config_value *v, char *value,
    const char *at)
{
	const char *home, *p;
	long n = 0;

	switch (k->type) {
	case CONFIG_TEXT:
		break;
	case CONFIG_PATH:
		if (value[0] != '~')
			break;
		if (value[1] != '\0' && value[1] != '/')
			return fail_at(ps, at, "%s: only \"~/\" is understood, not \"~user\"",
			    k->name);
		if ((home = getenv("HOME")) == NULL || *home == '\0')
			return fail_at(ps, at, "%s: \"~\" needs $HOME, which is not set", k->name);
		p = xasprintf("%s%s", home, value + 1);
		free(value);
		value = (char *)p;
		break;
	case CONFIG_URL:
		if (strncmp(value, "http://", 7) == 0)
			p = value + 7;
		else if (strncmp(value, "https://", 8) == 0)
			p = value + 8;
		else
			return fail_at(ps, at, "%s: want an http:// or https:// URL", k->name);
		if (*p == '\0' || *p == '/' || strpbrk(value, " \t") != NULL)
			return fail_at(ps, at, "%s: want a host after %.*s", k->name,
			    (int)(p - value), value);
		break;
	case CONFIG_BOOL:
		if ((n = config_bool_parse(value)) < 0)
			return fail_at(ps, at, "%s: want on or off", k->name);
		break;
	case CONFIG_NUMBER:
		for (p = value; *p >= '0' && *p <= '9'; p++) {
			if (n > (LONG_MAX - 9) / 10)
				break;
			n = n * 10 + (*p - '0');
		}
		if (p == value || *p != '\0' || n < k->min || n > k->max)
			return fail_at(ps, at, "%s: want a whole number from %ld to %ld", k->name,
			    k->min, k->max);
		break;
	case CONFIG_COLOURS:
		if ((n = config_colours_parse(value)) < 0)
			return fail_at(ps, at, "%s: want on, off, or a scheme: default, mono, "
			    "colourblind", k->name);
		break;
	}
	v->set = 1;
	v->line = ps->line;
	v->text = value;
	v->number = n;
	return 0;
}

/*
 * The value that starts at p (blanks skipped) and ends before end, into a new string in
 * *value, *at where it starts. 0, or -1 with the message.
 */
static int
read_value(struct parse *ps, const char *p, const char *end, char **value, const char **at)
{
	const char *q;
	char *buf, *w;

	while (p < end && is_blank(*p))
		p++;
	*at = p;
	if (p < end && *p == '"') {
		w = buf = xmalloc((size_t)(end - p) + 1);
		for (q = p + 1; q < end && *q != '"'; q++) {
			if (*q == '\\') {
				if (q + 1 < end && (q[1] == '"' || q[1] == '\\'))
					q++;
				else {
					free(buf);
					return fail_at(ps, q, "in quotes, a backslash goes before "
					    "\" or \\ only");
				}
			}
			*w++ = *q;
		}
		*w = '\0';
		if (q == end) {
			free(buf);
			return fail_at(ps, p, "the quote is not closed on this line");
		}
		for (q++; q < end && is_blank(*q); q++)
			;
		if (q < end && *q != '#') {
			free(buf);
			return fail_at(ps, q, "unexpected text after the closing quote");
		}
	} else {
		/* Up to a '#' that starts it or follows a blank, without the blanks before it. */
		for (q = p; q < end && !(*q == '#' && (q == p || is_blank(q[-1]))); q++)
			;
		while (q > p && is_blank(q[-1]))
			q--;
		buf = xstrndup(p, (size_t)(q - p));
	}
	if (*buf == '\0') {
		free(buf);
		return fail_at(ps, p, "a value is missing after '='");
	}
	*value = buf;
	return 0;
}

static int
parse_line(struct parse *ps, struct config *c, const char *p, const char *end)
{
	const struct config_key *k = NULL;
	const char *key, *at;
	char *value = NULL;
	size_t i, len;

	if (check_line(ps, p, end) != 0)
		return -1;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	key = p;
	while (p < end && is_key_char(*p))
		p++;
	len = (size_t)(p - key);
	if (len == 0)
		return fail_at(ps, key, "want a key (lower-case letters, digits, - and _), "
		    "then '=' and a value");
	for (i = 0; i < c->nkeys; i++) {
		if (strlen(c->keys[i].name) == len && memcmp(c->keys[i].name, key, len) == 0) {
			k = &c->keys[i];
			break;
		}
	}
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p != '=')
		return fail_at(ps, p, "want '=' after \"%.*s\"", (int)(len > 40 ? 40 : len), key);
	if (k == NULL)
		return fail_at(ps, key, "unknown key \"%.*s\"", (int)(len > 40 ? 40 : len), key);
	if (c->values[i].set)
		return fail_at(ps, key, "%s is set twice (first on line %u)", k->name,
		    c->values[i].line);
	if (read_value(ps, p + 1, end, &value, &at) != 0)
		return -1;
	if (set_value(ps, k, &c->values[i], value, at) != 0) {
		/* set_value may have replaced value; it owns it only on success. */
		if (!c->values[i].set)
			free(value);
		return -1;
	}
	return 0;
}

static struct config *
config_new(const struct config_key *keys, size_t nkeys)
{
	struct config *c = xcalloc(1, sizeof *c);

	c->keys = keys;
	c->nkeys = nkeys;
	c->values = xcalloc(nkeys == 0 ? 1 : nkeys, sizeof *c->values);
	return c;
}

int
config_parse(const char *text, size_t len, const char *filename,
    const struct config_key *keys, size_t nkeys, struct config **out, char **cause)
{
	struct config *c = config_new(keys, nkeys);
	struct parse ps;
	const char *p = text, *end = text + len, *eol, *lend;

	ps.filename = filename != NULL ? filename : "<config>";
	ps.line = 0;
	ps.cause = cause;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		ps.line++;
		ps.linestart = p;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		lend = eol;
		if (lend > p && lend[-1] == '\r')
			lend--;
		if (lend - p > CONFIG_LINE_MAX) {
			fail_at(&ps, p + CONFIG_LINE_MAX, "the line is longer than %d bytes",
			    CONFIG_LINE_MAX);
			goto fail;
		}
		if (parse_line(&ps, c, p, lend) != 0)
			goto fail;
		p = eol < end ? eol + 1 : end;
	}
	*out = c;
	return 0;
fail:
	config_free(c);
	return -1;
}

int
config_load(const char *path, int must_exist, const struct config_key *keys, size_t nkeys,
    struct config **out, char **cause)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && !must_exist) {
			*out = config_new(keys, nkeys);
			return 0;
		}
		return set_cause(cause, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) == -1) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		set_cause(cause, "%s: not a regular file", path);
		goto out;
	}
	buf = xmalloc(CONFIG_FILE_MAX + 1);
	while ((n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX)
			break;
	}
	if (n == -1) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (len > CONFIG_FILE_MAX) {
		set_cause(cause, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
		goto out;
	}
	rc = config_parse(buf, len, path, keys, nkeys, out, cause);
out:
	free(buf);
	close(fd);
	return rc;
}

char *
config_default_path(const char *program)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	/* The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored. */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/tessera/%s.conf", xdg, program);
	if (home != NULL && *home != '\0')
		return xasprintf("%s/.config/tessera/%s.conf", home, program);
	return NULL;
}

int
config_load_program(const char *program, const char *path, const struct config_key *keys,
    size_t nkeys, struct config **out, char **cause)
{
	char *def;
	int rc;

	if (path != NULL)
		return config_load(path, 1, keys, nkeys, out, cause);
	if ((def = config_default_path(program)) == NULL) {
		*out = config_new(keys, nkeys);
		return 0;
	}
	rc = config_load(def, 0, keys, nkeys, out, cause);
	free(def);
	return rc;
}

int
config_take_option(int *argc, char **argv, const char **path, char **cause)
{
	const char *found = NULL;
	int i, j, n;

	for (i = 1; i < *argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= *argc)
				return set_cause(cause, "--config needs a FILE");
			found = argv[i + 1];
			n = 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			found = argv[i] + 9;
			n = 1;
		} else
			continue;
		if (*found == '\0')
			return set_cause(cause, "--config needs a FILE");
		for (j = i; j + n <= *argc; j++)
			argv[j] = argv[j + n];
		*argc -= n;
		i--;
	}
	*path = found;
	return 0;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nkeys; i++)
		free(c->values[i].text);
	free(c->values);
	free(c);
}

/* The slot of key: set, or NULL when unset (or c is NULL). Aborts on a key c does not know. */
static const struct config_value *
lookup(const struct config *c, const char *key, enum config_type *type)
{
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->nkeys; i++) {
		if (strcmp(c->keys[i].name, key) == 0) {
			if (type != NULL)
				*type = c->keys[i].type;
			return c->values[i].set ? &c->values[i] : NULL;
		}
	}
	fprintf(stderr, "tessera: config key \"%s\" is not a known key\n", key);
	abort();
}

const char *
config_text(const struct config *c, const char *key)
{
	const struct config_value *v = lookup(c, key, NULL);

	return v != NULL ? v->text : NULL;
}

int
config_bool(const struct config *c, const char *key, int def)
{
	enum config_type t = CONFIG_BOOL;
	const struct config_value *v = lookup(c, key, &t);

	return v != NULL && t == CONFIG_BOOL ? (int)v->number : def;
}

long
config_number(const struct config *c, const char *key, long def)
{
	enum config_type t = CONFIG_NUMBER;
	const struct config_value *v = lookup(c, key, &t);

	return v != NULL && t == CONFIG_NUMBER ? v->number : def;
}

int
config_colours(const struct config *c, const char *key, int def)
{
	enum config_type t = CONFIG_COLOURS;
	const struct config_value *v = lookup(c, key, &t);

	return v != NULL && t == CONFIG_COLOURS ? (int)v->number : def;
}

unsigned int
config_line(const struct config *c, const char *key)
{
	const struct config_value *v = lookup(c, key, NULL);

	return v != NULL ? v->line : 0;
}
