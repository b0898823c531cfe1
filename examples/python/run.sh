#!/usr/bin/env bash
# The Python example end to end: a venv with grpcio, stubs generated from
# proto/, a real gba-grants server on a free port with a fresh SQLite
# database, and scenario.py driving applicant.py against it.
#
#   GBA_GRANTS_BIN=path/to/gba-grants bash examples/python/run.sh
#
# GBA_GRANTS_BIN defaults to target/release/gba-grants; PYTHON to python3.
# Exits with scenario.py's status.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

bin="${GBA_GRANTS_BIN:-$here/../../target/release/gba-grants}"
if [ ! -x "$bin" ]; then
  echo "run.sh: no server binary at $bin (cargo build --release, or set GBA_GRANTS_BIN)" >&2
  exit 1
fi

# 1. The venv, reused while requirements.txt is unchanged.
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/requirements.txt; then
  echo "run.sh: installing requirements.txt into .venv"
  "${PYTHON:-python3}" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/requirements.txt
fi
py=.venv/bin/python

# 2. The stubs. grpc_tools.protoc adds the google/protobuf/*.proto it ships
# to the include path; the service's protos import nothing else.
rm -rf gen && mkdir gen
# shellcheck disable=SC2046
"$py" -m grpc_tools.protoc -I ../../proto --python_out=gen --grpc_python_out=gen --pyi_out=gen \
  $(cd ../../proto && find gba -name '*.proto' | sort)

# 3. The server, on a free port with an empty database.
tmp="$(mktemp -d)"
echo "" >"$tmp/server.pid"
stop_server() {
  local pid
  pid="$(cat "$tmp/server.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap stop_server EXIT

port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
serve=("$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$tmp/db.sqlite"
       --shutdown-grace-seconds 5)
"${serve[@]}" </dev/null >"$tmp/stdout" 2>"$tmp/server.log" &
echo $! >"$tmp/server.pid"

# The first start on an empty database prints the bootstrap admin key alone
# on a line of stdout, once it is serving.
admin_key=""
for _ in $(seq 1 300); do
  if [ "$(wc -l <"$tmp/stdout")" -ge 1 ]; then
    admin_key="$(head -n 1 "$tmp/stdout")"
    break
  fi
  if ! kill -0 "$(cat "$tmp/server.pid")" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if [ -z "$admin_key" ]; then
  echo "run.sh: the server printed no admin key; its log:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
echo "run.sh: server on 127.0.0.1:$port"

# 4. The scenario; it restarts the server once, mid-watch, with the same command.
status=0
"$py" scenario.py --endpoint "127.0.0.1:$port" --admin-token "$admin_key" \
  --restart-server "$(printf '%q ' "${serve[@]}")" --server-pid-file "$tmp/server.pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: scenario failed ($status); server log:" >&2
  tail -n 40 "$tmp/server.log" >&2
fi
exit "$status"
