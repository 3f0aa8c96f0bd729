#!/usr/bin/env bash
# layers_check.sh - scripts/check-layers.py refuses what the stage order
# forbids: an include that runs upwards, a bare include, the runner including
# the servers, a function over 100 lines with no reason (--lengths), and a
# call circle and an upward call found in built objects. It passes on the tree
# itself (the meson test `layers` checks the real build).
. "$(dirname "$0")/lib.sh"

CHK="$UMPIRE_SRCDIR/scripts/check-layers.py"
fake() { # a scratch tree with the checker in scripts/ and an empty src/
  rm -rf "$WORK/t" && mkdir -p "$WORK/t/scripts" "$WORK/t/src/base" "$WORK/t/src/load" \
    "$WORK/t/src/run" "$WORK/t/src/serve" && cp "$CHK" "$WORK/t/scripts/"
}

fake
printf '#include "load/suite.h"\n' > "$WORK/t/src/base/a.c"
expect_exit 1 "an upward include is refused" -- python3 "$WORK/t/scripts/check-layers.py"
check "it names the file, line and both stages" grep -q 'src/base/a.c:1: base (stage 0) includes "load/suite.h" (stage 1)' "$WORK/out"

fake
printf '#include "suite.h"\n' > "$WORK/t/src/load/a.c"
expect_exit 1 "an include without its stage is refused" -- python3 "$WORK/t/scripts/check-layers.py"

fake
printf '#include "serve/sim.h"\n' > "$WORK/t/src/run/a.c"
expect_exit 1 "the runner including a server is refused" -- python3 "$WORK/t/scripts/check-layers.py"
check "it says why" grep -q "never links the servers" "$WORK/out"

fake
printf '#include "base/util.h"\n' > "$WORK/t/src/load/ok.c"
expect_exit 0 "a downward include passes" -- python3 "$WORK/t/scripts/check-layers.py"

fake
{ echo "int longf(void)"; echo "{"; for i in $(seq 120); do echo "	(void)0;"; done; echo "	return 0;"; echo "}"; } > "$WORK/t/src/load/l.c"
expect_exit 1 "a function of 121 lines is flagged with --lengths" -- python3 "$WORK/t/scripts/check-layers.py" --lengths
check "it names the function" grep -q "longf is 121 lines" "$WORK/out"
{ echo "/*"; echo " * Long: one table, read top to bottom."; echo " */"; cat "$WORK/t/src/load/l.c"; } > "$WORK/t/src/load/l2.c" && mv "$WORK/t/src/load/l2.c" "$WORK/t/src/load/l.c"
expect_exit 0 "with a reason above it, it passes" -- python3 "$WORK/t/scripts/check-layers.py" --lengths

# objects: two load files calling each other, and base calling load
fake
O="$WORK/t/build/src/libumpire-core.a.p" && mkdir -p "$O"
printf 'int load_b(int);\nint load_a(int x) { return x ? load_b(x - 1) : 0; }\n' > "$WORK/a.c"
printf 'int load_a(int);\nint load_b(int x) { return x ? load_a(x - 1) : 1; }\n' > "$WORK/b.c"
printf 'int load_a(int);\nint base_c(int x) { return load_a(x); }\n' > "$WORK/c.c"
cc -c -o "$O/load_a.c.o" "$WORK/a.c" && cc -c -o "$O/load_b.c.o" "$WORK/b.c" && cc -c -o "$O/base_c.c.o" "$WORK/c.c"
expect_exit 1 "a call circle in the objects is refused" -- python3 "$WORK/t/scripts/check-layers.py" --objects "$WORK/t/build"
check "the circle is named" grep -q "call circle: load/a.c -> load/b.c" "$WORK/out"
check "the upward call is named" grep -q "base/c.c calls load/a.c: base may not call load" "$WORK/out"

expect_exit 0 "the tree itself passes the include check" -- python3 "$CHK"

done_testing
