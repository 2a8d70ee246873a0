#!/usr/bin/env bash
# Installs every Debian and npm dependency of Kaiwu. Idempotent: a fast no-op when all are present.
set -euo pipefail

DEBIAN_PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make git
  # libraries
  libboost1.81-all-dev libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libargon2-dev libssl-dev librocksdb-dev liblua5.4-dev libzstd-dev liblz4-dev
  # developer portal: verification e-mail over SMTP
  libcurl4-openssl-dev
  # cluster mode: the PostgreSQL metadata store (libpq), and the server its tests start
  libpq-dev postgresql
  # cluster mode: the NATS JetStream bus (C client; the server for tests and local clusters)
  libnats-dev nats-server
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 curl openssl python3-influxdb
  mosquitto mosquitto-clients python3-paho-mqtt
  # SMTP peer of the developer portal test
  python3-aiosmtpd
  # APP files: XLSX written with libxlsxwriter (kaiwu.files.xlsx), read back by the tests with openpyxl
  libxlsxwriter-dev python3-openpyxl
  # declaration export (report/): DOCX packages zipped with libzip; its test renders them with
  # LibreOffice (soffice --headless), pdftoppm/pdftotext (poppler) and reads styles with python3-docx
  libzip-dev libreoffice-writer-nogui poppler-utils python3-docx
  # Modbus peers: pymodbus server/client (serial server needs pyserial-asyncio), socat pty pairs
  python3-pymodbus python3-serial python3-serial-asyncio socat
  # the web console's end-to-end test (playwright-core drives it) and CJK glyphs for its screenshots
  chromium fonts-wqy-microhei
  # benchmark peers (started by bench/ on loopback only)
  influxdb victoria-metrics
  # cluster mode: telemetry in ClickHouse (18.16; tests and bench/ start their own on loopback)
  clickhouse-server clickhouse-client
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Their stock services listen on every interface; tests and benchmarks start their own
  # instances on loopback, so keep the system ones off where systemd runs.
  $SUDO systemctl disable --now influxdb victoria-metrics mosquitto clickhouse-server nats-server \
    >/dev/null 2>&1 || true
else
  echo "install-deps: all Debian packages present"
fi

# Node.js for the console build and the npm test peers (Debian's nodejs/npm unless a newer Node
# is already installed), then the npm packages the tests use, pinned by package-lock.json.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing nodejs npm"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ ! -d "$root/tests/js/node_modules/mqtt" || ! -d "$root/tests/js/node_modules/node-opcua" ]]; then
  echo "install-deps: npm ci in tests/js"
  (cd "$root/tests/js" && npm ci --no-audit --no-fund)
fi
# The web console (web/): React, Ant Design, ECharts, Vite, Vitest, playwright-core.
if [[ ! -d "$root/web/node_modules" ]]; then
  echo "install-deps: npm ci in web"
  (cd "$root/web" && npm ci --no-audit --no-fund)
fi
