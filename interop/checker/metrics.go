package checker

import (
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/metrics"
)

// reason is why a check ended; each has a counter, registered once so the hot path only
// does an atomic add.
type reason uint8

const (
	reasonOK reason = iota
	reasonFailsafe
	reasonTooManyEntries
	reasonMalformed
	reasonMinSafety
	reasonSafetyNotTracked
	reasonUnknownChain
	reasonNotConfigured
	reasonNotActive
	reasonFuture      // initiated after the executing timestamp
	reasonExpired     // beyond the expiry window
	reasonTimeout     // expires before the caller's deadline
	reasonNotIndexed  // chain not indexed yet (no verdict)
	reasonBlockFuture // block above the indexed head (no verdict)
	reasonPruned      // below the retained range (no verdict)
	reasonTimestamp
	reasonLogNotFound
	reasonChecksum
	reasonSafetyNotReached // no verdict
	reasonCorrupt
	reasonCanceled         // no verdict
	reasonIndexUnavailable // a transient read failure (no verdict)
	numReasons
)

var reasonNames = [numReasons]string{
	reasonOK:               "ok",
	reasonFailsafe:         "failsafe",
	reasonTooManyEntries:   "too_many_entries",
	reasonMalformed:        "malformed",
	reasonMinSafety:        "bad_min_safety",
	reasonSafetyNotTracked: "safety_not_tracked",
	reasonUnknownChain:     "unknown_chain",
	reasonNotConfigured:    "chain_not_configured",
	reasonNotActive:        "not_active",
	reasonFuture:           "initiated_in_future",
	reasonExpired:          "expired",
	reasonTimeout:          "expires_before_timeout",
	reasonNotIndexed:       "chain_not_indexed",
	reasonBlockFuture:      "block_not_indexed",
	reasonPruned:           "pruned",
	reasonTimestamp:        "timestamp_mismatch",
	reasonLogNotFound:      "log_not_found",
	reasonChecksum:         "checksum_mismatch",
	reasonSafetyNotReached: "safety_not_reached",
	reasonCorrupt:          "index_corrupt",
	reasonCanceled:         "canceled",
	reasonIndexUnavailable: "index_unavailable",
}

// noVerdict marks the reasons that are "cannot decide yet" (the errors are Future or
// Uninitialized).
var noVerdict = [numReasons]bool{
	reasonNotIndexed:       true,
	reasonBlockFuture:      true,
	reasonPruned:           true,
	reasonSafetyNotReached: true,
	reasonCanceled:         true,
	reasonIndexUnavailable: true,
}

// Metric names. The checks of CheckAccessList count under interop/checks/, the block
// verifications of VerifyBlockExecMsgs under interop/checks/blocks/.
const (
	metricPrefix = "interop/checks/"
)

var (
	// One counter per outcome class: ok, invalid (definitive rejection), noverdict.
	checksOK        = metrics.NewRegisteredCounter(metricPrefix+"result/ok", nil)
	checksInvalid   = metrics.NewRegisteredCounter(metricPrefix+"result/invalid", nil)
	checksNoVerdict = metrics.NewRegisteredCounter(metricPrefix+"result/noverdict", nil)
	// One counter per reason (interop/checks/reason/<name>), "ok" included.
	checksByReason = func() (c [numReasons]*metrics.Counter) {
		for r := range c {
			c[r] = metrics.NewRegisteredCounter(metricPrefix+"reason/"+reasonNames[r], nil)
		}
		return c
	}()
	// Messages looked up in the index (accepted lists and the part of rejected ones that
	// got that far).
	checkedMessages = metrics.NewRegisteredCounter(metricPrefix+"messages", nil)
	// Latency of a whole CheckAccessList call with interop entries, sampled: one check in
	// latencyEvery (see sampleLatency).
	checkLatency = metrics.NewRegisteredTimer(metricPrefix+"latency", nil)
	latencyTick  atomic.Uint32
	// 1 while the failsafe is on.
	failsafeGauge = metrics.NewRegisteredGauge(metricPrefix+"failsafe", nil)

	blocksValid   = metrics.NewRegisteredCounter(metricPrefix+"blocks/valid", nil)
	blocksInvalid = metrics.NewRegisteredCounter(metricPrefix+"blocks/invalid", nil)
	blocksUnknown = metrics.NewRegisteredCounter(metricPrefix+"blocks/unknown", nil)
)

// latencyEvery is how many checks share one latency sample. Timing a check (two clock
// reads and a histogram update under a lock) measured about 0.3 µs, as much as half a
// one-message check; the histogram is a reservoir sample anyway, so feeding it one check
// in 16 keeps its distribution and makes the cost negligible. The counters count every
// check.
const latencyEvery = 16

// sampleLatency reports whether this check is timed.
func sampleLatency() bool { return latencyTick.Add(1)%latencyEvery == 0 }

// recordCheck counts one CheckAccessList outcome. start is zero when the check is not
// timed (metrics off, or not sampled): the clock is not read then.
func recordCheck(r reason, start time.Time) {
	switch {
	case r == reasonOK:
		checksOK.Inc(1)
	case noVerdict[r]:
		checksNoVerdict.Inc(1)
	default:
		checksInvalid.Inc(1)
	}
	checksByReason[r].Inc(1)
	if !start.IsZero() {
		checkLatency.UpdateSince(start)
	}
}

func recordVerdict(s Status) {
	switch s {
	case Valid:
		blocksValid.Inc(1)
	case Invalid:
		blocksInvalid.Inc(1)
	default:
		blocksUnknown.Inc(1)
	}
}
