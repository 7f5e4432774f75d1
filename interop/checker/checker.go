// Package checker decides whether the executing messages a transaction declares in its
// access list are valid, and whether the executing messages a block emits are backed by
// the log index. It is the one object the transaction pool (ingress and re-validation),
// the block builder, the import path and the JSON-RPC service (interop_checkAccessList)
// call: there is no other implementation of the rules at those call sites.
//
// It owns the order of the checks (cheap ones before any index lookup), the mapping of
// every failure to a typed rpcerr error that names the failing message, the failsafe
// switch, and the check metrics. It never writes to the index, never computes cross-chain
// safety (it asks a SafetyView) and never fetches data: a message whose source is not
// indexed yet gets "no verdict yet" (rpcerr.Future or rpcerr.Uninitialized), not a guess.
// The rules themselves are the functions of interop/rules; the checker adds none.
package checker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
	"github.com/xgeth/xgeth/interop/safety"
)

// DefaultMaxEntries caps the CrossL2Inbox keys of one access list: room for 1000 messages
// of the longest form (lookup, chain-ID extension, checksum). The spec asks pools to cap
// lists (they can be tens of thousands of entries) before any lookup.
const DefaultMaxEntries = 3 * 1000

// ExecutingDescriptor says where and when the declared messages would execute.
type ExecutingDescriptor struct {
	// ChainID is the executing chain.
	ChainID uint256.Int
	// Timestamp is the executing block's timestamp (for the pool: the next block's).
	Timestamp uint64
	// Timeout asks that every message stay valid until Timestamp + Timeout (the pool's
	// deadline for a transaction's stay); 0 for a block.
	Timeout uint64
}

// Config tunes a Checker. The zero value is usable.
type Config struct {
	// MaxEntries caps the entries of one list; 0 means DefaultMaxEntries.
	MaxEntries int
	// Safety answers minimum-safety requirements above local-unsafe. nil means only
	// local-unsafe is known (see CheckAccessList); SetSafetyView installs one later.
	Safety SafetyView
	// Logger for failsafe transitions; nil means log.Root().
	Logger log.Logger
	// Cluster, when set, gives each executing chain its own dependency set: a message from
	// a chain outside it is refused as from an unknown chain, even when the set above
	// (every chain this node indexes) has it. nil: every chain accepts every chain of the set.
	Cluster *cluster.Graph
}

// Checker checks executing messages against the dependency set, the timing rules and the
// log index. It is safe for concurrent use; checks do not block each other.
type Checker struct {
	chains     *depset.Set
	cluster    *cluster.Graph
	indexes    Indexes
	maxEntries int
	log        log.Logger

	view atomic.Pointer[viewBox]
	fs   failsafe

	// Parse buffers, reused so that a check of a short list does not allocate.
	bufs sync.Pool
}

type viewBox struct{ v SafetyView }

// New makes a checker over a dependency set and the log indexes of its chains. The set is
// immutable; a node whose set changes builds a new checker. (It is the concrete
// *depset.Set rather than an interface: a pointer handed to an interface method escapes,
// which would cost the hot path an allocation per check.)
func New(chains *depset.Set, indexes Indexes, cfg Config) *Checker {
	if chains == nil || indexes == nil {
		panic("checker: nil dependency set or indexes")
	}
	c := &Checker{
		chains:     chains,
		cluster:    cfg.Cluster,
		indexes:    indexes,
		maxEntries: cfg.MaxEntries,
		log:        cfg.Logger,
	}
	if c.maxEntries <= 0 {
		c.maxEntries = DefaultMaxEntries
	}
	if c.log == nil {
		c.log = log.Root()
	}
	c.bufs.New = func() any { b := make([]accesslist.Access, 0, 4); return &b }
	c.SetSafetyView(cfg.Safety)
	return c
}

// SetSafetyView installs (or, with nil, removes) the view that answers safety
// requirements above local-unsafe. The safety engine calls it once it runs: it is built
// after the checker, because it verifies blocks with VerifyBlockExecMsgs.
func (c *Checker) SetSafetyView(v SafetyView) {
	if v == nil {
		c.view.Store(nil)
		return
	}
	c.view.Store(&viewBox{v})
}

// CheckAccessList checks the executing messages declared by entries (the CrossL2Inbox
// storage keys of one transaction, concatenated in order as accesslist.InboxKeys returns
// them) for execution as desc describes, requiring each initiating block to have reached
// minSafety. nil means every message is valid. An empty list is not an interop list and is
// valid, even while the failsafe is on.
//
// The checks run in this order, and every check of a group runs for the whole list before
// the next group starts, so a list that fails a cheap check costs no index lookup:
//
//  1. failsafe (ErrFailsafe)
//  2. size cap (ErrTooManyEntries), minSafety is an ordered level (ErrMinSafety) and is
//     tracked (ErrSafetyNotTracked)
//  3. the executing chain is in the dependency set (ErrUnknownExecutingChain) and
//     desc.Timestamp is after its activation block (rules.ErrExecBeforeActivation)
//  4. parse (ErrMalformed wrapping the accesslist error)
//  5. per message: initiating chain in the set (ErrUnknownInitiatingChain), initiating
//     timestamp after its chain's activation block (rules.ErrInitBeforeActivation),
//     rules.CheckTiming with desc's timestamp and timeout
//  6. per message, against the index of the initiating chain: the chain is indexed
//     (ErrNotIndexed), the block is (ErrBlockNotIndexed above the head; ErrBlockPruned
//     below the oldest retained block, no verdict: see its doc), its timestamp matches (ErrTimestampMismatch, also
//     for a block above the head declared no later than the head: heights and
//     timestamps rise together, so that block cannot have that timestamp), the
//     log exists (ErrLogNotFound), the checksum recomputed from the stored log hash equals
//     the declared one (ErrChecksumMismatch), and the block has reached minSafety
//     (ErrSafetyNotReached).
//
// Safety levels: every indexed block is local-unsafe. Without a SafetyView, cross-unsafe
// is answered as unsafe (POLICY of the checker until the safety engine runs: the pool
// and the builder ask for cross-unsafe, and refusing all interop until then would drop
// every valid transaction; cross-safety re-checks the blocks that include them), and
// local-safe, safe and finalized are refused with ErrSafetyNotTracked (definitive: this
// node cannot answer them, waiting would not help). With a SafetyView every level above
// unsafe is asked of the view.
//
// Errors are *rpcerr.Error values derived from the sentinels above (or from the
// accesslist and rules sentinels) and name the failing message: its position in the list,
// chain, block, log index and timestamp. rpcerr.NoVerdictYet tells "not yet indexed /
// not yet safe / pruned / index read failed / canceled" (keep the transaction) from a
// definitive rejection. Only an index that reports corrupt stored data gives a definitive
// index error (ErrIndexCorrupt), and it trips the failsafe. Every conclusion drawn from
// the index comes from one lookup's consistent view (logindex.RangeError), never from two
// reads a concurrent append could tear apart.
func (c *Checker) CheckAccessList(ctx context.Context, entries []common.Hash, minSafety safety.Level, desc ExecutingDescriptor) error {
	if len(entries) == 0 {
		return nil
	}
	var start time.Time
	if metrics.Enabled() && sampleLatency() {
		start = time.Now()
	}
	r, err := c.checkList(ctx, entries, minSafety, &desc)
	recordCheck(r, start)
	if err != nil {
		return err
	}
	return nil
}

func (c *Checker) checkList(ctx context.Context, entries []common.Hash, minSafety safety.Level, desc *ExecutingDescriptor) (reason, *rpcerr.Error) {
	// 1–2: the request as a whole.
	if c.fs.on.Load() {
		return reasonFailsafe, ErrFailsafe
	}
	if len(entries) > c.maxEntries {
		return reasonTooManyEntries, ErrTooManyEntries.Withf("%d entries, at most %d", len(entries), c.maxEntries)
	}
	if !minSafety.Ordered() {
		return reasonMinSafety, ErrMinSafety.Withf("got %s", minSafety)
	}
	var view SafetyView
	if b := c.view.Load(); b != nil {
		view = b.v
	}
	if view == nil && minSafety > safety.CrossUnsafe {
		return reasonSafetyNotTracked, ErrSafetyNotTracked.Withf("%s requested, only unsafe and cross-unsafe are answered until the safety engine runs", minSafety)
	}
	// 3: the executing chain.
	act, r, err := c.activation(&desc.ChainID, ErrUnknownExecutingChain)
	if err != nil {
		return r, err
	}
	if !act.Allows(desc.Timestamp) {
		return reasonNotActive, rules.ErrExecBeforeActivation.Withf("executing chain %s: timestamp %d < activation %d + block time %d",
			desc.ChainID.Dec(), desc.Timestamp, act.Time, act.BlockTime)
	}
	// 4: parse, into a reused buffer.
	bufp := c.bufs.Get().(*[]accesslist.Access)
	accesses, perr := accesslist.AppendParsed((*bufp)[:0], entries)
	defer func() {
		// Keep buffers up to the most a capped list can hold (two entries per message);
		// the pool drops them at GC.
		if cap(accesses) <= c.maxEntries/2 {
			*bufp = accesses[:0]
			c.bufs.Put(bufp)
		}
	}()
	if perr != nil {
		return reasonMalformed, ErrMalformed.Wrap(perr)
	}
	// 5: rules that need no lookup.
	window := c.chains.ExpiryWindow()
	for i := range accesses {
		a := &accesses[i]
		act, r, err := c.activation(&a.ChainID, ErrUnknownInitiatingChain)
		if err == nil {
			r, err = c.accepts(&desc.ChainID, &a.ChainID)
		}
		if err != nil {
			return r, at(i, a, err)
		}
		if !act.Allows(a.Timestamp) {
			return reasonNotActive, at(i, a, rules.ErrInitBeforeActivation.Withf("timestamp %d < activation %d + block time %d",
				a.Timestamp, act.Time, act.BlockTime))
		}
		if err := rules.CheckTiming(a.Timestamp, desc.Timestamp, window, desc.Timeout); err != nil {
			return timingReason(err), at(i, a, asRPC(err))
		}
	}
	// 6: lookups.
	n, r, err := c.lookupAll(ctx, accesses, minSafety, view)
	checkedMessages.Inc(int64(n))
	return r, err
}

// lookupAll runs the index checks of step 6 over accesses; n is how many messages it
// looked up.
func (c *Checker) lookupAll(ctx context.Context, accesses []accesslist.Access, minSafety safety.Level, view SafetyView) (n int, r reason, err *rpcerr.Error) {
	for i := range accesses {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return i, reasonCanceled, ErrCanceled.Wrap(err)
			}
		}
		a := &accesses[i]
		ref, logHash, r, err := c.lookup(&a.ChainID, a.BlockNumber, a.LogIndex, a.Timestamp)
		if err != nil {
			return i + 1, r, at(i, a, err)
		}
		if !a.Matches(logHash) {
			return i + 1, reasonChecksum, at(i, a, ErrChecksumMismatch.Withf("declared %s", a.Checksum.Hex()))
		}
		if minSafety > safety.Unsafe && view != nil {
			if r, err := reached(view, &a.ChainID, ref, minSafety); err != nil {
				return i + 1, r, at(i, a, err)
			}
		}
	}
	return len(accesses), reasonOK, nil
}

// lookup finds the log at (number, logIndex) of chain in the index and checks the block's
// timestamp. Errors carry detail but not the message's position.
func (c *Checker) lookup(chain *uint256.Int, number uint64, logIndex uint32, timestamp uint64) (logindex.BlockRef, common.Hash, reason, *rpcerr.Error) {
	idx, ok := c.indexes.Index(chain)
	if !ok {
		return logindex.BlockRef{}, common.Hash{}, reasonNotIndexed, ErrNotIndexed.Withf("this node does not follow chain %s", chain.Dec())
	}
	ref, logHash, err := idx.LogHash(number, logIndex)
	if err == nil {
		if ref.Number != number {
			r, e := c.indexFailure(chain, fmt.Errorf("%w: asked for block %d, got block %d", logindex.ErrCorrupt, number, ref.Number))
			return ref, common.Hash{}, r, e
		}
		if ref.Timestamp != timestamp {
			return ref, common.Hash{}, reasonTimestamp, ErrTimestampMismatch.Withf("indexed block %d has timestamp %d", number, ref.Timestamp)
		}
		return ref, logHash, reasonOK, nil
	}
	switch {
	case errors.Is(err, logindex.ErrEmpty):
		return ref, common.Hash{}, reasonNotIndexed, ErrNotIndexed.Wrap(err)
	case errors.Is(err, logindex.ErrFuture):
		// Judge only from the range the lookup itself saw: a second Head read could see a
		// block appended meanwhile (the very block declared) and call a valid message a
		// mismatch.
		var re *logindex.RangeError
		if !errors.As(err, &re) {
			return ref, common.Hash{}, reasonBlockFuture, ErrBlockNotIndexed.With("block above the indexed head")
		}
		h := re.Head
		// L2 timestamps are a function of the height (fixed block time), so a block above
		// the head is later than the head on every fork: a declared timestamp at or
		// before the head's is already a definitive mismatch. Without this, an invented
		// block number far ahead would stay "no verdict yet" (and pooled) forever.
		if timestamp <= h.Timestamp {
			return ref, common.Hash{}, reasonTimestamp, ErrTimestampMismatch.Withf(
				"block %d is above the indexed head %d, whose timestamp %d is not before the declared one", number, h.Number, h.Timestamp)
		}
		return ref, common.Hash{}, reasonBlockFuture, ErrBlockNotIndexed.Withf("indexed head %d", h.Number)
	case errors.Is(err, logindex.ErrPruned):
		first := "oldest retained block unknown"
		var re *logindex.RangeError
		if errors.As(err, &re) {
			first = fmt.Sprintf("oldest retained block %d", re.First.Number)
		}
		return ref, common.Hash{}, reasonPruned, ErrBlockPruned.With(first)
	case errors.Is(err, logindex.ErrLogNotFound):
		// ref is the block the lookup found without that log (same read). A wrong
		// timestamp is the more useful diagnosis when both are wrong.
		if ref.Number == number && ref.Timestamp != timestamp {
			return ref, common.Hash{}, reasonTimestamp, ErrTimestampMismatch.Withf("indexed block %d has timestamp %d", number, ref.Timestamp)
		}
		return ref, common.Hash{}, reasonLogNotFound, ErrLogNotFound.Withf("block %d has no log %d", number, logIndex)
	}
	r, e := c.indexFailure(chain, err)
	return ref, common.Hash{}, r, e
}

// indexFailure maps an index error that is not about the request: corruption of stored
// data trips the failsafe and is definitive; anything else (store I/O, a lookup that kept
// racing rewinds) is transient and no verdict.
func (c *Checker) indexFailure(chain *uint256.Int, err error) (reason, *rpcerr.Error) {
	if errors.Is(err, logindex.ErrCorrupt) {
		c.TripFailsafe(fmt.Sprintf("log index of chain %s: %v", chain.Dec(), err))
		return reasonCorrupt, ErrIndexCorrupt.Wrap(err)
	}
	return reasonIndexUnavailable, ErrIndexRead.Wrap(err)
}

// reached checks that the block ref of chain has reached level according to view.
func reached(view SafetyView, chain *uint256.Int, ref logindex.BlockRef, level safety.Level) (reason, *rpcerr.Error) {
	head, ok, err := view.Head(chain, level)
	if err != nil {
		return reasonSafetyNotTracked, asRPC(err)
	}
	if !ok {
		return reasonSafetyNotReached, ErrSafetyNotReached.Withf("no %s block yet", level)
	}
	if ref.Number > head.Number {
		return reasonSafetyNotReached, ErrSafetyNotReached.Withf("%s head is block %d", level, head.Number)
	}
	return reasonOK, nil
}

// at adds the position of the i-th message of a list to err.
func at(i int, a *accesslist.Access, err *rpcerr.Error) *rpcerr.Error {
	return err.Withf("message %d (chain %s, block %d, log %d, timestamp %d)", i, a.ChainID.Dec(), a.BlockNumber, a.LogIndex, a.Timestamp)
}

// asRPC returns err as an *rpcerr.Error, keeping its code if it has one in its chain and
// otherwise giving it DataCorruption's: every error of the checker carries a code.
func asRPC(err error) *rpcerr.Error {
	if e, ok := err.(*rpcerr.Error); ok {
		return e
	}
	if l, ok := rpcerr.Lift(err).(*rpcerr.Error); ok {
		return l
	}
	return rpcerr.DataCorruption.Wrap(err)
}

func timingReason(err error) reason {
	switch {
	case errors.Is(err, rules.ErrInitiatedInFuture):
		return reasonFuture
	case errors.Is(err, rules.ErrExpired):
		return reasonExpired
	default:
		return reasonTimeout
	}
}

// accepts refuses a message from chain init executed on chain exec when the cluster gives
// exec a set without init. The refusal is definitive: it follows from the configuration.
func (c *Checker) accepts(exec, init *uint256.Int) (reason, *rpcerr.Error) {
	if c.cluster == nil || c.cluster.Accepts(exec, init) {
		return reasonOK, nil
	}
	return reasonUnknownChain, ErrUnknownInitiatingChain.Withf("chain %s is not in the dependency set of chain %s", init.Dec(), exec.Dec())
}

// activation is the interop activation of chain; unknown is the error for a chain outside
// the set. A member without timing (a set that was not validated) gets
// ErrChainNotConfigured: the checker cannot apply the activation rule to it.
func (c *Checker) activation(chain *uint256.Int, unknown *rpcerr.Error) (rules.Activation, reason, *rpcerr.Error) {
	ch, ok := c.chains.Chain(chain)
	if !ok {
		return rules.Activation{}, reasonUnknownChain, unknown.Withf("chain %s", chain.Dec())
	}
	act, err := ch.Activation()
	if err != nil {
		return rules.Activation{}, reasonNotConfigured, ErrChainNotConfigured.Withf("chain %s", chain.Dec())
	}
	return act, reasonOK, nil
}
