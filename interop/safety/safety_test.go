package safety

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/xgeth/xgeth/interop/rpcerr"
)

func TestWireStrings(t *testing.T) {
	want := []struct {
		l Level
		s string
	}{
		{Unsafe, "unsafe"}, {CrossUnsafe, "cross-unsafe"}, {LocalSafe, "local-safe"},
		{Safe, "safe"}, {Finalized, "finalized"}, {Invalid, "invalid"},
	}
	if len(want) != len(Levels()) {
		t.Fatalf("%d levels", len(Levels()))
	}
	for i, c := range want {
		if Levels()[i] != c.l {
			t.Errorf("Levels()[%d] = %v", i, Levels()[i])
		}
		if c.l.String() != c.s {
			t.Errorf("String %q, want %q", c.l.String(), c.s)
		}
		got, err := Parse(c.s)
		if err != nil || got != c.l {
			t.Errorf("Parse(%q) = %v, %v", c.s, got, err)
		}
		text, err := c.l.MarshalText()
		if err != nil || string(text) != c.s {
			t.Errorf("MarshalText = %q, %v", text, err)
		}
		var back Level
		if err := back.UnmarshalText(text); err != nil || back != c.l {
			t.Errorf("UnmarshalText(%q) = %v, %v", text, back, err)
		}
	}
}

func TestParseBadInputs(t *testing.T) {
	for _, s := range []string{"", "Unsafe", "SAFE", "cross-safe", "local-unsafe", "cross_unsafe", " safe", "safe ", "finalised", "unknown", "Level(1)", "1", "safe\x00"} {
		l, err := Parse(s)
		if !errors.Is(err, ErrUnknownLevel) || !errors.Is(err, rpcerr.InvalidParams) {
			t.Errorf("Parse(%q) = %v, %v", s, l, err)
			continue
		}
		if l != 0 {
			t.Errorf("Parse(%q) returned level %v with an error", s, l)
		}
		if !strings.Contains(err.Error(), "unknown safety level") || !strings.Contains(err.Error(), "cross-unsafe") {
			t.Errorf("unclear error %q", err)
		}
	}
	var l Level = Safe
	if err := l.UnmarshalText([]byte("bogus")); err == nil || l != Safe {
		t.Errorf("UnmarshalText of a bad string: %v, level %v", err, l)
	}
	for _, bad := range []Level{0, 7, 255} {
		if _, err := bad.MarshalText(); !errors.Is(err, ErrUnknownLevel) {
			t.Errorf("MarshalText(%d): %v", bad, err)
		}
		if bad.Valid() || bad.Ordered() {
			t.Errorf("%d is not a level", bad)
		}
	}
	if Level(0).String() != "Level(0)" || Level(9).String() != "Level(9)" {
		t.Error("String of non-levels")
	}
}

func TestAtLeast(t *testing.T) {
	ordered := []Level{Unsafe, CrossUnsafe, LocalSafe, Safe, Finalized}
	for i, a := range ordered {
		for j, b := range ordered {
			if got := a.AtLeast(b); got != (i >= j) {
				t.Errorf("%v.AtLeast(%v) = %v", a, b, got)
			}
		}
		for _, other := range []Level{Invalid, 0, 42} {
			if a.AtLeast(other) || other.AtLeast(a) {
				t.Errorf("%v vs %v must compare false", a, other)
			}
		}
	}
	if Invalid.AtLeast(Invalid) || Level(0).AtLeast(0) {
		t.Error("Invalid and zero satisfy nothing")
	}
}

func TestJSON(t *testing.T) {
	type req struct {
		Min Level `json:"minSafety"`
	}
	b, err := json.Marshal(req{CrossUnsafe})
	if err != nil || string(b) != `{"minSafety":"cross-unsafe"}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var r req
	if err := json.Unmarshal([]byte(`{"minSafety":"finalized"}`), &r); err != nil || r.Min != Finalized {
		t.Fatalf("unmarshal: %v, %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"minSafety":"final"}`), &r); !errors.Is(err, ErrUnknownLevel) {
		t.Fatalf("unmarshal of a bad level: %v", err)
	}
	if _, err := json.Marshal(req{}); err == nil {
		t.Fatal("marshalling the zero level must fail")
	}
}

// FuzzParseSafetyLevel: Parse never panics; what it accepts is exactly a wire string that
// String gives back; what it rejects is ErrUnknownLevel.
func FuzzParseSafetyLevel(f *testing.F) {
	for _, l := range Levels() {
		f.Add(l.String())
	}
	f.Add("")
	f.Add("cross-safe")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if err != nil {
			if l != 0 || !errors.Is(err, ErrUnknownLevel) {
				t.Fatalf("Parse(%q) = %v, %v", s, l, err)
			}
			return
		}
		if !l.Valid() || l.String() != s {
			t.Fatalf("Parse(%q) = %v", s, l)
		}
		text, err := l.MarshalText()
		if err != nil || string(text) != s {
			t.Fatalf("MarshalText(%v) = %q, %v", l, text, err)
		}
	})
}
