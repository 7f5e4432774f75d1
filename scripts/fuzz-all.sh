#!/usr/bin/env bash
# Runs every Fuzz* target of the module for the given duration each (default 20s).
set -euo pipefail
fuzztime=${1:-20s}
cd "$(dirname "$0")/.."
for dir in $(go list -f '{{.Dir}}' ./...); do
	pkg=$(go list "$dir")
	for f in $(grep -l '^func Fuzz' "$dir"/*_test.go 2>/dev/null || true); do
		for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
			echo "fuzz: $pkg $target ($fuzztime)"
			go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg"
		done
	done
done
