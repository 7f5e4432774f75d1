package crosssafety

import (
	"slices"
	"strings"
	"testing"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/logindex"
)

// FuzzEngineInvariants drives three chains through random blocks (plain, executing valid
// or broken messages of any chain and height), reorgs, local-safe and local-finalized labels
// and restarts of the engine, on a node that follows all three or only two (then the first
// two execute logs of a chain it cannot see), resolving in between, and checks after each
// resolution what must hold whatever the history:
//   - cross-unsafe and cross-safe heads are blocks the index has (canonical), cross-safe is
//     at or below cross-unsafe and the local-safe label (once one is known after a restart,
//     and unless the label is below finalized, which is ignored), finalized at or below
//     cross-safe;
//   - every block at or below a level's head passes the checker and names only blocks at or
//     below that level's head of their chain (safety is closed under dependencies), except
//     finalized blocks, which are frozen (see below);
//   - no block at or below cross-unsafe is denied, and no block is denied for a message of a
//     chain the node cannot see, but by the timing rules, which need no index.
func FuzzEngineInvariants(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0x0a, 4, 0, 3, 0, 3, 1, 4, 0})
	f.Add([]byte{1, 0x13, 1, 0x81, 4, 0, 2, 0, 4, 0, 3, 5, 4, 0})
	f.Add([]byte{0, 1, 0, 2, 1, 0x04, 1, 0x25, 4, 0, 3, 0, 3, 1, 3, 2, 4, 0, 2, 1, 4, 0})
	f.Add([]byte{0, 0, 0, 0, 1, 0x01, 3, 0, 3, 1, 4, 0, 5, 0, 5, 1, 4, 0, 6, 0, 4, 0, 2, 0, 4, 0})
	f.Add([]byte{0, 2, 0, 2, 1, 0x06, 1, 0x07, 3, 0, 3, 1, 4, 0, 1, 0x86, 4, 0, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 128 {
			ops = ops[:128]
		}
		chains := []uint256.Int{chainA, chainB, chainC}
		w := newWorld(t, chains...)
		// An odd-length input whose last byte is odd runs a node that does not follow C: C's
		// blocks are made all the same, and A and B execute its logs.
		seen := chains
		if len(ops)%2 == 1 && ops[len(ops)-1]&1 == 1 {
			seen = chains[:2]
			w.unseeChains(seen...)
		}
		headOf := func(c uint256.Int) uint64 { h, _ := w.idx[c].Head(); return h.Number }
		back := func(c uint256.Int, k uint64) uint64 { return max(headOf(c), k) - k }
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%7, uint64(ops[i+1])
			c := chains[arg%3]
			switch op {
			case 0:
				w.add(c)
			case 1:
				y := chains[(arg/3)%3]
				e := execOf(y, max(back(y, (arg/9)%3), 1), uint32(arg%2))
				e.bad = arg&0x80 != 0
				w.add(c, plain(), e)
			case 2:
				// Chains never reorg at or below finalized (the engine halts such a chain's
				// safety on purpose), so neither do these.
				fin := int64(-1) // an unseen chain has no safety here
				if slices.Contains(seen, c) {
					fin = w.head(c, "finalized")
				}
				if n := back(c, (arg/3)%3); n >= 2 && int64(n) > fin {
					w.replace(c, n)
				}
			case 3:
				w.engine.SetLocalSafe(&c, w.ref(c, back(c, (arg/3)%4))) // refused for an unseen chain
			case 4:
				w.resolve()
				checkInvariants(t, w, seen)
			case 5:
				w.engine.SetLocalFinalized(&c, w.ref(c, back(c, 2+(arg/3)%4))) // likewise
			case 6:
				// A restart: the engine reopens from what it stored (cross-safe, finalized,
				// the deny list) and catches up; the labels come again from the consensus side.
				w.open()
			}
		}
		w.resolve()
		checkInvariants(t, w, seen)
	})
}

// checkInvariants checks the engine's state over chains, the chains it runs. A block that
// names another chain (one the node does not see) is never cross-unsafe, and is denied only
// for what needs no index (the timing rules).
func checkInvariants(t *testing.T, w *world, chains []uint256.Int) {
	t.Helper()
	for _, c := range chains {
		ds, err := w.engine.DeniedBlocks(&c)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			for _, u := range []uint256.Int{chainA, chainB, chainC} {
				if slices.Contains(chains, u) || !strings.Contains(d.Reason, "of chain "+u.Dec()+",") {
					continue
				}
				if !strings.Contains(d.Reason, "initiated in the future") && !strings.Contains(d.Reason, "expired") {
					t.Fatalf("chain %s block %d denied for a message of unseen chain %s: %s", c.Dec(), d.Block.Number, u.Dec(), d.Reason)
				}
			}
		}
	}
	heads := map[uint256.Int]Heads{}
	for _, c := range chains {
		hs, err := w.engine.Heads(&c)
		if err != nil {
			t.Fatal(err)
		}
		heads[c] = hs
		canonical := func(level string, r *logindex.BlockRef) {
			if r == nil {
				return
			}
			got, err := w.idx[c].BlockRef(r.Number)
			if err != nil || got.Hash != r.Hash {
				t.Fatalf("chain %s %s head %d is not the indexed block (%v)", c.Dec(), level, r.Number, err)
			}
		}
		canonical("cross-unsafe", hs.CrossUnsafe)
		canonical("cross-safe", hs.CrossSafe)
		if hs.CrossSafe != nil {
			if hs.CrossUnsafe == nil || hs.CrossSafe.Number > hs.CrossUnsafe.Number {
				t.Fatalf("chain %s cross-safe %d above cross-unsafe %v", c.Dec(), hs.CrossSafe.Number, hs.CrossUnsafe)
			}
			// After a restart cross-safe is the stored head until the label comes again; a
			// label below finalized is ignored (finalized never goes back).
			belowFinal := hs.LocalSafe != nil && hs.Finalized != nil && hs.LocalSafe.Number < hs.Finalized.Number
			if hs.LocalSafe != nil && !belowFinal && hs.CrossSafe.Number > hs.LocalSafe.Number {
				t.Fatalf("chain %s cross-safe %d above local-safe %v", c.Dec(), hs.CrossSafe.Number, hs.LocalSafe)
			}
		}
		if hs.Finalized != nil && (hs.CrossSafe == nil || hs.Finalized.Number > hs.CrossSafe.Number) {
			t.Fatalf("chain %s finalized %d above cross-safe %v", c.Dec(), hs.Finalized.Number, hs.CrossSafe)
		}
	}
	level := func(hs Heads, safe bool) *logindex.BlockRef {
		if safe {
			return hs.CrossSafe
		}
		return hs.CrossUnsafe
	}
	for _, safe := range []bool{false, true} {
		for _, c := range chains {
			top := level(heads[c], safe)
			if top == nil {
				continue
			}
			first, _ := w.idx[c].First()
			for n := first.Number; n <= top.Number; n++ {
				ref, err := w.idx[c].BlockRef(n)
				if err != nil {
					t.Fatal(err)
				}
				msgs, err := w.idx[c].ExecMsgs(n)
				if err != nil {
					t.Fatal(err)
				}
				// A finalized block stays, whatever happens to its dependencies later: the
				// fuzzer's inputs are per chain and may reorg or take back (labels) what
				// another chain's finalized block depends on, which chains deriving from one
				// L1 cannot; or a restart after a deep reorg may forget that a dependency was
				// cross-safe (an underclaim until its next label). Its dependencies were
				// checked when it became cross-safe.
				if fin := heads[c].Finalized; fin != nil && n <= fin.Number {
					continue
				}
				if !safe {
					if d, _ := w.engine.IsDenied(&c, n, ref.Hash); d {
						t.Fatalf("chain %s block %d is cross-unsafe and denied", c.Dec(), n)
					}
					if len(msgs) > 0 {
						if v := w.checker.VerifyBlockExecMsgs(&c, &logindex.Block{BlockRef: ref, ExecMsgs: msgs}); v.Status != checker.Valid {
							t.Fatalf("chain %s block %d is cross-unsafe but its messages are not valid: %v", c.Dec(), n, v.Err)
						}
					}
				}
				for _, m := range msgs {
					id := &m.Msg.Identifier
					if id.ChainID == c && id.BlockNumber == n {
						continue
					}
					dep := level(heads[id.ChainID], safe)
					if dep == nil || dep.Number < id.BlockNumber {
						t.Fatalf("chain %s block %d (safe=%v) executes block %d of chain %s, whose head there is %v", c.Dec(), n, safe, id.BlockNumber, id.ChainID.Dec(), dep)
					}
				}
			}
		}
	}
}
