#!/usr/bin/env bash
# Ten SIGKILLs at random moments of a demo run with the recording proxy, a
# resume after each: nothing lost, nothing duplicated, and every
# orchestrator attempt holds exactly the sub-calls of its committed try
# (scripts/soak-kill.sh; the nightly runs it with 50 or more).
. "$(dirname "$0")/lib.sh"
exec "$UMPIRE_SRCDIR/scripts/soak-kill.sh" 10 "$UMPIRE" "$WORK/soak"
