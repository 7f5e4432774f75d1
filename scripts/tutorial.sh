#!/usr/bin/env bash
# Runs the README tutorial's commands as written, against a fresh devnet on the default
# ports, and checks what each step should have done (scripts/tutorial-checks.sh).
#
# The tutorial is the README text between "<!-- tutorial:start -->" and
# "<!-- tutorial:end -->". Its first ```sh block starts the devnet: it runs in the background,
# and the others wait until both chains answer. Every other ```sh block runs in order, in
# one bash session (variables carry over), followed by check_<n> of the checks file when
# it defines one. cast comes from npm (@foundry-rs/cast, pinned) into build/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cast_version=1.7.1
tools=$root/build/tools
if [ ! -x "$tools/node_modules/.bin/cast" ] || ! "$tools/node_modules/.bin/cast" --version | grep -q "$cast_version"; then
	echo "Installing cast $cast_version from npm into $tools"
	mkdir -p "$tools"
	npm install --prefix "$tools" --no-audit --no-fund --silent "@foundry-rs/cast@$cast_version"
fi
export PATH="$tools/node_modules/.bin:$PATH"

work=$(mktemp -d /tmp/xgeth-tutorial.XXXXXX)
awk -v dir="$work" '
	/<!-- tutorial:start -->/ { on = 1; next }
	/<!-- tutorial:end -->/   { on = 0; next }
	on && !inblock && /^ *```sh$/ { n++; file = sprintf("%s/block-%02d.sh", dir, n); inblock = 1; indent = index($0, "`") - 1; next }
	inblock && /^ *```$/ { inblock = 0; close(file); next }
	inblock { print substr($0, indent + 1) > file }
' README.md
blocks=("$work"/block-*.sh)
if [ "${#blocks[@]}" -lt 2 ]; then
	echo "tutorial: no tutorial blocks found in README.md" >&2
	exit 1
fi

echo "== step 1 (background): $(cat "${blocks[0]}")"
set -m # the devnet gets its own process group, stopped as a whole by cleanup
bash -e "${blocks[0]}" >"$work/devnet.log" 2>&1 &
devnet=$!
set +m
cleanup() {
	# make runs xgeth as its child: stop the whole group.
	kill -INT -- "-$devnet" 2>/dev/null || kill -INT "$devnet" 2>/dev/null || true
	wait "$devnet" 2>/dev/null || true
	if [ "${ok:-0}" != 1 ]; then
		echo "--- devnet log (last 60 lines) ---"
		tail -n 60 "$work/devnet.log"
	fi
}
trap cleanup EXIT

ready() {
	curl -sf -H 'content-type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' "$1" | grep -q '"result":"0x[1-9a-f]'
}
for i in $(seq 1 240); do
	if ready http://127.0.0.1:9545 && ready http://127.0.0.1:9546; then break; fi
	if ! kill -0 "$devnet" 2>/dev/null; then echo "tutorial: the devnet exited" >&2; exit 1; fi
	sleep 0.5
done
ready http://127.0.0.1:9545 && ready http://127.0.0.1:9546

export DEVNET_LOG=$work/devnet.log # the checks read what the devnet logged

# One session: each block, echoed, then its check.
session=$work/session.sh
{
	echo "set -euo pipefail"
	echo "source '$root/scripts/tutorial-checks.sh'"
	for ((i = 1; i < ${#blocks[@]}; i++)); do
		step=$((i + 1))
		echo "echo; echo '== step $step'; sed 's/^/    /' '${blocks[$i]}'"
		echo "source '${blocks[$i]}'"
		echo "if declare -F check_$step >/dev/null; then check_$step; echo '   ok: step $step'; fi"
	done
} >"$session"
bash "$session"
ok=1
echo
echo "tutorial: all ${#blocks[@]} steps passed"
