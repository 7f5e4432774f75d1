package service

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/internal/leaktest"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestStatusHidesURLSecrets: remotes given by URLs with a user and password, a key in the
// path and a token in the query, over HTTP and WebSocket, failing in ways that tend to
// echo the URL (HTTP 500 echoing the request, a hang-up, a closed port) or healthy: the
// status names each by scheme and host only, its error text and every log line carry
// none of the secrets.
func TestStatusHidesURLSecrets(t *testing.T) {
	logs := new(lockedBuffer)
	prev := log.Root()
	log.SetDefault(log.NewLogger(log.NewTerminalHandlerWithLevel(logs, log.LevelTrace, false)))
	t.Cleanup(func() { log.SetDefault(prev) })

	echo500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "unknown key %s (auth %s)", r.URL.RequestURI(), r.Header.Get("Authorization"))
	}))
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(echo500.Close)
	t.Cleanup(hangUp.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	healthy := newRemoteChain(906, 3)
	wsSrv := rpc.NewServer()
	if err := wsSrv.RegisterName("eth", &remoteEth{c: healthy}); err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(wsSrv.WebsocketHandler([]string{"*"}))
	t.Cleanup(func() {
		ws.Close()
		wsSrv.Stop()
	})
	addr := func(s *httptest.Server) string { return s.Listener.Addr().String() }

	remotes := map[uint64]string{ // chain ID → URL
		901: leaktest.URL("http", addr(echo500)),
		902: leaktest.URL("ws", addr(echo500)),
		903: leaktest.URL("http", addr(hangUp)),
		904: leaktest.URL("ws", addr(hangUp)),
		905: leaktest.URL("http", closed),
		906: leaktest.URL("ws", addr(ws)),
	}
	var chains []depset.Chain
	for id, url := range remotes {
		chains = append(chains, depset.Chain{ID: *uint256.NewInt(id), BlockTime: 2, RPC: url})
	}
	s := startService(t, memorydb.New(), chains...)
	waitFor(t, "every failing remote in error, the healthy one indexed", func() bool {
		for id := range remotes {
			st := statusOf(t, s, id)
			if id == 906 {
				if st.LocalUnsafe == nil || st.LocalUnsafe.Number != 3 {
					return false
				}
			} else if st.State != "error" || st.Error == "" {
				return false
			}
		}
		return true
	})
	for id, url := range remotes {
		st := statusOf(t, s, id)
		scheme, rest, _ := strings.Cut(url, "://")
		host := rest[strings.Index(rest, "@")+1 : strings.Index(rest, "/")]
		if want := scheme + "://" + host; st.Source != want {
			t.Errorf("chain %d: source %q, want %q", id, st.Source, want)
		}
		if l := leaktest.Leaked(st.Error); l != nil {
			t.Errorf("chain %d: error leaks %q: %s", id, l, st.Error)
		}
		t.Logf("chain %d: %s %s %s", id, st.Source, st.State, st.Error)
	}
	s.Stop()
	out := logs.String()
	if !strings.Contains(out, "Following chain for interop") {
		t.Fatal("no start-up log captured")
	}
	for _, line := range strings.Split(out, "\n") {
		if l := leaktest.Leaked(line); l != nil {
			t.Errorf("log line leaks %q: %s", l, line)
		}
	}
}
