package devnet_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
)

// call is one JSON-RPC request.
type call struct {
	method string
	params []any
}

// The public ports, open to any web page, serve read-only tracing but none of geth's debug
// methods that change the chain, the database or files, and no admin method; the
// authenticated port serves eth, the engine API and the failsafe switch, but none of
// geth's admin methods. Over HTTP and WebSocket alike.
func TestDevnetRPCSurface(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	c := d.Chains[0]
	to := d.Accounts[1].Address
	receipt := sendTx(ctx, t, clients[0], d.Accounts[0], &to, nil, nil, 21_000)
	dir := t.TempDir()
	profile := filepath.Join(dir, "mem.prof")
	secret, err := node.ObtainJWTSecret(d.JWTSecret)
	if err != nil {
		t.Fatal(err)
	}
	auth := rpc.WithHTTPAuth(node.NewJWTAuth([32]byte(secret)))

	// Harmful on geth's debug and admin services; the arguments make none of them do
	// lasting harm should it be served.
	geths := []call{
		{"debug_setHead", []any{hexutil.Uint64(receipt.BlockNumber.Uint64())}},
		{"debug_writeMemProfile", []any{profile}},
		{"debug_writeBlockProfile", []any{profile}},
		{"debug_startCPUProfile", []any{profile}},
		{"debug_chaindbCompact", nil},
		{"debug_setGCPercent", []any{100}},
		{"debug_verbosity", []any{3}},
		{"debug_freeOSMemory", nil},
		{"debug_stacks", nil},
		{"debug_standardTraceBlockToFile", []any{receipt.BlockHash, nil}},
		{"debug_traceBlockFromFile", []any{profile, nil}},
		{"debug_getRawBlock", []any{"latest"}},
		{"admin_nodeInfo", nil},
		{"admin_peers", nil},
		{"admin_datadir", nil},
		{"admin_addPeer", []any{"enode://00@127.0.0.1:1"}},
		{"admin_startHTTP", []any{"256.0.0.1", 1}},
		{"admin_startWS", []any{"256.0.0.1", 1}},
		{"admin_exportChain", []any{filepath.Join(dir, "chain.rlp")}},
		{"admin_importChain", []any{filepath.Join(dir, "chain.rlp")}},
		{"miner_setExtra", []any{"x"}},
	}
	tracing := []call{
		{"debug_traceTransaction", []any{receipt.TxHash}},
		{"debug_traceTransaction", []any{receipt.TxHash, map[string]any{"tracer": "callTracer"}}},
		{"debug_traceCall", []any{map[string]any{"from": d.Accounts[0].Address, "to": to, "value": "0x1"}, "latest"}},
		{"debug_traceBlockByNumber", []any{hexutil.Uint64(receipt.BlockNumber.Uint64())}},
		{"debug_traceBlockByHash", []any{receipt.BlockHash}},
	}
	failsafe := []call{
		{"admin_getFailsafeEnabled", nil},
		{"admin_setFailsafeEnabled", []any{false}},
	}
	authenticated := append(append([]call{{"eth_chainId", nil}, {"engine_exchangeCapabilities", []any{[]string{}}}}, tracing...), failsafe...)
	for _, port := range []struct {
		name     string
		url      string
		opts     []rpc.ClientOption
		refused  []call
		answered []call
	}{
		{"public HTTP", c.HTTPEndpoint(), nil, append(geths, failsafe...), tracing},
		{"public WebSocket", c.WSEndpoint(), nil, append(geths, failsafe...), tracing},
		{"authenticated HTTP", c.AuthEndpoint(), []rpc.ClientOption{auth}, geths, authenticated},
		{"authenticated WebSocket", c.Node.WSAuthEndpoint(), []rpc.ClientOption{auth}, geths, authenticated},
	} {
		cl, err := rpc.DialOptions(ctx, port.url, port.opts...)
		if err != nil {
			t.Fatalf("%s: %v", port.name, err)
		}
		for _, req := range port.refused {
			var res json.RawMessage
			err := cl.CallContext(ctx, &res, req.method, req.params...)
			var coded rpc.Error
			if !errors.As(err, &coded) || coded.ErrorCode() != -32601 {
				t.Errorf("%s: %s answered %s, %v; want method not found (-32601)", port.name, req.method, res, err)
			}
		}
		for _, req := range port.answered {
			var res json.RawMessage
			if err := cl.CallContext(ctx, &res, req.method, req.params...); err != nil {
				t.Errorf("%s: %s: %v", port.name, req.method, err)
			} else if req.method != "admin_setFailsafeEnabled" && (len(res) == 0 || string(res) == "null") {
				t.Errorf("%s: %s answered null", port.name, req.method)
			}
		}
		cl.Close()
	}
	if _, err := os.Stat(profile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a debug method wrote %s", profile)
	}
	// Other nodes of the process keep geth's authenticated modules.
	if !slices.Equal(node.DefaultAuthModules, []string{"eth", "engine"}) {
		t.Errorf("node.DefaultAuthModules changed to %v", node.DefaultAuthModules)
	}
}
