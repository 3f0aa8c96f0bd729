#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (Debian 12, root, no systemd), for
# the Slurm example's scenario test and for trying examples/slurm/ by hand.
#   scripts/slurm.sh start   set up munge, slurmctld and slurmd if they are not
#                            running (idempotent); prints "started" when it
#                            started any daemon, "running" when all were up
#   scripts/slurm.sh stop    stop the three daemons (each by its pid file)
#   scripts/slurm.sh status  exit 0 when the node is up and idle or mixed
# Steps as in the tested recipe: slurmctld on 127.0.0.1:6817, slurmd on
# 127.0.0.1:6818, munged on its unix socket only. Packages: scripts/deps.sh.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARK="# written by umpire scripts/slurm.sh"

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { sinfo -h -n localhost -o %T 2>/dev/null | head -n1; }

write_conf() {
  local cpus mem
  cpus=$(nproc)
  mem=$(awk '/MemAvailable/{print int($2/1024) - 1024}' /proc/meminfo)
  [ "$mem" -ge 256 ] || mem=256
  install -d /etc/slurm
  cat >"$CONF.new" <<CONF
$MARK
ClusterName=local
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=none
MailProg=/bin/true
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  mv "$CONF.new" "$CONF"
}

start() {
  local started=0 i
  command -v slurmctld >/dev/null && command -v munged >/dev/null ||
    { echo "slurm-wlm and munge are not installed (scripts/deps.sh installs them)" >&2; exit 1; }
  if ! alive /run/munge/munged.pid; then
    [ -s /etc/munge/munge.key ] || mungekey --create
    chown munge:munge /etc/munge/munge.key
    chmod 0600 /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- munged
    started=1
  fi
  for i in $(seq 40); do munge -n | unmunge >/dev/null 2>&1 && break; sleep 0.25; done
  munge -n | unmunge >/dev/null 2>&1 || { echo "munged does not answer" >&2; exit 1; }

  install -d -o slurm -g slurm /var/lib/slurm/slurmctld /var/log/slurm
  if ! alive /run/slurmctld.pid; then
    # our configuration unless someone else's cluster is configured here
    if [ ! -s "$CONF" ] || head -n1 "$CONF" | grep -qF "$MARK"; then write_conf; fi
    rm -f /run/slurmctld.pid
    slurmctld
    started=1
  fi
  for i in $(seq 60); do scontrol ping >/dev/null 2>&1 && break; sleep 0.5; done
  scontrol ping >/dev/null 2>&1 || { echo "slurmctld does not answer" >&2; exit 1; }
  if ! alive /run/slurmd.pid; then
    slurmd
    started=1
  fi
  for i in $(seq 60); do
    case "$(node_state)" in idle|mixed|allocated) break ;; esac
    sleep 0.5
  done
  case "$(node_state)" in
    idle|mixed|allocated) ;;
    *) echo "node not ready: $(node_state)" >&2; sinfo >&2 || true; exit 1 ;;
  esac
  [ "$started" -eq 1 ] && echo started || echo running
}

stop() {
  local f p
  for f in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
    alive "$f" || continue
    p=$(cat "$f")
    kill "$p"
    while kill -0 "$p" 2>/dev/null; do sleep 0.2; done
  done
  rm -f /run/slurmctld.pid
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) case "$(node_state)" in idle|mixed|allocated) exit 0 ;; *) exit 1 ;; esac ;;
  *) echo "usage: scripts/slurm.sh start|stop|status" >&2; exit 2 ;;
esac
