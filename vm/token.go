package vm

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/params"
)

// The devnet's SuperchainERC20 test token at params.TestTokenAddress: supersim's
// L2NativeSuperchainERC20 ("MOCK", 18 decimals) on the semantics of the Solady ERC20 the
// Solidity token builds on, with open mint/burn and ERC-7802 crosschainMint/crosschainBurn
// reserved to the SuperchainTokenBridge.

// Token metadata.
const (
	TokenName     = "L2NativeSuperchainERC20"
	TokenSymbol   = "MOCK"
	TokenDecimals = 18
	TokenVersion  = "1.0.1" // SuperchainERC20's semver
)

// EVM prices the token's gas constants are made of (EIP-2929/EIP-2200 storage, LOGn,
// KECCAK256). Each function is priced for its worst case: every slot cold, every write that
// can create a value priced as a zero to non-zero SSTORE.
const (
	slotReadGas   = gethparams.ColdSloadCostEIP2929                                         // 2100
	slotCreateGas = gethparams.ColdSloadCostEIP2929 + gethparams.SstoreSetGasEIP2200        // 22100: cold read, then 0 → x
	slotUpdateGas = gethparams.SstoreResetGasEIP2200                                        // 5000: cold read (2100), then x → y (2900)
	ownerKeyGas   = gethparams.Keccak256Gas + 1*gethparams.Keccak256WordGas                 // 36: keccak of the 32-byte balance key
	pairKeyGas    = gethparams.Keccak256Gas + 2*gethparams.Keccak256WordGas                 // 42: keccak of the 52-byte allowance key
	log3WordGas   = gethparams.LogGas + 3*gethparams.LogTopicGas + 32*gethparams.LogDataGas // 1756
	log2WordGas   = gethparams.LogGas + 2*gethparams.LogTopicGas + 32*gethparams.LogDataGas // 1381
	tokenCallGas  = gethparams.WarmStorageReadCostEIP2929                                   // 100: dispatch, decoding, result encoding
)

// Fixed gas of the token's functions; README.md explains each figure.
const (
	TokenPureGas           = tokenCallGas // name, symbol, decimals, version, supportsInterface
	TokenTotalSupplyGas    = tokenCallGas + slotReadGas
	TokenBalanceOfGas      = tokenCallGas + ownerKeyGas + slotReadGas
	TokenAllowanceGas      = tokenCallGas + pairKeyGas + slotReadGas
	TokenTransferGas       = tokenCallGas + 2*ownerKeyGas + slotUpdateGas + slotCreateGas + log3WordGas
	TokenTransferFromGas   = TokenTransferGas + pairKeyGas + slotUpdateGas
	TokenApproveGas        = tokenCallGas + pairKeyGas + slotCreateGas + log3WordGas
	TokenMintGas           = tokenCallGas + ownerKeyGas + 2*slotCreateGas + log3WordGas + log2WordGas
	TokenBurnGas           = tokenCallGas + ownerKeyGas + 2*slotUpdateGas + log3WordGas + log2WordGas
	TokenCrosschainMintGas = tokenCallGas + ownerKeyGas + 2*slotCreateGas + 2*log3WordGas
	TokenCrosschainBurnGas = tokenCallGas + ownerKeyGas + 2*slotUpdateGas + 2*log3WordGas
)

// Storage layout: Solady ERC20's, so that the slots are those of the Solidity token this
// contract stands in for (tools that compute Solady slots, state copied between the two).
var (
	// TokenTotalSupplySlot holds totalSupply().
	TokenTotalSupplySlot = common.HexToHash("0x05345cdf77eb68f44c")

	balanceSeed   = [4]byte{0x87, 0xa2, 0x11, 0xa2}
	allowanceSeed = [4]byte{0x7f, 0x5e, 0x9f, 0x20}
)

// TokenBalanceSlot is the slot of balanceOf(owner): keccak256(owner ‖ 8 zero bytes ‖ 0x87a211a2).
func TokenBalanceSlot(owner common.Address) common.Hash {
	var key [32]byte
	copy(key[:20], owner[:])
	copy(key[28:], balanceSeed[:])
	return crypto.Keccak256Hash(key[:])
}

// TokenAllowanceSlot is the slot of allowance(owner, spender):
// keccak256(owner ‖ 8 zero bytes ‖ 0x7f5e9f20 ‖ spender).
func TokenAllowanceSlot(owner, spender common.Address) common.Hash {
	var key [52]byte
	copy(key[:20], owner[:])
	copy(key[28:32], allowanceSeed[:])
	copy(key[32:], spender[:])
	return crypto.Keccak256Hash(key[:])
}

// Function selectors of the token.
var (
	SelectorName              = selector("name()")
	SelectorSymbol            = selector("symbol()")
	SelectorDecimals          = selector("decimals()")
	SelectorTotalSupply       = selector("totalSupply()")
	SelectorBalanceOf         = selector("balanceOf(address)")
	SelectorAllowance         = selector("allowance(address,address)")
	SelectorTransfer          = selector("transfer(address,uint256)")
	SelectorTransferFrom      = selector("transferFrom(address,address,uint256)")
	SelectorApprove           = selector("approve(address,uint256)")
	SelectorMint              = selector("mint(address,uint256)")
	SelectorBurn              = selector("burn(address,uint256)")
	SelectorCrosschainMint    = selector("crosschainMint(address,uint256)")
	SelectorCrosschainBurn    = selector("crosschainBurn(address,uint256)")
	SelectorSupportsInterface = selector("supportsInterface(bytes4)")
)

// Interface IDs the token reports through supportsInterface.
var (
	InterfaceERC165  = [4]byte{0x01, 0xff, 0xc9, 0xa7}
	InterfaceERC7802 = [4]byte{0x33, 0x33, 0x19, 0x94}
	InterfaceERC20   = [4]byte{0x36, 0x37, 0x2b, 0x07}
)

// Revert data of the token: Solady ERC20's and the OP contracts' custom errors.
var (
	RevertInsufficientBalance   = selector("InsufficientBalance()")
	RevertInsufficientAllowance = selector("InsufficientAllowance()")
	RevertTotalSupplyOverflow   = selector("TotalSupplyOverflow()")
	RevertZeroAddress           = selector("ZeroAddress()")
	RevertUnauthorized          = selector("Unauthorized()")
)

// Events of the token (topic 0).
var (
	TopicTransfer       = crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))
	TopicApproval       = crypto.Keccak256Hash([]byte("Approval(address,address,uint256)"))
	TopicMint           = crypto.Keccak256Hash([]byte("Mint(address,uint256)"))
	TopicBurn           = crypto.Keccak256Hash([]byte("Burn(address,uint256)"))
	TopicCrosschainMint = crypto.Keccak256Hash([]byte("CrosschainMint(address,uint256,address)"))
	TopicCrosschainBurn = crypto.Keccak256Hash([]byte("CrosschainBurn(address,uint256,address)"))
)

// panicOverflow is Solidity's Panic(0x11), for arithmetic the token's invariants exclude
// (a balance above the total supply can only come from storage written outside the token).
var panicOverflow = revertData([4]byte{0x4e, 0x48, 0x7b, 0x71}, encUint64(0x11))

var tokenMethods = map[uint32]predeployFunc{
	selUint(SelectorName):              {fixed: TokenPureGas, access: accessPure, run: func(*frame) ([]byte, error) { return encString(TokenName), nil }},
	selUint(SelectorSymbol):            {fixed: TokenPureGas, access: accessPure, run: func(*frame) ([]byte, error) { return encString(TokenSymbol), nil }},
	selUint(SelectorDecimals):          {fixed: TokenPureGas, access: accessPure, run: func(*frame) ([]byte, error) { return encUint64(TokenDecimals), nil }},
	selUint(selector("version()")):     {fixed: TokenPureGas, access: accessPure, run: func(*frame) ([]byte, error) { return encString(TokenVersion), nil }},
	selUint(SelectorSupportsInterface): {fixed: TokenPureGas, access: accessPure, run: tokenSupportsInterface},
	selUint(SelectorTotalSupply):       {fixed: TokenTotalSupplyGas, access: accessView, run: tokenTotalSupply},
	selUint(SelectorBalanceOf):         {fixed: TokenBalanceOfGas, access: accessView, run: tokenBalanceOf},
	selUint(SelectorAllowance):         {fixed: TokenAllowanceGas, access: accessView, run: tokenAllowance},
	selUint(SelectorTransfer):          {fixed: TokenTransferGas, access: accessWrite, run: tokenTransfer},
	selUint(SelectorTransferFrom):      {fixed: TokenTransferFromGas, access: accessWrite, run: tokenTransferFrom},
	selUint(SelectorApprove):           {fixed: TokenApproveGas, access: accessWrite, run: tokenApprove},
	selUint(SelectorMint):              {fixed: TokenMintGas, access: accessWrite, run: tokenMint},
	selUint(SelectorBurn):              {fixed: TokenBurnGas, access: accessWrite, run: tokenBurn},
	selUint(SelectorCrosschainMint):    {fixed: TokenCrosschainMintGas, access: accessWrite, run: tokenCrosschainMint},
	selUint(SelectorCrosschainBurn):    {fixed: TokenCrosschainBurnGas, access: accessWrite, run: tokenCrosschainBurn},
}

func selUint(s [4]byte) uint32 { return binary.BigEndian.Uint32(s[:]) }

// keepAccount gives the contract's account nonce 1 before its first write if the account
// is empty: EIP-161 deletes empty touched accounts with their storage at the end of the
// transaction. A deployed Solidity contract has code and nonce 1; a genesis normally gives
// the address code anyway.
func (f *frame) keepAccount() {
	if f.evm.StateDB.Empty(f.call.Address) {
		f.evm.StateDB.SetNonce(f.call.Address, 1, tracing.NonceChangeUnspecified)
	}
}

func revertSel(sel [4]byte) ([]byte, error) { return revertWith(sel), gethvm.ErrExecutionReverted }

func revertEmpty() ([]byte, error) { return nil, gethvm.ErrExecutionReverted }

// testTokenContract is the native test token. It is stateless; one value serves every EVM.
var testTokenContract = &predeployTable{name: TokenName, funcs: tokenMethods}

func init() { register(params.TestTokenAddress, testTokenContract, Active) }

// Storage access.

func (f *frame) sloadUint(slot common.Hash) *uint256.Int {
	v := f.sload(slot)
	return new(uint256.Int).SetBytes32(v[:])
}

func (f *frame) sstoreUint(slot common.Hash, v *uint256.Int) { f.sstore(slot, v.Bytes32()) }

// Events.

func (f *frame) emitTransfer(from, to common.Address, amount *uint256.Int) {
	f.emit([]common.Hash{TopicTransfer, common.BytesToHash(from[:]), common.BytesToHash(to[:])}, encUint(amount))
}

// Functions. Arguments are decoded as Solidity does: short input or an address word with
// non-zero padding reverts with empty data; trailing bytes are ignored.

func tokenSupportsInterface(f *frame) ([]byte, error) {
	w, ok := f.word(0)
	if !ok || !allZero(w[4:]) { // bytes4: the low 28 bytes must be zero
		return revertEmpty()
	}
	id := [4]byte(w[:4])
	return encBool(id == InterfaceERC165 || id == InterfaceERC7802 || id == InterfaceERC20), nil
}

func tokenTotalSupply(f *frame) ([]byte, error) {
	v := f.sload(TokenTotalSupplySlot)
	return v.Bytes(), nil
}

func tokenBalanceOf(f *frame) ([]byte, error) {
	owner, ok := f.address(0)
	if !ok {
		return revertEmpty()
	}
	v := f.sload(TokenBalanceSlot(owner))
	return v.Bytes(), nil
}

func tokenAllowance(f *frame) ([]byte, error) {
	owner, ok1 := f.address(0)
	spender, ok2 := f.address(1)
	if !ok1 || !ok2 {
		return revertEmpty()
	}
	v := f.sload(TokenAllowanceSlot(owner, spender))
	return v.Bytes(), nil
}

// argsAddressAmount decodes (address, uint256).
func (f *frame) argsAddressAmount() (common.Address, *uint256.Int, bool) {
	a, ok1 := f.address(0)
	v, ok2 := f.uint(1)
	return a, v, ok1 && ok2
}

func tokenTransfer(f *frame) ([]byte, error) {
	to, amount, ok := f.argsAddressAmount()
	if !ok {
		return revertEmpty()
	}
	if ret, err := f.moveTokens(f.call.Caller, to, amount); err != nil {
		return ret, err
	}
	return encBool(true), nil
}

// transferFrom spends the caller's allowance first (an allowance of 2^256-1 is never
// decreased), then moves the tokens, as Solady's ERC20 does.
func tokenTransferFrom(f *frame) ([]byte, error) {
	from, ok1 := f.address(0)
	to, ok2 := f.address(1)
	amount, ok3 := f.uint(2)
	if !ok1 || !ok2 || !ok3 {
		return revertEmpty()
	}
	slot := TokenAllowanceSlot(from, f.call.Caller)
	allowed := f.sloadUint(slot)
	if !allowed.Eq(tokenMaxAllowance) {
		if amount.Gt(allowed) {
			return revertSel(RevertInsufficientAllowance)
		}
		f.keepAccount()
		f.sstoreUint(slot, allowed.Sub(allowed, amount))
	}
	if ret, err := f.moveTokens(from, to, amount); err != nil {
		return ret, err
	}
	return encBool(true), nil
}

var tokenMaxAllowance = new(uint256.Int).SetAllOne()

// moveTokens transfers amount from one balance to another and emits Transfer. Neither address is
// checked: ERC-20 allows the zero address, and so does Solady.
func (f *frame) moveTokens(from, to common.Address, amount *uint256.Int) ([]byte, error) {
	fromSlot := TokenBalanceSlot(from)
	bal := f.sloadUint(fromSlot)
	if amount.Gt(bal) {
		return revertSel(RevertInsufficientBalance)
	}
	f.keepAccount()
	f.sstoreUint(fromSlot, bal.Sub(bal, amount))
	toSlot := TokenBalanceSlot(to)
	dst := f.sloadUint(toSlot)
	if _, overflow := dst.AddOverflow(dst, amount); overflow {
		return panicOverflow, gethvm.ErrExecutionReverted
	}
	f.sstoreUint(toSlot, dst)
	f.emitTransfer(from, to, amount)
	return nil, nil
}

func tokenApprove(f *frame) ([]byte, error) {
	spender, amount, ok := f.argsAddressAmount()
	if !ok {
		return revertEmpty()
	}
	f.keepAccount()
	f.sstoreUint(TokenAllowanceSlot(f.call.Caller, spender), amount)
	f.emit([]common.Hash{TopicApproval, common.BytesToHash(f.call.Caller[:]), common.BytesToHash(spender[:])}, encUint(amount))
	return encBool(true), nil
}

// mintTokens adds amount to the total supply and to's balance and emits Transfer from zero.
func (f *frame) mintTokens(to common.Address, amount *uint256.Int) ([]byte, error) {
	supply := f.sloadUint(TokenTotalSupplySlot)
	if _, overflow := supply.AddOverflow(supply, amount); overflow {
		return revertSel(RevertTotalSupplyOverflow)
	}
	slot := TokenBalanceSlot(to)
	bal := f.sloadUint(slot)
	if _, overflow := bal.AddOverflow(bal, amount); overflow {
		return panicOverflow, gethvm.ErrExecutionReverted
	}
	f.keepAccount()
	f.sstoreUint(TokenTotalSupplySlot, supply)
	f.sstoreUint(slot, bal)
	f.emitTransfer(common.Address{}, to, amount)
	return nil, nil
}

// burnTokens takes amount from from's balance and the total supply and emits Transfer to zero.
func (f *frame) burnTokens(from common.Address, amount *uint256.Int) ([]byte, error) {
	slot := TokenBalanceSlot(from)
	bal := f.sloadUint(slot)
	if amount.Gt(bal) {
		return revertSel(RevertInsufficientBalance)
	}
	supply := f.sloadUint(TokenTotalSupplySlot)
	if _, underflow := supply.SubOverflow(supply, amount); underflow {
		return panicOverflow, gethvm.ErrExecutionReverted
	}
	f.keepAccount()
	f.sstoreUint(slot, bal.Sub(bal, amount))
	f.sstoreUint(TokenTotalSupplySlot, supply)
	f.emitTransfer(from, common.Address{}, amount)
	return nil, nil
}

// mint and burn are open to anyone, as in supersim's L2NativeSuperchainERC20, which refuses
// only the zero address and emits Mint / Burn after the Transfer.
func tokenMint(f *frame) ([]byte, error) {
	to, amount, ok := f.argsAddressAmount()
	if !ok {
		return revertEmpty()
	}
	if to == (common.Address{}) {
		return revertSel(RevertZeroAddress)
	}
	if ret, err := f.mintTokens(to, amount); err != nil {
		return ret, err
	}
	f.emit([]common.Hash{TopicMint, common.BytesToHash(to[:])}, encUint(amount))
	return nil, nil
}

func tokenBurn(f *frame) ([]byte, error) {
	from, amount, ok := f.argsAddressAmount()
	if !ok {
		return revertEmpty()
	}
	if from == (common.Address{}) {
		return revertSel(RevertZeroAddress)
	}
	if ret, err := f.burnTokens(from, amount); err != nil {
		return ret, err
	}
	f.emit([]common.Hash{TopicBurn, common.BytesToHash(from[:])}, encUint(amount))
	return nil, nil
}

// crosschainMint and crosschainBurn (ERC-7802) answer only the SuperchainTokenBridge, as
// the OP SuperchainERC20 does; neither refuses the zero address.
func tokenCrosschainMint(f *frame) ([]byte, error) {
	to, amount, ok := f.argsAddressAmount()
	if !ok {
		return revertEmpty()
	}
	if f.call.Caller != params.SuperchainTokenBridgeAddress {
		return revertSel(RevertUnauthorized)
	}
	if ret, err := f.mintTokens(to, amount); err != nil {
		return ret, err
	}
	f.emit([]common.Hash{TopicCrosschainMint, common.BytesToHash(to[:]), common.BytesToHash(f.call.Caller[:])}, encUint(amount))
	return nil, nil
}

func tokenCrosschainBurn(f *frame) ([]byte, error) {
	from, amount, ok := f.argsAddressAmount()
	if !ok {
		return revertEmpty()
	}
	if f.call.Caller != params.SuperchainTokenBridgeAddress {
		return revertSel(RevertUnauthorized)
	}
	if ret, err := f.burnTokens(from, amount); err != nil {
		return ret, err
	}
	f.emit([]common.Hash{TopicCrosschainBurn, common.BytesToHash(from[:]), common.BytesToHash(f.call.Caller[:])}, encUint(amount))
	return nil, nil
}
