package crosssafety

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/safety"
	"github.com/xgeth/xgeth/interop/superroot"
)

// Index is what the engine reads of a chain's log index (a *logindex.ChainIndex).
type Index interface {
	Head() (logindex.BlockRef, bool)
	First() (logindex.BlockRef, bool)
	BlockRef(number uint64) (logindex.BlockRef, error)
	ExecMsgs(number uint64) ([]logindex.ExecMsg, error)
}

// Verifier judges the local validity of a block's executing messages: a
// *checker.Checker. The engine adds no message rule of its own.
type Verifier interface {
	VerifyBlockExecMsgs(chain *uint256.Int, block *logindex.Block) checker.Verdict
}

// Chain is a chain of the dependency set and its log index.
type Chain struct {
	ID    uint256.Int
	Index Index
}

// Config configures an Engine.
type Config struct {
	Chains   []Chain
	Verifier Verifier
	// DB keeps the cross-safe and finalized heads, the deny list and the write-ahead
	// decision (the node's key-value store; keys under "xgs").
	DB ethdb.KeyValueStore
	// Logger; nil means log.Root().
	Logger log.Logger
	// Now gives decision times; nil means time.Now.
	Now func() time.Time
	// Outputs, when set, reads a block's output for its denial record (best effort).
	Outputs func(chain *uint256.Int, ref logindex.BlockRef) *superroot.Output
}

// ErrUnknownChain: the chain is not one of the engine's.
var ErrUnknownChain = rpcerr.UnknownChain.Derive("chain not tracked by the safety engine")

// maxRun bounds how many blocks of one chain one advance decision promotes (catch-up).
const maxRun = 1024

// maxRecords bounds the promoted blocks kept per chain for rewinds (those above the
// finalized head). Past it the oldest are dropped: a rewind that would need them re-opens
// everything above the cross-safe head instead, which is conservative.
const maxRecords = 1 << 17

// head is a chain's head at one level.
type head struct {
	ref logindex.BlockRef
	ok  bool
}

// covers reports whether the block at number is at or below h.
func (h head) covers(number uint64) bool { return h.ok && number <= h.ref.Number }

// dep is an executing message of a promoted block: the block it names and which of the
// block's logs executes it.
type dep struct {
	chain     int
	number    uint64
	timestamp uint64
	log       uint32 // the initiating log
	execLog   uint32 // the executing log in the dependent block
}

// record is a block promoted to cross-unsafe, kept while above the finalized head.
type record struct {
	ref  logindex.BlockRef
	deps []dep
}

type chainState struct {
	id  uint256.Int
	idx Index

	crossUnsafe, crossSafe, finalized head
	localSafe, localFinalized         head

	recs []record // ascending, contiguous numbers, the last is crossUnsafe

	denied    map[uint64][]Denial
	maxDenied uint64
	anyDenied bool

	// Why cross-unsafe [0] and cross-safe [1] do not advance ("" when up to date):
	// waitNext is written by decide, waiting is what it last found when the engine waited
	// (guarded by mu; Waiting reads it).
	waitNext, waiting [2]string
}

// Engine is the cross-chain safety engine of a node. It is safe for concurrent use: the
// queries (Head, Heads, IsDenied, MaxDeniedHeight) read a snapshot under a read lock and
// never wait for a resolution; resolution runs on one goroutine at a time.
type Engine struct {
	verifier Verifier
	outputs  func(chain *uint256.Int, ref logindex.BlockRef) *superroot.Output
	store    store
	log      log.Logger
	now      func() time.Time

	chains []*chainState
	byID   map[uint256.Int]int

	mu    sync.RWMutex // guards what queries read of chains
	runMu sync.Mutex   // one resolution at a time

	inMu   sync.Mutex
	inputs []input // pending local-safe / local-finalized labels

	decisions event.FeedOf[Decision]
	wake      chan struct{}
	quit      chan struct{}
	done      chan struct{}
}

type input struct {
	chain int
	level safety.Level // LocalSafe or Finalized (local-finalized)
	ref   logindex.BlockRef
}

// New opens the engine's stored state (heads, deny list) and replays a pending
// write-ahead decision. It resolves nothing until Resolve or Start.
func New(cfg Config) (*Engine, error) {
	if cfg.Verifier == nil || cfg.DB == nil || len(cfg.Chains) == 0 {
		return nil, errors.New("crosssafety: no verifier, database or chains")
	}
	e := &Engine{
		verifier: cfg.Verifier,
		outputs:  cfg.Outputs,
		store:    store{db: cfg.DB},
		log:      cfg.Logger,
		now:      cfg.Now,
		byID:     map[uint256.Int]int{},
		wake:     make(chan struct{}, 1),
	}
	if e.log == nil {
		e.log = log.Root()
	}
	if e.now == nil {
		e.now = time.Now
	}
	for _, c := range cfg.Chains {
		if c.Index == nil {
			return nil, fmt.Errorf("crosssafety: chain %s has no index", c.ID.Dec())
		}
		if _, dup := e.byID[c.ID]; dup {
			return nil, fmt.Errorf("crosssafety: chain %s listed twice", c.ID.Dec())
		}
		e.byID[c.ID] = len(e.chains)
		e.chains = append(e.chains, &chainState{id: c.ID, idx: c.Index, denied: map[uint64][]Denial{}})
	}
	for _, c := range e.chains {
		h, err := e.store.heads(&c.id)
		if err != nil {
			return nil, err
		}
		if h.CrossSafe != nil {
			c.crossSafe = head{*h.CrossSafe, true}
			// Cross-unsafe is not stored: it restarts at cross-safe and catches up.
			c.crossUnsafe = c.crossSafe
		}
		if h.Finalized != nil {
			c.finalized = head{*h.Finalized, true}
		}
		ds, err := e.store.denials(&c.id)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			c.addDenial(d)
		}
		e.rebuildRecords(c)
	}
	d, err := e.store.pending()
	if err != nil {
		return nil, err
	}
	if d != nil {
		if err := e.validate(d); err != nil {
			return nil, err
		}
		e.log.Warn("Replaying interrupted safety decision", "decision", d.String())
		if err := e.apply(d); err != nil {
			return nil, fmt.Errorf("crosssafety: replay %s: %w", d, err)
		}
	}
	return e, nil
}

// validate checks a stored decision against the engine: known chains, a level where one
// is needed.
func (e *Engine) validate(d *Decision) error {
	for _, h := range d.Heads {
		if _, ok := e.byID[h.Chain]; !ok {
			return fmt.Errorf("%w: write-ahead decision names chain %s, not tracked", ErrStoreCorrupt, h.Chain.Dec())
		}
	}
	for _, x := range d.Denied {
		if _, ok := e.byID[x.Chain]; !ok {
			return fmt.Errorf("%w: write-ahead decision denies a block of chain %s, not tracked", ErrStoreCorrupt, x.Chain.Dec())
		}
	}
	switch d.Kind {
	case Advance, Rewind:
		if d.Level != safety.CrossUnsafe && d.Level != safety.Safe && d.Level != safety.Finalized {
			return fmt.Errorf("%w: write-ahead %s decision at level %s", ErrStoreCorrupt, d.Kind, d.Level)
		}
	}
	return nil
}

// rebuildRecords reads the dependencies of the blocks in (finalized, crossSafe] from the
// index after a restart, so that rewinds of those blocks can be followed.
func (e *Engine) rebuildRecords(c *chainState) {
	if !c.crossSafe.ok {
		return
	}
	from := uint64(0)
	if c.finalized.ok {
		from = c.finalized.ref.Number + 1
	} else if f, ok := c.idx.First(); ok {
		from = f.Number
	}
	for n := from; n <= c.crossSafe.ref.Number; n++ {
		ref, msgs, why := readBlock(c, n)
		if why != "" {
			c.recs = nil
			return
		}
		c.recs = append(c.recs, record{ref: ref, deps: e.depsOf(msgs)})
	}
	// The index may have reorged below cross-safe while the node was down: then the top
	// records are not the blocks that were promoted, and a rewind must not stop at them.
	// The stored head's parent hash vouches for the blocks below it, if the index still has
	// that parent; deeper than that nothing is known, and the rewind goes to finalized.
	if n := len(c.recs); n > 0 && c.recs[n-1].ref.Hash != c.crossSafe.ref.Hash {
		if n >= 2 && c.recs[n-2].ref.Hash == c.crossSafe.ref.ParentHash {
			c.recs = c.recs[:n-1]
		} else {
			c.recs = nil
		}
	}
}

func (c *chainState) addDenial(d Denial) {
	for _, x := range c.denied[d.Block.Number] {
		if x.Block.Hash == d.Block.Hash {
			return
		}
	}
	c.denied[d.Block.Number] = append(c.denied[d.Block.Number], d)
	if !c.anyDenied || d.Block.Number > c.maxDenied {
		c.maxDenied, c.anyDenied = d.Block.Number, true
	}
}

func (c *chainState) isDenied(number uint64, hash common.Hash) bool {
	for _, x := range c.denied[number] {
		if x.Block.Hash == hash {
			return true
		}
	}
	return false
}

func (e *Engine) chain(id *uint256.Int) (*chainState, error) {
	i, ok := e.byID[*id]
	if !ok {
		return nil, ErrUnknownChain.Withf("chain %s", id.Dec())
	}
	return e.chains[i], nil
}

// Head implements checker.SafetyView: the newest block of chain at level. local-unsafe
// is the index head; cross-unsafe, safe (cross-safe) and finalized are the engine's;
// local-safe is the consensus side's label.
func (e *Engine) Head(chain *uint256.Int, level safety.Level) (logindex.BlockRef, bool, error) {
	c, err := e.chain(chain)
	if err != nil {
		return logindex.BlockRef{}, false, err
	}
	if level == safety.Unsafe {
		ref, ok := c.idx.Head()
		return ref, ok, nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var h head
	switch level {
	case safety.CrossUnsafe:
		h = c.crossUnsafe
	case safety.LocalSafe:
		h = c.localSafe
	case safety.Safe:
		h = c.crossSafe
	case safety.Finalized:
		h = c.finalized
	default:
		return logindex.BlockRef{}, false, safety.ErrUnknownLevel.Withf("%s", level)
	}
	return h.ref, h.ok, nil
}

// Heads are every level's head of a chain (interop_safety).
type Heads struct {
	LocalUnsafe, CrossUnsafe, LocalSafe, CrossSafe, LocalFinalized, Finalized *logindex.BlockRef
}

// Heads returns the heads of chain at every level; nil where the level has no block.
func (e *Engine) Heads(chain *uint256.Int) (Heads, error) {
	c, err := e.chain(chain)
	if err != nil {
		return Heads{}, err
	}
	ref := func(h head) *logindex.BlockRef {
		if !h.ok {
			return nil
		}
		r := h.ref
		return &r
	}
	var out Heads
	if h, ok := c.idx.Head(); ok {
		out.LocalUnsafe = &h
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	out.CrossUnsafe, out.LocalSafe, out.CrossSafe = ref(c.crossUnsafe), ref(c.localSafe), ref(c.crossSafe)
	out.LocalFinalized, out.Finalized = ref(c.localFinalized), ref(c.finalized)
	return out, nil
}

// Waiting says why chain's cross-unsafe and cross-safe heads did not advance further when
// the engine last waited: the block each waits on and what it waits for; "" for a level
// that was as far as its local label allows.
func (e *Engine) Waiting(chain *uint256.Int) (crossUnsafe, crossSafe string, err error) {
	c, err := e.chain(chain)
	if err != nil {
		return "", "", err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return c.waiting[0], c.waiting[1], nil
}

// IsDenied reports whether the block (number, hash) of chain is on the deny list.
func (e *Engine) IsDenied(chain *uint256.Int, number uint64, hash common.Hash) (bool, error) {
	c, err := e.chain(chain)
	if err != nil {
		return false, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return c.isDenied(number, hash), nil
}

// MaxDeniedHeight is the highest denied block number of chain; ok is false when none is.
func (e *Engine) MaxDeniedHeight(chain *uint256.Int) (uint64, bool, error) {
	c, err := e.chain(chain)
	if err != nil {
		return 0, false, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return c.maxDenied, c.anyDenied, nil
}

// Denials are the denied blocks of chain at number (every hash denied there).
func (e *Engine) Denials(chain *uint256.Int, number uint64) ([]Denial, error) {
	c, err := e.chain(chain)
	if err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]Denial(nil), c.denied[number]...), nil
}

// DeniedBlocks are every denied block of chain, by ascending number.
func (e *Engine) DeniedBlocks(chain *uint256.Int) ([]Denial, error) {
	c, err := e.chain(chain)
	if err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []Denial
	for _, ds := range c.denied {
		out = append(out, ds...)
	}
	slices.SortFunc(out, func(a, b Denial) int { return cmp.Compare(a.Block.Number, b.Block.Number) })
	return out, nil
}

// AfterWriteAhead, when set, is called once a decision is written ahead and before it is
// applied: a crash test's failpoint (the binary kills itself there) to prove replay.
var AfterWriteAhead func(*Decision)

// SetLocalSafe sets chain's local-safe label (what its consensus client derived from L1).
// It may go back (an L1 reorg); cross-safe then follows it back.
func (e *Engine) SetLocalSafe(chain *uint256.Int, ref logindex.BlockRef) error {
	return e.setInput(chain, safety.LocalSafe, ref)
}

// SetLocalFinalized sets chain's local-finalized label.
func (e *Engine) SetLocalFinalized(chain *uint256.Int, ref logindex.BlockRef) error {
	return e.setInput(chain, safety.Finalized, ref)
}

func (e *Engine) setInput(chain *uint256.Int, level safety.Level, ref logindex.BlockRef) error {
	i, ok := e.byID[*chain]
	if !ok {
		return ErrUnknownChain.Withf("chain %s", chain.Dec())
	}
	e.inMu.Lock()
	e.inputs = append(e.inputs, input{chain: i, level: level, ref: ref})
	e.inMu.Unlock()
	e.Notify()
	return nil
}

// Notify tells the engine that an index changed; a started engine resolves again.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// SubscribeDecisions delivers every applied decision (not waits), in order.
func (e *Engine) SubscribeDecisions(ch chan<- Decision) event.Subscription {
	return e.decisions.Subscribe(ch)
}

// Start resolves on every Notify (and input) until Stop.
func (e *Engine) Start() {
	e.quit, e.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(e.done)
		for {
			e.Resolve()
			select {
			case <-e.wake:
			case <-e.quit:
				return
			}
		}
	}()
}

// Stop stops a started engine and waits for it.
func (e *Engine) Stop() {
	if e.quit == nil {
		return
	}
	close(e.quit)
	<-e.done
	e.quit = nil
}

// Resolve takes pending inputs and applies decisions until the engine has to wait; it
// returns the decisions it applied and the final wait.
func (e *Engine) Resolve() (applied []Decision, wait Decision) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	for {
		e.takeInputs()
		d := e.decide()
		if d.Kind == Wait {
			e.mu.Lock()
			for _, c := range e.chains {
				c.waiting = c.waitNext
			}
			e.mu.Unlock()
			return applied, d
		}
		before := e.headsOf(&d)
		if err := e.apply(&d); err != nil {
			e.log.Error("Safety decision not applied", "decision", d.String(), "err", err)
			return applied, Decision{Kind: Wait, Reason: "store failure: " + err.Error()}
		}
		applied = append(applied, d)
		if (d.Kind == Advance || d.Kind == Rewind) && slices.Equal(e.headsOf(&d), before) {
			// A decision that moves nothing would be taken again forever: a bug, never an
			// answer. Wait for the next change of the data instead of spinning.
			e.log.Error("Safety decision changed nothing, waiting for new data", "decision", d.String())
			return applied, Decision{Kind: Wait, Reason: "decision changed nothing: " + d.String()}
		}
	}
}

// headsOf are the level heads (cross-unsafe, cross-safe, finalized) of the chains d names,
// to tell whether applying d moved anything.
func (e *Engine) headsOf(d *Decision) []head {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]head, 0, 3*len(d.Heads))
	for _, x := range d.Heads {
		if i, ok := e.byID[x.Chain]; ok {
			c := e.chains[i]
			out = append(out, c.crossUnsafe, c.crossSafe, c.finalized)
		}
	}
	return out
}

func (e *Engine) takeInputs() {
	e.inMu.Lock()
	in := e.inputs
	e.inputs = nil
	e.inMu.Unlock()
	if len(in) == 0 {
		return
	}
	e.mu.Lock()
	for _, x := range in {
		c := e.chains[x.chain]
		if x.level == safety.LocalSafe {
			c.localSafe = head{x.ref, true}
		} else {
			c.localFinalized = head{x.ref, true}
		}
	}
	e.mu.Unlock()
}

// apply writes a persisted decision ahead, applies it to memory, commits what it leaves
// and clears the write-ahead record, then publishes it. Applying twice (a replay) gives
// the same state.
func (e *Engine) apply(d *Decision) error {
	persisted := d.persisted()
	if persisted {
		if err := e.store.writeAhead(d); err != nil {
			return err
		}
		if AfterWriteAhead != nil {
			AfterWriteAhead(d)
		}
	}
	touched := map[int]bool{}
	e.mu.Lock()
	switch d.Kind {
	case Advance:
		for _, h := range d.Heads {
			i := e.byID[h.Chain]
			touched[i] = true
			c := e.chains[i]
			switch d.Level {
			case safety.CrossUnsafe:
				c.crossUnsafe = head{h.Block, true}
			case safety.Safe:
				c.crossSafe = head{h.Block, true}
			case safety.Finalized:
				c.finalized = head{h.Block, true}
				c.dropRecordsUpTo(h.Block.Number)
			}
		}
		for _, cr := range d.records {
			c := e.chains[cr.chain]
			c.recs = append(c.recs, cr.recs...)
			if over := len(c.recs) - maxRecords; over > 0 {
				c.recs = append(c.recs[:0:0], c.recs[over:]...)
			}
		}
	case Rewind:
		for _, h := range d.Heads {
			i := e.byID[h.Chain]
			touched[i] = true
			c := e.chains[i]
			nh := head{h.Block, !h.None}
			// A reorg of the index moves cross-unsafe back, and cross-safe with it where
			// it was higher; a local-safe label that went back moves only cross-safe.
			c.crossSafe = lower(c.crossSafe, nh)
			if d.Level == safety.CrossUnsafe {
				c.crossUnsafe = lower(c.crossUnsafe, nh)
				c.truncateRecords(nh)
			}
		}
	case Invalidate:
		for _, x := range d.Denied {
			i := e.byID[x.Chain]
			touched[i] = true
			e.chains[i].addDenial(x)
		}
	}
	e.mu.Unlock()
	if persisted {
		heads := map[uint256.Int]storedHeads{}
		e.mu.RLock()
		for i := range touched {
			c := e.chains[i]
			var sh storedHeads
			if c.crossSafe.ok {
				r := c.crossSafe.ref
				sh.CrossSafe = &r
			}
			if c.finalized.ok {
				r := c.finalized.ref
				sh.Finalized = &r
			}
			heads[c.id] = sh
		}
		e.mu.RUnlock()
		if err := e.store.commit(heads, d.Denied); err != nil {
			return err
		}
	}
	e.record(d)
	e.decisions.Send(*d)
	return nil
}

// lower is the lower of two heads (a head that is not set is lowest).
func lower(a, b head) head {
	if !a.ok || !b.ok {
		return head{}
	}
	if b.ref.Number < a.ref.Number {
		return b
	}
	return a
}

func (c *chainState) dropRecordsUpTo(number uint64) {
	i := 0
	for i < len(c.recs) && c.recs[i].ref.Number <= number {
		i++
	}
	c.recs = c.recs[i:]
}

// truncateRecords drops the records above h.
func (c *chainState) truncateRecords(h head) {
	if !h.ok {
		c.recs = c.recs[:0]
		return
	}
	i := len(c.recs)
	for i > 0 && c.recs[i-1].ref.Number > h.ref.Number {
		i--
	}
	c.recs = c.recs[:i]
}

// recordAt is the record of block number, if kept.
func (c *chainState) recordAt(number uint64) (*record, bool) {
	if len(c.recs) == 0 {
		return nil, false
	}
	first := c.recs[0].ref.Number
	if number < first || number-first >= uint64(len(c.recs)) {
		return nil, false
	}
	return &c.recs[number-first], true
}

// depsOf converts a block's executing messages to dependencies on chains of the engine;
// messages of other chains are left out (the verifier has judged them invalid already).
func (e *Engine) depsOf(msgs []logindex.ExecMsg) []dep {
	if len(msgs) == 0 {
		return nil
	}
	deps := make([]dep, 0, len(msgs))
	for _, m := range msgs {
		id := &m.Msg.Identifier
		i, ok := e.byID[id.ChainID]
		if !ok {
			continue
		}
		deps = append(deps, dep{chain: i, number: id.BlockNumber, timestamp: id.Timestamp, log: id.LogIndex, execLog: m.LogIndex})
	}
	return deps
}
