// Package faultstore is a real key-value store whose writes fail on demand: a full or
// broken disk under a real log index, for tests that must tell a failure of this node's own
// store from bad data of a source.
package faultstore

import (
	"errors"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
)

// ErrDiskFull is what every write returns while Fail is set.
var ErrDiskFull = errors.New("disk full")

// Store is a memory database whose Put, Delete and batch writes fail while Fail is set.
type Store struct {
	ethdb.KeyValueStore
	Fail atomic.Bool
}

// New returns a Store over an empty memory database.
func New() *Store { return &Store{KeyValueStore: memorydb.New()} }

func (s *Store) Put(key, value []byte) error {
	if s.Fail.Load() {
		return ErrDiskFull
	}
	return s.KeyValueStore.Put(key, value)
}

func (s *Store) Delete(key []byte) error {
	if s.Fail.Load() {
		return ErrDiskFull
	}
	return s.KeyValueStore.Delete(key)
}

func (s *Store) NewBatch() ethdb.Batch {
	return &batch{Batch: s.KeyValueStore.NewBatch(), s: s}
}

func (s *Store) NewBatchWithSize(size int) ethdb.Batch {
	return &batch{Batch: s.KeyValueStore.NewBatchWithSize(size), s: s}
}

type batch struct {
	ethdb.Batch
	s *Store
}

func (b *batch) Write() error {
	if b.s.Fail.Load() {
		return ErrDiskFull
	}
	return b.Batch.Write()
}
