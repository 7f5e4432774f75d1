// Package rules holds the validity rules of an executing message that depend only on
// numbers: the timing rules (ordering, expiry, pool deadline) and interop activation. They
// are plain functions, so a reader can check them against the specification without
// reading the index, the checker or the safety engine that apply them; those add no rule
// of their own.
//
// Every failure is a definitive verdict and derives from rpcerr.Conflict. Note the
// difference with rpcerr.Future: a message whose identifier timestamp is after the
// executing block (ErrInitiatedInFuture) is invalid for that block, whereas rpcerr.Future
// means the data needed for a verdict is not known yet.
package rules

import (
	"math"
	"math/bits"

	"github.com/xgeth/xgeth/interop/rpcerr"
)

// Timing and activation failures.
var (
	// ErrInitiatedInFuture: the identifier timestamp is after the executing block's.
	ErrInitiatedInFuture = rpcerr.Conflict.Derive("message initiated in the future")
	// ErrExpired: the executing block is more than the expiry window after the initiating one.
	ErrExpired = rpcerr.Conflict.Derive("message expired")
	// ErrExpiresBeforeTimeout: the message expires before the caller's deadline (the pool
	// asks that a message stay valid for its whole stay).
	ErrExpiresBeforeTimeout = rpcerr.Conflict.Derive("message expires before timeout")
	// ErrExecBeforeActivation: the executing block is not after the interop activation block.
	ErrExecBeforeActivation = rpcerr.Conflict.Derive("executing message before interop activation")
	// ErrInitBeforeActivation: the initiating block is not after its chain's activation block.
	ErrInitBeforeActivation = rpcerr.Conflict.Derive("initiating message before interop activation")
)

// CheckTiming applies the timing rules to a message initiated at initTS (the identifier
// timestamp) and executed in a block at execTS, with expiry window window (the protocol's
// is params.MessageExpiryWindow, 604800 s) and a deadline timeout seconds after execTS
// until which the message must stay valid (0 for a block; the pool's deadline for ingress):
//
//	initTS ≤ execTS                       (equal is valid: POLICY, as the spec)
//	execTS − initTS ≤ window              (equal is valid)
//	initTS + window ≥ execTS + timeout
//
// It checks in that order and returns ErrInitiatedInFuture, ErrExpired or
// ErrExpiresBeforeTimeout with the numbers. The sums are compared without overflow, so
// values near 2^64 are judged as the mathematical inequality says.
func CheckTiming(initTS, execTS, window, timeout uint64) error {
	if initTS > execTS {
		return ErrInitiatedInFuture.Withf("identifier timestamp %d > executing timestamp %d", initTS, execTS)
	}
	if !sumAtLeast(initTS, window, execTS, 0) {
		return ErrExpired.Withf("executing timestamp %d − identifier timestamp %d > window %d", execTS, initTS, window)
	}
	if !sumAtLeast(initTS, window, execTS, timeout) {
		return ErrExpiresBeforeTimeout.Withf("identifier timestamp %d + window %d < executing timestamp %d + timeout %d",
			initTS, window, execTS, timeout)
	}
	return nil
}

// LastValidTimestamp is the last executing-block timestamp at which a message initiated at
// initTS is still valid: initTS + window, or math.MaxUint64 if that does not fit.
func LastValidTimestamp(initTS, window uint64) uint64 {
	sum, carry := bits.Add64(initTS, window, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return sum
}

// sumAtLeast reports a + b ≥ c + d over the integers.
func sumAtLeast(a, b, c, d uint64) bool {
	lo1, hi1 := bits.Add64(a, b, 0)
	lo2, hi2 := bits.Add64(c, d, 0)
	return hi1 > hi2 || (hi1 == hi2 && lo1 >= lo2)
}

// Activation is when interop starts on a chain: Time is the interop fork time (or,
// equivalently here, the timestamp of the activation block, the first block at or after
// it) and BlockTime the chain's block time in seconds.
type Activation struct {
	Time      uint64
	BlockTime uint64
}

// Allows reports whether a block at ts may initiate or execute messages: ts ≥ Time +
// BlockTime. The activation block itself holds only deposits, so its logs are not
// initiating messages and it executes none. If Time + BlockTime does not fit in 64 bits no
// timestamp is allowed.
func (a Activation) Allows(ts uint64) bool {
	return sumAtLeast(ts, 0, a.Time, a.BlockTime)
}

// CheckActivation applies the activation rule to a message initiated at initTS on a chain
// activated as initChain and executed at execTS on a chain activated as execChain. The
// executing side is checked first.
func CheckActivation(initTS uint64, initChain Activation, execTS uint64, execChain Activation) error {
	if !execChain.Allows(execTS) {
		return ErrExecBeforeActivation.Withf("executing timestamp %d < activation %d + block time %d",
			execTS, execChain.Time, execChain.BlockTime)
	}
	if !initChain.Allows(initTS) {
		return ErrInitBeforeActivation.Withf("identifier timestamp %d < activation %d + block time %d",
			initTS, initChain.Time, initChain.BlockTime)
	}
	return nil
}
