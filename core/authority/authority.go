// Package authority sits between a chain's consensus client and op-geth's engine API. It
// records the safe and finalized labels of every engine_forkchoiceUpdated (what the
// consensus client derived from L1: local-safe and local-finalized) as inputs of the
// cross-chain safety engine, forwards the call with the cross-safe and finalized heads in
// their place, keeps the chain's safe and finalized blocks on those heads as the engine
// decides, and serves the methods through which a consensus client learns the engine's
// verdicts (engine_fullyVerifiedL2HeadV1, engine_finalizedL2HeadV1, engine_isDeniedV1,
// engine_maxDeniedHeightV1) and rewinds the chain natively (engine_rewindV1). engine_newPayload
// answers INVALID for a block that executes a definitively invalid message, and for blocks
// dropped as denied (DropDenied) and their children; forkchoiceUpdated naming a dropped block
// answers -38002 (see payload.go).
//
// It decides nothing itself: verdicts are the checker's (interop/checker) and the safety
// engine's (interop/crosssafety). It is served only on the authenticated port, as the engine
// API is.
package authority

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/crosssafety"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
	"github.com/xgeth/xgeth/interop/safety"
)

// Errors of the authority methods. They carry JSON-RPC codes (invalid params for bad
// requests); a refused rewind changes nothing.
var (
	ErrUnknownBlock   = rpcerr.InvalidParams.Derive("unknown block")
	ErrNotCanonical   = rpcerr.InvalidParams.Derive("block is not canonical")
	ErrRewindGenesis  = rpcerr.InvalidParams.Derive("cannot rewind below genesis")
	ErrBelowFinalized = rpcerr.InvalidParams.Derive("rewind below the finalized block refused")
)

// Source of a VerifierHead, as op-node's SuperAuthority names them.
const (
	SourcePreActivation = "pre-activation"
	SourceAnchor        = "anchor"
	SourceVerified      = "verified"
)

// BlockID names a block.
type BlockID struct {
	Hash   common.Hash    `json:"hash"`
	Number hexutil.Uint64 `json:"number"`
}

// VerifierHead is what engine_fullyVerifiedL2HeadV1 and engine_finalizedL2HeadV1 answer.
// With source "pre-activation" the block is zero and the caller uses its own local-safe
// head; with "anchor" the block is zero and Timestamp is the last time before interop
// (activation − 1, at least genesis): the caller takes its canonical block at that time,
// capped at its local-safe; with "verified" the block is the verified tip.
type VerifierHead struct {
	Block     BlockID        `json:"block"`
	Timestamp hexutil.Uint64 `json:"timestamp"`
	Source    string         `json:"source"`
}

// API is the engine API of one chain with the safety engine in the loop. Its exported
// methods are served under "engine" (op-geth's catalyst API is embedded: every engine_*
// method is there, forkchoiceUpdated intercepted); it has no other exported method, since
// every one would become an RPC method.
type API struct {
	*catalyst.ConsensusAPI
	labels  *Labels
	act     rules.Activation
	genesis uint64
	checker Checker
}

// Checker checks the executing messages a forced transaction declares and those a payload's
// block executes (the node's *checker.Checker).
type Checker interface {
	CheckAccessList(ctx context.Context, entries []common.Hash, minSafety safety.Level, desc checker.ExecutingDescriptor) error
	VerifyBlockExecMsgs(chain *uint256.Int, block *logindex.Block) checker.Verdict
	Failsafe() bool
}

// New wraps api (the chain's catalyst engine API); labels keeps the chain's safe and
// finalized blocks on the safety engine's heads; act is the chain's interop activation;
// c checks the forced transactions of payload attributes (nil: not checked).
func New(api *catalyst.ConsensusAPI, labels *Labels, act rules.Activation, c Checker) *API {
	a := &API{ConsensusAPI: api, labels: labels, act: act, checker: c}
	// A rebuilt height must not come back from the payload cache as the removed block.
	labels.afterRewind = api.ForgetPayloads
	if g := labels.chain.Genesis(); g != nil {
		a.genesis = g.Time()
	}
	return a
}

// Labels keeps a chain's safe and finalized blocks on the safety engine's cross-safe and
// finalized heads, as the engine decides.
type Labels struct {
	chain  *core.BlockChain
	db     ethdb.KeyValueWriter // the chain database, for the transaction index of rewound blocks
	id     uint256.Int
	safety *crosssafety.Engine
	log    log.Logger

	mu   sync.Mutex // serialises rewinds and label updates
	sub  event.Subscription
	quit chan struct{}
	wg   sync.WaitGroup

	// dropped are the blocks DropDenied removed, each with the block the chain went back
	// to: the engine API refuses to build on them or take them back.
	dropped *lru.Cache[common.Hash, common.Hash]
	// afterRewind runs after every rewind (the API forgets its cached payloads).
	afterRewind func()
}

// maxDropped bounds how many removed blocks Labels remembers.
const maxDropped = 4096

// NewLabels makes the label keeper of chain id.
func NewLabels(chain *core.BlockChain, id *uint256.Int, safetyEngine *crosssafety.Engine) *Labels {
	return &Labels{chain: chain, id: *id, safety: safetyEngine, log: log.New("chain", id.Dec()), dropped: lru.NewCache[common.Hash, common.Hash](maxDropped)}
}

// SetChainDB gives Rewind the chain database, so that it also drops the transaction index
// entries of the blocks it removes (geth's rewind leaves them, and every receipt query of
// such a transaction then logs an error).
func (l *Labels) SetChainDB(db ethdb.KeyValueWriter) { l.db = db }

// Start follows the engine's decisions until Stop.
func (l *Labels) Start() {
	ch := make(chan crosssafety.Decision, 64)
	l.sub = l.safety.SubscribeDecisions(ch)
	l.quit = make(chan struct{})
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			select {
			case d := <-ch:
				if d.Kind != crosssafety.Invalidate && l.touches(&d) {
					l.sync()
				}
			case <-l.sub.Err():
				return
			case <-l.quit:
				return
			}
		}
	}()
	l.sync()
}

// Stop stops following the engine's decisions.
func (l *Labels) Stop() {
	if l.quit == nil {
		return
	}
	close(l.quit)
	l.sub.Unsubscribe()
	l.wg.Wait()
	l.quit = nil
}

func (l *Labels) touches(d *crosssafety.Decision) bool {
	for _, h := range d.Heads {
		if h.Chain == l.id {
			return true
		}
	}
	return false
}

// sync sets the chain's safe and finalized blocks to the engine's cross-safe and
// finalized heads when they are canonical, never above the consensus client's labels (the
// engine never puts them there).
func (l *Labels) sync() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.syncLocked()
}

func (l *Labels) syncLocked() {
	if h := l.canonicalHead(safety.Safe); h != nil {
		if cur := l.chain.CurrentSafeBlock(); cur == nil || cur.Hash() != h.Hash() {
			l.chain.SetSafe(h)
		}
	}
	if h := l.canonicalHead(safety.Finalized); h != nil {
		if cur := l.chain.CurrentFinalBlock(); cur == nil || cur.Hash() != h.Hash() {
			l.chain.SetFinalized(h)
		}
	}
}

// canonicalHead is the header of the engine's head at level when it is on the chain's
// canonical chain at or below the chain's head.
func (l *Labels) canonicalHead(level safety.Level) *types.Header {
	ref, ok, err := l.safety.Head(&l.id, level)
	if err != nil || !ok {
		return nil
	}
	head := l.chain.CurrentBlock()
	if head == nil || ref.Number > head.Number.Uint64() || l.chain.GetCanonicalHash(ref.Number) != ref.Hash {
		return nil
	}
	return l.chain.GetHeaderByHash(ref.Hash)
}

// record gives the consensus client's labels to the safety engine.
func (a *API) record(update engine.ForkchoiceStateV1) {
	l := a.labels
	if h := a.header(update.SafeBlockHash); h != nil {
		l.safety.SetLocalSafe(&l.id, refOf(h))
	}
	if h := a.header(update.FinalizedBlockHash); h != nil {
		l.safety.SetLocalFinalized(&l.id, refOf(h))
	}
}

func (a *API) header(hash common.Hash) *types.Header {
	if hash == (common.Hash{}) {
		return nil
	}
	return a.labels.chain.GetHeaderByHash(hash)
}

func refOf(h *types.Header) logindex.BlockRef {
	return logindex.BlockRef{Number: h.Number.Uint64(), Hash: h.Hash(), ParentHash: h.ParentHash, Timestamp: h.Time}
}

// crossLabels replaces the labels of update with the engine's heads: the lower of the
// consensus client's label and the engine's head, when that block is canonical; a zero
// hash (leave the label as it is) otherwise.
func (a *API) crossLabels(update engine.ForkchoiceStateV1) engine.ForkchoiceStateV1 {
	update.SafeBlockHash = a.crossLabel(update.SafeBlockHash, safety.Safe)
	update.FinalizedBlockHash = a.crossLabel(update.FinalizedBlockHash, safety.Finalized)
	return update
}

func (a *API) crossLabel(local common.Hash, level safety.Level) common.Hash {
	if local == (common.Hash{}) {
		return local
	}
	lh := a.header(local)
	if lh == nil {
		return common.Hash{} // unknown to us: catalyst would refuse it
	}
	l := a.labels
	ref, ok, err := l.safety.Head(&l.id, level)
	if err != nil || !ok {
		return common.Hash{}
	}
	if ref.Number >= lh.Number.Uint64() {
		return local
	}
	if l.chain.GetCanonicalHash(ref.Number) != ref.Hash {
		return common.Hash{}
	}
	return ref.Hash
}

// ForkchoiceUpdatedV1 records the labels, checks the forced transactions and forwards
// with the cross labels.
func (a *API) ForkchoiceUpdatedV1(ctx context.Context, update engine.ForkchoiceStateV1, attrs *engine.PayloadAttributes) (engine.ForkChoiceResponse, error) {
	st, err := a.forward(ctx, update, attrs)
	if err != nil {
		return engine.ForkChoiceResponse{}, err
	}
	return a.ConsensusAPI.ForkchoiceUpdatedV1(ctx, st, attrs)
}

// ForkchoiceUpdatedV2 records the labels, checks the forced transactions and forwards
// with the cross labels.
func (a *API) ForkchoiceUpdatedV2(ctx context.Context, update engine.ForkchoiceStateV1, attrs *engine.PayloadAttributes) (engine.ForkChoiceResponse, error) {
	st, err := a.forward(ctx, update, attrs)
	if err != nil {
		return engine.ForkChoiceResponse{}, err
	}
	return a.ConsensusAPI.ForkchoiceUpdatedV2(ctx, st, attrs)
}

// ForkchoiceUpdatedV3 records the labels, checks the forced transactions and forwards
// with the cross labels.
func (a *API) ForkchoiceUpdatedV3(ctx context.Context, update engine.ForkchoiceStateV1, attrs *engine.PayloadAttributes) (engine.ForkChoiceResponse, error) {
	st, err := a.forward(ctx, update, attrs)
	if err != nil {
		return engine.ForkChoiceResponse{}, err
	}
	return a.ConsensusAPI.ForkchoiceUpdatedV3(ctx, st, attrs)
}

// ForkchoiceUpdatedV4 records the labels, checks the forced transactions and forwards
// with the cross labels.
func (a *API) ForkchoiceUpdatedV4(ctx context.Context, update engine.ForkchoiceStateV1, attrs *engine.PayloadAttributes, custody *types.CustodyBitmap) (engine.ForkChoiceResponse, error) {
	st, err := a.forward(ctx, update, attrs)
	if err != nil {
		return engine.ForkChoiceResponse{}, err
	}
	return a.ConsensusAPI.ForkchoiceUpdatedV4(ctx, st, attrs, custody)
}

// ForkchoiceUnchecked is ForkchoiceUpdatedV3 without the check of forced transactions, for
// an in-process consensus client that injects faults on purpose (the devnet). A function,
// not a method: every exported method of API is served over RPC.
func ForkchoiceUnchecked(a *API, ctx context.Context, update engine.ForkchoiceStateV1, attrs *engine.PayloadAttributes) (engine.ForkChoiceResponse, error) {
	return a.ConsensusAPI.ForkchoiceUpdatedV3(ctx, a.relabel(update), attrs)
}

// forward is what every forkchoiceUpdated does before op-geth's: check the forced
// transactions, then record the labels and put the cross labels in their place.
func (a *API) forward(ctx context.Context, update engine.ForkchoiceStateV1, attrs *engine.PayloadAttributes) (engine.ForkchoiceStateV1, error) {
	if to, ok := a.labels.droppedTo(update.HeadBlockHash); ok {
		// op-node resets on -38002 and reads the chain's heads again.
		return update, engine.InvalidForkChoiceState.With(fmt.Errorf("head %s was removed from the chain: it or an ancestor executes a message the interop safety engine denied; the chain went back to %s", update.HeadBlockHash, to))
	}
	if err := a.checkForced(ctx, attrs); err != nil {
		return update, err
	}
	return a.relabel(update), nil
}

// relabel records the consensus client's labels and returns the state with the cross
// labels in their place.
func (a *API) relabel(update engine.ForkchoiceStateV1) engine.ForkchoiceStateV1 {
	a.record(update)
	return a.crossLabels(update)
}

// checkForced looks at the executing messages the forced transactions of attrs declare, as
// they would execute in the block the attributes build. A message that cannot be judged yet
// (its source is not indexed this far) refuses the attributes with a server error, which
// op-node retries later, never with -38003. A message declared definitively invalid does
// not refuse them: an access list is a declaration, and only a message the block executes
// makes it invalid. The block is built, and newPayload judges what it executes (INVALID, and
// op-node replaces a derived block with its deposits-only version). Deposits declare
// nothing. With the failsafe on the attributes pass unchecked: forced transactions are the
// consensus client's (L1-derived) and cannot be left out.
func (a *API) checkForced(ctx context.Context, attrs *engine.PayloadAttributes) error {
	if attrs == nil || a.checker == nil || a.checker.Failsafe() {
		return nil
	}
	desc := checker.ExecutingDescriptor{ChainID: a.labels.id, Timestamp: attrs.Timestamp}
	for i, raw := range attrs.Transactions {
		var tx types.Transaction
		if err := tx.UnmarshalBinary(raw); err != nil {
			return nil // catalyst refuses undecodable transactions itself
		}
		entries := accesslist.InboxKeys(tx.AccessList())
		if len(entries) == 0 {
			continue
		}
		err := a.checker.CheckAccessList(ctx, entries, safety.Unsafe, desc)
		switch {
		case err == nil:
		case rpcerr.NoVerdictYet(err):
			return engine.GenericServerError.With(fmt.Errorf("forced transaction %d (%s): no verdict yet, retry: %w", i, tx.Hash(), err))
		default:
			a.labels.log.Info("Forced transaction declares an invalid message; the built block is judged on what it executes", "index", i, "tx", tx.Hash(), "err", err)
		}
	}
	return nil
}

// FullyVerifiedL2HeadV1 is the newest block of this chain verified across chains
// (cross-safe), as op-node's SuperAuthority.FullyVerifiedL2Head.
func (a *API) FullyVerifiedL2HeadV1() (*VerifierHead, error) {
	return a.verifierHead(safety.Safe)
}

// FinalizedL2HeadV1 is the newest finalized block of this chain (cross-safe and derived
// from finalized L1 data), as SuperAuthority.FinalizedL2Head.
func (a *API) FinalizedL2HeadV1() (*VerifierHead, error) {
	return a.verifierHead(safety.Finalized)
}

func (a *API) verifierHead(level safety.Level) (*VerifierHead, error) {
	l := a.labels
	ref, ok, err := l.safety.Head(&l.id, level)
	if err != nil {
		return nil, err
	}
	if ok {
		return &VerifierHead{Block: BlockID{Hash: ref.Hash, Number: hexutil.Uint64(ref.Number)}, Timestamp: hexutil.Uint64(ref.Timestamp), Source: SourceVerified}, nil
	}
	// Nothing verified yet: before interop there is nothing to verify (the caller keeps
	// its own label); after it, the anchor is the last moment before activation.
	local, lok, _ := l.safety.Head(&l.id, safety.LocalSafe)
	if !lok || local.Timestamp < a.act.Time {
		return &VerifierHead{Source: SourcePreActivation}, nil
	}
	anchor := a.genesis
	if a.act.Time > 0 && a.act.Time-1 > anchor {
		anchor = a.act.Time - 1
	}
	return &VerifierHead{Timestamp: hexutil.Uint64(anchor), Source: SourceAnchor}, nil
}

// IsDeniedV1 reports whether the block (number, hash) of this chain is denied: it executes
// an invalid message and is to be replaced.
func (a *API) IsDeniedV1(number hexutil.Uint64, hash common.Hash) (bool, error) {
	return a.labels.safety.IsDenied(&a.labels.id, uint64(number), hash)
}

// MaxDeniedHeightV1 is the highest denied block number of this chain, null when none.
func (a *API) MaxDeniedHeightV1() (*hexutil.Uint64, error) {
	n, ok, err := a.labels.safety.MaxDeniedHeight(&a.labels.id)
	if err != nil || !ok {
		return nil, err
	}
	h := hexutil.Uint64(n)
	return &h, nil
}

// RewindV1 rewinds the chain natively to the parent of the canonical block hash: head,
// safe and finalized move consistently (safe and finalized never above the new head), no
// synthetic block is needed, and a rewind below the finalized block is refused. The
// consensus client then builds the replacement of that height.
func (a *API) RewindV1(hash common.Hash) (*BlockID, error) {
	parent, _, err := a.labels.Rewind(hash)
	return parent, err
}

// Rewind is engine_rewindV1 (see there), for in-process consensus clients; it also returns
// the transactions of the removed blocks, in order, for a client that gives them back to its
// pool (geth's rewind deletes the blocks before the pool could re-inject them).
func (l *Labels) Rewind(hash common.Hash) (*BlockID, types.Transactions, error) {
	return l.rewind(hash, false)
}

// DropDenied is Rewind for a block the safety engine denied: the engine API then refuses
// the removed blocks and their descendants for good (forkchoiceUpdated to one of them
// answers -38002, newPayload of one of them or of a child INVALID), so that a consensus
// client holding them resets and re-derives the height instead of retrying them.
func (l *Labels) DropDenied(hash common.Hash) (*BlockID, types.Transactions, error) {
	return l.rewind(hash, true)
}

// droppedTo reports whether DropDenied removed the block, and the block the chain went
// back to.
func (l *Labels) droppedTo(hash common.Hash) (common.Hash, bool) { return l.dropped.Get(hash) }

func (l *Labels) rewind(hash common.Hash, denied bool) (*BlockID, types.Transactions, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.chain.GetHeaderByHash(hash)
	if h == nil {
		return nil, nil, ErrUnknownBlock.Withf("%s", hash.Hex())
	}
	number := h.Number.Uint64()
	if l.chain.GetCanonicalHash(number) != hash {
		return nil, nil, ErrNotCanonical.Withf("block %d %s", number, hash.Hex())
	}
	if number == 0 {
		return nil, nil, ErrRewindGenesis
	}
	if fin := l.chain.CurrentFinalBlock(); fin != nil && number <= fin.Number.Uint64() {
		return nil, nil, ErrBelowFinalized.Withf("block %d is at or below the finalized block %d", number, fin.Number.Uint64())
	}
	var (
		dropped types.Transactions
		removed []common.Hash
		keep    = h.ParentHash
	)
	for n := number; n <= l.chain.CurrentBlock().Number.Uint64(); n++ {
		if b := l.chain.GetBlockByNumber(n); b != nil {
			dropped = append(dropped, b.Transactions()...)
			removed = append(removed, b.Hash())
		}
	}
	if err := l.chain.SetHead(number - 1); err != nil {
		return nil, nil, fmt.Errorf("rewind to %d: %w", number-1, err)
	}
	if denied {
		for _, r := range removed {
			l.dropped.Add(r, keep)
		}
	}
	if l.afterRewind != nil {
		l.afterRewind()
	}
	if l.db != nil && len(dropped) > 0 {
		hashes := make([]common.Hash, len(dropped))
		for i, tx := range dropped {
			hashes[i] = tx.Hash()
		}
		rawdb.DeleteTxLookupEntries(l.db, hashes)
	}
	parent := l.chain.CurrentBlock()
	if parent == nil || parent.Number.Uint64() != number-1 {
		return nil, nil, errors.New("rewind did not reach the parent block")
	}
	// geth clears a safe block above the new head: put back the highest valid one.
	l.syncLocked()
	l.log.Warn("Rewound chain natively", "to", number-1, "from", number, "hash", hash)
	return &BlockID{Hash: parent.Hash(), Number: hexutil.Uint64(number - 1)}, dropped, nil
}
