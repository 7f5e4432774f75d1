// Package params holds xgeth's interop constants and the chain-level switches xgeth adds on
// top of op-geth's params.ChainConfig. It has no dependencies on node internals.
package params

import "github.com/ethereum/go-ethereum/common"

// L2 predeploy addresses used by interop (OP Stack interop spec, predeploys.md).
var (
	CrossL2InboxAddress               = common.HexToAddress("0x4200000000000000000000000000000000000022")
	L2ToL2CrossDomainMessengerAddress = common.HexToAddress("0x4200000000000000000000000000000000000023")
	SuperchainETHBridgeAddress        = common.HexToAddress("0x4200000000000000000000000000000000000024")
	ETHLiquidityAddress               = common.HexToAddress("0x4200000000000000000000000000000000000025")
	SuperchainTokenBridgeAddress      = common.HexToAddress("0x4200000000000000000000000000000000000028")

	// TestTokenAddress is the devnet's SuperchainERC20 test token ("L2NativeSuperchainERC20",
	// MOCK), at the address supersim uses on every chain.
	TestTokenAddress = common.HexToAddress("0x420beeF000000000000000000000000000000001")
)

const (
	// MessageExpiryWindow is how long (seconds) an initiating message may be executed after
	// the timestamp of the block that emitted it.
	MessageExpiryWindow uint64 = 604800

	// SystemTxGasMargin is the block gas the pool keeps free for system transactions when it
	// admits interop transactions (the spec's figure; op-geth and op-reth use 70,000).
	SystemTxGasMargin uint64 = 100_000
)
