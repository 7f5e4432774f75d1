# What each step of the README tutorial should have done; sourced by scripts/tutorial.sh,
# which calls check_<step> after the step's commands (step 1 starts the devnet). Relays
# land within a block or two; the checks give them up to 30 seconds.

# eventually <what> <want> <command...>: poll the command until it prints want.
eventually() {
	local what=$1 want=$2 got=""
	shift 2
	for _ in $(seq 1 60); do
		got=$("$@" 2>/dev/null | awk '{print $1}') || true
		[ "$got" = "$want" ] && return 0
		sleep 0.5
	done
	echo "check failed: $what: got '$got', want '$want'" >&2
	return 1
}

balance_b() { cast balance "$1" --rpc-url "$B"; }
token() { cast call "$TOKEN" "balanceOf(address)(uint256)" "$2" --rpc-url "$1"; }

check_2() {
	eventually "FRIEND's ETH on 902" 10001000000000000000000 balance_b "$FRIEND"
}

check_3() {
	eventually "FRIEND's tokens on 902" 42 token "$B" "$FRIEND"
	local status
	status=$(cast rpc interop_messageStatus "$MSG" --rpc-url "$A" | jq -r .status)
	[ "$status" = relayed ] || { echo "check failed: message $MSG is '$status', want relayed" >&2; return 1; }
}

check_4() {
	eventually "my tokens on 901" 900000000000000000000 token "$A" "$ME"
	eventually "FRIEND's tokens on 902" 100000000000000000042 token "$B" "$FRIEND"
}

check_5() {
	local safe fin chains
	chains=$(cast rpc interop_safety --rpc-url "$A" | jq length)
	safe=$(cast block safe --field number --rpc-url "$B")
	fin=$(cast block finalized --field number --rpc-url "$B")
	[ "$chains" = 2 ] || { echo "check failed: interop_safety lists $chains chains" >&2; return 1; }
	[ "$safe" -gt 0 ] && [ "$fin" -le "$safe" ] || { echo "check failed: safe $safe, finalized $fin" >&2; return 1; }
}

check_6() {
	eventually "FRIEND's tokens on 902 after the replacement" 100000000000000000043 token "$B" "$FRIEND"
	grep -q "Replacing denied block.*chain=902\|chain=902.*Replacing denied block" "$DEVNET_LOG" ||
		{ echo "check failed: 902 replaced no denied block" >&2; return 1; }
	grep -q "Sequenced deposits-only replacement block.*chain=902\|chain=902.*Sequenced deposits-only replacement block" "$DEVNET_LOG" ||
		{ echo "check failed: 902 sequenced no deposits-only replacement" >&2; return 1; }
}
