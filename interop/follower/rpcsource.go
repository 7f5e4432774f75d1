package follower

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
)

// Defaults of the RPC source.
const (
	DefaultPollInterval     = time.Second
	DefaultRequestTimeout   = 10 * time.Second
	DefaultResubscribeAfter = time.Minute
)

// DefaultMaxResponseSize bounds one response (an HTTP body, a WebSocket message):
// eth_getBlockReceipts of a block full of logs can exceed the RPC client's 32 MiB
// WebSocket default, and over HTTP the client sets no bound at all.
const DefaultMaxResponseSize = 256 << 20

// maxErrorBody bounds the body of a non-2xx HTTP response, which the RPC client reads
// whole into its error: only its start is of use to an operator.
const maxErrorBody = 64 << 10

// txHashCacheSize is how many blocks' transaction hashes are kept between reading a header
// and reading its receipts (a few times the follower's fetch-ahead window).
const txHashCacheSize = 256

// RPCOption configures an RPCSource.
type RPCOption func(*rpcConfig)

type rpcConfig struct {
	pollInterval     time.Duration
	requestTimeout   time.Duration
	resubscribeAfter time.Duration
	chainID          *uint256.Int
	maxResponse      int64
}

// WithMaxResponseSize bounds the size of one response from the remote, an HTTP body or a
// WebSocket message, in bytes. Default DefaultMaxResponseSize (256 MiB). A larger response
// fails the call (over HTTP with an error wrapping ErrResponseTooLarge; over WebSocket the
// client drops the connection, which is dialled again); the follower retries it like any
// bad source data. A chain whose blocks legitimately need more needs a larger bound.
func WithMaxResponseSize(n int64) RPCOption { return func(c *rpcConfig) { c.maxResponse = n } }

// WithPollInterval sets how often the head is polled when there is no newHeads subscription
// (http(s) URLs, or a WebSocket endpoint that refuses it). Default 1s.
func WithPollInterval(d time.Duration) RPCOption { return func(c *rpcConfig) { c.pollInterval = d } }

// WithRequestTimeout bounds every request and dial. Default 10s.
func WithRequestTimeout(d time.Duration) RPCOption {
	return func(c *rpcConfig) { c.requestTimeout = d }
}

// WithResubscribeAfter sets how long a WebSocket endpoint that refused the newHeads
// subscription is polled before the subscription is tried again. Default 1 minute.
func WithResubscribeAfter(d time.Duration) RPCOption {
	return func(c *rpcConfig) { c.resubscribeAfter = d }
}

// WithChainID makes the source check, on every (re)connection, that the endpoint's
// eth_chainId is id; otherwise calls fail with ErrChainID.
func WithChainID(id *uint256.Int) RPCOption {
	return func(c *rpcConfig) { c.chainID = new(uint256.Int).Set(id) }
}

// RPCSource is the Source of a chain run elsewhere, read over its standard JSON-RPC:
// eth_getBlockByNumber / eth_getBlockByHash (headers and transaction hashes),
// eth_getBlockReceipts (receipts, one call per block), eth_subscribe newHeads over
// WebSocket, and polling of the latest block over HTTP or when the subscription is refused.
//
// It connects lazily and drops a connection that failed at the transport level, so the next
// call dials again; the follower paces those retries with its capped exponential backoff.
// Reported header hashes are checked against the header fields.
//
// A hostile remote cannot make it hold unbounded data: every response is bounded
// (WithMaxResponseSize), and so is the number of requests in flight. The follower has at
// most Config.FetchAhead of them (each block of the fetch window reads its header, then its
// receipts, one after the other; reorg handling and the start-time search run alone), and
// the head poller one more; a WebSocket subscription delivers one notification at a time.
// Responses held at once are thus at most FetchAhead+1 (17 with the defaults).
//
// The URL may carry credentials (user:password@, an API key in the path, a token in the
// query): every error that leaves the source and every log line names only its scheme and
// host (RedactURL). Errors of the transports below spell the URL in their own ways
// (net/http's *url.Error prints path and query, a remote's error text may echo them), so
// rather than trusting any one of them, every error is scrubbed of each known spelling of
// the URL and of its secret parts on the way out (see redactor).
type RPCSource struct {
	url    string
	name   string
	ws     bool
	cfg    rpcConfig
	log    log.Logger
	txs    *lru.Cache[common.Hash, []common.Hash]
	redact *strings.Replacer
	http   *http.Client // http(s) only

	mu     sync.Mutex
	client *rpc.Client
	closed bool

	noSafetyUntil atomic.Int64 // unix ns: until then the node is known not to serve interop_safety
}

// NewRPCSource returns a source reading the chain at rawurl (ws://, wss://, http://,
// https://). It does not connect yet.
func NewRPCSource(rawurl string, opts ...RPCOption) (*RPCSource, error) {
	u, err := parseURL(rawurl)
	if err != nil {
		return nil, err
	}
	s := &RPCSource{
		url:    rawurl,
		name:   publicName(u),
		txs:    lru.NewCache[common.Hash, []common.Hash](txHashCacheSize),
		redact: redactor(rawurl, u),
		cfg: rpcConfig{
			pollInterval:     DefaultPollInterval,
			requestTimeout:   DefaultRequestTimeout,
			resubscribeAfter: DefaultResubscribeAfter,
			maxResponse:      DefaultMaxResponseSize,
		},
	}
	switch u.Scheme {
	case "ws", "wss":
		s.ws = true
	case "http", "https":
	default:
		return nil, fmt.Errorf("follower: RPC URL scheme %q: want ws, wss, http or https", u.Scheme)
	}
	for _, o := range opts {
		o(&s.cfg)
	}
	if s.cfg.pollInterval <= 0 || s.cfg.requestTimeout <= 0 || s.cfg.resubscribeAfter <= 0 {
		return nil, errors.New("follower: RPC source intervals must be positive")
	}
	if s.cfg.maxResponse <= 0 {
		return nil, errors.New("follower: RPC source response size bound must be positive")
	}
	if !s.ws {
		// geth's RPC client reads HTTP bodies without a bound: bound them in the transport.
		base := http.DefaultTransport.(*http.Transport).Clone()
		s.http = &http.Client{Transport: &boundedTransport{base: base, limit: s.cfg.maxResponse}}
	}
	s.log = log.New("remote", s.name)
	return s, nil
}

// Close closes the connection; later calls fail.
func (s *RPCSource) Close() {
	s.mu.Lock()
	c := s.client
	s.client, s.closed = nil, true
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
	if s.http != nil {
		s.http.CloseIdleConnections()
	}
}

// conn returns the connection, dialling (and checking the chain ID) when there is none.
func (s *RPCSource) conn(ctx context.Context) (*rpc.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("RPC source %s: closed", s.name)
	}
	if s.client != nil {
		return s.client, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.requestTimeout)
	defer cancel()
	opts := []rpc.ClientOption{rpc.WithWebsocketMessageSizeLimit(s.cfg.maxResponse)}
	if s.http != nil {
		opts = append(opts, rpc.WithHTTPClient(s.http))
	}
	c, err := rpc.DialOptions(ctx, s.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.name, err)
	}
	if want := s.cfg.chainID; want != nil {
		var got hexutil.Big
		if err := c.CallContext(ctx, &got, "eth_chainId"); err != nil {
			c.Close()
			return nil, fmt.Errorf("eth_chainId on %s: %w", s.name, err)
		}
		if id, overflow := uint256.FromBig((*big.Int)(&got)); overflow || !id.Eq(want) {
			c.Close()
			return nil, fmt.Errorf("%w: %s has chain ID %s, want %s", ErrChainID, s.name, (*big.Int)(&got), want.Dec())
		}
	}
	s.client = c
	s.log.Debug("Connected to remote chain")
	return c, nil
}

// drop forgets c after a transport failure so the next call dials again.
func (s *RPCSource) drop(c *rpc.Client) {
	s.mu.Lock()
	current := s.client == c
	if current {
		s.client = nil
	}
	s.mu.Unlock()
	if current {
		c.Close()
	}
}

// call makes one request with the source's timeout; result is a json.RawMessage.
func (s *RPCSource) call(ctx context.Context, result *json.RawMessage, method string, args ...any) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.requestTimeout)
	defer cancel()
	if err := c.CallContext(cctx, result, method, args...); err != nil {
		var rerr rpc.Error
		if !errors.As(err, &rerr) && ctx.Err() == nil {
			s.drop(c) // the connection is broken or stuck, not the request refused
		}
		return fmt.Errorf("%s on %s: %w", method, s.name, err)
	}
	return nil
}

// Head implements Source.
func (s *RPCSource) Head(ctx context.Context) (*types.Header, error) {
	h, err := s.head(ctx)
	return h, s.public(err)
}

func (s *RPCSource) head(ctx context.Context) (*types.Header, error) {
	var raw json.RawMessage
	if err := s.call(ctx, &raw, "eth_getBlockByNumber", "latest", false); err != nil {
		return nil, err
	}
	h, txs, err := decodeBlock(raw, true)
	if err != nil {
		return nil, fmt.Errorf("latest block of %s: %w", s.name, err)
	}
	s.txs.Add(h.Hash(), txs)
	return h, nil
}

// HeaderByNumber implements Source.
func (s *RPCSource) HeaderByNumber(ctx context.Context, number uint64) (*types.Header, error) {
	h, err := s.headerByNumber(ctx, number)
	return h, s.public(err)
}

func (s *RPCSource) headerByNumber(ctx context.Context, number uint64) (*types.Header, error) {
	var raw json.RawMessage
	if err := s.call(ctx, &raw, "eth_getBlockByNumber", hexutil.Uint64(number), false); err != nil {
		return nil, err
	}
	h, txs, err := decodeBlock(raw, true)
	if err != nil {
		return nil, fmt.Errorf("block %d of %s: %w", number, s.name, err)
	}
	if h.Number.Uint64() != number {
		return nil, badBlock(number, h.Hash(), ErrBadHeader, "asked for block %d, got %v", number, h.Number)
	}
	s.txs.Add(h.Hash(), txs)
	return h, nil
}

// Receipts implements Source. The transaction hashes come from the header just read by
// number (cached) or else from eth_getBlockByHash.
func (s *RPCSource) Receipts(ctx context.Context, hash common.Hash) (types.Receipts, []common.Hash, error) {
	rs, txs, err := s.receipts(ctx, hash)
	return rs, txs, s.public(err)
}

func (s *RPCSource) receipts(ctx context.Context, hash common.Hash) (types.Receipts, []common.Hash, error) {
	txs, ok := s.txs.Get(hash)
	if !ok {
		var raw json.RawMessage
		if err := s.call(ctx, &raw, "eth_getBlockByHash", hash, false); err != nil {
			return nil, nil, err
		}
		h, t, err := decodeBlock(raw, true)
		if err != nil {
			return nil, nil, fmt.Errorf("block %s of %s: %w", hash.Hex(), s.name, err)
		}
		if h.Hash() != hash {
			return nil, nil, badBlock(h.Number.Uint64(), hash, ErrBadHeader, "asked for block %s, got %s", hash.Hex(), h.Hash().Hex())
		}
		txs = t
	}
	var raw json.RawMessage
	if err := s.call(ctx, &raw, "eth_getBlockReceipts", hash); err != nil {
		return nil, nil, err
	}
	if isNull(raw) {
		return nil, nil, fmt.Errorf("eth_getBlockReceipts %s on %s: %w", hash.Hex(), s.name, ErrNotFound)
	}
	var receipts types.Receipts
	if err := json.Unmarshal(raw, &receipts); err != nil {
		return nil, nil, fmt.Errorf("%w: block %s: %w: receipts: %v", ErrBadBlock, hash.Hex(), ErrMalformed, err)
	}
	return receipts, txs, nil
}

// SubscribeNewHeads implements Source: eth_subscribe newHeads over WebSocket, polling the
// latest block otherwise. A WebSocket endpoint that refuses the subscription is polled for
// the resubscribe interval, then the subscription ends cleanly so that it is tried again.
func (s *RPCSource) SubscribeNewHeads(ctx context.Context, ch chan<- *types.Header) (event.Subscription, error) {
	sub, err := s.subscribeNewHeads(ctx, ch)
	return sub, s.public(err)
}

func (s *RPCSource) subscribeNewHeads(ctx context.Context, ch chan<- *types.Header) (event.Subscription, error) {
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	if !s.ws {
		return s.poll(ch, 0), nil
	}
	raw := make(chan json.RawMessage, headsBuffer)
	sctx, cancel := context.WithTimeout(ctx, s.cfg.requestTimeout)
	csub, err := c.EthSubscribe(sctx, raw, "newHeads")
	cancel()
	if err != nil {
		var rerr rpc.Error
		if !errors.Is(err, rpc.ErrNotificationsUnsupported) && !errors.As(err, &rerr) {
			s.drop(c)
			return nil, fmt.Errorf("eth_subscribe newHeads on %s: %w", s.name, err)
		}
		s.log.Warn("Remote refused the newHeads subscription, polling", "err", s.public(err), "interval", s.cfg.pollInterval)
		return s.poll(ch, s.cfg.resubscribeAfter), nil
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer csub.Unsubscribe()
		// Only the newest head matters: keep one pending so that a slow follower never
		// makes the client buffer notifications (it drops the subscription when full).
		failed, err := forwardNewest(raw, csub.Err(), quit, ch, func(m json.RawMessage) (*types.Header, error) {
			h, _, err := decodeBlock(m, false)
			if err != nil {
				return nil, fmt.Errorf("newHeads notification from %s: %w", s.name, err)
			}
			return h, nil
		})
		if failed {
			s.drop(c)
			if err == nil {
				err = errors.New("closed by the client")
			}
			return s.public(fmt.Errorf("newHeads subscription on %s: %w", s.name, err))
		}
		return s.public(err)
	}), nil
}

// poll announces the latest block every poll interval while it changes. A failed poll ends
// the subscription with the error; limit > 0 ends it cleanly after that long.
func (s *RPCSource) poll(ch chan<- *types.Header, limit time.Duration) event.Subscription {
	return event.NewSubscription(func(quit <-chan struct{}) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		tick := time.NewTicker(s.cfg.pollInterval)
		defer tick.Stop()
		began := time.Now()
		var (
			last    common.Hash
			pending *types.Header
		)
		for {
			h, err := s.Head(ctx) // scrubbed
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("poll head: %w", err)
			}
			if hash := h.Hash(); hash != last {
				last, pending = hash, h
			}
			if limit > 0 && time.Since(began) >= limit {
				return nil
			}
			for waiting := true; waiting; {
				var out chan<- *types.Header
				if pending != nil {
					out = ch
				}
				select {
				case out <- pending:
					pending = nil
				case <-tick.C:
					waiting = false
				case <-quit:
					return nil
				}
			}
		}
	})
}

// decodeBlock decodes a block object of eth_getBlockBy* (withTxs: the transactions field,
// as hashes, is required) or a newHeads notification, and checks that the reported hash is
// the hash of the header fields. A JSON null is ErrNotFound. The transaction hashes of a
// block without transactions are a non-nil empty slice.
func decodeBlock(raw json.RawMessage, withTxs bool) (*types.Header, []common.Hash, error) {
	if isNull(raw) {
		return nil, nil, ErrNotFound
	}
	var h types.Header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if h.Number == nil || !h.Number.IsUint64() {
		return nil, nil, fmt.Errorf("%w: %w: block number %v", ErrBadBlock, ErrBadHeader, h.Number)
	}
	var extra struct {
		Hash         *common.Hash    `json:"hash"`
		Transactions json.RawMessage `json:"transactions"`
	}
	if err := json.Unmarshal(raw, &extra); err != nil {
		return nil, nil, fmt.Errorf("%w: block: %v", ErrMalformed, err)
	}
	hash := h.Hash()
	number := h.Number.Uint64()
	if extra.Hash == nil {
		return nil, nil, fmt.Errorf("%w: block %d: no hash", ErrMalformed, number)
	}
	if *extra.Hash != hash {
		return nil, nil, badBlock(number, *extra.Hash, ErrBadHeader, "reported hash is not the hash of the header fields (%s)", hash.Hex())
	}
	if !withTxs {
		return &h, nil, nil
	}
	if len(extra.Transactions) == 0 || isNull(extra.Transactions) {
		return nil, nil, fmt.Errorf("%w: block %d: no transactions field", ErrMalformed, number)
	}
	txs := []common.Hash{}
	if err := json.Unmarshal(extra.Transactions, &txs); err != nil {
		return nil, nil, fmt.Errorf("%w: block %d: transaction hashes: %v", ErrMalformed, number, err)
	}
	return &h, txs, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// RedactURL is how a JSON-RPC endpoint is named in public output (status, logs, errors):
// its scheme and host (with the port), never its user, password, path, query or fragment,
// which may hold credentials.
func RedactURL(rawurl string) string {
	u, err := url.Parse(rawurl)
	switch {
	case err != nil:
		return "(unparsable URL)"
	case u.Host == "":
		return "(URL without host)"
	}
	return publicName(u)
}

// publicName is the scheme and host (with the port) of u: all that public output shows.
func publicName(u *url.URL) string { return u.Scheme + "://" + u.Host }

// parseURL parses an endpoint URL; its error does not repeat the URL (url.Parse's does).
func parseURL(rawurl string) (*url.URL, error) {
	u, err := url.Parse(rawurl)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("follower: bad RPC URL: %v", err)
	}
	return u, nil
}

// minSecretLen is the shortest part of a URL scrubbed wherever it appears. Shorter path
// segments and values ("v3", "ws", "rpc") are no secrets worth the name, and replacing
// them everywhere would garble every message; whole spellings of the URL are scrubbed
// whatever their parts.
const minSecretLen = 4

// maxErrorText bounds the text of an error leaving the source: a remote's error body or
// JSON-RPC error message can be as long as a response.
const maxErrorText = 1024

// redactor replaces, in error text, every spelling of rawurl that a transport or the remote
// may produce by the public name (scheme://host), and every secret-looking part of it
// (userinfo, user, password, path, path segments, query, query values, fragment, raw and
// escaped) by "***". Longer spellings go first, so that a whole URL is replaced as one.
func redactor(rawurl string, u *url.URL) *strings.Replacer {
	name := publicName(u)
	whole := map[string]bool{}
	parts := map[string]bool{}
	part := func(p string) {
		if len(p) >= minSecretLen && p != u.Host && p != name {
			parts[p] = true
		}
	}
	spellings := []string{rawurl, u.String(), u.Redacted()}
	if u.User != nil {
		// net/http's spelling in *url.Error: the user kept, the password as ***.
		spellings = append(spellings, strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1))
		user := u.User.Username()
		pass, _ := u.User.Password()
		for _, p := range []string{u.User.String(), user, pass, url.PathEscape(user), url.PathEscape(pass), url.QueryEscape(pass),
			// The Basic authorization header, as net/http and geth's WebSocket dialer send
			// it, in case the remote echoes it.
			base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
			base64.StdEncoding.EncodeToString([]byte(u.User.String()))} {
			part(p)
		}
	}
	for _, sp := range spellings {
		whole[sp] = true
		// The same URL without the scheme, and what follows the host.
		if i := strings.Index(sp, "://"); i >= 0 {
			whole[sp[i+3:]] = true
		}
		if i := strings.Index(sp, u.Host); i >= 0 {
			part(sp[i+len(u.Host):])
		}
	}
	for _, p := range []string{u.Path, u.RawPath, u.EscapedPath(), u.RawQuery, u.Fragment, u.EscapedFragment(), u.RequestURI()} {
		part(p)
		for _, seg := range strings.Split(p, "/") {
			part(seg)
		}
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		part(kv)
		if _, v, ok := strings.Cut(kv, "="); ok {
			part(v)
			if dv, err := url.QueryUnescape(v); err == nil {
				part(dv)
			}
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			part(v)
			part(url.QueryEscape(v))
		}
	}
	delete(whole, name)
	delete(whole, u.Host)
	olds := make([]string, 0, len(whole)+len(parts))
	for w := range whole {
		if w != "" {
			olds = append(olds, w)
		}
	}
	for p := range parts {
		if !whole[p] {
			olds = append(olds, p)
		}
	}
	// strings.Replacer takes, at each position, the first old string in argument order
	// that matches: longest first.
	slices.SortFunc(olds, func(a, b string) int { return len(b) - len(a) })
	args := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		repl := "***"
		if whole[o] {
			repl = name
		}
		args = append(args, o, repl)
	}
	return strings.NewReplacer(args...)
}

// public is err as it may leave the source: its text scrubbed of the URL's secrets and
// bounded in length. It still wraps err, so errors.Is and errors.As see through it.
func (s *RPCSource) public(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	clean := s.redact.Replace(text)
	if len(clean) > maxErrorText {
		clean = strings.ToValidUTF8(clean[:maxErrorText], "") + "… (truncated)"
	}
	if clean == text {
		return err
	}
	return &sourceError{text: clean, err: err}
}

// sourceError is an error whose text was scrubbed (RPCSource.public).
type sourceError struct {
	text string
	err  error
}

func (e *sourceError) Error() string { return e.text }
func (e *sourceError) Unwrap() error { return e.err }

// boundedTransport bounds the bodies of the responses it returns: reading past limit
// (maxErrorBody for a non-2xx status) fails with an error wrapping ErrResponseTooLarge, so
// the RPC client's decoder stops there instead of buffering whatever the remote sends.
type boundedTransport struct {
	base  http.RoundTripper
	limit int64
}

func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	limit := t.limit
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = min(limit, maxErrorBody)
	}
	resp.Body = &boundedBody{body: resp.Body, left: limit, limit: limit, declared: resp.ContentLength}
	return resp, nil
}

// boundedBody is a response body that fails once more than limit bytes are read, or at
// once when the declared length is larger.
type boundedBody struct {
	body     io.ReadCloser
	left     int64
	limit    int64
	declared int64 // Content-Length, -1 when unknown
	err      error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.declared > b.limit {
		b.err = fmt.Errorf("%w: %d bytes announced, the bound is %d", ErrResponseTooLarge, b.declared, b.limit)
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte more than allowed tells a body that is too long
	}
	n, err := b.body.Read(p)
	if int64(n) > b.left {
		b.err = fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, b.limit)
		return int(b.left), b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.body.Close() }
