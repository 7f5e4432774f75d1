package follower

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
)

// cannedNode answers JSON-RPC methods with fixed results (raw JSON), or "method not found".
func cannedNode(t *testing.T, answers map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params []any           `json:"params"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		key := req.Method
		if len(req.Params) > 0 {
			if tag, ok := req.Params[0].(string); ok && req.Method == "eth_getBlockByNumber" {
				key += " " + tag
			}
		}
		w.Header().Set("Content-Type", "application/json")
		res, ok := answers[key]
		if !ok {
			json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{"code": -32601, "message": "the method " + req.Method + " does not exist/is not available"}})
			return
		}
		w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":` + res + `}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func headerJSON(t *testing.T, h *types.Header) string {
	t.Helper()
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	m["hash"] = h.Hash()
	out, _ := json.Marshal(m)
	return string(out)
}

// A remote chain's labels come from its xgeth's interop_safety, else from the safe and
// finalized tags of any node; what a node answers wrongly is an error, never a label.
func TestRPCSourceLabels(t *testing.T) {
	safe := &types.Header{Number: big.NewInt(7), Time: 1014, Difficulty: big.NewInt(0)}
	fin := &types.Header{Number: big.NewInt(3), Time: 1006, Difficulty: big.NewInt(0)}
	var forged map[string]any // the safe block with a reported hash that is not its fields'
	json.Unmarshal([]byte(headerJSON(t, safe)), &forged)
	forged["hash"] = fin.Hash()
	raw, _ := json.Marshal(forged)
	badHash := string(raw)
	safety := `[{"chainId":"0x386","localSafe":null,"localFinalized":null},` +
		`{"chainId":"0x385","localSafe":{"number":"0x9","hash":"0x1111111111111111111111111111111111111111111111111111111111111111",` +
		`"parentHash":"0x0000000000000000000000000000000000000000000000000000000000000000","timestamp":"0x3fa"},"localFinalized":null}]`
	for _, tc := range []struct {
		name       string
		answers    map[string]string
		safe, fin  uint64 // 0: none
		wantErr    error
		anyErr     bool
		fromSafety bool
	}{
		{name: "xgeth interop_safety", answers: map[string]string{"interop_safety": safety}, safe: 9, fromSafety: true},
		{name: "block tags", answers: map[string]string{"eth_getBlockByNumber safe": headerJSON(t, safe), "eth_getBlockByNumber finalized": headerJSON(t, fin)}, safe: 7, fin: 3},
		{name: "interop_safety without this chain: block tags", answers: map[string]string{"interop_safety": `[]`, "eth_getBlockByNumber safe": headerJSON(t, safe)}, safe: 7},
		{name: "no labels yet", answers: map[string]string{"eth_getBlockByNumber safe": "null", "eth_getBlockByNumber finalized": "null"}},
		{name: "tags not supported", answers: map[string]string{}},
		{name: "interop_safety malformed", answers: map[string]string{"interop_safety": `{"not":"a list"}`}, wantErr: ErrMalformed},
		{name: "interop_safety bad ref", answers: map[string]string{"interop_safety": `[{"chainId":"0x385","localSafe":{"number":"nine"}}]`}, wantErr: ErrMalformed},
		{name: "tag with a forged hash", answers: map[string]string{"eth_getBlockByNumber safe": badHash}, wantErr: ErrBadHeader},
		{name: "tag not a block", answers: map[string]string{"eth_getBlockByNumber safe": `"0x1"`}, wantErr: ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewRPCSource(cannedNode(t, tc.answers), WithChainID(uint256.NewInt(901)))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			// The chain-ID check on connection.
			tc.answers["eth_chainId"] = `"0x385"`
			l, err := src.Labels(context.Background())
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("labels: %+v, %v; want %v", l, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := labelNumber(l.LocalSafe); n != tc.safe {
				t.Errorf("local-safe %d, want %d", n, tc.safe)
			}
			if n := labelNumber(l.LocalFinalized); n != tc.fin {
				t.Errorf("local-finalized %d, want %d", n, tc.fin)
			}
			if tc.safe == 7 && l.LocalSafe.Hash != safe.Hash() {
				t.Errorf("local-safe hash %s, want the header's %s", l.LocalSafe.Hash, safe.Hash())
			}
		})
	}
}

func labelNumber(r *logindex.BlockRef) uint64 {
	if r == nil {
		return 0
	}
	return r.Number
}

// A node without interop_safety (any client but xgeth) is asked for it once, then read from
// its block tags alone: the poll runs every block time and a refused call is a wasted round
// trip. An xgeth node keeps being asked.
func TestRPCSourceLabelsRemembersNoSafety(t *testing.T) {
	safe := &types.Header{Number: big.NewInt(7), Time: 1014, Difficulty: big.NewInt(0)}
	for _, tc := range []struct {
		name    string
		answers map[string]string
		asked   int64
	}{
		{"op-geth", map[string]string{"eth_getBlockByNumber safe": headerJSON(t, safe)}, 1},
		{"xgeth", map[string]string{"interop_safety": `[]`, "eth_getBlockByNumber safe": headerJSON(t, safe)}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int64
			inner := cannedNode(t, tc.answers)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if strings.Contains(string(body), `"interop_safety"`) {
					asked.Add(1)
				}
				resp, err := http.Post(inner, "application/json", bytes.NewReader(body))
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				defer resp.Body.Close()
				w.Header().Set("Content-Type", "application/json")
				io.Copy(w, resp.Body)
			}))
			t.Cleanup(srv.Close)
			src, err := NewRPCSource(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			for range 3 {
				l, err := src.Labels(context.Background())
				if err != nil || labelNumber(l.LocalSafe) != 7 {
					t.Fatalf("labels: %+v, %v", l, err)
				}
			}
			if n := asked.Load(); n != tc.asked {
				t.Fatalf("interop_safety asked %d times in 3 polls, want %d", n, tc.asked)
			}
		})
	}
}
