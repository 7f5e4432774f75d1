package rpcerr

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/ethereum/go-ethereum/rpc"
)

var _ rpc.Error = (*Error)(nil)

// The table of INTEROP.md "Error codes".
var codeTable = []struct {
	err  *Error
	code int
}{
	{Conflict, -320600},
	{Ineffective, -320601},
	{FailsafeEnabled, -320602},
	{Uninitialized, -320400},
	{Skipped, -320500},
	{UnknownChain, -320501},
	{OutOfOrder, -320900},
	{AwaitReplacementBlock, -320901},
	{Stop, -321000},
	{OutOfScope, -321100},
	{PreviousToFirst, -321200},
	{Future, -321401},
	{NotExact, -321500},
	{DataCorruption, -321501},
	{InvalidParams, -32602},
}

func TestCodes(t *testing.T) {
	if len(codeTable) != len(Sentinels()) {
		t.Fatalf("table has %d codes, package has %d sentinels", len(codeTable), len(Sentinels()))
	}
	seen := map[int]bool{}
	for _, c := range codeTable {
		if got := c.err.ErrorCode(); got != c.code {
			t.Errorf("%q: code %d, want %d", c.err, got, c.code)
		}
		if seen[c.code] {
			t.Errorf("code %d used twice", c.code)
		}
		seen[c.code] = true
		if ByCode(c.code) != c.err {
			t.Errorf("ByCode(%d) = %v, want %v", c.code, ByCode(c.code), c.err)
		}
		if c.err.Error() == "" {
			t.Errorf("code %d has an empty message", c.code)
		}
	}
	if ByCode(-1) != nil {
		t.Error("ByCode of an unknown code is not nil")
	}
}

func TestDerivation(t *testing.T) {
	errExpired := Conflict.Derive("message expired")
	errFuture := Conflict.Derive("message from the future")

	detailed := errExpired.With("init 100, exec 201")
	if got, want := detailed.Error(), "init 100, exec 201: message expired"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if detailed.ErrorCode() != Conflict.ErrorCode() {
		t.Errorf("derived code %d, want %d", detailed.ErrorCode(), Conflict.ErrorCode())
	}
	for _, target := range []error{detailed, errExpired, Conflict} {
		if !errors.Is(detailed, target) {
			t.Errorf("errors.Is(%q, %q) = false", detailed, target)
		}
		wrapped := fmt.Errorf("check tx 0xabc: %w", detailed)
		if !errors.Is(wrapped, target) {
			t.Errorf("errors.Is(wrapped, %q) = false", target)
		}
	}
	for _, target := range []error{errFuture, Future, InvalidParams, Ineffective} {
		if errors.Is(detailed, target) {
			t.Errorf("errors.Is(%q, %q) = true", detailed, target)
		}
	}
	if errors.Is(Conflict, errExpired) {
		t.Error("a root must not match a sentinel derived from it")
	}
	if got, want := Conflict.With("log hash mismatch at 5").Error(), "log hash mismatch at 5: conflicting data"; got != want {
		t.Errorf("With: %q, want %q", got, want)
	}
	if got, want := Future.Withf("block %d of chain %d", 7, 901).Error(), "block 7 of chain 901: future data"; got != want {
		t.Errorf("Withf: %q, want %q", got, want)
	}
}

func TestWrap(t *testing.T) {
	if InvalidParams.Wrap(nil) != InvalidParams {
		t.Error("Wrap(nil) must return the receiver")
	}
	w := InvalidParams.Wrap(io.ErrUnexpectedEOF)
	if !errors.Is(w, io.ErrUnexpectedEOF) || !errors.Is(w, InvalidParams) {
		t.Error("Wrap must match both the cause and the sentinel")
	}
	if w.ErrorCode() != -32602 {
		t.Errorf("code %d", w.ErrorCode())
	}
	if got, want := w.Error(), "unexpected EOF: invalid params"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestCodeOfAndLift(t *testing.T) {
	if _, ok := CodeOf(errors.New("plain")); ok {
		t.Error("plain error has a code")
	}
	if _, ok := CodeOf(nil); ok {
		t.Error("nil has a code")
	}
	wrapped := fmt.Errorf("outer: %w", UnknownChain.With("chain 5"))
	if code, ok := CodeOf(wrapped); !ok || code != -320501 {
		t.Errorf("CodeOf = %d, %v", code, ok)
	}
	lifted := Lift(wrapped)
	le, ok := lifted.(*Error)
	if !ok {
		t.Fatalf("Lift returned %T", lifted)
	}
	if le.ErrorCode() != -320501 || le.Error() != wrapped.Error() {
		t.Errorf("lifted: %d %q", le.ErrorCode(), le.Error())
	}
	if !errors.Is(lifted, UnknownChain) {
		t.Error("lifted error lost its sentinel")
	}
	plain := errors.New("plain")
	if Lift(plain) != plain || Lift(nil) != nil {
		t.Error("Lift must leave code-less errors and nil alone")
	}
	if Lift(Conflict) != error(Conflict) {
		t.Error("Lift must leave an *Error alone")
	}
}

func TestNoVerdictYet(t *testing.T) {
	for _, c := range codeTable {
		want := c.err == Future || c.err == Uninitialized
		if got := NoVerdictYet(c.err); got != want {
			t.Errorf("NoVerdictYet(%q) = %v", c.err, got)
		}
		if got := NoVerdictYet(fmt.Errorf("x: %w", c.err.With("detail"))); got != want {
			t.Errorf("NoVerdictYet(wrapped %q) = %v", c.err, got)
		}
		if got := NoVerdictYet(remoteError{c.code, "remote"}); got != want {
			t.Errorf("NoVerdictYet(remote %d) = %v", c.code, got)
		}
	}
	if NoVerdictYet(nil) || NoVerdictYet(errors.New("timeout")) {
		t.Error("nil and plain errors are not 'no verdict yet'")
	}
}

type remoteError struct {
	code int
	msg  string
}

func (e remoteError) Error() string  { return e.msg }
func (e remoteError) ErrorCode() int { return e.code }

type service struct{}

func (service) Fail(code int) error {
	err := ByCode(code)
	if err == nil {
		return errors.New("no such code")
	}
	// Wrapped the way a handler naturally would; Lift restores the code for the server.
	return Lift(fmt.Errorf("handler: %w", err.With("detail")))
}

// TestOverRPC runs a real go-ethereum rpc server: the code reaches the client, and FromRPC
// turns the client's error back into a sentinel match.
func TestOverRPC(t *testing.T) {
	srv := rpc.NewServer()
	defer srv.Stop()
	if err := srv.RegisterName("test", service{}); err != nil {
		t.Fatal(err)
	}
	client := rpc.DialInProc(srv)
	defer client.Close()
	for _, c := range codeTable {
		err := client.Call(nil, "test_fail", c.code)
		var re rpc.Error
		if !errors.As(err, &re) {
			t.Fatalf("code %d: client error %T %v has no code", c.code, err, err)
		}
		if re.ErrorCode() != c.code {
			t.Errorf("code over rpc %d, want %d", re.ErrorCode(), c.code)
		}
		back := FromRPC(err)
		if !errors.Is(back, c.err) {
			t.Errorf("FromRPC(%v) does not match %q", err, c.err)
		}
		if back.Error() != err.Error() {
			t.Errorf("FromRPC changed the message: %q", back.Error())
		}
		if NoVerdictYet(back) != (c.err == Future || c.err == Uninitialized) {
			t.Errorf("NoVerdictYet after FromRPC wrong for %d", c.code)
		}
	}
	other := remoteError{-32000, "other"}
	if FromRPC(other) != error(other) || FromRPC(nil) != nil {
		t.Error("FromRPC must leave unknown codes and nil alone")
	}
}
