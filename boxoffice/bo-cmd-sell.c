/* bo-cmd-sell.c: tessera-boxoffice sell and refund. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bo-cmd.h"
#include "cart.h"
#include "device.h"
#include "sale.h"
#include "xmalloc.h"

/* Resolve seat labels of event to ids. BO_EXIT_OK with *ids (free it), or an exit status. */
static int
resolve_seats(const struct cmdline_cmd *self, struct device *d, uint32_t event, char **labels,
    int n, uint32_t **ids)
{
	char *cause = NULL;
	int i, rc;

	*ids = xcalloc((size_t)n, sizeof **ids);
	for (i = 0; i < n; i++) {
		rc = sale_seat_find(d, event, labels[i], &(*ids)[i], &cause);
		if (rc == 0)
			continue;
		if (rc < 0) {
			cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
			free(cause);
		} else
			cmdline_error(self, BO_EXIT_ERROR, "there is no seat %s at event %" PRIu32,
			    labels[i], event);
		free(*ids);
		*ids = NULL;
		return BO_EXIT_ERROR;
	}
	return BO_EXIT_OK;
}

static int
sell_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "event", required_argument, NULL, 'e' },
		{ "seat", required_argument, NULL, 's' },
		{ "ga", required_argument, NULL, 'g' },
		{ "area", required_argument, NULL, 'a' },
		{ "pay", required_argument, NULL, 'p' },
		{ "tendered", required_argument, NULL, 't' },
		{ "reference", required_argument, NULL, 'R' },
		{ "png", required_argument, NULL, 'P' },
		{ "svg", required_argument, NULL, 'S' },
		{ "escpos", required_argument, NULL, 'E' },
		{ "offline", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replica = NULL, *area = NULL, *pay = NULL, *reference = NULL;
	struct sale_outputs outs = { NULL, NULL, NULL };
	struct sale_request req;
	struct sale_refusal ref;
	struct sale_order *o = NULL;
	struct device *d;
	uint32_t event = 0, *ids = NULL, ga = 0;
	int64_t tendered = -1;
	char **labels = NULL, *cause = NULL, a[CART_MONEY_LEN], b[CART_MONEY_LEN];
	int c, n = 0, rc, offline = 0, seat_given = 0;
	size_t i;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		switch (c) {
		case 'r':
			replica = optarg;
			break;
		case 'e':
			if (bo_cmd_parse_id(optarg, &event) != 0)
				return cmdline_usage_error(self, "--event %s: not an event id",
				    optarg);
			break;
		case 's':
			seat_given = 1;
			n = bo_cmd_add_words(&labels, n, optarg);
			break;
		case 'g':
			if (bo_cmd_parse_id(optarg, &ga) != 0 || ga > 500)
				return cmdline_usage_error(self, "--ga %s: want 1 to 500 places",
				    optarg);
			break;
		case 'a':
			area = optarg;
			break;
		case 'p':
			pay = optarg;
			break;
		case 't':
			if (cart_money_parse(optarg, &tendered, &cause) != 0) {
				rc = cmdline_usage_error(self, "--tendered %s", cause);
				free(cause);
				return rc;
			}
			break;
		case 'R':
			reference = optarg;
			break;
		case 'P':
			outs.png_dir = optarg;
			break;
		case 'S':
			outs.svg_dir = optarg;
			break;
		case 'E':
			outs.escpos = optarg;
			break;
		case 'o':
			offline = 1;
			break;
		}
	}
	/* "--seat A-1-5 A-1-6": the words after --seat are seats too. */
	for (; optind < argc; optind++) {
		if (!seat_given) {
			bo_cmd_free_words(labels, n);
			return cmdline_usage_error(self, "unexpected argument %s", argv[optind]);
		}
		n = bo_cmd_add_words(&labels, n, argv[optind]);
	}
	if (event == 0 || pay == NULL || (n > 0) == (ga > 0) || (ga > 0) != (area != NULL)) {
		bo_cmd_free_words(labels, n);
		return cmdline_usage_error(self,
		    "give --event, --pay, and either --seat LABEL... or "
		    "--ga N --area NAME");
	}
	if (strcmp(pay, "cash") != 0 && strcmp(pay, "card") != 0 && strcmp(pay, "comp") != 0) {
		bo_cmd_free_words(labels, n);
		return cmdline_usage_error(self, "--pay %s: want cash, card or comp", pay);
	}
	if (strcmp(pay, "comp") == 0 && reference == NULL) {
		bo_cmd_free_words(labels, n);
		return cmdline_usage_error(self, "a comp needs --reference REASON");
	}
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK) {
		bo_cmd_free_words(labels, n);
		return rc;
	}
	/* The printers of the settings file, unless named here. */
	if (outs.png_dir == NULL)
		outs.png_dir = config_text(bo_config, "png");
	if (outs.svg_dir == NULL)
		outs.svg_dir = config_text(bo_config, "svg");
	if (outs.escpos == NULL)
		outs.escpos = config_text(bo_config, "escpos");
	if (offline)
		device_set_offline(d, 1);
	if (n > 0 && (rc = resolve_seats(self, d, event, labels, n, &ids)) != BO_EXIT_OK) {
		bo_cmd_free_words(labels, n);
		device_close(d);
		return rc;
	}
	bo_cmd_free_words(labels, n);

	memset(&req, 0, sizeof req);
	req.event_id = event;
	req.seats = ids;
	req.nseats = (size_t)n;
	req.ga_area = area;
	req.ga_count = (int)ga;
	req.pay = pay;
	req.tendered = tendered;
	req.reference = reference;
	if (sale_sell(d, &req, &o, &ref, &cause) != 0) {
		rc = cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
		free(cause);
		free(ids);
		device_close(d);
		return rc;
	}
	free(ids);

	printf("%" PRIu32 "\n", o->id);
	for (i = 0; i < o->n; i++)
		printf("%s\t%s\n", o->tickets[i].label, o->tickets[i].qr);
	fflush(stdout);
	cart_money_format(o->total, a, sizeof a);
	fprintf(stderr, "%s: order %" PRIu32 " sold %s: %zu ticket%s, %s %s %s", BO_PROGRAM, o->id,
	    o->online ? "online" : "OFFLINE (it syncs later)", o->n, o->n == 1 ? "" : "s", a,
	    o->event.currency, o->pay);
	if (o->tendered >= 0) {
		cart_money_format(o->tendered, a, sizeof a);
		cart_money_format(o->change, b, sizeof b);
		fprintf(stderr, ", tendered %s, change due %s", a, b);
	}
	fputc('\n', stderr);
	rc = BO_EXIT_OK;
	if (sale_write_outputs(o, &outs, &cause) != 0) {
		rc = cmdline_error(self, BO_EXIT_ERROR,
		    "sold, but the tickets were not all written: %s (reprint "
		    "them)", cause);
		free(cause);
	}
	sale_order_free(o);
	device_close(d);
	return rc;
}

const struct cmdline_cmd bo_cmd_sell = {
	"sell",
	"--replica FILE --event ID (--seat LABEL... | --ga N --area NAME) --pay cash|card|comp\n"
	"       [--tendered AMOUNT] [--reference TEXT] [--png DIR] [--svg DIR] [--escpos FILE]"
	" [--offline]",
	"Sell seats: prints the order number, then a line per ticket: the seat, a tab, the QR text.",
	"Online the server confirms every seat at once (300 ms at most); without an answer the\n"
	"box office sells alone, but only seats leased to it (tessera-boxoffice lease), and\n"
	"refuses any other seat by name. --offline does not ask the server at all.\n"
	"  --seat LABEL...     seats by label (A-1-5); several, or comma-separated\n"
	"  --ga N --area NAME  N general-admission places of an area\n"
	"  --pay               cash (--tendered AMOUNT: the change is printed), card\n"
	"                      (--reference: the terminal's slip number), comp (--reference:\n"
	"                      why; the tickets cost 0)\n"
	"  --png DIR --svg DIR ticket files DIR/EVENT-SEAT-SERIAL.png / .svg\n"
	"  --escpos FILE       ESC/POS bytes for a receipt printer (a device or a file)\n"
	"                      (the settings file's png, svg and escpos when not given)\n"
	"Exit status 1 when refused: sold, held or leased elsewhere, not for sale, not leased.\n",
	sell_exec,
	&bo_prog,
};

/* ------------------------------------------------------------------ refund */

static int
refund_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "order", required_argument, NULL, 'o' },
		{ "seat", required_argument, NULL, 's' },
		{ "event", required_argument, NULL, 'e' },
		{ "offline", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replica = NULL, *label = NULL;
	struct sync_report rep;
	struct sale_order *o = NULL;
	struct device *d;
	uint32_t order = 0, event = 0, seat = 0;
	int64_t amount = 0;
	char *cause = NULL, a[CART_MONEY_LEN];
	int c, rc, offline = 0, first = 1, *before = NULL;
	size_t i;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		switch (c) {
		case 'r':
			replica = optarg;
			break;
		case 'o':
			if (bo_cmd_parse_id(optarg, &order) != 0)
				return cmdline_usage_error(self, "--order %s: not an order number",
				    optarg);
			break;
		case 's':
			label = optarg;
			break;
		case 'e':
			if (bo_cmd_parse_id(optarg, &event) != 0)
				return cmdline_usage_error(self, "--event %s: not an event id",
				    optarg);
			break;
		case 'O':
			offline = 1;
			break;
		}
	}
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument %s", argv[optind]);
	if ((order != 0) == (label != NULL))
		return cmdline_usage_error(self, "give --order N or --seat LABEL");
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK)
		return rc;
	/* Hear of admissions first: a ticket used at a gate is not refunded. */
	if (!offline && device_pull(d, 0, NULL, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	if (label != NULL) {
		rc = sale_order_find_seat(d, event, label, &order, &seat, &cause);
		if (rc != 0) {
			if (rc < 0)
				cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
			else
				cmdline_error(self, BO_EXIT_ERROR,
				    "no ticket for %s was sold at this box office",
				    label);
			free(cause);
			device_close(d);
			return BO_EXIT_ERROR;
		}
	}
	/* What is refunded now: the tickets not refunded before. */
	if (sale_order_load(d, order, &o, &cause) < 0) {
		rc = cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
		free(cause);
		device_close(d);
		return rc;
	}
	before = o != NULL ? xcalloc(o->n + 1, sizeof *before) : NULL;
	for (i = 0; o != NULL && i < o->n; i++)
		before[i] = o->tickets[i].refunded_at != 0;
	sale_order_free(o);
	o = NULL;
	if (sale_refund(d, order, seat, &o, &cause) != 0) {
		free(before);
		rc = cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
		free(cause);
		device_close(d);
		return rc;
	}
	printf("refunded order %" PRIu32 ":", o->id);
	for (i = 0; i < o->n; i++) {
		if (o->tickets[i].refunded_at == 0 || (before != NULL && before[i]) ||
		    (seat != 0 && o->tickets[i].seat_id != seat))
			continue;
		printf("%s%s", first ? " " : ", ", o->tickets[i].label);
		amount += o->tickets[i].price;
		first = 0;
	}
	cart_money_format(amount, a, sizeof a);
	printf("; %s %s back by %s\n", a, o->event.currency, o->pay);
	sale_order_free(o);
	free(before);
	/* The old tickets die at the gates as soon as the server hears of it. */
	if (offline)
		fprintf(stderr, "%s: the refund waits in the outbox until the next sync\n",
		    BO_PROGRAM);
	else if (device_push(d, &rep, &cause) != 0) {
		fprintf(stderr, "%s: the server did not take the refund yet (%s); it waits in the "
		    "outbox until the next sync\n", BO_PROGRAM, cause);
		free(cause);
	}
	device_close(d);
	return BO_EXIT_OK;
}

const struct cmdline_cmd bo_cmd_refund = {
	"refund", "--replica FILE (--order N | --seat LABEL [--event ID]) [--offline]",
	"Refund an order (every ticket not yet refunded) or one seat's ticket.",
	"The seat goes void: its old QR code is refused at the gates once the server hears of\n"
	"it (the refund is pushed right away when the server answers), and the seat can be\n"
	"sold again with a new ticket generation. A ticket already used at a gate is not refunded.\n",
	refund_exec,
	&bo_prog,
};
