/* cmd-init.c: tessera-sync init: a new store, its organizer root key, and its TLS certificate. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "tls.h"
#include "xmalloc.h"

static int
cmd_init_exec(const struct cmdline_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "tls-host", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keypair *root = NULL;
	struct stat sb;
	const char *db = NULL, *hosts = NULL;
	char *cause = NULL, *hex, *keypath, *crt = NULL, *tlskey = NULL, pin[TLSPIN_SIZE];
	char until[32];
	int64_t not_after = 0;
	time_t t;
	mode_t mask;
	int c, rc;

	while ((c = cmdline_getopt(self, argc, argv, longopts)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 't')
			hosts = optarg;
	}
	if (db == NULL)
		return cmdline_usage_error(self, "--db FILE is required (the store to create)");
	if (optind != argc)
		return cmdline_usage_error(self, "unexpected argument \"%s\"", argv[optind]);
	if (hosts != NULL && tls_check_hosts(hosts, &cause) != 0) {
		rc = cmdline_usage_error(self, "%s", cause);
		free(cause);
		return rc;
	}

	/*
	 * The TLS files first (they refuse to replace anything), then the store; a store that
	 * cannot be made takes them away again, so that a failed init leaves nothing.
	 */
	if (hosts != NULL && stat(db, &sb) != 0) {
		crt = tls_cert_path(db);
		tlskey = tls_key_path(db);
		if (tls_make_selfsigned(hosts, crt, tlskey, &not_after, pin, &cause) != 0) {
			cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
			free(cause);
			free(crt);
			free(tlskey);
			return CMD_EXIT_ERROR;
		}
	}
	/* The store holds device keys and enrollment code hashes: no one else reads it. */
	mask = umask(077);
	rc = store_create(db, &root, &cause);
	umask(mask);
	if (rc != 0) {
		if (crt != NULL) {
			unlink(crt);
			unlink(tlskey);
		}
		cmdline_error(self, CMD_EXIT_ERROR, "%s", cause);
		free(cause);
		free(crt);
		free(tlskey);
		return CMD_EXIT_ERROR;
	}
	keypath = store_rootkey_path(db);
	hex = keys_hex(root->pk, KEYS_PUBLICBYTES);
	printf("created the store %s and its root key %s (mode 0600: keep it secret)\n", db,
	    keypath);
	if (crt != NULL) {
		t = (time_t)not_after;
		strftime(until, sizeof until, "%Y-%m-%d", localtime(&t));
		printf("created the TLS certificate %s for %s (self-signed, until %s) and its key "
		    "%s (mode 0600)\n", crt, hosts, until, tlskey);
		printf("tls pin: %s\n", pin);
	}
	/* Last: scripts take the root key as the last word. */
	printf("root public key: %s\n", hex);
	free(hex);
	free(keypath);
	free(crt);
	free(tlskey);
	keypair_free(root);
	return CMD_EXIT_OK;
}

const struct cmdline_cmd cmd_init_entry = {
	.name = "init",
	.usage = "--db FILE [--tls-host NAME[,NAME...]]",
	.summary = "Create a new store FILE and its organizer root key FILE.rootkey.",
	.help =
	    "The root key signs every device certificate; it is written with mode 0600 and never\n"
	    "leaves this machine. Refuses a FILE or FILE.rootkey that already exists. Prints the\n"
	    "root public key in hex as the last word.\n"
	    "\n"
	    "With --tls-host it also makes a TLS key (ECDSA P-256, FILE.tlskey, mode 0600) and a\n"
	    "self-signed certificate for it valid five years (FILE.crt), which serve then uses,\n"
	    "and prints the certificate's pin, \"tls pin: sha256//...\": give it to devices when\n"
	    "they enroll (--pin) so that they accept this server only.\n"
	    "\n"
	    "  --db FILE                  the store to create\n"
	    "  --tls-host NAME[,NAME...]  host names and IP addresses the devices use to reach\n"
	    "                             the server, e.g. tickets.example.org,10.0.0.5\n",
	.exec = cmd_init_exec,
	.prog = &cmd_prog,
};
