package crosssafety

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
)

// Key layout, in the node's key-value store beside the log index (whose keys start with
// "xgi"). JSON values: these records are small and rare (one per persisted decision).
//
//	"xgs" 'w'                                  the write-ahead decision, when one is pending
//	"xgs" 'h' chainkey                         the chain's cross-safe and finalized heads
//	"xgs" 'd' chainkey u64be(number) hash      a denied block
//
// chainkey is logindex.ChainKey: the chain ID's length byte and big-endian bytes.
const (
	storePrefix = "xgs"
	kindWAL     = 'w'
	kindHeads   = 'h'
	kindDenied  = 'd'
)

// ErrStoreCorrupt: a stored record of the engine cannot be decoded.
var ErrStoreCorrupt = errors.New("crosssafety: stored state corrupt")

type store struct {
	db ethdb.KeyValueStore
}

// storeKey is the store's prefix, a kind byte and rest.
func storeKey(kind byte, rest []byte) []byte {
	return append(append([]byte(storePrefix), kind), rest...)
}

func walKey() []byte { return storeKey(kindWAL, nil) }

func headsKey(id *uint256.Int) []byte {
	return storeKey(kindHeads, logindex.ChainKey(id))
}

func deniedPrefix(id *uint256.Int) []byte {
	return storeKey(kindDenied, logindex.ChainKey(id))
}

func deniedKey(id *uint256.Int, number uint64, hash common.Hash) []byte {
	k := deniedPrefix(id)
	k = binary.BigEndian.AppendUint64(k, number)
	return append(k, hash[:]...)
}

// storedHeads are the persisted levels of a chain.
type storedHeads struct {
	CrossSafe *logindex.BlockRef `json:"crossSafe,omitempty"`
	Finalized *logindex.BlockRef `json:"finalized,omitempty"`
}

func (s *store) pending() (*Decision, error) {
	raw, err := s.db.Get(walKey())
	if err != nil {
		if ok, herr := s.db.Has(walKey()); herr == nil && !ok {
			return nil, nil
		}
		return nil, fmt.Errorf("crosssafety: read write-ahead decision: %w", err)
	}
	var d Decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%w: write-ahead decision: %v", ErrStoreCorrupt, err)
	}
	if d.Kind < Advance || d.Kind > Rewind {
		return nil, fmt.Errorf("%w: write-ahead decision of kind %d", ErrStoreCorrupt, d.Kind)
	}
	return &d, nil
}

func (s *store) writeAhead(d *Decision) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := s.db.Put(walKey(), raw); err != nil {
		return err
	}
	// The record must be on disk before the decision takes effect anywhere: a store that
	// buffers writes (pebble without sync) would lose it in a crash.
	if syncer, ok := s.db.(interface{ SyncKeyValue() error }); ok {
		return syncer.SyncKeyValue()
	}
	return nil
}

func (s *store) heads(id *uint256.Int) (storedHeads, error) {
	var h storedHeads
	raw, err := s.db.Get(headsKey(id))
	if err != nil {
		if ok, herr := s.db.Has(headsKey(id)); herr == nil && !ok {
			return h, nil
		}
		return h, fmt.Errorf("crosssafety: read heads of chain %s: %w", id.Dec(), err)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: heads of chain %s: %v", ErrStoreCorrupt, id.Dec(), err)
	}
	return h, nil
}

func (s *store) denials(id *uint256.Int) ([]Denial, error) {
	it := s.db.NewIterator(deniedPrefix(id), nil)
	defer it.Release()
	var out []Denial
	for it.Next() {
		var d Denial
		if err := json.Unmarshal(it.Value(), &d); err != nil {
			return nil, fmt.Errorf("%w: denied block of chain %s: %v", ErrStoreCorrupt, id.Dec(), err)
		}
		out = append(out, d)
	}
	return out, it.Error()
}

// commit writes the state a decision leaves (heads of the chains it touched, new denials)
// and clears the write-ahead record, in one batch.
func (s *store) commit(heads map[uint256.Int]storedHeads, denied []Denial) error {
	b := s.db.NewBatch()
	for id, h := range heads {
		raw, err := json.Marshal(h)
		if err != nil {
			return err
		}
		if err := b.Put(headsKey(&id), raw); err != nil {
			return err
		}
	}
	for i := range denied {
		d := &denied[i]
		raw, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := b.Put(deniedKey(&d.Chain, d.Block.Number, d.Block.Hash), raw); err != nil {
			return err
		}
	}
	if err := b.Delete(walKey()); err != nil {
		return err
	}
	return b.Write()
}
