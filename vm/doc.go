// Package vm owns xgeth's native (Go) predeploys and the one switch that installs them into
// op-geth's EVM: Install sets the process-global vm.NativeContractHook of the patched op-geth
// (patches/0001). It serves CrossL2Inbox (0x…22), L2ToL2CrossDomainMessenger (0x…23),
// SuperchainETHBridge (0x…24) and ETHLiquidity (0x…25) under 0x42000000000000000000000000000000000000xx,
// and the devnet-only contracts registered beside them (Addresses lists them all).
//
// A native predeploy is served only on a chain whose xgeth extras enable it
// (params.ChainExtras.NativeInteropPredeploys, registered with params.RegisterChainExtras for
// the chain's ID) and only from the Lagoon (interop) fork on, at evm.Context.Time. Everywhere
// else the hook answers "nothing here" and the EVM runs whatever code is in state, so a
// standard OP chain is untouched.
//
// What it never does: it never warms an access-list slot or address, never checks that a
// message exists on its source chain (that is the job of the interop checker at pool
// admission, block building and import), and never runs in the Solidity predeploys' place on
// a chain that did not opt in. CrossL2Inbox never reads or writes storage and makes no nested
// calls; the messenger keeps its state in the reference contract's storage slots, and the
// messenger and the ETH bridge reach each other, CrossL2Inbox, ETHLiquidity and relay targets
// only through real nested calls (evm.Call), so every log, access-list check and revert is the
// EVM's own.
//
// # CrossL2Inbox
//
//	validateMessage((address,uint256,uint256,uint256,uint256),bytes32)  selector 0xab4d6f75
//	calculateChecksum((address,uint256,uint256,uint256,uint256),bytes32) selector 0x331b637f
//
// Input is strict: exactly 4+192 bytes, the address word zero-padded. validateMessage checks,
// in order (the reference contract's order for the shared steps): call kind is CALL (not
// DELEGATECALL, CALLCODE or STATICCALL: the executing-message log and the access-list slot
// must belong to the CrossL2Inbox address itself, which a delegated frame cannot promise),
// zero value, not inside a static context, well-formed input, blockNumber and timestamp below
// 2^64 and logIndex below 2^32 (BlockNumberTooHigh(), LogIndexTooHigh(), TimestampTooHigh(),
// checked in that order), not a deposit transaction (NoExecutingDeposits()), and the
// checksum slot of CrossL2Inbox warm in the transaction's access list (NotInAccessList()). It
// then emits ExecutingMessage(msgHash, identifier) from CrossL2Inbox and returns nothing.
//
// A deposit is recognised as the reference contract does: base fee > 0 and tx gas price 0.
// op-geth's vm.TxContext carries no deposit flag, and no user transaction can have a zero
// gas price while the base fee is positive. eth_call and eth_estimateGas without a gas price
// run with a zero base fee, so they are not mistaken for deposits.
//
// calculateChecksum is pure: any call kind, static context allowed, zero value required, the
// same range checks; it returns the 32-byte checksum.
//
// Reverts carry the reference contract's custom error selectors where it has one, and empty
// revert data otherwise (wrong kind, value, static context, malformed input, unknown selector).
//
// # Gas
//
// Each function costs a fixed amount, charged before anything else; a call with less gas
// fails with vm.ErrOutOfGas and consumes all its gas, a revert keeps the rest:
//
//	CalculateChecksumGas = 150   three keccak256 (52, 64, 64 bytes: 3 × (30 + 2×6) = 126)
//	                             plus argument decoding and range checks (24)
//	ValidateMessageGas   = 2655  CalculateChecksumGas
//	                             + 100  access-list lookup, priced as a warm SLOAD (EIP-2929)
//	                             + 2405 LOG2 with 160 bytes of data (375 + 2×375 + 8×160)
//
// Input that is shorter than a selector or has an unknown selector reverts without charging.
// The call that reaches CrossL2Inbox pays the EVM's usual costs on top (cold or warm account
// access, intrinsic gas for a top-level transaction).
//
// # L2ToL2CrossDomainMessenger
//
// ABI-compatible with the reference contract of message version 0 (@eth-optimism/viem 0.4.13):
// sendMessage, relayMessage, resendMessage, crossDomainMessageSender/Source/Context,
// messageNonce, messageVersion, successfulMessages, sentMessages, version
// ("1.0.0+xgeth.native"). relayMessage checks, in order: CALL outside a static context,
// well-formed calldata, not reentered (ReentrantCall()), id.origin is the messenger
// (IdOriginNotL2ToL2CrossDomainMessenger()), a nested CALL to CrossL2Inbox.validateMessage(id,
// keccak256(payload)) whose revert data bubbles, topic0 is SentMessage
// (EventPayloadNotSentMessage()), destination is this chain (MessageDestinationNotRelayChain()),
// not relayed before (MessageAlreadyRelayed()); it then marks the message relayed, exposes
// sender and source through transient storage while it CALLs the target with msg.value and all
// gas left, reverts with the target's revert data if the target fails (the relay can be
// retried), and emits RelayedMessage(source, nonce, hash, keccak256(returnData)). sendMessage
// refuses this chain (MessageDestinationSameChain()) and the messenger as target
// (MessageTargetL2ToL2CrossDomainMessenger()). Storage is the Solidity layout: slot 0
// successfulMessages, slot 1 the uint240 counter, slot 2 sentMessages.
//
// Gas (fixed, charged first; per word = 32-byte calldata words beyond the head):
//
//	SendMessageGas  = 30315 + 265/word (+17100 while the counter is zero)
//	ResendMessageGas = 5315 + 265/word
//	RelayMessageGas = 31363 + 18/word + 12/word of return data (+9000 with value,
//	                  +25000 more to an empty target); CrossL2Inbox and the target are
//	                  charged their own gas from what is passed on
//	getters: 400 (sender, source), 500 (context), 2300 (nonce), 2342 (mappings),
//	         200 (messageVersion), 300 (version)
//
// # SuperchainETHBridge and ETHLiquidity
//
// sendETH(to, chainId) payable: to ≠ 0 (ZeroAddress()), ETHLiquidity.burn{value}(), then
// messenger.sendMessage(chainId, bridge, relayETH(msg.sender, to, value)), SendETH; returns the
// message hash. relayETH(from, to, amount): only from the messenger relaying a message whose
// sender is the bridge (Unauthorized() otherwise, the sender read by a nested STATICCALL of
// crossDomainMessageContext), ETHLiquidity.mint(amount), a plain balance transfer to `to` (no
// code runs), RelayETH. ETHLiquidity.burn() payable and mint(uint256) answer only the bridge
// (Unauthorized()) and emit LiquidityBurned / LiquidityMinted. Gas: SendETHGas 16812,
// RelayETHGas 16912 (+25000 paying an empty account), BurnGas 1681, MintGas 10781.
package vm
