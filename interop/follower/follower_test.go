package follower

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/holiman/uint256"
	ievent "github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/internal/faultstore"
	"github.com/xgeth/xgeth/interop/logindex"
)

// waitFor polls cond until it holds. The deadline only bounds a broken test; nothing is
// asserted about how long it takes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func testConfig() Config {
	return Config{
		ChainID:   uint256.NewInt(testChainID),
		RetryMin:  time.Millisecond,
		RetryMax:  20 * time.Millisecond,
		BlockTime: time.Hour, // no stall unless a test asks for it
	}
}

// runFollower starts a follower and subscribes to its events.
func runFollower(t *testing.T, cfg Config, src Source, idx logindex.Writer) (*Follower, chan Event) {
	t.Helper()
	f, err := New(cfg, src, idx)
	if err != nil {
		t.Fatal(err)
	}
	return f, startFollower(t, f)
}

// startFollower subscribes to f's events and starts it until the test ends.
func startFollower(t *testing.T, f *Follower) chan Event {
	t.Helper()
	events := make(chan Event, 4096)
	sub := f.Subscribe(events)
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		sub.Unsubscribe()
	})
	return events
}

func rpcSource(t testing.TB, url string, opts ...RPCOption) *RPCSource {
	t.Helper()
	src, err := NewRPCSource(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return src
}

// waitSynced waits until the follower's head is the chain's head and it is live.
func waitSynced(t *testing.T, f *Follower, c *fakeChain) {
	t.Helper()
	want := c.head().ref()
	waitFor(t, fmt.Sprintf("head %d %s", want.Number, want.Hash), func() bool {
		st := f.Status()
		return st.HasHead && st.Head == want && st.State == StateLive
	})
}

// checkIndex compares the index, block by block from first, with the chain's canonical
// blocks, through the Reader interface.
func checkIndex(t *testing.T, idx logindex.Reader, c *fakeChain, first uint64) {
	t.Helper()
	if ref, ok := idx.First(); !ok || ref.Number != first {
		t.Fatalf("first indexed block %d (%v), want %d", ref.Number, ok, first)
	}
	head := c.head().number()
	if ref, ok := idx.Head(); !ok || ref.Number != head {
		t.Fatalf("indexed head %d (%v), want %d", ref.Number, ok, head)
	}
	for n := first; n <= head; n++ {
		want := wantBlock(c.block(n))
		ref, err := idx.BlockRef(n)
		if err != nil || ref != want.BlockRef {
			t.Fatalf("block %d: ref %+v (%v), want %+v", n, ref, err, want.BlockRef)
		}
		for i, lh := range want.LogHashes {
			_, got, err := idx.LogHash(n, uint32(i))
			if err != nil || got != lh {
				t.Fatalf("block %d log %d: %s (%v), want %s", n, i, got, err, lh)
			}
		}
		if _, _, err := idx.LogHash(n, uint32(len(want.LogHashes))); !errors.Is(err, logindex.ErrLogNotFound) {
			t.Fatalf("block %d: log %d beyond the last: %v", n, len(want.LogHashes), err)
		}
		execs, err := idx.ExecMsgs(n)
		if err != nil || !sameBlock(&logindex.Block{ExecMsgs: execs}, &logindex.Block{ExecMsgs: want.ExecMsgs}) {
			t.Fatalf("block %d: exec msgs %+v (%v), want %+v", n, execs, err, want.ExecMsgs)
		}
	}
}

// expectEvents reads len(want) events and compares them; then no further event may be
// pending.
func expectEvents(t *testing.T, events chan Event, want []Event) {
	t.Helper()
	for i, w := range want {
		select {
		case got := <-events:
			if got != w {
				t.Fatalf("event %d: %v %d %s, want %v %d %s", i, got.Kind, got.Ref.Number, got.Ref.Hash, w.Kind, w.Ref.Number, w.Ref.Hash)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("event %d (%v %d) never came", i, w.Kind, w.Ref.Number)
		}
	}
	select {
	case got := <-events:
		t.Fatalf("unexpected event %v %d", got.Kind, got.Ref.Number)
	default:
	}
}

func appendedRange(c *fakeChain, from, to uint64) []Event {
	var out []Event
	for n := from; n <= to; n++ {
		out = append(out, Event{Kind: Appended, Ref: c.block(n).ref()})
	}
	return out
}

func gauge(name string) int64 {
	return metrics.GetOrRegisterGauge(fmt.Sprintf("interop/follower/%d/%s", testChainID, name), nil).Snapshot().Value()
}

func TestFollowBackfillThenLiveWS(t *testing.T) {
	c := newFakeChain(40)
	srv := startServer(t, c, false)
	idx := newIndex(t)
	cfg := testConfig()
	cfg.StartBlock = 5
	cfg.FetchAhead = 7
	f, events := runFollower(t, cfg, rpcSource(t, srv.wsURL(), WithChainID(uint256.NewInt(testChainID))), idx)

	waitSynced(t, f, c)
	checkIndex(t, idx, c, 5)
	expectEvents(t, events, appendedRange(c, 5, 40))

	// Live: new heads arrive over the subscription, the head is never polled.
	latest := c.count("latest")
	for range 5 {
		c.extend(1)
		waitSynced(t, f, c)
	}
	checkIndex(t, idx, c, 5)
	expectEvents(t, events, appendedRange(c, 41, 45))
	if n := c.count("latest"); n != latest {
		t.Fatalf("latest block requested %d times while subscribed, want %d", n, latest)
	}
	if gauge("head") != 45 || gauge("lag") != 0 || gauge("state") != int64(StateLive) {
		t.Fatalf("metrics head %d lag %d state %d", gauge("head"), gauge("lag"), gauge("state"))
	}
	if st := f.Status(); st.SourceHead != 45 || st.Err != nil {
		t.Fatalf("status %+v", st)
	}
}

func TestFollowPollingHTTP(t *testing.T) {
	c := newFakeChain(12)
	srv := startServer(t, c, false)
	idx := newIndex(t)
	f, events := runFollower(t, testConfig(), rpcSource(t, srv.httpURL(), WithPollInterval(2*time.Millisecond)), idx)
	waitSynced(t, f, c)
	c.extend(3)
	waitSynced(t, f, c)
	checkIndex(t, idx, c, 0)
	expectEvents(t, events, appendedRange(c, 0, 15))
	if c.count("eth_subscribe") != 0 {
		t.Fatal("subscribed over HTTP")
	}
	if c.count("latest") < 2 {
		t.Fatal("head was not polled")
	}
}

// TestFollowPollingWhenSubscriptionRefused: a WebSocket endpoint without eth_subscribe is
// polled, and the subscription is tried again from time to time.
func TestFollowPollingWhenSubscriptionRefused(t *testing.T) {
	c := newFakeChain(6)
	srv := startServer(t, c, true)
	idx := newIndex(t)
	src := rpcSource(t, srv.wsURL(), WithPollInterval(2*time.Millisecond), WithResubscribeAfter(10*time.Millisecond))
	f, _ := runFollower(t, testConfig(), src, idx)
	waitSynced(t, f, c)
	c.extend(4)
	waitSynced(t, f, c)
	checkIndex(t, idx, c, 0)
	waitFor(t, "another subscription attempt", func() bool { return c.count("eth_subscribe") >= 2 })
}

func TestFollowStartTime(t *testing.T) {
	ts := func(n uint64) uint64 { return testGenesisTS + testBlockTime*n }
	for _, tt := range []struct {
		name       string
		startTime  uint64
		head, want uint64
	}{
		{"between blocks", ts(20) + 1, 50, 21},
		{"at a block", ts(20), 50, 20},
		{"before genesis", 1, 50, 0},
		{"at the head", ts(50), 50, 50},
		{"in the future", ts(55), 50, 55},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeChain(tt.head)
			srv := startServer(t, c, false)
			idx := newIndex(t)
			cfg := testConfig()
			cfg.StartTime = tt.startTime
			f, _ := runFollower(t, cfg, rpcSource(t, srv.wsURL()), idx)
			if tt.want > tt.head {
				waitFor(t, "the first head", func() bool { return f.Status().SourceHead == tt.head })
				if _, ok := idx.Head(); ok {
					t.Fatal("indexed before the start time")
				}
				c.extend(tt.want - tt.head + 2)
			}
			waitSynced(t, f, c)
			checkIndex(t, idx, c, tt.want)
		})
	}
}

// testReorgs replaces blocks of the source under a synced follower; only the replaced
// blocks change in the index.
func testReorgs(t *testing.T, c *fakeChain, f *Follower, idx logindex.Reader, events chan Event) {
	waitSynced(t, f, c)
	for len(events) > 0 {
		<-events
	}
	for _, tt := range []struct{ drop, add uint64 }{{3, 3}, {3, 1}, {2, 5}, {1, 1}, {4, 0}} {
		before := c.head().number()
		var kept []logindex.BlockRef
		for n := uint64(0); n <= before-tt.drop; n++ {
			kept = append(kept, c.block(n).ref())
		}
		c.reorg(tt.drop, tt.add)
		if tt.add == 0 { // the source rewound to an old head: announce it again
			c.heads.Send(c.head().header)
		}
		waitSynced(t, f, c)
		checkIndex(t, idx, c, 0)
		ancestor := before - tt.drop
		want := append([]Event{{Kind: Rewound, Ref: c.block(ancestor).ref()}}, appendedRange(c, ancestor+1, c.head().number())...)
		expectEvents(t, events, want)
		for _, ref := range kept {
			if got, _ := idx.BlockRef(ref.Number); got != ref {
				t.Fatalf("block %d below the fork changed", ref.Number)
			}
		}
	}

	// The source rewinds, then adopts the very same blocks again (a sequencer whose
	// forkchoice returns to its old head): rewound, then the same blocks re-appended.
	head := c.head().number()
	c.mu.Lock()
	saved := append([]*fakeBlock(nil), c.blocks[head-2:]...)
	c.blocks = c.blocks[:head-2]
	c.mu.Unlock()
	c.heads.Send(c.head().header)
	expectEvents(t, events, []Event{{Kind: Rewound, Ref: c.block(head - 3).ref()}})
	c.mu.Lock()
	c.blocks = append(c.blocks, saved...)
	c.mu.Unlock()
	c.extend(1)
	waitSynced(t, f, c)
	checkIndex(t, idx, c, 0)
	expectEvents(t, events, appendedRange(c, head-2, head+1))
}

func TestFollowReorgWS(t *testing.T) {
	c := newFakeChain(30)
	srv := startServer(t, c, false)
	idx := newIndex(t)
	f, events := runFollower(t, testConfig(), rpcSource(t, srv.wsURL()), idx)
	testReorgs(t, c, f, idx, events)
}

func TestFollowReorgHTTP(t *testing.T) {
	c := newFakeChain(30)
	srv := startServer(t, c, false)
	idx := newIndex(t)
	f, events := runFollower(t, testConfig(), rpcSource(t, srv.httpURL(), WithPollInterval(time.Millisecond)), idx)
	testReorgs(t, c, f, idx, events)
}

// TestFollowReconnect: the remote goes away; the follower reports the error, and once the
// remote is back (same address) it reconnects and catches up, including a reorg that
// happened meanwhile.
func TestFollowReconnect(t *testing.T) {
	c := newFakeChain(10)
	srv := startServer(t, c, false)
	idx := newIndex(t)
	f, _ := runFollower(t, testConfig(), rpcSource(t, srv.wsURL()), idx)
	waitSynced(t, f, c)

	srv.stop()
	waitFor(t, "the error state", func() bool { return f.Status().State == StateError })
	if err := f.Status().Err; err == nil {
		t.Fatal("no error reported")
	} else {
		t.Logf("while down: %v", err)
	}
	c.extend(5)
	c.reorg(3, 4)
	srv.restart()
	waitSynced(t, f, c)
	checkIndex(t, idx, c, 0)
	if f.Status().Err != nil {
		t.Fatalf("error after recovery: %v", f.Status().Err)
	}
}

func TestFollowStalled(t *testing.T) {
	c := newFakeChain(5)
	srv := startServer(t, c, false)
	idx := newIndex(t)
	cfg := testConfig()
	cfg.BlockTime, cfg.StallBlocks = 2*time.Millisecond, 3
	f, err := New(cfg, rpcSource(t, srv.wsURL()), idx)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		states []State
	)
	f.onState = func(s State) {
		mu.Lock()
		defer mu.Unlock()
		if len(states) == 0 || states[len(states)-1] != s {
			states = append(states, s)
		}
	}
	f.Start()
	defer f.Stop()
	stalledAt := func(from int) int {
		mu.Lock()
		defer mu.Unlock()
		return slices.Index(states[min(from, len(states)):], StateStalled)
	}
	waitFor(t, "stalled", func() bool { return f.Status().State == StateStalled })
	if h := f.Status().Head; h.Number != 5 {
		t.Fatalf("stalled at %d", h.Number)
	}
	mu.Lock()
	mark := len(states)
	mu.Unlock()
	c.extend(1)
	waitFor(t, "head 6", func() bool { return f.Status().Head.Number == 6 })
	waitFor(t, "stalled again", func() bool { return stalledAt(mark) >= 0 })
	mu.Lock()
	defer mu.Unlock()
	if after := states[mark:]; !slices.Contains(after[:slices.Index(after, StateStalled)], StateLive) {
		t.Fatalf("states after the new head %v: never live", after)
	}
}

// TestFollowBadRemoteData: inconsistent remote data for one block is reported with a
// clear error, nothing of that block is stored, and following resumes once the remote
// serves consistent data.
func TestFollowBadRemoteData(t *testing.T) {
	other := common.HexToHash("0xee")
	tests := []struct {
		name  string
		at    uint64
		bad   func(c *fakeChain, b *fakeBlock) // changes the served block at
		fixed bool                             // the chain itself is bad: no recovery
		want  error
	}{
		{"missing receipts", 7, func(_ *fakeChain, b *fakeBlock) { b.receipts = nil }, false, ErrMissingReceipts},
		{"one receipt short", 7, func(_ *fakeChain, b *fakeBlock) { b.receipts = b.receipts[:len(b.receipts)-1] }, false, ErrReceiptCount},
		{"receipt of another block", 7, func(c *fakeChain, b *fakeBlock) { b.receipts[0].BlockHash = c.block(6).hash() }, false, ErrForeignReceipt},
		{"receipt of another tx", 7, func(_ *fakeChain, b *fakeBlock) { b.receipts[1].TxHash = other }, false, ErrForeignReceipt},
		{"logs out of order", 7, func(_ *fakeChain, b *fakeBlock) {
			ls := b.receipts[1].Logs
			ls[0].Index, ls[1].Index = ls[1].Index, ls[0].Index
		}, false, ErrLogOrder},
		{"log of another tx", 7, func(_ *fakeChain, b *fakeBlock) { b.receipts[1].Logs[0].TxIndex = 0 }, false, ErrForeignLog},
		{"failed tx with logs", 7, func(_ *fakeChain, b *fakeBlock) { b.receipts[1].Status = types.ReceiptStatusFailed }, false, ErrRevertedLogs},
		{"malformed ExecutingMessage", 5, func(_ *fakeChain, b *fakeBlock) {
			l := b.receipts[0].Logs[0]
			l.Data = l.Data[:100]
		}, false, ErrBadExecutingMessage},
		{"forged log data", 7, func(_ *fakeChain, b *fakeBlock) { b.receipts[1].Logs[0].Data[0] ^= 1 }, false, ErrReceiptsRoot},
		{"forged executing message", 5, func(_ *fakeChain, b *fakeBlock) {
			msg := b.execs[0].Msg
			msg.MsgHash = other
			forged := ievent.EncodeLog(&msg)
			b.receipts[0].Logs[0].Topics = forged.Topics
		}, false, ErrReceiptsRoot},
		{"reported hash is not the header's", 7, func(_ *fakeChain, b *fakeBlock) { b.reportedHash = &other }, false, ErrBadHeader},
		{"header of another number", 7, func(_ *fakeChain, b *fakeBlock) { b.header.Number.SetUint64(8) }, false, ErrBadHeader},
		{"wrong parent", 7, nil, true, ErrParentLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeChain(10)
			if tt.fixed {
				c.replace(tt.at, func(h *types.Header) { h.ParentHash = other })
			} else {
				c.setTamper(func(b *fakeBlock) {
					if b.number() == tt.at {
						tt.bad(c, b)
					}
				})
			}
			srv := startServer(t, c, false)
			idx := newIndex(t)
			f, _ := runFollower(t, testConfig(), rpcSource(t, srv.wsURL()), idx)
			waitFor(t, "the error", func() bool {
				st := f.Status()
				return st.State == StateError && errors.Is(st.Err, tt.want)
			})
			err := f.Status().Err
			if !errors.Is(err, ErrBadBlock) {
				t.Fatalf("error %v is not ErrBadBlock", err)
			}
			t.Logf("%v", err)
			if head, ok := idx.Head(); !ok || head != c.block(tt.at-1).ref() {
				t.Fatalf("indexed head %+v, want block %d", head, tt.at-1)
			}
			if _, err := idx.BlockRef(tt.at); !errors.Is(err, logindex.ErrFuture) {
				t.Fatalf("bad block stored: %v", err)
			}
			if tt.fixed {
				return
			}
			c.setTamper(nil)
			waitSynced(t, f, c)
			checkIndex(t, idx, c, 0)
		})
	}
}

// TestFollowResume: a follower over an index that already has blocks continues from its
// head, and rewinds first if the source reorged while nobody followed it.
func TestFollowResume(t *testing.T) {
	for _, reorg := range []bool{false, true} {
		t.Run(fmt.Sprintf("reorg=%v", reorg), func(t *testing.T) {
			c := newFakeChain(20)
			srv := startServer(t, c, false)
			idx := newIndex(t)
			src := rpcSource(t, srv.wsURL())

			f1, err := New(testConfig(), src, idx)
			if err != nil {
				t.Fatal(err)
			}
			f1.Start()
			waitSynced(t, f1, c)
			if err := f1.Stop(); err != nil {
				t.Fatal(err)
			}

			var want []Event
			if reorg {
				c.reorg(4, 6)
				want = append([]Event{{Kind: Rewound, Ref: c.block(16).ref()}}, appendedRange(c, 17, 22)...)
			} else {
				c.extend(5)
				want = appendedRange(c, 21, 25)
			}
			cfg := testConfig()
			cfg.StartBlock = 3 // ignored: the index has blocks
			f2, err := New(cfg, src, idx)
			if err != nil {
				t.Fatal(err)
			}
			if st := f2.Status(); !st.HasHead || st.Head.Number != 20 || st.State != StateSyncing {
				t.Fatalf("status before start %+v", st)
			}
			events := startFollower(t, f2)
			waitSynced(t, f2, c)
			checkIndex(t, idx, c, 0)
			expectEvents(t, events, want)
		})
	}
}

// TestFollowLocalSource follows a chain through the local adapter (head events, no polling).
func TestFollowLocalSource(t *testing.T) {
	c := newFakeChain(25)
	lc := &localChain{c: c}
	idx := newIndex(t)
	cfg := testConfig()
	cfg.FetchAhead = 1
	src := NewLocalSource(lc, func(ev headEvent) *types.Header { return ev.header })
	f, events := runFollower(t, cfg, src, idx)
	waitSynced(t, f, c)
	expectEvents(t, events, appendedRange(c, 0, 25))
	c.extend(3)
	waitSynced(t, f, c)
	expectEvents(t, events, appendedRange(c, 26, 28))
	testReorgs(t, c, f, idx, events)
	if n := lc.current.Load(); n != 1 {
		t.Fatalf("local head read %d times, want once at start", n)
	}
}

// TestLocalSourceNeverBlocksTheChain: the chain's head feed is never held up by a follower
// that does not read: heads are coalesced to the newest.
func TestLocalSourceNeverBlocksTheChain(t *testing.T) {
	c := newFakeChain(0)
	lc := &localChain{c: c}
	src := NewLocalSource(lc, func(ev headEvent) *types.Header { return ev.header })
	ch := make(chan *types.Header) // nobody reads yet
	sub, err := src.SubscribeNewHeads(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	c.extend(200) // returns only if every send was taken
	last := c.head().hash()
	got := 0
	for h := range ch {
		got++
		if h.Hash() == last {
			break
		}
	}
	if got >= 200 {
		t.Fatalf("%d heads delivered, not coalesced", got)
	}
}

func TestFollowFatalIndexError(t *testing.T) {
	c := newFakeChain(3)
	lc := &localChain{c: c}
	boom := errors.New("disk on fire")
	idx := &failingIndex{Writer: newIndex(t), err: boom}
	var fatal []error
	cfg := testConfig()
	cfg.OnFatal = func(err error) { fatal = append(fatal, err) }
	f, err := New(cfg, NewLocalSource(lc, func(ev headEvent) *types.Header { return ev.header }), idx)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Run(context.Background())
	if !errors.Is(err, ErrIndex) || !errors.Is(err, boom) {
		t.Fatalf("run: %v", err)
	}
	if len(fatal) != 1 || fatal[0] != err {
		t.Fatalf("OnFatal got %v", fatal)
	}
	if st := f.Status(); st.State != StateFailed || st.Err != err {
		t.Fatalf("status %+v", st)
	}
	t.Logf("%v", err)
}

// TestFollowDeepReorg: a remote that has replaced every block the index retains is not
// trusted to wipe it, nor able to stop the node through the failsafe: the follower keeps
// the index, reports the error, retries, and resumes once the remote serves the indexed
// chain again.
func TestFollowDeepReorg(t *testing.T) {
	c := newFakeChain(20)
	srv := startServer(t, c, false)
	src := rpcSource(t, srv.wsURL())
	idx := newIndex(t)
	f1, _ := New(testConfig(), src, idx)
	f1.Start()
	waitSynced(t, f1, c)
	f1.Stop()
	if _, err := idx.Prune(c.block(10).header.Time); err != nil {
		t.Fatal(err)
	}
	if first, _ := idx.First(); first.Number != 10 {
		t.Fatalf("pruned to %d", first.Number)
	}
	c.mu.Lock()
	indexed := append([]*fakeBlock(nil), c.blocks[5:]...)
	c.mu.Unlock()
	c.reorg(15, 16)

	var fatal atomic.Pointer[error]
	cfg := testConfig()
	cfg.OnFatal = func(err error) { fatal.Store(&err) }
	f2, err := New(cfg, src, idx)
	if err != nil {
		t.Fatal(err)
	}
	var errorsSeen atomic.Int32
	f2.onState = func(s State) {
		if s == StateError {
			errorsSeen.Add(1)
		}
	}
	events := startFollower(t, f2)
	waitFor(t, "the deep reorg retried", func() bool {
		return errorsSeen.Load() >= 3 && errors.Is(f2.Status().Err, ErrDeepReorg)
	})
	t.Logf("%v", f2.Status().Err)
	if st := f2.Status(); st.State != StateError {
		t.Fatalf("state %v", st.State)
	}
	if p := fatal.Load(); p != nil {
		t.Fatalf("OnFatal called: %v", *p)
	}
	if head, _ := idx.Head(); head.Number != 20 {
		t.Fatalf("index changed: head %d", head.Number)
	}

	// The remote serves the indexed chain again, and a block on top.
	c.mu.Lock()
	c.blocks = append(c.blocks[:5], indexed...)
	c.mu.Unlock()
	c.extend(1)
	waitSynced(t, f2, c)
	expectEvents(t, events, appendedRange(c, 21, 21))
	if first, _ := idx.First(); first.Number != 10 {
		t.Fatalf("first indexed block %d", first.Number)
	}
}

// TestFollowInvalidBlockNotFatal: a remote block that links to the indexed head but that
// the index refuses (its timestamp is before its parent's, logindex.ErrInvalidBlock) is the
// remote's fault: the chain's follower reports it and retries, OnFatal is never called,
// nothing of the block is stored, and following resumes once the remote serves a valid
// block.
func TestFollowInvalidBlockNotFatal(t *testing.T) {
	c := newFakeChain(10)
	parentTime := c.block(6).header.Time
	c.rebuild(7, func(h *types.Header) { h.Time = parentTime - 1 })
	srv := startServer(t, c, false)
	idx := newIndex(t)
	var fatal atomic.Pointer[error]
	cfg := testConfig()
	cfg.OnFatal = func(err error) { fatal.Store(&err) }
	f, err := New(cfg, rpcSource(t, srv.wsURL()), idx)
	if err != nil {
		t.Fatal(err)
	}
	var errorsSeen atomic.Int32
	f.onState = func(s State) {
		if s == StateError {
			errorsSeen.Add(1)
		}
	}
	startFollower(t, f)
	waitFor(t, "the invalid block retried", func() bool {
		st := f.Status()
		return errorsSeen.Load() >= 3 && errors.Is(st.Err, logindex.ErrInvalidBlock)
	})
	st := f.Status()
	t.Logf("%v", st.Err)
	if st.State != StateError || !errors.Is(st.Err, ErrBadBlock) || errors.Is(st.Err, ErrIndex) {
		t.Fatalf("state %v, err %v", st.State, st.Err)
	}
	if p := fatal.Load(); p != nil {
		t.Fatalf("OnFatal called: %v", *p)
	}
	if head, _ := idx.Head(); head != c.block(6).ref() {
		t.Fatalf("indexed head %+v, want block 6", head)
	}

	c.rebuild(7, nil)
	c.extend(1)
	waitSynced(t, f, c)
	checkIndex(t, idx, c, 0)
}

// TestFollowFatalStoreFailure: a failure of our own store under the real index (its writes
// fail) stops the follower and is reported to OnFatal: that one is fatal.
func TestFollowFatalStoreFailure(t *testing.T) {
	c := newFakeChain(10)
	srv := startServer(t, c, false)
	db := faultstore.New()
	idx, err := logindex.Open(db, uint256.NewInt(testChainID), logindex.Options{Retention: logindex.NoPruning})
	if err != nil {
		t.Fatal(err)
	}
	var fatal atomic.Pointer[error]
	cfg := testConfig()
	cfg.OnFatal = func(err error) { fatal.Store(&err) }
	f, err := New(cfg, rpcSource(t, srv.wsURL()), idx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(context.Background()) }()
	waitSynced(t, f, c)

	db.Fail.Store(true)
	c.extend(1)
	err = <-done
	if !errors.Is(err, ErrIndex) || !errors.Is(err, faultstore.ErrDiskFull) {
		t.Fatalf("run: %v", err)
	}
	if p := fatal.Load(); p == nil || *p != err {
		t.Fatalf("OnFatal got %v, want %v", p, err)
	}
	if st := f.Status(); st.State != StateFailed || st.Err != err {
		t.Fatalf("status %+v", st)
	}
	t.Logf("%v", err)
}

// TestFollowSourceBehind: a source whose head is below the indexed range (a node that is
// resyncing) is waited for; the index is kept, and following resumes once the source has
// the indexed blocks again.
func TestFollowSourceBehind(t *testing.T) {
	c := newFakeChain(20)
	srv := startServer(t, c, false)
	src := rpcSource(t, srv.wsURL())
	idx := newIndex(t)
	f1, _ := New(testConfig(), src, idx)
	f1.Start()
	waitSynced(t, f1, c)
	f1.Stop()
	if _, err := idx.Prune(c.block(10).header.Time); err != nil {
		t.Fatal(err)
	}

	c.mu.Lock()
	later := c.blocks[6:]
	c.blocks = c.blocks[:6]
	c.mu.Unlock()
	f, events := runFollower(t, testConfig(), src, idx)
	waitFor(t, "the source-behind error", func() bool { return errors.Is(f.Status().Err, ErrSourceBehind) })
	t.Logf("%v", f.Status().Err)

	c.mu.Lock()
	c.blocks = append(c.blocks, later...)
	c.mu.Unlock()
	c.extend(2)
	waitSynced(t, f, c)
	expectEvents(t, events, appendedRange(c, 21, 22))
	if first, _ := idx.First(); first.Number != 10 {
		t.Fatalf("first indexed block %d", first.Number)
	}
}

func TestFollowChainIDMismatch(t *testing.T) {
	c := newFakeChain(3)
	srv := startServer(t, c, false)
	idx := newIndex(t)
	f, _ := runFollower(t, testConfig(), rpcSource(t, srv.wsURL(), WithChainID(uint256.NewInt(902))), idx)
	waitFor(t, "the chain ID error", func() bool { return errors.Is(f.Status().Err, ErrChainID) })
	t.Logf("%v", f.Status().Err)
	if _, ok := idx.Head(); ok {
		t.Fatal("indexed a foreign chain")
	}
}

func TestFollowStop(t *testing.T) {
	// Unreachable remote: Run is retrying with backoff when cancelled.
	src := rpcSource(t, "ws://127.0.0.1:1")
	cfg := testConfig()
	cfg.RetryMin, cfg.RetryMax = time.Hour, time.Hour
	f, _ := New(cfg, src, newIndex(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Run(ctx) }()
	waitFor(t, "the error state", func() bool { return f.Status().State == StateError })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if st := f.Status(); st.State != StateStopped {
		t.Fatalf("state %v", st.State)
	}
	// Start/Stop on a live follower.
	c := newFakeChain(3)
	f2, _ := New(testConfig(), NewLocalSource(&localChain{c: c}, func(ev headEvent) *types.Header { return ev.header }), newIndex(t))
	f2.Start()
	if f2.Start() == nil {
		t.Fatal("started twice")
	}
	waitSynced(t, f2, c)
	if err := f2.Stop(); err != nil {
		t.Fatal(err)
	}
	if f2.Status().State != StateStopped {
		t.Fatal("not stopped")
	}
}

func TestNewValidates(t *testing.T) {
	idx, src := newIndex(t), NewLocalSource(&localChain{c: newFakeChain(0)}, func(ev headEvent) *types.Header { return ev.header })
	for name, cfg := range map[string]Config{
		"no chain ID":         {},
		"block and time both": {ChainID: uint256.NewInt(1), StartBlock: 1, StartTime: 1},
	} {
		if _, err := New(cfg, src, idx); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(testConfig(), nil, idx); err == nil {
		t.Error("nil source accepted")
	}
}

// TestFollowOversizedResponse: a remote whose receipts response for one block is larger
// than the source's bound (a genuine block, its receipts matching the header) has that
// response refused: the chain is in error and retried, nothing of the block is stored,
// OnFatal is never called; the remote's other responses are read as usual.
func TestFollowOversizedResponse(t *testing.T) {
	const limit = 64 << 10
	for _, ws := range []bool{false, true} {
		t.Run(fmt.Sprintf("ws=%v", ws), func(t *testing.T) {
			c := newFakeChain(10)
			c.rebuildBlock(7, func(b *fakeBlock) { b.receipts[1].Logs[0].Data = make([]byte, 4*limit) })
			srv := startServer(t, c, false)
			url := srv.httpURL()
			if ws {
				url = srv.wsURL()
			}
			idx := newIndex(t)
			var fatal atomic.Pointer[error]
			cfg := testConfig()
			cfg.OnFatal = func(err error) { fatal.Store(&err) }
			f, err := New(cfg, rpcSource(t, url, WithMaxResponseSize(limit), WithPollInterval(2*time.Millisecond)), idx)
			if err != nil {
				t.Fatal(err)
			}
			var errorsSeen atomic.Int32
			f.onState = func(s State) {
				if s == StateError {
					errorsSeen.Add(1)
				}
			}
			startFollower(t, f)
			waitFor(t, "the oversized response retried", func() bool {
				head, _ := idx.Head()
				return errorsSeen.Load() >= 3 && head.Number == 6 && f.Status().State == StateError
			})
			st := f.Status()
			t.Logf("%v", st.Err)
			if !ws && !errors.Is(st.Err, ErrResponseTooLarge) {
				t.Fatalf("error %v is not ErrResponseTooLarge", st.Err)
			}
			if p := fatal.Load(); p != nil {
				t.Fatalf("OnFatal called: %v", *p)
			}
			if _, err := idx.BlockRef(7); !errors.Is(err, logindex.ErrFuture) {
				t.Fatalf("block 7 stored: %v", err)
			}

			c.rebuild(7, nil)
			c.extend(1)
			waitSynced(t, f, c)
			checkIndex(t, idx, c, 0)
		})
	}
}

// TestFollowBoundedRequests: while catching up, the requests in flight at the remote never
// exceed the fetch window plus the head poll.
func TestFollowBoundedRequests(t *testing.T) {
	c := newFakeChain(200)
	var inFlight, most atomic.Int32
	srv := startServerWith(t, c, false, func(inner http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			inner.ServeHTTP(w, r)
		})
	})
	cfg := testConfig()
	cfg.FetchAhead = 4
	f, _ := runFollower(t, cfg, rpcSource(t, srv.httpURL(), WithPollInterval(time.Millisecond)), newIndex(t))
	waitSynced(t, f, c)
	if m := most.Load(); m > int32(cfg.FetchAhead)+1 {
		t.Fatalf("%d requests in flight, want at most %d", m, cfg.FetchAhead+1)
	}
	t.Logf("at most %d requests in flight", most.Load())
}
