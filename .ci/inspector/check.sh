#!/usr/bin/env bash
# The MCP Inspector's CLI mode against `frontdesk mcp` over stdio, as Claude Desktop would run it,
# then against streamable HTTP `/mcp` on a real `frontdesk serve` (the key as a bearer header):
# a fresh data dir, migrated, an API key made with the CLI, then tools (with titles, annotations,
# output schemas), resources, prompts and logging/setLevel.
# Fails when the Inspector's output lacks the expected tools or results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
frontdesk="$root/.venv/bin/frontdesk"

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
trap 'exit 143' INT TERM  # so the EXIT trap also runs on a timeout
export FRONTDESK_DATA_DIR="$data" FRONTDESK_DEMO_CONTACTS=60
"$frontdesk" db upgrade
key=$("$frontdesk" apikey create --email demo@frontdesk.local --name "MCP Inspector (CI)" | grep -E '^fdk_' | tail -1)

inspect() {
  (cd "$here" && npx --no-install @modelcontextprotocol/inspector --cli --connect-timeout 60000 \
    -e FRONTDESK_DATA_DIR="$data" -e FRONTDESK_MCP_API_KEY="$key" "$frontdesk" mcp "$@")
}

expect() {  # expect <what> <output> <fixed string>...
  local what=$1 output=$2
  shift 2
  for needle in "$@"; do
    if ! grep -qF -- "$needle" <<<"$output"; then
      echo "MCP Inspector $what: expected $needle in its output:" >&2
      echo "$output" | head -c 4000 >&2
      exit 1
    fi
  done
  echo "MCP Inspector $what: ok ($*)"
}

tools=$(inspect --method tools/list)
expect "tools/list" "$tools" '"name": "get_contacts"' '"name": "pipeline_summary"' '"name": "ask_frontdesk"' \
  '"readOnlyHint": true'

contacts=$(inspect --method tools/call --tool-name get_contacts --tool-arg limit=2 --tool-arg 'tags=["VIP"]')
expect "tools/call get_contacts" "$contacts" '"isError": false' '"total":' '"VIP"'

answer=$(inspect --method tools/call --tool-name ask_frontdesk --tool-arg 'question=How is the pipeline looking?')
expect "tools/call ask_frontdesk" "$answer" '"isError": false' 'Your pipeline has' '"department": "sales"'

prompts=$(inspect --method prompts/list)
expect "prompts/list (stdio)" "$prompts" '"name": "sales"' '"name": "data"'

# The same Inspector against streamable HTTP `/mcp` on a real `frontdesk serve` (loopback, same
# data dir), the API key sent as a bearer header.
port=$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$frontdesk" serve --host 127.0.0.1 --port "$port" >"$data/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { cat "$data/serve.log" >&2; exit 1; }

inspect_http() {
  (cd "$here" && npx --no-install @modelcontextprotocol/inspector --cli --connect-timeout 60000 \
    --transport http --server-url "http://127.0.0.1:$port/mcp" --header "Authorization: Bearer $key" "$@")
}

tools=$(inspect_http --method tools/list)
expect "tools/list (http)" "$tools" '"name": "get_contacts"' '"name": "ask_frontdesk"' \
  '"title": "Find contacts"' '"outputSchema"' '"destructiveHint": false' '"openWorldHint"'

contacts=$(inspect_http --method tools/call --tool-name get_contacts --tool-arg limit=2 --tool-arg 'tags=["VIP"]')
expect "tools/call get_contacts (http)" "$contacts" '"isError": false' '"total":' '"VIP"'

resources=$(inspect_http --method resources/list)
expect "resources/list (http)" "$resources" '"uri": "frontdesk://catalog"'
templates=$(inspect_http --method resources/templates/list)
expect "resources/templates/list (http)" "$templates" '"uriTemplate": "frontdesk://contacts/{contact_id}"'
catalog=$(inspect_http --method resources/read --uri frontdesk://catalog)
expect "resources/read catalog (http)" "$catalog" '"mimeType": "application/json"' 'objects'

prompt=$(inspect_http --method prompts/get --prompt-name sales --prompt-args 'question=Who should I call?')
expect "prompts/get sales (http)" "$prompt" '"role": "user"' 'Who should I call?'

level=$(inspect_http --method logging/setLevel --log-level info)
expect "logging/setLevel (http)" "$level" '{}'
