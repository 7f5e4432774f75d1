// Package safety defines the safety levels of blocks and messages and their wire strings.
//
// The ordered levels, weakest first, are unsafe (local-unsafe) < cross-unsafe < local-safe
// < safe (cross-safe) < finalized. Invalid is outside the order: an invalid block is not
// "less safe", it is to be replaced. The package only names and compares levels; deciding
// what level a block has is the safety engine's job.
package safety

import (
	"fmt"
	"strconv"

	"github.com/xgeth/xgeth/interop/rpcerr"
)

// Level is a safety level. The zero value is not a level: it is neither Valid nor AtLeast
// anything and does not marshal, so a forgotten field never reads as "unsafe" or "invalid".
type Level uint8

const (
	Unsafe      Level = iota + 1 // local-unsafe: sequenced or received, nothing checked across chains
	CrossUnsafe                  // unsafe, and every message it executes is in a cross-unsafe block
	LocalSafe                    // derived from L1 data
	Safe                         // cross-safe: local-safe, and every message it executes is in a cross-safe block
	Finalized                    // derived from finalized L1 data and cross-safe
	Invalid                      // executes an invalid message; to be replaced
)

var names = [...]string{
	Unsafe:      "unsafe",
	CrossUnsafe: "cross-unsafe",
	LocalSafe:   "local-safe",
	Safe:        "safe",
	Finalized:   "finalized",
	Invalid:     "invalid",
}

// ErrUnknownLevel is returned for a string or value that is not a safety level. It derives
// from rpcerr.InvalidParams: it comes from a request parameter such as minSafety.
var ErrUnknownLevel = rpcerr.InvalidParams.Derive("unknown safety level")

// Levels returns every level: the ordered ones weakest first, then Invalid.
func Levels() []Level { return []Level{Unsafe, CrossUnsafe, LocalSafe, Safe, Finalized, Invalid} }

// Parse reads a wire string. Only the exact lower-case strings are accepted.
func Parse(s string) (Level, error) {
	for l := Unsafe; l <= Invalid; l++ {
		if names[l] == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want unsafe, cross-unsafe, local-safe, safe, finalized or invalid)", ErrUnknownLevel, s)
}

// Valid reports whether l is one of the six levels.
func (l Level) Valid() bool { return l >= Unsafe && l <= Invalid }

// Ordered reports whether l is one of the five ordered levels (not Invalid, not zero).
func (l Level) Ordered() bool { return l >= Unsafe && l <= Finalized }

// AtLeast reports whether l is at least as safe as min. Both must be ordered levels:
// Invalid (or the zero value) on either side gives false, so an invalid block never
// satisfies a requirement and nothing satisfies a requirement of "invalid".
func (l Level) AtLeast(min Level) bool {
	return l.Ordered() && min.Ordered() && l >= min
}

// String is the wire string, or Level(n) for a value that is not a level.
func (l Level) String() string {
	if l.Valid() {
		return names[l]
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// MarshalText encodes the wire string; values that are not levels are an error.
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownLevel, uint8(l))
	}
	return []byte(names[l]), nil
}

// UnmarshalText decodes a wire string (as Parse).
func (l *Level) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
