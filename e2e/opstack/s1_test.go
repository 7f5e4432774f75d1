//go:build opstack

package opstack

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// S1: a stock op-node sequences on the EL under test and op-batcher posts the batches to L1.
// The unsafe, safe and finalized heads all advance, the EL's own safe and finalized labels
// follow op-node's, and a user transaction sent over JSON-RPC becomes safe and then finalized.
func TestS1Sequencer(t *testing.T) {
	t0 := time.Now()
	sys := NewSystem(t, Options{})
	chain := sys.NewChain(901)
	seq := chain.StartSequencer(ELOptions{})
	first, err := seq.Node.SyncStatus()
	sys.must(err)
	t.Logf("%s: system up, first L2 block built (%s)", since(t0), first)

	to := common.HexToAddress("0x00000000000000000000000000000000005e1f01")
	value := big.NewInt(params.Ether)
	tx := SendTransfer(t, seq.EL, 0, to, value)
	rcpt := WaitReceipt(t, seq.EL, tx.Hash())
	if rcpt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("transfer failed: %+v", rcpt)
	}
	txBlock := rcpt.BlockNumber.Uint64()
	t.Logf("%s: user transaction %s in unsafe block %d", since(t0), tx.Hash(), txBlock)

	st := seq.Node.WaitSync(2*time.Minute, "safe head covers the user transaction", func(st *SyncStatus) bool {
		return st.SafeL2.Number >= txBlock
	})
	t.Logf("%s: op-node safe covers it (%s)", since(t0), st)
	if st.UnsafeL2.Number <= first.UnsafeL2.Number {
		t.Fatalf("unsafe head did not advance: %d then %d", first.UnsafeL2.Number, st.UnsafeL2.Number)
	}
	safe := WaitLabel(t, seq.EL, rpc.SafeBlockNumber, txBlock)
	t.Logf("%s: EL safe label %d covers it", since(t0), safe.Number)
	sameBlock(t, seq.EL, "safe", safe, st.SafeL2)
	if got := balanceAt(t, seq.EL, to, safe.Number); got.Cmp(value) != 0 {
		t.Fatalf("recipient holds %s at the safe block, want %s", got, value)
	}

	st = seq.Node.WaitSync(3*time.Minute, "finalized head covers the user transaction", func(st *SyncStatus) bool {
		return st.FinalizedL2.Number >= txBlock
	})
	t.Logf("%s: op-node finalized covers it (%s)", since(t0), st)
	fin := WaitLabel(t, seq.EL, rpc.FinalizedBlockNumber, txBlock)
	t.Logf("%s: EL finalized label %d covers it", since(t0), fin.Number)
	sameBlock(t, seq.EL, "finalized", fin, st.FinalizedL2)
	if st.FinalizedL1.Number == 0 {
		t.Fatalf("L2 finalized with no L1 block finalized: %s", st)
	}
	if st.UnsafeL2.Number < st.SafeL2.Number || st.SafeL2.Number < st.FinalizedL2.Number {
		t.Fatalf("heads out of order: %s", st)
	}
}

// The test keys are the well-known ones (their addresses are public knowledge).
func TestAnvilKeys(t *testing.T) {
	for i, want := range map[int]string{
		0: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
		1: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
		9: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
	} {
		if got := crypto.PubkeyToAddress(AnvilKey(i).PublicKey).Hex(); got != want {
			t.Errorf("account %d: %s, want %s", i, got, want)
		}
	}
}
