// Package wiring puts the interop service into an op-geth node: the pool's ingress filter
// and the builder's checker, the engine API with the safety engine in the loop, the local
// follower of the node's chain, and the interop JSON-RPC (namespaces and the /interop
// endpoint). It is the one wiring the devnet and the node command share; each adds only what
// is its own (the devnet its genesis, sequencer and fault injection).
package wiring

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	gethtxpool "github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/core/authority"
	"github.com/xgeth/xgeth/interop/crosssafety"
	"github.com/xgeth/xgeth/interop/follower"
	"github.com/xgeth/xgeth/interop/rpcapi"
	"github.com/xgeth/xgeth/interop/service"
	"github.com/xgeth/xgeth/txpool"
)

// Chain is the interop wiring of one chain run by this process.
type Chain struct {
	ID     uint256.Int
	Filter *txpool.Filter
	Engine *authority.API
	Labels *authority.Labels

	// RewindDenied, set before Start, makes the chain drop a block the safety engine denies
	// (with its descendants) as soon as it is denied, for a consensus client that knows
	// nothing of denials (a stock op-node): the block is gone from the chain, op-node resets
	// on the head it no longer finds and re-derives the height, and newPayload's INVALID
	// has it replaced. The devnet replaces denied blocks itself and leaves it off.
	RewindDenied bool

	svc     *service.Service
	head    *chainHead
	backend *eth.Ethereum
	changes event.Subscription // index changes → stale pool verdicts
	denials event.Subscription // safety decisions, with RewindDenied
	done    chan struct{}
}

// Prepare sets the interop parts of the chain's eth config: the pool's ingress filter and
// the builder's checker, both over the service's checker. Call it before eth.New.
func Prepare(cfg *ethconfig.Config, svc *service.Service, chainID uint64, pool txpool.Config, blockTime uint64) *Chain {
	w := &Chain{ID: *uint256.NewInt(chainID), svc: svc, head: &chainHead{blockTime: blockTime}}
	w.Filter = txpool.NewFilter(pool, svc.Checker(), w.head)
	cfg.InteropChecker = &txpool.BuilderChecker{Checker: svc.Checker()}
	cfg.TxPoolIngressFilters = append(cfg.TxPoolIngressFilters, gethtxpool.IngressFilter(w.Filter))
	return w
}

// Attach wires the rest once eth.New has made the backend, before the node starts: the
// engine API ("engine", authenticated: op-geth's, with the safety engine's labels and
// authority methods), the failsafe getter beside rpcapi's setter on the authenticated port,
// the in-process follower of the chain, and the interop RPC ("interop", "supervisor",
// "superroot" where the node's module lists allow them, and /interop on the HTTP port).
func (w *Chain) Attach(stack *node.Node, backend *eth.Ethereum) error {
	w.head.chain, w.backend = backend.BlockChain(), backend
	act, err := w.svc.Activation(&w.ID)
	if err != nil {
		return err
	}
	w.Labels = authority.NewLabels(backend.BlockChain(), &w.ID, w.svc.Safety())
	w.Labels.SetChainDB(backend.ChainDb())
	w.Engine = authority.New(catalyst.NewConsensusAPI(backend), w.Labels, act, w.svc.Checker())
	stack.RegisterAPIs([]rpc.API{
		{Namespace: "engine", Service: w.Engine, Authenticated: true},
		{Namespace: "admin", Service: failsafeReader{w.svc}, Authenticated: true},
	})
	src := follower.NewLocalSource(backend.BlockChain(), func(ev core.ChainHeadEvent) *types.Header { return ev.Header })
	if err := w.svc.SetLocalSource(&w.ID, src); err != nil {
		return err
	}
	logs := &localLogs{chain: backend.BlockChain(), chainID: &w.ID}
	stack.RegisterAPIs(rpcapi.APIs(w.svc.Checker(), w.svc, logs))
	srv, err := rpcapi.InteropServer(w.svc.Checker(), w.svc, logs)
	if err != nil {
		return err
	}
	stack.RegisterHandler("interop", "/interop", srv)
	return nil
}

// Start keeps the chain's safe and finalized blocks on the safety engine's heads, marks the
// pool's cached verdicts stale on every index change (a block or a rewind, any chain), and
// with RewindDenied drops denied blocks.
func (w *Chain) Start() {
	w.Labels.Start()
	changes := make(chan follower.Event, 256)
	w.changes = w.svc.SubscribeChanges(changes)
	var decisions chan crosssafety.Decision
	if w.RewindDenied {
		decisions = make(chan crosssafety.Decision, 64)
		w.denials = w.svc.Safety().SubscribeDecisions(decisions)
		// Denials decided before a restart are dropped like new ones.
		if ds, err := w.svc.Safety().DeniedBlocks(&w.ID); err == nil {
			w.rewindDenied(ds)
		}
	}
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		for {
			select {
			case <-changes:
				w.Filter.Invalidate()
			case d := <-decisions:
				if d.Kind == crosssafety.Invalidate {
					w.rewindDenied(d.Denied)
				}
			case <-w.changes.Err():
				return
			}
		}
	}()
}

// Stop stops what Start started.
func (w *Chain) Stop() {
	if w.denials != nil {
		w.denials.Unsubscribe()
	}
	if w.changes != nil {
		w.changes.Unsubscribe()
		<-w.done
	}
	w.Labels.Stop()
}

// rewindDenied drops the lowest of this chain's denied blocks that is still canonical, with
// its descendants, and gives their user transactions back to the pool (whose checks refuse
// the invalid one).
func (w *Chain) rewindDenied(ds []crosssafety.Denial) {
	bc := w.backend.BlockChain()
	var target *crosssafety.Denial
	for i := range ds {
		d := &ds[i]
		if !d.Chain.Eq(&w.ID) || bc.GetCanonicalHash(d.Block.Number) != d.Block.Hash {
			continue
		}
		if target == nil || d.Block.Number < target.Block.Number {
			target = d
		}
	}
	if target == nil {
		return
	}
	_, dropped, err := w.Labels.DropDenied(target.Block.Hash)
	if err != nil {
		log.Error("Could not drop a denied block", "number", target.Block.Number, "hash", target.Block.Hash, "err", err)
		return
	}
	log.Warn("Dropped a denied block and its descendants; the consensus client re-derives and replaces it",
		"number", target.Block.Number, "hash", target.Block.Hash, "reason", target.Reason)
	w.Readmit(dropped)
}

// Readmit gives the user transactions of dropped blocks back to the pool, through its
// admission checks: geth's rewind deletes the blocks before the pool can re-inject them.
func (w *Chain) Readmit(dropped types.Transactions) {
	var txs []*types.Transaction
	for _, tx := range dropped {
		if tx.Type() != types.DepositTxType {
			txs = append(txs, tx)
		}
	}
	if len(txs) == 0 {
		return
	}
	for i, err := range w.backend.TxPool().Add(txs, true) {
		if err != nil {
			log.Info("Transaction of a dropped block not re-admitted", "chain", w.ID.Dec(), "hash", txs[i].Hash(), "err", err)
		}
	}
}

// chainHead tells the pool filter about its chain's head.
type chainHead struct {
	chain     *core.BlockChain
	blockTime uint64
}

func (h *chainHead) NextBlockTime() uint64 { return h.chain.CurrentBlock().Time + h.blockTime }
func (h *chainHead) GasLimit() uint64      { return h.chain.CurrentBlock().GasLimit }

// failsafeReader is admin_getFailsafeEnabled on the authenticated port, beside rpcapi's
// admin_setFailsafeEnabled.
type failsafeReader struct{ svc *service.Service }

// GetFailsafeEnabled reports whether the interop failsafe is on.
func (f failsafeReader) GetFailsafeEnabled() bool { return f.svc.Checker().Failsafe() }

// localLogs finds logs of this chain for interop_messageOfLog.
type localLogs struct {
	chain   *core.BlockChain
	chainID *uint256.Int
}

func (l *localLogs) ChainID() *uint256.Int { return l.chainID }

func (l *localLogs) LogOfTx(ctx context.Context, txHash common.Hash, n uint64) (*types.Log, *types.Header, error) {
	bc := l.chain
	lookup, _ := bc.GetCanonicalTransaction(txHash)
	if lookup == nil {
		return nil, nil, fmt.Errorf("transaction %s not found in a block", txHash)
	}
	header := bc.GetHeaderByHash(lookup.BlockHash)
	receipts := bc.GetReceiptsByHash(lookup.BlockHash)
	if header == nil || int(lookup.Index) >= len(receipts) {
		return nil, nil, fmt.Errorf("receipt of %s not available", txHash)
	}
	logs := receipts[lookup.Index].Logs
	if n >= uint64(len(logs)) {
		return nil, nil, fmt.Errorf("transaction %s emitted %d logs, no log %d", txHash, len(logs), n)
	}
	return logs[n], header, nil
}
