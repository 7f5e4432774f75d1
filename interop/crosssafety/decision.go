package crosssafety

import (
	"fmt"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/safety"
	"github.com/xgeth/xgeth/interop/superroot"
)

// Kind is what a decision does.
type Kind uint8

const (
	// Wait: nothing can change until more data or input arrives. Reason says what is
	// awaited. Never stored.
	Wait Kind = iota + 1
	// Advance: the heads of Level move forward to Heads (one or several chains; several
	// when blocks of the same timestamp depend on each other and become safe together).
	Advance
	// Invalidate: the blocks in Denied execute invalid messages or sit on a same-timestamp
	// cycle. They are added to the deny list; their chains must replace them.
	Invalidate
	// Rewind: the heads of Level (and every level above it that was higher) move back to
	// Heads, because a chain reorged under them, a local label went back, or a block they
	// depended on is gone. Decisions that depended on the removed blocks are re-opened.
	Rewind
)

func (k Kind) String() string {
	switch k {
	case Wait:
		return "wait"
	case Advance:
		return "advance"
	case Invalidate:
		return "invalidate"
	case Rewind:
		return "rewind"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ChainHead is the head of one chain at some level.
type ChainHead struct {
	Chain uint256.Int       `json:"chain"`
	Block logindex.BlockRef `json:"block"`
	// None: the chain has no block at the level any more (a rewind below everything).
	None bool `json:"none,omitempty"`
}

// Denial is an invalid block of the deny list.
type Denial struct {
	Chain uint256.Int       `json:"chain"`
	Block logindex.BlockRef `json:"block"`
	// Reason says why, naming the failing message when there is one.
	Reason string `json:"reason"`
	// Message is the position among the block's executing messages of the message that
	// failed; -1 when the block as a whole is invalid (a same-timestamp cycle).
	Message int `json:"message"`
	// Time is when the decision was taken (unix seconds).
	Time uint64 `json:"time"`
	// Output is the block's output (state root, message-passer storage root, hash), kept so
	// that a super root at its time can still report the original block once it is
	// replaced; nil when it could not be read.
	Output *superroot.Output `json:"output,omitempty"`
}

// Decision is one change of the engine's state, as a value: computed first, written ahead
// to the store, applied, then cleared. Tests assert on decisions.
type Decision struct {
	Kind   Kind         `json:"kind"`
	Level  safety.Level `json:"level,omitempty"`
	Heads  []ChainHead  `json:"heads,omitempty"`
	Denied []Denial     `json:"denied,omitempty"`
	Reason string       `json:"reason,omitempty"`

	// records are the promoted blocks and their dependencies (cross-unsafe advances),
	// kept in memory for rewinds; not stored.
	records []chainRecords
}

type chainRecords struct {
	chain int
	recs  []record
}

func (d *Decision) String() string {
	s := d.Kind.String()
	if d.Level != 0 {
		s += " " + d.Level.String()
	}
	for _, h := range d.Heads {
		if h.None {
			s += fmt.Sprintf(" %s:none", h.Chain.Dec())
		} else {
			s += fmt.Sprintf(" %s:%d", h.Chain.Dec(), h.Block.Number)
		}
	}
	for _, x := range d.Denied {
		s += fmt.Sprintf(" deny %s:%d (%s)", x.Chain.Dec(), x.Block.Number, x.Reason)
	}
	if d.Reason != "" && d.Kind != Invalidate {
		s += ": " + d.Reason
	}
	return s
}

// persisted tells the decisions that change stored state (and go through the write-ahead
// record). Cross-unsafe lives in memory: it is recomputed from the index after a restart.
func (d *Decision) persisted() bool {
	switch d.Kind {
	case Invalidate:
		return true
	case Advance, Rewind:
		return d.Level >= safety.Safe || d.Kind == Rewind
	}
	return false
}
