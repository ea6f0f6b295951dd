/* cmd-sync.c: tessera-scanner sync: push the scans waiting to upload, pull what changed. */
#include <inttypes.h>
#include <stdlib.h>

#include "device.h"
#include "scanner.h"

static const struct option sync_options[] = {
	{ "replica", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
sync_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL;
	struct device *d = NULL;
	struct sync_report rep;
	char *cause = NULL;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, sync_options)) != -1) {
		if (c == 'r')
			replica = optarg;
	}
	if ((replica = scanner_replica(replica)) == NULL)
		return cmdline_usage_error(self, "--replica FILE is required");
	if (optind < argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if (device_open(replica, &d, &cause) != 0) {
		rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s", cause);
		free(cause);
		return rc;
	}
	if (device_sync(d, 0, &rep, &cause) != 0) {
		rc = cmdline_error(self, SCANNER_EXIT_FAIL, "%s (%d scans still waiting to "
		    "upload)", cause, device_waiting(d));
		free(cause);
		device_close(d);
		return rc;
	}
	printf("pushed %d, waiting %d, pulled %d, new events %d, new conflicts %d, cursor %" PRIu64
	    "\n", rep.pushed, rep.waiting, rep.pulled, rep.events, rep.conflicts, rep.cursor);
	device_close(d);
	return SCANNER_EXIT_OK;
}

const struct cmdline_cmd scanner_cmd_sync = {
	.name = "sync",
	.usage = "--replica FILE",
	.summary = "Push the scans waiting to upload and pull what changed, once.",
	.help =
	    "Prints one line: operations pushed and still waiting, seat changes pulled, events\n"
	    "new to this gate, conflicts found (such as a ticket admitted at two gates), and\n"
	    "the server's change cursor. Exit status 1 when the server cannot be reached.\n"
	    "\n"
	    "  --replica FILE   the gate's replica (default $TESSERA_REPLICA, or the\n"
	    "                   settings file's replica)\n",
	.exec = sync_exec,
	.prog = &scanner_prog,
};
