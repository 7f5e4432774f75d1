package depset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
	"github.com/xgeth/xgeth/params"
)

const maxU256 = "115792089237316195423570985008687907853269984665640564039457584007913129639935"

func id(s string) *uint256.Int { return uint256.MustFromDecimal(s) }

// An OP Stack file as op-deployer writes it: no xgeth fields.
const opFile = `{
  "dependencies": {
    "901": {},
    "902": {}
  }
}`

const xgethFile = `{
  "dependencies": {
    "902": {"activationTime": 1000, "blockTime": 2, "rpc": "ws://127.0.0.1:9546"},
    "901": {"activationTime": 0, "blockTime": 1, "someFutureOPField": [1, 2]},
    "` + maxU256 + `": {"activationTime": 5, "blockTime": 12, "rpc": "/tmp/geth.ipc"}
  },
  "overrideMessageExpiryWindow": 3600,
  "someOtherTopLevelField": {}
}`

func TestParseOPFile(t *testing.T) {
	s, err := Parse([]byte(opFile))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || s.ExpiryWindow() != params.MessageExpiryWindow || s.ExpiryWindow() != 604800 {
		t.Fatalf("len %d expiry %d", s.Len(), s.ExpiryWindow())
	}
	c, ok := s.Chain(id("901"))
	if !ok || c.HasTiming() || c.RPC != "" {
		t.Fatalf("chain 901: %+v %v", c, ok)
	}
	if _, err := s.Activation(id("901")); !errors.Is(err, ErrNoTiming) {
		t.Fatalf("activation of a chain without timing: %v", err)
	}
	// An OP file alone cannot run a node: the timing is missing.
	if err := s.Validate(id("901")); !errors.Is(err, ErrNoTiming) {
		t.Fatalf("Validate: %v", err)
	}
	// Completed by the command layer it can.
	s, err = s.With(Chain{ID: *id("901"), ActivationTime: 0, BlockTime: 2})
	if err != nil {
		t.Fatal(err)
	}
	s, err = s.With(Chain{ID: *id("902"), ActivationTime: 10, BlockTime: 2, RPC: "http://127.0.0.1:8545"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(id("901")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.With(Chain{ID: *id("903")}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("With without timing: %v", err)
	}
}

func TestParseXGethFile(t *testing.T) {
	s, err := Parse([]byte(xgethFile))
	if err != nil {
		t.Fatal(err)
	}
	ids := s.ChainIDs()
	if len(ids) != 3 || ids[0].Dec() != "901" || ids[1].Dec() != "902" || ids[2].Dec() != maxU256 {
		t.Fatalf("ChainIDs not sorted: %v", ids)
	}
	if s.ExpiryWindow() != 3600 || s.Retention() != 7200 {
		t.Fatalf("expiry %d retention %d", s.ExpiryWindow(), s.Retention())
	}
	c, ok := s.Chain(id("902"))
	if !ok || c.ActivationTime != 1000 || c.BlockTime != 2 || c.RPC != "ws://127.0.0.1:9546" {
		t.Fatalf("902: %+v", c)
	}
	big, ok := s.Chain(id(maxU256))
	if !ok || big.BlockTime != 12 || big.RPC != "/tmp/geth.ipc" {
		t.Fatalf("max chain: %+v", big)
	}
	if _, ok := s.Chain(id("903")); ok {
		t.Fatal("903 found")
	}
	// 256-bit IDs that agree in the low 64 bits are different chains.
	low := new(uint256.Int).SetUint64(id(maxU256).Uint64())
	if s.Has(low) {
		t.Fatal("chain ID truncated to 64 bits")
	}
	a, err := s.Activation(id("902"))
	if err != nil || a != (rules.Activation{Time: 1000, BlockTime: 2}) {
		t.Fatalf("activation %+v %v", a, err)
	}
	// The activation block (t=1000) is deposits-only; the next one may message.
	if a.Allows(1000) || a.Allows(1001) || !a.Allows(1002) {
		t.Fatal("activation rule")
	}
	_, err = s.Activation(id("903"))
	if !errors.Is(err, ErrUnknownChain) || !errors.Is(err, rpcerr.UnknownChain) {
		t.Fatalf("unknown chain: %v", err)
	}
	if code, _ := rpcerr.CodeOf(err); code != -320501 {
		t.Fatalf("code %d", code)
	}

	if err := s.Validate(id("901"), id(maxU256)); err != nil {
		t.Fatal(err)
	}
	// 901 has no endpoint: a node running only 902 cannot follow it.
	if err := s.Validate(id("902")); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "chain 901") {
		t.Fatalf("Validate(902): %v", err)
	}
	// A local chain absent from its own set.
	err = s.Validate(id("10"))
	if !errors.Is(err, ErrUnknownChain) || !strings.Contains(err.Error(), "local chain 10") {
		t.Fatalf("Validate(10): %v", err)
	}
	if err := s.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate(): %v", err)
	}
}

func TestChainsAreCopies(t *testing.T) {
	s, err := Parse([]byte(xgethFile))
	if err != nil {
		t.Fatal(err)
	}
	ids := s.ChainIDs()
	ids[0].SetUint64(5)
	cs := s.Chains()
	cs[0].BlockTime = 99
	c, _ := s.Chain(id("901"))
	if c.BlockTime != 1 || !s.Has(id("901")) {
		t.Fatal("set mutated through a returned slice")
	}
}

func TestNew(t *testing.T) {
	s, err := New([]Chain{
		{ID: *id("902"), BlockTime: 2, RPC: "wss://node.example:443/path"},
		{ID: *id("901"), BlockTime: 2},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.ExpiryWindow() != params.MessageExpiryWindow || s.Retention() != 2*params.MessageExpiryWindow {
		t.Fatal("default expiry")
	}
	if got := s.ChainIDs(); got[0].Uint64() != 901 {
		t.Fatalf("not sorted: %v", got)
	}
	bad := []struct {
		name   string
		chains []Chain
		want   string
	}{
		{"none", nil, "no chains"},
		{"zero id", []Chain{{BlockTime: 2}}, "chain ID 0"},
		{"zero block time", []Chain{{ID: *id("1")}}, "block time"},
		{"duplicate", []Chain{{ID: *id("1"), BlockTime: 2}, {ID: *id("1"), BlockTime: 1}}, "listed twice"},
		{"bad scheme", []Chain{{ID: *id("1"), BlockTime: 2, RPC: "ftp://x"}}, "scheme"},
		{"no host", []Chain{{ID: *id("1"), BlockTime: 2, RPC: "http://"}}, "no host"},
		{"relative path", []Chain{{ID: *id("1"), BlockTime: 2, RPC: "geth.ipc"}}, "scheme"},
		{"space", []Chain{{ID: *id("1"), BlockTime: 2, RPC: "http://a b"}}, "white space"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.chains, 0)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	dep := func(body string) string { return `{"dependencies":{"901":` + body + `}}` }
	cases := []struct {
		name, file, want string
	}{
		{"empty input", ``, "unexpected EOF"},
		{"not json", `hello`, "invalid character"},
		{"truncated", `{"dependencies":{"901":{}`, "unexpected EOF"},
		{"array", `[]`, "want a JSON object"},
		{"null document", `null`, "want a JSON object"},
		{"trailing data", opFile + ` {}`, "data after"},
		{"missing dependencies", `{}`, `missing "dependencies"`},
		{"null dependencies", `{"dependencies":null}`, `missing "dependencies"`},
		{"dependencies array", `{"dependencies":[]}`, "want a JSON object"},
		{"empty dependencies", `{"dependencies":{}}`, "no chains"},
		{"duplicate top-level key", `{"dependencies":{"1":{}},"dependencies":{"2":{}}}`, "duplicate key"},
		{"wrong case field", `{"Dependencies":{"1":{}}}`, "case-sensitive"},
		{"empty chain ID", `{"dependencies":{"":{}}}`, "empty"},
		{"hex chain ID", `{"dependencies":{"0x385":{}}}`, "hexadecimal"},
		{"negative chain ID", `{"dependencies":{"-1":{}}}`, "not a decimal"},
		{"plus chain ID", `{"dependencies":{"+1":{}}}`, "not a decimal"},
		{"spaced chain ID", `{"dependencies":{" 1":{}}}`, "not a decimal"},
		{"fractional chain ID", `{"dependencies":{"1.5":{}}}`, "not a decimal"},
		{"zero chain ID", `{"dependencies":{"0":{}}}`, "zero"},
		{"zero chain ID with zeros", `{"dependencies":{"000":{}}}`, "zero"},
		{"overflowing chain ID", `{"dependencies":{"` + maxU256[:len(maxU256)-1] + `6":{}}}`, "overflows 256 bits"},
		{"huge chain ID", `{"dependencies":{"1` + maxU256 + `":{}}}`, "overflows 256 bits"},
		{"duplicate chain", `{"dependencies":{"901":{},"901":{}}}`, "duplicate key"},
		{"same chain spelled twice", `{"dependencies":{"901":{},"0901":{}}}`, `listed twice (as "901" and "0901")`},
		{"same chain escaped", `{"dependencies":{"901":{},"\u0039\u00301":{}}}`, "duplicate key"},
		{"dependency is array", dep(`[]`), "want a JSON object"},
		{"dependency is number", dep(`1`), "want a JSON object"},
		{"negative activation", dep(`{"activationTime":-1,"blockTime":2}`), "activationTime: -1 is negative"},
		{"overflowing activation", dep(`{"activationTime":18446744073709551616,"blockTime":2}`), "overflows uint64"},
		{"fractional block time", dep(`{"activationTime":0,"blockTime":2.5}`), "not an unsigned integer"},
		{"exponent block time", dep(`{"activationTime":0,"blockTime":2e0}`), "not an unsigned integer"},
		{"string block time", dep(`{"activationTime":0,"blockTime":"2"}`), "not a JSON number"},
		{"null block time", dep(`{"activationTime":0,"blockTime":null}`), "not a JSON number"},
		{"zero block time", dep(`{"activationTime":0,"blockTime":0}`), "blockTime: must be > 0"},
		{"activation without block time", dep(`{"activationTime":0}`), "give both"},
		{"block time without activation", dep(`{"blockTime":2}`), "give both"},
		{"duplicate field", dep(`{"blockTime":2,"blockTime":3,"activationTime":0}`), "duplicate key"},
		{"wrong case xgeth field", dep(`{"blocktime":2,"activationTime":0}`), "case-sensitive"},
		{"rpc number", dep(`{"rpc":5}`), "rpc: must be a string"},
		{"rpc null", dep(`{"rpc":null}`), "rpc: must be a string"},
		{"rpc empty", dep(`{"rpc":""}`), "rpc: empty"},
		{"rpc bad scheme", dep(`{"rpc":"tcp://1.2.3.4:5"}`), "scheme"},
		{"rpc not a url", dep(`{"rpc":"http://[::1"}`), "not a URL"},
		{"negative expiry", `{"dependencies":{"1":{}},"overrideMessageExpiryWindow":-5}`, "negative"},
		{"overflowing expiry", `{"dependencies":{"1":{}},"overrideMessageExpiryWindow":1e30}`, "not an unsigned integer"},
		{"huge expiry", `{"dependencies":{"1":{}},"overrideMessageExpiryWindow":99999999999999999999}`, "overflows uint64"},
		{"string expiry", `{"dependencies":{"1":{}},"overrideMessageExpiryWindow":"5"}`, "not a JSON number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.file))
			if err == nil {
				t.Fatalf("accepted: %+v", s.Chains())
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestParseTolerated(t *testing.T) {
	good := []string{
		`{"dependencies":{"901":null}}`, // the OP loader accepts a null dependency
		`{"dependencies":{"0901":{}}}`,  // leading zeros
		`{"dependencies":{"1":{}},"overrideMessageExpiryWindow":0}`,
		` {"dependencies":{"1":{"x":{"y":[1,"2"]}}}} `, // unknown fields, surrounding space
	}
	for _, f := range good {
		if _, err := Parse([]byte(f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, f := range []string{opFile, xgethFile, `{"dependencies":{"1":{"rpc":"http://h/\u003c\"x"}}}`} {
		s, err := Parse([]byte(f))
		if err != nil {
			t.Fatal(err)
		}
		enc, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(enc)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if !back.Equal(s) {
			t.Fatalf("round trip changed the set: %s", enc)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "depset.json")
	if err := os.WriteFile(path, []byte(xgethFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file loaded")
	}
	if err := os.WriteFile(path, []byte(`{"dependencies":{"0":{}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), path) {
		t.Fatalf("bad file: %v", err)
	}
}

func TestParseChainID(t *testing.T) {
	for in, want := range map[string]string{"901": "901", "0x385": "901", "0X385": "901", maxU256: maxU256} {
		got, err := ParseChainID(in)
		if err != nil || got.Dec() != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "0x0", "0x", "-1", "1e3", "0x1" + strings.Repeat("0", 64), "1" + maxU256} {
		if _, err := ParseChainID(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func BenchmarkChainLookup(b *testing.B) {
	s, err := Parse([]byte(xgethFile))
	if err != nil {
		b.Fatal(err)
	}
	q := id("902")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Chain(q); !ok {
			b.Fatal("missing")
		}
	}
}
