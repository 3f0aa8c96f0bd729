/*
 * test_sign.c - minisign-compatible keys and signatures: round trips,
 * tampering, wrong keys, garbage, and vectors made by minisign itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/sign.h"
#include "base/util.h"

#define FIX(name) FIXTURES "/sign/" name

static void test_roundtrip_and_text_formats(void **state)
{
	um_pubkey pub, pub2;
	um_seckey sec, sec2;
	um_error err = {0};
	char *pt, *st, *sig, *tc = NULL;
	const char msg[] = "report bytes";

	(void)state;
	assert_int_equal(sign_keygen(&pub, &sec, &err), 0);
	pt = sign_pubkey_text(&pub);
	st = sign_seckey_text(&sec);
	assert_true(um_has_prefix(pt, "untrusted comment: minisign public key "));
	assert_int_equal(sign_pubkey_parse("pub", pt, &pub2, &err), 0);
	assert_memory_equal(&pub, &pub2, sizeof(pub));
	assert_int_equal(sign_seckey_parse("sec", st, NULL, &sec2, &err), 0);
	assert_memory_equal(&sec, &sec2, sizeof(sec));
	sign_pubkey_of(&sec2, &pub2);
	assert_memory_equal(&pub, &pub2, sizeof(pub));
	sig = sign_data(&sec2, msg, strlen(msg), NULL, "file:x\tsha256:abc", &err);
	assert_non_null(sig);
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "sig", sig, &tc, &err), 0);
	assert_string_equal(tc, "file:x\tsha256:abc");
	free(tc);
	free(sig);
	free(pt);
	free(st);
}

static void test_tampering_detected(void **state)
{
	um_pubkey pub, other;
	um_seckey sec, osec;
	um_error err = {0};
	char msg[] = "the measured accuracy was 71.2%";
	char *sig, *bad, *p;

	(void)state;
	assert_int_equal(sign_keygen(&pub, &sec, &err), 0);
	assert_int_equal(sign_keygen(&other, &osec, &err), 0);
	sig = sign_data(&sec, msg, strlen(msg), NULL, "trusted", &err);
	assert_non_null(sig);

	/* one changed byte in the file */
	msg[27] = '9';
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "s", sig, NULL, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	assert_non_null(strstr(err.msg, "does not match"));
	msg[27] = '1';
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "s", sig, NULL, &err), 0);

	/* altered trusted comment */
	bad = um_xstrdup(sig);
	p = strstr(bad, "trusted comment: trusted");
	assert_non_null(p);
	p[17] = 'T';
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "s", bad, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "trusted comment"));
	free(bad);

	/* wrong key: key id differs */
	assert_int_equal(sign_verify(&other, msg, strlen(msg), "s", sig, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "signed by key"));
	/* wrong key with the right key id: signature check fails */
	memcpy(other.keyid, pub.keyid, 8);
	assert_int_equal(sign_verify(&other, msg, strlen(msg), "s", sig, NULL, &err), -1);
	assert_int_equal(err.code, UM_ERR_STATE);
	free(sig);
}

static void test_garbage_refused(void **state)
{
	um_pubkey pub;
	um_seckey sec;
	um_error err = {0};
	static const char *const bad_keys[] = {
		"", "\n", "untrusted comment: x\n", "untrusted comment: x\nnot base64!!\n",
		"untrusted comment: x\nRWQ=\n", "a\nb\nc\n",
		"untrusted comment: x\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	};
	static const char *const bad_sigs[] = {
		"", "x\ny\nz\nw\n", "untrusted comment: a\n!!!\ntrusted comment: b\nAAAA\n",
		"untrusted comment: a\nRUQ=\ntrusted comment: b\nAAAA\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < UM_ARRAY_LEN(bad_keys); i++) {
		assert_int_equal(sign_pubkey_parse("k", bad_keys[i], &pub, &err), -1);
		assert_int_equal(err.code, UM_ERR_INVALID);
		assert_int_equal(sign_seckey_parse("k", bad_keys[i], NULL, &sec, &err), -1);
	}
	assert_int_equal(sign_keygen(&pub, &sec, &err), 0);
	for (i = 0; i < UM_ARRAY_LEN(bad_sigs); i++) {
		assert_int_equal(sign_verify(&pub, "m", 1, "sig", bad_sigs[i], NULL, &err), -1);
		assert_int_equal(err.code, UM_ERR_INVALID);
	}
	assert_int_equal(sign_data(&sec, "m", 1, NULL, "two\nlines", &err) == NULL, 1);
}

static char *slurp(const char *path)
{
	char *d = NULL;
	um_error err = {0};

	assert_int_equal(um_read_file(path, &d, NULL, &err), 0);
	return d;
}

static void test_minisign_vectors(void **state)
{
	um_pubkey pub;
	um_seckey sec;
	um_error err = {0};
	char *msg = slurp(FIX("message.txt")), *sig = slurp(FIX("message.txt.minisig"));
	char *esig = slurp(FIX("message.txt.enc.minisig")), *tc = NULL, *mine;

	(void)state;
	/* a signature made by minisign verifies */
	assert_int_equal(sign_pubkey_load(FIX("minisign.pub"), &pub, &err), 0);
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "minisig", sig, &tc, &err), 0);
	assert_string_equal(tc, "my trusted");
	free(tc);
	/* minisign's unencrypted secret key (zero checksum) loads and signs */
	assert_int_equal(sign_seckey_load(FIX("minisign-unencrypted.key"), NULL, &sec, &err), 0);
	mine = sign_data(&sec, msg, strlen(msg), NULL, "from umpire", &err);
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "mine", mine, NULL, &err), 0);
	free(mine);
	/* encrypted key: right password works, wrong one is refused, none is asked for */
	assert_int_equal(sign_pubkey_load(FIX("minisign-encrypted.pub"), &pub, &err), 0);
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "enc", esig, NULL, &err), 0);
	assert_int_equal(sign_seckey_load(FIX("minisign-encrypted.key"), "correct horse", &sec, &err),
			 0);
	mine = sign_data(&sec, msg, strlen(msg), NULL, "from umpire", &err);
	assert_int_equal(sign_verify(&pub, msg, strlen(msg), "mine", mine, NULL, &err), 0);
	free(mine);
	assert_int_equal(sign_seckey_load(FIX("minisign-encrypted.key"), "wrong", &sec, &err), -1);
	assert_non_null(strstr(err.msg, "wrong password"));
	assert_int_equal(sign_seckey_load(FIX("minisign-encrypted.key"), NULL, &sec, &err), -1);
	assert_non_null(strstr(err.msg, "encrypted"));
	free(msg);
	free(sig);
	free(esig);
}

static void test_keypair_files(void **state)
{
	char dir[] = "/tmp/umpire-sign-XXXXXX";
	char *pubp, *secp;
	um_pubkey pub, pub2;
	um_seckey sec, sec2;
	um_error err = {0};
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pubp = um_xasprintf("%s/k.pub", dir);
	secp = um_xasprintf("%s/k.key", dir);
	assert_int_equal(sign_keygen(&pub, &sec, &err), 0);
	assert_int_equal(sign_keypair_write(pubp, secp, &pub, &sec, 0, &err), 0);
	assert_int_equal(stat(secp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sign_pubkey_load(pubp, &pub2, &err), 0);
	assert_int_equal(sign_seckey_load(secp, NULL, &sec2, &err), 0);
	assert_memory_equal(&sec, &sec2, sizeof(sec));
	/* no silent overwrite of a secret key */
	assert_int_equal(sign_keypair_write(pubp, secp, &pub, &sec, 0, &err), -1);
	assert_non_null(strstr(err.msg, "--force"));
	assert_int_equal(sign_keypair_write(pubp, secp, &pub, &sec, 1, &err), 0);
	unlink(pubp);
	unlink(secp);
	rmdir(dir);
	free(pubp);
	free(secp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_text_formats),
		cmocka_unit_test(test_tampering_detected),
		cmocka_unit_test(test_garbage_refused),
		cmocka_unit_test(test_minisign_vectors),
		cmocka_unit_test(test_keypair_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
