package crosssafety

import (
	"testing"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/safety"
)

// Every chain that can advance does so in one decision, each judged with the heads the
// chains before it reach in that decision: C4 executes a log of B4 (same timestamp) and
// B3 one of A3, and the three chains move in one cross-unsafe and one cross-safe decision.
func TestOneDecisionAdvancesEveryChain(t *testing.T) {
	w := newWorld(t, chainA, chainB, chainC)
	w.upTo(chainA, 4)
	w.upTo(chainB, 2)
	w.add(chainB, plain(), execOf(chainA, 3, 0)) // B3
	w.add(chainB)                                // B4
	w.upTo(chainC, 3)
	w.add(chainC, plain(), execOf(chainB, 4, 1)) // C4
	ds := w.resolve()
	if len(ds) != 1 || ds[0].Kind != Advance || ds[0].Level != safety.CrossUnsafe || len(ds[0].Heads) != 3 {
		t.Fatalf("decisions %s, want one cross-unsafe advance of A, B and C", kinds(ds))
	}
	labelHeads(w, chainA, chainB, chainC)
	ds = w.resolve()
	if len(ds) != 1 || ds[0].Kind != Advance || ds[0].Level != safety.Safe || len(ds[0].Heads) != 3 {
		t.Fatalf("decisions %s, want one cross-safe advance of A, B and C", kinds(ds))
	}
	for _, c := range []uint256.Int{chainA, chainB, chainC} {
		wantHead(t, w, c, "cross-unsafe", 4)
		wantHead(t, w, c, "safe", 4)
	}
}

// The block after a run is verified only once its dependencies are met, or when it comes
// first: an invalid block whose dependency never comes (it names a block far in the
// future) is still denied, right after the run below it is promoted.
func TestInvalidBlockAfterARunDenied(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 4)
	w.upTo(chainB, 3)
	w.add(chainB, plain(), execOf(chainA, 1_000_000, 0)) // B4: initiated in the future
	w.add(chainB)                                        // B5
	ds := w.resolve()
	if len(ds) == 0 || ds[len(ds)-1].Kind != Invalidate || !w.denied(chainB, 4) {
		t.Fatalf("decisions %s, want the run, then B4 denied", kinds(ds))
	}
	wantHead(t, w, chainB, "cross-unsafe", 3)
	wantHead(t, w, chainA, "cross-unsafe", 4)
}
