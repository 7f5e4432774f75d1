package logindex

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb/memorydb"
)

// Lookups that read the store race rewinds that delete what they read. A record missing
// because a rewind deleted it meanwhile is a race, never corruption: readers see the block,
// ErrFuture (a *RangeError), or ErrRetry, and never ErrCorrupt.
func TestLookupsRacingRewindsNeverCorrupt(t *testing.T) {
	x, err := Open(memorydb.New(), chainA, Options{RecentBlocks: 1, ReadCache: -1})
	if err != nil {
		t.Fatal(err)
	}
	blocks := appendChain(t, x, 0, 64, 1)
	const rounds = 400
	var (
		done atomic.Bool
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		for range rounds {
			if err := x.Rewind(31); err != nil {
				t.Errorf("rewind: %v", err)
				return
			}
			for _, b := range blocks[32:] {
				if err := x.Append(b); err != nil {
					t.Errorf("append %d: %v", b.Number, err)
					return
				}
			}
		}
	}()
	var seen [3]atomic.Int64 // found, above the head, retry
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !done.Load(); i++ {
				b := blocks[32+(i*7+g)%32]
				ref, err := x.BlockRef(b.Number)
				var re *RangeError
				switch {
				case err == nil && ref == b.BlockRef:
					seen[0].Add(1)
				case err == nil:
					t.Errorf("block %d: got %+v, want %+v", b.Number, ref, b.BlockRef)
					return
				case errors.As(err, &re) && errors.Is(err, ErrFuture):
					if re.Head.Number >= b.Number {
						t.Errorf("block %d above a head %d that holds it", b.Number, re.Head.Number)
						return
					}
					seen[1].Add(1)
				case errors.Is(err, ErrRetry):
					seen[2].Add(1)
				default:
					t.Errorf("block %d: %v", b.Number, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("found %d, above the head %d, retry %d", seen[0].Load(), seen[1].Load(), seen[2].Load())
	checkBlocks(t, x, blocks)
}
