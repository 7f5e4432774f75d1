#!/usr/bin/env bash
# Builds the binaries of the OP Stack end-to-end tests (e2e/opstack) into build/opstack/bin:
#   op-node, op-batcher  optimism $OPT_VER, built from the Go module proxy through a throwaway module
#                        (go.mod.pinned / go.sum.pinned here) whose optimism is a prepared copy;
#   geth                 the L1 (its blocks built by the harness over the engine API), from the patched
#                        third_party/op-geth (`make opgeth`).
# Each is rebuilt only when its inputs change (a stamp beside the binaries). Network: the Go module
# proxy only.
#
# Why a prepared copy: the optimism module zip lacks the generated op-core/superchain/superchain-configs.zip
# that op-node embeds, so it does not build from the proxy as-is. The copy gets one rebuilt from
# op-geth's committed superchain/superchain-configs.zip, and the .sha256 pin op-core checks at start-up
# is rewritten to match.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/scripts/opstack"
cache="$root/build/opstack"
bin="$cache/bin"
OPT_VER=v1.19.6 # the version go.mod.pinned replaces (../optimism-v1.19.6) and pins
# op-geth whose committed superchain-configs.zip stands in for the missing one (the L2 EL's version).
OPGETH_VER=$(tr -d '[:space:]' < "$root/patches/OPGETH_VERSION")
NICE=${NICE-nice -n 10}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOFLAGS=${GOFLAGS:--buildvcs=false}
mkdir -p "$bin"

moddir() { # moddir MODULE@VERSION: download into the module cache, print its folder
	# (from an empty folder: outside any module, so no go.mod or go.sum is touched)
	local d
	d=$(mktemp -d)
	(cd "$d" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	rmdir "$d"
}

# --- op-node and op-batcher
stamp=$( { echo "$OPT_VER $OPGETH_VER"; cat "$here/go.mod.pinned" "$here/go.sum.pinned" "$here/build.sh"; } | sha256sum | cut -d' ' -f1)
if [[ -x $bin/op-node && -x $bin/op-batcher && -f $bin/.stamp-optimism && $(cat "$bin/.stamp-optimism") == "$stamp" ]]; then
	echo "opstack: op-node, op-batcher $OPT_VER up to date in build/opstack/bin"
else
	t0=$SECONDS
	opt="$cache/optimism-$OPT_VER"
	if [[ ! -f $opt/.xgeth-prepared ]]; then
		echo "opstack: downloading optimism $OPT_VER and op-geth $OPGETH_VER (module proxy)"
		for tool in zip unzip sha256sum; do
			command -v "$tool" > /dev/null || { echo "opstack: $tool is needed" >&2; exit 1; }
		done
		optsrc=$(moddir "github.com/ethereum-optimism/optimism@$OPT_VER")
		gethsrc=$(moddir "github.com/ethereum-optimism/op-geth@$OPGETH_VER")
		[[ -d $optsrc && -f $gethsrc/superchain/superchain-configs.zip ]] || { echo "opstack: module download failed" >&2; exit 1; }
		echo "opstack: preparing build/opstack/optimism-$OPT_VER (superchain-configs.zip from op-geth $OPGETH_VER)"
		rm -rf "$opt" "$opt.tmp"
		cp -R "$optsrc" "$opt.tmp"
		chmod -R u+w "$opt.tmp"
		z=$(mktemp -d)
		# Deterministic zip: fixed times and modes, sorted names, no extra attributes; the registry's
		# COMMIT file is not part of op-core's bundle.
		(cd "$z" && unzip -q "$gethsrc/superchain/superchain-configs.zip" && rm -f COMMIT \
			&& find . -exec touch -t 198001010000.00 {} + && chmod -R 755 ./* \
			&& find . -type f | LC_ALL=C sort | xargs zip -9 -oX --quiet superchain-configs.zip)
		mv "$z/superchain-configs.zip" "$opt.tmp/op-core/superchain/superchain-configs.zip"
		rm -rf "$z"
		(cd "$opt.tmp/op-core/superchain" && sha256sum superchain-configs.zip > superchain-configs.zip.sha256)
		touch "$opt.tmp/.xgeth-prepared"
		mv "$opt.tmp" "$opt"
	fi
	mod="$cache/module"
	mkdir -p "$mod"
	cp "$here/go.mod.pinned" "$mod/go.mod"
	cp "$here/go.sum.pinned" "$mod/go.sum"
	echo "opstack: building op-node $OPT_VER (first build downloads ~1.4 GB of modules; minutes)"
	(cd "$mod" && $NICE go build -o "$bin/op-node.tmp" github.com/ethereum-optimism/optimism/op-node/cmd)
	echo "opstack: building op-batcher $OPT_VER"
	(cd "$mod" && $NICE go build -o "$bin/op-batcher.tmp" github.com/ethereum-optimism/optimism/op-batcher/cmd)
	mv "$bin/op-node.tmp" "$bin/op-node"
	mv "$bin/op-batcher.tmp" "$bin/op-batcher"
	echo "$stamp" > "$bin/.stamp-optimism"
	echo "opstack: op-node and op-batcher built in $((SECONDS - t0))s"
fi

# --- L1 geth from the patched op-geth copy
[[ -f $root/third_party/op-geth/.xgeth-stamp ]] || { echo "opstack: third_party/op-geth missing: run make opgeth" >&2; exit 1; }
stamp=$(cat "$root/third_party/op-geth/.xgeth-stamp")
if [[ -x $bin/geth && -f $bin/.stamp-geth && $(cat "$bin/.stamp-geth") == "$stamp" ]]; then
	echo "opstack: L1 geth up to date in build/opstack/bin"
else
	t0=$SECONDS
	echo "opstack: building the L1 geth from third_party/op-geth"
	(cd "$root/third_party/op-geth" && $NICE go build -o "$bin/geth.tmp" ./cmd/geth)
	mv "$bin/geth.tmp" "$bin/geth"
	echo "$stamp" > "$bin/.stamp-geth"
	echo "opstack: L1 geth built in $((SECONDS - t0))s"
fi
