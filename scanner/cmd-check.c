/*
 * cmd-check.c: tessera-scanner check: one scan, decided and recorded exactly as the screen does
 * (gate_check), for scripts and tests. Prints one line "ADMIT|DENY REASON LABEL SENTENCE" (or a
 * JSON object) and exits 0 on admit, 1 on deny, 2 on error.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "device.h"
#include "gate.h"
#include "keys.h"
#include "qr.h"
#include "scanner.h"
#include "xmalloc.h"

#define CHECK_STDIN_MAX (64 * 1024)

static const struct option check_options[] = {
	{ "replica", required_argument, NULL, 'r' },
	{ "offline", no_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "exit", no_argument, NULL, 'x' },
	{ "image", required_argument, NULL, 'i' },
	{ "manual", no_argument, NULL, 'm' },
	{ "event", required_argument, NULL, 'e' },
	{ "early", required_argument, NULL, 'E' },
	{ "late", required_argument, NULL, 'L' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Standard input, without the line ending a shell or a scanner adds. NULL when too long. */
static char *
read_stdin(void)
{
	char *buf = xmalloc(CHECK_STDIN_MAX + 1);
	size_t n = fread(buf, 1, CHECK_STDIN_MAX + 1, stdin);

	if (n > CHECK_STDIN_MAX) {
		free(buf);
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return buf;
}

static void
print_json(const struct gate_verdict *v, struct device *d)
{
	json_t *j;
	char *s;

	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
	    "verdict", v->admit ? "admit" : "deny",
	    "reason", gate_reason_code(v->reason),
	    "text", v->text,
	    "mode", gate_mode_name(v->mode),
	    "route", gate_route_name(v->route),
	    "label", v->label);
	json_object_set_new(j, "at", json_integer(v->at));
	json_object_set_new(j, "gate", json_integer(device_id(d)));
	if (v->event_id != 0)
		json_object_set_new(j, "event", json_integer(v->event_id));
	if (v->seat_id != 0)
		json_object_set_new(j, "seat", json_integer(v->seat_id));
	if (v->label[0] != '\0') {
		json_object_set_new(j, "section", json_string(v->section));
		json_object_set_new(j, "row", json_string(v->row));
		json_object_set_new(j, "number", json_string(v->seat));
		json_object_set_new(j, "ga", json_boolean(v->ga));
		json_object_set_new(j, "tier", json_string(v->tier));
	}
	if (v->by != 0) {
		json_object_set_new(j, "by", json_integer(v->by));
		json_object_set_new(j, "by_at", json_integer(v->by_at));
	}
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\n", s);
	free(s);
	json_decref(j);
}

static int
check_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	const char *replica = NULL, *image = NULL;
	struct gate_config cfg;
	struct gate_verdict v;
	struct device *d = NULL;
	char *text = NULL, *cause = NULL, *end;
	int c, offline = 0, json = 0, manual = 0, rc;
	enum gate_mode mode = GATE_ENTRY;
	long timeout = 0;

	gate_config_default(&cfg);
	while ((c = cmdline_getopt(self, argc, argv, check_options)) != -1) {
		switch (c) {
		case 'r':
			replica = optarg;
			break;
		case 'o':
			offline = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'x':
			mode = GATE_EXIT;
			break;
		case 'i':
			image = optarg;
			break;
		case 'm':
			manual = 1;
			break;
		case 'e':
			if (scanner_parse_id(optarg, &cfg.event) != 0)
				return cmdline_usage_error(self, "--event \"%s\": want an event id",
				    optarg);
			break;
		case 'E':
		case 'L':
			if (scanner_parse_minutes(optarg, c == 'E' ? &cfg.window.early :
			    &cfg.window.late) != 0)
				return cmdline_usage_error(self, "--%s \"%s\": want minutes, 0 to "
				    "10080", c == 'E' ? "early" : "late", optarg);
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || timeout < 1 ||
			    timeout > 60000)
				return cmdline_usage_error(self,
				    "--timeout \"%s\": want 1 to 60000 "
				    "milliseconds", optarg);
			break;
		}
	}
	if ((replica = scanner_replica(replica)) == NULL)
		return cmdline_usage_error(self, "--replica FILE is required");
	if (image != NULL && optind < argc)
		return cmdline_usage_error(self, "give a payload or --image, not both");
	if (image == NULL && argc - optind != 1)
		return cmdline_usage_error(self, argc == optind ? "what to check? a ticket's text, "
		    "- for standard input, or --image FILE" : "one ticket at a time");

	if (image != NULL) {
		if (qr_decode_file(image, &text, &cause) != 0) {
			rc = cmdline_error(self, SCANNER_EXIT_ERROR, "%s", cause);
			free(cause);
			return rc;
		}
	} else if (strcmp(argv[optind], "-") == 0) {
		if ((text = read_stdin()) == NULL)
			return cmdline_error(self, SCANNER_EXIT_ERROR, "standard input: more than "
			    "%d bytes: not a ticket", CHECK_STDIN_MAX);
	} else
		text = xstrdup(argv[optind]);

	if (device_open(replica, &d, &cause) != 0) {
		rc = cmdline_error(self, SCANNER_EXIT_ERROR, "%s", cause);
		goto out;
	}
	if (device_role(d) != ROLE_GATE) {
		rc = cmdline_error(self, SCANNER_EXIT_ERROR, "%s is the replica of a %s, not of a "
		    "gate (inspect --replica checks a ticket anywhere)", replica,
		    role_name(device_role(d)));
		goto out;
	}
	if (timeout == 0)
		timeout = config_number(scanner_config, "timeout", 0);
	if (timeout > 0)
		device_set_online_timeout(d, timeout);
	if (offline)
		device_set_offline(d, 1);
	if (gate_check_config(d, &cfg, text, manual, mode, offline, &v, &cause) != 0) {
		rc = cmdline_error(self, SCANNER_EXIT_ERROR, "%s (the scan was not recorded)",
		    cause);
		goto out;
	}
	if (json)
		print_json(&v, d);
	else
		printf("%s %s %s %s\n", v.admit ? "ADMIT" : "DENY", gate_reason_code(v.reason),
		    v.label[0] != '\0' ? v.label : "-", v.text);
	rc = v.admit ? SCANNER_EXIT_OK : SCANNER_EXIT_DENY;
out:
	free(cause);
	free(text);
	device_close(d);
	return rc;
}

const struct cmdline_cmd scanner_cmd_check = {
	.name = "check",
	.usage = "--replica FILE [--offline] [--json] [--exit] [--manual] [--event ID]\n"
	    "    [--early MIN] [--late MIN] [--timeout MS] (PAYLOAD | - | --image FILE)",
	.summary = "Decide on one scan as the gate screen does, record it, and print the verdict.",
	.help =
	    "Prints one line: ADMIT or DENY, the reason code, the seat label (- when there is\n"
	    "none) and the sentence the screen shows. Exit status 0 admit, 1 deny, 2 error.\n"
	    "The scan is recorded in the replica's scan log, and an admission is offered to\n"
	    "the server first (compare-and-swap) unless --offline.\n"
	    "\n"
	    "  --replica FILE   the gate's replica (default $TESSERA_REPLICA, or the\n"
	    "                   settings file's replica)\n"
	    "  PAYLOAD          a ticket's QR text (quote it: it may hold a space)\n"
	    "  -                read the text from standard input\n"
	    "  --image FILE     read the QR code from a PNG or PGM image\n"
	    "  --offline        decide from the replica alone; the change waits for a sync\n"
	    "  --json           print a JSON object instead\n"
	    "  --exit           exit mode: scan a person out\n"
	    "  --manual         PAYLOAD is a seat label typed by staff (A-12-7)\n"
	    "  --event ID       the event this gate admits to (default: the one open now)\n"
	    "  --early MIN      admit MIN minutes before the doors open (default 0)\n"
	    "  --late MIN       admit until MIN minutes after the start (default 360)\n"
	    "  --timeout MS     how long to wait for the server (default 300, or the\n"
	    "                   settings file's timeout)\n",
	.exec = check_exec,
	.prog = &scanner_prog,
};
