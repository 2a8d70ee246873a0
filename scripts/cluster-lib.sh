# Sourced by cluster-up.sh and cluster-down.sh (needs $DIR): which program each member runs, and
# whether the PID in DIR/pids/NAME.pid is still that program (a recycled PID is not).
# shellcheck shell=bash

program_of() {
  case $1 in
    nats-*) echo nats-server ;;
    postgres) echo postgres ;;
    clickhouse) echo clickhouse ;;
    kaiwu-*) echo kaiwu ;;
    *) return 1 ;;
  esac
}

# running NAME: true when DIR/pids/NAME.pid names a live process of the member's program.
running() {
  local f="$DIR/pids/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ -n "$pid" && -d /proc/$pid ]] || return 1
  [[ $(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)") == "$(program_of "$1")"* ]]
}
