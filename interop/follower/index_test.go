package follower

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
)

// newIndex is the real log index of the test chain over an in-memory database.
func newIndex(t testing.TB) *logindex.ChainIndex {
	t.Helper()
	idx, err := logindex.Open(memorydb.New(), uint256.NewInt(testChainID), logindex.Options{Retention: logindex.NoPruning})
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// failingIndex is an index whose Append fails (a broken disk).
type failingIndex struct {
	logindex.Writer
	err error
}

func (f *failingIndex) Append(*logindex.Block) error { return f.err }

// failingStore is a real key-value store whose writes fail once fail is set (a full or
// broken disk under a real log index).
type failingStore struct {
	ethdb.KeyValueStore
	fail atomic.Bool
}

var errDiskFull = errors.New("disk full")

func newFailingStore() *failingStore { return &failingStore{KeyValueStore: memorydb.New()} }

func (s *failingStore) Put(key, value []byte) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return s.KeyValueStore.Put(key, value)
}

func (s *failingStore) Delete(key []byte) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return s.KeyValueStore.Delete(key)
}

func (s *failingStore) NewBatch() ethdb.Batch {
	return &failingBatch{Batch: s.KeyValueStore.NewBatch(), s: s}
}

func (s *failingStore) NewBatchWithSize(size int) ethdb.Batch {
	return &failingBatch{Batch: s.KeyValueStore.NewBatchWithSize(size), s: s}
}

type failingBatch struct {
	ethdb.Batch
	s *failingStore
}

func (b *failingBatch) Write() error {
	if b.s.fail.Load() {
		return errDiskFull
	}
	return b.Batch.Write()
}
