#!/usr/bin/env bash
# Measures an idle devnet's CPU and memory: `scripts/devnet-cpu.sh <chains> [seconds]` starts
# `xgeth devnet --devnet.chains <chains>` on free ports, lets it settle for 10 s, then reports
# the process's CPU time over the window (utime+stime from /proc) as a share of one core,
# per chain, its resident memory and the blocks it sequenced. Linux only.
set -euo pipefail
n=${1:?usage: devnet-cpu.sh <chains> [seconds]}
secs=${2:-60}
bin=${XGETH_BIN:-$(dirname "$0")/../build/bin/xgeth}
log=$(mktemp /tmp/xgeth-devnet-cpu.XXXXXX)
"$bin" devnet --devnet.port 0 --devnet.chains "$n" >"$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
sleep 10
tick=$(getconf CLK_TCK)
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
b1=$(grep -c "Sequenced block" "$log" || true)
sleep "$secs"
read -r u2 s2 < <(awk '{print $14, $15}' /proc/$pid/stat)
b2=$(grep -c "Sequenced block" "$log" || true)
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
awk -v n="$n" -v secs="$secs" -v t=$(( (u2 - u1) + (s2 - s1) )) -v tick="$tick" -v rss="$rss" -v blocks=$((b2 - b1)) 'BEGIN {
	cpu = t / tick / secs * 100
	printf "chains=%d window=%ds cpu=%.2f%% of a core (%.2f%% per chain) rss=%.0f MiB (%.0f MiB per chain) blocks=%d\n", n, secs, cpu, cpu / n, rss / 1024, rss / 1024 / n, blocks
}'
