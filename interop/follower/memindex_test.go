package follower

import (
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/xgeth/xgeth/interop/logindex"
)

// memIndex is a minimal in-memory logindex.Writer with the interface's documented
// semantics, standing in for the real index in tests.
type memIndex struct {
	mu        sync.Mutex
	blocks    []logindex.Block // contiguous, blocks[0] is First
	appendErr error            // when set, Append fails with it
}

var _ logindex.Writer = (*memIndex)(nil)

func (m *memIndex) Head() (logindex.BlockRef, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.blocks) == 0 {
		return logindex.BlockRef{}, false
	}
	return m.blocks[len(m.blocks)-1].BlockRef, true
}

func (m *memIndex) First() (logindex.BlockRef, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.blocks) == 0 {
		return logindex.BlockRef{}, false
	}
	return m.blocks[0].BlockRef, true
}

func (m *memIndex) block(number uint64) (*logindex.Block, error) {
	if len(m.blocks) == 0 {
		return nil, logindex.ErrEmpty
	}
	first := m.blocks[0].Number
	switch {
	case number < first:
		return nil, logindex.ErrPruned
	case number > m.blocks[len(m.blocks)-1].Number:
		return nil, logindex.ErrFuture
	}
	return &m.blocks[number-first], nil
}

func (m *memIndex) BlockRef(number uint64) (logindex.BlockRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.block(number)
	if err != nil {
		return logindex.BlockRef{}, err
	}
	return b.BlockRef, nil
}

func (m *memIndex) LogHash(number uint64, logIndex uint32) (logindex.BlockRef, common.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.block(number)
	if err != nil {
		return logindex.BlockRef{}, common.Hash{}, err
	}
	if int(logIndex) >= len(b.LogHashes) {
		return b.BlockRef, common.Hash{}, logindex.ErrLogNotFound
	}
	return b.BlockRef, b.LogHashes[logIndex], nil
}

func (m *memIndex) ExecMsgs(number uint64) ([]logindex.ExecMsg, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.block(number)
	if err != nil {
		return nil, err
	}
	return b.ExecMsgs, nil
}

func (m *memIndex) Append(b *logindex.Block) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.appendErr != nil {
		return m.appendErr
	}
	if n := len(m.blocks); n > 0 {
		head := m.blocks[n-1].BlockRef
		if b.Number != head.Number+1 || b.ParentHash != head.Hash {
			return fmt.Errorf("%w: block %d", logindex.ErrParentMismatch, b.Number)
		}
	}
	c := *b
	c.LogHashes = append([]common.Hash(nil), b.LogHashes...)
	c.ExecMsgs = append([]logindex.ExecMsg(nil), b.ExecMsgs...)
	m.blocks = append(m.blocks, c)
	return nil
}

func (m *memIndex) Rewind(number uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.blocks) == 0 {
		return nil
	}
	first := m.blocks[0].Number
	switch {
	case number < first:
		m.blocks = nil
	case number-first+1 < uint64(len(m.blocks)):
		m.blocks = m.blocks[:number-first+1]
	}
	return nil
}

// prune drops the blocks below number (what the real index does beyond its horizon).
func (m *memIndex) prune(number uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.blocks) > 1 && m.blocks[0].Number < number {
		m.blocks = m.blocks[1:]
	}
}
