/*
 * cmd-serve.c: tessera-sync serve: run the sync server until SIGINT or SIGTERM.
 *
 * SIGINT and SIGTERM are blocked in every thread (the server's threads inherit the mask from
 * this one) and taken with sigwait(), so a signal never interrupts a request half-way: the main
 * thread wakes, stops the server (which finishes the requests in flight and ends long-polls)
 * and closes the store.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "server.h"
#include "xmalloc.h"

#define LISTEN_DEFAULT  "127.0.0.1:8080"
#define HOST_MAX        255

/* "HOST:PORT" or "[IPv6]:PORT" into host and port. 0, or -1 with *cause. */
static int
parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port, char **cause)
{
	const char *colon, *p, *h = s;
	size_t len;
	unsigned long v = 0;

	if (*s == '[') {
		if ((p = strchr(s, ']')) == NULL || p[1] != ':')
			return set_cause(cause, "--listen \"%s\": want [ADDRESS]:PORT for IPv6, "
			    "like [::1]:8080", s);
		h = s + 1;
		len = (size_t)(p - h);
		colon = p + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return set_cause(cause, "--listen \"%s\": want HOST:PORT, like "
			    "127.0.0.1:8080 or 0.0.0.0:443", s);
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			return set_cause(cause, "--listen \"%s\": put an IPv6 address in "
			    "brackets, like [::1]:8080", s);
		len = (size_t)(colon - s);
	}
	if (len == 0 || len >= hostlen)
		return set_cause(cause, "--listen \"%s\": want a host before the port", s);
	for (p = colon + 1; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == colon + 1 || *p != '\0' || v > 65535)
		return set_cause(cause, "--listen \"%s\": want a port from 0 to 65535 (0: any "
		    "free port)", s);
	memcpy(host, h, len);
	host[len] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static int
cmd_serve_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "log-json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_config cfg;
	struct server *srv = NULL;
	struct store *st = NULL;
	sigset_t set;
	const char *db = NULL, *where = LISTEN_DEFAULT;
	char host[HOST_MAX + 1], *cause = NULL;
	int c, rc, quiet = 0, sig;

	memset(&cfg, 0, sizeof cfg);
	while ((c = cmd_getopt(self, argc, argv, longopts)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'l':
			where = optarg;
			break;
		case 'c':
			cfg.tls_cert = optarg;
			break;
		case 'k':
			cfg.tls_key = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			cfg.log_json = 1;
			break;
		}
	}
	if (db == NULL)
		return cmd_usage_error(self, "--db FILE is required");
	if (optind != argc)
		return cmd_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if (parse_listen(where, host, sizeof host, &cfg.port, &cause) != 0) {
		rc = cmd_usage_error(self, "%s", cause);
		free(cause);
		return rc;
	}
	if ((cfg.tls_cert != NULL) != (cfg.tls_key != NULL))
		return cmd_usage_error(self, "TLS needs both --tls-cert and --tls-key");
	if (quiet && cfg.log_json)
		return cmd_usage_error(self, "--quiet and --log-json: choose one");
	cfg.host = host;
	cfg.log = !quiet;

	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		return rc;
	/* Before any thread starts, so that every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A client that hangs up mid-reply must not kill the server. */
	signal(SIGPIPE, SIG_IGN);

	if (server_start(st, &cfg, &srv, &cause) != 0) {
		rc = cmd_error(self, "%s", cause);
		free(cause);
		store_close(st);
		return rc;
	}
	printf("%s: serving on %s://%s%s%s:%u\n", CMD_PROGRAM,
	    cfg.tls_cert != NULL ? "https" : "http", strchr(host, ':') != NULL ? "[" : "", host,
	    strchr(host, ':') != NULL ? "]" : "", (unsigned int)server_port(srv));
	fflush(stdout);

	for (;;) {
		if (sigwait(&set, &sig) == 0 && (sig == SIGINT || sig == SIGTERM))
			break;
	}
	printf("%s: stopping\n", CMD_PROGRAM);
	fflush(stdout);
	server_stop(srv);
	store_close(st);
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_serve_entry = {
	.name = "serve",
	.usage = "--db FILE [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--quiet]\n"
	    "    [--log-json]",
	.summary = "Run the sync server until SIGINT or SIGTERM.",
	.help =
	    "Prints one line, \"tessera-sync: serving on http://HOST:PORT\" with the port really\n"
	    "bound, once it accepts connections. On SIGINT or SIGTERM it prints \"tessera-sync:\n"
	    "stopping\", finishes the requests in flight, ends long-polls and exits 0.\n"
	    "\n"
	    "  --db FILE           the store\n"
	    "  --listen HOST:PORT  where to listen; default " LISTEN_DEFAULT "; port 0 picks a\n"
	    "                      free port; IPv6 in brackets: [::1]:8080, [::]:443\n"
	    "  --tls-cert FILE     PEM certificate (chain) for HTTPS; needs --tls-key\n"
	    "  --tls-key FILE      PEM private key for HTTPS\n"
	    "  --quiet             no request log\n"
	    "  --log-json          the request log (stderr) as JSON lines\n",
	.exec = cmd_serve_exec,
};
