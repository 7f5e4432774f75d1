package devnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/eth/tracers"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/miner"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/wiring"
	"github.com/xgeth/xgeth/core/authority"
	"github.com/xgeth/xgeth/core/replacement"
	"github.com/xgeth/xgeth/interop/crosssafety"
	ievent "github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/service"
	xparams "github.com/xgeth/xgeth/params"
	"github.com/xgeth/xgeth/txpool"
	xvm "github.com/xgeth/xgeth/vm"
)

// chainSpec says how to run one devnet chain.
type chainSpec struct {
	ChainID     uint64
	Port        int // HTTP and WebSocket JSON-RPC port on 127.0.0.1 (0: any free port)
	AuthPort    int // authenticated (JWT) engine-API port on 127.0.0.1 (0: any free port)
	DataDir     string
	BlockTime   time.Duration
	GenesisTime uint64
	Accounts    []Account
	Interop     *service.Service
	Pool        txpool.Config
	JWTSecret   string // file with the engine/auth port's JWT secret
	// SafeLag and FinalizedLag simulate L1: a block becomes local-safe SafeLag blocks
	// after it is sequenced, and local-finalized FinalizedLag blocks after that.
	SafeLag, FinalizedLag uint64
	// ReplaceDelay is how long a denied block stays before it is replaced.
	ReplaceDelay time.Duration
	// APIs are more public services (the developer methods of devapi.go).
	APIs []rpc.API
}

// Chain is one running devnet chain: an op-geth node and the sequencer that drives its
// engine API in-process.
type Chain struct {
	ID      uint64
	Node    *node.Node
	Eth     *eth.Ethereum
	wired   *wiring.Chain // pool filter, engine API (authority) and labels of this chain
	safety  *crosssafety.Engine
	chainID uint256.Int
	safeLag uint64
	finLag  uint64
	// replaceDelay: a denied block stays canonical this long before it is replaced.
	replaceDelay time.Duration
	blockTime    time.Duration
	l1Time       uint64 // time of the fake L1 origin every block names
	log          log.Logger
	Filter       *txpool.Filter

	stop   chan struct{}
	wg     sync.WaitGroup
	paused sync.Mutex // held by Pause: the sequencer builds no block meanwhile
	builds atomic.Uint64

	faults    sync.Mutex
	unchecked [][]byte // raw transactions the next block includes without interop checks
	denials   chan crosssafety.Decision
	denialSub event.Subscription
	pending   []pendingDenial // guarded by faults
	denied    chan struct{}   // signalled when pending grows
}

// Pause stops the sequencer after the block it is building, until Resume. Tests use it to
// rewind a chain (BlockChain().SetHead) without racing the next block.
func (c *Chain) Pause() { c.paused.Lock() }

// Resume lets a paused sequencer go on.
func (c *Chain) Resume() { c.paused.Unlock() }

// HTTPEndpoint is the chain's JSON-RPC URL over HTTP.
func (c *Chain) HTTPEndpoint() string { return c.Node.HTTPEndpoint() }

// WSEndpoint is the chain's JSON-RPC URL over WebSocket.
func (c *Chain) WSEndpoint() string { return c.Node.WSEndpoint() }

// AuthEndpoint is the chain's authenticated (JWT) JSON-RPC URL: eth, the engine API, and
// admin_setFailsafeEnabled / admin_getFailsafeEnabled (no other admin method).
func (c *Chain) AuthEndpoint() string { return c.Node.HTTPAuthEndpoint() }

// InteropEndpoint is the chain's interop endpoint for stock op-geth (--rollup.interoprpc):
// interop_*, supervisor_* and admin_getFailsafeEnabled.
func (c *Chain) InteropEndpoint() string { return c.Node.HTTPEndpoint() + "/interop" }

func startChain(spec chainSpec) (*Chain, error) {
	logger := log.New("chain", spec.ChainID)
	dataDir := ""
	if spec.DataDir != "" {
		dataDir = filepath.Join(spec.DataDir, fmt.Sprint(spec.ChainID))
	}
	stack, err := node.New(&node.Config{
		Name:             "xgeth",
		DataDir:          dataDir,
		HTTPHost:         "127.0.0.1",
		HTTPPort:         spec.Port,
		HTTPModules:      []string{"eth", "net", "web3", "txpool", "debug", "interop", "supervisor", "superroot", "anvil"},
		HTTPVirtualHosts: []string{"localhost", "127.0.0.1"},
		HTTPCors:         []string{"*"},
		WSHost:           "127.0.0.1",
		WSPort:           spec.Port,
		WSModules:        []string{"eth", "net", "web3", "txpool", "debug", "interop", "supervisor", "superroot", "anvil"},
		WSOrigins:        []string{"*"},
		AuthAddr:         "127.0.0.1",
		AuthPort:         spec.AuthPort,
		AuthModules:      []string{"eth", "engine", "admin", "debug", "devnet"},
		JWTSecret:        spec.JWTSecret,
		P2P:              p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""},
		Logger:           logger,
	})
	if err != nil {
		return nil, fmt.Errorf("chain %d: %w", spec.ChainID, err)
	}
	// Devnet chains run the interop predeploys natively.
	xvm.Install()
	if err := xparams.RegisterChainExtras(new(big.Int).SetUint64(spec.ChainID), xparams.ChainExtras{NativeInteropPredeploys: true, DevnetCheats: true}); err != nil {
		stack.Close()
		return nil, err
	}
	// The test accounts are unlocked, as on anvil (signer.go).
	addTestSigner(stack.AccountManager(), spec.Accounts)
	cfg := ethconfig.Defaults
	cfg.Genesis = Genesis(spec.ChainID, spec.GenesisTime, spec.Accounts)
	cfg.NetworkId = spec.ChainID
	cfg.SyncMode = ethconfig.FullSync
	cfg.Miner = miner.DefaultConfig
	cfg.Miner.Recommit = 200 * time.Millisecond
	cfg.RollupDisableTxPoolGossip = true
	if spec.DataDir != "" {
		// Keep every block's state on disk as it is imported (archive, hash scheme): a
		// devnet killed mid-run restarts from its last block instead of losing the
		// in-memory state layers and rewinding.
		cfg.StateScheme, cfg.NoPruning = rawdb.HashScheme, true
	}
	// Devnet chains are small; geth's mainnet-sized caches would cost gigabytes per chain.
	cfg.DatabaseCache, cfg.TrieCleanCache, cfg.TrieDirtyCache, cfg.SnapshotCache = 64, 64, 64, 32
	// Interop: the one wiring the node command shares (pool filter, builder checker,
	// engine API with the safety engine, local follower, interop RPC).
	wired := wiring.Prepare(&cfg, spec.Interop, spec.ChainID, spec.Pool, uint64(spec.BlockTime/time.Second))
	backend, err := eth.New(stack, &cfg)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("chain %d: %w", spec.ChainID, err)
	}
	// eth_getLogs, filters and eth_subscribe live in the filter system, which geth's command
	// line registers beside the eth service.
	filterSys := filters.NewFilterSystem(backend.APIBackend, filters.Config{LogCacheSize: cfg.FilterLogCacheSize, LogQueryLimit: cfg.LogQueryLimit, RangeLimit: cfg.RangeLimit})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(filterSys)}})
	// geth's debug and admin services are not served at all (see rpc.go).
	if err := stack.UnregisterAPIs("debug", "admin"); err != nil {
		stack.Close()
		return nil, err
	}
	if err := wired.Attach(stack, backend); err != nil {
		stack.Close()
		return nil, fmt.Errorf("chain %d: %w", spec.ChainID, err)
	}
	id := &wired.ID
	safetyEngine := spec.Interop.Safety()
	c := &Chain{ID: spec.ChainID, Eth: backend, wired: wired, safety: safetyEngine, chainID: *id,
		safeLag: spec.SafeLag, finLag: spec.FinalizedLag, replaceDelay: spec.ReplaceDelay, Filter: wired.Filter, blockTime: spec.BlockTime, l1Time: spec.GenesisTime,
		log: logger, stop: make(chan struct{}), denials: make(chan crosssafety.Decision, 64), denied: make(chan struct{}, 1)}
	stack.RegisterAPIs([]rpc.API{
		{Namespace: "debug", Service: &tracingAPI{tracers.NewAPI(backend.APIBackend)}},
		{Namespace: "devnet", Service: &faultAPI{c}, Authenticated: true},
		{Namespace: "anvil", Service: newAnvilAPI(c)}, // public on purpose, as anvil's (anvil.go)
	})
	stack.RegisterAPIs(spec.APIs)
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("chain %d: %w", spec.ChainID, err)
	}
	c.Node = stack
	c.denialSub = safetyEngine.SubscribeDecisions(c.denials)
	// Denials decided before a restart (or replayed from the write-ahead record) are
	// replaced like new ones.
	if ds, err := safetyEngine.DeniedBlocks(id); err == nil {
		c.addPending(ds)
	}
	wired.Start()
	c.wg.Add(2)
	go c.watchDenials()
	go c.sequence()
	return c, nil
}

// Close stops the sequencer, then the node.
func (c *Chain) Close() error {
	close(c.stop)
	c.wg.Wait()
	c.denialSub.Unsubscribe()
	c.wired.Stop()
	return c.Node.Close()
}

// sequence produces one block per block time with timestamps genesis + n × blockTime.
// A block with timestamp T is built from T − blockTime and sealed at T; when the chain is
// behind the wall clock (after a restart) it catches up without waiting.
func (c *Chain) sequence() {
	defer c.wg.Done()
	bt := uint64(c.blockTime / time.Second)
	if bt == 0 {
		bt = 1
	}
	for {
		head := c.Eth.BlockChain().CurrentBlock()
		next := head.Time + bt
		if wait := time.Until(time.Unix(int64(next)-int64(bt), 0)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-c.denied:
			case <-c.stop:
				return
			}
		}
		c.paused.Lock()
		// A denied block of this chain is replaced before anything is built on it.
		if replaced, err := c.replaceDenied(); replaced || err != nil {
			c.paused.Unlock()
			if err != nil {
				c.log.Error("Failed to replace a denied block", "err", err)
			}
			continue
		}
		// A pause or rewind may have happened while waiting: build on the head as it is now.
		if now := c.Eth.BlockChain().CurrentBlock(); now.Hash() != head.Hash() {
			c.paused.Unlock()
			continue
		}
		err := c.buildBlock(head, next, false)
		c.paused.Unlock()
		if err != nil {
			c.log.Error("Failed to sequence block", "number", head.Number.Uint64()+1, "err", err)
			select {
			case <-time.After(time.Second):
			case <-c.stop:
				return
			}
		}
		select {
		case <-c.stop:
			return
		default:
		}
	}
}

var errBuild = errors.New("block building failed")

// buildBlock sequences the block after parent at timestamp. depositsOnly builds the
// replacement of a denied block: the same attributes with only the deposits and no pool
// transactions (Holocene replacement).
func (c *Chain) buildBlock(parent *types.Header, timestamp uint64, depositsOnly bool) error {
	number := parent.Number.Uint64() + 1
	deposit, err := L1InfoDeposit(number, c.l1Time).MarshalBinary()
	if err != nil {
		return err
	}
	txs := [][]byte{deposit}
	txs = append(txs, c.takeCheats(number)...) // anvil_ changes (anvil.go); deposits, so replacements keep them
	unchecked := 0
	if !depositsOnly { // a replacement keeps them for the next ordinary block
		c.faults.Lock()
		unchecked = len(c.unchecked)
		txs = append(txs, c.unchecked...)
		c.unchecked = nil
		c.faults.Unlock()
	}
	gasLimit := GasLimit
	minBaseFee := uint64(0)
	beaconRoot := common.Hash{}
	attrs := &engine.PayloadAttributes{
		Timestamp: timestamp,
		// The engine caches payloads by ID, a hash of the attributes: a unique prevRandao per
		// build keeps a height rebuilt after a rewind from reusing the payload built before it.
		Random:                crypto.Keccak256Hash(parent.Hash().Bytes(), binary.BigEndian.AppendUint64(nil, c.builds.Add(1))),
		SuggestedFeeRecipient: SequencerFeeVault,
		Withdrawals:           []*types.Withdrawal{},
		BeaconRoot:            &beaconRoot,
		Transactions:          txs,
		GasLimit:              &gasLimit,
		EIP1559Params:         make([]byte, 8),
		MinBaseFee:            &minBaseFee,
	}
	if depositsOnly {
		if attrs, err = replacement.DepositsOnly(attrs); err != nil {
			return err
		}
	}
	ctx := context.Background()
	state := c.forkchoice(parent)
	// Transactions injected with devnet_sendUncheckedTransaction skip the check of forced
	// transactions and of the payload's executing messages, on purpose.
	fcu, newPayload := c.wired.Engine.ForkchoiceUpdatedV3, c.wired.Engine.NewPayloadV4
	if unchecked > 0 {
		fcu = func(ctx context.Context, st engine.ForkchoiceStateV1, pa *engine.PayloadAttributes) (engine.ForkChoiceResponse, error) {
			return authority.ForkchoiceUnchecked(c.wired.Engine, ctx, st, pa)
		}
		newPayload = func(ctx context.Context, p engine.ExecutableData, vh []common.Hash, br *common.Hash, er []hexutil.Bytes) (engine.PayloadStatusV1, error) {
			return authority.NewPayloadUnchecked(c.wired.Engine, ctx, p, vh, br, er)
		}
	}
	res, err := fcu(ctx, state, attrs)
	if err != nil {
		return fmt.Errorf("%w: forkchoiceUpdated: %v", errBuild, err)
	}
	if res.PayloadID == nil {
		return fmt.Errorf("%w: no payload ID (status %s)", errBuild, res.PayloadStatus.Status)
	}
	// Let the builder fill the block from the pool until the slot's time.
	if wait := time.Until(time.Unix(int64(timestamp), 0)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-c.stop:
			// Resolve the payload so its background builder stops before the node does.
			c.wired.Engine.GetPayloadV4(*res.PayloadID)
			return nil
		}
	}
	env, err := c.wired.Engine.GetPayloadV4(*res.PayloadID)
	if err != nil {
		return fmt.Errorf("%w: getPayload: %v", errBuild, err)
	}
	status, err := newPayload(ctx, *env.ExecutionPayload, []common.Hash{}, &beaconRoot, []hexutil.Bytes{})
	if err != nil {
		return fmt.Errorf("%w: newPayload: %v", errBuild, err)
	}
	if status.Status != engine.VALID {
		return fmt.Errorf("%w: newPayload status %s: %v", errBuild, status.Status, status.ValidationError)
	}
	state = c.forkchoice(nil)
	state.HeadBlockHash = env.ExecutionPayload.BlockHash
	if _, err := c.wired.Engine.ForkchoiceUpdatedV3(ctx, state, nil); err != nil {
		return fmt.Errorf("%w: forkchoiceUpdated to new head: %v", errBuild, err)
	}
	msg := "Sequenced block"
	if depositsOnly {
		msg = "Sequenced deposits-only replacement block"
	}
	executed, sent := c.interopCounts(env.ExecutionPayload.BlockHash)
	c.log.Info(msg, "number", env.ExecutionPayload.Number, "hash", env.ExecutionPayload.BlockHash,
		"txs", len(env.ExecutionPayload.Transactions), "executed", executed, "sent", sent, "gas", env.ExecutionPayload.GasUsed)
	return nil
}

// interopCounts counts the block's executing messages (CrossL2Inbox ExecutingMessage logs)
// and the messages it sends through the L2ToL2CrossDomainMessenger, for the block's log line.
func (c *Chain) interopCounts(hash common.Hash) (executed, sent int) {
	for _, r := range c.Eth.BlockChain().GetReceiptsByHash(hash) {
		for _, l := range r.Logs {
			switch {
			case ievent.IsExecutingMessage(l):
				executed++
			case l.Address == xparams.L2ToL2CrossDomainMessengerAddress && len(l.Topics) > 0 && l.Topics[0] == sentMessageTopic:
				sent++
			}
		}
	}
	return executed, sent
}

// sentMessageTopic is the topic of L2ToL2CrossDomainMessenger's SentMessage event.
var sentMessageTopic = crypto.Keccak256Hash([]byte("SentMessage(uint256,address,uint256,address,bytes)"))
