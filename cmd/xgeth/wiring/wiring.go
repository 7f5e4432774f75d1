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
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/core/authority"
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

	svc     *service.Service
	head    *chainHead
	changes event.Subscription // index changes → stale pool verdicts
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
	w.head.chain = backend.BlockChain()
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

// Start keeps the chain's safe and finalized blocks on the safety engine's heads, and marks
// the pool's cached verdicts stale on every index change (a block or a rewind, any chain).
func (w *Chain) Start() {
	w.Labels.Start()
	ch := make(chan follower.Event, 256)
	w.changes = w.svc.SubscribeChanges(ch)
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		for {
			select {
			case <-ch:
				w.Filter.Invalidate()
			case <-w.changes.Err():
				return
			}
		}
	}()
}

// Stop stops what Start started.
func (w *Chain) Stop() {
	if w.changes != nil {
		w.changes.Unsubscribe()
		<-w.done
	}
	w.Labels.Stop()
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
