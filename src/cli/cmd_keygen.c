/*
 * cmd_keygen.c - `umpire keygen`: a minisign-format Ed25519 key pair, and the
 * default key locations shared by sign, verify and `run --sign`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "audit/sign.h"
#include "base/util.h"

static const char keygen_help[] =
	"usage: umpire keygen [-p PUBKEY] [-k SECKEY] [--force]\n"
	"\n"
	"Create an Ed25519 key pair in minisign's format: the public key can be given\n"
	"to `minisign -Vm FILE -p PUBKEY` as well as to `umpire verify`. The secret key\n"
	"is written unencrypted with mode 0600; keep it private.\n"
	"\n"
	"Options:\n"
	"  -p, --pubkey FILE   public key (default: $UMPIRE_KEY_DIR/umpire.pub)\n"
	"  -k, --seckey FILE   secret key (default: $UMPIRE_KEY_DIR/umpire.key)\n"
	"      --force         overwrite an existing secret key\n"
	"  -h, --help          this help\n"
	"\n"
	"UMPIRE_KEY_DIR defaults to $XDG_CONFIG_HOME/umpire, or ~/.config/umpire.\n";

char *cli_key_dir(void)
{
	const char *d = getenv("UMPIRE_KEY_DIR"), *x = getenv("XDG_CONFIG_HOME"),
		   *h = getenv("HOME");

	if (d && *d)
		return um_xstrdup(d);
	if (x && *x)
		return um_xasprintf("%s/umpire", x);
	return um_xasprintf("%s/.config/umpire", h && *h ? h : ".");
}

char *cli_default_key(int secret)
{
	char *dir = cli_key_dir();
	char *p = um_xasprintf("%s/umpire.%s", dir, secret ? "key" : "pub");

	free(dir);
	return p;
}

int cli_keygen(const char *pub_path, const char *sec_path, int force, um_error *err)
{
	um_pubkey pub;
	um_seckey sec;
	char *dir = um_xstrdup(sec_path), *slash = strrchr(dir, '/');
	int rc;

	if (slash) {
		*slash = '\0';
		if (*dir && um_mkdir_p(dir, err) < 0) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	if (sign_keygen(&pub, &sec, err) < 0)
		return -1;
	rc = sign_keypair_write(pub_path, sec_path, &pub, &sec, force, err);
	memset(&sec, 0, sizeof(sec));
	return rc;
}

int cmd_keygen(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"pubkey", required_argument, NULL, 'p'},
		{"seckey", required_argument, NULL, 'k'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *pub = NULL, *sec = NULL;
	int force = 0, c, rc = 0;
	um_error err = {0};

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:k:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			free(pub);
			pub = um_xstrdup(optarg);
			break;
		case 's':
			rc = cli_seckey_letter("keygen");
			goto out;
		case 'k':
			free(sec);
			sec = um_xstrdup(optarg);
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			fputs(keygen_help, stdout);
			goto out;
		default:
			rc = cli_bad_option("keygen", c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!pub)
		pub = cli_default_key(0);
	if (!sec)
		sec = cli_default_key(1);
	if (cli_keygen(pub, sec, force, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (!g->quiet)
		fprintf(stderr, "umpire keygen: public key %s, secret key %s (mode 0600)\n", pub,
			sec);
out:
	free(pub);
	free(sec);
	return rc;
}
