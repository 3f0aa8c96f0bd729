#!/usr/bin/env bash
# Make the container engines usable on this machine kind (Debian 12, offline,
# root, no systemd, cgroups v1 hybrid), idempotently:
#   1. podman's containers.conf drop-in (rlimits within the host's hard
#      limits, the runc runtime: crun refuses hybrid cgroups here);
#   2. an offline base image built once from Debian's archive with
#      mmdebstrap, cached as a tarball under /var/tmp, imported into podman
#      and docker as $UMPIRE_BASE_IMAGE (default localhost/umpire-base:bookworm);
#   3. dockerd started by hand when it is not running (log in /var/log);
#   4. with --swe, the toolchain image of the swe fixture instances (Go,
#      node with jest, babel's TypeScript preset and mocha, pytest, git),
#      built and cached the same way as $UMPIRE_SWE_TOOLCHAIN (default
#      localhost/umpire-swe-toolchain:bookworm; about 1 GB, some minutes
#      once; Debian's jest and mocha, so nothing comes from npm);
#   5. with --code, the toolchain image of code suites (python3, g++),
#      built and cached the same way as $UMPIRE_CODE_IMAGE (default
#      localhost/umpire-code:bookworm; docs/code.md, "Containers").
# Options may be combined (--swe --code).
# Used by scripts/test.sh (CI) and by the container tests. Safe to run by
# several processes at once (one lock). Prints nothing on success unless
# UMPIRE_ENGINES_VERBOSE=1. Exits non-zero with a message when an engine
# cannot be made to work: a container test must fail then, not skip.
set -euo pipefail

swe=0 code=0
for a in "$@"; do
  case "$a" in
    --swe) swe=1 ;;
    --code) code=1 ;;
    *) echo "usage: engines.sh [--swe] [--code]" >&2; exit 2 ;;
  esac
done
base=${UMPIRE_BASE_IMAGE:-localhost/umpire-base:bookworm}
cache=${UMPIRE_BASE_CACHE:-/var/tmp/umpire-base-bookworm.tar}
# what the shipped demo suites need inside their containers
include=bash,coreutils,findutils,grep,sed,mawk,gawk,tar,gzip,diffutils,procps,python3,git,patch,gcc,make,libc6-dev,sqlite3,jq
# what the swe fixture instances (tests/fixtures/swe_images) run their tests with
tc=${UMPIRE_SWE_TOOLCHAIN:-localhost/umpire-swe-toolchain:bookworm}
tc_cache=${UMPIRE_SWE_TOOLCHAIN_CACHE:-/var/tmp/umpire-swe-toolchain-bookworm.tar}
tc_include=bash,coreutils,findutils,grep,sed,mawk,tar,gzip,diffutils,procps,python3,python-is-python3,python3-pytest,git,golang-go,nodejs,jest,mocha
# what code suites compile and run their programs with (docs/code.md)
ci=${UMPIRE_CODE_IMAGE:-localhost/umpire-code:bookworm}
ci_cache=${UMPIRE_CODE_CACHE:-/var/tmp/umpire-code-bookworm.tar}
ci_include=bash,coreutils,python3,g++,libc6-dev
say() { [ "${UMPIRE_ENGINES_VERBOSE:-0}" = 1 ] && echo "engines: $*" >&2 || true; }

if [ "$(id -u)" -ne 0 ]; then
  echo "engines.sh: needs root (rootful podman and dockerd)" >&2
  exit 1
fi
for p in podman docker dockerd mmdebstrap; do
  command -v "$p" >/dev/null || { echo "engines.sh: $p is not installed (scripts/deps.sh)" >&2; exit 1; }
done

exec 9>/var/tmp/umpire-engines.lock
flock 9

# 1. podman settings
conf=/etc/containers/containers.conf.d/50-umpire-host.conf
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu); pidmax=$(cat /proc/sys/kernel/pid_max)
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ]; then nofile=1048576; fi
if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pidmax" ]; then nproc=$pidmax; fi
want="[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]
[engine]
runtime = \"runc\""
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$want" > "$conf.tmp" && mv "$conf.tmp" "$conf"
  say "wrote $conf"
fi

# podman's --init (the one-shot mapping of swe tasks and code suites) runs
# catatonit; where Debian's catatonit is not installed, tini (which docker
# uses) serves, in a drop-in of its own
init=/etc/containers/containers.conf.d/51-umpire-init.conf
if [ ! -x /usr/libexec/podman/catatonit ] && command -v tini >/dev/null; then
  want_init="[containers]
init_path = \"$(command -v tini)\""
  if [ ! -f "$init" ] || [ "$(cat "$init")" != "$want_init" ]; then
    printf '%s\n' "$want_init" > "$init.tmp" && mv "$init.tmp" "$init"
    say "wrote $init"
  fi
fi

# 2. the image tarballs, once each
build() { # tarball packages
  local out=$1 pkgs=$2 part
  if [ ! -s "$out" ] || [ "$(cat "$out.include" 2>/dev/null)" != "$pkgs" ]; then
    say "building $out (mmdebstrap)"
    part="${out%.tar}.part.tar"    # mmdebstrap picks the format from the name
    rm -rf "$part"
    mmdebstrap --quiet --variant=minbase --include="$pkgs" bookworm "$part" >/dev/null 2>"$out.log" ||
      { echo "engines.sh: mmdebstrap failed, see $out.log" >&2; tail -5 "$out.log" >&2; exit 1; }
    mv "$part" "$out"
    printf '%s' "$pkgs" > "$out.include"
  fi
}
build "$cache" "$include"
[ "$swe" = 0 ] || build "$tc_cache" "$tc_include"
[ "$code" = 0 ] || build "$ci_cache" "$ci_include"

import() { # engine image tarball
  local e=$1 img=$2 tar=$3 label stamp
  stamp=$(stat -c %Y "$tar")
  label=$("$e" image inspect --format '{{index .Config.Labels "umpire.base"}}' "$img" 2>/dev/null || true)
  if [ "$label" != "$stamp" ]; then
    say "importing $img into $e"
    "$e" import --change "LABEL umpire.base=$stamp" --change "CMD [\"/bin/bash\"]" \
      "$tar" "$img" >/dev/null 2>&1 || { echo "engines.sh: $e import of $img failed" >&2; exit 1; }
  fi
}

# 3. dockerd
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd"
  rm -f /var/run/docker.pid
  # not holding the lock, and not in the caller's TMPDIR or directory: a
  # test's TMPDIR is removed when it ends, and every later docker exec would
  # fail (runc writes its process spec under dockerd's TMPDIR)
  (cd / && exec env -u TMPDIR nohup dockerd >/var/log/umpire-dockerd.log 2>&1 </dev/null 9>&-) &
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 ||
    { echo "engines.sh: dockerd did not start, see /var/log/umpire-dockerd.log" >&2; tail -5 /var/log/umpire-dockerd.log >&2; exit 1; }
fi

for e in podman docker; do
  import $e "$base" "$cache"
  [ "$swe" = 0 ] || import $e "$tc" "$tc_cache"
  [ "$code" = 0 ] || import $e "$ci" "$ci_cache"
done
podman info >/dev/null 2>&1 || { echo "engines.sh: podman info fails" >&2; exit 1; }
if [ "$swe" = 1 ]; then say "ready: $base and $tc in podman and docker"; else say "ready: $base in podman and docker"; fi
