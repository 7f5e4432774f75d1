package txpool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	gethtxpool "github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types/interoptypes"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/safety"
)

// flakyStore is a real memory store whose reads fail while failing is set, as a disk
// that returns an I/O error for a moment.
type flakyStore struct {
	ethdb.KeyValueStore
	failing atomic.Bool
}

var errDisk = errors.New("read /data/interop/000123.sst: input/output error")

func (s *flakyStore) Get(key []byte) ([]byte, error) {
	if s.failing.Load() {
		return nil, errDisk
	}
	return s.KeyValueStore.Get(key)
}

func (s *flakyStore) Has(key []byte) (bool, error) {
	if s.failing.Load() {
		return false, errDisk
	}
	return s.KeyValueStore.Has(key)
}

// A store read that fails for a moment is no verdict: the pool's re-validation keeps the
// pooled transaction and the builder's check tells the miner not to drop it. Once the
// store reads again the same transaction is valid.
func TestTransientIndexReadErrorIsNoVerdict(t *testing.T) {
	store := &flakyStore{KeyValueStore: memorydb.New()}
	w := newWorld(t)
	// The world's own index, rebuilt over the flaky store; nothing of the newest blocks
	// kept in memory, so lookups of block 2 read the store.
	idx, err := logindex.Open(store, uint256.NewInt(srcChain), logindex.Options{RecentBlocks: 1, ReadCache: -1})
	if err != nil {
		t.Fatal(err)
	}
	w.idx, w.parent = idx, [32]byte{}
	for n := uint64(1); n <= indexedHead; n++ {
		w.appendBlock(t, n)
	}
	w.setCap(0)
	h := newHead()
	f, _ := newTestFilter(w, h, nil)
	ctx := context.Background()
	tx := interopTx(0, 100_000, msgAt(2, 1))
	if err := f.FilterTxReason(ctx, tx, false); err != nil {
		t.Fatalf("admission with a healthy store: %v", err)
	}

	store.failing.Store(true)
	f.Invalidate()
	err = f.FilterTxReason(ctx, tx, true)
	if err != nil {
		t.Fatalf("re-validation during a read failure evicted the transaction: %v", err)
	}
	if pooled := gethtxpool.ApplyIngressFilter(ctx, f, tx, true); pooled != nil {
		t.Fatalf("pool re-validation during a read failure evicted the transaction: %v", pooled)
	}
	// What the admission of a new transaction and the builder are told.
	err = w.checker.CheckAccessList(ctx, accesslist.InboxKeys(tx.AccessList()), safety.CrossUnsafe, checker.ExecutingDescriptor{ChainID: *uint256.NewInt(dstChain), Timestamp: h.next})
	if !errors.Is(err, checker.ErrIndexRead) || !rpcerr.NoVerdictYet(err) || errors.Is(err, rpcerr.DataCorruption) {
		t.Fatalf("check during a read failure: %v (code %v), want ErrIndexRead, no verdict yet", err, codeOf(err))
	}
	if w.checker.Failsafe() {
		t.Fatal("a transient read failure tripped the failsafe")
	}
	bc := &BuilderChecker{Checker: w.checker}
	desc := interoptypes.ExecutingDescriptor{Timestamp: h.next}
	desc.ChainID.SetUint64(dstChain)
	berr := bc.CheckAccessList(ctx, accesslist.InboxKeys(tx.AccessList()), interoptypes.CrossUnsafe, desc)
	var pending interface{ NoVerdictYet() bool }
	if berr == nil || !errors.As(berr, &pending) || !pending.NoVerdictYet() {
		t.Fatalf("builder check during a read failure: %v, want an error the miner keeps the transaction for", berr)
	}

	// The failure is not cached as the verdict of this index state: once the store reads
	// again, the next check answers without waiting for a new block.
	if err := f.FilterTxReason(ctx, tx, false); !errors.Is(err, checker.ErrIndexRead) {
		t.Fatalf("admission during a read failure: %v, want ErrIndexRead", err)
	}
	store.failing.Store(false)
	if err := f.FilterTxReason(ctx, tx, false); err != nil {
		t.Fatalf("admission after the store recovered, same index state: %v", err)
	}
	if err := bc.CheckAccessList(ctx, accesslist.InboxKeys(tx.AccessList()), interoptypes.CrossUnsafe, desc); err != nil {
		t.Fatalf("builder check after the store recovered: %v", err)
	}
}

func codeOf(err error) int {
	c, _ := rpcerr.CodeOf(err)
	return c
}
