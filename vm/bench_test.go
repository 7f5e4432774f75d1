package vm

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"
)

// benchCall measures one call kind/input through evm.Call on a fresh transaction
// environment, rebuilt (timer stopped) every 256 calls so logs and journal stay the size of a
// transaction that executes a few hundred messages.
func benchCall(b *testing.B, o envOpts, in []byte, wantErr error) {
	zero := new(uint256.Int)
	e := newEnv(b, o)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n++; n&255 == 0 {
			b.StopTimer()
			e = newEnv(b, o)
			b.StartTimer()
		}
		if _, _, err := e.evm.Call(sender, inbox, in, gasGiven, zero); err != wantErr {
			b.Fatalf("err %v, want %v", err, wantErr)
		}
	}
}

// BenchmarkValidateMessage is a successful validateMessage (checksum listed, log emitted)
// called through the EVM, as a transaction or a contract reaches it.
func BenchmarkValidateMessage(b *testing.B) {
	msg := testMessage()
	o := defaultOpts()
	o.list = listed(checksumOf(msg))
	benchCall(b, o, input(SelectorValidateMessage, msg), nil)
}

// BenchmarkValidateMessageNotListed is the NotInAccessList revert path.
func BenchmarkValidateMessageNotListed(b *testing.B) {
	benchCall(b, defaultOpts(), input(SelectorValidateMessage, testMessage()), gethvm.ErrExecutionReverted)
}

func BenchmarkCalculateChecksum(b *testing.B) {
	benchCall(b, defaultOpts(), input(SelectorCalculateChecksum, testMessage()), nil)
}

// BenchmarkHookMiss is what a CALL to another 0x42… address pays for the hook (the registry
// lookup); addresses not starting with 0x42 are turned away on their first byte.
func BenchmarkHookMiss(b *testing.B) {
	e := newEnv(b, defaultOpts())
	other := common.HexToAddress("0x4200000000000000000000000000000000000099")
	b.ReportAllocs()
	for b.Loop() {
		if gethvm.NativeContractHook(e.evm, other) != nil {
			b.Fatal("hit")
		}
	}
}

// BenchmarkHookHit is the hook's cost for a call to CrossL2Inbox (registry lookup, Lagoon).
func BenchmarkHookHit(b *testing.B) {
	e := newEnv(b, defaultOpts())
	b.ReportAllocs()
	for b.Loop() {
		if gethvm.NativeContractHook(e.evm, inbox) == nil {
			b.Fatal("miss")
		}
	}
}
