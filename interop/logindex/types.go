// Package logindex is the per-chain index of the logs of every chain in the dependency set:
// one record per block (number, hash, parent hash, timestamp, one log hash per log, and the
// executing messages the block emits), persistent in the node's key-value store under its own
// key prefix, written atomically per block, O(1) lookup by (block number, log index),
// rewound on reorgs and pruned beyond twice the message expiry window.
//
// It never fetches data: followers write into it, the checker and the safety engine read.
package logindex

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/xgeth/xgeth/interop/message"
)

// BlockRef identifies a block and links it to its parent.
type BlockRef struct {
	Number     uint64
	Hash       common.Hash
	ParentHash common.Hash
	Timestamp  uint64
}

// ExecMsg is an executing message a block emits: the ExecutingMessage log at LogIndex
// (among all logs of the block) declaring Msg.
type ExecMsg struct {
	LogIndex uint32
	Msg      message.Message
}

// Block is what the index stores for one block.
type Block struct {
	BlockRef
	LogHashes []common.Hash // message.LogHashOf of every log of the block, in order
	ExecMsgs  []ExecMsg
}

// Errors of the index. Callers compare with errors.Is.
var (
	// ErrParentMismatch: the appended block does not extend the head (a reorg or a gap in
	// the source); the follower rewinds and retries.
	ErrParentMismatch = errors.New("logindex: block does not extend the indexed head")
	// ErrFuture: the block is beyond the indexed head (not indexed yet).
	ErrFuture = errors.New("logindex: block not indexed yet")
	// ErrPruned: the block is older than the oldest retained block.
	ErrPruned = errors.New("logindex: block pruned")
	// ErrLogNotFound: the block has fewer logs than the requested index.
	ErrLogNotFound = errors.New("logindex: log not found")
	// ErrCorrupt: a stored record cannot be decoded or contradicts its neighbours.
	ErrCorrupt = errors.New("logindex: data corruption")
	// ErrEmpty: nothing is indexed for this chain yet.
	ErrEmpty = errors.New("logindex: chain not indexed")
	// ErrInvalidBlock: the appended block links to the head but is malformed (timestamp
	// before the head's, too many logs, executing messages out of order or beyond the
	// block's logs); nothing is stored. Unlike ErrParentMismatch a rewind does not help.
	ErrInvalidBlock = errors.New("logindex: invalid block")
	// ErrRetry: rewinds or prunes kept changing the index while a lookup read the store.
	// The stored data is fine and asking again answers; callers treat it as "no answer
	// yet", never as a verdict or as corruption.
	ErrRetry = errors.New("logindex: the index kept changing during the lookup")
)

// RangeError is the error of a lookup outside the retained blocks: it wraps ErrFuture
// (above the head) or ErrPruned (below the oldest retained block) and carries the range
// the lookup saw. Callers that reason about the range (a block above the head cannot have
// a timestamp at or before the head's) must use these refs, not a second Head or First
// call: an Append or Prune between the two reads would make them disagree.
type RangeError struct {
	Kind        error // ErrFuture or ErrPruned
	Number      uint64
	First, Head BlockRef
}

func (e *RangeError) Error() string {
	if e.Kind == ErrPruned {
		return fmt.Sprintf("%v: block %d, first retained %d", e.Kind, e.Number, e.First.Number)
	}
	return fmt.Sprintf("%v: block %d, head %d", e.Kind, e.Number, e.Head.Number)
}

func (e *RangeError) Unwrap() error { return e.Kind }

// Reader is the read side used by the message checker and the safety engine. Implementations
// are safe for concurrent use; every lookup sees a consistent state of whole blocks.
type Reader interface {
	// Head is the newest indexed block; ok is false when nothing is indexed.
	Head() (ref BlockRef, ok bool)
	// First is the oldest retained block; ok is false when nothing is indexed.
	First() (ref BlockRef, ok bool)
	// BlockRef is the indexed (canonical, as far as the follower knows) block at number.
	// ErrFuture above the head, ErrPruned below First (as a *RangeError).
	BlockRef(number uint64) (BlockRef, error)
	// LogHash is the log hash at logIndex of the block at number, with the block's ref.
	// The ref, the hash and the error come from one state of the index: with
	// ErrLogNotFound the ref is the block that lacks the log; outside the retained range
	// the error is a *RangeError with the range the lookup saw.
	LogHash(number uint64, logIndex uint32) (BlockRef, common.Hash, error)
	// ExecMsgs are the executing messages the block at number emits.
	ExecMsgs(number uint64) ([]ExecMsg, error)
}

// Writer is the write side used by followers. Calls are serialised by the caller (one
// follower per chain).
type Writer interface {
	Reader
	// Append stores b atomically as the new head. The first block of an empty index may have
	// any number; later blocks must have number head+1 and parent hash head.Hash, otherwise
	// ErrParentMismatch and nothing is stored.
	Append(b *Block) error
	// Rewind removes every block above number (head becomes number). Rewinding below First
	// empties the index.
	Rewind(number uint64) error
}
