#!/usr/bin/env bash
# Materialises third_party/op-geth: op-geth at the pinned version (patches/OPGETH_VERSION),
# copied from the Go module cache and patched with patches/*.patch in name order.
# Idempotent: a stamp of the version and the patch contents says whether the copy is current;
# any change to either rebuilds the copy from scratch. Fails loudly if a patch does not apply.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/third_party/op-geth"
version=$(tr -d '[:space:]' < "$root/patches/OPGETH_VERSION")
module="github.com/ethereum-optimism/op-geth"

stamp=$( { echo "$version"; cat "$root"/patches/*.patch "$root/patches/apply.sh"; } | sha256sum | cut -d' ' -f1)
if [ -f "$dest/.xgeth-stamp" ] && [ "$(cat "$dest/.xgeth-stamp")" = "$stamp" ]; then
	exit 0
fi

echo "patches: preparing op-geth $version in third_party/op-geth"
src=$(cd "$root" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ] || [ ! -d "$src" ]; then
	echo "patches: could not download $module@$version from the module proxy" >&2
	exit 1
fi

tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$(dirname "$dest")"
cp -R "$src" "$tmp"
chmod -R u+w "$tmp"
for p in "$root"/patches/*.patch; do
	if ! out=$(patch -d "$tmp" -p1 --forward --batch --no-backup-if-mismatch < "$p" 2>&1); then
		echo "$out" >&2
		echo "patches: FAILED to apply $(basename "$p") to op-geth $version" >&2
		rm -rf "$tmp"
		exit 1
	fi
	echo "patches: applied $(basename "$p")"
done
# Rejected hunks leave .rej files even when patch exits 0 in some modes: treat them as failure.
if find "$tmp" -name '*.rej' | grep -q .; then
	echo "patches: rejected hunks found" >&2
	rm -rf "$tmp"
	exit 1
fi
echo "$stamp" > "$tmp/.xgeth-stamp"
rm -rf "$dest"
mv "$tmp" "$dest"
