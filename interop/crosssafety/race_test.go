package crosssafety

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/safety"
)

// The engine resolves on its own goroutine while followers append to the indexes, inputs
// arrive and queries read its heads and deny list: under -race nothing is shared unguarded,
// the heads only name indexed blocks, and every block ends up cross-unsafe and cross-safe.
func TestEngineConcurrentWithWritersAndReaders(t *testing.T) {
	w := newWorld(t)
	w.engine.Start()
	defer w.engine.Stop()
	const top = 300
	var done atomic.Bool
	var wg sync.WaitGroup
	for _, c := range []uint256.Int{chainA, chainB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := chainB
			if c == chainB {
				other = chainA
			}
			for n := uint64(2); n < top; n++ {
				h, _ := w.idx[other].Head()
				if h.Number >= 2 && h.Number < n {
					// Execute a plain log of the other chain's newest block.
					w.add(c, plain(), execOf(other, h.Number, 0))
				} else {
					w.add(c)
				}
				w.engine.Notify()
				if n%10 == 0 {
					w.engine.SetLocalSafe(&c, w.ref(c, n-5))
				}
			}
		}()
	}
	readers := make(chan error, 2)
	for range 2 {
		go func() {
			for !done.Load() {
				for _, c := range []uint256.Int{chainA, chainB} {
					ref, ok, err := w.engine.Head(&c, safety.CrossUnsafe)
					if err != nil {
						readers <- err
						return
					}
					if ok {
						if got, err := w.idx[c].BlockRef(ref.Number); err != nil || got.Hash != ref.Hash {
							readers <- fmt.Errorf("chain %s cross-unsafe head %d (%s), index has %s: %v", c.Dec(), ref.Number, ref.Hash, got.Hash, err)
							return
						}
					}
					w.engine.IsDenied(&c, ref.Number, ref.Hash)
					w.engine.MaxDeniedHeight(&c)
					w.engine.Heads(&c)
				}
			}
			readers <- nil
		}()
	}
	wg.Wait()
	for _, c := range []uint256.Int{chainA, chainB} {
		w.engine.SetLocalSafe(&c, w.ref(c, top-1))
	}
	deadline := time.Now().Add(time.Minute)
	for _, c := range []uint256.Int{chainA, chainB} {
		for w.head(c, "safe") != top-1 {
			if time.Now().After(deadline) {
				t.Fatalf("chain %s: cross-unsafe %d, safe %d, want %d", c.Dec(), w.head(c, "cross-unsafe"), w.head(c, "safe"), top-1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	done.Store(true)
	for range 2 {
		if err := <-readers; err != nil {
			t.Fatal(err)
		}
	}
}
