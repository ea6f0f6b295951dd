/*
 * db.c: open a SQLite store the Tessera way.
 *
 * Opening, in order: refuse a missing file unless asked to create it; read the header (which
 * tells "not a database" apart); quick_check a file that already existed; switch to WAL and
 * check that it took; foreign keys on, synchronous FULL; then bring the schema up to date.
 *
 * The schema version is PRAGMA user_version. Migration n runs in its own BEGIN IMMEDIATE
 * transaction that also sets user_version to n, so a migration is applied completely or not at
 * all, and two programs opening the same new file at once do not both apply it (the second
 * re-reads the version inside its transaction and finds the work done). A database at version
 * 0 must be empty: migrations are never applied over tables someone else made.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "xmalloc.h"

#define DB_BUSY_TIMEOUT_MS  5000
#define DB_PREPARE_TRIES    3           /* each waits up to the busy timeout */

static int
db_is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0;
}

/* The one integer a statement like "PRAGMA user_version" returns. */
static int
db_int(sqlite3 *db, const char *sql, int *out, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
			return 0;
		}
	}
	if (cause != NULL)
		*cause = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/* The first text a statement returns ("" when it returns no row), newly allocated. */
static int
db_text(sqlite3 *db, const char *sql, char **out, char **cause)
{
	sqlite3_stmt		*st = NULL;
	const unsigned char	*t;
	int			 rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
			t = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
			*out = xstrdup(t != NULL ? (const char *)t : "");
			sqlite3_finalize(st);
			return 0;
		}
	}
	if (cause != NULL)
		*cause = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/* A message for an error code met while opening path. */
static int
db_open_error(sqlite3 *db, const char *path, const char *what, char **cause)
{
	int	rc = sqlite3_extended_errcode(db) & 0xff;

	switch (rc) {
	case SQLITE_NOTADB:
		return set_cause(cause, "%s: file is not a database (not a Tessera store)", path);
	case SQLITE_CORRUPT:
		return set_cause(cause, "%s: the database is corrupt (%s)", path,
		    sqlite3_errmsg(db));
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return set_cause(cause, "%s: the database is locked by another program (%s)", path,
		    sqlite3_errmsg(db));
	default:
		return set_cause(cause, "%s: %s: %s", path, what, sqlite3_errmsg(db));
	}
}

static int
db_check(sqlite3 *db, const char *path, char **cause)
{
	sqlite3_stmt		*st = NULL;
	const unsigned char	*t;
	int			 rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_open_error(db, path, "quick_check", cause);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_open_error(db, path, "quick_check", cause);
		sqlite3_finalize(st);
		return -1;
	}
	t = sqlite3_column_text(st, 0);
	if (t == NULL || strcmp((const char *)t, "ok") != 0) {
		set_cause(cause, "%s: the database is corrupt (quick_check: %s)", path,
		    t != NULL ? (const char *)t : "no result");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Apply migration m (version n) in its own transaction, unless another program just did. */
static int
db_migrate_one(sqlite3 *db, const char *path, const struct db_migration *m, char **cause)
{
	char	*sql, *error = NULL;
	int	 version, bad, rebuild = strncmp(m->sql, DB_REBUILD, strlen(DB_REBUILD)) == 0;

	/* Only outside a transaction does this take; db_begin below starts one. */
	if (rebuild && db_exec(db, "PRAGMA foreign_keys = OFF", &error) != 0)
		goto fail;
	if (db_begin(db, &error) != 0)
		goto fail;
	if (db_int(db, "PRAGMA user_version", &version, &error) != 0)
		goto fail;
	if (version >= m->version) {
		db_rollback(db);
		if (rebuild)
			sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
		return 0;
	}
	if (version != m->version - 1) {
		error = xasprintf("schema version is %d", version);
		goto fail;
	}
	if (db_exec(db, m->sql, &error) != 0)
		goto fail;
	/* PRAGMA takes no bound parameters; the version is the program's own constant. */
	sql = xasprintf("PRAGMA user_version = %d", m->version);
	if (db_exec(db, sql, &error) != 0) {
		free(sql);
		goto fail;
	}
	free(sql);
	/* A migration that moves data must leave every reference intact. */
	if (db_int(db, "SELECT count(*) FROM pragma_foreign_key_check", &bad, &error) != 0)
		goto fail;
	if (bad != 0) {
		error = xasprintf("%d rows violate foreign keys", bad);
		goto fail;
	}
	if (db_commit(db, &error) != 0)
		goto fail;
	if (rebuild && db_exec(db, "PRAGMA foreign_keys = ON", &error) != 0)
		goto fail;
	return 0;

fail:
	db_rollback(db);
	if (rebuild)
		sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	set_cause(cause, "%s: migration %d failed: %s", path, m->version, error);
	free(error);
	return -1;
}

static int
db_migrate(sqlite3 *db, const char *path, const struct db_migration *m, int nm, char **cause)
{
	char	*error = NULL;
	int	 version, i, objects;

	for (i = 0; i < nm; i++) {
		if (m[i].version != i + 1 || m[i].sql == NULL)
			return set_cause(cause, "%s: migration %d of the program is numbered %d",
			    path, i + 1, m[i].version);
	}
	if (db_int(db, "PRAGMA user_version", &version, &error) != 0) {
		set_cause(cause, "%s: reading the schema version: %s", path, error);
		free(error);
		return -1;
	}
	if (version > nm)
		return set_cause(cause, "%s: schema version %d is newer than this program knows "
		    "(%d); use a newer Tessera", path, version, nm);
	if (version < 0)
		return set_cause(cause, "%s: bad schema version %d", path, version);
	if (version == 0 && nm > 0) {
		if (db_int(db, "SELECT count(*) FROM sqlite_master", &objects, &error) != 0) {
			set_cause(cause, "%s: reading the schema: %s", path, error);
			free(error);
			return -1;
		}
		if (objects != 0)
			return set_cause(cause, "%s: a SQLite database but not a Tessera store "
			    "(it has tables but no schema version)", path);
	}
	for (i = version; i < nm; i++) {
		if (db_migrate_one(db, path, &m[i], cause) != 0)
			return -1;
	}
	return 0;
}

int
db_open(const char *path, int create, const struct db_migration *m, int nm, sqlite3 **out,
    char **cause)
{
	sqlite3		*db = NULL;
	struct stat	 sb;
	char		*mode = NULL, *error = NULL;
	int		 flags, existed = 0, memory, rc, on;

	if (path == NULL || *path == '\0')
		return set_cause(cause, "no database path given");
	memory = db_is_memory(path);
	if (!memory) {
		if (stat(path, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				return set_cause(cause, "%s: is a directory", path);
			existed = sb.st_size > 0;
		} else if (errno != ENOENT)
			return set_cause(cause, "%s: %s", path, strerror(errno));
		else if (!create)
			return set_cause(cause, "no such replica/store: %s", path);
	}

	flags = SQLITE_OPEN_READWRITE;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (db == NULL)
			return set_cause(cause, "%s: out of memory opening the database", path);
		db_open_error(db, path, "cannot open", cause);
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_db_readonly(db, "main") == 1) {
		set_cause(cause, "%s: the file is read-only", path);
		goto fail;
	}
	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	if (!existed && !memory &&
	    db_exec(db, "PRAGMA page_size = " DB_PAGE_SIZE, &error) != 0) {
		set_cause(cause, "%s: %s", path, error);
		goto fail;
	}
	/* No writes to the schema behind SQLite's back; "x" is an identifier, never a string. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);

	/* The first read of the header: "file is not a database" shows here. */
	if (db_int(db, "PRAGMA user_version", &on, NULL) != 0) {
		db_open_error(db, path, "reading the database", cause);
		goto fail;
	}
	if (existed && db_check(db, path, cause) != 0)
		goto fail;

	if (db_text(db, "PRAGMA journal_mode = WAL", &mode, NULL) != 0) {
		db_open_error(db, path, "setting journal_mode", cause);
		goto fail;
	}
	if (!memory && strcmp(mode, "wal") != 0) {
		set_cause(cause, "%s: cannot use WAL journal mode (the mode is \"%s\"; is the file "
		    "on a network file system?)", path, mode);
		goto fail;
	}
	if (db_exec(db, "PRAGMA foreign_keys = ON", &error) != 0 ||
	    db_exec(db, "PRAGMA synchronous = FULL", &error) != 0) {
		set_cause(cause, "%s: %s", path, error);
		goto fail;
	}
	if (db_int(db, "PRAGMA foreign_keys", &on, NULL) != 0 || on != 1) {
		set_cause(cause, "%s: this SQLite does not enforce foreign keys", path);
		goto fail;
	}

	if (db_migrate(db, path, m, nm, cause) != 0)
		goto fail;
	free(mode);
	*out = db;
	return 0;

fail:
	free(mode);
	free(error);
	sqlite3_close_v2(db);
	return -1;
}

/*
 * The statement cache: statements compiled once per connection and kept, keyed by the
 * connection and the address of the SQL text (a string constant). Compiling SQL cost more than
 * running it on the hot paths (docs/performance.md). A connection's statements are finalized
 * when it closes.
 */
struct cached_stmt {
	sqlite3		*db;
	const char	*sql;
	sqlite3_stmt	*st;
};
static pthread_mutex_t		 cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached_stmt	*cache;
static size_t			 ncache, capcache;

sqlite3_stmt *
db_cached(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i;

	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < ncache; i++) {
		if (cache[i].db == db && cache[i].sql == sql) {
			st = cache[i].st;
			break;
		}
	}
	pthread_mutex_unlock(&cache_mu);
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	st = db_prepare(db, sql);
	pthread_mutex_lock(&cache_mu);
	if (ncache == capcache) {
		capcache = capcache == 0 ? 64 : capcache * 2;
		cache = xreallocarray(cache, capcache, sizeof *cache);
	}
	cache[ncache].db = db;
	cache[ncache].sql = sql;
	cache[ncache].st = st;
	ncache++;
	pthread_mutex_unlock(&cache_mu);
	return st;
}

void
db_done(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

void
db_close(sqlite3 *db)
{
	size_t	i;

	if (db == NULL)
		return;
	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < ncache; ) {
		if (cache[i].db == db) {
			sqlite3_finalize(cache[i].st);
			cache[i] = cache[--ncache];
		} else
			i++;
	}
	pthread_mutex_unlock(&cache_mu);
	sqlite3_close_v2(db);
}

/*
 * "database is locked" says too little to staff: say who and for how long. A full or failing
 * disk says so first, and that nothing of the change was kept (the transaction rolls back).
 */
static int
db_set_error(sqlite3 *db, const char *what, char **cause)
{
	switch (sqlite3_extended_errcode(db) & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return set_cause(cause, "%s: the database is locked by another program or "
		    "connection and stayed locked (%s)", what, sqlite3_errmsg(db));
	case SQLITE_FULL:
		return set_cause(cause, "the disk is full: nothing was saved; free some space and "
		    "try again (%s: %s)", what, sqlite3_errmsg(db));
	case SQLITE_IOERR:
		return set_cause(cause, "the disk failed (I/O error): nothing was saved; check the "
		    "disk (%s: %s)", what, sqlite3_errmsg(db));
	default:
		return set_cause(cause, "%s: %s", what, sqlite3_errmsg(db));
	}
}

int
db_begin(sqlite3 *db, char **cause)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_set_error(db, "begin", cause);
	return 0;
}

int
db_commit(sqlite3 *db, char **cause)
{
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_set_error(db, "commit", cause);
		db_rollback(db);
		return -1;
	}
	return 0;
}

void
db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int
db_exec(sqlite3 *db, const char *sql, char **cause)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_cause(cause, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, tries;

	/*
	 * Preparing may read the schema, which waits for locks like any read; the busy handler
	 * waits up to the busy timeout each time. Anything else is a bug in the SQL.
	 */
	for (tries = 0; tries < DB_PREPARE_TRIES; tries++) {
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		if (rc == SQLITE_OK)
			return st;
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		sqlite3_sleep(100);
	}
	fprintf(stderr, "tessera: cannot prepare SQL: %s\n  %s\n", sqlite3_errmsg(db), sql);
	abort();
}

char *
db_error(sqlite3 *db, const char *what)
{
	char *cause = NULL;

	switch (sqlite3_extended_errcode(db) & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
		db_set_error(db, what, &cause);
		return cause;
	default:
		return xasprintf("%s: %s", what, sqlite3_errmsg(db));
	}
}
