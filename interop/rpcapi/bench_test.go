package rpcapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/interop/accesslist"
)

// benchServer serves the interop endpoint on 127.0.0.1 over indexedChecker, over HTTP or
// WebSocket, and returns a client with the arguments of interop_checkAccessList for one
// valid message.
func benchServer(b *testing.B, ws bool) (*rpc.Client, []common.Hash, json.RawMessage) {
	b.Helper()
	c, msg := indexedChecker(b)
	srv, err := InteropServer(c, noStatus{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Stop)
	var handler http.Handler = srv
	if ws {
		handler = srv.WebsocketHandler(nil)
	}
	httpSrv := httptest.NewServer(handler)
	b.Cleanup(httpSrv.Close)
	if !strings.HasPrefix(httpSrv.URL, "http://127.0.0.1:") {
		b.Fatalf("bench server not on loopback: %s", httpSrv.URL)
	}
	url := httpSrv.URL
	if ws {
		url = "ws://" + strings.TrimPrefix(url, "http://")
	}
	client, err := rpc.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	entries := accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
	desc := json.RawMessage(`{"chainID":"902","timestamp":"` + hex(msg.Identifier.Timestamp+blockTime) + `","timeout":"0x15180"}`)
	return client, entries, desc
}

// benchCheckRPC times every interop_checkAccessList call of one valid message and reports
// the median and 99th percentile in µs; the target for p50 over HTTP is under 40 µs.
func benchCheckRPC(b *testing.B, ws bool) {
	client, entries, desc := benchServer(b, ws)
	ctx := context.Background()
	call := func() {
		if err := client.CallContext(ctx, nil, "interop_checkAccessList", entries, "cross-unsafe", desc); err != nil {
			b.Fatal(err)
		}
	}
	for range 100 { // connection set up, server and client buffers warm
		call()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		call()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkCheckAccessListRPC is interop_checkAccessList of one valid message over HTTP
// on 127.0.0.1, one request at a time (client encoding, loopback, server, checker).
func BenchmarkCheckAccessListRPC(b *testing.B) { benchCheckRPC(b, false) }

// BenchmarkCheckAccessListRPCWebSocket is the same over one WebSocket connection.
func BenchmarkCheckAccessListRPCWebSocket(b *testing.B) { benchCheckRPC(b, true) }
