// Package txpool validates interop transactions for op-geth's transaction pool and block
// builder with xgeth's in-process checker: the ingress filter (cheap checks first, a result
// cache per transaction, re-validation after each new head that evicts only on a definitive
// verdict, the failsafe) and the adapter through which op-geth's miner asks the same
// checker. It never decides a message's validity itself: interop/checker does.
package txpool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/safety"
	xparams "github.com/xgeth/xgeth/params"
)

// Checker is what the filter needs of interop/checker.Checker.
type Checker interface {
	CheckAccessList(ctx context.Context, entries []common.Hash, minSafety safety.Level, desc checker.ExecutingDescriptor) error
	Failsafe() bool
}

// Head tells the filter about the chain it guards: the time of the next block, and the
// block gas limit.
type Head interface {
	// NextBlockTime is the timestamp of the next block (head time + block time).
	NextBlockTime() uint64
	// GasLimit is the gas limit of the head block.
	GasLimit() uint64
}

// Config tunes a Filter.
type Config struct {
	ChainID uint256.Int
	// MinSafety every initiating message must have reached (default cross-unsafe).
	MinSafety safety.Level
	// Timeout is how long (seconds) a pooled message must stay valid (op-geth uses one day).
	Timeout uint64
	// GasMargin is the block gas the pool keeps free for system transactions: an interop
	// transaction may use at most the block gas limit minus this (default 100,000).
	GasMargin uint64
}

// DefaultConfig is the pool policy of xgeth without flags.
func DefaultConfig(chainID *uint256.Int) Config {
	return Config{ChainID: *chainID, MinSafety: safety.CrossUnsafe, Timeout: 86400, GasMargin: xparams.SystemTxGasMargin}
}

var (
	// ErrGasAboveEffectiveLimit: an interop transaction must leave the system-transaction margin free.
	ErrGasAboveEffectiveLimit = rpcerr.InvalidParams.Derive("interop transaction gas above the effective block gas limit")

	checkedMeter = metrics.NewRegisteredMeter("xgeth/txpool/interop/checked", nil)
	cachedMeter  = metrics.NewRegisteredMeter("xgeth/txpool/interop/cached", nil)
	rejectMeter  = metrics.NewRegisteredMeter("xgeth/txpool/interop/rejected", nil)
	evictMeter   = metrics.NewRegisteredMeter("xgeth/txpool/interop/evicted", nil)
	keptMeter    = metrics.NewRegisteredMeter("xgeth/txpool/interop/kept", nil)
)

// Filter is an op-geth txpool ingress filter (txpool.IngressFilterWithReason, patch 0005)
// for interop transactions.
type Filter struct {
	cfg     Config
	checker Checker
	head    Head

	// generation changes whenever what a verdict depends on may have changed (a new block
	// on any chain, a rewind, the failsafe); cached verdicts of older generations are stale.
	generation atomic.Uint64
	mu         sync.Mutex
	cache      map[common.Hash]cached
}

type cached struct {
	generation uint64
	err        error
}

// maxCached bounds the verdict cache; it is cleared when full (verdicts are cheap to redo).
const maxCached = 16384

// NewFilter makes the filter of one chain's pool.
func NewFilter(cfg Config, c Checker, head Head) *Filter {
	if !cfg.MinSafety.Valid() {
		cfg.MinSafety = safety.CrossUnsafe
	}
	return &Filter{cfg: cfg, checker: c, head: head, cache: make(map[common.Hash]cached)}
}

// Invalidate marks every cached verdict stale. Call it on every index change (any chain).
func (f *Filter) Invalidate() { f.generation.Add(1) }

// FilterTx implements txpool.IngressFilter.
func (f *Filter) FilterTx(ctx context.Context, tx *types.Transaction) bool {
	return f.FilterTxReason(ctx, tx, false) == nil
}

// FilterTxReason implements txpool.IngressFilterWithReason. At admission any failure
// rejects; on re-validation (recheck) a transaction is evicted only on a definitive verdict,
// never because its source chain is not indexed that far yet or the failsafe is on.
func (f *Filter) FilterTxReason(ctx context.Context, tx *types.Transaction, recheck bool) error {
	entries := accesslist.InboxKeys(tx.AccessList())
	if len(entries) == 0 {
		return nil
	}
	err := f.check(ctx, tx, entries)
	switch {
	case err == nil:
		return nil
	case recheck && (rpcerr.NoVerdictYet(err) || errors.Is(err, checker.ErrFailsafe)):
		// Not a verdict on the messages: keep the transaction. (The builder skips interop
		// transactions while the failsafe is on.)
		keptMeter.Mark(1)
		return nil
	case recheck:
		evictMeter.Mark(1)
	default:
		rejectMeter.Mark(1)
	}
	return err
}

func (f *Filter) check(ctx context.Context, tx *types.Transaction, entries []common.Hash) error {
	// The failsafe is never cached: it must take effect at once.
	if f.checker.Failsafe() {
		return checker.ErrFailsafe
	}
	if limit := f.head.GasLimit(); limit > f.cfg.GasMargin && tx.Gas() > limit-f.cfg.GasMargin {
		return ErrGasAboveEffectiveLimit.Withf("gas %d, block gas limit %d minus system margin %d", tx.Gas(), limit, f.cfg.GasMargin)
	}
	gen := f.generation.Load()
	hash := tx.Hash()
	f.mu.Lock()
	c, ok := f.cache[hash]
	f.mu.Unlock()
	if ok && c.generation == gen {
		cachedMeter.Mark(1)
		return c.err
	}
	checkedMeter.Mark(1)
	desc := checker.ExecutingDescriptor{ChainID: f.cfg.ChainID, Timestamp: f.head.NextBlockTime(), Timeout: f.cfg.Timeout}
	err := f.checker.CheckAccessList(ctx, entries, f.cfg.MinSafety, desc)
	if ctx.Err() != nil || errors.Is(err, checker.ErrFailsafe) || errors.Is(err, checker.ErrIndexRead) {
		// A cancelled check, the failsafe switched on meanwhile, or a read that failed
		// for a moment: nothing to remember until the next index change.
		return err
	}
	f.mu.Lock()
	if len(f.cache) >= maxCached {
		clear(f.cache)
	}
	f.cache[hash] = cached{generation: gen, err: err}
	f.mu.Unlock()
	return err
}
