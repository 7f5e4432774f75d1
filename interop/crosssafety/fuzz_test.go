package crosssafety

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/log"
	"github.com/xgeth/xgeth/interop/safety"
)

// FuzzStoredDecision opens an engine over a store whose write-ahead record is arbitrary
// bytes: it either replays a well-formed decision about its own chains or refuses with
// ErrStoreCorrupt, and never panics.
func FuzzStoredDecision(f *testing.F) {
	w := newWorld(f)
	for _, d := range []Decision{
		{Kind: Invalidate, Denied: []Denial{{Chain: chainB, Block: w.ref(chainB, 1), Reason: "x", Message: -1}}},
		{Kind: Advance, Level: safety.Safe, Heads: []ChainHead{{Chain: chainA, Block: w.ref(chainA, 1)}}},
		{Kind: Rewind, Level: safety.CrossUnsafe, Heads: []ChainHead{{Chain: chainA, None: true}}},
	} {
		raw, _ := json.Marshal(&d)
		f.Add(raw)
	}
	f.Add([]byte(`{"kind":2,"level":"finalized","heads":[{"chain":"0x385","block":{"Number":1}}]}`))
	f.Add([]byte(`{"kind":3,"denied":[{"chain":"0x386","block":{"Number":18446744073709551615}}]}`))
	var cs []Chain
	for _, c := range w.set.Chains() {
		cs = append(cs, Chain{ID: c.ID, Index: w.idx[c.ID]})
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		db := memorydb.New()
		if err := db.Put(walKey(), raw); err != nil {
			t.Fatal(err)
		}
		_, err := New(Config{Chains: cs, Verifier: w.checker, DB: db, Logger: log.NewLogger(log.DiscardHandler())})
		if err != nil && !errors.Is(err, ErrStoreCorrupt) {
			t.Fatalf("open: %v is not ErrStoreCorrupt", err)
		}
	})
}
