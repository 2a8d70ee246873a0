#!/usr/bin/env bash
# Stops the local cluster that scripts/cluster-up.sh started in DIR: exactly the processes named
# by DIR/pids/*.pid (a PID that now belongs to another program is left alone), Kaiwu nodes first,
# the engines last. Idempotent: members already stopped are skipped. Data stays in DIR (remove
# the directory to start from scratch).
#
# Usage: scripts/cluster-down.sh [DIR] [MEMBER...]   (members: kaiwu-1..3 nats-1..3 postgres
#        clickhouse; default all)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-./kaiwu-cluster}
shift || true
if [[ ! -d "$DIR/pids" ]]; then
  echo "cluster-down: nothing running in $DIR"
  exit 0
fi
DIR=$(cd "$DIR" && pwd)
. "$here/cluster-lib.sh"

members=("$@")
if ((${#members[@]} == 0)); then
  members=(kaiwu-1 kaiwu-2 kaiwu-3 clickhouse postgres nats-1 nats-2 nats-3)
fi

# stop NAME: SIGTERM (postgres: SIGINT, its fast shutdown), SIGKILL after 30 s.
stop() {
  local name=$1 pid sig=TERM t0=$SECONDS
  program_of "$name" >/dev/null || { echo "cluster-down: unknown member $name" >&2; return 1; }
  if ! running "$name"; then
    rm -f "$DIR/pids/$name.pid"
    return 0
  fi
  stopped=$((stopped + 1))
  pid=$(cat "$DIR/pids/$name.pid")
  [[ $name == postgres ]] && sig=INT
  kill -s "$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    running "$name" || break
    sleep 0.1
  done
  if running "$name"; then
    echo "cluster-down: $name (pid $pid) did not stop in 30 s: SIGKILL"
    kill -s KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/pids/$name.pid"
  echo "stopped $name (pid $pid, $((SECONDS - t0)) s)"
}

status=0 stopped=0
for m in "${members[@]}"; do stop "$m" || status=1; done
((stopped > 0)) || echo "cluster-down: nothing was running in $DIR"
exit $status
