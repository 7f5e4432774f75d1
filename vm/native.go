package vm

import (
	"encoding/binary"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
)

// The shared machinery of the native contracts: a registry filled by each contract's init
// function, and a call frame with gas accounting, ABI argument decoding, storage, logs and
// nested calls. Every contract follows the same rules:
//
//   - each function has a fixed, documented cost charged before anything else (ErrOutOfGas
//     with less gas; a revert keeps what is left after the cost);
//   - an unknown selector or input shorter than 4 bytes reverts with empty data, uncharged;
//   - a nested call (the messenger calling a relay target, a bridge calling the messenger)
//     receives all gas left after the cost, and what it does not use comes back;
//   - state writes and logs only happen in a CALL frame outside a static context.

// native is one registered contract and the switch that serves it.
type native struct {
	contract gethvm.NativeContract
	// enabled reports whether the contract serves chain cfg at block time t.
	enabled func(cfg *gethparams.ChainConfig, t uint64) bool
}

// natives is written only by init functions, read by the hook afterwards.
var natives = map[common.Address]native{}

// register installs c at addr, served where enabled says so. Every native address starts
// with the byte 0x42: the hook rejects every other address on that one byte.
func register(addr common.Address, c gethvm.NativeContract, enabled func(*gethparams.ChainConfig, uint64) bool) {
	if addr[0] != 0x42 {
		panic("vm: native contract address must start with 0x42: " + addr.Hex())
	}
	if _, dup := natives[addr]; dup {
		panic("vm: native contract registered twice at " + addr.Hex())
	}
	natives[addr] = native{c, enabled}
}

// Addresses lists the addresses of every native contract (for genesis allocs and docs).
func Addresses() []common.Address {
	out := make([]common.Address, 0, len(natives))
	for a := range natives {
		out = append(out, a)
	}
	return out
}

// frame is one call to a native contract, after dispatch on the selector.
type frame struct {
	evm  *gethvm.EVM
	call *gethvm.NativeCall
	args []byte // input without the selector
	gas  uint64 // left after the fixed cost; nested calls draw from it
}

// runFixed charges cost and runs fn with a frame. It is the body of every RunNative.
func runFixed(evm *gethvm.EVM, call *gethvm.NativeCall, cost uint64, fn func(*frame) ([]byte, error)) ([]byte, uint64, error) {
	if call.Gas < cost {
		return nil, 0, gethvm.ErrOutOfGas
	}
	if t := evm.Config.Tracer; t != nil && t.OnGasChange != nil {
		t.OnGasChange(call.Gas, call.Gas-cost, tracing.GasChangeCallPrecompiledContract)
	}
	f := &frame{evm: evm, call: call, args: call.Input[4:], gas: call.Gas - cost}
	ret, err := fn(f)
	return ret, f.gas, err
}

// writable reports whether the frame may write state and emit logs: a plain CALL outside
// any static context. Contracts refuse DELEGATECALL and CALLCODE for state-changing
// functions: the writes would land in the caller's storage.
func (f *frame) writable() bool { return f.call.Kind == gethvm.CALL && !f.call.ReadOnly }

// value is msg.value.
func (f *frame) value() *uint256.Int {
	if f.call.Value == nil {
		return new(uint256.Int)
	}
	return f.call.Value
}

// Arguments. Each accessor checks bounds and the ABI's padding rules; ok false means
// malformed input, which the contracts answer with an empty revert.

func (f *frame) word(i int) ([]byte, bool) {
	if i < 0 || len(f.args) < (i+1)*32 {
		return nil, false
	}
	return f.args[i*32 : (i+1)*32], true
}

func (f *frame) address(i int) (common.Address, bool) {
	w, ok := f.word(i)
	if !ok || !allZero(w[:12]) {
		return common.Address{}, false
	}
	return common.BytesToAddress(w[12:]), true
}

func (f *frame) uint(i int) (*uint256.Int, bool) {
	w, ok := f.word(i)
	if !ok {
		return nil, false
	}
	return new(uint256.Int).SetBytes32(w), true
}

func (f *frame) hash(i int) (common.Hash, bool) {
	w, ok := f.word(i)
	if !ok {
		return common.Hash{}, false
	}
	return common.BytesToHash(w), true
}

func (f *frame) bool(i int) (bool, bool) {
	w, ok := f.word(i)
	if !ok || !allZero(w[:31]) || w[31] > 1 {
		return false, false
	}
	return w[31] == 1, true
}

// bytes decodes the dynamic `bytes` argument whose offset is in head word i.
func (f *frame) bytes(i int) ([]byte, bool) {
	return dynBytes(f.args, i)
}

// dynBytes decodes the `bytes` whose offset (relative to args) is in head word i of args.
func dynBytes(args []byte, i int) ([]byte, bool) {
	if len(args) < (i+1)*32 {
		return nil, false
	}
	off, ok := smallWord(args[i*32 : (i+1)*32])
	if !ok || off+32 > uint64(len(args)) {
		return nil, false
	}
	n, ok := smallWord(args[off : off+32])
	if !ok || off+32+n > uint64(len(args)) {
		return nil, false
	}
	return args[off+32 : off+32+n], true
}

// smallWord reads a word that must fit in 32 bits (offsets, lengths).
func smallWord(w []byte) (uint64, bool) {
	if !allZero(w[:28]) {
		return 0, false
	}
	return uint64(binary.BigEndian.Uint32(w[28:])), true
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// State, through the StateDB (journaled: a revert of the frame undoes it).

func (f *frame) sload(key common.Hash) common.Hash {
	return f.evm.StateDB.GetState(f.call.Address, key)
}

func (f *frame) sstore(key, val common.Hash) {
	f.evm.StateDB.SetState(f.call.Address, key, val)
}

func (f *frame) tload(key common.Hash) common.Hash {
	return f.evm.StateDB.GetTransientState(f.call.Address, key)
}

func (f *frame) tstore(key, val common.Hash) {
	f.evm.StateDB.SetTransientState(f.call.Address, key, val)
}

// emit adds a log from the contract's address.
func (f *frame) emit(topics []common.Hash, data []byte) {
	l := &types.Log{Address: f.call.Address, Topics: topics, Data: data}
	if n := f.evm.Context.BlockNumber; n != nil {
		l.BlockNumber = n.Uint64()
	}
	f.evm.StateDB.AddLog(l)
}

// callOut makes a nested CALL from the contract with all gas left; the unused gas returns
// to the frame. A reverted or failed callee returns its error and data.
func (f *frame) callOut(to common.Address, input []byte, value *uint256.Int) ([]byte, error) {
	if value == nil {
		value = new(uint256.Int)
	}
	ret, left, err := f.evm.Call(f.call.Address, to, input, f.gas, value)
	f.gas = left
	return ret, err
}

// staticOut makes a nested STATICCALL from the contract with all gas left.
func (f *frame) staticOut(to common.Address, input []byte) ([]byte, error) {
	ret, left, err := f.evm.StaticCall(f.call.Address, to, input, f.gas)
	f.gas = left
	return ret, err
}

// chainID is the executing chain's ID.
func (f *frame) chainID() *uint256.Int {
	id, _ := uint256.FromBig(f.evm.ChainConfig().ChainID)
	if id == nil {
		return new(uint256.Int)
	}
	return id
}

// ABI encoding of results.

func encWord(w []byte) []byte { return common.LeftPadBytes(w, 32) }

func encAddress(a common.Address) []byte { return common.LeftPadBytes(a.Bytes(), 32) }

func encUint(v *uint256.Int) []byte { b := v.Bytes32(); return b[:] }

func encUint64(v uint64) []byte { return encUint(new(uint256.Int).SetUint64(v)) }

func encBool(b bool) []byte {
	if b {
		return encUint64(1)
	}
	return encUint64(0)
}

func encBig(v *big.Int) []byte { return common.LeftPadBytes(v.Bytes(), 32) }

// encBytesTail is the ABI encoding of one `bytes` value: length word, data padded to 32.
func encBytesTail(b []byte) []byte {
	out := encUint64(uint64(len(b)))
	out = append(out, b...)
	if r := len(b) % 32; r != 0 {
		out = append(out, make([]byte, 32-r)...)
	}
	return out
}

// encString is the ABI encoding of a function returning one `string`.
func encString(s string) []byte {
	return append(encUint64(32), encBytesTail([]byte(s))...)
}

// revertData is a custom error: its selector followed by ABI-encoded arguments.
func revertData(sel [4]byte, args ...[]byte) []byte {
	out := append([]byte(nil), sel[:]...)
	for _, a := range args {
		out = append(out, a...)
	}
	return out
}

// errorString is Solidity's Error(string) revert data, for require(cond, "reason").
func errorString(reason string) []byte {
	return revertData([4]byte{0x08, 0xc3, 0x79, 0xa0}, encString(reason))
}

// Table dispatch and frame helpers for contracts with several functions and state
// (the messenger, the ETH bridge, ETHLiquidity).

func slotMinusOne(s string) common.Hash {
	h := new(uint256.Int).SetBytes(crypto.Keccak256([]byte(s)))
	return h.Sub(h, uint256.NewInt(1)).Bytes32()
}

// mappingSlot is the storage slot of key in the Solidity mapping whose base slot is base.
func mappingSlot(key, base common.Hash) common.Hash {
	return crypto.Keccak256Hash(key[:], base[:])
}

// predeployFunc is one function of a table-dispatched native contract.
type predeployFunc struct {
	// gas is the function's cost for this call; it may look at the input and the state
	// (never write). nil means a constant: fixed.
	gas   func(evm *gethvm.EVM, call *gethvm.NativeCall) uint64
	fixed uint64
	// access, when set, is checked after the charge: a call of a kind (or with a value) the
	// function does not take is an empty revert. accessOwn leaves the checks to run.
	access stateAccess
	run    func(*frame) ([]byte, error)
}

// stateAccess is what a function does with the contract's state, which decides the call
// kinds it answers. Every guarded function is non-payable.
type stateAccess uint8

const (
	accessOwn   stateAccess = iota // the function checks the call itself
	accessPure                     // no state: any call kind, static context allowed
	accessView                     // reads storage: CALL or STATICCALL
	accessWrite                    // writes state or logs: a CALL outside any static context
)

// allowsAccess reports whether a call of this frame's kind may run a function of access a.
// A delegated frame (DELEGATECALL, CALLCODE) would read and write the native contract's own
// storage where Solidity would use the caller's: only pure functions answer it.
func (f *frame) allowsAccess(a stateAccess) bool {
	if !f.value().IsZero() {
		return false
	}
	switch a {
	case accessPure:
		return true
	case accessView:
		return f.call.Kind == gethvm.CALL || f.call.Kind == gethvm.STATICCALL
	}
	return f.writable()
}

// predeployTable is a native contract made of functions dispatched on the selector.
type predeployTable struct {
	name  string
	funcs map[uint32]predeployFunc
}

var errPredeployNeedsEVM = errors.New("native predeploy: it runs only through RunNative")

func (t *predeployTable) Name() string { return t.name }

// RequiredGas is the fixed part of the selected function's cost (0 for no function); the
// EVM does not use it for native contracts.
func (t *predeployTable) RequiredGas(input []byte) uint64 {
	fn, ok := t.funcs[selectorOf(input)]
	if !ok {
		return 0
	}
	if fn.gas == nil {
		return fn.fixed
	}
	return fn.gas(nil, &gethvm.NativeCall{Input: input, Value: new(uint256.Int)})
}

func (t *predeployTable) Run([]byte) ([]byte, error) { return nil, errPredeployNeedsEVM }

// RunNative dispatches on the selector: an unknown one (or input shorter than 4 bytes)
// reverts uncharged, a known one is charged its cost, then runs.
func (t *predeployTable) RunNative(evm *gethvm.EVM, call *gethvm.NativeCall) ([]byte, uint64, error) {
	fn, ok := t.funcs[selectorOf(call.Input)]
	if !ok || len(call.Input) < 4 {
		return nil, call.Gas, gethvm.ErrExecutionReverted
	}
	cost := fn.fixed
	if fn.gas != nil {
		cost = fn.gas(evm, call)
	}
	if fn.access == accessOwn {
		return runFixed(evm, call, cost, fn.run)
	}
	return runFixed(evm, call, cost, func(f *frame) ([]byte, error) {
		if !f.allowsAccess(fn.access) {
			return nil, gethvm.ErrExecutionReverted
		}
		return fn.run(f)
	})
}

// charge takes n more gas after the fixed cost (for what is known only later, such as the
// size of a nested call's return data). false means out of gas.
func (f *frame) charge(n uint64) bool {
	if f.gas < n {
		return false
	}
	if t := f.evm.Config.Tracer; t != nil && t.OnGasChange != nil {
		t.OnGasChange(f.gas, f.gas-n, tracing.GasChangeCallPrecompiledContract)
	}
	f.gas -= n
	return true
}

// readable reports whether the frame reads the contract's own state: CALL or STATICCALL.
// Under DELEGATECALL or CALLCODE the Solidity contract would read the caller's storage,
// which no native contract can serve meaningfully, so those revert.
func (f *frame) readable() bool {
	return f.call.Kind == gethvm.CALL || f.call.Kind == gethvm.STATICCALL
}

// minArgs reports whether the input after the selector holds at least n words. Bytes after
// the arguments are ignored, as Solidity's decoder does (viem's dataSuffix appends some).
func (f *frame) minArgs(n int) bool { return len(f.args) >= 32*n }

// calldataWords is the number of 32-byte words of input after the selector, rounded up.
func calldataWords(input []byte) uint64 {
	if len(input) <= 4 {
		return 0
	}
	return (uint64(len(input)-4) + 31) / 32
}

func wordsBeyond(input []byte, head uint64) uint64 {
	if w := calldataWords(input); w > head {
		return w - head
	}
	return 0
}

// failWith reverts with a custom error.
func failWith(sel [4]byte) ([]byte, error) {
	return revertWith(sel), gethvm.ErrExecutionReverted
}

// bubble turns a failed nested call into this frame's revert with the callee's data, as a
// Solidity high-level call or `revert(add(32, data), mload(data))` does.
func bubble(ret []byte) ([]byte, error) {
	return ret, gethvm.ErrExecutionReverted
}

// keepAlive gives an account without code and nonce its nonce 1 before its first storage
// write: EIP-161 would otherwise delete it, storage included, at the end of the transaction
// as an empty account. Genesis normally gives predeploys code, which makes this a no-op.
func (f *frame) keepAlive() {
	db, a := f.evm.StateDB, f.call.Address
	if db.GetNonce(a) == 0 && db.GetCodeSize(a) == 0 {
		db.SetNonce(a, 1, tracing.NonceChangeUnspecified)
	}
}

// payOut moves amount from the contract to to as a plain balance transfer: no code of
// to runs. false means the contract's balance is short.
func (f *frame) payOut(to common.Address, amount *uint256.Int) bool {
	db := f.evm.StateDB
	if !f.evm.Context.CanTransfer(db, f.call.Address, amount) {
		return false
	}
	rules := f.evm.ChainConfig().Rules(f.evm.Context.BlockNumber, f.evm.Context.Random != nil, f.evm.Context.Time)
	f.evm.Context.Transfer(db, f.call.Address, to, amount, &rules)
	return true
}

// sel32 is a selector as the dispatch key.
func sel32(s [4]byte) uint32 { return binary.BigEndian.Uint32(s[:]) }
