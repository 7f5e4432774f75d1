package follower

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func TestNewRPCSourceRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		url  string
		opts []RPCOption
	}{
		"no scheme":         {url: "127.0.0.1:8545"},
		"ipc path":          {url: "/tmp/geth.ipc"},
		"other scheme":      {url: "ftp://127.0.0.1"},
		"unparsable":        {url: "ws://[::1"},
		"zero poll":         {url: "http://127.0.0.1:1", opts: []RPCOption{WithPollInterval(0)}},
		"negative timeout":  {url: "ws://127.0.0.1:1", opts: []RPCOption{WithRequestTimeout(-time.Second)}},
		"zero resubscribe ": {url: "ws://127.0.0.1:1", opts: []RPCOption{WithResubscribeAfter(0)}},
	} {
		if _, err := NewRPCSource(tc.url, tc.opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	src, err := NewRPCSource("wss://user:secret@example.invalid/v3/key")
	if err != nil {
		t.Fatal(err)
	}
	if src.name != "wss://example.invalid" {
		t.Fatalf("logged name %q leaks the URL", src.name)
	}
}

// servedBlock is block n of a fake chain as eth_getBlockByNumber returns it.
func servedBlock(t testing.TB, n uint64) map[string]any {
	m, err := blockJSON(makeBlock(common.Hash{1}, n, 0))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t testing.TB, v any) json.RawMessage {
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestDecodeBlock(t *testing.T) {
	good := servedBlock(t, 7)
	h, txs, err := decodeBlock(encode(t, good), true)
	if err != nil || h.Hash().Hex() != good["hash"] || len(txs) != 3 {
		t.Fatalf("good block: %v, %d txs", err, len(txs))
	}
	empty := servedBlock(t, 4)
	if _, txs, err := decodeBlock(encode(t, empty), true); err != nil || txs == nil || len(txs) != 0 {
		t.Fatalf("empty block: %v, txs %#v", err, txs)
	}
	head := servedBlock(t, 7)
	delete(head, "transactions")
	if _, txs, err := decodeBlock(encode(t, head), false); err != nil || txs != nil {
		t.Fatalf("newHeads notification: %v", err)
	}

	with := func(key string, v any) json.RawMessage {
		m := servedBlock(t, 7)
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
		return encode(t, m)
	}
	for _, tt := range []struct {
		name string
		raw  json.RawMessage
		want error
	}{
		{"null", json.RawMessage("null"), ErrNotFound},
		{"empty", nil, ErrNotFound},
		{"not json", json.RawMessage("{"), ErrMalformed},
		{"not an object", json.RawMessage("[1]"), ErrMalformed},
		{"missing number", with("number", nil), ErrMalformed},
		{"missing hash", with("hash", nil), ErrMalformed},
		{"another hash", with("hash", common.Hash{9}), ErrBadHeader},
		{"number above u64", with("number", "0x10000000000000000"), ErrBadHeader},
		{"other field changed", with("timestamp", "0x1"), ErrBadHeader},
		{"missing transactions", with("transactions", nil), ErrMalformed},
		{"transactions null", with("transactions", json.RawMessage("null")), ErrMalformed},
		{"transactions as objects", with("transactions", []map[string]any{{"hash": common.Hash{1}}}), ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeBlock(tt.raw, true)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzDecodeBlock: remote block JSON never panics, and a decoded header always hashes to
// the hash the remote reported.
func FuzzDecodeBlock(f *testing.F) {
	for _, n := range []uint64{0, 4, 5, 7} {
		m := servedBlock(f, n)
		f.Add([]byte(encode(f, m)))
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`{"hash":"0x00","transactions":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, txs, err := decodeBlock(data, true)
		if err != nil {
			return
		}
		var reported struct {
			Hash common.Hash `json:"hash"`
		}
		if json.Unmarshal(data, &reported) != nil || reported.Hash != h.Hash() || txs == nil {
			t.Fatalf("accepted block with hash %s, reported %s (txs %v)", h.Hash(), reported.Hash, txs)
		}
	})
}
