package crosssafety

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/safety"
)

func kinds(ds []Decision) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return strings.Join(s, "; ")
}

func wantHead(t *testing.T, w *world, chain uint256.Int, level string, want int64) {
	t.Helper()
	if got := w.head(chain, level); got != want {
		t.Fatalf("chain %s %s head %d, want %d", chain.Dec(), level, got, want)
	}
}

// Blocks whose messages name earlier, cross-unsafe blocks become cross-unsafe at once.
func TestCrossUnsafeAdvances(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 5)
	w.upTo(chainB, 3)
	w.add(chainB, plain(), execOf(chainA, 3, 1)) // B4 executes A3
	w.add(chainB, execOf(chainA, 4, 0), execOf(chainB, 4, 0))
	ds := w.resolve()
	wantHead(t, w, chainA, "cross-unsafe", 5)
	wantHead(t, w, chainB, "cross-unsafe", 5)
	for _, d := range ds {
		if d.Kind != Advance || d.Level != safety.CrossUnsafe {
			t.Fatalf("unexpected decision %s", d.String())
		}
	}
	// Nothing is safe without local-safe labels.
	wantHead(t, w, chainA, "safe", -1)
}

// A block waits while what it executes is not cross-unsafe, and follows once it is.
func TestWaitsForItsDependency(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 3)
	w.upTo(chainB, 5)
	// B6 executes A5, which A has not produced yet (its index head is 3).
	w.add(chainB, execOf(chainA, 5, 1))
	_, wait := w.engine.Resolve()
	wantHead(t, w, chainB, "cross-unsafe", 5)
	if wait.Kind != Wait {
		t.Fatalf("final decision %s", wait.String())
	}
	w.upTo(chainA, 4)
	w.resolve()
	wantHead(t, w, chainB, "cross-unsafe", 5)
	w.upTo(chainA, 5)
	w.resolve()
	wantHead(t, w, chainA, "cross-unsafe", 5)
	wantHead(t, w, chainB, "cross-unsafe", 6)
}

// A block executing a message that does not exist is denied, named with the message, and
// its chain stops below it until the block is replaced.
func TestInvalidMessageDenied(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 4)
	w.upTo(chainB, 4)
	bad := execOf(chainA, 3, 1)
	bad.bad = true
	w.add(chainB, plain(), bad) // B5
	w.add(chainB)               // B6
	ds := w.resolve()
	var inv *Decision
	for i := range ds {
		if ds[i].Kind == Invalidate {
			inv = &ds[i]
		}
	}
	if inv == nil || len(inv.Denied) != 1 {
		t.Fatalf("no single invalidation among %s", kinds(ds))
	}
	den := inv.Denied[0]
	if den.Chain != chainB || den.Block != w.ref(chainB, 5) || den.Message != 0 || !strings.Contains(den.Reason, "chain 901, block 3, log 1") {
		t.Fatalf("denial %+v", den)
	}
	if !w.denied(chainB, 5) {
		t.Fatal("block not denied")
	}
	if n, ok, _ := w.engine.MaxDeniedHeight(&chainB); !ok || n != 5 {
		t.Fatalf("max denied height %d %v", n, ok)
	}
	if _, ok, _ := w.engine.MaxDeniedHeight(&chainA); ok {
		t.Fatal("chain A has a denied height")
	}
	wantHead(t, w, chainB, "cross-unsafe", 4)

	// The deny list survives a restart.
	w.open()
	if !w.denied(chainB, 5) {
		t.Fatal("denial lost on reopening")
	}
	// Replaced: the chain continues with the replacement.
	w.replace(chainB, 5)
	w.add(chainB)
	w.resolve()
	wantHead(t, w, chainB, "cross-unsafe", 6)
	if w.denied(chainB, 5) {
		t.Fatal("the replacement is denied")
	}
}

// Messages of the same timestamp that form a cycle invalidate exactly the blocks on it;
// without a cycle they are accepted together; a bystander is not invalidated.
func TestSameTimestampCycles(t *testing.T) {
	t.Run("cycle across two chains", func(t *testing.T) {
		w := newWorld(t)
		w.upTo(chainA, 3)
		w.upTo(chainB, 3)
		addCycle(w)
		ds := w.resolve()
		var denied []string
		for _, d := range ds {
			if d.Kind == Invalidate {
				for _, x := range d.Denied {
					denied = append(denied, x.Chain.Dec())
					if x.Message != -1 || !strings.Contains(x.Reason, "cycle") {
						t.Errorf("denial %+v", x)
					}
				}
			}
		}
		if strings.Join(denied, ",") != "901,902" {
			t.Fatalf("denied %v, want both blocks (decisions %s)", denied, kinds(ds))
		}
		wantHead(t, w, chainA, "cross-unsafe", 3)
		wantHead(t, w, chainB, "cross-unsafe", 3)
	})
	t.Run("mutual dependency without a cycle", func(t *testing.T) {
		w := newWorld(t)
		w.upTo(chainA, 3)
		w.upTo(chainB, 3)
		// A4.1 executes B4.0 and B4.1 executes A4.0: both named logs come first.
		b := w.build(chainB, plain(), execOf(chainA, 4, 0))
		a := w.build(chainA, plain(), execOf(chainB, 4, 0))
		fixup(w, a, b)
		ds := w.resolve()
		for _, d := range ds {
			if d.Kind == Invalidate {
				t.Fatalf("invalidated: %s", d.String())
			}
		}
		wantHead(t, w, chainA, "cross-unsafe", 4)
		wantHead(t, w, chainB, "cross-unsafe", 4)
	})
	t.Run("bystander spared, then invalid once the cycle is replaced", func(t *testing.T) {
		w := newWorld(t, chainA, chainB, chainC)
		for _, c := range []uint256.Int{chainA, chainB, chainC} {
			w.upTo(c, 3)
		}
		addCycle(w)
		w.add(chainC, plain(), execOf(chainA, 4, 1)) // C4 depends on the cycle
		ds := w.resolve()
		for _, d := range ds {
			for _, x := range d.Denied {
				if x.Chain == chainC {
					t.Fatalf("bystander denied: %s", d.String())
				}
			}
		}
		if !w.denied(chainA, 4) || !w.denied(chainB, 4) {
			t.Fatal("cycle not denied")
		}
		wantHead(t, w, chainC, "cross-unsafe", 3)
		// The chains replace the cycle's blocks; C4 now names a log A4 no longer has.
		w.replace(chainA, 4)
		w.replace(chainB, 4)
		w.resolve()
		if !w.denied(chainC, 4) {
			t.Fatal("C4 not invalidated once its dependency was replaced")
		}
		wantHead(t, w, chainA, "cross-unsafe", 4)
		wantHead(t, w, chainB, "cross-unsafe", 4)
		wantHead(t, w, chainC, "cross-unsafe", 3)
	})
	t.Run("unrelated chain of the same timestamp advances", func(t *testing.T) {
		w := newWorld(t, chainA, chainB, chainC)
		for _, c := range []uint256.Int{chainA, chainB, chainC} {
			w.upTo(c, 3)
		}
		addCycle(w)
		w.add(chainC, plain(), execOf(chainA, 3, 1))
		w.resolve()
		wantHead(t, w, chainC, "cross-unsafe", 4)
	})
}

// addCycle appends blocks 4 of A and B that form a cycle: A4.0 executes B4.1 and B4.0
// executes A4.1.
func addCycle(w *world) {
	w.t.Helper()
	b := w.build(chainB, execOf(chainA, 4, 1), plain())
	a := w.build(chainA, execOf(chainB, 4, 1), plain())
	// Each names the other's log by what the other holds: build both, then fix the names
	// up, since neither was indexed when the other was built.
	fixup(w, a, b)
}

// fixup re-points the executing messages of a and b (blocks of the same height of A and
// B, built before either was indexed) at each other's final hashes, then appends both.
func fixup(w *world, a, b *logindex.Block) {
	w.t.Helper()
	for _, pair := range [][2]*logindex.Block{{a, b}, {b, a}} {
		blk, other := pair[0], pair[1]
		otherChain := chainB
		if blk == b {
			otherChain = chainA
		}
		for i := range blk.ExecMsgs {
			id := &blk.ExecMsgs[i].Msg.Identifier
			if id.ChainID != otherChain || id.BlockNumber != other.Number {
				continue
			}
			origin, msgHash := plainLog(&otherChain, other.Hash, id.LogIndex)
			id.Origin, blk.ExecMsgs[i].Msg.MsgHash = origin, msgHash
		}
	}
	for _, blk := range []*logindex.Block{a, b} {
		chain := chainA
		if blk == b {
			chain = chainB
		}
		if err := w.idx[chain].Append(blk); err != nil {
			w.t.Fatal(err)
		}
	}
}

// A depends on B, which depends on an invalid block of C: C is denied first; B and A
// wait, then are denied in turn as their dependencies are replaced.
func TestTransitiveInvalidation(t *testing.T) {
	w := newWorld(t, chainA, chainB, chainC)
	for _, c := range []uint256.Int{chainA, chainB, chainC} {
		w.upTo(c, 3)
	}
	bad := execOf(chainA, 2, 1)
	bad.bad = true
	w.add(chainC, plain(), bad)                  // C4: invalid
	w.add(chainB, plain(), execOf(chainC, 4, 0)) // B4 executes C4
	w.add(chainA, plain(), execOf(chainB, 4, 0)) // A4 executes B4
	w.resolve()
	if !w.denied(chainC, 4) || w.denied(chainB, 4) || w.denied(chainA, 4) {
		t.Fatalf("denied C %v B %v A %v, want only C", w.denied(chainC, 4), w.denied(chainB, 4), w.denied(chainA, 4))
	}
	w.replace(chainC, 4)
	w.resolve()
	if !w.denied(chainB, 4) || w.denied(chainA, 4) {
		t.Fatalf("after C4's replacement: denied B %v A %v, want B only", w.denied(chainB, 4), w.denied(chainA, 4))
	}
	w.replace(chainB, 4)
	w.resolve()
	if !w.denied(chainA, 4) {
		t.Fatal("A4 not denied after B4's replacement")
	}
	w.replace(chainA, 4)
	w.resolve()
	for _, c := range []uint256.Int{chainA, chainB, chainC} {
		wantHead(t, w, c, "cross-unsafe", 4)
	}
}

// A reorg of unsafe blocks re-opens what depended on them: B6 executed a log of A5; A5 is
// replaced; B's cross-unsafe goes back below B6, and B6 is then found invalid.
func TestUnsafeReorgReopensDependents(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 5)
	w.upTo(chainB, 5)
	w.add(chainB, plain(), execOf(chainA, 5, 1)) // B6
	w.add(chainB)                                // B7
	w.resolve()
	wantHead(t, w, chainB, "cross-unsafe", 7)
	w.replace(chainA, 5)
	ds := w.resolve()
	if len(ds) == 0 || ds[0].Kind != Rewind {
		t.Fatalf("first decision after the reorg: %s", kinds(ds))
	}
	got := map[string]uint64{}
	for _, h := range ds[0].Heads {
		got[h.Chain.Dec()] = h.Block.Number
	}
	if got["901"] != 4 || got["902"] != 5 {
		t.Fatalf("rewind heads %v, want A to 4 and B to 5", got)
	}
	if !w.denied(chainB, 6) {
		t.Fatalf("B6 not denied after A5 was replaced (decisions %s)", kinds(ds))
	}
	wantHead(t, w, chainA, "cross-unsafe", 5)
	wantHead(t, w, chainB, "cross-unsafe", 5)
}

// Cross-safe needs local-safe and never passes what its dependencies have reached; it
// follows a local-safe label back; finalized is the lower of cross-safe and
// local-finalized.
func TestCrossSafeAndFinalized(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 6)
	w.upTo(chainB, 4)
	w.add(chainB, plain(), execOf(chainA, 4, 0)) // B5 executes A4
	w.add(chainB)                                // B6
	w.resolve()
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 3))
	w.engine.SetLocalSafe(&chainB, w.ref(chainB, 6))
	w.resolve()
	wantHead(t, w, chainA, "safe", 3)
	wantHead(t, w, chainB, "safe", 4) // B5 waits for A4
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 6))
	w.resolve()
	wantHead(t, w, chainA, "safe", 6)
	wantHead(t, w, chainB, "safe", 6)

	// An L1 reorg takes A's local-safe back to 4: A's cross-safe follows, and B5, which
	// executes A4, stays; a label back to 3 takes B back below B5.
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 4))
	w.resolve()
	wantHead(t, w, chainA, "safe", 4)
	wantHead(t, w, chainB, "safe", 6)
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 3))
	ds := w.resolve()
	wantHead(t, w, chainA, "safe", 3)
	wantHead(t, w, chainB, "safe", 4)
	if len(ds) == 0 || ds[0].Kind != Rewind || ds[0].Level != safety.Safe {
		t.Fatalf("decisions %s, want a rewind of safe first", kinds(ds))
	}
	wantHead(t, w, chainB, "cross-unsafe", 6) // a safe label does not touch cross-unsafe

	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 6))
	w.engine.SetLocalFinalized(&chainA, w.ref(chainA, 5))
	w.engine.SetLocalFinalized(&chainB, w.ref(chainB, 2))
	w.resolve()
	wantHead(t, w, chainA, "safe", 6)
	wantHead(t, w, chainB, "safe", 6)
	wantHead(t, w, chainA, "finalized", 5)
	wantHead(t, w, chainB, "finalized", 2)
	// Local-finalized above cross-safe: finalized stops at cross-safe.
	w.engine.SetLocalFinalized(&chainB, w.ref(chainB, 6))
	w.engine.SetLocalSafe(&chainB, w.ref(chainB, 5))
	w.resolve()
	wantHead(t, w, chainB, "safe", 5)
	wantHead(t, w, chainB, "finalized", 5)
	// Finalized never goes back, and neither does cross-safe below it.
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 3))
	w.resolve()
	wantHead(t, w, chainA, "finalized", 5)
	if got := w.head(chainA, "safe"); got < 5 {
		t.Fatalf("cross-safe %d below finalized 5", got)
	}
	// Stored: a reopened engine has cross-safe and finalized, and cross-unsafe restarts at
	// cross-safe and catches up.
	w.open()
	wantHead(t, w, chainA, "finalized", 5)
	wantHead(t, w, chainB, "safe", 5)
	w.engine.SetLocalSafe(&chainB, w.ref(chainB, 6))
	w.resolve()
	wantHead(t, w, chainB, "cross-unsafe", 6)
	wantHead(t, w, chainB, "safe", 6)
}

// The checker's minimum-safety answers come from the engine once it is the view.
func TestEngineIsTheCheckersSafetyView(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 4)
	w.upTo(chainB, 4)
	w.checker.SetSafetyView(w.engine)
	m := w.message(execOf(chainA, 4, 1))
	entries := accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&m.Identifier, m.MsgHash)})
	desc := checker.ExecutingDescriptor{ChainID: chainB, Timestamp: ts(5)}
	err := w.checker.CheckAccessList(context.Background(), entries, safety.CrossUnsafe, desc)
	if !errors.Is(err, checker.ErrSafetyNotReached) {
		t.Fatalf("before the engine ran: %v, want not cross-unsafe yet", err)
	}
	w.resolve()
	if err := w.checker.CheckAccessList(context.Background(), entries, safety.CrossUnsafe, desc); err != nil {
		t.Fatalf("cross-unsafe: %v", err)
	}
	if err := w.checker.CheckAccessList(context.Background(), entries, safety.Safe, desc); !errors.Is(err, checker.ErrSafetyNotReached) {
		t.Fatalf("safe before any local-safe label: %v", err)
	}
	w.engine.SetLocalSafe(&chainA, w.ref(chainA, 4))
	w.resolve()
	if err := w.checker.CheckAccessList(context.Background(), entries, safety.Safe, desc); err != nil {
		t.Fatalf("safe: %v", err)
	}
}
