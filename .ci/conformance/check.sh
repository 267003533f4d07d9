#!/usr/bin/env bash
# The official MCP conformance suite (server scenarios) against a real `frontdesk serve` at /mcp.
#
# - Node 22 (the suite needs it; the machine may have an older node) and the suite itself come
#   from npm at pinned versions into a throwaway prefix (FD_CONFORMANCE_PREFIX, default under /tmp).
# - frontdesk runs on a loopback port with a temp data dir; an API key is made with the CLI.
# - The suite has no option to send credentials, so auth_proxy.py (a loopback reverse proxy) adds
#   `Authorization: Bearer <key>` and forwards everything else unchanged, Host and Origin included.
# - Prints one line per scenario and a total. Exits non-zero when a scenario outside
#   expected-failures.txt fails (those need fixtures frontdesk does not serve: `test_*` tools,
#   `test://` resources, `test_*` prompts, sampling/elicitation) or when an expected failure
#   starts passing (so the list stays true).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
frontdesk="$root/.venv/bin/frontdesk"
python="$root/.venv/bin/python"
NODE_VERSION=22.23.3
SUITE_VERSION=0.1.16
prefix=${FD_CONFORMANCE_PREFIX:-/tmp/frontdesk-conformance-node}

if [ ! -x "$prefix/node_modules/.bin/conformance" ] || [ ! -x "$prefix/node_modules/node/bin/node" ] \
  || ! grep -q "\"version\": \"$SUITE_VERSION\"" "$prefix/node_modules/@modelcontextprotocol/conformance/package.json" 2>/dev/null; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
    "node@$NODE_VERSION" "@modelcontextprotocol/conformance@$SUITE_VERSION"
fi
node22="$prefix/node_modules/node/bin/node"
suite="$prefix/node_modules/@modelcontextprotocol/conformance/dist/index.js"
"$node22" --version

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' INT TERM  # so EXIT's cleanup stops the servers on a timeout too

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
proxy_port=$(free_port)
export FRONTDESK_DATA_DIR="$work/data" FRONTDESK_DEMO_CONTACTS=60
unset FRONTDESK_DATABASE_URL
mkdir -p "$FRONTDESK_DATA_DIR"
"$frontdesk" db upgrade >/dev/null 2>&1
"$frontdesk" apikey create --email demo@frontdesk.local --name "MCP conformance (CI)" 2>/dev/null \
  | grep -E '^fdk_' | tail -1 >"$work/key"
[ -s "$work/key" ] || { echo "could not create an API key" >&2; exit 1; }

"$frontdesk" serve --host 127.0.0.1 --port "$port" >"$work/serve.log" 2>&1 &
pids+=($!)
"$python" "$here/auth_proxy.py" --listen "$proxy_port" --upstream "http://127.0.0.1:$port" \
  --key-file "$work/key" >"$work/proxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }

url="http://localhost:$proxy_port/mcp"
if [ "$#" -gt 0 ]; then  # check.sh <scenario>...: just those, with the suite's full output
  for scenario in "$@"; do
    (cd "$work" && "$node22" "$suite" server --url "$url" --scenario "$scenario" --verbose) || true
  done
  exit 0
fi
scenarios=$(cd "$work" && "$node22" "$suite" list --server | grep -oE '^\s*-\s*[a-z0-9-]+' | sed -E 's/^\s*-\s*//')
expected=$(grep -vE '^\s*(#|$)' "$here/expected-failures.txt" | awk '{print $1}' || true)
passed=0 failed=0 unexpected=()
for scenario in $scenarios; do
  set +e
  out=$(cd "$work" && timeout 120 "$node22" "$suite" server --url "$url" --scenario "$scenario" 2>&1)
  set -e
  if grep -qE '^Passed: [0-9]+/[0-9]+, 0 failed' <<<"$out"; then
    result=passed passed=$((passed + 1))
  else
    result=failed failed=$((failed + 1))
  fi
  is_expected=no
  grep -qxF "$scenario" <<<"$expected" && is_expected=yes
  note=""
  if [ "$result" = failed ] && [ "$is_expected" = no ]; then
    unexpected+=("$scenario") note="  <- UNEXPECTED FAILURE"
    echo "$out" | grep -E 'Error:|FAILURE|✗' | head -20 >&2 || true
  elif [ "$result" = passed ] && [ "$is_expected" = yes ]; then
    unexpected+=("$scenario") note="  <- passes now: remove it from expected-failures.txt"
  elif [ "$result" = failed ]; then
    note="  (expected: $(grep -E "^$scenario\b" "$here/expected-failures.txt" | cut -d' ' -f2- | sed 's/^ *//'))"
  fi
  printf '%-40s %s%s\n' "$scenario" "$result" "$note"
done
echo "MCP conformance $SUITE_VERSION against /mcp: $passed passed, $failed failed of $((passed + failed)) scenarios"
if [ "${#unexpected[@]}" -gt 0 ]; then
  echo "unexpected: ${unexpected[*]}" >&2
  exit 1
fi
