/* cmd-init.c: tessera-sync init: a new store and its organizer root key. */
#include <stdlib.h>
#include <sys/stat.h>

#include "cmd.h"
#include "xmalloc.h"

static int
cmd_init_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keypair *root = NULL;
	const char *db = NULL;
	char *cause = NULL, *hex, *keypath;
	mode_t mask;
	int c, rc;

	while ((c = cmd_getopt(self, argc, argv, longopts)) != -1) {
		if (c == 'd')
			db = optarg;
	}
	if (db == NULL)
		return cmd_usage_error(self, "--db FILE is required (the store to create)");
	if (optind != argc)
		return cmd_usage_error(self, "unexpected argument \"%s\"", argv[optind]);

	/* The store holds device keys and enrollment code hashes: no one else reads it. */
	mask = umask(077);
	rc = store_create(db, &root, &cause);
	umask(mask);
	if (rc != 0) {
		cmd_error(self, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	keypath = store_rootkey_path(db);
	hex = keys_hex(root->pk, KEYS_PUBLICBYTES);
	printf("created the store %s and its root key %s (mode 0600: keep it secret)\n", db,
	    keypath);
	printf("root public key: %s\n", hex);
	free(hex);
	free(keypath);
	keypair_free(root);
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.usage = "--db FILE",
	.summary = "Create a new store FILE and its organizer root key FILE.rootkey.",
	.help =
	    "The root key signs every device certificate; it is written with mode 0600 and never\n"
	    "leaves this machine. Refuses a FILE or FILE.rootkey that already exists. Prints the\n"
	    "root public key in hex as the last word.\n"
	    "\n"
	    "  --db FILE    the store to create\n",
	.exec = cmd_init_exec,
};
