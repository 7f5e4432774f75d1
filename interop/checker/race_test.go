package checker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/safety"
)

// appendAfterMiss is chain A's real index that, right after a LogHash lookup found the
// block not indexed yet, appends that very block: the interleaving of a follower that
// indexes the block between the checker's reads.
type appendAfterMiss struct {
	*reader
	mu sync.Mutex
}

func (r *appendAfterMiss) LogHash(number uint64, logIndex uint32) (logindex.BlockRef, common.Hash, error) {
	ref, h, err := r.reader.LogHash(number, logIndex)
	if errors.Is(err, logindex.ErrFuture) {
		r.mu.Lock()
		if head, _ := r.ChainIndex.Head(); head.Number+1 == number {
			if aerr := r.ChainIndex.Append(testBlock(&chainA, number)); aerr != nil {
				panic(aerr)
			}
		}
		r.mu.Unlock()
	}
	return ref, h, err
}

// A valid message whose block is appended between the index lookup and anything the
// checker reads afterwards must get "no verdict yet" (or valid), never a definitive
// mismatch: the checker judges from what the one lookup saw.
func TestNoVerdictOnTornRead(t *testing.T) {
	w := newWorld(t, Config{})
	torn := &appendAfterMiss{reader: w.idx.byChain[chainA]}
	w.idx.byChain[chainA] = nil
	indexes := IndexSet{chainA: torn, chainB: w.idx.byChain[chainB]}
	c := New(w.set, indexes, Config{})

	next := uint64(headBlock + 1)
	err := c.CheckAccessList(context.Background(), enc(accessAt(chainA, next, 0)), safety.Unsafe, desc(blockTS(next+1)))
	if err == nil || !rpcerr.NoVerdictYet(err) {
		t.Fatalf("check of a message whose block was indexed mid-check: %v, want no verdict yet", err)
	}
	if err := c.CheckAccessList(context.Background(), enc(accessAt(chainA, next, 0)), safety.Unsafe, desc(blockTS(next+1))); err != nil {
		t.Fatalf("same check once the block is indexed: %v", err)
	}

	next++
	v := c.VerifyBlockExecMsgs(&chainB, execBlock(next+1, msgAt(chainA, next, 0)))
	if v.Status != Unknown {
		t.Fatalf("verdict on a block whose source block was indexed mid-verification: %v (%v), want unknown", v.Status, v.Err)
	}
	if v := c.VerifyBlockExecMsgs(&chainB, execBlock(next+1, msgAt(chainA, next, 0))); v.Status != Valid {
		t.Fatalf("same verification once the source block is indexed: %v (%v)", v.Status, v.Err)
	}
}

// The same with real goroutines: a follower appends blocks while checkers and block
// verifications race it for the newest block. Every answer must be valid or no verdict.
func TestConcurrentAppendNeverInvalid(t *testing.T) {
	const blocks = 3000
	db := memorydb.New()
	calls := new(atomic.Int64)
	idx := openIndex(t, db, chainA, calls, testBlock(&chainA, 0))
	set := newWorld(t, Config{}).set
	c := New(set, IndexSet{chainA: idx.ChainIndex}, Config{})

	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		for n := uint64(1); n <= blocks; n++ {
			if err := idx.ChainIndex.Append(testBlock(&chainA, n)); err != nil {
				t.Errorf("append %d: %v", n, err)
				return
			}
		}
	}()
	errs := make(chan error, 4)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				head, _ := idx.ChainIndex.Head()
				n := head.Number + 1 // the block being appended
				if n <= activationBlock {
					continue
				}
				var err error
				if g == 0 {
					err = c.CheckAccessList(context.Background(), enc(accessAt(chainA, n, 1)), safety.Unsafe, desc(blockTS(n+1)))
					if err != nil && !rpcerr.NoVerdictYet(err) {
						err = fmt.Errorf("check of block %d: %w", n, err)
					} else {
						err = nil
					}
				} else {
					exec := &logindex.Block{BlockRef: logindex.BlockRef{Number: n + 1, Timestamp: blockTS(n + 1)},
						ExecMsgs: []logindex.ExecMsg{{LogIndex: 0, Msg: msgAt(chainA, n, 1)}}}
					if v := c.VerifyBlockExecMsgs(&chainB, exec); v.Status == Invalid {
						err = fmt.Errorf("verification against block %d: invalid: %w", n, v.Err)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A lookup that kept racing rewinds (logindex.ErrRetry) or a store I/O error is no
// verdict and leaves the failsafe off; only logindex.ErrCorrupt is definitive.
func TestIndexReadFailuresAreNoVerdict(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		want     error
		verdict  bool
		failsafe bool
	}{
		{"lookup kept racing rewinds", fmt.Errorf("%w: block 25", logindex.ErrRetry), ErrIndexRead, false, false},
		{"store I/O error", fmt.Errorf("logindex: store: %w", errors.New("input/output error")), ErrIndexRead, false, false},
		{"corrupt record", fmt.Errorf("%w: block 25: bad checksum", logindex.ErrCorrupt), ErrIndexCorrupt, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, Config{})
			failing := &failingReader{reader: w.idx.byChain[chainA], err: tc.err}
			c := New(w.set, IndexSet{chainA: failing}, Config{Logger: w.checker.log})
			err := c.CheckAccessList(context.Background(), enc(accessAt(chainA, 25, 0)), safety.Unsafe, desc(nextTS))
			if !errors.Is(err, tc.want) || rpcerr.NoVerdictYet(err) == tc.verdict {
				t.Fatalf("check: %v, want %v with a verdict=%v", err, tc.want, tc.verdict)
			}
			if c.Failsafe() != tc.failsafe {
				t.Fatalf("failsafe %v, want %v", c.Failsafe(), tc.failsafe)
			}
			if v := c.VerifyBlockExecMsgs(&chainB, execBlock(30, msgAt(chainA, 25, 0))); v.Status != Unknown {
				t.Fatalf("block verification: %v (%v), want unknown", v.Status, v.Err)
			}
		})
	}
}

// failingReader fails every LogHash with err.
type failingReader struct {
	*reader
	err error
}

func (r *failingReader) LogHash(uint64, uint32) (logindex.BlockRef, common.Hash, error) {
	return logindex.BlockRef{}, common.Hash{}, r.err
}
