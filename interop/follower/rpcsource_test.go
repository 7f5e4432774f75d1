package follower

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/xgeth/xgeth/interop/internal/leaktest"
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
	// A URL that does not parse is not repeated in the error (url.Parse's own error does).
	_, err := NewRPCSource("wss://" + leaktest.User + ":" + leaktest.Pass + "@[::1/v3/" + leaktest.Path + "?token=" + leaktest.Query)
	if err == nil || leaktest.Leaked(err.Error()) != nil {
		t.Fatalf("unparsable URL: %v", err)
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

// leakyServers are remotes that fail in ways whose errors tend to carry the request URL:
// each echoes everything it was sent (path, query, Authorization header) where it can.
func leakyServers(t *testing.T) map[string]string {
	t.Helper()
	echo := func(r *http.Request) string {
		return fmt.Sprintf("unknown key %s (auth %s) for %s", r.URL.RequestURI(), r.Header.Get("Authorization"), r.URL.Query().Get("token"))
	}
	status500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, echo(r))
	}))
	rpcError := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{"code": -32000, "message": echo(r)}})
	}))
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(func() {
		status500.Close()
		rpcError.Close()
		hangUp.Close()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	return map[string]string{
		"HTTP 500":           status500.Listener.Addr().String(),
		"JSON-RPC error":     rpcError.Listener.Addr().String(),
		"hangs up":           hangUp.Listener.Addr().String(),
		"connection refused": closed,
	}
}

// TestRPCSourceErrorsHideURLSecrets: whatever fails, over HTTP and WebSocket, the errors
// that leave the source and the follower's status name the endpoint by scheme and host only.
func TestRPCSourceErrorsHideURLSecrets(t *testing.T) {
	for name, addr := range leakyServers(t) {
		for _, scheme := range []string{"http", "ws"} {
			t.Run(name+" "+scheme, func(t *testing.T) {
				src := rpcSource(t, leaktest.URL(scheme, addr), WithRequestTimeout(10*time.Second))
				public := scheme + "://" + addr
				if got := RedactURL(leaktest.URL(scheme, addr)); got != public {
					t.Fatalf("RedactURL %q, want %q", got, public)
				}
				ctx := context.Background()
				var errs []error
				_, err := src.Head(ctx)
				errs = append(errs, err)
				_, err = src.HeaderByNumber(ctx, 1)
				errs = append(errs, err)
				_, _, err = src.Receipts(ctx, common.Hash{1})
				errs = append(errs, err)
				sub, err := src.SubscribeNewHeads(ctx, make(chan *types.Header, 1))
				if err == nil {
					err = <-sub.Err() // polling: the first poll fails
					sub.Unsubscribe()
				}
				errs = append(errs, err)
				for i, err := range errs {
					if err == nil {
						t.Fatalf("call %d succeeded", i)
					}
					if l := leaktest.Leaked(err.Error()); l != nil {
						t.Fatalf("call %d: error leaks %q: %v", i, l, err)
					}
					if !strings.Contains(err.Error(), addr) {
						t.Errorf("call %d: error does not name %s: %v", i, addr, err)
					}
				}
				t.Logf("%v", errs[0])

				f, err := New(testConfig(), src, newIndex(t))
				if err != nil {
					t.Fatal(err)
				}
				startFollower(t, f)
				waitFor(t, "the error state", func() bool { st := f.Status(); return st.State == StateError && st.Err != nil })
				if err := f.Status().Err; leaktest.Leaked(err.Error()) != nil {
					t.Fatalf("status error leaks %q: %v", leaktest.Leaked(err.Error()), err)
				}
			})
		}
	}
}

// TestRedactor: every spelling of a URL's secrets is scrubbed, the scheme and host kept,
// and errors keep what they wrap.
func TestRedactor(t *testing.T) {
	raw := "https://" + leaktest.User + ":" + leaktest.Pass + "@node.example:8545/v3/" + leaktest.Path + "?token=" + leaktest.Query + "&x=a%2Fb#frag-" + leaktest.Query
	src, err := NewRPCSource(raw)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	for i, text := range []string{
		raw,
		u.String(),
		u.Redacted(),
		`Post "https://` + leaktest.User + `:***@node.example:8545/v3/` + leaktest.Path + `?token=` + leaktest.Query + `&x=a%2Fb": EOF`,
		"invalid project id " + leaktest.Path,
		"token " + leaktest.Query + " expired",
		"user " + leaktest.User + " denied",
		"Basic " + base64.StdEncoding.EncodeToString([]byte(leaktest.User+":"+leaktest.Pass)),
		"/v3/" + leaktest.Path + "?token=" + leaktest.Query,
		strings.Repeat("x", 5000) + leaktest.Pass,
	} {
		err := src.public(fmt.Errorf("wrapped: %w", fmt.Errorf("%s: %w", text, ErrNotFound)))
		if l := leaktest.Leaked(err.Error()); l != nil {
			t.Errorf("case %d: leaks %q", i, l)
		}
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("case %d: no longer wraps ErrNotFound", i)
		}
		if len(err.Error()) > maxErrorText+len("… (truncated)") {
			t.Errorf("case %d: %d bytes of error text", i, len(err.Error()))
		}
	}
	if got := src.public(errors.New(`Post "` + raw + `": EOF`)).Error(); got != `Post "https://node.example:8545": EOF` {
		t.Errorf("whole URL scrubbed to %q", got)
	}
	if err := ErrNotFound; src.public(err) != err {
		t.Error("a clean error was wrapped")
	}
}

// TestRPCSourceResponseBound: over HTTP no response is read past the bound, whether its
// length is announced or not, and an error body is cut short; a response within the bound
// is read as usual.
func TestRPCSourceResponseBound(t *testing.T) {
	const limit = 8 << 10
	// blockResponse is a valid answer to eth_getBlockByNumber, padded to about size bytes.
	blockResponse := func(t *testing.T, size int) []byte {
		m := servedBlock(t, 7)
		m["padding"] = strings.Repeat("0", size)
		return encode(t, map[string]any{"jsonrpc": "2.0", "id": 1, "result": m})
	}
	var sent atomic.Int64
	for _, tt := range []struct {
		name  string
		serve func(w http.ResponseWriter)
		want  error // nil: the call succeeds
	}{
		{"within the bound", func(w http.ResponseWriter) { w.Write(blockResponse(t, limit/2)) }, nil},
		{"announced too long", func(w http.ResponseWriter) {
			body := blockResponse(t, 2*limit)
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body)
		}, ErrResponseTooLarge},
		{"streamed without end", func(w http.ResponseWriter) {
			w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"padding":"`))
			chunk := []byte(strings.Repeat("0", 1024))
			for range 64 << 10 { // 64 MiB unless the client hangs up first
				if _, err := w.Write(chunk); err != nil {
					return
				}
				sent.Add(int64(len(chunk)))
				w.(http.Flusher).Flush()
			}
		}, ErrResponseTooLarge},
		{"error status with a long body", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(strings.Repeat("bad gateway ", 1<<20)))
		}, errors.New("")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				tt.serve(w)
			}))
			defer srv.Close()
			src := rpcSource(t, srv.URL, WithMaxResponseSize(limit))
			_, err := src.Head(context.Background())
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("within the bound: %v", err)
			case tt.want == nil:
				return
			case err == nil:
				t.Fatal("accepted")
			case tt.want == ErrResponseTooLarge && !errors.Is(err, ErrResponseTooLarge):
				t.Fatalf("error %v is not ErrResponseTooLarge", err)
			case len(err.Error()) > 2*maxErrorText:
				t.Fatalf("%d bytes of error text", len(err.Error()))
			}
			t.Logf("%v", err)
		})
	}
	if n := sent.Load(); n >= 64<<20 {
		t.Fatalf("the whole endless response was sent (%d bytes): the client kept reading", n)
	}
	if _, err := NewRPCSource("http://127.0.0.1:1", WithMaxResponseSize(0)); err == nil {
		t.Fatal("a zero bound accepted")
	}
}

// FuzzRedactor: for any URL the source accepts, errors spelling it as a transport does
// keep none of its password, path or query once scrubbed (unless the public name itself
// contains them), and never panic.
func FuzzRedactor(f *testing.F) {
	f.Add("https://" + leaktest.User + ":" + leaktest.Pass + "@node.example:8545/v3/" + leaktest.Path + "?token=" + leaktest.Query)
	f.Add("ws://127.0.0.1:9545")
	f.Add("http://u:p%40ss%2Fword@h/a%2Fb/c?x=%26y&z=1#f")
	f.Add("wss://[::1]:1/" + leaktest.Path)
	f.Fuzz(func(t *testing.T, raw string) {
		src, err := NewRPCSource(raw)
		if err != nil {
			return
		}
		u, _ := url.Parse(raw)
		name := RedactURL(raw)
		texts := []string{raw, u.String(), u.Redacted(), `Post "` + u.String() + `": EOF`}
		var secrets []string
		if u.User != nil {
			pass, _ := u.User.Password()
			secrets = append(secrets, pass)
			texts = append(texts, strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1))
		}
		secrets = append(secrets, u.Path, u.RawQuery)
		for _, text := range texts {
			out := src.public(errors.New(text)).Error()
			for _, s := range secrets {
				if len(s) >= minSecretLen && !strings.Contains(name, s) && !strings.Contains("***", s) && strings.Contains(out, s) {
					t.Fatalf("%q scrubbed to %q keeps %q", text, out, s)
				}
			}
		}
	})
}
