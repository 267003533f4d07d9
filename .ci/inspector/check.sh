#!/usr/bin/env bash
# The MCP Inspector's CLI mode against `frontdesk mcp` over stdio, as Claude Desktop would run it:
# a fresh data dir, migrated, an API key made with the CLI, then tools/list and two tools/call.
# Fails when the Inspector's output lacks the expected tools or results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
frontdesk="$root/.venv/bin/frontdesk"

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export FRONTDESK_DATA_DIR="$data" FRONTDESK_DEMO_CONTACTS=60
"$frontdesk" db upgrade
key=$("$frontdesk" apikey create --email demo@frontdesk.local --name "MCP Inspector (CI)")

inspect() {
  (cd "$here" && npx --no-install @modelcontextprotocol/inspector --cli \
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
