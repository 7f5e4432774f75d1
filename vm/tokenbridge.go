package vm

import (
	"github.com/ethereum/go-ethereum/common"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/params"
)

// The native SuperchainTokenBridge (0x…28): sendERC20 burns an ERC-7802 token on this chain
// and sends relayERC20 to itself on the destination through the L2ToL2CrossDomainMessenger;
// relayERC20, called by the messenger for a message the bridge sent, mints it there. Every
// token it touches is reached by nested calls, so it works with any ERC-7802 token, native
// or Solidity.

// TokenBridgeVersion is what the bridge's version() returns: the reference contract's
// semver, with build metadata naming the implementation.
const TokenBridgeVersion = "1.0.0-beta.5+xgeth.native"

// Fixed gas of the bridge's own work; each nested call (the token, the messenger) is paid
// from the gas left, which the bridge passes on whole. README.md explains the figures.
const (
	bridgeCallGas = gethparams.WarmStorageReadCostEIP2929 // dispatch, decoding, encoding
	// bridgeEventGas is LOG4 with two data words (SendERC20, RelayERC20).
	bridgeEventGas = gethparams.LogGas + 4*gethparams.LogTopicGas + 64*gethparams.LogDataGas

	// SendERC20Gas: STATICCALL supportsInterface (token cold), EXTCODESIZE and CALL
	// crosschainBurn (token warm), CALL sendMessage (messenger cold), the SendERC20 log.
	SendERC20Gas = bridgeCallGas + gethparams.ColdAccountAccessCostEIP2929 + 2*gethparams.WarmStorageReadCostEIP2929 +
		gethparams.ColdAccountAccessCostEIP2929 + bridgeEventGas
	// RelayERC20Gas: STATICCALL crossDomainMessageContext (the messenger, warm: it is the
	// caller), EXTCODESIZE (token cold) and CALL crosschainMint (warm), the RelayERC20 log.
	RelayERC20Gas = bridgeCallGas + gethparams.WarmStorageReadCostEIP2929 + gethparams.ColdAccountAccessCostEIP2929 +
		gethparams.WarmStorageReadCostEIP2929 + bridgeEventGas
	// TokenBridgeVersionGas is version().
	TokenBridgeVersionGas = bridgeCallGas
)

// Function selectors of the bridge.
var (
	SelectorSendERC20  = selector("sendERC20(address,address,uint256,uint256)")
	SelectorRelayERC20 = selector("relayERC20(address,address,address,uint256)")
)

// Revert data of the bridge (the reference contract's errors).
var (
	RevertInvalidERC7802           = selector("InvalidERC7802()")
	RevertInvalidCrossDomainSender = selector("InvalidCrossDomainSender()")
)

// Events of the bridge (topic 0).
var (
	TopicSendERC20  = crypto.Keccak256Hash([]byte("SendERC20(address,address,address,uint256,uint256)"))
	TopicRelayERC20 = crypto.Keccak256Hash([]byte("RelayERC20(address,address,address,uint256,uint256)"))
)

// Calls the bridge makes.
var (
	selectorSendMessageCall    = selector("sendMessage(uint256,address,bytes)")
	selectorMessageContextCall = selector("crossDomainMessageContext()")
)

var tokenBridgeMethods = map[uint32]predeployFunc{
	selUint(SelectorSendERC20):     {fixed: SendERC20Gas, access: accessWrite, run: sendERC20},
	selUint(SelectorRelayERC20):    {fixed: RelayERC20Gas, access: accessWrite, run: relayERC20},
	selUint(selector("version()")): {fixed: TokenBridgeVersionGas, access: accessPure, run: func(*frame) ([]byte, error) { return encString(TokenBridgeVersion), nil }},
}

// tokenBridgeContract is the native SuperchainTokenBridge. It has no storage. Its
// RequiredGas is its own fixed gas (nested calls not included).
var tokenBridgeContract = &predeployTable{name: "SuperchainTokenBridge", funcs: tokenBridgeMethods}

func init() { register(params.SuperchainTokenBridgeAddress, tokenBridgeContract, Active) }

// sendERC20(address token, address to, uint256 amount, uint256 chainId) returns (bytes32).
func sendERC20(f *frame) ([]byte, error) {
	tok, ok1 := f.address(0)
	to, ok2 := f.address(1)
	amount, ok3 := f.uint(2)
	dest, ok4 := f.uint(3)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return revertEmpty()
	}
	if to == (common.Address{}) {
		return revertSel(RevertZeroAddress)
	}
	ret, err := f.staticOut(tok, concat(SelectorSupportsInterface[:], InterfaceERC7802[:], make([]byte, 28)))
	if err != nil {
		return bubbleRevert(ret)
	}
	supported, ok := decodeBool(ret)
	if !ok {
		return revertEmpty()
	}
	if !supported {
		return revertSel(RevertInvalidERC7802)
	}
	from := f.call.Caller
	if !f.isCallable(tok) {
		return revertEmpty()
	}
	if ret, err := f.callOut(tok, concat(SelectorCrosschainBurn[:], encAddress(from), encUint(amount)), nil); err != nil {
		return bubbleRevert(ret)
	}
	relay := concat(SelectorRelayERC20[:], encAddress(tok), encAddress(from), encAddress(to), encUint(amount))
	send := concat(selectorSendMessageCall[:], encUint(dest), encAddress(f.call.Address), encUint64(96), encBytesTail(relay))
	ret, err = f.callOut(params.L2ToL2CrossDomainMessengerAddress, send, nil)
	if err != nil {
		return bubbleRevert(ret)
	}
	if len(ret) < 32 {
		return revertEmpty()
	}
	msgHash := common.BytesToHash(ret[:32])
	f.emit([]common.Hash{TopicSendERC20, addrWord(tok), addrWord(from), addrWord(to)}, concat(encUint(amount), encUint(dest)))
	return msgHash.Bytes(), nil
}

// relayERC20(address token, address from, address to, uint256 amount): only the messenger,
// relaying a message this bridge sent.
func relayERC20(f *frame) ([]byte, error) {
	tok, ok1 := f.address(0)
	from, ok2 := f.address(1)
	to, ok3 := f.address(2)
	amount, ok4 := f.uint(3)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return revertEmpty()
	}
	if f.call.Caller != params.L2ToL2CrossDomainMessengerAddress {
		return revertSel(RevertUnauthorized)
	}
	ret, err := f.staticOut(params.L2ToL2CrossDomainMessengerAddress, selectorMessageContextCall[:])
	if err != nil {
		return bubbleRevert(ret)
	}
	// abi.decode(ret, (address, uint256)): two words, the address zero-padded.
	if len(ret) < 64 || !allZero(ret[:12]) {
		return revertEmpty()
	}
	if common.BytesToAddress(ret[12:32]) != f.call.Address {
		return revertSel(RevertInvalidCrossDomainSender)
	}
	source := new(uint256.Int).SetBytes32(ret[32:64])
	if !f.isCallable(tok) {
		return revertEmpty()
	}
	if ret, err := f.callOut(tok, concat(SelectorCrosschainMint[:], encAddress(to), encUint(amount)), nil); err != nil {
		return bubbleRevert(ret)
	}
	f.emit([]common.Hash{TopicRelayERC20, addrWord(tok), addrWord(from), addrWord(to)}, concat(encUint(amount), encUint(source)))
	return nil, nil
}

// isCallable is the check Solidity makes before a call that expects no return data:
// code at the address (EXTCODESIZE > 0), or a native contract served there.
func (f *frame) isCallable(a common.Address) bool {
	return f.evm.StateDB.GetCodeSize(a) > 0 || lookup(f.evm, a) != nil
}

// bubbleRevert passes a nested call's failure on, as a Solidity high-level call does: its
// revert data (none after an exceptional halt) as this frame's revert.
func bubbleRevert(ret []byte) ([]byte, error) {
	return append([]byte(nil), ret...), gethvm.ErrExecutionReverted
}

// decodeBool is abi.decode(ret, (bool)): at least one word, and that word 0 or 1.
func decodeBool(ret []byte) (value, ok bool) {
	if len(ret) < 32 || !allZero(ret[:31]) || ret[31] > 1 {
		return false, false
	}
	return ret[31] == 1, true
}

func addrWord(a common.Address) common.Hash { return common.BytesToHash(a[:]) }

func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
