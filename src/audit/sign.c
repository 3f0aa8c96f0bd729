/*
 * sign.c - minisign-compatible key files and signatures (see sign.h).
 *
 * Everything cryptographic is libsodium: Ed25519 (crypto_sign_*), BLAKE2b
 * (crypto_generichash), scrypt for encrypted minisign secret keys, base64.
 * Only the file layouts are written here.
 */
#include "audit/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"

#define PUB_BLOB 42
#define SEC_BLOB 158
#define SIG_BLOB 74
#define MAX_TRUSTED 8192

int sign_keygen(um_pubkey *pub, um_seckey *sec, um_error *err)
{
	if (um_global_init(err) < 0)
		return -1;
	if (crypto_sign_keypair(pub->pk, sec->sk) != 0)
		return um_fail(err, UM_ERR_INTERNAL, "Ed25519 key generation failed");
	randombytes_buf(pub->keyid, sizeof(pub->keyid));
	memcpy(sec->keyid, pub->keyid, sizeof(pub->keyid));
	return 0;
}

void sign_pubkey_of(const um_seckey *sec, um_pubkey *pub)
{
	memcpy(pub->keyid, sec->keyid, 8);
	memcpy(pub->pk, sec->sk + 32, 32); /* libsodium's secret key is seed || public key */
}

void sign_keyid_hex(const unsigned char keyid[8], char out[17])
{
	/* minisign prints the key number loaded as a little-endian integer */
	static const char digits[] = "0123456789ABCDEF";
	int i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = digits[keyid[7 - i] >> 4];
		out[2 * i + 1] = digits[keyid[7 - i] & 15];
	}
	out[16] = '\0';
}

static char *b64(const unsigned char *bin, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = um_xmalloc(n);

	sodium_bin2base64(out, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

/* Decode exactly want bytes of base64 from line; -1 on any mismatch. */
static int unb64(const char *line, size_t line_len, unsigned char *out, size_t want)
{
	size_t got = 0;
	const char *end = NULL;

	if (sodium_base642bin(out, want, line, line_len, " \t\r", &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	if (got != want)
		return -1;
	while (end && end < line + line_len && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	return end == line + line_len ? 0 : -1;
}

/* Split text into up to max lines (without the newline). */
static int split_lines(const char *text, const char **starts, size_t *lens, int max)
{
	int n = 0;
	const char *p = text;

	while (*p && n < max) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l && p[l - 1] == '\r')
			l--;
		starts[n] = p;
		lens[n] = l;
		n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	/* drop trailing empty lines */
	while (n > 0 && lens[n - 1] == 0)
		n--;
	return n;
}

char *sign_pubkey_text(const um_pubkey *pub)
{
	unsigned char blob[PUB_BLOB];
	char id[17], *enc, *text;

	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, pub->keyid, 8);
	memcpy(blob + 10, pub->pk, 32);
	enc = b64(blob, sizeof(blob));
	sign_keyid_hex(pub->keyid, id);
	text = um_xasprintf("untrusted comment: minisign public key %s\n%s\n", id, enc);
	free(enc);
	return text;
}

static void seckey_checksum(const um_seckey *sec, unsigned char out[32])
{
	unsigned char in[2 + 8 + 64];

	memcpy(in, "Ed", 2);
	memcpy(in + 2, sec->keyid, 8);
	memcpy(in + 10, sec->sk, 64);
	crypto_generichash(out, 32, in, sizeof(in), NULL, 0);
	sodium_memzero(in, sizeof(in));
}

char *sign_seckey_text(const um_seckey *sec)
{
	unsigned char blob[SEC_BLOB];
	char *enc, *text;

	memset(blob, 0, sizeof(blob));
	memcpy(blob, "Ed", 2);
	/* kdf algorithm 0,0: unencrypted (minisign -W) */
	memcpy(blob + 4, "B2", 2);
	memcpy(blob + 54, sec->keyid, 8);
	memcpy(blob + 62, sec->sk, 64);
	seckey_checksum(sec, blob + 126);
	enc = b64(blob, sizeof(blob));
	sodium_memzero(blob, sizeof(blob));
	text = um_xasprintf("untrusted comment: umpire secret key (unencrypted; keep private)\n"
			    "%s\n",
			    enc);
	sodium_memzero(enc, strlen(enc));
	free(enc);
	return text;
}

/* The base64 line of a key file: line 2 after an untrusted comment, or a
 * lone line. */
static int key_line(const char *src, const char *text, const char **line, size_t *len,
		    um_error *err)
{
	const char *starts[4];
	size_t lens[4];
	int n = split_lines(text, starts, lens, 4);

	if (n == 1) {
		*line = starts[0];
		*len = lens[0];
		return 0;
	}
	if (n == 2 && lens[0] >= 19 && strncmp(starts[0], "untrusted comment: ", 19) == 0) {
		*line = starts[1];
		*len = lens[1];
		return 0;
	}
	return um_fail_at(err, UM_ERR_INVALID, src, 1, 0,
			  "not a minisign key file (expected an 'untrusted comment:' line and "
			  "one base64 line)");
}

int sign_pubkey_parse(const char *src, const char *text, um_pubkey *out, um_error *err)
{
	unsigned char blob[PUB_BLOB];
	const char *line;
	size_t len;

	if (um_global_init(err) < 0 || key_line(src, text, &line, &len, err) < 0)
		return -1;
	if (unb64(line, len, blob, sizeof(blob)) < 0)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: public key is not base64 of %d bytes", src, PUB_BLOB);
	if (memcmp(blob, "Ed", 2) != 0)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: unsupported public key algorithm (want Ed25519 'Ed')", src);
	memcpy(out->keyid, blob + 2, 8);
	memcpy(out->pk, blob + 10, 32);
	return 0;
}

int sign_seckey_parse(const char *src, const char *text, const char *passphrase,
		      um_seckey *out, um_error *err)
{
	unsigned char blob[SEC_BLOB], sum[32], zero[32] = {0};
	const char *line;
	size_t len;
	int rc = -1;

	if (um_global_init(err) < 0 || key_line(src, text, &line, &len, err) < 0)
		return -1;
	if (unb64(line, len, blob, sizeof(blob)) < 0)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: secret key is not base64 of %d bytes", src, SEC_BLOB);
	if (memcmp(blob, "Ed", 2) != 0 || memcmp(blob + 4, "B2", 2) != 0) {
		um_fail(err, UM_ERR_INVALID, "%s: unsupported secret key algorithms", src);
		goto out;
	}
	if (memcmp(blob + 2, "Sc", 2) == 0) {
		unsigned char stream[104];
		uint64_t ops = 0, mem = 0;
		int i;

		if (!passphrase) {
			um_fail(err, UM_ERR_INVALID,
				"%s: the secret key is encrypted; give its password "
				"(UMPIRE_KEY_PASSWORD)",
				src);
			goto out;
		}
		for (i = 7; i >= 0; i--) {
			ops = (ops << 8) | blob[38 + i];
			mem = (mem << 8) | blob[46 + i];
		}
		if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), passphrase,
						       strlen(passphrase), blob + 6,
						       (unsigned long long)ops, (size_t)mem) != 0) {
			um_fail(err, UM_ERR_INTERNAL, "%s: key derivation failed (out of memory?)",
				src);
			goto out;
		}
		for (i = 0; i < 104; i++)
			blob[54 + i] ^= stream[i];
		sodium_memzero(stream, sizeof(stream));
	} else if (blob[2] != 0 || blob[3] != 0) {
		um_fail(err, UM_ERR_INVALID, "%s: unsupported key derivation algorithm", src);
		goto out;
	}
	memcpy(out->keyid, blob + 54, 8);
	memcpy(out->sk, blob + 62, 64);
	seckey_checksum(out, sum);
	/* minisign writes a zero checksum for unencrypted keys; check any other */
	if (sodium_memcmp(sum, blob + 126, 32) != 0 &&
	    !(blob[2] == 0 && sodium_memcmp(zero, blob + 126, 32) == 0)) {
		um_fail(err, UM_ERR_INVALID,
			"%s: secret key checksum mismatch (wrong password or damaged key)", src);
		sodium_memzero(out, sizeof(*out));
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(blob, sizeof(blob));
	return rc;
}

int sign_pubkey_load(const char *path, um_pubkey *out, um_error *err)
{
	char *text;
	int rc;

	if (um_read_file(path, &text, NULL, err) < 0)
		return -1;
	rc = sign_pubkey_parse(path, text, out, err);
	free(text);
	return rc;
}

int sign_seckey_private(const char *path, um_error *err)
{
	struct stat st;

	/* like ssh: a secret key others can read is not used */
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		return um_fail(err, UM_ERR_STATE,
			       "%s: the secret key is readable or writable by others (mode %04o); "
			       "chmod 600 it (and consider it exposed)",
			       path, (unsigned)(st.st_mode & 07777));
	return 0;
}

int sign_seckey_load(const char *path, const char *passphrase, um_seckey *out, um_error *err)
{
	char *text;
	size_t len;
	int rc;

	if (um_read_file(path, &text, &len, err) < 0)
		return -1;
	rc = sign_seckey_parse(path, text, passphrase, out, err);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

static int write_new(const char *path, const char *text, int mode, int force, um_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | (force ? 0 : O_EXCL), mode);
	size_t left = strlen(text);
	const char *p = text;

	if (fd < 0)
		return um_fail(err, errno == EEXIST ? UM_ERR_STATE : UM_ERR_IO,
			       "%s: %s%s", path, strerror(errno),
			       errno == EEXIST ? " (refusing to overwrite a key; use --force)" : "");
	if (fchmod(fd, (mode_t)mode) < 0) {
		close(fd);
		return um_fail(err, UM_ERR_IO, "%s: chmod: %s", path, strerror(errno));
	}
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return um_fail(err, UM_ERR_IO, "%s: write: %s", path, strerror(errno));
		}
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) < 0)
		return um_fail(err, UM_ERR_IO, "%s: close: %s", path, strerror(errno));
	return 0;
}

int sign_keypair_write(const char *pub_path, const char *sec_path, const um_pubkey *pub,
		       const um_seckey *sec, int force, um_error *err)
{
	char *pt = sign_pubkey_text(pub), *st = sign_seckey_text(sec);
	int rc = write_new(sec_path, st, 0600, force, err);

	if (rc == 0)
		rc = write_new(pub_path, pt, 0644, 1, err);
	sodium_memzero(st, strlen(st));
	free(st);
	free(pt);
	return rc;
}

char *sign_data(const um_seckey *sec, const void *data, size_t len, const char *untrusted,
		const char *trusted_comment, um_error *err)
{
	unsigned char hash[crypto_generichash_BYTES_MAX], blob[SIG_BLOB], global[64];
	unsigned char *gin;
	size_t tlen;
	char *sig_b64, *glob_b64, *text;

	if (um_global_init(err) < 0)
		return NULL;
	if (strchr(trusted_comment, '\n') || strchr(trusted_comment, '\r') ||
	    strlen(trusted_comment) > MAX_TRUSTED) {
		um_fail(err, UM_ERR_INVALID, "trusted comment must be one line of at most %d bytes",
			MAX_TRUSTED);
		return NULL;
	}
	crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
	memcpy(blob, "ED", 2);
	memcpy(blob + 2, sec->keyid, 8);
	crypto_sign_detached(blob + 10, NULL, hash, sizeof(hash), sec->sk);
	tlen = strlen(trusted_comment);
	gin = um_xmalloc(64 + tlen);
	memcpy(gin, blob + 10, 64);
	memcpy(gin + 64, trusted_comment, tlen);
	crypto_sign_detached(global, NULL, gin, 64 + tlen, sec->sk);
	free(gin);
	sig_b64 = b64(blob, sizeof(blob));
	glob_b64 = b64(global, sizeof(global));
	text = um_xasprintf("untrusted comment: %s\n%s\ntrusted comment: %s\n%s\n",
			    untrusted ? untrusted : "signature from umpire secret key", sig_b64,
			    trusted_comment, glob_b64);
	free(sig_b64);
	free(glob_b64);
	return text;
}

int sign_verify(const um_pubkey *pub, const void *data, size_t len, const char *sig_src,
		const char *sig_text, char **trusted, um_error *err)
{
	const char *starts[6];
	size_t lens[6], tlen;
	unsigned char blob[SIG_BLOB], global[64], hash[crypto_generichash_BYTES_MAX];
	unsigned char *gin;
	const char *tc;
	int n, ok;
	char want[17], got[17];

	if (um_global_init(err) < 0)
		return -1;
	n = split_lines(sig_text, starts, lens, 6);
	if (n != 4 || lens[0] < 19 || strncmp(starts[0], "untrusted comment: ", 19) != 0 ||
	    lens[2] < 17 || strncmp(starts[2], "trusted comment: ", 17) != 0)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: not a minisign signature (want 4 lines: untrusted comment, "
			       "signature, trusted comment, global signature)",
			       sig_src);
	if (unb64(starts[1], lens[1], blob, sizeof(blob)) < 0)
		return um_fail_at(err, UM_ERR_INVALID, sig_src, 2, 0,
				  "signature line is not base64 of %d bytes", SIG_BLOB);
	if (unb64(starts[3], lens[3], global, sizeof(global)) < 0)
		return um_fail_at(err, UM_ERR_INVALID, sig_src, 4, 0,
				  "global signature line is not base64 of 64 bytes");
	if (memcmp(blob + 2, pub->keyid, 8) != 0) {
		sign_keyid_hex(pub->keyid, want);
		sign_keyid_hex(blob + 2, got);
		return um_fail(err, UM_ERR_STATE,
			       "%s: signed by key %s, but the public key given is %s", sig_src, got,
			       want);
	}
	if (memcmp(blob, "ED", 2) == 0) {
		crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
		ok = crypto_sign_verify_detached(blob + 10, hash, sizeof(hash), pub->pk) == 0;
	} else if (memcmp(blob, "Ed", 2) == 0) {
		ok = crypto_sign_verify_detached(blob + 10, data, len, pub->pk) == 0;
	} else {
		return um_fail(err, UM_ERR_INVALID, "%s: unknown signature algorithm", sig_src);
	}
	if (!ok)
		return um_fail(err, UM_ERR_STATE,
			       "%s: signature does not match the file (file changed or wrong key)",
			       sig_src);
	tc = starts[2] + 17;
	tlen = lens[2] - 17;
	gin = um_xmalloc(64 + tlen);
	memcpy(gin, blob + 10, 64);
	memcpy(gin + 64, tc, tlen);
	ok = crypto_sign_verify_detached(global, gin, 64 + tlen, pub->pk) == 0;
	free(gin);
	if (!ok)
		return um_fail(err, UM_ERR_STATE, "%s: trusted comment has been altered", sig_src);
	if (trusted)
		*trusted = um_xstrndup(tc, tlen);
	return 0;
}
