package rpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/internal/vectors"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
)

const (
	srcChain  = 901
	dstChain  = 902
	blockTime = 2
	genesis   = 1_000_000
)

type noStatus struct{}

func (noStatus) InteropStatus() []ChainStatus { return nil }
func (noStatus) InteropSafety() []ChainSafety { return nil }

// fixture serves the interop endpoint over real HTTP on 127.0.0.1, backed by indexedChecker.
type fixture struct {
	client  *rpc.Client
	checker *checker.Checker
	msg     message.Message // log 1 of block 2 of chain 901
}

// indexedChecker is a checker over the dependency set {901, 902} and a log index of 901
// holding blocks 1..3 with three logs each; msg is log 1 of block 2.
func indexedChecker(tb testing.TB) (c *checker.Checker, msg message.Message) {
	tb.Helper()
	set, err := depset.New([]depset.Chain{
		{ID: *uint256.NewInt(srcChain), ActivationTime: genesis, BlockTime: blockTime},
		{ID: *uint256.NewInt(dstChain), ActivationTime: genesis, BlockTime: blockTime},
	}, 0)
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := logindex.Open(memorydb.New(), uint256.NewInt(srcChain), logindex.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	parent := common.Hash{}
	for n := uint64(1); n <= 3; n++ {
		b := &logindex.Block{BlockRef: logindex.BlockRef{Number: n, Hash: crypto.Keccak256Hash([]byte{byte(n)}), ParentHash: parent, Timestamp: genesis + n*blockTime}}
		for i := uint32(0); i < 3; i++ {
			m := message.Message{
				Identifier: message.Identifier{Origin: common.Address{0xaa, byte(n), byte(i)}, BlockNumber: n, LogIndex: i, Timestamp: b.Timestamp},
				MsgHash:    crypto.Keccak256Hash([]byte{byte(n), byte(i)}),
			}
			m.Identifier.ChainID.SetUint64(srcChain)
			b.LogHashes = append(b.LogHashes, message.LogHash(m.Identifier.Origin, m.MsgHash))
			if n == 2 && i == 1 {
				msg = m
			}
		}
		if err := idx.Append(b); err != nil {
			tb.Fatal(err)
		}
		parent = b.Hash
	}
	return checker.New(set, checker.IndexSet{*uint256.NewInt(srcChain): idx}, checker.Config{}), msg
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{}
	f.checker, f.msg = indexedChecker(t)
	srv, err := InteropServer(f.checker, noStatus{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	httpSrv := httptest.NewServer(srv)
	t.Cleanup(httpSrv.Close)
	if !strings.HasPrefix(httpSrv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on loopback: %s", httpSrv.URL)
	}
	f.client, err = rpc.Dial(httpSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.client.Close)
	return f
}

func (f *fixture) entries() []common.Hash {
	return accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&f.msg.Identifier, f.msg.MsgHash)})
}

// call invokes method with params given as raw JSON and returns the JSON-RPC error code
// (0 for success).
func (f *fixture) call(t *testing.T, method string, params ...any) (int, error) {
	t.Helper()
	var out json.RawMessage
	err := f.client.CallContext(context.Background(), &out, method, params...)
	if err == nil {
		if string(out) != "null" {
			t.Fatalf("%s: want null, got %s", method, out)
		}
		return 0, nil
	}
	var rerr rpc.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("%s: transport error %v", method, err)
	}
	return rerr.ErrorCode(), err
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestCheckAccessListOverHTTP(t *testing.T) {
	f := newFixture(t)
	execTS := f.msg.Identifier.Timestamp + blockTime
	descDec := raw(`{"chainID":"902","timestamp":"` + hex(execTS) + `","timeout":"0x15180"}`)
	descHex := raw(`{"chainID":"0x386","timestamp":"` + hex(execTS) + `"}`)
	descNum := raw(`{"chainID":902,"timestamp":"` + hex(execTS) + `"}`)

	for _, method := range []string{"interop_checkAccessList", "supervisor_checkAccessList"} {
		for _, desc := range []json.RawMessage{descDec, descHex, descNum} {
			if code, err := f.call(t, method, f.entries(), "cross-unsafe", desc); code != 0 {
				t.Errorf("%s %s: valid message refused: %v", method, desc, err)
			}
		}
	}

	wrong := f.entries()
	wrong[1][31] ^= 1
	unknown := f.msg
	unknown.Identifier.ChainID.SetUint64(777)
	future := f.msg
	future.Identifier.Timestamp = execTS + blockTime
	expiredDesc := raw(`{"chainID":"902","timestamp":"` + hex(f.msg.Identifier.Timestamp+604801) + `"}`)

	cases := []struct {
		name    string
		entries any
		safety  string
		desc    json.RawMessage
		code    int
		says    string
	}{
		{"wrong checksum", wrong, "cross-unsafe", descDec, -320600, "checksum"},
		{"unknown initiating chain", accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&unknown.Identifier, unknown.MsgHash)}), "unsafe", descDec, -320501, "777"},
		{"unknown executing chain", f.entries(), "unsafe", raw(`{"chainID":"5","timestamp":"` + hex(execTS) + `"}`), -320501, "5"},
		{"message from the future", accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&future.Identifier, future.MsgHash)}), "unsafe", descDec, -320600, "future"},
		{"expired message", f.entries(), "unsafe", expiredDesc, -320600, "expire"},
		{"unknown safety level", f.entries(), "very-safe", descDec, -32602, "very-safe"},
		{"descriptor without chainID", f.entries(), "unsafe", raw(`{"timestamp":"0x1"}`), -32602, "chainID"},
		{"descriptor without timestamp", f.entries(), "unsafe", raw(`{"chainID":"902"}`), -32602, "timestamp"},
		{"descriptor with unknown field", f.entries(), "unsafe", raw(`{"chainID":"902","timestamp":"0x1","extra":1}`), -32602, "extra"},
		{"chainID not a number", f.entries(), "unsafe", raw(`{"chainID":"90x2","timestamp":"0x1"}`), -32602, "90x2"},
		{"chainID above 2^256", f.entries(), "unsafe", raw(`{"chainID":"0x1` + strings.Repeat("0", 64) + `","timestamp":"0x1"}`), -32602, "chainID"},
		{"negative chainID", f.entries(), "unsafe", raw(`{"chainID":"-1","timestamp":"0x1"}`), -32602, "-1"},
		{"timestamp not hex", f.entries(), "unsafe", raw(`{"chainID":"902","timestamp":12}`), -32602, ""},
		{"entry not 32 bytes", []string{"0x01"}, "unsafe", descDec, -32602, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, err := f.call(t, "interop_checkAccessList", tc.entries, tc.safety, tc.desc)
			if code != tc.code {
				t.Fatalf("code %d (%v), want %d", code, err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

// Every parse-error vector of the conformance file gets its answer over the wire: null for
// the empty list, −32602 with the vector's reason for malformed lists, and for well-formed
// lists the verdict on their (unknown) chain, never a parse error.
func TestCheckAccessListParseErrorVectorsOverHTTP(t *testing.T) {
	f := newFixture(t)
	desc := raw(`{"chainID":"902","timestamp":"` + hex(f.msg.Identifier.Timestamp+blockTime) + `"}`)
	cases := vectors.Load(t).ParseErrors.Cases
	for _, c := range cases {
		entries := []common.Hash{}
		for _, d := range c.Entries {
			e, err := vectors.Entry(d)
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, e)
		}
		code, err := f.call(t, "interop_checkAccessList", entries, "unsafe", desc)
		switch {
		case strings.HasPrefix(c.Expect, "no interop messages"):
			if code != 0 {
				t.Errorf("%s: code %d (%v), want null", c.Name, code, err)
			}
		case strings.HasPrefix(c.Expect, "ok"):
			// Well-formed: the vectors name chain 0 or other chains outside the set.
			if code == -32602 || code == 0 {
				t.Errorf("%s: code %d (%v), want a verdict on the message", c.Name, code, err)
			}
		case strings.HasPrefix(c.Expect, "error: "):
			says := strings.TrimPrefix(c.Expect, "error: ")
			if says == "malformed (reserved bytes)" {
				says = "non-zero reserved bytes"
			}
			if code != -32602 || !strings.Contains(err.Error(), says) {
				t.Errorf("%s: code %d (%v), want -32602 saying %q", c.Name, code, err, says)
			}
		default:
			t.Fatalf("%s: unknown expectation %q", c.Name, c.Expect)
		}
	}
	if len(cases) == 0 {
		t.Fatal("no parse-error vectors")
	}
}

func TestFailsafeOverHTTP(t *testing.T) {
	f := newFixture(t)
	var on bool
	if err := f.client.Call(&on, "admin_getFailsafeEnabled"); err != nil || on {
		t.Fatalf("failsafe initially: %v, %v", on, err)
	}
	// The setter is not served on the public interop endpoint.
	if err := f.client.Call(nil, "admin_setFailsafeEnabled", true); err == nil {
		t.Fatal("admin_setFailsafeEnabled served on the public endpoint")
	}
	(&FailsafeAdminAPI{f.checker}).SetFailsafeEnabled(true)
	if err := f.client.Call(&on, "admin_getFailsafeEnabled"); err != nil || !on {
		t.Fatalf("failsafe after enabling: %v, %v", on, err)
	}
	desc := raw(`{"chainID":"902","timestamp":"` + hex(f.msg.Identifier.Timestamp+blockTime) + `"}`)
	if code, err := f.call(t, "interop_checkAccessList", f.entries(), "unsafe", desc); code != -320602 {
		t.Fatalf("check while failsafe: code %d (%v), want -320602", code, err)
	}
}

func TestAccessListLookup(t *testing.T) {
	f := newFixture(t)
	var out PreparedMessage
	id := identifierJSON(&f.msg.Identifier)
	if err := f.client.Call(&out, "interop_accessList", id, f.msg.MsgHash); err != nil {
		t.Fatal(err)
	}
	if want := message.Checksum(&f.msg.Identifier, f.msg.MsgHash); out.Checksum != want {
		t.Fatalf("checksum %s, want %s", out.Checksum, want)
	}
	if len(out.AccessList) != 1 || len(out.AccessList[0].StorageKeys) != 2 || out.AccessList[0].StorageKeys[1] != out.Checksum {
		t.Fatalf("access list %+v", out.AccessList)
	}
	bad := id
	bad.LogIndex = 1 << 32
	if err := f.client.Call(&out, "interop_accessList", bad, f.msg.MsgHash); err == nil || !strings.Contains(err.Error(), "logIndex") {
		t.Fatalf("logIndex above 2^32-1: %v", err)
	}
}

func hex(v uint64) string { return "0x" + strings.TrimPrefix(uint256.NewInt(v).Hex(), "0x") }
