/*
 * cmd-backup.c: tessera-sync backup: an online copy of the store, its root key and TLS files.
 *
 * The store is copied with SQLite's online backup API, in one step, from a connection of its
 * own. The source is in WAL mode, so that step is one read transaction: the copy is the store
 * as it was at one moment (a snapshot, every transaction whole or absent), and the server, in
 * another process, keeps writing meanwhile. The copy is made in a temporary file beside the
 * destination, checked (PRAGMA quick_check), synced, and linked into place last; the root key
 * and the TLS files are copied the same way before it. link() refuses a name that exists, so
 * nothing is ever replaced, and on any failure what this run made is removed again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "xmalloc.h"

#define SMALL_FILE_MAX  (1024 * 1024)   /* a root key, a certificate chain, a TLS key */
#define BUSY_TRIES      200             /* times BUSY_WAIT_MS: how long a locked source may stay */
#define BUSY_WAIT_MS    50

/* What this run created, to take away again if it fails. */
struct made {
	char   *paths[4];
	int     n;
};

static void
made_undo(struct made *m)
{
	while (m->n > 0)
		unlink(m->paths[--m->n]);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
fsync_dir_of(const char *path, char **cause)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 || fsync(fd) == -1)
		rc = set_cause(cause, "%s: %s", dir, strerror(errno));
	if (fd != -1)
		close(fd);
	free(dir);
	return rc;
}

/* Link tmp to path (refusing a path that exists) and remove the name tmp. 0, or -1. */
static int
link_into_place(const char *tmp, const char *path, char **cause)
{
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			return set_cause(cause, "%s exists; refusing to overwrite it", path);
		return set_cause(cause, "%s: %s", path, strerror(errno));
	}
	unlink(tmp);
	return 0;
}

/*
 * Copy the small file src to dst with mode: a temporary file, synced, linked into place.
 * 0, or -1 with *cause and nothing left behind.
 */
static int
copy_small(const char *src, const char *dst, mode_t mode, char **cause)
{
	struct stat sb;
	char *buf = NULL, *tmp = xasprintf("%s.tmp-XXXXXX", dst);
	ssize_t n;
	size_t len = 0, off;
	int in = -1, out = -1, rc = -1;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1 || fstat(in, &sb) == -1) {
		set_cause(cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > SMALL_FILE_MAX) {
		set_cause(cause, "%s: not a regular file of at most %d bytes", src, SMALL_FILE_MAX);
		goto out;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while ((n = read(in, buf + len, (size_t)sb.st_size + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > (size_t)sb.st_size) {
			set_cause(cause, "%s: changed while it was copied", src);
			goto out;
		}
	}
	if (n == -1) {
		set_cause(cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	/* mkstemp makes the file 0600 whatever the umask; fchmod sets the mode wanted. */
	if ((out = mkstemp(tmp)) == -1) {
		set_cause(cause, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	for (off = 0; off < len; off += (size_t)n) {
		if ((n = write(out, buf + off, len - off)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			break;
		}
	}
	if (off < len || fchmod(out, mode) == -1 || fsync(out) == -1) {
		set_cause(cause, "%s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (close(out) == -1) {
		out = -1;
		set_cause(cause, "%s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	out = -1;
	if (link_into_place(tmp, dst, cause) != 0)
		goto out_unlink;
	rc = 0;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (buf != NULL) {
		memset(buf, 0, len);    /* a root key or a TLS key */
		free(buf);
	}
	free(tmp);
	return rc;
}

/*
 * Copy the open store src into a new database file at tmp (which mkstemp made empty), check
 * the copy and close it. *pages and *seq describe the copy. 0, or -1 with *cause.
 */
static int
copy_store(sqlite3 *src, const char *tmp, int *pages, int64_t *seq, char **cause)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *s = NULL;
	int rc, tries = 0, ok;

	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		set_cause(cause, "%s: %s", tmp, dst != NULL ? sqlite3_errmsg(dst) :
		    "out of memory");
		goto fail;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		*cause = db_error(dst, "starting the backup");
		goto fail;
	}
	/* All pages in one step: one read transaction on the source, so one snapshot. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (++tries > BUSY_TRIES)
			break;
		sleep_ms(BUSY_WAIT_MS);
	}
	*pages = sqlite3_backup_pagecount(b);
	if (rc != SQLITE_DONE) {
		set_cause(cause, "copying the store: %s%s", sqlite3_errstr(rc),
		    rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? " (it stayed locked)" : "");
		sqlite3_backup_finish(b);
		goto fail;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		*cause = db_error(dst, "finishing the backup");
		goto fail;
	}

	s = db_prepare(dst, "PRAGMA quick_check");
	ok = sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	if (!ok) {
		set_cause(cause, "the copy does not pass PRAGMA quick_check");
		goto fail;
	}
	*seq = 0;
	s = db_prepare(dst, "SELECT value FROM meta WHERE key = 'seq'");
	if (sqlite3_step(s) == SQLITE_ROW)
		*seq = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	/* Closing the last connection checkpoints the copy and removes its -wal and -shm. */
	if (sqlite3_close(dst) != SQLITE_OK) {
		set_cause(cause, "%s: cannot close the copy", tmp);
		return -1;
	}
	return 0;
fail:
	sqlite3_close(dst);
	return -1;
}

/* Refuse a destination name that exists, before anything is made. */
static int
check_absent(const char *path, char **cause)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		return set_cause(cause, "%s exists; refusing to overwrite it", path);
	if (errno != ENOENT)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	return 0;
}

static int
cmd_backup_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* The files beside a store, and the modes of their copies. */
	static const struct {
		const char *suffix;
		mode_t      mode;
		const char *what;
	} extra[] = {
		{ ".rootkey", 0600, "root key" },
		{ ".crt", 0644, "TLS certificate" },
		{ ".tlskey", 0600, "TLS key" },
	};
	struct made made = { { NULL }, 0 };
	struct store *st = NULL;
	struct stat sb;
	const char *db = NULL, *to = NULL;
	char *cause = NULL, *tmp = NULL, *src[nitems(extra)], *dst[nitems(extra)], *p;
	int c, rc = CMD_EXIT_ERROR, fd, pages = 0, have[nitems(extra)];
	int64_t seq = 0;
	size_t i;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 't')
			to = optarg;
	}
	if (db == NULL)
		return cmdline_usage_error(self, "--db FILE is required (the store to copy)");
	if (to == NULL)
		return cmdline_usage_error(self, "--to FILE is required (the copy to make)");
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);

	for (i = 0; i < nitems(extra); i++) {
		src[i] = xasprintf("%s%s", db, extra[i].suffix);
		dst[i] = xasprintf("%s%s", to, extra[i].suffix);
		have[i] = i == 0 || stat(src[i], &sb) == 0;
	}
	/* Every name the copy takes, the -wal and -shm a store grows included, must be free. */
	p = NULL;
	if (check_absent(to, &cause) != 0)
		goto fail;
	for (i = 0; i < 2; i++) {
		p = xasprintf("%s%s", to, i == 0 ? "-wal" : "-shm");
		if (check_absent(p, &cause) != 0)
			goto fail;
		free(p);
		p = NULL;
	}
	for (i = 0; i < nitems(extra); i++) {
		if (have[i] && check_absent(dst[i], &cause) != 0)
			goto fail;
	}
	/* Opening checks the root key: it must be the store's own, and mode 0600. */
	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		goto out;
	rc = CMD_EXIT_ERROR;

	tmp = xasprintf("%s.tmp-XXXXXX", to);
	if ((fd = mkstemp(tmp)) == -1) {
		set_cause(&cause, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	close(fd);
	if (copy_store(store_db(st), tmp, &pages, &seq, &cause) != 0)
		goto fail;
	for (i = 0; i < nitems(extra); i++) {
		if (!have[i])
			continue;
		if (copy_small(src[i], dst[i], extra[i].mode, &cause) != 0)
			goto fail;
		made.paths[made.n++] = dst[i];
	}
	if (link_into_place(tmp, to, &cause) != 0)
		goto fail;
	made.paths[made.n++] = (char *)to;
	free(tmp);
	tmp = NULL;
	if (fsync_dir_of(to, &cause) != 0)
		goto fail;

	printf("copied the store %s to %s: %d pages, change sequence %" PRId64 ", quick_check ok\n",
	    db, to, pages, seq);
	for (i = 0; i < nitems(extra); i++) {
		if (have[i])
			printf("copied the %s %s to %s (mode %04o)\n", extra[i].what, src[i], dst[i],
			    (unsigned int)extra[i].mode);
	}
	/* Last: the copy, for scripts. */
	printf("backup: %s\n", to);
	rc = CMD_EXIT_OK;
	goto out;

fail:
	made_undo(&made);
	if (tmp != NULL) {
		static const char *const side[] = { "", "-journal", "-wal", "-shm" };

		for (i = 0; i < nitems(side); i++) {
			free(p);
			p = xasprintf("%s%s", tmp, side[i]);
			unlink(p);
		}
	}
	free(p);
	cmdline_error(self, CMD_EXIT_ERROR, "%s", cause != NULL ? cause : "failed");
	free(cause);
	rc = CMD_EXIT_ERROR;
out:
	free(tmp);
	store_close(st);
	for (i = 0; i < nitems(extra); i++) {
		free(src[i]);
		free(dst[i]);
	}
	return rc;
}

const struct cmdline_cmd cmd_backup_entry = {
	.name = "backup",
	.usage = "--db FILE --to FILE",
	.summary = "Copy the store, its root key and its TLS files, safely while serve runs.",
	.help =
	    "The copy is the store as it was at one moment (SQLite's online backup API, one read\n"
	    "transaction); serve, in another process, keeps answering meanwhile. The copy is\n"
	    "checked (PRAGMA quick_check) and synced, and appears whole or not at all. Beside it go\n"
	    "copies of FILE.rootkey (mode 0600) and, when they exist, FILE.crt and FILE.tlskey\n"
	    "(mode 0600), named after the copy: a backup serves as it is\n"
	    "(tessera-sync serve --db COPY). Refuses a destination that exists; on failure\n"
	    "leaves nothing. The last line is \"backup: COPY\".\n"
	    "\n"
	    "  --db FILE  the store to copy\n"
	    "  --to FILE  the copy to make (FILE.rootkey, FILE.crt, FILE.tlskey beside it)\n",
	.exec = cmd_backup_exec,
	.prog = &cmd_prog,
};
