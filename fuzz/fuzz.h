/*
 * fuzz.h - the one entry point every harness in fuzz/ defines (libFuzzer's),
 * so a harness builds two ways: with -Dfuzz=true and clang's
 * -fsanitize=fuzzer as a fuzzer, and otherwise linked with driver.c as a
 * program that replays a corpus (a meson test: every seed, under the ASan
 * build's sanitizers in CI).
 */
#ifndef UMPIRE_FUZZ_H
#define UMPIRE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
