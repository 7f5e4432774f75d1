package follower

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
)

// Defaults of Config.
const (
	DefaultBlockTime   = 2 * time.Second
	DefaultStallBlocks = 10
	DefaultFetchAhead  = 16
	DefaultRetryMin    = 250 * time.Millisecond
	DefaultRetryMax    = 30 * time.Second
)

const (
	// liveLag is how many blocks behind the source head still counts as live: heads arrive
	// one by one and are indexed a moment later, which is not syncing.
	liveLag = 2
	// progressEvery is the interval of backfill progress logs.
	progressEvery = 8 * time.Second
	// headsBuffer is the capacity of the channel the source sends heads to.
	headsBuffer = 16
)

// Config configures a Follower.
type Config struct {
	// ChainID of the followed chain: log context and metric names. Required.
	ChainID *uint256.Int

	// Where an empty index starts (an index that has blocks resumes from its head and
	// ignores both): StartTime, when non-zero, selects the first block whose timestamp is
	// at least StartTime (found by binary search over the source's headers); otherwise
	// StartBlock. The start must not be pruned at the source.
	StartBlock uint64
	StartTime  uint64

	// BlockTime of the chain (default 2s) and StallBlocks (default 10): a follower at the
	// source's head that hears of no new head for StallBlocks×BlockTime reports
	// StateStalled.
	BlockTime   time.Duration
	StallBlocks uint64

	// FetchAhead is how many blocks are fetched concurrently while catching up (default
	// 16). They are appended in order; a local source can use 1. It also bounds the
	// requests the follower has in flight at a source (each block's reads are sequential),
	// and so, with the source's response bound, the memory a remote can make it hold.
	FetchAhead int

	// RetryMin and RetryMax bound the exponential backoff between failed attempts and
	// resubscriptions (defaults 250ms and 30s).
	RetryMin, RetryMax time.Duration

	// OnFatal is called once, from the follower's goroutine, when the follower stops on an
	// unrecoverable error, a failure of the index's own store: the node trips the interop
	// failsafe there. The error wraps ErrIndex. Nothing a source serves leads here.
	OnFatal func(err error)
}

func (c *Config) withDefaults() (Config, error) {
	out := *c
	if out.ChainID == nil {
		return out, errors.New("follower: no chain ID")
	}
	if out.StartTime != 0 && out.StartBlock != 0 {
		return out, errors.New("follower: both a start block and a start time")
	}
	if out.BlockTime <= 0 {
		out.BlockTime = DefaultBlockTime
	}
	if out.StallBlocks == 0 {
		out.StallBlocks = DefaultStallBlocks
	}
	if out.FetchAhead <= 0 {
		out.FetchAhead = DefaultFetchAhead
	}
	if out.RetryMin <= 0 {
		out.RetryMin = DefaultRetryMin
	}
	if out.RetryMax < out.RetryMin {
		out.RetryMax = max(DefaultRetryMax, out.RetryMin)
	}
	return out, nil
}

// Follower keeps the log index of one chain current with a Source: it backfills from the
// configured start, then follows new heads, rewinds the index on reorgs and re-appends.
// It is the index's only writer for that chain.
//
// Every block is validated with BlockFromReceipts before it is stored, and appended only
// when it extends the indexed head; so the index always holds a hash-linked run of
// canonical-as-seen blocks. Failures of the source (down, bad or oversized data, blocks the
// index refuses, a reorg below the indexed range) put it in StateError and are retried
// with capped exponential backoff; only failures of the index's store stop it and are
// reported to Config.OnFatal.
type Follower struct {
	cfg     Config
	src     Source
	idx     logindex.Writer
	log     log.Logger
	metrics *followerMetrics
	feed    event.FeedOf[Event]

	mu     sync.Mutex
	status Status
	cancel context.CancelFunc // Start/Stop
	done   chan struct{}
	runErr error

	running atomic.Bool

	onState func(State) // test hook: every state set, in order
}

// New returns a follower of src writing into idx. It does nothing until Run or Start.
func New(cfg Config, src Source, idx logindex.Writer) (*Follower, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if src == nil || idx == nil {
		return nil, errors.New("follower: nil source or index")
	}
	f := &Follower{
		cfg:     c,
		src:     src,
		idx:     idx,
		log:     log.New("chain", c.ChainID.Dec()),
		metrics: newFollowerMetrics(c.ChainID),
	}
	if head, ok := idx.Head(); ok {
		f.status.Head, f.status.HasHead = head, true
		f.metrics.head.Update(int64(head.Number))
	}
	f.metrics.state.Update(int64(StateSyncing))
	return f, nil
}

// Status is a snapshot of the follower's state and heads.
func (f *Follower) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// Subscribe delivers an Event for every append and rewind, in the order they are made to
// the index (so a subscriber replaying them sees the index's states). The follower waits
// until every subscriber has taken each event, as event.Feed does: read promptly (txpool
// re-checks, block verification) or buffer, and Unsubscribe when done.
func (f *Follower) Subscribe(ch chan<- Event) event.Subscription {
	return f.feed.Subscribe(ch)
}

// Start runs the follower in a goroutine until Stop (node lifecycle style).
func (f *Follower) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cancel != nil {
		return errors.New("follower: already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan struct{})
	go func() {
		defer close(f.done)
		f.runErr = f.Run(ctx)
	}()
	return nil
}

// Stop stops a follower started with Start and waits for it; it returns the fatal error the
// follower stopped on, if any.
func (f *Follower) Stop() error {
	f.mu.Lock()
	cancel, done := f.cancel, f.done
	f.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	return f.runErr
}

// Run follows the source until ctx ends (then it returns nil) or an unrecoverable error
// (returned, after Config.OnFatal). Transient errors never end it.
func (f *Follower) Run(ctx context.Context) error {
	if !f.running.CompareAndSwap(false, true) {
		return errors.New("follower: already running")
	}
	defer f.running.Store(false)

	l := &loop{
		f:         f,
		needHead:  true,
		heads:     make(chan *types.Header, headsBuffer),
		retry:     backoff{min: f.cfg.RetryMin, max: f.cfg.RetryMax},
		reconcile: true, // the source may have reorged while we were not running
		stall:     time.NewTimer(f.stallTimeout()),
	}
	defer l.stall.Stop()
	f.log.Info("Starting log follower", "start", f.cfg.StartBlock, "startTime", f.cfg.StartTime)
	err := l.run(ctx)
	if l.sub != nil {
		l.sub.Unsubscribe()
	}
	if err != nil {
		err = fmt.Errorf("follower of chain %s: %w", f.cfg.ChainID.Dec(), err)
		f.setState(StateFailed, err)
		f.log.Error("Log follower failed", "err", err)
		if f.cfg.OnFatal != nil {
			f.cfg.OnFatal(err)
		}
		return err
	}
	f.setState(StateStopped, nil)
	f.log.Info("Log follower stopped")
	return nil
}

func (f *Follower) stallTimeout() time.Duration {
	return time.Duration(f.cfg.StallBlocks) * f.cfg.BlockTime
}

// isFatal tells the errors the follower cannot recover from: failures of our own store.
// Nothing a source serves is fatal (see ErrIndex and ErrDeepReorg).
func isFatal(err error) bool {
	return errors.Is(err, ErrIndex)
}

// loop is the state of one Run.
type loop struct {
	f     *Follower
	heads chan *types.Header
	sub   event.Subscription
	retry backoff
	stall *time.Timer

	target     *types.Header // newest head the source announced; nil before the first
	targetHash common.Hash
	needHead   bool // ask the source for its head (start, resubscription, rewind seen)
	stalled    bool

	reconcile bool            // compare the index head with the source before appending
	mismatch  *parentMismatch // why reconcile was asked for, when a block did not link

	start    uint64 // resolved start of an empty index
	startSet bool

	syncing  bool // in a catch-up phase (for the logs)
	progress progress
}

func (l *loop) run(ctx context.Context) error {
	f := l.f
	for ctx.Err() == nil {
		if l.sub == nil {
			sub, err := f.src.SubscribeNewHeads(ctx, l.heads)
			if err != nil {
				if !l.failWait(ctx, fmt.Errorf("subscribe to new heads: %w", err)) {
					return nil
				}
				continue
			}
			l.sub = sub
			l.needHead = true // heads may have been missed while unsubscribed
		}
		if l.needHead {
			h, err := f.src.Head(ctx)
			if err != nil {
				if !l.failWait(ctx, fmt.Errorf("source head: %w", err)) {
					return nil
				}
				continue
			}
			l.observe(h)
			l.needHead = false
		}
		if l.reconcile {
			limit := uint64(math.MaxUint64)
			if l.target != nil {
				limit = l.targetNumber()
			}
			rewound, err := f.reconcile(ctx, limit)
			switch {
			case isFatal(err):
				return err
			case err != nil:
				if errors.Is(err, ErrNotFound) {
					l.needHead = true // it rewound again since it announced its head
				}
				if !l.failWait(ctx, fmt.Errorf("reorg check: %w", err)) {
					return nil
				}
				continue
			case l.mismatch != nil && !rewound:
				// The source's header n is what we indexed, yet its header n+1 names
				// another parent: not a reorg we can follow.
				m := l.mismatch
				l.mismatch = nil
				err := badBlock(m.number, m.hash, ErrParentLink, "parent %s, canonical block %d is %s", m.parent.Hex(), m.number-1, m.headHash.Hex())
				if !l.failWait(ctx, err) {
					return nil
				}
				continue
			}
			l.reconcile, l.mismatch = false, nil
		}

		n, err := l.step(ctx)
		var mismatch *parentMismatch
		switch {
		case err == nil:
		case isFatal(err):
			return err
		case errors.As(err, &mismatch):
			l.reconcile, l.mismatch = true, mismatch
			continue
		case errors.Is(err, ErrNotFound) && !errors.Is(err, ErrBadBlock):
			// The source no longer has a block below the head it announced: it rewound.
			// Ask for its head again and look for the fork; it is an error only if it
			// keeps happening.
			l.needHead, l.reconcile = true, true
			if l.retry.attempts == 0 {
				f.log.Debug("Source rewound under the follower", "err", err)
				l.retry.attempts++
				continue
			}
			fallthrough
		default:
			if !l.failWait(ctx, err) {
				return nil
			}
			continue
		}
		if n > 0 {
			l.retry.reset()
			l.drainHeads()
			l.settle()
			continue
		}
		l.retry.reset()
		l.settle()

		// At the source's head: wait for news.
		select {
		case h := <-l.heads:
			l.observe(h)
		case err := <-l.sub.Err():
			l.sub.Unsubscribe()
			l.sub = nil
			if err != nil {
				if !l.failWait(ctx, fmt.Errorf("new heads subscription: %w", err)) {
					return nil
				}
			} else if !l.wait(ctx, l.retry.next()) {
				return nil
			}
		case <-l.stall.C:
			l.stalled = true
			l.settle()
			f.log.Warn("Source announces no new heads", "head", l.targetNumber(), "for", common.PrettyDuration(f.stallTimeout()))
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// observe records that the source's head is now h.
func (l *loop) observe(h *types.Header) {
	if h == nil || h.Number == nil || !h.Number.IsUint64() {
		return
	}
	hash := h.Hash()
	if hash == l.targetHash {
		return
	}
	l.target, l.targetHash = h, hash
	l.stalled = false
	l.stall.Reset(l.f.stallTimeout())
	number := h.Number.Uint64()
	l.f.noteSourceHead(number)
	// A head at or below ours that is not ours: the source reorged or rewound.
	if head, ok := l.f.idx.Head(); ok {
		if number < head.Number || (number == head.Number && hash != head.Hash) {
			l.reconcile = true
		}
	}
}

// drainHeads takes the heads that arrived while we were busy, without waiting.
func (l *loop) drainHeads() {
	for {
		select {
		case h := <-l.heads:
			l.observe(h)
		default:
			return
		}
	}
}

func (l *loop) targetNumber() uint64 {
	if l.target == nil {
		return 0
	}
	return l.target.Number.Uint64()
}

// settle sets the state after a successful round.
func (l *loop) settle() {
	f := l.f
	st := StateLive
	head, ok := f.idx.Head()
	switch {
	case l.target == nil || !ok || head.Number+liveLag < l.targetNumber():
		st = StateSyncing
	case l.stalled:
		st = StateStalled
	}
	if st != StateSyncing && l.syncing {
		l.syncing = false
		f.log.Info("Log index caught up with the source", "number", head.Number, "hash", head.Hash, "elapsed", common.PrettyDuration(time.Since(l.progress.began)))
	}
	f.setState(st, nil)
}

// failWait records a failed attempt and waits for the backoff; false when ctx ended.
func (l *loop) failWait(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	l.f.setState(StateError, err)
	l.f.metrics.errors.Inc(1)
	d := l.retry.next()
	l.f.log.Warn("Log follower attempt failed", "err", err, "retry", common.PrettyDuration(d))
	return l.wait(ctx, d)
}

// wait sleeps for d, still taking heads so that the source is never blocked on us.
func (l *loop) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case h := <-l.heads:
			l.observe(h)
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// parentMismatch: a fetched block does not extend the indexed head.
type parentMismatch struct {
	number   uint64
	hash     common.Hash
	parent   common.Hash
	headHash common.Hash
}

func (m *parentMismatch) Error() string {
	return fmt.Sprintf("block %d (%s) has parent %s, indexed head is %s", m.number, m.hash.Hex(), m.parent.Hex(), m.headHash.Hex())
}

// step fetches and appends the next blocks towards the source's head and returns how many
// it appended.
func (l *loop) step(ctx context.Context) (int, error) {
	f := l.f
	if l.target == nil {
		return 0, nil
	}
	target := l.targetNumber()
	head, ok := f.idx.Head()
	var from uint64
	if ok {
		from = head.Number + 1
	} else {
		start, ready, err := l.startBlock(ctx)
		if err != nil || !ready {
			return 0, err
		}
		from = start
	}
	if from > target {
		return 0, nil
	}
	if from+liveLag < target && !l.syncing {
		l.syncing = true
		l.progress = progress{began: time.Now(), last: time.Now()}
		f.setState(StateSyncing, nil)
		f.log.Info("Indexing chain logs", "from", from, "target", target)
	}
	to := min(target, from+uint64(f.cfg.FetchAhead)-1)
	blocks, err := f.fetch(ctx, from, to)
	for i, b := range blocks {
		if ok && b.ParentHash != head.Hash {
			return i, &parentMismatch{number: b.Number, hash: b.Hash, parent: b.ParentHash, headHash: head.Hash}
		}
		if aerr := f.idx.Append(b); aerr != nil {
			switch {
			case errors.Is(aerr, logindex.ErrParentMismatch):
				return i, &parentMismatch{number: b.Number, hash: b.Hash, parent: b.ParentHash, headHash: head.Hash}
			case errors.Is(aerr, logindex.ErrInvalidBlock):
				// The index refused the block's data, not its own store: the source's fault.
				return i, badBlock(b.Number, b.Hash, aerr, "refused by the log index")
			}
			return i, fmt.Errorf("%w: append block %d: %w", ErrIndex, b.Number, aerr)
		}
		head, ok = b.BlockRef, true
		f.appended(b)
		if l.syncing {
			l.progress.add(b)
			if time.Since(l.progress.last) >= progressEvery {
				l.progress.report(f.log, head.Number, l.targetNumber())
			}
		}
	}
	return len(blocks), err
}

// startBlock is where an empty index starts; ready is false while the source has not
// reached it.
func (l *loop) startBlock(ctx context.Context) (start uint64, ready bool, err error) {
	cfg := &l.f.cfg
	if cfg.StartTime == 0 {
		return cfg.StartBlock, l.targetNumber() >= cfg.StartBlock, nil
	}
	if l.startSet {
		return l.start, true, nil
	}
	if l.target.Time < cfg.StartTime {
		return 0, false, nil
	}
	n, err := findByTime(ctx, l.f.src, cfg.StartTime, l.target)
	if err != nil {
		return 0, false, fmt.Errorf("find start block at time %d: %w", cfg.StartTime, err)
	}
	l.f.log.Info("Found the start block of the log index", "time", cfg.StartTime, "number", n)
	l.start, l.startSet = n, true
	return n, true, nil
}

// findByTime is the number of the first block at or below head whose timestamp is at
// least t (head.Time >= t), by binary search over canonical headers.
func findByTime(ctx context.Context, src Source, t uint64, head *types.Header) (uint64, error) {
	lo, hi := uint64(0), head.Number.Uint64() // the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		h, err := src.HeaderByNumber(ctx, mid)
		if err != nil {
			return 0, err
		}
		if h.Time >= t {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// fetch reads and converts blocks from..to concurrently; it returns the leading blocks that
// succeeded and the first error.
func (f *Follower) fetch(ctx context.Context, from, to uint64) ([]*logindex.Block, error) {
	n := int(to - from + 1)
	blocks := make([]*logindex.Block, n)
	errs := make([]error, n)
	if n == 1 {
		blocks[0], errs[0] = f.fetchBlock(ctx, from)
	} else {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				blocks[i], errs[i] = f.fetchBlock(ctx, from+uint64(i))
			}()
		}
		wg.Wait()
	}
	for i, err := range errs {
		if err != nil {
			return blocks[:i], err
		}
	}
	return blocks, nil
}

// fetchBlock reads the canonical block at number and converts it.
func (f *Follower) fetchBlock(ctx context.Context, number uint64) (*logindex.Block, error) {
	h, err := f.src.HeaderByNumber(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("header %d: %w", number, err)
	}
	if h == nil || h.Number == nil || !h.Number.IsUint64() || h.Number.Uint64() != number {
		var got any = "none"
		if h != nil {
			got = h.Number
		}
		return nil, badBlock(number, common.Hash{}, ErrBadHeader, "asked for header %d, got %v", number, got)
	}
	hash := h.Hash()
	receipts, txs, err := f.src.Receipts(ctx, hash)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, badBlock(number, hash, ErrMissingReceipts, "%v", err)
		}
		return nil, fmt.Errorf("receipts of block %d: %w", number, err)
	}
	if t, ok := f.src.(interface{ trusted() bool }); ok && t.trusted() {
		return BlockFromStoredReceipts(h, txs, receipts)
	}
	return BlockFromReceipts(h, txs, receipts)
}

// reconcile walks back from the indexed head, or from the source's head sourceHead when that
// is lower, to the newest block the source has at the same height with the same hash, and
// rewinds the index to it. A source whose head is below the whole indexed range confirms
// nothing and is waited for (a node resyncing); one that has other blocks at every indexed
// height is an ErrDeepReorg, retried like bad data, the index kept as it is.
func (f *Follower) reconcile(ctx context.Context, sourceHead uint64) (rewound bool, err error) {
	head, ok := f.idx.Head()
	if !ok {
		return false, nil
	}
	first, _ := f.idx.First()
	if sourceHead < first.Number {
		return false, fmt.Errorf("%w: source head %d, first indexed block %d", ErrSourceBehind, sourceHead, first.Number)
	}
	n := min(head.Number, sourceHead)
	if n > first.Number {
		// The indexed blocks are hash-linked: a source with another block at the oldest
		// height has none of them. One request tells, where the walk below would read a
		// header per indexed block at every retry of a deep reorg.
		h, err := f.src.HeaderByNumber(ctx, first.Number)
		switch {
		case err != nil:
			return false, fmt.Errorf("header %d: %w", first.Number, err)
		case h == nil || h.Number == nil || !h.Number.IsUint64() || h.Number.Uint64() != first.Number:
			return false, badBlock(first.Number, common.Hash{}, ErrBadHeader, "asked for header %d, got another", first.Number)
		case h.Hash() != first.Hash:
			return false, fmt.Errorf("%w: the source's block %d is %s, indexed %s", ErrDeepReorg, first.Number, h.Hash().Hex(), first.Hash.Hex())
		}
	}
	for {
		ref, err := f.idx.BlockRef(n)
		if err != nil {
			return false, fmt.Errorf("%w: read block %d: %w", ErrIndex, n, err)
		}
		h, err := f.src.HeaderByNumber(ctx, n)
		if err == nil && (h == nil || h.Number == nil || !h.Number.IsUint64() || h.Number.Uint64() != n) {
			return false, badBlock(n, common.Hash{}, ErrBadHeader, "asked for header %d, got another", n)
		}
		switch {
		case err == nil && h.Hash() == ref.Hash:
			if n == head.Number {
				return false, nil
			}
			if err := f.idx.Rewind(n); err != nil {
				return false, fmt.Errorf("%w: rewind to %d: %w", ErrIndex, n, err)
			}
			f.rewound(ref, head)
			return true, nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return false, err
		case n <= first.Number:
			return false, fmt.Errorf("%w: the source has none of the indexed blocks %d..%d", ErrDeepReorg, first.Number, head.Number)
		}
		n--
	}
}

// appended publishes a new head.
func (f *Follower) appended(b *logindex.Block) {
	f.mu.Lock()
	f.status.Head, f.status.HasHead = b.BlockRef, true
	lag := lagOf(f.status.SourceHead, b.Number)
	f.mu.Unlock()
	f.metrics.head.Update(int64(b.Number))
	f.metrics.lag.Update(lag)
	f.metrics.blocks.Inc(1)
	f.metrics.logs.Inc(int64(len(b.LogHashes)))
	f.log.Debug("Indexed block logs", "number", b.Number, "hash", b.Hash, "logs", len(b.LogHashes), "execs", len(b.ExecMsgs))
	f.feed.Send(Event{Kind: Appended, Ref: b.BlockRef})
}

// rewound publishes a rewind from old to ref.
func (f *Follower) rewound(ref, old logindex.BlockRef) {
	f.mu.Lock()
	f.status.Head, f.status.HasHead = ref, true
	lag := lagOf(f.status.SourceHead, ref.Number)
	f.mu.Unlock()
	f.metrics.head.Update(int64(ref.Number))
	f.metrics.lag.Update(lag)
	f.metrics.reorgs.Inc(1)
	f.log.Warn("Chain reorg, log index rewound", "from", old.Number, "oldHash", old.Hash, "to", ref.Number, "hash", ref.Hash, "depth", old.Number-ref.Number)
	f.feed.Send(Event{Kind: Rewound, Ref: ref})
}

func (f *Follower) noteSourceHead(number uint64) {
	f.mu.Lock()
	f.status.SourceHead = number
	f.status.LastHeadAt = time.Now()
	var lag int64
	if f.status.HasHead {
		lag = lagOf(number, f.status.Head.Number)
	}
	f.mu.Unlock()
	f.metrics.lag.Update(lag)
}

func (f *Follower) setState(s State, err error) {
	f.mu.Lock()
	f.status.State, f.status.Err = s, err
	f.mu.Unlock()
	f.metrics.state.Update(int64(s))
	if f.onState != nil {
		f.onState(s)
	}
}

func lagOf(source, head uint64) int64 {
	if source <= head {
		return 0
	}
	return int64(source - head)
}

// backoff is a capped exponential backoff.
type backoff struct {
	min, max time.Duration
	attempts int
}

func (b *backoff) next() time.Duration {
	d := b.min
	for i := 0; i < b.attempts && d < b.max; i++ {
		d *= 2
	}
	b.attempts++
	return min(d, b.max)
}

func (b *backoff) reset() { b.attempts = 0 }

// progress measures a catch-up for the logs.
type progress struct {
	began, last  time.Time
	blocks, logs uint64 // since last
}

func (p *progress) add(b *logindex.Block) {
	p.blocks++
	p.logs += uint64(len(b.LogHashes))
}

func (p *progress) report(logger log.Logger, head, target uint64) {
	now := time.Now()
	secs := now.Sub(p.last).Seconds()
	rate := float64(p.blocks) / secs
	var eta time.Duration
	if rate > 0 && target > head {
		eta = time.Duration(float64(target-head) / rate * float64(time.Second))
	}
	logger.Info("Indexing chain logs", "number", head, "target", target, "blocks", p.blocks, "logs", p.logs,
		"blk/s", fmt.Sprintf("%.1f", rate), "logs/s", fmt.Sprintf("%.0f", float64(p.logs)/secs), "eta", common.PrettyDuration(eta))
	p.last, p.blocks, p.logs = now, 0, 0
}
