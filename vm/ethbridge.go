package vm

import (
	"github.com/ethereum/go-ethereum/common"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/params"
)

// The native SuperchainETHBridge (0x…24) and ETHLiquidity (0x…25). Bridged ETH is never
// created: sendETH moves it into ETHLiquidity on the source chain, relayETH takes it out of
// ETHLiquidity on the destination, whose genesis holds type(uint248).max wei for it.

// Fixed gas of the bridge and ETHLiquidity functions (see the README's table). Nested calls
// (ETHLiquidity, the messenger) are charged their own figures from the gas passed on.
const (
	bridgeOverheadGas uint64 = 500
	// ethEventLogGas is LOG3 with two words of data (SendETH, RelayETH).
	ethEventLogGas = gethparams.LogGas + 3*gethparams.LogTopicGas + 64*gethparams.LogDataGas
	// liquidityLogGas is LOG2 with one word of data (LiquidityBurned, LiquidityMinted).
	liquidityLogGas = gethparams.LogGas + 2*gethparams.LogTopicGas + 32*gethparams.LogDataGas
	// liquidityOverheadGas stands for solc's dispatch and checks in ETHLiquidity.
	liquidityOverheadGas uint64 = 300

	// SendETHGas: the CALL to ETHLiquidity.burn with value (EXTCODESIZE cold, CALL warm,
	// value transfer), the CALL to the messenger (cold) and the SendETH log.
	SendETHGas = bridgeOverheadGas +
		gethparams.ColdAccountAccessCostEIP2929 + gethparams.WarmStorageReadCostEIP2929 + gethparams.CallValueTransferGas +
		gethparams.ColdAccountAccessCostEIP2929 + ethEventLogGas
	// RelayETHGas: the STATICCALL to the messenger (warm: it is the caller), the CALL to
	// ETHLiquidity.mint (EXTCODESIZE cold, CALL warm), paying the recipient (cold account,
	// value transfer) and the RelayETH log. Paying an empty account with a non-zero amount
	// adds gethparams.CallNewAccountGas, as a CALL with value would.
	RelayETHGas = bridgeOverheadGas + gethparams.WarmStorageReadCostEIP2929 +
		gethparams.ColdAccountAccessCostEIP2929 + gethparams.WarmStorageReadCostEIP2929 +
		gethparams.ColdAccountAccessCostEIP2929 + gethparams.CallValueTransferGas + ethEventLogGas
	// BurnGas: the LiquidityBurned log (the value arrived with the call).
	BurnGas = liquidityOverheadGas + liquidityLogGas
	// MintGas: paying the caller (warm, value transfer) and the LiquidityMinted log.
	MintGas = liquidityOverheadGas + gethparams.WarmStorageReadCostEIP2929 + gethparams.CallValueTransferGas + liquidityLogGas
)

// Selectors of the bridge and ETHLiquidity.
var (
	SelectorSendETH       = selector("sendETH(address,uint256)")
	SelectorRelayETH      = selector("relayETH(address,address,uint256)")
	SelectorLiquidityBurn = selector("burn()")
	SelectorLiquidityMint = selector("mint(uint256)")
)

// Event topics of the bridge and ETHLiquidity.
var (
	SendETHTopic         = crypto.Keccak256Hash([]byte("SendETH(address,address,uint256,uint256)"))
	RelayETHTopic        = crypto.Keccak256Hash([]byte("RelayETH(address,address,uint256,uint256)"))
	LiquidityBurnedTopic = crypto.Keccak256Hash([]byte("LiquidityBurned(address,uint256)"))
	LiquidityMintedTopic = crypto.Keccak256Hash([]byte("LiquidityMinted(address,uint256)"))
)

// Revert data of the bridge and ETHLiquidity.
var (
	revertUnauthorized = selector("Unauthorized()")
	revertZeroAddress  = selector("ZeroAddress()")
)

// EncodeSendETH is the calldata of sendETH(to, chainID).
func EncodeSendETH(to common.Address, chainID *uint256.Int) []byte {
	return append(append(append([]byte(nil), SelectorSendETH[:]...), encAddress(to)...), encUint(chainID)...)
}

// EncodeRelayETH is the calldata of relayETH(from, to, amount): the message sendETH sends.
func EncodeRelayETH(from, to common.Address, amount *uint256.Int) []byte {
	out := append([]byte(nil), SelectorRelayETH[:]...)
	out = append(out, encAddress(from)...)
	out = append(out, encAddress(to)...)
	return append(out, encUint(amount)...)
}

var ethBridgeContract = &predeployTable{name: "SuperchainETHBridge", funcs: map[uint32]predeployFunc{
	sel32(SelectorSendETH):       {fixed: SendETHGas, run: bridgeSendETH},
	sel32(SelectorRelayETH):      {gas: relayETHGas, run: bridgeRelayETH},
	sel32(selectorVersionGetter): {fixed: VersionGas, run: versionGetter},
}}

var ethLiquidityContract = &predeployTable{name: "ETHLiquidity", funcs: map[uint32]predeployFunc{
	sel32(SelectorLiquidityBurn): {fixed: BurnGas, run: liquidityBurn},
	sel32(SelectorLiquidityMint): {fixed: MintGas, run: liquidityMint},
	sel32(selectorVersionGetter): {fixed: VersionGas, run: versionGetter},
}}

func init() {
	register(params.SuperchainETHBridgeAddress, ethBridgeContract, Active)
	register(params.ETHLiquidityAddress, ethLiquidityContract, Active)
}

func relayETHGas(evm *gethvm.EVM, call *gethvm.NativeCall) uint64 {
	cost := RelayETHGas
	if evm == nil || len(call.Input) < 4+3*32 {
		return cost
	}
	to := common.BytesToAddress(call.Input[4+32+12 : 4+64])
	if !allZero(call.Input[4+64:4+96]) && evm.StateDB.Empty(to) {
		cost += gethparams.CallNewAccountGas
	}
	return cost
}

// bridgeSendETH is sendETH(address to, uint256 chainId) payable returns (bytes32).
func bridgeSendETH(f *frame) ([]byte, error) {
	if !f.writable() || !f.minArgs(2) {
		return nil, gethvm.ErrExecutionReverted
	}
	to, ok := f.address(0)
	chainID, _ := f.uint(1)
	if !ok {
		return nil, gethvm.ErrExecutionReverted
	}
	if to == (common.Address{}) {
		return failWith(revertZeroAddress)
	}
	value := new(uint256.Int).Set(f.value())
	if ret, err := f.callOut(params.ETHLiquidityAddress, SelectorLiquidityBurn[:], value); err != nil {
		return bubble(ret)
	}
	send := EncodeSendMessage(chainID, params.SuperchainETHBridgeAddress, EncodeRelayETH(f.call.Caller, to, value))
	hash, err := f.callOut(params.L2ToL2CrossDomainMessengerAddress, send, nil)
	if err != nil {
		return bubble(hash)
	}
	if len(hash) != 32 {
		return nil, gethvm.ErrExecutionReverted
	}
	f.emit([]common.Hash{SendETHTopic, common.BytesToHash(f.call.Caller[:]), common.BytesToHash(to[:])},
		append(encUint(value), encUint(chainID)...))
	return hash, nil
}

// bridgeRelayETH is relayETH(address from, address to, uint256 amount): only the messenger, relaying a
// message this bridge sent.
func bridgeRelayETH(f *frame) ([]byte, error) {
	if !f.writable() || !f.value().IsZero() || !f.minArgs(3) {
		return nil, gethvm.ErrExecutionReverted
	}
	from, ok1 := f.address(0)
	to, ok2 := f.address(1)
	amount, _ := f.uint(2)
	if !ok1 || !ok2 {
		return nil, gethvm.ErrExecutionReverted
	}
	if f.call.Caller != params.L2ToL2CrossDomainMessengerAddress {
		return failWith(revertUnauthorized)
	}
	ctx, err := f.staticOut(params.L2ToL2CrossDomainMessengerAddress, SelectorCrossDomainMessageContext[:])
	if err != nil {
		return bubble(ctx)
	}
	if len(ctx) != 64 {
		return nil, gethvm.ErrExecutionReverted
	}
	if common.BytesToAddress(ctx[:32]) != params.SuperchainETHBridgeAddress || !allZero(ctx[:12]) {
		return failWith(revertUnauthorized)
	}
	if ret, err := f.callOut(params.ETHLiquidityAddress, EncodeLiquidityMint(amount), nil); err != nil {
		return bubble(ret)
	}
	if !amount.IsZero() && !f.payOut(to, amount) {
		return nil, gethvm.ErrExecutionReverted
	}
	f.emit([]common.Hash{RelayETHTopic, common.BytesToHash(from[:]), common.BytesToHash(to[:])},
		append(encUint(amount), ctx[32:64]...))
	return nil, nil
}

// EncodeLiquidityMint is the calldata of ETHLiquidity.mint(amount).
func EncodeLiquidityMint(amount *uint256.Int) []byte {
	return append(append([]byte(nil), SelectorLiquidityMint[:]...), encUint(amount)...)
}

// liquidityBurn is burn() payable: only the bridge; the value stays in ETHLiquidity.
func liquidityBurn(f *frame) ([]byte, error) {
	if !f.writable() {
		return nil, gethvm.ErrExecutionReverted
	}
	if f.call.Caller != params.SuperchainETHBridgeAddress {
		return failWith(revertUnauthorized)
	}
	f.emit([]common.Hash{LiquidityBurnedTopic, common.BytesToHash(f.call.Caller[:])}, encUint(f.value()))
	return nil, nil
}

// liquidityMint is mint(uint256 amount): only the bridge; pays it amount without calling it.
func liquidityMint(f *frame) ([]byte, error) {
	if !f.writable() || !f.value().IsZero() || !f.minArgs(1) {
		return nil, gethvm.ErrExecutionReverted
	}
	amount, _ := f.uint(0)
	if f.call.Caller != params.SuperchainETHBridgeAddress {
		return failWith(revertUnauthorized)
	}
	if !f.payOut(f.call.Caller, amount) {
		return nil, gethvm.ErrExecutionReverted
	}
	f.emit([]common.Hash{LiquidityMintedTopic, common.BytesToHash(f.call.Caller[:])}, encUint(amount))
	return nil, nil
}
