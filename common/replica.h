/* replica.h: a device's replica: the SQLite store of a box office or a gate, and its meta keys. */
#ifndef TESSERA_REPLICA_H
#define TESSERA_REPLICA_H

#include <stdint.h>

#include <sqlite3.h>

#include "compat.h"

/* PRAGMA application_id of a replica file ("TSRP"), so that no other store is taken for one. */
#define REPLICA_APPLICATION_ID  0x54535250

/* Keys of the meta table (docs/data-model.md). Integers are stored as INTEGER, the rest as text. */
#define REPLICA_META_DEVICE_ID     "device_id"      /* int: this device's id, from enrollment */
#define REPLICA_META_ROLE          "role"           /* "boxoffice" or "gate" (role_name()) */
#define REPLICA_META_NAME          "name"           /* the device's name, for people */
#define REPLICA_META_SERVER_URL    "server_url"     /* the sync server, https://host:port */
#define REPLICA_META_ROOT_PK       "root_pk"        /* hex of the organizer root public key */
#define REPLICA_META_TLS_PIN       "tls_pin"        /* "sha256//BASE64" of the server's public key */
#define REPLICA_META_PULL_CURSOR   "pull_cursor"    /* int: the server change seq pulled so far */
#define REPLICA_META_NEXT_OP_SEQ   "next_op_seq"    /* int: sequence number of the next dot */
#define REPLICA_META_NEXT_SERIAL   "next_serial"    /* int: serial of the next ticket sold here */
#define REPLICA_META_CLOCK_OFFSET  "clock_offset"   /* int: server time minus local, seconds */

struct replica;

/*
 * Open the replica at path (creating the file when create is set; ":memory:" for tests) and
 * bring its schema up to date (db_open()). On success *out is a new replica that the caller
 * closes with replica_close(). On failure returns -1, sets *cause (no such replica, not a
 * database, corrupt, locked, a newer schema, not a replica) and leaves *out alone.
 */
int replica_open(const char *path, int create, struct replica **out, char **cause) WARN_UNUSED;
/* Close the database and free the replica; NULL is fine. */
void replica_close(struct replica *r);
/* The replica's connection, owned by the replica: valid until replica_close(). */
sqlite3 *replica_db(struct replica *r);

/*
 * The meta table. Each accessor is one statement: it joins the caller's transaction when one is
 * open (db_begin()) and commits by itself otherwise.
 *
 * replica_meta_get: 0 with *value a newly allocated string for the caller to free (an integer
 * value reads as its decimal text); 1 when key is absent; -1 with *cause on a database error.
 * *value is set only when 0 is returned.
 */
int replica_meta_get(struct replica *r, const char *key, char **value, char **cause)
    WARN_UNUSED;
/* Store value (copied) under key, replacing any value. 0, or -1 with *cause. */
int replica_meta_set(struct replica *r, const char *key, const char *value, char **cause)
    WARN_UNUSED;
/*
 * As replica_meta_get, for an integer: 0 with *value; 1 when absent; -1 with *cause on a
 * database error or when the stored value is not an integer.
 */
int replica_meta_get_int(struct replica *r, const char *key, int64_t *value, char **cause)
    WARN_UNUSED;
/* Store an integer under key. 0, or -1 with *cause. */
int replica_meta_set_int(struct replica *r, const char *key, int64_t value, char **cause)
    WARN_UNUSED;
/* Remove key (absent is fine). 0, or -1 with *cause. */
int replica_meta_delete(struct replica *r, const char *key, char **cause) WARN_UNUSED;

#endif
