/* cmd-enroll.c: tessera-scanner enroll: make this gate's key and replica with a one-time code. */
#include <stdlib.h>

#include "device.h"
#include "keys.h"
#include "scanner.h"

static const struct option enroll_options[] = {
	{ "replica", required_argument, NULL, 'r' },
	{ "server", required_argument, NULL, 's' },
	{ "code", required_argument, NULL, 'c' },
	{ "pin", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
enroll_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL, *server = NULL, *code = NULL, *pin = NULL;
	struct device *d = NULL;
	struct sync_report rep;
	char *cause = NULL;
	int c;

	while ((c = cmdline_getopt(self, argc, argv, enroll_options)) != -1) {
		if (c == 'r')
			replica = optarg;
		else if (c == 's')
			server = optarg;
		else if (c == 'c')
			code = optarg;
		else if (c == 'p')
			pin = optarg;
	}
	replica = scanner_replica(replica);
	if (server == NULL)
		server = config_text(scanner_config, "server");
	if (pin == NULL)
		pin = config_text(scanner_config, "pin");
	if (replica == NULL || server == NULL || code == NULL)
		return cmdline_usage_error(self, "--%s is required", replica == NULL ? "replica" :
		    server == NULL ? "server" : "code");
	if (optind < argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);

	if (device_enroll_pinned(replica, server, code, pin, &d, &cause) != 0) {
		c = cmdline_error(self, SCANNER_EXIT_FAIL, "%s", cause);
		free(cause);
		return c;
	}
	if (device_role(d) != ROLE_GATE) {
		printf("warning: enrolled as a %s, not a gate: this replica cannot admit anyone\n",
		    role_name(device_role(d)));
	}
	printf("enrolled: %s \"%s\", device %u, replica %s (key %s.key)\n",
	    role_name(device_role(d)), device_name(d), (unsigned)device_id(d), replica, replica);
	/* The first sync brings the events, seat maps, certificates and sales. */
	if (device_sync(d, 0, &rep, &cause) != 0) {
		printf("warning: the first sync failed (%s); run %s sync --replica %s\n", cause,
		    SCANNER_PROGRAM, replica);
		free(cause);
	} else
		printf("synced: %d events, %d seat changes\n", rep.events, rep.pulled);
	device_close(d);
	return SCANNER_EXIT_OK;
}

const struct cmdline_cmd scanner_cmd_enroll = {
	.name = "enroll",
	.usage = "--replica FILE --server URL --code CODE [--pin PIN]",
	.summary = "Enroll this gate with the sync server, then sync once.",
	.help =
	    "Makes the gate's key pair (FILE.key, mode 0600; it never leaves this machine),\n"
	    "presents the one-time code that \"tessera-sync device add --role gate\" printed,\n"
	    "and keeps the certificate and the organizer's root key in a new replica FILE.\n"
	    "\n"
	    "  --replica FILE   the replica to create (default $TESSERA_REPLICA, or the\n"
	    "                   settings file's replica)\n"
	    "  --server URL     the sync server, http://host:port or https://host:port\n"
	    "                   (default: the settings file's server)\n"
	    "  --code CODE      the one-time enrollment code\n"
	    "  --pin PIN        https only: the server's TLS key pin that tessera-sync init\n"
	    "                   printed (sha256//...); without it the key the server shows\n"
	    "                   now is trusted and kept (default: the settings file's pin)\n",
	.exec = enroll_exec,
	.prog = &scanner_prog,
};
