package checker

import (
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/safety"
)

// Indexes gives the checker the log index of each chain of the dependency set. A chain of
// the set without an index (not opened yet) is "not indexed": the checker answers
// Uninitialized, never a verdict. Implementations are safe for concurrent use.
type Indexes interface {
	Index(chain *uint256.Int) (logindex.Reader, bool)
}

// IndexSet is an Indexes over a fixed map from chain ID to index, for a node that opens
// the indexes of every chain of its set at start-up. It must not be modified once the
// checker uses it.
type IndexSet map[uint256.Int]logindex.Reader

// Index implements Indexes.
func (s IndexSet) Index(chain *uint256.Int) (logindex.Reader, bool) {
	r, ok := s[*chain]
	return r, ok
}

// SafetyView tells the checker how far each chain has progressed at a safety level above
// local-unsafe. It is the seam to the cross-safety engine; the checker never computes
// safety itself.
//
// Head must be cheap (an in-memory read) and must not block on the engine's progress: a
// check asks "has this block reached the level yet?", and "not yet" is an answer (the
// checker turns it into Future, i.e. no verdict yet).
type SafetyView interface {
	// Head is the newest block of chain known to have reached level (unsafe is never asked:
	// everything indexed is local-unsafe). ok is false when no block of chain has reached
	// level yet. A non-nil error means the view does not track level at all; it is returned
	// to the caller with the message's position added, so it should be an rpcerr error
	// (e.g. derived from rpcerr.OutOfScope).
	Head(chain *uint256.Int, level safety.Level) (head logindex.BlockRef, ok bool, err error)
}
