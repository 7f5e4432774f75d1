package crosssafety

import (
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/safety"
)

// The seed's transitive-dependency picture (issue 10): chains A–E and F–G, A↔B, B↔C, B↔D,
// D↔E, F↔G. A's direct set is {B}, its transitive set {B, C, D, E}: a block of A is safe
// only once what it executes on B is, and so on down to E. F and G are a cluster apart.
var (
	chainE = *uint256.NewInt(905)
	chainF = *uint256.NewInt(906)
	chainG = *uint256.NewInt(907)

	seedChains = []uint256.Int{chainA, chainB, chainC, chainD, chainE, chainF, chainG}
)

const seedCluster = "901:902,902:901+903+904,903:902,904:902+905,905:904,906:907,907:906"

// The picture's chain of dependencies, by block number (block n has timestamp ts(n) on
// every chain): A6 (a1) executes a log of B5 (b1), which executes one of D4 (d1), which
// executes one of E3 (e1).
const (
	e1 = 3
	d1 = 4
	b1 = 5
	a1 = 6
)

// newSeedWorld is the test world over chains A–G with the checker applying the seed's
// per-chain dependency sets.
func newSeedWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, seedChains...)
	g, err := cluster.ParseSpec(seedCluster)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Transitive(&chainA); !slices.Equal(got, []uint256.Int{chainB, chainC, chainD, chainE}) {
		t.Fatalf("transitive set of A %v", got)
	}
	if got := g.Transitive(&chainF); !slices.Equal(got, []uint256.Int{chainG}) {
		t.Fatalf("transitive set of F %v", got)
	}
	indexes := checker.IndexSet{}
	for id, x := range w.idx {
		indexes[id] = x
	}
	w.checker = checker.New(w.set, indexes, checker.Config{Cluster: g, Logger: log.NewLogger(log.DiscardHandler())})
	w.open()
	return w
}

// addSeedPicture appends the picture's blocks; e1 gets e1Logs (log 0 and 1 are what d1
// names). Heads: A7, B6, C6, D5, E4, F5, G4, every block above its chain's link plain.
func addSeedPicture(w *world, e1Logs ...entry) {
	w.t.Helper()
	for _, c := range seedChains {
		w.upTo(c, 2)
	}
	w.add(chainE, e1Logs...)                      // E3 = e1
	w.add(chainE)                                 // E4
	w.add(chainD)                                 // D3
	w.add(chainD, plain(), execOf(chainE, e1, 1)) // D4 = d1
	w.add(chainD)                                 // D5
	w.upTo(chainB, b1-1)
	w.add(chainB, plain(), execOf(chainD, d1, 0)) // B5 = b1
	w.add(chainB)                                 // B6
	w.upTo(chainA, a1-1)
	w.add(chainA, plain(), execOf(chainB, b1, 0)) // A6 = a1
	w.add(chainA)                                 // A7
	w.upTo(chainC, 6)
	// F and G execute each other's logs, at earlier and at the same timestamps.
	w.add(chainF)                                // F3
	w.add(chainG, plain(), execOf(chainF, 3, 0)) // G3 (same timestamp as F3)
	w.add(chainF, plain(), execOf(chainG, 3, 0)) // F4
	w.add(chainG, execOf(chainF, 4, 0), plain()) // G4 (same timestamp as F4)
	w.add(chainF, execOf(chainG, 4, 1), plain()) // F5
}

// labelHeads sets the local-safe label of each chain to its index head.
func labelHeads(w *world, chains ...uint256.Int) {
	w.t.Helper()
	for _, c := range chains {
		h, _ := w.idx[c].Head()
		if err := w.engine.SetLocalSafe(&c, h); err != nil {
			w.t.Fatal(err)
		}
	}
}

func indexHead(w *world, c uint256.Int) int64 {
	h, _ := w.idx[c].Head()
	return int64(h.Number)
}

// wantSafeClosed fails unless cross-safety is closed over the dependencies: every
// cross-safe block is at or below its chain's local-safe label and executes only logs of
// blocks that are cross-safe themselves (so, by induction, a chain is never safer than
// its transitive set allows).
func wantSafeClosed(t *testing.T, w *world) {
	t.Helper()
	for _, c := range seedChains {
		hs, err := w.engine.Heads(&c)
		if err != nil {
			t.Fatal(err)
		}
		if hs.CrossSafe == nil {
			continue
		}
		if hs.LocalSafe == nil || hs.CrossSafe.Number > hs.LocalSafe.Number {
			t.Fatalf("chain %s cross-safe at %d above its local-safe label %v", c.Dec(), hs.CrossSafe.Number, hs.LocalSafe)
		}
		first, _ := w.idx[c].First()
		for n := first.Number; n <= hs.CrossSafe.Number; n++ {
			msgs, err := w.idx[c].ExecMsgs(n)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				id := &m.Msg.Identifier
				if id.ChainID == c && id.BlockNumber == n {
					continue
				}
				if got := w.head(id.ChainID, "safe"); got < int64(id.BlockNumber) {
					t.Fatalf("block %d of chain %s is cross-safe but executes a log of block %d of chain %s, cross-safe only to %d",
						n, c.Dec(), id.BlockNumber, id.ChainID.Dec(), got)
				}
			}
		}
	}
}

// noSafeAdvance fails if ds advances the cross-safe head of one of chains.
func noSafeAdvance(t *testing.T, ds []Decision, chains ...uint256.Int) {
	t.Helper()
	for _, d := range ds {
		if d.Kind != Advance || d.Level != safety.Safe {
			continue
		}
		for _, h := range d.Heads {
			if slices.Contains(chains, h.Chain) {
				t.Fatalf("cross-safe advanced: %s", d.String())
			}
		}
	}
}

// A delayed local-safe label of E holds back, through the dependencies, the cross-safety
// of D, B and A (E's transitive dependents) and of nothing else, however many blocks
// arrive on top; once E's label covers e1 they all become cross-safe in one resolution.
func TestTransitiveSafetyWaitsForTheFarthestChain(t *testing.T) {
	w := newSeedWorld(t)
	addSeedPicture(w, plain(), plain())
	labelHeads(w, chainA, chainB, chainC, chainD, chainF, chainG)
	if err := w.engine.SetLocalSafe(&chainE, w.ref(chainE, e1-1)); err != nil {
		t.Fatal(err)
	}
	w.resolve()
	// E's blocks are valid local-unsafe data: cross-unsafe does not wait for E's label.
	for _, c := range seedChains {
		wantHead(t, w, c, "cross-unsafe", indexHead(w, c))
	}
	wantHead(t, w, chainE, "safe", e1-1)
	wantHead(t, w, chainD, "safe", d1-1)
	wantHead(t, w, chainB, "safe", b1-1)
	wantHead(t, w, chainA, "safe", a1-1)
	for _, c := range []uint256.Int{chainC, chainF, chainG} {
		wantHead(t, w, c, "safe", indexHead(w, c))
	}
	wantSafeClosed(t, w)

	// More blocks on D, B and A, each executing the previous link (and D's naming e1
	// again), labelled local-safe as they come: none of A, B, D gets past its stop.
	for round := 0; round < 6; round++ {
		dn := w.add(chainD, plain(), execOf(chainE, e1, 0)).Number
		bn := w.add(chainB, plain(), execOf(chainD, dn, 0)).Number
		w.add(chainA)
		w.add(chainA, plain(), execOf(chainB, bn, 0))
		labelHeads(w, chainA, chainB, chainD)
		for range 3 {
			noSafeAdvance(t, w.resolve(), chainA, chainB, chainD, chainE)
		}
		for _, c := range []uint256.Int{chainA, chainB, chainD} {
			wantHead(t, w, c, "cross-unsafe", indexHead(w, c))
		}
		wantHead(t, w, chainE, "safe", e1-1)
		wantHead(t, w, chainD, "safe", d1-1)
		wantHead(t, w, chainB, "safe", b1-1)
		wantHead(t, w, chainA, "safe", a1-1)
		wantSafeClosed(t, w)
	}
	for _, c := range []uint256.Int{chainC, chainF, chainG} {
		wantHead(t, w, c, "safe", indexHead(w, c))
	}

	// E's label reaches e1 (not E4): one resolution makes D, B and A cross-safe through
	// d1, b1, a1 and up to their heads, since nothing above names E4.
	if err := w.engine.SetLocalSafe(&chainE, w.ref(chainE, e1)); err != nil {
		t.Fatal(err)
	}
	ds := w.resolve()
	for _, d := range ds {
		if d.Kind != Advance || d.Level != safety.Safe {
			t.Fatalf("unexpected decision %s", d.String())
		}
	}
	wantHead(t, w, chainE, "safe", e1)
	for _, c := range []uint256.Int{chainA, chainB, chainD} {
		wantHead(t, w, c, "safe", indexHead(w, c))
	}
	wantSafeClosed(t, w)
	labelHeads(w, chainE)
	w.resolve()
	wantHead(t, w, chainE, "safe", indexHead(w, chainE))
	wantSafeClosed(t, w)
}

// When e1 goes (reorged out while unsafe, or denied for an invalid message and replaced),
// d1, b1 and a1 are denied in turn, each once the block it names is replaced; F and G, in
// a cluster apart, see no denial and no rewind, and their heads do not move.
func TestTransitiveInvalidationSparesOtherCluster(t *testing.T) {
	bad := execOf(chainD, 2, 0)
	bad.bad = true
	for _, tc := range []struct {
		name   string
		e1Logs []entry
		// lose takes e1 away: a reorg of the index, or its denial and replacement.
		lose func(t *testing.T, w *world) []Decision
	}{
		{
			name:   "e1 reorged out",
			e1Logs: []entry{plain(), plain()},
			lose: func(t *testing.T, w *world) []Decision {
				w.replace(chainE, e1)
				ds := w.resolve()
				if len(ds) == 0 || ds[0].Kind != Rewind || ds[0].Level != safety.CrossUnsafe {
					t.Fatalf("first decision after the reorg: %s", kinds(ds))
				}
				var rewound []string
				for _, h := range ds[0].Heads {
					rewound = append(rewound, h.Chain.Dec())
				}
				// E and its dependents: A, B, D.
				if got := rewound; !slices.Equal(got, []string{"901", "902", "904", "905"}) {
					t.Fatalf("rewound chains %v, want A, B, D, E", got)
				}
				return ds
			},
		},
		{
			name:   "e1 executes an invalid message",
			e1Logs: []entry{plain(), plain(), bad},
			lose: func(t *testing.T, w *world) []Decision {
				ds := w.resolve()
				if !w.denied(chainE, e1) || w.denied(chainD, d1) {
					t.Fatalf("denied E %v D %v, want E only (decisions %s)", w.denied(chainE, e1), w.denied(chainD, d1), kinds(ds))
				}
				wantHead(t, w, chainD, "cross-unsafe", d1-1)
				w.replace(chainE, e1)
				return append(ds, w.resolve()...)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newSeedWorld(t)
			addSeedPicture(w, tc.e1Logs...)
			labelHeads(w, chainA, chainB, chainC, chainD, chainF, chainG)
			if err := w.engine.SetLocalSafe(&chainE, w.ref(chainE, e1-1)); err != nil {
				t.Fatal(err)
			}
			all := w.resolve()
			fHead, gHead := w.ref(chainF, uint64(indexHead(w, chainF))), w.ref(chainG, uint64(indexHead(w, chainG)))
			bystanders := func() {
				t.Helper()
				for _, c := range []struct {
					id   uint256.Int
					head int64
				}{{chainF, int64(fHead.Number)}, {chainG, int64(gHead.Number)}} {
					wantHead(t, w, c.id, "cross-unsafe", c.head)
					wantHead(t, w, c.id, "safe", c.head)
					if ds, _ := w.engine.DeniedBlocks(&c.id); len(ds) != 0 {
						t.Fatalf("chain %s has denials %v", c.id.Dec(), ds)
					}
				}
				if w.ref(chainF, fHead.Number) != fHead || w.ref(chainG, gHead.Number) != gHead {
					t.Fatal("F or G head replaced")
				}
			}
			bystanders()

			all = append(all, tc.lose(t, w)...)
			if !w.denied(chainD, d1) || w.denied(chainB, b1) || w.denied(chainA, a1) {
				t.Fatalf("after e1 went: denied D %v B %v A %v, want D only", w.denied(chainD, d1), w.denied(chainB, b1), w.denied(chainA, a1))
			}
			wantHead(t, w, chainD, "cross-unsafe", d1-1)
			wantHead(t, w, chainB, "cross-unsafe", b1-1)
			wantHead(t, w, chainA, "cross-unsafe", a1-1)
			wantSafeClosed(t, w)
			bystanders()

			// Each replacement (labelled local-safe, as its consensus side would) turns the
			// next link invalid: the block it names is not there any more.
			w.replace(chainD, d1)
			labelHeads(w, chainD)
			all = append(all, w.resolve()...)
			if !w.denied(chainB, b1) || w.denied(chainA, a1) {
				t.Fatalf("after d1's replacement: denied B %v A %v, want B only", w.denied(chainB, b1), w.denied(chainA, a1))
			}
			wantHead(t, w, chainA, "cross-unsafe", a1-1)
			bystanders()
			w.replace(chainB, b1)
			labelHeads(w, chainB)
			all = append(all, w.resolve()...)
			if !w.denied(chainA, a1) {
				t.Fatal("a1 not denied after b1's replacement")
			}
			bystanders()
			w.replace(chainA, a1)
			labelHeads(w, chainA, chainE)
			all = append(all, w.resolve()...)

			// The replacements stand: everything is cross-safe at its head, nothing there
			// denied, and the deny list holds exactly the lost links.
			for _, c := range seedChains {
				wantHead(t, w, c, "cross-unsafe", indexHead(w, c))
				wantHead(t, w, c, "safe", indexHead(w, c))
				if w.denied(c, uint64(indexHead(w, c))) {
					t.Fatalf("chain %s head denied", c.Dec())
				}
			}
			wantSafeClosed(t, w)
			bystanders()
			for _, c := range []struct {
				id   uint256.Int
				want []uint64
			}{{chainA, []uint64{a1}}, {chainB, []uint64{b1}}, {chainC, nil}, {chainD, []uint64{d1}}} {
				ds, _ := w.engine.DeniedBlocks(&c.id)
				var got []uint64
				for _, d := range ds {
					got = append(got, d.Block.Number)
				}
				if !slices.Equal(got, c.want) {
					t.Fatalf("chain %s denied blocks %v, want %v", c.id.Dec(), got, c.want)
				}
			}
			for _, d := range all {
				for _, h := range d.Heads {
					if d.Kind == Rewind && (h.Chain == chainF || h.Chain == chainG) {
						t.Fatalf("bystander rewound: %s", d.String())
					}
				}
				for _, x := range d.Denied {
					if x.Chain == chainF || x.Chain == chainG {
						t.Fatalf("bystander denied: %s", d.String())
					}
				}
			}
		})
	}
}
