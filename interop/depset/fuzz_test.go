package depset

import (
	"errors"
	"testing"
)

// FuzzParseDepSet: Parse never panics, every error wraps ErrInvalid, and an accepted set
// round-trips through MarshalJSON to an Equal set whose encoding is stable.
func FuzzParseDepSet(f *testing.F) {
	for _, s := range []string{
		opFile, xgethFile,
		`{"dependencies":{"901":null}}`,
		`{"dependencies":{"0901":{},"901":{}}}`,
		`{"dependencies":{"1":{"activationTime":0,"blockTime":1,"rpc":"ws://a"}},"overrideMessageExpiryWindow":7}`,
		`{"dependencies":{"1":{"blockTime":0}}}`,
		`{"dependencies":{"0x1":{}}}`,
		`{"dependencies":{}}`,
		`[`,
		seedPicture,
		`{"dependencies":{"1":{"dependencySet":["1",2]},"2":{"dependencySet":[2]}}}`,
		`{"dependencies":{"1":{"dependencySet":["1","1"]}}}`,
		`{"dependencies":{"1":{"dependencySet":["2"]},"2":{"dependencySet":["2"]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		enc, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", enc, err)
		}
		if !back.Equal(s) {
			t.Fatalf("round trip changed the set: %s", enc)
		}
		enc2, _ := back.MarshalJSON()
		if string(enc2) != string(enc) {
			t.Fatalf("unstable encoding:\n%s\n%s", enc, enc2)
		}
		for _, c := range s.Chains() {
			if got, ok := s.Chain(&c.ID); !ok || got != c {
				t.Fatalf("Chain(%s) = %+v, %v", c.ID.Dec(), got, ok)
			}
		}
	})
}
