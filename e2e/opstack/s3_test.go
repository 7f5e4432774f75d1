//go:build opstack

package opstack

import (
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/message"
)

// s3SeqWindow is chain 902's sequence window in L1 blocks (1 s each). After the verifier
// replaces block H, Holocene drops every later batch of the sequencer (their parent is the
// sequencer's H); the verifier's safe head moves on only when an epoch's window has expired
// and op-node derives its blocks empty. It is wide enough that the sequencer's own batches
// always land inside it (else the sequencer's derivation would replace its own blocks too).
const s3SeqWindow = 20

// S3: the sequencer's EL runs with interop checks off (--interop.disable) and includes a
// transaction executing a message that does not exist; a verifier on xgeth with interop on
// derives that block from the batches, answers INVALID to engine_newPayload, and op-node
// (Holocene) replaces it with a deposits-only block. The verifier's chain goes on from the
// replacement (the sequencer's later batches build on the block it refused, so they are
// dropped and the verifier derives empty blocks once their sequence window expires) while the
// sequencer, which checks nothing, keeps its block.
func TestS3VerifierReplacesInvalidBlock(t *testing.T) {
	t0 := time.Now()
	sys := NewSystem(t, Options{DepSet: []uint64{902}})
	chain := sys.NewChainWith(902, ChainOptions{NativeInterop: true, SeqWindowSize: s3SeqWindow})
	seq := chain.StartSequencer(ELOptions{Extra: []string{"--interop.disable"}})
	ver := chain.StartVerifier("verifier", ELOptions{})
	t.Logf("%s: sequencer (interop off) and verifier (interop on) up", since(t0))

	seq.Node.WaitSync(time.Minute, "unsafe block 2", func(st *SyncStatus) bool { return st.UnsafeL2.Number >= 2 })
	block1 := headerAt(t, seq.EL, 1)
	// Block 1 has one log at most (its L1 info deposit emits none): log 77 is nobody's.
	bogus := message.Message{
		Identifier: message.Identifier{
			Origin:      common.HexToAddress("0x00000000000000000000000000000000005e3b09"),
			BlockNumber: 1,
			LogIndex:    77,
			Timestamp:   block1.Time,
			ChainID:     *uint256.NewInt(chain.ID),
		},
		MsgHash: crypto.Keccak256Hash([]byte("s3: a message nobody sent")),
	}
	rcpt := executeMessage(t, seq.EL, 0, &bogus, "on the sequencer (interop off)")
	h := rcpt.BlockNumber.Uint64()
	t.Logf("%s: sequencer includes the bogus executing message in block %d (%s)", since(t0), h, rcpt.BlockHash)

	// The verifier derives H from the batches, refuses it and builds the deposits-only block
	// instead; its safe head passes H once the window of the next epoch has expired.
	st := ver.Node.WaitSync(3*time.Minute, fmt.Sprintf("verifier safe head passes %d", h), func(st *SyncStatus) bool {
		return st.SafeL2.Number > h
	})
	t.Logf("%s: verifier safe head passed H (%s)", since(t0), st)

	// What the EL and op-node said, in order: the INVALID verdict naming the message, the
	// deposits-only replacement of H, the sequencer's batch of H+1 dropped for its parent (the
	// sequencer's H), its later batches dropped as ahead of the verifier's chain, and H+1
	// derived empty once its epoch's sequence window expired.
	replaced := blockAt(t, ver.EL, h)
	for _, want := range []struct {
		p     *Process
		parts []string
	}{
		{ver.EL.Proc, []string{"Payload executes an invalid message", fmt.Sprintf("block %d, executing message 0", h), "log 77"}},
		{ver.Node.Proc, []string{"Holocene active, requesting deposits-only attributes", "parent=" + replaced.ParentHash().Hex()}},
		{ver.Node.Proc, []string{"Deriving deposits-only attributes"}},
		{ver.Node.Proc, []string{"ignoring batch with mismatching parent hash", "parent_hash=" + rcpt.BlockHash.Hex()}},
		{ver.Node.Proc, []string{"dropping future batch"}},
		{ver.Node.Proc, []string{"Generating next batch", "parent=" + replaced.Hash().Hex()}},
	} {
		line := logLine(want.p, 0, want.parts...)
		if line == "" {
			t.Fatalf("%s never logged a line with %q", want.p.Name, want.parts)
		}
		t.Logf("%s: %s", want.p.Name, line)
	}

	if replaced.Hash() == rcpt.BlockHash {
		t.Fatalf("verifier kept the sequencer's block %d (%s)", h, rcpt.BlockHash)
	}
	for i, tx := range replaced.Transactions() {
		if tx.Type() != types.DepositTxType {
			t.Fatalf("verifier's block %d: transaction %d (%s) has type %#x, want only deposits", h, i, tx.Hash(), tx.Type())
		}
	}
	if replaced.Transactions().Len() == 0 {
		t.Fatalf("verifier's block %d has no transaction, want its L1 info deposit", h)
	}
	next := blockAt(t, ver.EL, h+1)
	if next.ParentHash() != replaced.Hash() {
		t.Fatalf("verifier's block %d builds on %s, not on its replacement %s of %d", h+1, next.ParentHash(), replaced.Hash(), h)
	}
	for i, tx := range next.Transactions() {
		if tx.Type() != types.DepositTxType {
			t.Fatalf("verifier's block %d (derived after the window expired): transaction %d has type %#x, want only deposits", h+1, i, tx.Type())
		}
	}
	if seqNext := headerAt(t, seq.EL, h+1); seqNext.Time != next.Time() {
		t.Fatalf("verifier's block %d has time %d, the sequencer's %d", h+1, next.Time(), seqNext.Time)
	}
	if sh := headerAt(t, ver.EL, st.SafeL2.Number); sh.Hash() != st.SafeL2.Hash {
		t.Fatalf("verifier op-node's safe head %d is %s, its EL has %s", st.SafeL2.Number, st.SafeL2.Hash, sh.Hash())
	}
	t.Logf("%s: verifier's block %d is %s with %d deposit(s) only", since(t0), h, replaced.Hash(), replaced.Transactions().Len())

	// The sequencer checks nothing: H stays, and its own derivation from the same batches
	// makes it safe.
	sst := seq.Node.WaitSync(time.Minute, fmt.Sprintf("sequencer safe head passes %d", h), func(st *SyncStatus) bool {
		return st.SafeL2.Number > h
	})
	if got := headerAt(t, seq.EL, h).Hash(); got != rcpt.BlockHash {
		t.Fatalf("sequencer's block %d is now %s, want its own %s", h, got, rcpt.BlockHash)
	}
	if sh := headerAt(t, seq.EL, sst.SafeL2.Number); sh.Hash() != sst.SafeL2.Hash {
		t.Fatalf("sequencer op-node's safe head %d is %s, its EL has %s", sst.SafeL2.Number, sst.SafeL2.Hash, sh.Hash())
	}
	if line := logLine(seq.Node.Proc, 0, "deposits-only"); line != "" {
		t.Fatalf("sequencer op-node replaced a block: %s", line)
	}
	t.Logf("%s: sequencer keeps its block %d (%s)", since(t0), h, sst)
}
