package crosssafety

import (
	"errors"
	"testing"

	"github.com/xgeth/xgeth/interop/safety"
)

// A decision written ahead but not applied (a crash between the two) is replayed when the
// engine opens, and the result is the same as if it had been applied once.
func TestWriteAheadDecisionReplayed(t *testing.T) {
	w := newWorld(t)
	w.upTo(chainA, 4)
	w.upTo(chainB, 4)
	target := w.ref(chainB, 4)
	d := Decision{Kind: Invalidate, Denied: []Denial{{Chain: chainB, Block: target, Reason: "test", Message: 0, Time: 1}}}
	if err := w.engine.store.writeAhead(&d); err != nil {
		t.Fatal(err)
	}
	w.open() // the crash: nothing was applied
	if !w.denied(chainB, 4) {
		t.Fatal("pending invalidation not replayed")
	}
	if p, err := w.engine.store.pending(); err != nil || p != nil {
		t.Fatalf("write-ahead record left after replay: %v %v", p, err)
	}
	// Replaying twice changes nothing more.
	if err := w.engine.store.writeAhead(&d); err != nil {
		t.Fatal(err)
	}
	w.open()
	ds, _ := w.engine.Denials(&chainB, 4)
	if len(ds) != 1 {
		t.Fatalf("%d denials after a second replay, want 1", len(ds))
	}

	adv := Decision{Kind: Advance, Level: safety.Safe, Heads: []ChainHead{{Chain: chainA, Block: w.ref(chainA, 3)}}}
	if err := w.engine.store.writeAhead(&adv); err != nil {
		t.Fatal(err)
	}
	w.open()
	wantHead(t, w, chainA, "safe", 3)
}

// Stored state that cannot be decoded is a clear error at open, never a panic or a guess.
func TestCorruptStoreRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		key  []byte
		val  string
	}{
		{"write-ahead record not JSON", walKey(), "{"},
		{"write-ahead record of no kind", walKey(), `{"kind":0}`},
		{"write-ahead record of kind wait", walKey(), `{"kind":1}`},
		{"write-ahead record of unknown kind", walKey(), `{"kind":9}`},
		{"write-ahead record with a bad chain ID", walKey(), `{"kind":3,"denied":[{"chain":"zz"}]}`},
		{"heads not JSON", headsKey(&chainA), "x"},
		{"heads with a bad block", headsKey(&chainA), `{"crossSafe":{"Number":"x"}}`},
		{"denial not JSON", deniedKey(&chainB, 3, [32]byte{}), "["},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			if err := w.db.Put(c.key, []byte(c.val)); err != nil {
				t.Fatal(err)
			}
			var cs []Chain
			for _, ch := range w.set.Chains() {
				cs = append(cs, Chain{ID: ch.ID, Index: w.idx[ch.ID]})
			}
			_, err := New(Config{Chains: cs, Verifier: w.checker, DB: w.db})
			if !errors.Is(err, ErrStoreCorrupt) {
				t.Fatalf("open: %v, want ErrStoreCorrupt", err)
			}
		})
	}
}

// A write-ahead record naming a chain the engine does not track is refused, not applied
// to a wrong chain.
func TestWriteAheadUnknownChain(t *testing.T) {
	w := newWorld(t)
	d := Decision{Kind: Invalidate, Denied: []Denial{{Chain: chainC, Block: w.ref(chainA, 1)}}}
	if err := w.engine.store.writeAhead(&d); err != nil {
		t.Fatal(err)
	}
	var cs []Chain
	for _, ch := range w.set.Chains() {
		cs = append(cs, Chain{ID: ch.ID, Index: w.idx[ch.ID]})
	}
	if _, err := New(Config{Chains: cs, Verifier: w.checker, DB: w.db}); !errors.Is(err, ErrStoreCorrupt) {
		t.Fatalf("open: %v, want ErrStoreCorrupt", err)
	}
}
