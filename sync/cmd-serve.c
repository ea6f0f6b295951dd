/*
 * cmd-serve.c: tessera-sync serve: run the sync server until SIGINT or SIGTERM.
 *
 * SIGINT and SIGTERM are blocked in every thread (the server's threads inherit the mask from
 * this one) and taken with sigwait(), so a signal never interrupts a request half-way: the main
 * thread wakes, stops the server (which finishes the requests in flight and ends long-polls)
 * and closes the store.
 *
 * TLS: --tls-cert and --tls-key, or else the FILE.crt and FILE.tlskey that init --tls-host made
 * beside the store, when both are there; --no-tls serves plain HTTP whatever is there.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "server.h"
#include "tls.h"
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

/*
 * Without --tls-*: the store's own certificate and key when both exist (*cert and *key set, new
 * strings), neither (both NULL), or an error for one without the other.
 */
static int
default_tls(const struct cmdline_cmd *self, const char *db, char **cert, char **key)
{
	char *c = tls_cert_path(db), *k = tls_key_path(db);
	struct stat sb;
	int hc = stat(c, &sb) == 0, hk = stat(k, &sb) == 0;

	*cert = *key = NULL;
	if (hc && hk) {
		*cert = c;
		*key = k;
		return CMD_EXIT_OK;
	}
	if (hc || hk) {
		cmdline_error(self, CMD_EXIT_ERROR,
		    "%s exists but %s does not: give --tls-cert and --tls-key, or "
		    "--no-tls", hc ? c : k, hc ? k : c);
		free(c);
		free(k);
		return CMD_EXIT_ERROR;
	}
	free(c);
	free(k);
	return CMD_EXIT_OK;
}

static int
cmd_serve_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "no-tls", no_argument, NULL, 'n' },
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
	char host[HOST_MAX + 1], *cause = NULL, *dcert = NULL, *dkey = NULL, pin[TLSPIN_SIZE];
	int c, rc, quiet = 0, sig, notls = 0;

	memset(&cfg, 0, sizeof cfg);
	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
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
		case 'n':
			notls = 1;
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
		return cmdline_usage_error(self, "--db FILE is required");
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if (parse_listen(where, host, sizeof host, &cfg.port, &cause) != 0) {
		rc = cmdline_usage_error(self, "%s", cause);
		free(cause);
		return rc;
	}
	if ((cfg.tls_cert != NULL) != (cfg.tls_key != NULL))
		return cmdline_usage_error(self, "TLS needs both --tls-cert and --tls-key");
	if (notls && cfg.tls_cert != NULL)
		return cmdline_usage_error(self, "--no-tls and --tls-cert: choose one");
	if (quiet && cfg.log_json)
		return cmdline_usage_error(self, "--quiet and --log-json: choose one");
	cfg.host = host;
	cfg.log = !quiet;

	if (!notls && cfg.tls_cert == NULL) {
		if ((rc = default_tls(self, db, &dcert, &dkey)) != CMD_EXIT_OK)
			return rc;
		cfg.tls_cert = dcert;
		cfg.tls_key = dkey;
	}
	if (cfg.tls_cert != NULL && tlspin_from_file(cfg.tls_cert, pin, &cause) != 0) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		free(cause);
		goto out;
	}
	if ((rc = cmd_open(self, db, &st)) != CMD_EXIT_OK)
		goto out;
	/* Before any thread starts, so that every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A client that hangs up mid-reply must not kill the server. */
	signal(SIGPIPE, SIG_IGN);

	if (server_start(st, &cfg, &srv, &cause) != 0) {
		rc = cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		free(cause);
		store_close(st);
		goto out;
	}
	/* stdout says only where; the certificate goes to the log. */
	if (cfg.tls_cert != NULL)
		fprintf(stderr, "%s: TLS certificate %s, tls pin: %s\n", CMD_PROGRAM, cfg.tls_cert,
		    pin);
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
	rc = CMD_EXIT_OK;
out:
	free(dcert);
	free(dkey);
	return rc;
}

const struct cmdline_cmd cmd_serve_entry = {
	.name = "serve",
	.usage = "--db FILE [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE | --no-tls]\n"
	    "    [--quiet] [--log-json]",
	.summary = "Run the sync server until SIGINT or SIGTERM.",
	.help =
	    "Prints one line, \"tessera-sync: serving on http://HOST:PORT\" (https with TLS) with\n"
	    "the port really bound, once it accepts connections. On SIGINT or SIGTERM it prints\n"
	    "\"tessera-sync: stopping\", finishes the requests in flight, ends long-polls and\n"
	    "exits 0. It serves HTTPS with the store's FILE.crt and FILE.tlskey (made by init\n"
	    "--tls-host) when both exist and no --tls-cert is given; the log (stderr) starts with\n"
	    "the certificate's pin. One server a store: it locks FILE.lock, and a second serve\n"
	    "on the same store exits 1 naming it.\n"
	    "\n"
	    "  --db FILE           the store\n"
	    "  --listen HOST:PORT  where to listen; default " LISTEN_DEFAULT "; port 0 picks a\n"
	    "                      free port; IPv6 in brackets: [::1]:8080, [::]:443\n"
	    "  --tls-cert FILE     PEM certificate (chain) for HTTPS; needs --tls-key\n"
	    "  --tls-key FILE      PEM private key for HTTPS\n"
	    "  --no-tls            plain HTTP, even when FILE.crt and FILE.tlskey exist\n"
	    "  --quiet             no request log\n"
	    "  --log-json          the request log (stderr) as JSON lines\n",
	.exec = cmd_serve_exec,
	.prog = &cmd_prog,
};
