package follower

import (
	"time"

	"github.com/ethereum/go-ethereum/metrics"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
)

// State is what a follower is doing. The numeric values are those of the state gauge.
type State int

const (
	// StateSyncing: more than a few blocks behind the source (backfill, catch-up after an
	// outage) or not yet in touch with it.
	StateSyncing State = iota
	// StateLive: at the source's head, following new heads.
	StateLive
	// StateStalled: at the source's head, but the source has announced no new head for
	// StallBlocks block times.
	StateStalled
	// StateError: the last attempt failed (source unreachable, bad block, a reorg below
	// the indexed range); retrying with backoff. Status.Err says why.
	StateError
	// StateFailed: stopped on an unrecoverable error (a failure of the index's own
	// store), reported to OnFatal. Status.Err says why.
	StateFailed
	// StateStopped: Run returned because its context ended.
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateSyncing:
		return "syncing"
	case StateLive:
		return "live"
	case StateStalled:
		return "stalled"
	case StateError:
		return "error"
	case StateFailed:
		return "failed"
	case StateStopped:
		return "stopped"
	}
	return "unknown"
}

// Status is a snapshot of a follower.
type Status struct {
	State State
	// Head is the chain's local-unsafe head as indexed (valid when HasHead).
	Head    logindex.BlockRef
	HasHead bool
	// SourceHead is the number of the newest head the source announced (0 before the first).
	SourceHead uint64
	// LastHeadAt is when the source last announced a head we had not seen.
	LastHeadAt time.Time
	// Err is why the follower is in StateError or StateFailed, nil otherwise.
	Err error
}

// EventKind says what happened to the index.
type EventKind int

const (
	// Appended: Ref was appended as the new head.
	Appended EventKind = iota
	// Rewound: every block above Ref was removed (a reorg); Ref is the new head.
	Rewound
)

func (k EventKind) String() string {
	if k == Appended {
		return "appended"
	}
	return "rewound"
}

// Event tells subscribers about a change of the index made by the follower.
type Event struct {
	Kind EventKind
	Ref  logindex.BlockRef
}

// followerMetrics are per chain, under interop/follower/<chain id>/.
type followerMetrics struct {
	head   *metrics.Gauge   // number of the indexed head
	lag    *metrics.Gauge   // source head number minus indexed head number
	state  *metrics.Gauge   // State value
	blocks *metrics.Counter // blocks appended
	logs   *metrics.Counter // logs appended
	reorgs *metrics.Counter // rewinds
	errors *metrics.Counter // failed attempts
}

func newFollowerMetrics(chainID *uint256.Int) *followerMetrics {
	p := "interop/follower/" + chainID.Dec() + "/"
	return &followerMetrics{
		head:   metrics.GetOrRegisterGauge(p+"head", nil),
		lag:    metrics.GetOrRegisterGauge(p+"lag", nil),
		state:  metrics.GetOrRegisterGauge(p+"state", nil),
		blocks: metrics.GetOrRegisterCounter(p+"blocks", nil),
		logs:   metrics.GetOrRegisterCounter(p+"logs", nil),
		reorgs: metrics.GetOrRegisterCounter(p+"reorgs", nil),
		errors: metrics.GetOrRegisterCounter(p+"errors", nil),
	}
}
