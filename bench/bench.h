/* bench.h: the benchmarks of make bench: each figure measured beside its limit in one run. */
#ifndef TESSERA_BENCH_H
#define TESSERA_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "compat.h"
#include "keys.h"
#include "proto.h"

/*
 * One figure per file (fig-*.c), each exporting a struct bench_fig listed in the table of
 * bench.c. A figure builds what it needs (a store, the real server on 127.0.0.1, devices),
 * measures Tessera and the limit in the same run, adds rows with bench_row() and frees what it
 * built. A figure that cannot run says why (bench_note) and adds nothing; the run goes on.
 * docs/performance.md explains every figure.
 */
struct bench_fig {
	const char *name;               /* for the command line: "gate", "scan", ... */
	const char *summary;
	int       (*run)(void);         /* 0, or -1 after printing why */
};

extern const struct bench_fig fig_gate, fig_scan, fig_admit, fig_seen, fig_push,
    fig_bootstrap, fig_issue, fig_growth, fig_memory;

/* bench.c */
/*
 * A row of the table and of bench/results.csv. ratio is value / limit; met says whether the
 * goal (a sentence such as "ratio >= 0.7") holds, decided by the figure.
 */
void bench_row(const char *figure, const char *unit, double value, double limit,
    const char *goal, int met);
/* A line under the table: what a figure found (sizes used, breakdowns). printf-like. */
void bench_note(const char *fmt, ...) PRINTFLIKE(1, 2);
/* An integer setting from the environment (BENCH_...), or def; "quick" runs use quick. */
long bench_env(const char *name, long def, long quick);
/* Is this a quick (smoke) run? */
int bench_quick(void);
/* The path of this program (for the memory figure's child processes). */
const char *bench_self(void);
/* The tessera-scanner program to measure, or NULL when none was built. */
const char *bench_scanner(void);

/* time.c */
double bench_now(void);                                 /* monotonic seconds */
/* The q quantile (0..1) of n samples (sorted in place); 0 when n is 0. */
double bench_quantile(double *v, size_t n, double q);
void bench_sleep_ms(long ms);

/* world.c: a store and the real server in this process, as the tests start them. */
struct world {
	char            dir[64];                /* a temporary folder, removed by world_free */
	char            dbpath[128];
	struct store   *st;
	struct server  *srv;
	char            url[64];
	uint32_t        venue;
	uint32_t        event;
	uint32_t        first_seat;             /* seat ids are first_seat .. + nseats - 1 */
	size_t          nseats;
};
/*
 * A store with a generated venue of nseats (sections of 40 rows of 50), one event whose doors
 * are open, and the server listening on a free port of 127.0.0.1. NULL after printing why.
 */
struct world *world_new(const char *tag, size_t nseats);
void world_free(struct world *w);
/* Venue text with exactly nseats seats ("S1", rows 1..40, seats 1..50, ...). Newly allocated. */
char *world_venue_text(size_t nseats, size_t *len);

/* A device known to the server without a replica: its id and key pair (enrolled in the store). */
struct ident {
	uint32_t        id;
	int             role;
	struct keypair *kp;
};
int ident_new(struct world *w, int role, const char *name, struct ident *out);
void ident_free(struct ident *id);
/*
 * A client of the device at url (NULL: w->url) authenticating as a device does (the MAC key
 * it shares with w's server). The limits' clients are made the same way, so that both sides
 * of a figure do the same work on the device's side.
 */
struct client *ident_client(struct world *w, const struct ident *id, const char *url);
/*
 * A device with a replica in w->dir, enrolled through the server at url (NULL: w->url), its
 * online timeout 10 s. path (may be NULL) gets the replica's file name. NULL after printing why.
 */
struct device *world_device(struct world *w, int role, const char *name, const char *url,
    char *path, size_t len);

/* A ticket of box office bo for seat (generation 0, tier 0). Newly allocated QR text. */
char *world_ticket(const struct world *w, const struct ident *bo, uint32_t seat,
    uint32_t serial);
/*
 * The operation of gate g admitting seat on bo's ticket serial, as a gate sends it (push or
 * admit). sold: the seat's record already holds the sale, counted by bo in its vector.
 */
json_t *world_admit_op(const struct world *w, uint32_t gate, uint32_t seq, uint32_t bo,
    uint32_t seat, uint32_t serial, int sold);
/*
 * Every seat of the event sold by bo (serial = seat id), straight into the store's tables in
 * one transaction: a sold-out event without pushing a million sales first. 0 or -1.
 */
int world_sell_out(struct world *w, uint32_t bo);

/*
 * A plain SQLite file w->dir/name (db_open: WAL, synchronous=FULL) holding only the server's
 * seat_state and ops tables, for the limits of the push figures. NULL after printing why.
 */
sqlite3 *world_limit_db(struct world *w, const char *name);

/* proxy.c: a TCP forwarder on 127.0.0.1 that counts the bytes through it. */
struct proxy;
struct proxy *proxy_start(uint16_t target);
uint16_t proxy_port(struct proxy *p);
/* Bytes so far, both directions together (requests and answers, headers included). */
uint64_t proxy_bytes(struct proxy *p);
void proxy_stop(struct proxy *p);

/* mhd.c: a trivial libmicrohttpd server, one thread per connection like sync/server.c. */
struct trivial;
struct trivial *trivial_start(void);
uint16_t trivial_port(struct trivial *t);
void trivial_stop(struct trivial *t);

/* fig-memory.c: the child processes (tessera-bench --child ...). */
int memory_child(int argc, char **argv);

#endif
