package vm

import (
	"encoding/binary"
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/params"
)

// DevnetCheats is the native contract behind a devnet's anvil_setCode, anvil_setBalance,
// anvil_setNonce and anvil_setStorageAt: it rewrites an account when a deposit transaction
// from the devnet system address calls it. Carrying such a change in a transaction of the
// chain (instead of writing state behind the chain's back) keeps every block
// re-executable: a restart, or another node importing the blocks with the same chain
// extras, gets the same state root. It is served only on chains whose extras set
// params.ChainExtras.DevnetCheats, which is for devnets only.
var (
	// DevnetCheatsAddress is where the contract is served. It lies outside the OP Stack
	// predeploy namespace (0x4200…0000 to 0x4200…07ff, proxied in OP genesis files), so no
	// current or future predeploy can be shadowed by it.
	DevnetCheatsAddress = common.HexToAddress("0x420000000000000000000000000000000000dE01")

	// DevnetCheatsCaller is the devnet system address: the only sender the contract obeys,
	// and only from a deposit transaction. Nobody holds its key; on a devnet (no L1) only
	// the sequencer makes deposits. It differs from the L1-attributes depositor
	// (0xDeaD…0001), so the two kinds of system deposit never share a nonce sequence.
	DevnetCheatsCaller = common.HexToAddress("0xdeaddeaddeaddeaddeaddeaddeaddeaddeadc4ea")
)

// Function selectors of DevnetCheats (Solidity ABI; calldata is abi.encodeWithSelector).
var (
	SelectorSetCode      = selector("setCode(address,bytes)")
	SelectorSetBalance   = selector("setBalance(address,uint256)")
	SelectorSetNonce     = selector("setNonce(address,uint64)")
	SelectorSetStorageAt = selector("setStorageAt(address,bytes32,bytes32)")

	// RevertNotDevnetSystemDeposit is the revert data of a call that is not a deposit from
	// DevnetCheatsCaller.
	RevertNotDevnetSystemDeposit = selector("NotDevnetSystemDeposit()")
	// RevertEmptyAccount refuses setStorageAt on an account without code, nonce or balance:
	// EIP-161 would delete the account, and the slot with it, at the end of the transaction.
	RevertEmptyAccount = selector("EmptyAccount()")
	// RevertCodeTooLarge refuses code longer than MaxDevnetCheatCodeSize.
	RevertCodeTooLarge = selector("CodeTooLarge()")
)

// Gas of DevnetCheats, fixed per operation and charged before anything else. The figures
// follow the EVM's prices for the same kinds of write, so a cheat weighs on its block like
// the transaction that would have made the change:
//
//	SetBalanceGas   = 7600    cold account access (2600) + an account field rewrite priced
//	SetNonceGas     = 7600    as an SSTORE reset (5000)
//	SetStorageAtGas = 24700   cold account access (2600) + cold SLOAD (2100) + SSTORE set (20000)
//	SetCodeGas(n)   = 22600 + 200·n   cold account access (2600) + code hash write (20000)
//	                                  + the code deposit cost (200 per byte, as for CREATE)
const (
	coldAccountGas  uint64 = 2600
	accountWriteGas uint64 = 5000

	SetBalanceGas     uint64 = coldAccountGas + accountWriteGas
	SetNonceGas       uint64 = coldAccountGas + accountWriteGas
	SetStorageAtGas   uint64 = coldAccountGas + 2100 + 20000
	SetCodeBaseGas    uint64 = coldAccountGas + 20000
	SetCodePerByteGas uint64 = gethparams.CreateDataGas

	// MaxDevnetCheatCodeSize caps setCode at twice EIP-170's limit on deployed code (the
	// EIP-3860 init-code limit): larger than anything CREATE makes, so tests of oversized
	// contracts work, while a cheat's deposit stays under 11M gas, well inside a block.
	MaxDevnetCheatCodeSize = 2 * gethparams.MaxCodeSize
)

// Input sizes of the fixed-size functions, selector included.
const (
	setWordInputSize    = 4 + 2*32 // (address, uint) functions
	setStorageInputSize = 4 + 3*32
)

var (
	selectorSetCode      = binary.BigEndian.Uint32(SelectorSetCode[:])
	selectorSetBalance   = binary.BigEndian.Uint32(SelectorSetBalance[:])
	selectorSetNonce     = binary.BigEndian.Uint32(SelectorSetNonce[:])
	selectorSetStorageAt = binary.BigEndian.Uint32(SelectorSetStorageAt[:])

	errCheatsNeedEVM = errors.New("DevnetCheats is a native contract: it runs only through RunNative")
)

func init() { register(DevnetCheatsAddress, devnetCheats{}, DevnetCheatsActive) }

// DevnetCheatsActive reports whether DevnetCheats serves chain cfg: its extras enable it.
// It does not depend on a fork: a devnet enables it from genesis or not at all.
func DevnetCheatsActive(cfg *gethparams.ChainConfig, _ uint64) bool {
	return cfg != nil && params.ChainExtrasOf(cfg).DevnetCheats
}

// devnetCheats is the native DevnetCheats. It is stateless; one value serves every EVM.
type devnetCheats struct{}

var _ gethvm.NativeContract = devnetCheats{}

func (devnetCheats) Name() string { return "DevnetCheats" }

// RequiredGas is the gas of the call input selects (0 for no known function). For setCode
// it is the base plus the per-byte cost of the code's declared length; malformed setCode
// input costs the base alone.
func (devnetCheats) RequiredGas(input []byte) uint64 {
	switch selectorOf(input) {
	case selectorSetCode:
		n, ok := setCodeLength(input)
		if !ok || n > MaxDevnetCheatCodeSize {
			return SetCodeBaseGas
		}
		return SetCodeBaseGas + SetCodePerByteGas*uint64(n)
	case selectorSetBalance:
		return SetBalanceGas
	case selectorSetNonce:
		return SetNonceGas
	case selectorSetStorageAt:
		return SetStorageAtGas
	}
	return 0
}

// Run is never called by the patched EVM; without the EVM there is no state to change.
func (devnetCheats) Run([]byte) ([]byte, error) { return nil, errCheatsNeedEVM }

// RunNative executes one call. Order: unknown selector → empty revert, uncharged; the
// fixed cost (ErrOutOfGas below it); a plain CALL with zero value outside any static
// context, else empty revert; a deposit transaction sent by DevnetCheatsCaller calling
// directly, else NotDevnetSystemDeposit(); strict input, else empty revert; then the change.
func (c devnetCheats) RunNative(evm *gethvm.EVM, call *gethvm.NativeCall) ([]byte, uint64, error) {
	var apply func(*frame) ([]byte, error)
	switch selectorOf(call.Input) {
	case selectorSetCode:
		apply = cheatSetCode
	case selectorSetBalance:
		apply = cheatSetBalance
	case selectorSetNonce:
		apply = cheatSetNonce
	case selectorSetStorageAt:
		apply = cheatSetStorageAt
	default:
		return nil, call.Gas, gethvm.ErrExecutionReverted
	}
	return runFixed(evm, call, c.RequiredGas(call.Input), func(f *frame) ([]byte, error) {
		if !f.writable() || !f.value().IsZero() {
			return nil, gethvm.ErrExecutionReverted
		}
		if !isDeposit(evm) || call.Caller != DevnetCheatsCaller || evm.Origin != DevnetCheatsCaller {
			return revertWith(RevertNotDevnetSystemDeposit), gethvm.ErrExecutionReverted
		}
		return apply(f)
	})
}

// setCodeLength reads the declared code length of setCode input, if the input is the
// canonical encoding: (address, offset 0x40, length, data padded to 32 bytes), nothing more.
func setCodeLength(input []byte) (int, bool) {
	args := input[4:]
	if len(args) < 3*32 {
		return 0, false
	}
	off, ok := smallWord(args[32:64])
	if !ok || off != 64 {
		return 0, false
	}
	n, ok := smallWord(args[64:96])
	if !ok || n > uint64(len(args)) || uint64(len(args)) != 96+(n+31)/32*32 {
		return 0, false
	}
	return int(n), true
}

func cheatSetCode(f *frame) ([]byte, error) {
	addr, ok := f.address(0)
	if !ok {
		return nil, gethvm.ErrExecutionReverted
	}
	n, ok := setCodeLength(f.call.Input)
	if !ok || !allZero(f.args[96+n:]) {
		return nil, gethvm.ErrExecutionReverted
	}
	if n > MaxDevnetCheatCodeSize {
		return revertWith(RevertCodeTooLarge), gethvm.ErrExecutionReverted
	}
	code := common.CopyBytes(f.args[96 : 96+n])
	f.evm.StateDB.SetCode(addr, code, tracing.CodeChangeUnspecified)
	return nil, nil
}

func cheatSetBalance(f *frame) ([]byte, error) {
	addr, amount, ok := addressAndWord(f)
	if !ok {
		return nil, gethvm.ErrExecutionReverted
	}
	// The StateDB has no SetBalance for the EVM: move the balance by the difference. No
	// tracing reason names a forced change; tracers see an unspecified balance change.
	db := f.evm.StateDB
	cur := db.GetBalance(addr)
	switch cur.Cmp(amount) {
	case -1:
		db.AddBalance(addr, new(uint256.Int).Sub(amount, cur), tracing.BalanceChangeUnspecified)
	case 1:
		db.SubBalance(addr, new(uint256.Int).Sub(cur, amount), tracing.BalanceChangeUnspecified)
	default:
		db.AddBalance(addr, new(uint256.Int), tracing.BalanceChangeTouchAccount)
	}
	return nil, nil
}

func cheatSetNonce(f *frame) ([]byte, error) {
	addr, nonce, ok := addressAndWord(f)
	if !ok || !nonce.IsUint64() {
		return nil, gethvm.ErrExecutionReverted
	}
	f.evm.StateDB.SetNonce(addr, nonce.Uint64(), tracing.NonceChangeUnspecified)
	return nil, nil
}

func cheatSetStorageAt(f *frame) ([]byte, error) {
	if len(f.call.Input) != setStorageInputSize {
		return nil, gethvm.ErrExecutionReverted
	}
	addr, ok := f.address(0)
	if !ok {
		return nil, gethvm.ErrExecutionReverted
	}
	slot, _ := f.hash(1)
	value, _ := f.hash(2)
	if f.evm.StateDB.Empty(addr) {
		return revertWith(RevertEmptyAccount), gethvm.ErrExecutionReverted
	}
	f.evm.StateDB.SetState(addr, slot, value)
	return nil, nil
}

// addressAndWord decodes exactly (address, uint256).
func addressAndWord(f *frame) (common.Address, *uint256.Int, bool) {
	if len(f.call.Input) != setWordInputSize {
		return common.Address{}, nil, false
	}
	addr, ok := f.address(0)
	if !ok {
		return common.Address{}, nil, false
	}
	w, _ := f.uint(1)
	return addr, w, true
}

// Calldata encoders for the sequencer that makes the deposits.

// EncodeSetCode is the calldata of setCode(addr, code).
func EncodeSetCode(addr common.Address, code []byte) []byte {
	out := append(SelectorSetCode[:], encAddress(addr)...)
	out = append(out, encUint64(64)...)
	return append(out, encBytesTail(code)...)
}

// EncodeSetBalance is the calldata of setBalance(addr, amount).
func EncodeSetBalance(addr common.Address, amount *uint256.Int) []byte {
	return append(append(SelectorSetBalance[:], encAddress(addr)...), encUint(amount)...)
}

// EncodeSetNonce is the calldata of setNonce(addr, nonce).
func EncodeSetNonce(addr common.Address, nonce uint64) []byte {
	return append(append(SelectorSetNonce[:], encAddress(addr)...), encUint64(nonce)...)
}

// EncodeSetStorageAt is the calldata of setStorageAt(addr, slot, value).
func EncodeSetStorageAt(addr common.Address, slot, value common.Hash) []byte {
	out := append(SelectorSetStorageAt[:], encAddress(addr)...)
	out = append(out, slot[:]...)
	return append(out, value[:]...)
}

// DevnetCheatGas is the gas DevnetCheats charges for the call with this input (0 for an
// unknown function), for a caller sizing the deposit that carries it.
func DevnetCheatGas(input []byte) uint64 { return devnetCheats{}.RequiredGas(input) }
