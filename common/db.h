/* db.h: open a SQLite store the Tessera way: WAL, foreign keys, FULL sync, numbered migrations. */
#ifndef TESSERA_DB_H
#define TESSERA_DB_H

#include <sqlite3.h>

#include "compat.h"

/*
 * Migration n brings the schema from version n-1 to n; versions start at 1, in order. The SQL
 * may hold several statements but no BEGIN/COMMIT: db_open() runs it in a transaction.
 */
struct db_migration {
	int         version;
	const char *sql;
};
/*
 * A migration whose SQL starts with DB_REBUILD rebuilds a table others refer to (create, copy,
 * drop, rename): it runs with foreign keys off, so that dropping the old table cascades
 * nowhere, and every reference is checked before it commits, as for any migration.
 */
#define DB_REBUILD "-- rebuild, foreign keys off\n"

/*
 * Open path (creating the file only if create is set), or ":memory:". A missing file without
 * create is refused as "no such replica/store: PATH". A new file gets DB_PAGE_SIZE pages (a
 * file's page size is fixed once it is in WAL mode). Sets busy_timeout (5 s), journal_mode=WAL
 * (refused if a file does not take it), foreign_keys=ON, synchronous=FULL, then applies the
 * migrations newer than PRAGMA user_version, each in its own transaction that also sets
 * user_version (a failing migration leaves the previous version and nothing of itself).
 * Refuses a file that is not a database, is corrupt (quick_check), stays locked, has a newer
 * schema than m, or is at version 0 but already holds tables (not ours). On success *out is the
 * connection, for db_close(); on failure returns -1, sets *cause (naming the file) and leaves
 * *out alone.
 */
/*
 * The page size of every database made (the store and the replicas): 1 KiB, not SQLite's 4. A
 * seat's change writes a few scattered pages (the seat record, the outbox, the scan log), and
 * a smaller page is a smaller write to the WAL, to its fsync and to the checkpoint: a gate's
 * durable decision and a push at a large venue cost less (docs/performance.md, figures 1, 8).
 */
#define DB_PAGE_SIZE "1024"

int db_open(const char *path, int create, const struct db_migration *m, int nm, sqlite3 **out,
    char **cause) WARN_UNUSED;
void db_close(sqlite3 *db);                         /* NULL is fine */

/*
 * BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 or -1 with *cause (the SQLite message, e.g. disk full;
 * "locked" when another connection held the write lock for the whole busy timeout). A failed
 * commit rolls the transaction back. db_rollback does nothing outside a transaction.
 */
int db_begin(sqlite3 *db, char **cause) WARN_UNUSED;
int db_commit(sqlite3 *db, char **cause) WARN_UNUSED;
void db_rollback(sqlite3 *db);
/* Run SQL without results. 0 or -1 with *cause. */
int db_exec(sqlite3 *db, const char *sql, char **cause) WARN_UNUSED;
/*
 * Prepare or abort the program (printing the SQL and the error): statements are compiled from
 * string constants, so failure is a bug. A lock met while reading the schema is waited for
 * (the busy timeout, a few times over) before giving up. Finalize the result with
 * sqlite3_finalize().
 */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
/*
 * The same, compiled once per connection and kept (the hot single-row statements). sql must be
 * a string constant: its address is the key. The statement comes back reset with no bindings;
 * give it back with db_done() as soon as its rows are read (a statement not reset keeps a read
 * snapshot open), never sqlite3_finalize() it, and never use one SQL text twice at once.
 * db_close() finalizes the connection's statements.
 */
sqlite3_stmt *db_cached(sqlite3 *db, const char *sql);
void db_done(sqlite3_stmt *st);
/*
 * The error for the last failed call on db, as a newly allocated "what: sqlite message"; a full
 * or failing disk reads "the disk is full: nothing was saved; ..." (the same for db_begin and
 * db_commit).
 */
char *db_error(sqlite3 *db, const char *what);

#endif
