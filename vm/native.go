package vm

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
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
