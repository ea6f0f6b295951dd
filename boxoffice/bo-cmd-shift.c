/* bo-cmd-shift.c: tessera-boxoffice shift open, shift close and report shift. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bo-cmd.h"
#include "cart.h"
#include "db.h"
#include "device.h"
#include "journal.h"
#include "xmalloc.h"

/* Parse the options every shift command takes. */
static int
shift_args(const struct cmdline_cmd *self, int argc, char **argv, const char **replica,
    const char *money_opt, int64_t *money, int *csv, int64_t *shift_id)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "float", required_argument, NULL, 'f' },
		{ "counted", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "shift", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t id;
	char *cause = NULL;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		switch (c) {
		case 'r':
			*replica = optarg;
			break;
		case 'f':
		case 'c':
			if (money_opt == NULL || strcmp(money_opt, c == 'f' ? "float" : "counted") != 0)
				return cmdline_usage_error(self,
				    "--%s is not an option of this command",
				    c == 'f' ? "float" : "counted");
			if (cart_money_parse(optarg, money, &cause) != 0) {
				rc = cmdline_usage_error(self, "--%s %s", money_opt, cause);
				free(cause);
				return rc;
			}
			break;
		case 'C':
			if (csv == NULL)
				return cmdline_usage_error(self,
				    "--csv is not an option of this command");
			*csv = 1;
			break;
		case 's':
			if (shift_id == NULL || bo_cmd_parse_id(optarg, &id) != 0)
				return cmdline_usage_error(self, "--shift %s: not a shift number",
				    optarg);
			*shift_id = id;
			break;
		}
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument %s", argv[optind]);
	if (money_opt != NULL && *money < 0)
		return cmdline_usage_error(self, "--%s AMOUNT is required", money_opt);
	return BO_EXIT_OK;
}

static int
print_report(const struct cmdline_cmd *self, struct device *d, int64_t id, int csv)
{
	struct shift_report r;
	char *cause = NULL, *text;
	int rc;

	rc = journal_shift_report(replica_db(device_replica(d)), id, &r, &cause);
	if (rc != 0) {
		if (rc < 0)
			cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
		else
			cmdline_error(self, BO_EXIT_ERROR, "there is no shift %lld", (long long)id);
		free(cause);
		return BO_EXIT_ERROR;
	}
	text = csv ? journal_report_csv(&r) : journal_report_text(&r);
	fputs(text, stdout);
	free(text);
	if (!r.intact) {
		cmdline_error(self, BO_EXIT_ERROR, "the sales journal was tampered with: %s",
		    r.problem);
		return BO_EXIT_ERROR;
	}
	return BO_EXIT_OK;
}

static int
report_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL;
	struct device *d;
	struct shift sh;
	int64_t id = 0, none = 0;
	char *cause = NULL;
	int rc, csv = 0;

	if ((rc = shift_args(self, argc, argv, &replica, NULL, &none, &csv, &id)) != BO_EXIT_OK)
		return rc;
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK)
		return rc;
	if (id == 0) {
		rc = journal_shift_current(replica_db(device_replica(d)), device_id(d), &sh,
		    &cause);
		if (rc == 1)
			rc = journal_shift_last(replica_db(device_replica(d)), device_id(d), &sh,
			    &cause);
		if (rc != 0) {
			if (rc < 0)
				cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
			else
				cmdline_error(self, BO_EXIT_ERROR,
				    "no shift yet: nothing was sold here");
			free(cause);
			device_close(d);
			return BO_EXIT_ERROR;
		}
		id = sh.id;
	}
	rc = print_report(self, d, id, csv);
	device_close(d);
	return rc;
}

const struct cmdline_cmd bo_cmd_report_shift = {
	"report shift", "--replica FILE [--shift N] [--csv]",
	"The shift report: tickets, refunds, takings by payment method, cash, the journal's head.",
	"Reports the open shift, or the last one closed (--shift N: that one). The totals are\n"
	"computed from the hash-chained sales journal, which is verified first: a journal that\n"
	"was altered is reported BROKEN and the exit status is 1.\n",
	report_exec,
	&bo_prog,
};

static int
open_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL;
	struct device *d;
	struct shift sh;
	sqlite3 *db;
	int64_t amount = -1;
	char *cause = NULL, a[CART_MONEY_LEN];
	int rc;

	if ((rc = shift_args(self, argc, argv, &replica, "float", &amount, NULL, NULL)) !=
	    BO_EXIT_OK)
		return rc;
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK)
		return rc;
	db = replica_db(device_replica(d));
	if (db_begin(db, &cause) != 0 || journal_shift_open(db, device_id(d), device_now(d),
	    amount, &sh, &cause) != 0 || db_commit(db, &cause) != 0) {
		db_rollback(db);
		rc = cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
		free(cause);
		device_close(d);
		return rc;
	}
	cart_money_format(amount, a, sizeof a);
	printf("shift %lld open, float %s\n", (long long)sh.id, a);
	device_close(d);
	return BO_EXIT_OK;
}

const struct cmdline_cmd bo_cmd_shift_open = {
	"shift open", "--replica FILE --float AMOUNT",
	"Open a cash-drawer shift with the float counted into the drawer.",
	"A sale made with no shift open opens one with a float of 0.\n",
	open_exec,
	&bo_prog,
};

static int
close_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL;
	struct device *d;
	struct shift sh;
	sqlite3 *db;
	int64_t amount = -1;
	char *cause = NULL;
	int rc;

	if ((rc = shift_args(self, argc, argv, &replica, "counted", &amount, NULL, NULL)) !=
	    BO_EXIT_OK)
		return rc;
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK)
		return rc;
	db = replica_db(device_replica(d));
	if (db_begin(db, &cause) != 0 || journal_shift_close(db, device_id(d), device_now(d),
	    amount, &sh, &cause) != 0 || db_commit(db, &cause) != 0) {
		db_rollback(db);
		rc = cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
		free(cause);
		device_close(d);
		return rc;
	}
	rc = print_report(self, d, sh.id, 0);
	device_close(d);
	return rc;
}

const struct cmdline_cmd bo_cmd_shift_close = {
	"shift close", "--replica FILE --counted AMOUNT",
	"Close the open shift with the cash counted in the drawer, and print its report.",
	"The report compares the counted cash with the float plus cash sales minus cash refunds,\n"
	"and prints the journal's chain head, which the close also records.\n",
	close_exec,
	&bo_prog,
};
