#!/usr/bin/env bash
# Install the Debian 12 packages umpire needs to build, run and test, when any
# is missing. Needs root (or sudo) only when something must be installed.
set -euo pipefail

pkgs=(
  build-essential meson ninja-build pkg-config git
  libcurl4-openssl-dev libsqlite3-dev libyaml-dev libarchive-dev libjansson-dev
  libpcre2-dev libsodium-dev libssl-dev zlib1g-dev libzstd-dev libmicrohttpd-dev libcmocka-dev
  sqlite3 zstd bubblewrap minisign curl jq time python3 python3-jsonschema patch zip
  python-is-python3
  man-db slurm-wlm munge
  chromium python3-html5lib tidy
  python3-numpy python3-scipy python3-h5py python3-sympy
  clang
  podman docker.io docker-compose mmdebstrap
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
