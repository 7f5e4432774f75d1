package checker

import (
	"sync"
	"sync/atomic"
	"time"
)

// failsafe is the switch that rejects every interop list. on is read on every check (one
// atomic load); the rest changes rarely, under mu.
type failsafe struct {
	on atomic.Bool

	mu     sync.Mutex
	reason string
	since  time.Time
}

// SetFailsafe turns the failsafe on or off. While it is on, CheckAccessList rejects every
// list with interop entries with ErrFailsafe (rpcerr.FailsafeEnabled, −320602), so the pool
// admits no interop transaction and the builder includes none. reason is logged (who and
// why: "admin_setFailsafeEnabled", "index corruption on chain 902: ..."); a transition is
// logged once, with how long the failsafe was on when it clears. It does not affect
// VerifyBlockExecMsgs: blocks other nodes built are still judged.
func (c *Checker) SetFailsafe(on bool, reason string) {
	c.fs.mu.Lock()
	defer c.fs.mu.Unlock()
	was := c.fs.on.Load()
	switch {
	case on && !was:
		c.fs.reason, c.fs.since = reason, time.Now()
		c.fs.on.Store(true)
		failsafeGauge.Update(1)
		c.log.Error("Interop failsafe enabled: rejecting all interop transactions", "reason", reason)
	case on && was:
		// Keep the first reason; record the later ones in the log.
		c.log.Warn("Interop failsafe tripped again while enabled", "reason", reason, "enabled_by", c.fs.reason)
	case !on && was:
		c.fs.on.Store(false)
		failsafeGauge.Update(0)
		c.log.Warn("Interop failsafe disabled: accepting interop transactions again", "reason", reason,
			"enabled_by", c.fs.reason, "enabled_for", time.Since(c.fs.since).Round(time.Millisecond))
		c.fs.reason, c.fs.since = "", time.Time{}
	}
}

// Failsafe reports whether the failsafe is on.
func (c *Checker) Failsafe() bool { return c.fs.on.Load() }

// FailsafeReason is why the failsafe is on and since when; ok is false when it is off.
func (c *Checker) FailsafeReason() (reason string, since time.Time, ok bool) {
	c.fs.mu.Lock()
	defer c.fs.mu.Unlock()
	if !c.fs.on.Load() {
		return "", time.Time{}, false
	}
	return c.fs.reason, c.fs.since, true
}

// TripFailsafe turns the failsafe on automatically: the hook for components that detect
// that the index can no longer be trusted (a follower's unrecoverable reorg, a corrupt
// record). The checker calls it itself when an index lookup reports corruption. Only an
// operator (SetFailsafe(false, ...)) turns it off again.
func (c *Checker) TripFailsafe(reason string) {
	c.SetFailsafe(true, "automatic: "+reason)
}
