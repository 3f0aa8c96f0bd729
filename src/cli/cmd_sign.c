/*
 * cmd_sign.c - `umpire sign FILE...`: FILE.minisig in minisign's prehashed
 * format, with the file's name, sha256 and the harness version in the
 * trusted comment.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/runner.h"
#include "audit/sign.h"
#include "base/util.h"

static const char sign_help[] =
	"usage: umpire sign [-k SECKEY] FILE...\n"
	"\n"
	"Write FILE.minisig for each FILE, verifiable with `umpire verify FILE` or\n"
	"`minisign -Vm FILE -p PUBKEY`. The trusted comment (signed too) holds the\n"
	"file's base name, its sha256 and the umpire version.\n"
	"\n"
	"Options:\n"
	"  -k, --seckey FILE   secret key (default: $UMPIRE_KEY_DIR/umpire.key); an\n"
	"                      encrypted minisign key takes its password from\n"
	"                      UMPIRE_KEY_PASSWORD\n"
	"  -h, --help          this help\n";

int cli_sign_file(const um_seckey *sec, const char *path, um_error *err)
{
	char *data = NULL, *sig = NULL, *tc = NULL, *out = NULL;
	const char *base = strrchr(path, '/');
	char sha[65];
	size_t len = 0;
	int rc = -1;

	base = base ? base + 1 : path;
	if (um_read_file(path, &data, &len, err) < 0)
		return -1;
	um_sha256_hex(data, len, sha);
	tc = um_xasprintf("file:%s\tsha256:%s\tsigner:umpire %s", base, sha, umpire_version());
	sig = sign_data(sec, data, len, "signature from umpire secret key", tc, err);
	if (!sig)
		goto done;
	out = um_xasprintf("%s.minisig", path);
	rc = um_write_file(out, sig, strlen(sig), 0644, err);
done:
	free(out);
	free(sig);
	free(tc);
	free(data);
	return rc;
}

int cmd_sign(int argc, char **argv, cli_globals *g)
{
	static const struct option opts[] = {
		{"seckey", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *sec_path = NULL;
	um_seckey sec;
	um_error err = {0};
	int c, i, rc = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(sec_path);
			return cli_seckey_letter("sign");
		case 'k':
			free(sec_path);
			sec_path = um_xstrdup(optarg);
			break;
		case 'h':
			fputs(sign_help, stdout);
			return 0;
		default:
			free(sec_path);
			return cli_bad_option("sign", c, argv);
		}
	}
	if (optind >= argc) {
		free(sec_path);
		return cli_usage_error("sign", "no FILE given");
	}
	if (!sec_path)
		sec_path = cli_default_key(1);
	if (sign_seckey_private(sec_path, &err) < 0 ||
	    sign_seckey_load(sec_path, getenv("UMPIRE_KEY_PASSWORD"), &sec, &err) < 0) {
		free(sec_path);
		return cli_error(&err);
	}
	for (i = optind; i < argc && rc == 0; i++) {
		if (cli_sign_file(&sec, argv[i], &err) < 0)
			rc = cli_error(&err);
		else if (!g->quiet)
			fprintf(stderr, "umpire sign: wrote %s.minisig\n", argv[i]);
	}
	memset(&sec, 0, sizeof(sec));
	free(sec_path);
	return rc;
}

int cli_sign_report(const char *dir, const html_page *pages, size_t n, const char *seckey,
		    int quiet, um_error *err)
{
	char *sec_path = seckey ? um_xstrdup(seckey) : cli_default_key(1);
	char **files = um_xcalloc(n + 2, sizeof(*files));
	um_seckey sec;
	FILE *f;
	size_t i;
	int rc = -1;

	files[0] = um_xasprintf("%s/report.json", dir);
	files[1] = um_xasprintf("%s/report.md", dir);
	for (i = 0; i < n; i++)
		files[i + 2] = um_xasprintf("%s/%s", dir, pages[i].name);
	f = fopen(sec_path, "r");
	if (f) {
		fclose(f);
	} else {
		/* first use: make the key the Quick start promises */
		char *pub_path = seckey ? um_xasprintf("%s.pub", seckey) : cli_default_key(0);
		if (cli_keygen(pub_path, sec_path, 0, err) < 0) {
			free(pub_path);
			goto out;
		}
		if (!quiet)
			fprintf(stderr, "umpire: created signing key %s (public key %s)\n", sec_path,
				pub_path);
		free(pub_path);
	}
	if (sign_seckey_private(sec_path, err) < 0 ||
	    sign_seckey_load(sec_path, getenv("UMPIRE_KEY_PASSWORD"), &sec, err) < 0)
		goto out;
	for (i = 0; i < n + 2; i++)
		if (cli_sign_file(&sec, files[i], err) < 0)
			goto wipe;
	rc = 0;
wipe:
	memset(&sec, 0, sizeof(sec));
out:
	for (i = 0; i < n + 2; i++)
		free(files[i]);
	free(files);
	free(sec_path);
	return rc;
}
