/* bo-cmd-lease.c: tessera-boxoffice lease: take seats for offline sale, or give them back. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bo-cmd.h"
#include "device.h"
#include "sale.h"
#include "xmalloc.h"

static int
lease_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replica", required_argument, NULL, 'r' },
		{ "event", required_argument, NULL, 'e' },
		{ "seat", required_argument, NULL, 's' },
		{ "section", required_argument, NULL, 'S' },
		{ "ga", required_argument, NULL, 'g' },
		{ "area", required_argument, NULL, 'a' },
		{ "return", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replica = NULL, *section = NULL, *area = NULL;
	struct device *d;
	uint32_t event = 0, ga = 0, *ids = NULL;
	char **labels = NULL, *cause = NULL;
	int c, n = 0, rc, ret = 0, count = 0, i, seat_given = 0;

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
		case 'S':
			section = optarg;
			break;
		case 'g':
			if (bo_cmd_parse_id(optarg, &ga) != 0 || ga > 100000)
				return cmdline_usage_error(self, "--ga %s: want a number of places",
				    optarg);
			break;
		case 'a':
			area = optarg;
			break;
		case 'R':
			ret = 1;
			break;
		}
	}
	for (; optind < argc; optind++) {
		if (!seat_given) {
			bo_cmd_free_words(labels, n);
			return cmdline_usage_error(self, "unexpected argument %s", argv[optind]);
		}
		n = bo_cmd_add_words(&labels, n, argv[optind]);
	}
	if (event == 0 || (ret ? (n > 0 || section != NULL || area != NULL) :
	    ((n > 0) + (section != NULL) + (area != NULL) != 1 || (area != NULL) != (ga > 0)))) {
		bo_cmd_free_words(labels, n);
		return cmdline_usage_error(self,
		    "give --event and one of --seat LABEL..., --section "
		    "NAME, --ga N --area NAME, or --return");
	}
	if ((rc = bo_cmd_open(self, replica, &d)) != BO_EXIT_OK) {
		bo_cmd_free_words(labels, n);
		return rc;
	}
	if (ret) {
		if (device_lease_return(d, event, &count, &cause) != 0)
			goto fail;
		printf("returned %d seat%s of event %" PRIu32 "\n", count, count == 1 ? "" : "s",
		    event);
		device_close(d);
		return BO_EXIT_OK;
	}
	if (n > 0) {
		ids = xcalloc((size_t)n, sizeof *ids);
		for (i = 0; i < n; i++) {
			rc = sale_seat_find(d, event, labels[i], &ids[i], &cause);
			if (rc > 0)
				set_cause(&cause, "there is no seat %s at event %" PRIu32, labels[i],
				    event);
			if (rc != 0)
				goto fail;
		}
	}
	if (device_lease(d, event, ids, n, section, area, (int)ga, &count, &cause) != 0)
		goto fail;
	printf("leased %d seat%s of event %" PRIu32 "; %d leased here and unsold\n", count,
	    count == 1 ? "" : "s", event, sale_leased_left(d, event));
	free(ids);
	bo_cmd_free_words(labels, n);
	device_close(d);
	return BO_EXIT_OK;
fail:
	rc = cmdline_error(self, BO_EXIT_ERROR, "%s", cause);
	free(cause);
	free(ids);
	bo_cmd_free_words(labels, n);
	device_close(d);
	return rc;
}

const struct cmdline_cmd bo_cmd_lease = {
	"lease",
	"--replica FILE --event ID (--seat LABEL... | --section NAME | --ga N --area NAME | "
	"--return)",
	"Lease seats from the server for selling offline, or give back what was not sold.",
	"While the network is down the box office sells only seats leased to it, so two box\n"
	"offices can never sell one seat. Leasing needs the server. --seat leases all or\n"
	"nothing; --section leases every free seat of the section; --ga N places of an area.\n"
	"--return first pushes what was sold offline, then returns every unsold lease.\n",
	lease_exec,
	&bo_prog,
};
