#!/usr/bin/env bash
# Installs the pinned n8n releases the end-to-end suite runs against, into a cache outside the
# repository (kept between runs; a fresh machine installs from the npm registry).
#   n8n 1.123.50: the newest 1.x that installs on Node 20. Every 1.x depends on an xlsx tarball from a
#                 host that is not reachable here: the registry copy @e965/xlsx replaces it.
set -euo pipefail

cache="${N8N_E2E_CACHE:-$HOME/.cache/n8n-nodes-aws-lambda-e2e}"
mkdir -p "$cache"

install_n8n1() {
	local dir="$cache/n8n-1"
	if [ -x "$dir/node_modules/.bin/n8n" ] && "$dir/node_modules/.bin/n8n" --version >/dev/null 2>&1; then
		echo "n8n $("$dir/node_modules/.bin/n8n" --version) already installed in $dir"
		return
	fi
	mkdir -p "$dir"
	cat > "$dir/package.json" <<'JSON'
{
  "name": "n8n-e2e-1x",
  "private": true,
  "dependencies": { "n8n": "1.123.50" },
  "overrides": { "xlsx": "npm:@e965/xlsx@0.20.2" }
}
JSON
	echo "Installing n8n 1.123.50 into $dir (a few minutes on a fresh machine)"
	(cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
	"$dir/node_modules/.bin/n8n" --version
}

install_n8n1
