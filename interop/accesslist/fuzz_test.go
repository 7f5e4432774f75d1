package accesslist

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/internal/vectors"
)

func flatten(entries []common.Hash) []byte {
	out := make([]byte, 0, 32*len(entries))
	for _, e := range entries {
		out = append(out, e[:]...)
	}
	return out
}

// FuzzParseAccessList: Parse never panics; a list that parses re-encodes to entries that
// parse to the same accesses, and a canonical list (no zero extension) re-encodes to itself.
func FuzzParseAccessList(f *testing.F) {
	for _, c := range vectors.Load(f).AccessListEncoding {
		f.Add(flatten(c.Entries))
	}
	f.Add([]byte{})
	f.Add(flatten([]common.Hash{entry(1), entry(3)}))
	f.Add(flatten([]common.Hash{entry(1), entry(2), entry(3)}))
	f.Add(flatten([]common.Hash{entry(1), entry(2), entry(2), entry(3)}))
	f.Add(flatten([]common.Hash{entry(1, 3, 1), entry(3)}))
	f.Add(flatten(Encode([]Access{
		{ChainID: uint256.Int{1, 2, 3, 4}, Checksum: common.Hash{3, 1}, BlockNumber: 5, Timestamp: 6, LogIndex: 7},
		{ChainID: *uint256.NewInt(901), Checksum: common.Hash{3, 2}},
	})))
	sentinels := []error{ErrExpectedLookup, ErrExpectedChecksum, ErrMalformedEntry, ErrUnexpectedEnd}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries := make([]common.Hash, len(data)/32)
		for i := range entries {
			copy(entries[i][:], data[32*i:])
		}
		got, err := Parse(entries)
		if err != nil {
			if got != nil {
				t.Fatalf("result %v with error %v", got, err)
			}
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error %v is none of the sentinels", err)
			}
			return
		}
		if len(entries) == 0 {
			if got != nil {
				t.Fatalf("empty list parsed to %v", got)
			}
			return
		}
		if len(got) == 0 || len(got) > len(entries)/2 {
			t.Fatalf("%d accesses from %d entries", len(got), len(entries))
		}
		canonical := true
		for _, e := range entries {
			// In a list that parsed, every type-2 entry is an extension.
			if e[0] == TypeExtension && common.BytesToHash(e[8:]) == (common.Hash{}) {
				canonical = false
			}
		}
		re := Encode(got)
		again, err := Parse(re)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("re-encoding does not parse back: %v\n%+v\n%+v", err, got, again)
		}
		if canonical && !slices.Equal(re, entries) {
			t.Fatalf("canonical list re-encodes differently:\n%x\n%x", entries, re)
		}
		if !canonical && len(re) >= len(entries) {
			t.Fatalf("non-canonical list re-encodes to %d entries from %d", len(re), len(entries))
		}
	})
}
