/*
 * cmd-report.c: tessera-sync report sales, report attendance and report conflicts.
 *
 * Reports read the SQLite store directly through store_db(), read-only, with the queries below
 * (the tables are described at the top of store.c and in docs/data-model.md). A PostgreSQL
 * store would move these queries behind store.h.
 *
 * What counts:
 *   sold        a seat whose state is sold, admitted or exited (a valid ticket now)
 *   payment     the pay of the latest accepted sell operation of that seat by the box office
 *               that issued the ticket (ops.device_id = seat_state.key_id); none known yet
 *               (the sale reached the server only through an admission) is "other"
 *   revenue     the price of the sold seats that are not comps
 *   refunds     accepted refund operations and the price they carry
 *   accepted    an operation whose result is applied, merged or conflict
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "timefmt.h"
#include "xmalloc.h"

#define ACCEPTED "('applied', 'merged', 'conflict')"

struct report {
	const struct cmdline_cmd  *self;
	struct store            *st;
	sqlite3                 *db;
	uint32_t                 event;
	int                      csv;
	char                    *name;
	char                    *venue;
	char                    *currency;
	int64_t                  starts_at;
};

/* Options, the store and the event. CMD_EXIT_OK, or an exit status after a message. */
static int
report_open(const struct cmdline_cmd *self, int argc, char **argv, struct report *r)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "event", required_argument, NULL, 'e' },
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	sqlite3_stmt *s;
	const char *db = NULL, *event = NULL;
	int c, rc;

	memset(r, 0, sizeof *r);
	r->self = self;
	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'e':
			event = optarg;
			break;
		case 'c':
			r->csv = 1;
			break;
		}
	}
	if (db == NULL)
		return cmdline_usage_error(self, "--db FILE is required");
	if (event == NULL)
		return cmdline_usage_error(self,
		    "--event ID is required (event list shows the ids)");
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if (cmd_parse_id(event, &r->event) != 0)
		return cmdline_usage_error(self,
		    "--event \"%s\": want an event id (event list shows "
		    "them)", event);
	if ((rc = cmd_open(self, db, &r->st)) != CMD_EXIT_OK)
		return rc;
	r->db = store_db(r->st);

	s = db_prepare(r->db, "SELECT events.name, venues.name, events.currency, "
	    "events.starts_at FROM events JOIN venues ON venues.id = events.venue_id "
	    "WHERE events.id = ?");
	sqlite3_bind_int64(s, 1, r->event);
	if (sqlite3_step(s) == SQLITE_ROW) {
		r->name = xstrdup((const char *)sqlite3_column_text(s, 0));
		r->venue = xstrdup((const char *)sqlite3_column_text(s, 1));
		r->currency = xstrdup((const char *)sqlite3_column_text(s, 2));
		r->starts_at = sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (r->name == NULL) {
		store_close(r->st);
		r->st = NULL;
		return cmdline_error(self, CMD_EXIT_ERROR,
		    "no event %" PRIu32 " (event list shows the ids)",
		    r->event);
	}
	return CMD_EXIT_OK;
}

static void
report_close(struct report *r)
{
	free(r->name);
	free(r->venue);
	free(r->currency);
	store_close(r->st);
}

static void
report_title(const struct report *r, const char *what)
{
	char when[64];

	timefmt_local(r->starts_at, "%Y-%m-%d %H:%M %Z", when, sizeof when);
	printf("%s: %s (event %" PRIu32 "), %s, starts %s\n", what, r->name, r->event, r->venue,
	    when);
}

/* A money cell: minor units in CSV, "EUR 125.00" in text. */
static void
money(const struct report *r, struct cmd_rows *rows, int64_t minor)
{
	char buf[CMD_MONEY_LEN];

	if (r->csv) {
		cmd_rows_add(rows, "%" PRId64, minor);
		return;
	}
	cmd_format_money(minor, buf, sizeof buf);
	cmd_rows_add(rows, "%s %s", r->currency, buf);
}

static void
integer(struct cmd_rows *rows, int64_t v)
{
	cmd_rows_add(rows, "%" PRId64, v);
}

static const char *
text(sqlite3_stmt *s, int col, const char *none)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	return t != NULL ? t : none;
}

/* A device as staff know it: "North door (#3)", or "#3" when the store has no such device. */
static void
device_cell(struct cmd_rows *rows, sqlite3_stmt *s, int idcol, int namecol)
{
	if (sqlite3_column_type(s, namecol) == SQLITE_NULL)
		cmd_rows_add(rows, "#%lld", (long long)sqlite3_column_int64(s, idcol));
	else
		cmd_rows_add(rows, "%s (#%lld)", text(s, namecol, ""),
		    (long long)sqlite3_column_int64(s, idcol));
}

/* ------------------------------------------------------------------ sales */

/* The seats sold now, each with its price, tier, issuing box office and payment. */
#define SALES_CTE \
	"WITH latest AS (SELECT device_id, seat_id, pay, max(seq) FROM ops WHERE event_id = ?1 " \
	"AND kind = 'sell' AND result IN " ACCEPTED " GROUP BY device_id, seat_id), " \
	"sold AS (SELECT ss.seat_id, ss.tier, ss.price, ss.key_id, latest.pay FROM seat_state ss " \
	"LEFT JOIN latest ON latest.device_id = ss.key_id AND latest.seat_id = ss.seat_id " \
	"WHERE ss.event_id = ?1 AND ss.state IN ('sold', 'admitted', 'exited')), " \
	"refunds AS (SELECT device_id, count(*) AS n, coalesce(sum(price), 0) AS amount FROM ops " \
	"WHERE event_id = ?1 AND kind = 'refund' AND result IN " ACCEPTED " GROUP BY device_id) "
/* sold, comps, cash, card, other, revenue over the rows of sold s. */
#define SALES_AGG \
	"count(s.seat_id), count(CASE WHEN s.pay = 'comp' THEN 1 END), " \
	"coalesce(sum(CASE WHEN s.pay = 'cash' THEN s.price END), 0), " \
	"coalesce(sum(CASE WHEN s.pay = 'card' THEN s.price END), 0), " \
	"coalesce(sum(CASE WHEN s.pay IS NULL OR s.pay NOT IN ('cash', 'card', 'comp') " \
	"THEN s.price END), 0), " \
	"coalesce(sum(CASE WHEN s.pay IS NULL OR s.pay != 'comp' THEN s.price END), 0)"

/* The six SALES_AGG cells from column col. */
static void
sales_cells(const struct report *r, struct cmd_rows *rows, sqlite3_stmt *s, int col)
{
	int i;

	integer(rows, sqlite3_column_int64(s, col));
	integer(rows, sqlite3_column_int64(s, col + 1));
	for (i = 2; i < 6; i++)
		money(r, rows, sqlite3_column_int64(s, col + i));
}

static int
cmd_report_sales_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	struct report r;
	struct cmd_rows *tiers, *boxes;
	sqlite3_stmt *s;
	int rc;

	if ((rc = report_open(self, argc, argv, &r)) != CMD_EXIT_OK)
		return rc;
	if (r.csv) {
		tiers = boxes = cmd_rows_new("GROUP|ID|NAME|PRICE|SOLD|COMPS|CASH|CARD|OTHER|"
		    "REVENUE|REFUNDS|REFUNDED");
	} else {
		tiers = cmd_rows_new("TIER|>PRICE|>SOLD|>COMPS|>CASH|>CARD|>OTHER|>REVENUE");
		boxes = cmd_rows_new(">ID|BOX OFFICE|>SOLD|>COMPS|>CASH|>CARD|>OTHER|>REVENUE|"
		    ">REFUNDS|>REFUNDED");
	}

	s = db_prepare(r.db, SALES_CTE "SELECT t.idx, t.name, t.price, " SALES_AGG " FROM tiers t "
	    "LEFT JOIN sold s ON s.tier = t.idx WHERE t.event_id = ?1 GROUP BY t.idx "
	    "ORDER BY t.idx");
	sqlite3_bind_int64(s, 1, r.event);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (r.csv) {
			cmd_rows_add(tiers, "tier");
			integer(tiers, sqlite3_column_int64(s, 0));
		}
		cmd_rows_add(tiers, "%s", text(s, 1, ""));
		money(&r, tiers, sqlite3_column_int64(s, 2));
		sales_cells(&r, tiers, s, 3);
		if (r.csv) {
			cmd_rows_add(tiers, "%s", "");
			cmd_rows_add(tiers, "%s", "");
		}
	}
	sqlite3_finalize(s);

	s = db_prepare(r.db, SALES_CTE ", bo AS (SELECT key_id AS id FROM sold UNION SELECT "
	    "device_id FROM refunds) SELECT bo.id, d.name, " SALES_AGG ", coalesce((SELECT n FROM "
	    "refunds WHERE device_id = bo.id), 0), coalesce((SELECT amount FROM refunds WHERE "
	    "device_id = bo.id), 0) FROM bo LEFT JOIN devices d ON d.id = bo.id LEFT JOIN sold s "
	    "ON s.key_id = bo.id GROUP BY bo.id ORDER BY bo.id");
	sqlite3_bind_int64(s, 1, r.event);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (r.csv)
			cmd_rows_add(boxes, "boxoffice");
		integer(boxes, sqlite3_column_int64(s, 0));
		cmd_rows_add(boxes, "%s", text(s, 1, "?"));
		if (r.csv)
			cmd_rows_add(boxes, "%s", "");
		sales_cells(&r, boxes, s, 2);
		integer(boxes, sqlite3_column_int64(s, 8));
		money(&r, boxes, sqlite3_column_int64(s, 9));
	}
	sqlite3_finalize(s);

	s = db_prepare(r.db, SALES_CTE "SELECT " SALES_AGG ", (SELECT coalesce(sum(n), 0) FROM "
	    "refunds), (SELECT coalesce(sum(amount), 0) FROM refunds) FROM sold s");
	sqlite3_bind_int64(s, 1, r.event);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (r.csv) {
			cmd_rows_add(boxes, "total");
			cmd_rows_add(boxes, "%s", "");
			cmd_rows_add(boxes, "%s", "");
			cmd_rows_add(boxes, "%s", "");
		} else {
			cmd_rows_add(tiers, "Total");
			cmd_rows_add(tiers, "%s", "");
			sales_cells(&r, tiers, s, 0);
			cmd_rows_add(boxes, "%s", "");
			cmd_rows_add(boxes, "Total");
		}
		sales_cells(&r, boxes, s, 0);
		integer(boxes, sqlite3_column_int64(s, 6));
		money(&r, boxes, sqlite3_column_int64(s, 7));
	}
	sqlite3_finalize(s);

	if (r.csv)
		cmd_rows_print(boxes, stdout, 1);
	else {
		report_title(&r, "Sales");
		printf("\nBy tier\n");
		cmd_rows_print(tiers, stdout, 0);
		printf("\nBy box office\n");
		cmd_rows_print(boxes, stdout, 0);
		printf("\nSOLD counts the tickets valid now (sold, admitted, exited); REVENUE is "
		    "their price but comps.\nOTHER: sales whose payment has not reached the server "
		    "yet. REFUNDED: money given back.\n");
		cmd_rows_free(tiers);
	}
	cmd_rows_free(boxes);
	report_close(&r);
	return CMD_EXIT_OK;
}

const struct cmdline_cmd cmd_report_sales_entry = {
	.name = "report sales",
	.usage = "--db FILE --event ID [--csv]",
	.summary = "Tickets sold and money taken, by tier, by box office and in total.",
	.help =
	    "Counts the tickets valid now (sold, admitted or exited), comps, revenue by payment\n"
	    "method (cash, card, other: not known yet), and refunds. Text shows money as\n"
	    "\"EUR 125.00\"; CSV as integer minor units (12500), one row per tier, per box\n"
	    "office and a total, the first column saying which.\n"
	    "\n"
	    "  --db FILE     the store\n"
	    "  --event ID    the event (event list shows the ids)\n"
	    "  --csv         CSV with a header line instead of text tables\n",
	.exec = cmd_report_sales_exec,
	.prog = &cmd_prog,
};

/* ------------------------------------------------------------------ attendance */

static int
cmd_report_attendance_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	struct report r;
	struct cmd_rows *secs, *gates;
	sqlite3_stmt *s;
	int64_t t[6] = { 0 }, g[4] = { 0 }, dups = 0, v;
	int rc, i;

	if ((rc = report_open(self, argc, argv, &r)) != CMD_EXIT_OK)
		return rc;
	if (r.csv) {
		secs = gates = cmd_rows_new("GROUP|ID|NAME|SEATS|SOLD|ENTERED|INSIDE|EXITED|"
		    "NOT YET|ADMISSIONS|EXITS|REFUSED|DUPLICATES");
	} else {
		secs = cmd_rows_new("SECTION|>SEATS|>SOLD|>ENTERED|>INSIDE|>EXITED|>NOT YET");
		gates = cmd_rows_new(">ID|GATE|>ADMISSIONS|>EXITS|>REFUSED|>DUPLICATES");
	}

	/* Seats, sold, entered at all, inside now, exited now; not yet = sold - entered. */
	s = db_prepare(r.db, "SELECT seats.section, count(*), "
	    "count(CASE WHEN ss.state IN ('sold', 'admitted', 'exited') THEN 1 END), "
	    "count(CASE WHEN ss.state IN ('admitted', 'exited') THEN 1 END), "
	    "count(CASE WHEN ss.state = 'admitted' THEN 1 END), "
	    "count(CASE WHEN ss.state = 'exited' THEN 1 END) "
	    "FROM events e JOIN seats ON seats.venue_id = e.venue_id LEFT JOIN seat_state ss "
	    "ON ss.event_id = e.id AND ss.seat_id = seats.id WHERE e.id = ?1 "
	    "GROUP BY seats.section ORDER BY min(seats.id)");
	sqlite3_bind_int64(s, 1, r.event);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (r.csv) {
			cmd_rows_add(secs, "section");
			cmd_rows_add(secs, "%s", "");
		}
		cmd_rows_add(secs, "%s", text(s, 0, ""));
		for (i = 0; i < 5; i++) {
			v = sqlite3_column_int64(s, i + 1);
			t[i] += v;
			integer(secs, v);
		}
		v = sqlite3_column_int64(s, 2) - sqlite3_column_int64(s, 3);
		t[5] += v;
		integer(secs, v);
		if (r.csv) {
			for (i = 0; i < 4; i++)
				cmd_rows_add(secs, "%s", "");
		}
	}
	sqlite3_finalize(s);

	/* Gates that are active or did something at this event. */
	s = db_prepare(r.db, "SELECT d.id, d.name, "
	    "count(CASE WHEN o.kind = 'admit' AND o.result IN " ACCEPTED " THEN 1 END), "
	    "count(CASE WHEN o.kind = 'exit' AND o.result IN " ACCEPTED " THEN 1 END), "
	    "count(CASE WHEN o.result NOT IN ('applied', 'merged', 'conflict', 'known') "
	    "THEN 1 END), "
	    "(SELECT count(*) FROM conflicts c WHERE c.event_id = ?1 AND "
	    "c.kind = 'duplicate-admission' AND c.loser_device = d.id) "
	    "FROM devices d LEFT JOIN ops o ON o.device_id = d.id AND o.event_id = ?1 "
	    "WHERE d.role = 'gate' AND (d.state = 'active' OR o.device_id IS NOT NULL) "
	    "GROUP BY d.id ORDER BY d.id");
	sqlite3_bind_int64(s, 1, r.event);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (r.csv)
			cmd_rows_add(gates, "gate");
		integer(gates, sqlite3_column_int64(s, 0));
		cmd_rows_add(gates, "%s", text(s, 1, ""));
		if (r.csv) {
			for (i = 0; i < 6; i++)
				cmd_rows_add(gates, "%s", "");
		}
		for (i = 0; i < 4; i++) {
			v = sqlite3_column_int64(s, i + 2);
			g[i] += v;
			integer(gates, v);
		}
	}
	sqlite3_finalize(s);

	s = db_prepare(r.db, "SELECT count(*) FROM conflicts WHERE event_id = ? AND "
	    "kind = 'duplicate-admission'");
	sqlite3_bind_int64(s, 1, r.event);
	if (sqlite3_step(s) == SQLITE_ROW)
		dups = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);

	if (r.csv) {
		cmd_rows_add(secs, "total");
		cmd_rows_add(secs, "%s", "");
		cmd_rows_add(secs, "%s", "");
		for (i = 0; i < 6; i++)
			integer(secs, t[i]);
		for (i = 0; i < 3; i++)
			integer(secs, g[i]);
		integer(secs, dups);
		cmd_rows_print(secs, stdout, 1);
	} else {
		cmd_rows_add(secs, "Total");
		for (i = 0; i < 6; i++)
			integer(secs, t[i]);
		cmd_rows_add(gates, "%s", "");
		cmd_rows_add(gates, "Total");
		for (i = 0; i < 4; i++)
			integer(gates, g[i]);
		report_title(&r, "Attendance");
		printf("\nBy section\n");
		cmd_rows_print(secs, stdout, 0);
		printf("\nBy gate\n");
		cmd_rows_print(gates, stdout, 0);
		printf("\nDuplicate admissions: %" PRId64 "%s\n", dups, dups > 0 ?
		    " (report conflicts names the gates and times)" : "");
		cmd_rows_free(gates);
	}
	cmd_rows_free(secs);
	report_close(&r);
	return CMD_EXIT_OK;
}

const struct cmdline_cmd cmd_report_attendance_entry = {
	.name = "report attendance",
	.usage = "--db FILE --event ID [--csv]",
	.summary = "Who came in: by section and by gate, with duplicate admissions.",
	.help =
	    "By section: seats, sold, entered (at all), inside now, exited now, not yet (sold but\n"
	    "never entered). By gate: admissions and exits the server accepted, those it\n"
	    "refused, and duplicate admissions where the gate let in a ticket already used\n"
	    "elsewhere. CSV: one row per section, per gate and a total, the first column\n"
	    "saying which.\n"
	    "\n"
	    "  --db FILE     the store\n"
	    "  --event ID    the event (event list shows the ids)\n"
	    "  --csv         CSV with a header line instead of text tables\n",
	.exec = cmd_report_attendance_exec,
	.prog = &cmd_prog,
};

/* ------------------------------------------------------------------ conflicts */

static int
cmd_report_conflicts_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	struct report r;
	struct cmd_rows *rows;
	sqlite3_stmt *s;
	char when[64];
	int rc, i;

	if ((rc = report_open(self, argc, argv, &r)) != CMD_EXIT_OK)
		return rc;
	if (r.csv)
		rows = cmd_rows_new("KIND|SEAT|WINNER ID|WINNER|WINNER AT|LOSER ID|LOSER|LOSER AT|"
		    "VOIDED KEY ID|VOIDED SERIAL|DETECTED AT");
	else
		rows = cmd_rows_new("KIND|SEAT|WINNER|WINNER AT|LOSER|LOSER AT|VOIDED TICKET");

	/* 0 kind, 1 label, 2 winner, 3 name, 4 at, 5 loser, 6 name, 7 at, 8 key, 9 name,
	 * 10 serial, 11 detected */
	s = db_prepare(r.db, "SELECT c.kind, coalesce(s.label, '#' || c.seat_id), "
	    "c.winner_device, w.name, c.winner_at, c.loser_device, l.name, c.loser_at, "
	    "c.loser_key_id, k.name, c.loser_serial, c.detected_at FROM conflicts c "
	    "LEFT JOIN seats s ON s.id = c.seat_id LEFT JOIN devices w ON w.id = c.winner_device "
	    "LEFT JOIN devices l ON l.id = c.loser_device LEFT JOIN devices k ON "
	    "k.id = c.loser_key_id WHERE c.event_id = ?1 ORDER BY c.winner_at, c.id");
	sqlite3_bind_int64(s, 1, r.event);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cmd_rows_add(rows, "%s", text(s, 0, ""));
		cmd_rows_add(rows, "%s", text(s, 1, ""));
		if (r.csv) {
			for (i = 2; i <= 5; i += 3) {
				integer(rows, sqlite3_column_int64(s, i));
				cmd_rows_add(rows, "%s", text(s, i + 1, ""));
				timefmt_iso(sqlite3_column_int64(s, i + 2), when, sizeof when);
				cmd_rows_add(rows, "%s", when);
			}
			if (strcmp(text(s, 0, ""), "double-sale") == 0) {
				integer(rows, sqlite3_column_int64(s, 8));
				integer(rows, sqlite3_column_int64(s, 10));
			} else {
				cmd_rows_add(rows, "%s", "");
				cmd_rows_add(rows, "%s", "");
			}
			timefmt_iso(sqlite3_column_int64(s, 11), when, sizeof when);
			cmd_rows_add(rows, "%s", when);
			continue;
		}
		for (i = 2; i <= 5; i += 3) {
			device_cell(rows, s, i, i + 1);
			timefmt_local(sqlite3_column_int64(s, i + 2), "%Y-%m-%d %H:%M:%S", when,
			    sizeof when);
			cmd_rows_add(rows, "%s", when);
		}
		if (strcmp(text(s, 0, ""), "double-sale") == 0) {
			if (sqlite3_column_type(s, 9) == SQLITE_NULL)
				cmd_rows_add(rows, "#%lld serial %lld",
				    (long long)sqlite3_column_int64(s, 8),
				    (long long)sqlite3_column_int64(s, 10));
			else
				cmd_rows_add(rows, "%s (#%lld) serial %lld", text(s, 9, ""),
				    (long long)sqlite3_column_int64(s, 8),
				    (long long)sqlite3_column_int64(s, 10));
		} else
			cmd_rows_add(rows, "-");
	}
	sqlite3_finalize(s);

	if (!r.csv) {
		report_title(&r, "Conflicts");
		printf("%zu conflict%s\n\n", cmd_rows_count(rows), cmd_rows_count(rows) == 1 ?
		    "" : "s");
	}
	cmd_rows_print(rows, stdout, r.csv);
	if (!r.csv && cmd_rows_count(rows) > 0)
		printf("\nduplicate-admission: one ticket entered at both gates; the earlier "
		    "(WINNER) stands.\ndouble-sale: one seat sold twice; the voided ticket's "
		    "holder needs another seat.\nadmitted-refunded: someone entered on a ticket "
		    "refunded meanwhile.\n");
	cmd_rows_free(rows);
	report_close(&r);
	return CMD_EXIT_OK;
}

const struct cmdline_cmd cmd_report_conflicts_entry = {
	.name = "report conflicts",
	.usage = "--db FILE --event ID [--csv]",
	.summary = "Every conflict the merge found: both devices and both times.",
	.help =
	    "One line per conflict: its kind (duplicate-admission, double-sale,\n"
	    "admitted-refunded), the seat, the winning and the losing device with their times\n"
	    "(local time in text, ISO 8601 UTC in CSV) and, for a double sale, the voided\n"
	    "ticket (issuing box office and serial).\n"
	    "\n"
	    "  --db FILE     the store\n"
	    "  --event ID    the event (event list shows the ids)\n"
	    "  --csv         CSV with a header line instead of a text table\n",
	.exec = cmd_report_conflicts_exec,
	.prog = &cmd_prog,
};
