package rpcapi

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/xgeth/xgeth/interop/rpcerr"
)

// FuzzDescriptor: arbitrary JSON never panics; a rejection is an InvalidParams error; an
// accepted descriptor survives a round trip through its own encoding.
func FuzzDescriptor(f *testing.F) {
	for _, s := range []string{
		`{"chainID":"902","timestamp":"0x10","timeout":"0x15180"}`,
		`{"chainID":"0x386","timestamp":"0x10"}`,
		`{"chainID":902,"timestamp":"0x0"}`,
		`{"chainID":"115792089237316195423570985008687907853269984665640564039457584007913129639935","timestamp":"0xffffffffffffffff"}`,
		`{"chainID":null}`, `[]`, `"x"`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Descriptor
		err := json.Unmarshal(data, &d)
		if err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				return // not JSON at all: rejected before our decoder runs
			}
			if !errors.Is(err, rpcerr.InvalidParams) {
				t.Fatalf("rejection %v is not InvalidParams", err)
			}
			return
		}
		enc, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Descriptor
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("re-parse of %s: %v", enc, err)
		}
		if back != d {
			t.Fatalf("round trip %+v → %s → %+v", d, enc, back)
		}
	})
}
