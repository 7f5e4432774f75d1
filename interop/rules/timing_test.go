package rules

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xgeth/xgeth/interop/internal/vectors"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/params"
)

// expectation maps a timing vector's expect text to the error it names (nil: valid).
func expectation(t *testing.T, expect string) error {
	t.Helper()
	switch {
	case strings.HasPrefix(expect, "valid"):
		return nil
	case strings.HasPrefix(expect, "invalid: expired"):
		return ErrExpired
	case strings.HasPrefix(expect, "invalid: expires before timeout"):
		return ErrExpiresBeforeTimeout
	case strings.HasPrefix(expect, "invalid: initiated in the future"):
		return ErrInitiatedInFuture
	}
	t.Fatalf("unknown timing expectation %q", expect)
	return nil
}

func TestTimingVectors(t *testing.T) {
	f := vectors.Load(t)
	handled := 0
	for i, c := range f.Timing.Cases {
		window := params.MessageExpiryWindow
		if c.Window != nil {
			window = *c.Window
		}
		var timeout uint64
		if c.Timeout != nil {
			timeout = *c.Timeout
		}
		want := expectation(t, c.Expect)
		err := CheckTiming(c.Init, c.Exec, window, timeout)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("case %d (init %d, exec %d, window %d, timeout %d, %q): got %v", i, c.Init, c.Exec, window, timeout, c.Expect, err)
		}
		if err != nil && !errors.Is(err, rpcerr.Conflict) {
			t.Errorf("case %d: %v is not a conflict", i, err)
		}
		handled++
	}
	if handled != len(f.Timing.Cases) || handled == 0 {
		t.Errorf("handled %d of %d timing vectors", handled, len(f.Timing.Cases))
	}
}

// TestTimingTable quotes the spec's numbers: a 7-day window, equality valid, +1 invalid.
func TestTimingTable(t *testing.T) {
	const w = 604800
	if params.MessageExpiryWindow != w {
		t.Fatalf("params.MessageExpiryWindow = %d", params.MessageExpiryWindow)
	}
	const max = math.MaxUint64
	for _, c := range []struct {
		init, exec, window, timeout uint64
		want                        error
	}{
		{1000, 1000, w, 0, nil},                  // same timestamp: POLICY accept
		{1000, 1001, w, 0, nil},                  //
		{1001, 1000, w, 0, ErrInitiatedInFuture}, //
		{1000, 1000 + w, w, 0, nil},              // exactly 7 days
		{1000, 1000 + w + 1, w, 0, ErrExpired},   // one second more
		{1000, 1000 + w - 86400, w, 86400, nil},  // deadline exactly at expiry
		{1000, 1000 + w - 86400, w, 86401, ErrExpiresBeforeTimeout},
		{1000, 1000 + w + 1, w, max, ErrExpired},      // expired is reported before the deadline
		{max, max, w, 0, nil},                         // init + window overflows: still valid
		{max, max, w, w, nil},                         //
		{max, max, w, w + 1, ErrExpiresBeforeTimeout}, //
		{max, 0, w, 0, ErrInitiatedInFuture},          //
		{0, max, max, 0, nil},                         // window covers everything
		{0, max, max, 1, ErrExpiresBeforeTimeout},     // exec + timeout overflows
		{0, max, max - 1, 0, ErrExpired},              //
		{0, 0, 0, 0, nil},                             //
		{5, 5, 0, 1, ErrExpiresBeforeTimeout},         // zero window
	} {
		err := CheckTiming(c.init, c.exec, c.window, c.timeout)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("CheckTiming(%d, %d, %d, %d) = %v, want %v", c.init, c.exec, c.window, c.timeout, err, c.want)
		}
	}
	err := CheckTiming(100, 201, 100, 0)
	if got := err.Error(); got != "executing timestamp 201 − identifier timestamp 100 > window 100: message expired" {
		t.Errorf("message %q", got)
	}
	if code, _ := rpcerr.CodeOf(err); code != -320600 || rpcerr.NoVerdictYet(err) {
		t.Errorf("code %d", code)
	}
	if errors.Is(CheckTiming(2, 1, w, 0), rpcerr.Future) {
		t.Error("a message from the future is a verdict, not 'no verdict yet'")
	}
}

// TestTimingMatchesIntegers compares CheckTiming with the inequalities over big integers,
// for random values concentrated near 0 and 2^64.
func TestTimingMatchesIntegers(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	pick := func() uint64 {
		switch r.IntN(4) {
		case 0:
			return r.Uint64N(1000)
		case 1:
			return math.MaxUint64 - r.Uint64N(1000)
		case 2:
			return 1<<63 + r.Uint64N(1000) - 500
		}
		return r.Uint64()
	}
	for i := 0; i < 200000; i++ {
		a, b, c, d := pick(), pick(), pick(), pick()
		if got, want := CheckTiming(a, b, c, d), reference(a, b, c, d); !errors.Is(got, want) || (want == nil) != (got == nil) {
			t.Fatalf("CheckTiming(%d, %d, %d, %d) = %v, want %v", a, b, c, d, got, want)
		}
	}
}

func reference(initTS, execTS, window, timeout uint64) error {
	i, e, w, to := new(big.Int).SetUint64(initTS), new(big.Int).SetUint64(execTS), new(big.Int).SetUint64(window), new(big.Int).SetUint64(timeout)
	if i.Cmp(e) > 0 {
		return ErrInitiatedInFuture
	}
	if new(big.Int).Sub(e, i).Cmp(w) > 0 {
		return ErrExpired
	}
	if new(big.Int).Add(i, w).Cmp(new(big.Int).Add(e, to)) < 0 {
		return ErrExpiresBeforeTimeout
	}
	return nil
}

func TestLastValidTimestamp(t *testing.T) {
	if got := LastValidTimestamp(100, 604800); got != 604900 {
		t.Errorf("got %d", got)
	}
	if got := LastValidTimestamp(math.MaxUint64-1, 2); got != math.MaxUint64 {
		t.Errorf("overflow: got %d", got)
	}
	if CheckTiming(100, LastValidTimestamp(100, 604800), 604800, 0) != nil ||
		CheckTiming(100, LastValidTimestamp(100, 604800)+1, 604800, 0) == nil {
		t.Error("LastValidTimestamp disagrees with CheckTiming")
	}
}

func TestActivation(t *testing.T) {
	a := Activation{Time: 1000, BlockTime: 2}
	for _, c := range []struct {
		ts   uint64
		want bool
	}{{0, false}, {1000, false}, {1001, false}, {1002, true}, {1003, true}, {math.MaxUint64, true}} {
		if got := a.Allows(c.ts); got != c.want {
			t.Errorf("Allows(%d) = %v", c.ts, got)
		}
	}
	// Fork time not aligned with blocks (blocks at odd timestamps): the activation block is
	// at 1001 and excluded, the next one at 1003 is allowed.
	if a.Allows(1001) || !a.Allows(1003) {
		t.Error("unaligned fork time")
	}
	if (Activation{Time: math.MaxUint64, BlockTime: 1}).Allows(math.MaxUint64) {
		t.Error("an activation that overflows allows nothing")
	}
	if !(Activation{}).Allows(0) {
		t.Error("activation at genesis with zero block time allows 0")
	}
	// The initiating chain activates earlier and has 1 s blocks.
	other := Activation{Time: 500, BlockTime: 1}
	for _, c := range []struct {
		init, exec uint64
		want       error
	}{
		{1002, 1002, nil},
		{501, 1002, nil},
		{500, 1002, ErrInitBeforeActivation},
		{501, 1001, ErrExecBeforeActivation},
		{0, 0, ErrExecBeforeActivation}, // the executing side is checked first
	} {
		err := CheckActivation(c.init, other, c.exec, a)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("CheckActivation(%d, %d) = %v, want %v", c.init, c.exec, err, c.want)
		}
	}
	if err := CheckActivation(500, other, 1001, a); !errors.Is(err, rpcerr.Conflict) ||
		err.Error() != "executing timestamp 1001 < activation 1000 + block time 2: executing message before interop activation" {
		t.Errorf("error %v", err)
	}
}

// FuzzCheckTiming compares the overflow-safe comparisons with big-integer arithmetic.
func FuzzCheckTiming(f *testing.F) {
	f.Add(uint64(100), uint64(200), uint64(100), uint64(0))
	f.Add(uint64(math.MaxUint64-9), uint64(math.MaxUint64), uint64(10), uint64(0))
	f.Add(uint64(100), uint64(150), uint64(100), uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, initTS, execTS, window, timeout uint64) {
		got, want := CheckTiming(initTS, execTS, window, timeout), reference(initTS, execTS, window, timeout)
		if (want == nil) != (got == nil) || !errors.Is(got, want) {
			t.Fatalf("CheckTiming(%d, %d, %d, %d) = %v, want %v", initTS, execTS, window, timeout, got, want)
		}
	})
}
