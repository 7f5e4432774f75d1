package crosssafety

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
)

// A node that does not follow a chain of its transitive dependency set (C here: in the set,
// no index) never makes a block that depends on it cross-unsafe or cross-safe, nor anything
// that depends on that block, and says why in Waiting. Nothing is denied: "cannot see" is
// not "invalid".
func TestUnseenChainHoldsSafety(t *testing.T) {
	w := newWorld(t, chainA, chainB, chainC)
	w.upTo(chainC, 3)
	w.upTo(chainB, 3)
	w.add(chainB, execOf(chainC, 3, 0), plain()) // B4 executes a log of C3
	w.upTo(chainA, 4)
	w.add(chainA, execOf(chainB, 4, 1)) // A5 executes a log of B4
	w.add(chainA)                       // A6, plain

	// The node follows A and B only: its checker has no index of C, its engine no chain C.
	seen := checker.IndexSet{chainA: w.idx[chainA], chainB: w.idx[chainB]}
	ck := checker.New(w.set, seen, checker.Config{Logger: log.NewLogger(log.DiscardHandler())})
	e, err := New(Config{Chains: []Chain{{ID: chainA, Index: w.idx[chainA]}, {ID: chainB, Index: w.idx[chainB]}}, Verifier: ck, DB: w.db, Logger: log.NewLogger(log.DiscardHandler())})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint256.Int{chainA, chainB} {
		h, _ := w.idx[id].Head()
		e.SetLocalSafe(&id, h)
	}
	for range 3 { // resolving again changes nothing
		ds, _ := e.Resolve()
		for _, d := range ds {
			if d.Kind == Invalidate {
				t.Fatalf("denied a block for an unseen chain: %s", d.String())
			}
		}
	}
	for _, tc := range []struct {
		chain      uint256.Int
		cu, cs     uint64
		why, level string
	}{
		{chainB, 3, 3, "this node does not follow chain 903", "cross-unsafe"},
		{chainA, 4, 4, "waits for block 4 of chain 902", "cross-unsafe"},
	} {
		hs, err := e.Heads(&tc.chain)
		if err != nil {
			t.Fatal(err)
		}
		if hs.CrossUnsafe == nil || hs.CrossUnsafe.Number != tc.cu || hs.CrossSafe == nil || hs.CrossSafe.Number != tc.cs {
			t.Fatalf("chain %s: cross-unsafe %v, cross-safe %v; want %d, %d", tc.chain.Dec(), hs.CrossUnsafe, hs.CrossSafe, tc.cu, tc.cs)
		}
		cu, cs, err := e.Waiting(&tc.chain)
		if err != nil || !strings.Contains(cu, tc.why) {
			t.Fatalf("chain %s: cross-unsafe waits for %q, want %q (%v)", tc.chain.Dec(), cu, tc.why, err)
		}
		// Cross-safe is held by the cross-unsafe head: local-safe is ahead of it, so the
		// reason there is empty (nothing to promote) or the same block.
		if cs != "" && !strings.Contains(cs, tc.chain.Dec()) {
			t.Fatalf("chain %s: cross-safe waits for %q", tc.chain.Dec(), cs)
		}
	}
	if _, _, err := e.Waiting(&chainC); err == nil {
		t.Fatal("Waiting of a chain the engine does not run answered")
	}
}

// A local-safe label above cross-unsafe counts only while the index has that block: after a
// reorg below the label, the blocks up to cross-unsafe need not be its ancestors, so
// cross-safe waits for a label on the indexed chain.
func TestStaleLocalSafeLabelAboveCrossUnsafe(t *testing.T) {
	w := newWorld(t, chainA)
	w.upTo(chainA, 5)
	old5 := w.ref(chainA, 5)
	w.engine.SetLocalSafe(&chainA, old5) // before any resolution: above cross-unsafe
	w.replace(chainA, 4)                 // A4 replaced; the old A5 is gone
	w.resolve()
	wantHead(t, w, chainA, "cross-unsafe", 4)
	if h := w.head(chainA, "safe"); h >= 4 {
		t.Fatalf("cross-safe reached %d on a fork the label does not name", h)
	}
	_, why, _ := w.engine.Waiting(&chainA)
	if !strings.Contains(why, "local-safe block 5 of chain 901 is not the indexed one") {
		t.Fatalf("cross-safe waits for %q", why)
	}
	w.add(chainA) // a new A5, not the labelled one
	w.resolve()
	if h := w.head(chainA, "safe"); h >= 4 {
		t.Fatalf("cross-safe reached %d with a label naming another A5", h)
	}
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 5))
	w.resolve()
	wantHead(t, w, chainA, "safe", 5)
}

// A reorg below cross-safe while the node is down: on restart the engine must not take the
// new blocks at those heights for the promoted ones. It rewinds to what is still canonical
// and promotes the new blocks again (it used to rewind to the same height forever).
func TestRestartAfterReorgBelowCrossSafe(t *testing.T) {
	w := newWorld(t, chainA)
	w.upTo(chainA, 4)
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 4))
	w.resolve()
	wantHead(t, w, chainA, "safe", 4)
	old3 := w.ref(chainA, 3)

	w.replace(chainA, 3) // while down: A3 and A4 gone, a new A3
	w.add(chainA)        // and a new A4
	w.open()
	ds := w.resolve()
	if len(ds) == 0 || ds[0].Kind != Rewind {
		t.Fatalf("first decision after the restart: %s, want a rewind", kinds(ds))
	}
	// Nothing above the fork point stays cross-safe (the engine cannot tell which of the
	// blocks it re-reads were promoted, so it may start cross-safe over from scratch).
	if hs, _ := w.engine.Heads(&chainA); (hs.CrossSafe != nil && hs.CrossSafe.Number > 2) || hs.CrossUnsafe.Hash == old3.Hash {
		t.Fatalf("after the restart: cross-safe %v, cross-unsafe %v", hs.CrossSafe, hs.CrossUnsafe)
	}
	wantHead(t, w, chainA, "cross-unsafe", 4) // the new blocks, promoted again
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 4))
	w.resolve()
	wantHead(t, w, chainA, "safe", 4)
	if hs, _ := w.engine.Heads(&chainA); hs.CrossSafe.Hash != w.ref(chainA, 4).Hash {
		t.Fatal("cross-safe is not the new A4")
	}
}
