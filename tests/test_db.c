/* test_db.c: opening stores, migrations, refusals (missing, garbage, corrupt, newer, locked). */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "xmalloc.h"

struct tmp {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct tmp	*t = xcalloc(1, sizeof *t);

	snprintf(t->dir, sizeof t->dir, "/tmp/tessera-test-db.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof t->path, "%s/store.db", t->dir);
	*state = t;
	return 0;
}

static void
remove_db(const char *path)
{
	char	buf[160];

	unlink(path);
	snprintf(buf, sizeof buf, "%s-wal", path);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s-shm", path);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s-journal", path);
	unlink(buf);
}

static int
teardown(void **state)
{
	struct tmp	*t = *state;

	remove_db(t->path);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Migrations that log their number into a table, so order and repetition show. */
static const struct db_migration steps[] = {
	{ 1, "CREATE TABLE log (n INTEGER NOT NULL); INSERT INTO log VALUES (1);" },
	{ 2, "INSERT INTO log SELECT max(n) + 1 FROM log;" },
	{ 3, "CREATE TABLE three (x); INSERT INTO log SELECT max(n) + 1 FROM log;" },
};

static int
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = db_prepare(db, sql);
	int		 v;

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *
query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = db_prepare(db, sql);
	char		*v;

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static sqlite3 *
must_open(const char *path, int create, const struct db_migration *m, int nm)
{
	sqlite3	*db = NULL;
	char	*cause = NULL;

	if (db_open(path, create, m, nm, &db, &cause) != 0)
		fail_msg("db_open %s: %s", path, cause);
	assert_non_null(db);
	return db;
}

/* db_open must refuse, with a cause holding want (and the path), leaving *out alone. */
static void
must_refuse(const char *path, int create, const struct db_migration *m, int nm,
    const char *want)
{
	sqlite3	*db = (sqlite3 *)&db;
	char	*cause = NULL;

	if (db_open(path, create, m, nm, &db, &cause) == 0)
		fail_msg("db_open %s accepted (expecting \"%s\")", path, want);
	assert_ptr_equal(db, (sqlite3 *)&db);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static void
test_migrations_once_in_order(void **state)
{
	struct tmp	*t = *state;
	sqlite3		*db;

	db = must_open(t->path, 1, steps, 2);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM log"), 2);
	assert_int_equal(query_int(db, "SELECT group_concat(n) = '1,2' FROM log"), 1);
	db_close(db);

	/* Reopening with one more applies only the new one; again, none. */
	db = must_open(t->path, 0, steps, 3);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 3);
	assert_int_equal(query_int(db, "SELECT group_concat(n) = '1,2,3' FROM log"), 1);
	db_close(db);
	db = must_open(t->path, 0, steps, 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM log"), 3);
	db_close(db);
}

/*
 * A migration that rebuilds a table others refer to (DB_REBUILD): dropping the old table
 * cascades nowhere, the references hold, and foreign keys are on again after it.
 */
static void
test_rebuild_keeps_references(void **state)
{
	static const struct db_migration rebuild[] = {
		{ 1, "CREATE TABLE parent (id INTEGER PRIMARY KEY, state TEXT CHECK (state IN "
		    "('a', 'b', 'c')));"
		    "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
		    "REFERENCES parent (id) ON DELETE CASCADE);"
		    "INSERT INTO parent VALUES (1, 'a'), (2, 'b');"
		    "INSERT INTO child VALUES (10, 1), (11, 1), (12, 2);" },
		{ 2, DB_REBUILD
		    "CREATE TABLE parent2 (id INTEGER PRIMARY KEY, state TEXT CHECK (state = 'a' OR "
		    "state = 'b' OR state = 'c'));"
		    "INSERT INTO parent2 SELECT * FROM parent;"
		    "DROP TABLE parent;"
		    "ALTER TABLE parent2 RENAME TO parent;" },
	};
	struct tmp	*t = *state;
	sqlite3		*db;
	char		*cause = NULL;

	db = must_open(t->path, 1, rebuild, 1);
	db_close(db);
	db = must_open(t->path, 0, rebuild, 2);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM child"), 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM parent"), 2);
	assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
	/* The new table is the one referred to: deleting a parent still cascades. */
	assert_int_equal(db_exec(db, "DELETE FROM parent WHERE id = 1", &cause), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM child"), 1);
	assert_int_not_equal(db_exec(db, "INSERT INTO parent VALUES (3, 'z')", &cause), 0);
	free(cause);
	db_close(db);
}

static void
test_failing_migration(void **state)
{
	struct tmp	*t = *state;
	sqlite3		*db;
	/* Migration 2 fails after creating a table and inserting: a syntax error, then a
	 * constraint failing at run time. */
	static const struct db_migration syntax[] = {
		{ 1, "CREATE TABLE log (n INTEGER NOT NULL); INSERT INTO log VALUES (1);" },
		{ 2, "CREATE TABLE half (x); INSERT INTO log VALUES (2); NOT SQL AT ALL;" },
	};
	static const struct db_migration runtime[] = {
		{ 1, "CREATE TABLE log (n INTEGER NOT NULL); INSERT INTO log VALUES (1);" },
		{ 2, "CREATE TABLE half (x); INSERT INTO log VALUES (2); "
		     "INSERT INTO log VALUES (NULL);" },
	};

	must_refuse(t->path, 1, syntax, 2, "migration 2 failed");
	db = must_open(t->path, 0, syntax, 1);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(query_int(db,
	    "SELECT count(*) FROM sqlite_master WHERE name = 'half'"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM log"), 1);
	db_close(db);

	must_refuse(t->path, 0, runtime, 2, "NOT NULL constraint failed");
	db = must_open(t->path, 0, runtime, 1);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(query_int(db,
	    "SELECT count(*) FROM sqlite_master WHERE name = 'half'"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM log"), 1);
	db_close(db);
}

static void
test_newer_schema(void **state)
{
	struct tmp	*t = *state;

	db_close(must_open(t->path, 1, steps, 3));
	must_refuse(t->path, 0, steps, 2, "schema version 3 is newer than this program knows");
	must_refuse(t->path, 0, NULL, 0, "newer");
}

static void
test_bad_migration_table(void **state)
{
	struct tmp	*t = *state;
	static const struct db_migration gap[] = {
		{ 1, "CREATE TABLE a (x);" },
		{ 3, "CREATE TABLE b (x);" },
	};

	must_refuse(t->path, 1, gap, 2, "numbered 3");
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE	*f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_garbage_refused(void **state)
{
	struct tmp	*t = *state;
	char		 buf[8192];
	size_t		 i;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = "this is no database\n"[i % 20];
	write_file(t->path, buf, sizeof buf);
	must_refuse(t->path, 0, steps, 3, "file is not a database");
	must_refuse(t->path, 1, steps, 3, t->path);
}

static void
test_missing_refused(void **state)
{
	struct tmp	*t = *state;
	char		*want = xasprintf("no such replica/store: %s", t->path);
	struct stat	 sb;

	must_refuse(t->path, 0, steps, 3, want);
	free(want);
	assert_int_equal(stat(t->path, &sb), -1);      /* not created */
	must_refuse(t->dir, 1, steps, 3, "is a directory");
	must_refuse("", 1, steps, 3, "no database path");
	must_refuse("/nonexistent-dir/x/store.db", 1, steps, 3, "/nonexistent-dir/x/store.db");
}

static void
test_not_ours_refused(void **state)
{
	struct tmp	*t = *state;
	sqlite3		*other;

	assert_int_equal(sqlite3_open(t->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "CREATE TABLE theirs (x)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	must_refuse(t->path, 0, steps, 3, "not a Tessera store");
}

static void
test_corrupt_refused(void **state)
{
	struct tmp	*t = *state;
	sqlite3		*db;
	uint8_t		 junk[64];
	int		 fd, pages, size;

	db = must_open(t->path, 1, steps, 1);
	assert_int_equal(db_exec(db, "CREATE TABLE big (s TEXT);"
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000) "
	    "INSERT INTO big SELECT printf('%0100d', i) FROM c;", NULL), 0);
	pages = query_int(db, "PRAGMA page_count");
	size = query_int(db, "PRAGMA page_size");
	assert_true(pages > 20);
	db_close(db);           /* checkpoints the WAL into the file */

	/* Scribble over the header of a b-tree page in the middle. */
	memset(junk, 0xa5, sizeof junk);
	fd = open(t->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof junk, (off_t)(pages / 2) * size),
	    (ssize_t)sizeof junk);
	close(fd);
	must_refuse(t->path, 0, steps, 1, "is corrupt");
	must_refuse(t->path, 0, steps, 1, t->path);
}

static void
test_pragmas_on_file(void **state)
{
	struct tmp	*t = *state;
	sqlite3		*db;
	char		*mode;

	db = must_open(t->path, 1, steps, 3);
	mode = query_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);      /* FULL */
	assert_int_equal(query_int(db, "PRAGMA busy_timeout"), 5000);
	assert_int_equal(query_int(db, "PRAGMA page_size"), atoi(DB_PAGE_SIZE));
	db_close(db);

	/* Still WAL when reopened (the mode is persistent, and checked again). */
	db = must_open(t->path, 0, steps, 3);
	mode = query_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	db_close(db);
}

static void
test_memory(void **state)
{
	sqlite3	*db;

	(void)state;
	db = must_open(":memory:", 0, steps, 3);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 3);
	assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
	db_close(db);
	db_close(NULL);
}

static void
test_locked(void **state)
{
	struct tmp	*t = *state;
	sqlite3		*db, *other;
	char		*cause = NULL;
	time_t		 start;

	db = must_open(t->path, 1, steps, 3);
	assert_int_equal(sqlite3_open(t->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

	sqlite3_busy_timeout(db, 200);
	start = time(NULL);
	assert_int_equal(db_begin(db, &cause), -1);
	assert_true(time(NULL) - start < 5);
	assert_non_null(cause);
	if (strstr(cause, "locked") == NULL)
		fail_msg("cause \"%s\" does not say locked", cause);
	free(cause);
	cause = NULL;

	/* Reads still work under WAL; the write lock frees once the other commits. */
	assert_int_equal(query_int(db, "SELECT count(*) FROM log"), 3);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_begin(db, &cause), 0);
	assert_int_equal(db_exec(db, "INSERT INTO log VALUES (9)", &cause), 0);
	assert_int_equal(db_commit(db, &cause), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM log"), 4);
	sqlite3_close(other);
	db_close(db);
}

static void
test_exec_and_transactions(void **state)
{
	sqlite3	*db;
	char	*cause = NULL, *e;

	(void)state;
	db = must_open(":memory:", 1, steps, 3);
	assert_int_equal(db_exec(db, "INSERT INTO nowhere VALUES (1)", &cause), -1);
	assert_non_null(strstr(cause, "no such table: nowhere"));
	free(cause);
	cause = NULL;
	assert_int_equal(db_exec(db, "SELECT 1", NULL), 0);

	/* Rolled back work is gone; rollback outside a transaction is harmless. */
	assert_int_equal(db_begin(db, &cause), 0);
	assert_int_equal(db_exec(db, "INSERT INTO log VALUES (7)", &cause), 0);
	db_rollback(db);
	db_rollback(db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM log"), 3);

	/* A commit that fails leaves no transaction open. */
	assert_int_equal(db_exec(db, "CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE c (p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)",
	    &cause), 0);
	assert_int_equal(db_begin(db, &cause), 0);
	assert_int_equal(db_exec(db, "INSERT INTO c VALUES (42)", &cause), 0);
	assert_int_equal(db_commit(db, &cause), -1);
	assert_non_null(strstr(cause, "FOREIGN KEY"));
	free(cause);
	cause = NULL;
	assert_int_equal(sqlite3_get_autocommit(db), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM c"), 0);

	assert_int_equal(db_commit(db, &cause), -1);   /* nothing to commit */
	free(cause);

	sqlite3_exec(db, "SELECT * FROM nowhere", NULL, NULL, NULL);
	e = db_error(db, "listing");
	assert_string_equal(e, "listing: no such table: nowhere");
	free(e);
	db_close(db);
}

static void
test_prepare_aborts(void **state)
{
	sqlite3	*db;
	pid_t	 pid;
	int	 status, fd;

	(void)state;
	db = must_open(":memory:", 1, steps, 1);
	sqlite3_finalize(db_prepare(db, "SELECT n FROM log"));
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		db_prepare(db, "SELEC n FROM log");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	db_close(db);
}

static void *
release_later(void *arg)
{
	usleep(250 * 1000);
	sqlite3_close((sqlite3 *)arg);          /* exclusive locking mode: closing unlocks */
	return NULL;
}

/* A statement prepared while another connection holds the lock waits for it, then works. */
static void
test_prepare_waits_for_lock(void **state)
{
	struct tmp	*t = *state;
	sqlite3		*other, *db;
	sqlite3_stmt	*st;
	pthread_t	 thread;

	db_close(must_open(t->path, 1, steps, 3));
	assert_int_equal(sqlite3_open(t->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;"
	    "INSERT INTO log VALUES (4); COMMIT;", NULL, NULL, NULL), SQLITE_OK);

	/* A fresh connection must read the schema to prepare: that needs the lock. */
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 100);
	assert_int_equal(pthread_create(&thread, NULL, release_later, other), 0);
	st = db_prepare(db, "SELECT count(*) FROM log");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 4);
	sqlite3_finalize(st);
	pthread_join(thread, NULL);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations_once_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_keeps_references, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_migration_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ours_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas_on_file, setup, teardown),
		cmocka_unit_test(test_memory),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test(test_exec_and_transactions),
		cmocka_unit_test(test_prepare_aborts),
		cmocka_unit_test_setup_teardown(test_prepare_waits_for_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
