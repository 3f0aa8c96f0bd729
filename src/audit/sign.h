/*
 * sign.h - minisign-compatible Ed25519 signatures (libsodium).
 *
 * Key and signature files use minisign's formats, so `minisign -Vm FILE -p
 * KEY.pub` verifies what umpire signs and umpire verifies what minisign signs:
 *   public key: "untrusted comment: ..." + base64("Ed" || keyid[8] || pk[32])
 *   secret key: "untrusted comment: ..." + base64("Ed" || kdf[2] || "B2" ||
 *               salt[32] || opslimit[8] || memlimit[8] || keyid[8] || sk[64] ||
 *               checksum[32]); kdf "\0\0" = unencrypted, "Sc" = scrypt
 *               (the key block XORed with the derived stream)
 *   signature:  "untrusted comment: ..." + base64("ED" || keyid[8] ||
 *               Ed25519(BLAKE2b-512(file))) + "trusted comment: T" +
 *               base64(Ed25519(sig[64] || T))
 * Legacy "Ed" (non-prehashed) signatures are verified too.
 */
#ifndef UMPIRE_SIGN_H
#define UMPIRE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct um_pubkey {
	unsigned char keyid[8];
	unsigned char pk[32];
} um_pubkey;

typedef struct um_seckey {
	unsigned char keyid[8];
	unsigned char sk[64];   /* libsodium Ed25519 secret key (seed || pk) */
} um_seckey;

/* New key pair. */
int sign_keygen(um_pubkey *pub, um_seckey *sec, um_error *err);
/* The public half of a secret key. */
void sign_pubkey_of(const um_seckey *sec, um_pubkey *pub);
/* Key id as minisign prints it: 16 upper-case hex digits. */
void sign_keyid_hex(const unsigned char keyid[8], char out[17]);

/* File texts. Caller frees. Secret keys are written unencrypted (0600). */
char *sign_pubkey_text(const um_pubkey *pub);
char *sign_seckey_text(const um_seckey *sec);
/* Parse. src names the text in messages. A base64 public key alone (as
 * `minisign -P` takes) is accepted too. passphrase is needed only for an
 * encrypted secret key (NULL otherwise). */
int sign_pubkey_parse(const char *src, const char *text, um_pubkey *out, um_error *err);
int sign_seckey_parse(const char *src, const char *text, const char *passphrase,
		      um_seckey *out, um_error *err);
int sign_pubkey_load(const char *path, um_pubkey *out, um_error *err);
/* 0, or UM_ERR_STATE when the key file is readable or writable by group
 * or others: the commands that sign refuse such a key (as ssh does). */
int sign_seckey_private(const char *path, um_error *err);
int sign_seckey_load(const char *path, const char *passphrase, um_seckey *out, um_error *err);

/* Write path (pub, mode 0644) and path (sec, mode 0600); refuses to
 * overwrite an existing secret key unless force. */
int sign_keypair_write(const char *pub_path, const char *sec_path, const um_pubkey *pub,
		       const um_seckey *sec, int force, um_error *err);

/* Signature text over data (prehashed). trusted_comment must be one line.
 * Caller frees. */
char *sign_data(const um_seckey *sec, const void *data, size_t len, const char *untrusted,
		const char *trusted_comment, um_error *err);

/* Verify sig_text over data. On success fills trusted (if not NULL; caller
 * frees). Errors name what failed: malformed signature, key id mismatch,
 * signature invalid, trusted comment invalid. */
int sign_verify(const um_pubkey *pub, const void *data, size_t len, const char *sig_src,
		const char *sig_text, char **trusted, um_error *err);

#endif
