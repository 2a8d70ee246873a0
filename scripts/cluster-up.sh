#!/usr/bin/env bash
# A local Kaiwu cluster on loopback ports: three nats-server processes as one JetStream cluster,
# one PostgreSQL (metadata), one ClickHouse (telemetry) and three `kaiwu serve` nodes on them.
# Everything lives in DIR (default ./kaiwu-cluster): data, logs, one config per node and one PID
# file per process in DIR/pids/. Members that are already running are left alone and members
# that are not are (re)started, so running it again after a crash restarts what died.
#
# Usage: scripts/cluster-up.sh [DIR]
#   KAIWU_BIN=path            kaiwu binary (default: <repo>/build/kaiwu, else the newest build*/kaiwu)
#   KAIWU_CLUSTER_PORT_BASE=B ports B+1..B+53 instead of the defaults (see README "Running a
#                             cluster"); "auto": a free range. Kept in DIR/port-base for later runs.
#   KAIWU_ADMIN_PASSWORD=pw   password of the first platform admin (default: generated once into
#                             DIR/admin-password)
#   KAIWU_CLUSTER_TIMEOUT=s   seconds to wait for each member to become healthy (default 90)
# Stop with scripts/cluster-down.sh DIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
DIR=${1:-./kaiwu-cluster}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
TIMEOUT=${KAIWU_CLUSTER_TIMEOUT:-90}
N=3  # kaiwu nodes and NATS servers

die() { echo "cluster-up: $*" >&2; exit 1; }

# --- ports --------------------------------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A base whose 53 ports nobody listens on, kept in DIR/port-base so that later runs (restarting
# members) use the same ports.
B=${KAIWU_CLUSTER_PORT_BASE:-}
if [[ -f "$DIR/port-base" && ( -z "$B" || "$B" == auto ) ]]; then
  B=$(cat "$DIR/port-base")
elif [[ "$B" == auto ]]; then
  B=""
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 390 * 100))
    for p in $(seq $((candidate + 1)) $((candidate + 53))); do
      port_free "$p" || continue 2
    done
    B=$candidate
    break
  done
  [[ -n "$B" ]] || die "no free range of 53 loopback ports found"
fi
[[ -z "$B" ]] || echo "$B" >"$DIR/port-base"
if [[ -n "$B" ]]; then
  kaiwu_http() { echo $((B + $1)); }
  kaiwu_mqtt() { echo $((B + 10 + $1)); }
  nats_client() { echo $((B + 20 + $1)); }
  nats_route() { echo $((B + 30 + $1)); }
  nats_monitor() { echo $((B + 40 + $1)); }
  PG_PORT=$((B + 50)) CH_HTTP=$((B + 51)) CH_TCP=$((B + 52))
else
  kaiwu_http() { echo $((8080 + $1)); }
  kaiwu_mqtt() { echo $((1883 + $1)); }
  nats_client() { echo $((4221 + $1)); }
  nats_route() { echo $((6221 + $1)); }
  nats_monitor() { echo $((8221 + $1)); }
  PG_PORT=5433 CH_HTTP=8124 CH_TCP=9001  # beside the packaged servers' 5432, 8123, 9000
fi
NATS_URLS=""
for i in $(seq 1 $N); do NATS_URLS+="${NATS_URLS:+,}nats://127.0.0.1:$(nats_client "$i")"; done
PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/kaiwu"
CH_URL="http://127.0.0.1:$CH_HTTP"

# --- binaries -----------------------------------------------------------------------------------
KAIWU=${KAIWU_BIN:-}
if [[ -z "$KAIWU" ]]; then
  if [[ -x "$repo/build/kaiwu" ]]; then KAIWU="$repo/build/kaiwu"
  else KAIWU=$(ls -t "$repo"/build*/kaiwu 2>/dev/null | head -1 || true); fi
fi
[[ -n "$KAIWU" && -x "$KAIWU" ]] || die "no kaiwu binary (run make, or set KAIWU_BIN)"
KAIWU=$(cd "$(dirname "$KAIWU")" && pwd)/$(basename "$KAIWU")
PG_BIN=${KAIWU_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -1)}
CLICKHOUSE=${KAIWU_CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}
command -v nats-server >/dev/null || die "nats-server missing (scripts/install-deps.sh)"
[[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL server binaries missing (scripts/install-deps.sh)"
[[ -x "$CLICKHOUSE" ]] || die "$CLICKHOUSE missing (scripts/install-deps.sh)"
command -v curl >/dev/null || die "curl missing"

mkdir -p "$DIR/pids"
chmod 0711 "$DIR"  # the postgres user must reach DIR/postgres

# --- process bookkeeping (running, program_of: cluster-lib.sh) ---------------------------------
. "$here/cluster-lib.sh"
# launch NAME LOG CMD...: starts CMD in its own session, detached from this shell; PID to DIR/pids.
launch() {
  local name=$1 log=$2
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >"$DIR/pids/$name.pid"
}
# wait_until WHAT CMD...: retries CMD until it succeeds or TIMEOUT seconds pass.
wait_until() {
  local what=$1 end=$((SECONDS + TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "$what not healthy after ${TIMEOUT}s (logs in $DIR)"
    sleep 0.2
  done
}
need_port() { port_free "$1" || die "port $1 ($2) is in use (set KAIWU_CLUSTER_PORT_BASE)"; }

# --- NATS: three servers routed to each other, JetStream on -------------------------------------
for i in $(seq 1 $N); do
  name=nats-$i
  running "$name" && { echo "$name already running"; continue; }
  need_port "$(nats_client "$i")" "$name client"
  need_port "$(nats_route "$i")" "$name cluster"
  need_port "$(nats_monitor "$i")" "$name monitoring"
  routes=""
  for j in $(seq 1 $N); do
    [[ $j == "$i" ]] || routes+="${routes:+,}nats://127.0.0.1:$(nats_route "$j")"
  done
  mkdir -p "$DIR/$name"
  launch "$name" "$DIR/$name/server.log" nats-server -a 127.0.0.1 -p "$(nats_client "$i")" \
    -m "$(nats_monitor "$i")" -n "$name" -js -sd "$DIR/$name/js" \
    --cluster_name kaiwu --cluster "nats://127.0.0.1:$(nats_route "$i")" --routes "$routes"
done

# --- PostgreSQL: initdb once, then the server (as the postgres user when run as root) -----------
as_pg=()
if [[ $(id -u) == 0 ]]; then
  pg_user=postgres
  id postgres >/dev/null 2>&1 || pg_user=nobody
  as_pg=(setpriv --reuid="$(id -u $pg_user)" --regid="$(id -g $pg_user)" --clear-groups --)
fi
if running postgres; then
  echo "postgres already running"
else
  need_port "$PG_PORT" postgres
  mkdir -p "$DIR/postgres"
  [[ ${#as_pg[@]} == 0 ]] || chown "$pg_user:" "$DIR/postgres"
  "${as_pg[@]}" test -w "$DIR/postgres" || die "the postgres user cannot write $DIR/postgres (pick a DIR it can reach, e.g. under /tmp)"
  if [[ ! -f "$DIR/postgres/data/PG_VERSION" ]]; then
    "${as_pg[@]}" "$PG_BIN/initdb" -D "$DIR/postgres/data" -A trust -U postgres -E UTF8 --locale=C -N \
      >"$DIR/postgres/initdb.log" 2>&1 || die "initdb failed: $DIR/postgres/initdb.log"
  fi
  launch postgres "$DIR/postgres/server.log" "${as_pg[@]}" "$PG_BIN/postgres" -D "$DIR/postgres/data" \
    -k "$DIR/postgres" -h 127.0.0.1 -p "$PG_PORT" -F
fi

# --- ClickHouse: one server, data in DIR/clickhouse ---------------------------------------------
if running clickhouse; then
  echo "clickhouse already running"
else
  need_port "$CH_HTTP" "clickhouse HTTP"
  need_port "$CH_TCP" "clickhouse native"
  d=$DIR/clickhouse
  mkdir -p "$d"
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP</http_port>
  <tcp_port>$CH_TCP</tcp_port>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <timezone>UTC</timezone>
</yandex>
EOF
  cat >"$d/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
  (cd "$d" && launch clickhouse "$d/stdout.log" "$CLICKHOUSE" --config-file="$d/config.xml")
fi

# --- wait for the engines -----------------------------------------------------------------------
for i in $(seq 1 $N); do
  # /healthz answers ok once JetStream has a meta leader (streams can be created).
  wait_until "nats-$i" curl -fsS "http://127.0.0.1:$(nats_monitor "$i")/healthz"
done
wait_until postgres "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
if ! "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'kaiwu'" | grep -q 1; then
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres kaiwu
fi
wait_until clickhouse curl -fsS "$CH_URL/ping"

# --- Kaiwu nodes --------------------------------------------------------------------------------
if [[ -z "${KAIWU_ADMIN_PASSWORD:-}" ]]; then
  if [[ ! -f "$DIR/admin-password" ]]; then
    (umask 077 && head -c 12 /dev/urandom | base64 | tr '+/' 'kw' >"$DIR/admin-password")
  fi
  KAIWU_ADMIN_PASSWORD=$(cat "$DIR/admin-password")
fi
export KAIWU_ADMIN_PASSWORD
# One JWT signing key for all nodes: a token issued by one node is accepted by every node.
if [[ ! -f "$DIR/jwt.key" ]]; then
  (umask 077 && head -c 32 /dev/urandom >"$DIR/jwt.key")
fi
started=()
for i in $(seq 1 $N); do
  name=kaiwu-$i
  running "$name" && { echo "$name already running"; continue; }
  need_port "$(kaiwu_http "$i")" "$name HTTP"
  need_port "$(kaiwu_mqtt "$i")" "$name MQTT"
  d=$DIR/$name
  mkdir -p "$d"
  # Each node prefers "its" NATS server and fails over to the others.
  urls=""
  for k in $(seq 0 $((N - 1))); do urls+="${urls:+,}nats://127.0.0.1:$(nats_client $(((i - 1 + k) % N + 1)))"; done
  cat >"$d/kaiwu.toml" <<EOF
# Written by scripts/cluster-up.sh: node $i of a local cluster.
[http]
address = "127.0.0.1"
port = $(kaiwu_http "$i")

[mqtt]
address = "127.0.0.1"
port = $(kaiwu_mqtt "$i")
connects_per_minute_per_address = 0  # every local client comes from 127.0.0.1

[meta]
backend = "postgres"
postgres_url = "$PG_URL"

[tsdb]
backend = "clickhouse"
clickhouse_url = "$CH_URL"
clickhouse_database = "kaiwu"

[auth]
jwt_key_file = "$DIR/jwt.key"

[bus]
backend = "nats"
nats_url = "$urls"
replicas = 3
node_name = "$name"
EOF
  launch "$name" "$d/server.log" "$KAIWU" serve --config "$d/kaiwu.toml" --data "$d"
  started+=("$name")
done
for i in $(seq 1 $N); do
  wait_until "kaiwu-$i" curl -fsS "http://127.0.0.1:$(kaiwu_http "$i")/healthz"
done

# --- endpoints ----------------------------------------------------------------------------------
{
  echo "# Written by scripts/cluster-up.sh; source it for the endpoints."
  echo "KAIWU_CLUSTER_DIR=$DIR"
  for i in $(seq 1 $N); do
    echo "KAIWU_NODE${i}_HTTP=http://127.0.0.1:$(kaiwu_http "$i")"
    echo "KAIWU_NODE${i}_MQTT_PORT=$(kaiwu_mqtt "$i")"
    echo "KAIWU_NATS${i}_MONITOR=http://127.0.0.1:$(nats_monitor "$i")"
  done
  echo "KAIWU_NATS_URLS=$NATS_URLS"
  echo "KAIWU_POSTGRES_URL=$PG_URL"
  echo "KAIWU_CLICKHOUSE_URL=$CH_URL"
} >"$DIR/cluster.env"

echo "Kaiwu cluster up in $DIR"
for i in $(seq 1 $N); do
  printf '  kaiwu-%s   HTTP http://127.0.0.1:%s  MQTT 127.0.0.1:%s  (pid %s)\n' "$i" "$(kaiwu_http "$i")" \
    "$(kaiwu_mqtt "$i")" "$(cat "$DIR/pids/kaiwu-$i.pid")"
done
for i in $(seq 1 $N); do
  printf '  nats-%s    nats://127.0.0.1:%s  cluster :%s  monitor http://127.0.0.1:%s  (pid %s)\n' "$i" \
    "$(nats_client "$i")" "$(nats_route "$i")" "$(nats_monitor "$i")" "$(cat "$DIR/pids/nats-$i.pid")"
done
printf '  postgres  %s  (pid %s)\n' "$PG_URL" "$(cat "$DIR/pids/postgres.pid")"
printf '  clickhouse %s  native :%s  (pid %s)\n' "$CH_URL" "$CH_TCP" "$(cat "$DIR/pids/clickhouse.pid")"
echo "  admin / $KAIWU_ADMIN_PASSWORD   (endpoints in $DIR/cluster.env; stop: scripts/cluster-down.sh $DIR)"
