#!/bin/sh
# Submit a nightly umpire run to Slurm, sharded over a job array, then the
# merge job that depends on it, and wait for the merge (polling squeue, which
# is faster than sbatch --wait). Usage:
#   SUITE=suites/demo.yaml MODELS=models/demo.yaml RUN_ID=nightly-2026-12-02 \
#   OUT=/shared/umpire/nightly SHARDS=3 [BASE_DB=last.db] [UMPIRE=umpire] \
#   examples/slurm/nightly.sh
# OUT must be on a file system every node sees. Exit status: the merge job's
# (0, or 9 when compare found a regression).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${SUITE:?}" "${MODELS:?}" "${RUN_ID:?}" "${OUT:?}" "${SHARDS:=3}"
export UMPIRE="${UMPIRE:-umpire}" SUITE MODELS RUN_ID OUT BASE_DB="${BASE_DB:-}"
mkdir -p "$OUT"
cd "$OUT"
array=$(sbatch --parsable --array=0-$((SHARDS - 1)) "$here/umpire-shard.sbatch")
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  "$here/umpire-merge.sbatch")
echo "submitted shards $array (0-$((SHARDS - 1))), merge $merge"
while [ -n "$(squeue -h -j "$array,$merge" 2>/dev/null)" ]; do sleep 0.5; done
state=$(sacct -n -X -j "$merge" -o State 2>/dev/null | head -n1 | tr -d ' ' || true)
code=$(scontrol show job "$merge" 2>/dev/null | sed -n 's/.*ExitCode=\([0-9]*\):.*/\1/p' | head -n1)
echo "merge job $merge: ${state:-finished} exit ${code:-?}"
cat "umpire-merge-$merge.log" 2>/dev/null || true
[ -n "$code" ] || { echo "cannot read the merge job's exit code" >&2; exit 1; }
exit "$code"
