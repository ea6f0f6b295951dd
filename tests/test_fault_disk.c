/*
 * test_fault_disk.c: disk full and I/O errors, by SQLite fault injection.
 *
 * A VFS shim (registered as the default in this test only) passes everything to the real VFS
 * but, for the files whose path starts with the target prefix, lets only a budget of writes
 * through; after that every write (or fsync) fails with SQLITE_FULL or SQLITE_IOERR, as on a
 * full or failing disk. For every budget from 0 up, until the work goes through:
 *
 *   - a sale at a box office and a scan at a gate are refused with a message that says so
 *     (nothing is shown as sold or admitted), the replica passes integrity_check and holds no
 *     half-written sale or scan, and once space is back the same work succeeds;
 *   - a sync into a full replica fails without moving the cursor and loses nothing;
 *   - the server's store full: the push is refused (500), the device keeps its outbox, and the
 *     next push delivers every operation once.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fault.h"
#include "gate.h"
#include "sale.h"

/* ---- the shim ---------------------------------------------------------------------------- */

struct shim_file {
	sqlite3_file  base;
	sqlite3_file *real;
	const char   *name;             /* SQLite keeps it until xClose */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static char shim_prefix[256];            /* "" : no target */
static long shim_budget = -1;            /* writes left for the target; -1: no limit */
static int shim_error = SQLITE_FULL;     /* what a write past the budget returns */
static int shim_fsync;                   /* fail fsyncs past the budget too */
static long shim_failed;                 /* writes and syncs refused */

static int
shim_spend(struct shim_file *f)
{
	if (shim_budget < 0 || shim_prefix[0] == '\0' || f->name == NULL ||
	    strncmp(f->name, shim_prefix, strlen(shim_prefix)) != 0)
		return 0;
	if (shim_budget == 0) {
		shim_failed++;
		return 1;
	}
	shim_budget--;
	return 0;
}

static int
shim_close(sqlite3_file *f)
{
	struct shim_file *s = (struct shim_file *)f;
	int rc = s->real->pMethods->xClose(s->real);

	return rc;
}

static int
shim_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xRead(s->real, buf, n, off);
}

static int
shim_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct shim_file *s = (struct shim_file *)f;

	if (shim_spend(s))
		return shim_error == SQLITE_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	return s->real->pMethods->xWrite(s->real, buf, n, off);
}

static int
shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xTruncate(s->real, size);
}

static int
shim_sync(sqlite3_file *f, int flags)
{
	struct shim_file *s = (struct shim_file *)f;

	if (shim_fsync && shim_spend(s))
		return SQLITE_IOERR_FSYNC;
	return s->real->pMethods->xSync(s->real, flags);
}

static int
shim_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xFileSize(s->real, size);
}

static int
shim_lock(sqlite3_file *f, int l)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xLock(s->real, l);
}

static int
shim_unlock(sqlite3_file *f, int l)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xUnlock(s->real, l);
}

static int
shim_reserved(sqlite3_file *f, int *out)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xCheckReservedLock(s->real, out);
}

static int
shim_control(sqlite3_file *f, int op, void *arg)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xFileControl(s->real, op, arg);
}

static int
shim_sector(sqlite3_file *f)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xSectorSize(s->real);
}

static int
shim_caps(sqlite3_file *f)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xDeviceCharacteristics(s->real);
}

static int
shim_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xShmMap(s->real, pg, sz, extend, p);
}

static int
shim_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xShmLock(s->real, off, n, flags);
}

static void
shim_shm_barrier(sqlite3_file *f)
{
	struct shim_file *s = (struct shim_file *)f;

	s->real->pMethods->xShmBarrier(s->real);
}

static int
shim_shm_unmap(sqlite3_file *f, int del)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xShmUnmap(s->real, del);
}

static int
shim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xFetch(s->real, off, n, p);
}

static int
shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	struct shim_file *s = (struct shim_file *)f;

	return s->real->pMethods->xUnfetch(s->real, off, p);
}

static const sqlite3_io_methods shim_io = {
	3, shim_close, shim_read, shim_write, shim_truncate, shim_sync, shim_size, shim_lock,
	shim_unlock, shim_reserved, shim_control, shim_sector, shim_caps, shim_shm_map,
	shim_shm_lock, shim_shm_barrier, shim_shm_unmap, shim_fetch, shim_unfetch,
};

static int
shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct shim_file *s = (struct shim_file *)f;
	int rc;

	(void)vfs;
	s->real = (sqlite3_file *)(s + 1);
	s->name = name;
	rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
	s->base.pMethods = rc == SQLITE_OK && s->real->pMethods != NULL ? &shim_io : NULL;
	return rc;
}

static int
shim_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int
shim_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
shim_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void
shim_install(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL || real_vfs->iVersion < 1)
		fault_die("no default VFS");
	shim_vfs = *real_vfs;           /* randomness, sleep, time, dlopen: the real ones */
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile;
	shim_vfs.zName = "tessera-fault";
	shim_vfs.pAppData = NULL;
	shim_vfs.xOpen = shim_open;
	shim_vfs.xDelete = shim_delete;
	shim_vfs.xAccess = shim_access;
	shim_vfs.xFullPathname = shim_fullpath;
	if (sqlite3_vfs_register(&shim_vfs, 1) != SQLITE_OK)
		fault_die("cannot register the VFS shim");
}

/* Writes to files under prefix fail after budget more (-1: never); error: SQLITE_FULL or _IOERR. */
static void
shim_set(const char *prefix, long budget, int error, int fsync)
{
	snprintf(shim_prefix, sizeof shim_prefix, "%s", prefix != NULL ? prefix : "");
	shim_budget = budget;
	shim_error = error;
	shim_fsync = fsync;
}

/* ---- the tests --------------------------------------------------------------------------- */

enum { BO, GATE, NDEV };

static struct world w;
static int64_t bo_pushed, gate_pushed;   /* operations the server acknowledged */

static int
setup(void **state)
{
	static const int roles[NDEV] = { ROLE_BOXOFFICE, ROLE_GATE };
	uint32_t *ids;
	char *cause = NULL;
	int i, n = 0;

	(void)state;
	world_setup(&w, "disk", 4, 25, roles, NDEV);
	for (i = 0; i < NDEV; i++)
		device_set_online_timeout(w.dev[i], 5000);
	/* Box office: every seat of section A leased, for offline sales. */
	ids = xcalloc(100, sizeof *ids);
	for (i = 0; i < 100; i++)
		ids[i] = w.seats[i];
	if (device_lease(w.dev[BO], w.event_id, ids, 100, NULL, NULL, 0, &n, &cause) != 0)
		fault_die("lease: %s", cause);
	free(ids);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	shim_set(NULL, -1, SQLITE_FULL, 0);
	world_teardown(&w);
	return 0;
}

/* No half sale: every order whole, every ticket's seat sold as it says, every op queued. */
static void
assert_box_whole(void)
{
	sqlite3 *db = replica_db(device_replica(w.dev[BO]));
	int64_t me = device_id(w.dev[BO]);

	assert_true(fault_integrity_ok(db));
	assert_int_equal(fault_int(db, "SELECT count(*) FROM orders WHERE id NOT IN (SELECT "
	    "order_id FROM order_tickets)", 0), 0);
	assert_int_equal(fault_int(db, "SELECT count(*) FROM order_tickets t JOIN seat_state s "
	    "USING (event_id, seat_id) WHERE NOT (s.key_id = ? AND s.serial = t.serial AND "
	    "s.state IN ('sold', 'admitted', 'exited'))", 1, me), 0);
	assert_int_equal(fault_int(db, "SELECT count(*) FROM seat_state s WHERE s.key_id = ? AND "
	    "s.state = 'sold' AND NOT EXISTS (SELECT 1 FROM order_tickets t WHERE t.seat_id = "
	    "s.seat_id AND t.serial = s.serial)", 1, me), 0);
	assert_int_equal(fault_int(db, "SELECT (SELECT count(*) FROM journal WHERE kind = 'sale') "
	    "- (SELECT count(*) FROM orders)", 0), 0);
	/* Every ticket has its operation, queued or acknowledged. */
	assert_int_equal(fault_int(db, "SELECT (SELECT count(*) FROM outbox) - (SELECT count(*) "
	    "FROM order_tickets)", 0), -bo_pushed);
}

static void
assert_gate_whole(void)
{
	sqlite3 *db = replica_db(device_replica(w.dev[GATE]));

	assert_true(fault_integrity_ok(db));
	assert_int_equal(fault_int(db, "SELECT (SELECT count(*) FROM admissions) - (SELECT count(*) "
	    "FROM scan_log WHERE verdict = 'admit')", 0), 0);
	assert_int_equal(fault_int(db, "SELECT (SELECT count(*) FROM outbox) - (SELECT count(*) "
	    "FROM admissions)", 0), -gate_pushed);
	assert_int_equal(fault_int(db, "SELECT (SELECT count(*) FROM seat_state WHERE state = "
	    "'admitted') - (SELECT count(*) FROM admissions)", 0), 0);
}

static int
is_disk_message(const char *cause)
{
	return cause != NULL && (strncmp(cause, "the disk is full: nothing was saved", 35) == 0 ||
	    strncmp(cause, "the disk failed (I/O error): nothing was saved", 46) == 0);
}

static char **tickets;
static int ntickets;

/* An offline sale of 2 leased seats under every write budget until it goes through. */
static int
sell_under(int error, int fsync, int *refusals, char *msg, size_t msglen)
{
	static int next = 0;
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o;
	uint32_t ids[2];
	char *cause = NULL;
	long budget;

	ids[0] = w.seats[next];
	ids[1] = w.seats[next + 1];
	next += 2;
	memset(&req, 0, sizeof req);
	req.event_id = w.event_id;
	req.seats = ids;
	req.nseats = 2;
	req.pay = "cash";
	req.tendered = -1;
	device_set_offline(w.dev[BO], 1);
	for (budget = 0; budget < 1000; budget++) {
		shim_set(w.path[BO], budget, error, fsync);
		if (sale_sell(w.dev[BO], &req, &o, &ref, &cause) == 0) {
			shim_set(NULL, -1, SQLITE_FULL, 0);
			tickets = xreallocarray(tickets, (size_t)ntickets + 2, sizeof *tickets);
			tickets[ntickets++] = xstrdup(o->tickets[0].qr);
			tickets[ntickets++] = xstrdup(o->tickets[1].qr);
			sale_order_free(o);
			assert_box_whole();
			device_set_offline(w.dev[BO], 0);
			return (int)budget;
		}
		shim_set(NULL, -1, SQLITE_FULL, 0);
		if (!is_disk_message(cause))
			fail_msg("budget %ld: refused without saying why: %s", budget, cause);
		snprintf(msg, msglen, "%s", cause);
		free(cause);
		cause = NULL;
		(*refusals)++;
		/* Refused, and the replica is whole. */
		assert_box_whole();
	}
	fail_msg("the sale never went through");
	return -1;
}

static void
test_sale_on_a_full_disk(void **state)
{
	char full_msg[256] = "", io_msg[256] = "";
	int refusals = 0, full, ioerr, fsync;

	(void)state;
	full = sell_under(SQLITE_FULL, 0, &refusals, full_msg, sizeof full_msg);
	ioerr = sell_under(SQLITE_IOERR, 0, &refusals, io_msg, sizeof io_msg);
	fsync = sell_under(SQLITE_IOERR, 1, &refusals, io_msg, sizeof io_msg);
	assert_true(full > 0 && ioerr > 0 && fsync > 0);
	assert_int_equal(fault_int(replica_db(device_replica(w.dev[BO])), "SELECT count(*) FROM "
	    "orders", 0), 3);
	fault_figure("disk-sale", "an offline sale needs %d disk writes; with 0 to %d allowed it "
	    "was refused each time (%d refusals: disk full, write error, failed fsync), saying "
	    "\"%s\" or \"%s\"; never half a sale; integrity ok; it went through once space was "
	    "back", full, full - 1, refusals, full_msg, io_msg);
}

static void
test_scan_on_a_full_disk(void **state)
{
	struct gate_verdict v;
	char *cause = NULL, msg[256] = "";
	long budget;
	int refusals = 0, k, needed = 0;

	(void)state;
	world_sync(&w, GATE, NULL);
	for (k = 0; k < 2; k++) {
		for (budget = 0; budget < 1000; budget++) {
			shim_set(w.path[GATE], budget, k == 0 ? SQLITE_FULL : SQLITE_IOERR, k);
			memset(&v, 0, sizeof v);
			if (gate_check(w.dev[GATE], tickets[k], GATE_ENTRY, 1, &v, &cause) == 0)
				break;
			shim_set(NULL, -1, SQLITE_FULL, 0);
			assert_true(is_disk_message(cause));
			assert_int_equal(v.admit, 0);   /* nothing shown */
			snprintf(msg, sizeof msg, "%s", cause);
			free(cause);
			cause = NULL;
			refusals++;
			assert_gate_whole();
		}
		shim_set(NULL, -1, SQLITE_FULL, 0);
		assert_true(v.admit);
		needed = (int)budget;
		assert_gate_whole();
	}
	/* The ticket is admitted once: scanned again, it is already in. */
	assert_int_equal(gate_check(w.dev[GATE], tickets[0], GATE_ENTRY, 1, &v, &cause), 0);
	assert_int_equal(v.reason, GATE_ALREADY_ADMITTED);
	fault_figure("disk-scan", "an offline entry needs %d disk writes; with fewer it was "
	    "refused %d times with \"%s\" and shown nothing; entries whole; integrity ok; "
	    "admitted once space was back", needed, refusals, msg);
}

static void
test_sync_into_a_full_replica(void **state)
{
	struct sync_report r;
	char *cause = NULL;
	int64_t cursor0 = 0, cursor1 = 0;
	long budget;
	int fails = 0;

	(void)state;
	/* The box office pushes its sales; the gate must pull them into a full disk. */
	world_sync(&w, BO, NULL);
	bo_pushed = fault_int(replica_db(device_replica(w.dev[BO])), "SELECT count(*) FROM "
	    "order_tickets", 0);
	assert_int_equal(replica_meta_get_int(device_replica(w.dev[GATE]), "pull_cursor", &cursor0,
	    &cause), 0);
	for (budget = 0; ; budget++) {
		shim_set(w.path[GATE], budget, SQLITE_FULL, 0);
		if (device_sync(w.dev[GATE], 0, &r, &cause) == 0)
			break;
		shim_set(NULL, -1, SQLITE_FULL, 0);
		assert_true(is_disk_message(cause));
		free(cause);
		cause = NULL;
		fails++;
		/* The push may have gone through before the pull failed. */
		gate_pushed = 2 - device_waiting(w.dev[GATE]);
		assert_gate_whole();
		assert_int_equal(replica_meta_get_int(device_replica(w.dev[GATE]), "pull_cursor",
		    &cursor1, &cause), 0);
		/* The cursor moved only with the records it covers. */
		assert_true(fault_int(store_db(w.st), "SELECT count(*) FROM seat_state WHERE seq <= ? "
		    "AND state = 'sold'", 1, cursor1) <= fault_int(replica_db(device_replica(
		    w.dev[GATE])), "SELECT count(*) FROM seat_state WHERE state IN ('sold', "
		    "'admitted')", 0));
	}
	shim_set(NULL, -1, SQLITE_FULL, 0);
	world_sync(&w, GATE, NULL);
	world_sync(&w, BO, NULL);
	gate_pushed = 2;
	assert_int_equal(fault_int(store_db(w.st), "SELECT count(*) FROM seat_state WHERE "
	    "event_id = ? AND state = 'sold'", 1, (int64_t)w.event_id), ntickets - 2);
	assert_int_equal(fault_int(replica_db(device_replica(w.dev[GATE])), "SELECT count(*) FROM "
	    "seat_state WHERE event_id = ? AND state IN ('sold', 'admitted')", 1,
	    (int64_t)w.event_id), ntickets);
	assert_gate_whole();
	fault_figure("disk-sync", "a sync into a full replica failed %d times (up to %ld writes "
	    "allowed), the cursor never ran ahead, then it completed", fails, budget);
}

static void
test_server_store_full(void **state)
{
	struct sync_report r;
	char *cause = NULL;
	int64_t before, after;
	long budget;
	int fails = 0, waiting;

	(void)state;
	/* A sale offline at the box office, then its push into a full store. */
	{
		char msg[256];
		int refusals = 0;

		(void)sell_under(SQLITE_FULL, 0, &refusals, msg, sizeof msg);
	}
	waiting = device_waiting(w.dev[BO]);
	assert_int_equal(waiting, 2);
	before = fault_int(store_db(w.st), "SELECT count(*) FROM ops", 0);
	for (budget = 0; ; budget++) {
		shim_set(w.dbpath, budget, SQLITE_FULL, 0);
		if (device_push(w.dev[BO], &r, &cause) == 0)
			break;
		shim_set(NULL, -1, SQLITE_FULL, 0);
		assert_non_null(strstr(cause, "(500)"));
		free(cause);
		cause = NULL;
		fails++;
		assert_int_equal(device_waiting(w.dev[BO]), waiting);   /* kept */
	}
	shim_set(NULL, -1, SQLITE_FULL, 0);
	assert_int_equal(device_waiting(w.dev[BO]), 0);
	bo_pushed += waiting;
	assert_box_whole();
	after = fault_int(store_db(w.st), "SELECT count(*) FROM ops", 0);
	assert_int_equal(after - before, waiting);
	assert_true(fault_integrity_ok(store_db(w.st)));
	fault_figure("disk-store", "a push into a full store was refused (500) %d times, the "
	    "device kept its %d operations, then delivered them once; store integrity ok", fails,
	    waiting);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sale_on_a_full_disk),
		cmocka_unit_test(test_scan_on_a_full_disk),
		cmocka_unit_test(test_sync_into_a_full_replica),
		cmocka_unit_test(test_server_store_full),
	};
	int rc, i;

	shim_install();
	keys_init();
	signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	for (i = 0; i < ntickets; i++)
		free(tickets[i]);
	free(tickets);
	return rc;
}
