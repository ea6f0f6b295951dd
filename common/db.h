/* db.h: open a SQLite store the Tessera way: WAL, foreign keys, FULL sync, numbered migrations. */
#ifndef TESSERA_DB_H
#define TESSERA_DB_H

#include <sqlite3.h>

#include "compat.h"

/* Migration n brings the schema from version n-1 to n; versions start at 1, in order. */
struct db_migration {
	int         version;
	const char *sql;
};

/*
 * Open (creating if create is set) path, or ":memory:". Sets journal_mode=WAL, foreign_keys=ON,
 * synchronous=FULL, busy_timeout, then applies in one transaction each the migrations newer than
 * PRAGMA user_version. Refuses a file that is not a database, is corrupt (quick_check), is locked,
 * or has a newer schema than this program knows. *out only on success.
 */
int db_open(const char *path, int create, const struct db_migration *m, int nm, sqlite3 **out,
    char **cause) WARN_UNUSED;
void db_close(sqlite3 *db);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 or -1 with *cause (the SQLite message, e.g. disk full). */
int db_begin(sqlite3 *db, char **cause) WARN_UNUSED;
int db_commit(sqlite3 *db, char **cause) WARN_UNUSED;
void db_rollback(sqlite3 *db);
/* Run SQL without results. 0 or -1 with *cause. */
int db_exec(sqlite3 *db, const char *sql, char **cause) WARN_UNUSED;
/* Prepare or abort the program: statements are compiled from string constants, so failure is a bug. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
/* The error for the last failed call on db, as a newly allocated "what: sqlite message". */
char *db_error(sqlite3 *db, const char *what);

#endif
