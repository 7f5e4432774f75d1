// Package vm owns xgeth's native (Go) predeploys and the one switch that installs them into
// op-geth's EVM: Install sets the process-global vm.NativeContractHook of the patched op-geth
// (patches/0001). Today it serves CrossL2Inbox at 0x4200000000000000000000000000000000000022.
//
// A native predeploy is served only on a chain whose xgeth extras enable it
// (params.ChainExtras.NativeInteropPredeploys, registered with params.RegisterChainExtras for
// the chain's ID) and only from the Lagoon (interop) fork on, at evm.Context.Time. Everywhere
// else the hook answers "nothing here" and the EVM runs whatever code is in state, so a
// standard OP chain is untouched.
//
// What it never does: it never reads or writes storage, never warms an access-list slot or
// address, never makes nested calls, never checks that a message exists on its source chain
// (that is the job of the interop checker at pool admission, block building and import), and
// never runs in the Solidity predeploys' place on a chain that did not opt in.
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
package vm
