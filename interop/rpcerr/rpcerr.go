// Package rpcerr owns the interop error codes: every error the interop packages return to
// a JSON-RPC caller is an *Error carrying one of the codes of the OP Stack interop
// services, so a go-ethereum rpc server answers with that code and a caller decides by code
// (or with errors.Is), never by matching error text.
//
// The sentinels are the roots. Packages derive their own named sentinels from them
// (Derive), and add detail to a particular failure (With, Withf, Wrap); every derived error
// keeps its root's code and is errors.Is-equal to each sentinel it was derived from.
//
// Callers treat Future and Uninitialized as "no verdict yet" (NoVerdictYet) and every other
// code as a definitive answer. rpcerr does no I/O and knows nothing about the checks that
// produce these errors.
package rpcerr

import (
	"errors"
	"fmt"
)

// Error is an interop error with a JSON-RPC error code. Values are immutable; compare them
// with errors.Is (pointer identity along the derivation chain), not with ==.
type Error struct {
	code   int
	msg    string
	parent *Error // the error this one was derived from; nil for a root sentinel
	cause  error  // an underlying error kept for errors.Is/As (Wrap, Lift, FromRPC)
}

// The root sentinels, one per code of the interop JSON-RPC error table.
var (
	// Conflict: the data contradicts what is known (e.g. log hash mismatch). Definitive.
	Conflict = newRoot(-320600, "conflicting data")
	// Ineffective: the data was accepted before and changes nothing.
	Ineffective = newRoot(-320601, "ineffective data")
	// FailsafeEnabled: the failsafe is on; every interop transaction is rejected.
	FailsafeEnabled = newRoot(-320602, "failsafe enabled")
	// Uninitialized: the source of truth has no data yet. No verdict yet.
	Uninitialized = newRoot(-320400, "uninitialized")
	// Skipped: data was skipped (a gap).
	Skipped = newRoot(-320500, "skipped data")
	// UnknownChain: the chain is not in the dependency set.
	UnknownChain = newRoot(-320501, "unknown chain")
	// OutOfOrder: data arrived out of order.
	OutOfOrder = newRoot(-320900, "data out of order")
	// AwaitReplacementBlock: an invalid block is waiting for its deposits-only replacement.
	AwaitReplacementBlock = newRoot(-320901, "awaiting replacement block")
	// Stop: an iteration was stopped on purpose.
	Stop = newRoot(-321000, "stop")
	// OutOfScope: the request is outside what this service covers.
	OutOfScope = newRoot(-321100, "out of scope")
	// PreviousToFirst: asked for data before the first entry that is kept.
	PreviousToFirst = newRoot(-321200, "no data before the first entry")
	// Future: the data is not known yet (e.g. the initiating block is not indexed yet).
	// No verdict yet.
	Future = newRoot(-321401, "future data")
	// NotExact: the data is known but does not match exactly.
	NotExact = newRoot(-321500, "not an exact match")
	// DataCorruption: stored data is inconsistent.
	DataCorruption = newRoot(-321501, "data corruption")
	// InvalidParams: malformed request parameters (the standard JSON-RPC code).
	InvalidParams = newRoot(-32602, "invalid params")
)

var roots = []*Error{
	Conflict, Ineffective, FailsafeEnabled, Uninitialized, Skipped, UnknownChain,
	OutOfOrder, AwaitReplacementBlock, Stop, OutOfScope, PreviousToFirst, Future,
	NotExact, DataCorruption, InvalidParams,
}

func newRoot(code int, msg string) *Error { return &Error{code: code, msg: msg} }

// Sentinels returns the root sentinels, one per code, in table order.
func Sentinels() []*Error { return append([]*Error(nil), roots...) }

// ByCode returns the root sentinel with the given code, or nil if the code is not in the
// interop table.
func ByCode(code int) *Error {
	for _, r := range roots {
		if r.code == code {
			return r
		}
	}
	return nil
}

// Error returns the message: for a root or derived sentinel its own text, for an error
// with detail "detail: <what it was made from>".
func (e *Error) Error() string { return e.msg }

// ErrorCode is the JSON-RPC error code. It implements go-ethereum's rpc.Error, so an rpc
// server returning e (unwrapped) answers with this code.
func (e *Error) ErrorCode() int { return e.code }

// Unwrap exposes the error e was derived from and, if any, the error it wraps, so
// errors.Is matches every sentinel on the derivation chain and errors.As reaches the cause.
func (e *Error) Unwrap() []error {
	switch {
	case e.parent != nil && e.cause != nil:
		return []error{e.parent, e.cause}
	case e.parent != nil:
		return []error{e.parent}
	case e.cause != nil:
		return []error{e.cause}
	}
	return nil
}

// Derive makes a new named sentinel with the same code, e.g.
//
//	var ErrExpired = rpcerr.Conflict.Derive("message expired")
//
// Its message is msg alone; errors.Is(ErrExpired, rpcerr.Conflict) holds but
// errors.Is(rpcerr.Conflict, ErrExpired) does not.
func (e *Error) Derive(msg string) *Error {
	return &Error{code: e.code, msg: msg, parent: e}
}

// With adds detail to e for one failure: the result reads "detail: <e>", keeps e's code and
// is errors.Is-equal to e.
func (e *Error) With(detail string) *Error {
	return &Error{code: e.code, msg: detail + ": " + e.msg, parent: e}
}

// Withf is With with a format.
func (e *Error) Withf(format string, args ...any) *Error {
	return e.With(fmt.Sprintf(format, args...))
}

// Wrap gives cause the code of e: the result reads "<cause>: <e>" and is errors.Is-equal
// to both e and cause. Wrap(nil) returns e.
func (e *Error) Wrap(cause error) *Error {
	if cause == nil {
		return e
	}
	return &Error{code: e.code, msg: cause.Error() + ": " + e.msg, parent: e, cause: cause}
}

// coder is go-ethereum's rpc.Error, declared here so this package does not import rpc.
type coder interface {
	error
	ErrorCode() int
}

// CodeOf returns the JSON-RPC code of the first error in err's chain that has one (an
// *Error, or an error received from a remote rpc server), and whether there was one.
func CodeOf(err error) (int, bool) {
	var c coder
	if errors.As(err, &c) {
		return c.ErrorCode(), true
	}
	return 0, false
}

// Lift prepares err to be returned by an rpc handler. go-ethereum's rpc server only looks
// at the outermost error for a code, so an *Error wrapped by fmt.Errorf would be answered
// with the default code; Lift returns an *Error with the code of the first *Error in the
// chain and err's full message, still unwrapping to err. Errors without an interop code are
// returned unchanged, and so is nil.
func Lift(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	var inner *Error
	if !errors.As(err, &inner) {
		return err
	}
	return &Error{code: inner.code, msg: err.Error(), cause: err}
}

// FromRPC is the client side of Lift: it turns an error returned by a remote interop
// service (anything with an ErrorCode method, such as go-ethereum rpc client errors) into
// an *Error that is errors.Is-equal to the root sentinel of that code and keeps the remote
// message. Errors with a code outside the table, without a code, and nil are returned
// unchanged.
func FromRPC(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	code, ok := CodeOf(err)
	if !ok {
		return err
	}
	root := ByCode(code)
	if root == nil {
		return err
	}
	return &Error{code: code, msg: err.Error(), parent: root, cause: err}
}

// NoVerdictYet reports whether err means "cannot decide yet" (Future or Uninitialized),
// as opposed to a definitive verdict. A transaction pool keeps a transaction on such an
// error and evicts it on any other. It also recognises the codes in errors received from a
// remote service that were not converted with FromRPC. NoVerdictYet(nil) is false.
func NoVerdictYet(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, Future) || errors.Is(err, Uninitialized) {
		return true
	}
	code, ok := CodeOf(err)
	return ok && (code == Future.code || code == Uninitialized.code)
}

// NoVerdictYet is the method form of the function NoVerdictYet, so code that cannot import
// this package (op-geth's miner, through patch 0003) can ask an error for it.
func (e *Error) NoVerdictYet() bool { return NoVerdictYet(e) }
