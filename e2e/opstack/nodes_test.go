//go:build opstack

package opstack

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// startTimeout bounds how long a freshly started process may take to answer on its RPC port.
const startTimeout = 90 * time.Second

// Chain is one L2 chain of a System: its genesis, rollup.json and batcher key. Its nodes (ELs,
// op-nodes, a batcher) are started from it.
type Chain struct {
	Sys *System
	ID  uint64
	Dir string

	Genesis     *core.Genesis
	GenesisHash common.Hash // block 0 as op-geth computes it; every EL of the chain must agree
	GenesisPath string
	RollupPath  string
	L1Anchor    BlockID // rollup genesis.l1: the L1 head when the chain was created
	BatcherKey  *ecdsa.PrivateKey
	Native      bool // genesis opts in to native interop predeploys
}

// crossL2Inbox is the CrossL2Inbox predeploy.
var crossL2Inbox = common.HexToAddress("0x4200000000000000000000000000000000000022")

// writeGenesisWithExtras writes g with config.xgeth set to extras.
func writeGenesisWithExtras(path string, g *core.Genesis, extras map[string]any) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(doc["config"], &cfg); err != nil {
		return err
	}
	cfg["xgeth"] = extras
	if doc["config"], err = json.Marshal(cfg); err != nil {
		return err
	}
	if data, err = json.MarshalIndent(doc, "", "  "); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// NewChain creates L2 chain id on the system's L1: the genesis (time: now, and not before the
// L1 anchor) and rollup.json anchored at the current L1 head, so a chain can join a system that
// has been running for a while. The n-th chain of a system posts batches with test account n.
func (s *System) NewChain(id uint64) *Chain {
	s.T.Helper()
	return s.NewChainWith(id, ChainOptions{})
}

// ChainOptions are per-chain choices of the genesis.
type ChainOptions struct {
	// NativeInterop opts the genesis in to xgeth's native interop predeploys
	// ("config": {"xgeth": {"nativeInteropPredeploys": true}}): the CrossL2Inbox validates
	// messages and emits ExecutingMessage, as on the devnet. A standard OP genesis (false)
	// has no interop predeploy code at all here.
	NativeInterop bool
	// SeqWindowSize is rollup.json's seq_window_size in L1 blocks (default 3600): how long a
	// verifier waits for a valid batch of an epoch before it derives the epoch's blocks empty
	// (deposits only) on its own.
	SeqWindowSize uint64
}

// NewChainWith is NewChain with options.
func (s *System) NewChainWith(id uint64, opts ChainOptions) *Chain {
	s.T.Helper()
	s.mu.Lock()
	s.chains++
	n := s.chains
	s.mu.Unlock()
	if n >= len(anvilKeyHex) {
		s.T.Fatalf("at most %d chains per system", len(anvilKeyHex)-1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	head, err := s.L1.client.HeaderByNumber(ctx, nil)
	s.must(err)
	ts := max(uint64(time.Now().Unix()), head.Time)

	c := &Chain{
		Sys:        s,
		ID:         id,
		Dir:        filepath.Join(s.Dir, fmt.Sprintf("chain-%d", id)),
		Genesis:    L2Genesis(id, ts),
		Native:     opts.NativeInterop,
		L1Anchor:   BlockID{Hash: head.Hash(), Number: head.Number.Uint64()},
		BatcherKey: AnvilKey(n),
	}
	c.GenesisHash = c.Genesis.ToBlock().Hash()
	c.GenesisPath = filepath.Join(c.Dir, "genesis.json")
	c.RollupPath = filepath.Join(c.Dir, "rollup.json")
	s.must(os.MkdirAll(c.Dir, 0o755))
	if c.Native {
		// The native CrossL2Inbox takes precedence over code at its address; Solidity callers
		// check extcodesize first, so it holds one byte (as on xgeth's devnet).
		c.Genesis.Alloc[crossL2Inbox] = types.Account{Code: []byte{0xfe}, Balance: common.Big0}
		c.GenesisHash = c.Genesis.ToBlock().Hash()
		s.must(writeGenesisWithExtras(c.GenesisPath, c.Genesis, map[string]any{"nativeInteropPredeploys": true}))
	} else {
		s.must(writeJSON(c.GenesisPath, c.Genesis))
	}
	batcher := crypto.PubkeyToAddress(c.BatcherKey.PublicKey)
	rollup := RollupConfig(id, c.L1Anchor, BlockID{Hash: c.GenesisHash}, ts, batcher)
	if opts.SeqWindowSize != 0 {
		rollup["seq_window_size"] = opts.SeqWindowSize
	}
	s.must(writeJSON(c.RollupPath, rollup))
	return c
}

// ELOptions are the per-node additions to the EL's command line.
type ELOptions struct {
	// Extra flags appended to the recipe's command line (e.g. --interop.depset FILE).
	Extra []string
	// WS also serves JSON-RPC over WebSocket on EL.WSPort.
	WS bool
	// WSAPI is the --ws.api list (default: the HTTP list). xgeth's follower of a remote chain
	// also calls interop_* methods on it: add "interop" for an EL other xgeths follow.
	WSAPI string
}

// elAPIs are the JSON-RPC namespaces the EL serves: op-batcher needs miner (miner_setMaxDASize).
const elAPIs = "eth,net,web3,debug,txpool,admin,miner"

// EL is an execution client process of a chain, on its own datadir and ports. Its ports stay
// the same across Stop/Kill and Start, so its op-node reconnects to a restarted EL.
type EL struct {
	Chain    *Chain
	Name     string
	Dir      string
	HTTPPort int
	WSPort   int
	AuthPort int
	P2PPort  int
	// Opts may be changed between NewEL and Start (e.g. to add a peer's URL once known).
	Opts ELOptions
	Proc *Process

	client *ethclient.Client
}

// NewEL initialises a datadir with the chain's genesis (`init --state.scheme=hash`) and
// reserves the EL's ports; Start runs it. Two steps so that ELs can name each other's URLs in
// their flags.
func (c *Chain) NewEL(name string, opts ELOptions) *EL {
	s := c.Sys
	s.T.Helper()
	e := &EL{
		Chain: c, Name: name, Dir: filepath.Join(c.Dir, name),
		HTTPPort: s.port(), WSPort: s.port(), AuthPort: s.port(), P2PPort: s.port(),
		Opts: opts,
	}
	s.run("init-"+name, s.Bins.EL, "init", "--datadir", e.Dir, "--state.scheme=hash", c.GenesisPath)
	var err error
	e.client, err = ethclient.Dial(e.HTTPURL())
	s.must(err)
	return e
}

// StartEL is NewEL and Start.
func (c *Chain) StartEL(name string, opts ELOptions) *EL {
	c.Sys.T.Helper()
	e := c.NewEL(name, opts)
	e.Start()
	return e
}

// Args is the EL's command line: exactly the recipe's op-geth flags, then the options.
func (e *EL) Args() []string {
	args := []string{e.Chain.Sys.Bins.EL,
		"--datadir", e.Dir,
		"--networkid", strconv.FormatUint(e.Chain.ID, 10),
		"--syncmode", "full", "--gcmode", "archive", "--state.scheme=hash",
		"--rollup.disabletxpoolgossip",
		"--nodiscover", "--maxpeers", "0", "--port", strconv.Itoa(e.P2PPort),
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(e.HTTPPort), "--http.api", elAPIs,
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(e.AuthPort),
		"--authrpc.jwtsecret", e.Chain.Sys.JWTPath,
	}
	if e.Opts.WS {
		api := e.Opts.WSAPI
		if api == "" {
			api = elAPIs
		}
		args = append(args, "--ws", "--ws.addr", "127.0.0.1", "--ws.port", strconv.Itoa(e.WSPort), "--ws.api", api)
	}
	return append(args, e.Opts.Extra...)
}

// Start starts (or, after Stop or Kill, restarts) the EL on its datadir and waits until it
// answers JSON-RPC with the chain's genesis.
func (e *EL) Start() {
	s := e.Chain.Sys
	s.T.Helper()
	if e.Proc == nil {
		e.Proc = s.newProcess(e.Name)
	}
	e.Proc.Args = e.Args()
	s.must(e.Proc.start())
	s.Eventually(startTimeout, e.Name+" answers JSON-RPC", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		defer cancel()
		h, err := e.client.HeaderByNumber(ctx, bigU(0))
		if err != nil {
			return false, err.Error()
		}
		if h.Hash() != e.Chain.GenesisHash {
			s.T.Fatalf("%s: block 0 is %s, op-geth's genesis computation says %s", e.Name, h.Hash(), e.Chain.GenesisHash)
		}
		return true, ""
	})
}

// Stop shuts the EL down (SIGTERM).
func (e *EL) Stop() { e.Chain.Sys.must(e.Proc.Stop(stopGrace)) }

// Kill ends the EL with SIGKILL: a crash, no shutdown path runs.
func (e *EL) Kill() { e.Chain.Sys.must(e.Proc.Kill()) }

// HTTPURL is the EL's public JSON-RPC endpoint.
func (e *EL) HTTPURL() string { return "http://127.0.0.1:" + strconv.Itoa(e.HTTPPort) }

// WSURL is the EL's WebSocket endpoint (served with ELOptions.WS).
func (e *EL) WSURL() string { return "ws://127.0.0.1:" + strconv.Itoa(e.WSPort) }

// AuthURL is the EL's engine API endpoint (JWT).
func (e *EL) AuthURL() string { return "http://127.0.0.1:" + strconv.Itoa(e.AuthPort) }

// Client is an ethclient of the EL's HTTP endpoint (it survives restarts).
func (e *EL) Client() *ethclient.Client { return e.client }

// OpNode is an op-node process driving one EL.
type OpNode struct {
	Chain     *Chain
	EL        *EL
	Name      string
	Sequencer bool
	RPCPort   int
	Extra     []string
	Proc      *Process

	rpc *rpc.Client
}

// StartOpNode starts op-node on el: a sequencer (it builds blocks) or a verifier (it only
// derives blocks from the batches on L1; no p2p, so nothing else reaches it). extra flags are
// appended. It waits until op-node answers optimism_syncStatus.
func (c *Chain) StartOpNode(name string, el *EL, sequencer bool, extra ...string) *OpNode {
	s := c.Sys
	s.T.Helper()
	n := &OpNode{Chain: c, EL: el, Name: name, Sequencer: sequencer, RPCPort: s.port(), Extra: extra}
	args := []string{s.Bins.OpNode,
		"--l1", s.L1.URL(), "--l1.rpckind", "standard", "--l1.http-poll-interval", "1s",
		"--l1.epoch-poll-interval", "4s", "--l1.beacon.ignore",
		"--rollup.l1-chain-config", s.L1GenesisPath,
		"--l2", el.AuthURL(), "--l2.jwt-secret", s.JWTPath, "--l2.enginekind", "geth",
		"--rollup.config", c.RollupPath, "--interop.dependency-set", s.DepSetPath,
		"--verifier.l1-confs", "0",
		"--p2p.disable", "--rpc.addr", "127.0.0.1", "--rpc.port", strconv.Itoa(n.RPCPort),
		"--safedb.path", filepath.Join(c.Dir, name+"-safedb"), "--log.level", "info",
	}
	if sequencer {
		args = append(args, "--sequencer.enabled", "--sequencer.l1-confs", "0")
	}
	n.Proc = s.newProcess(name, append(args, extra...)...)
	var err error
	n.rpc, err = rpc.Dial(n.URL())
	s.must(err)
	n.Start()
	return n
}

// Start starts (or, after Stop or Kill, restarts) op-node and waits until it answers
// optimism_syncStatus.
func (n *OpNode) Start() {
	s := n.Chain.Sys
	s.T.Helper()
	s.must(n.Proc.start())
	s.Eventually(startTimeout, n.Name+" answers optimism_syncStatus", func() (bool, string) {
		_, err := n.SyncStatus()
		return err == nil, fmt.Sprint(err)
	})
}

// Stop shuts op-node down (SIGTERM).
func (n *OpNode) Stop() { n.Chain.Sys.must(n.Proc.Stop(stopGrace)) }

// Kill ends op-node with SIGKILL.
func (n *OpNode) Kill() { n.Chain.Sys.must(n.Proc.Kill()) }

// URL is op-node's RPC endpoint.
func (n *OpNode) URL() string { return "http://127.0.0.1:" + strconv.Itoa(n.RPCPort) }

// L2BlockRef is the part of op-node's L2 block reference the tests read.
type L2BlockRef struct {
	Hash       common.Hash `json:"hash"`
	Number     uint64      `json:"number"`
	ParentHash common.Hash `json:"parentHash"`
	Timestamp  uint64      `json:"timestamp"`
}

// L1BlockRef is the part of op-node's L1 block reference the tests read.
type L1BlockRef struct {
	Hash   common.Hash `json:"hash"`
	Number uint64      `json:"number"`
}

// SyncStatus is op-node's optimism_syncStatus answer (the fields the tests read).
type SyncStatus struct {
	CurrentL1     L1BlockRef `json:"current_l1"`
	HeadL1        L1BlockRef `json:"head_l1"`
	SafeL1        L1BlockRef `json:"safe_l1"`
	FinalizedL1   L1BlockRef `json:"finalized_l1"`
	UnsafeL2      L2BlockRef `json:"unsafe_l2"`
	CrossUnsafeL2 L2BlockRef `json:"cross_unsafe_l2"`
	LocalSafeL2   L2BlockRef `json:"local_safe_l2"`
	SafeL2        L2BlockRef `json:"safe_l2"`
	FinalizedL2   L2BlockRef `json:"finalized_l2"`
}

func (st *SyncStatus) String() string {
	return fmt.Sprintf("L1 head=%d finalized=%d; L2 unsafe=%d local-safe=%d safe=%d finalized=%d",
		st.HeadL1.Number, st.FinalizedL1.Number, st.UnsafeL2.Number, st.LocalSafeL2.Number, st.SafeL2.Number, st.FinalizedL2.Number)
}

// SyncStatus asks op-node for its sync status.
func (n *OpNode) SyncStatus() (*SyncStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	var st SyncStatus
	if err := n.rpc.CallContext(ctx, &st, "optimism_syncStatus"); err != nil {
		return nil, err
	}
	return &st, nil
}

// WaitSync waits until op-node's sync status satisfies cond and returns that status.
func (n *OpNode) WaitSync(timeout time.Duration, what string, cond func(*SyncStatus) bool) *SyncStatus {
	s := n.Chain.Sys
	s.T.Helper()
	var last *SyncStatus
	s.Eventually(timeout, n.Name+": "+what, func() (bool, string) {
		st, err := n.SyncStatus()
		if err != nil {
			return false, err.Error()
		}
		last = st
		return cond(st), st.String()
	})
	return last
}

// Batcher is an op-batcher process posting one chain's batches (calldata) to L1.
type Batcher struct {
	Chain   *Chain
	RPCPort int
	Proc    *Process
}

// StartBatcher starts op-batcher for the chain, reading blocks from el and the sync status from
// node, signing with the chain's batcher key. A channel is closed after one L1 block, so batches
// land on L1 every block or two.
func (c *Chain) StartBatcher(name string, el *EL, node *OpNode) *Batcher {
	s := c.Sys
	s.T.Helper()
	b := &Batcher{Chain: c, RPCPort: s.port()}
	b.Proc = s.newProcess(name, s.Bins.OpBatcher,
		"--l1-eth-rpc", s.L1.URL(), "--l2-eth-rpc", el.HTTPURL(), "--rollup-rpc", node.URL(),
		"--private-key", fmt.Sprintf("%x", crypto.FromECDSA(c.BatcherKey)),
		"--data-availability-type", "calldata", "--max-channel-duration", "1", "--num-confirmations", "1",
		"--poll-interval", "1s", "--sub-safety-margin", "4", "--resubmission-timeout", "30s",
		"--txmgr.receipt-query-interval", "1s",
		"--rpc.addr", "127.0.0.1", "--rpc.port", strconv.Itoa(b.RPCPort), "--log.level", "info")
	b.Start()
	return b
}

// Start starts (or, after Stop or Kill, restarts) op-batcher.
func (b *Batcher) Start() { b.Chain.Sys.must(b.Proc.start()) }

// Stop shuts op-batcher down (SIGTERM; it first waits for its pending L1 transactions).
func (b *Batcher) Stop() { b.Chain.Sys.must(b.Proc.Stop(stopGrace)) }

// Kill ends op-batcher with SIGKILL.
func (b *Batcher) Kill() { b.Chain.Sys.must(b.Proc.Kill()) }

// Sequencer is a chain's block producer: an EL, the op-node sequencing on it, and op-batcher.
type Sequencer struct {
	EL      *EL
	Node    *OpNode
	Batcher *Batcher
}

// StartSequencer starts the chain's sequencing EL ("el-<id>"), op-node ("op-node-<id>") and
// op-batcher ("op-batcher-<id>") and waits until the first L2 block is built.
func (c *Chain) StartSequencer(opts ELOptions) *Sequencer {
	c.Sys.T.Helper()
	id := strconv.FormatUint(c.ID, 10)
	el := c.StartEL("el-"+id, opts)
	node := c.StartOpNode("op-node-"+id, el, true)
	node.WaitSync(startTimeout, "first unsafe block", func(st *SyncStatus) bool { return st.UnsafeL2.Number >= 1 })
	b := c.StartBatcher("op-batcher-"+id, el, node)
	return &Sequencer{EL: el, Node: node, Batcher: b}
}

// Verifier is an EL with an op-node that derives the chain from L1 alone.
type Verifier struct {
	EL   *EL
	Node *OpNode
}

// StartVerifier starts an EL ("<name>-el") and a verifier op-node ("<name>-op-node") for the
// chain on the same L1 and rollup config as the sequencer.
func (c *Chain) StartVerifier(name string, opts ELOptions) *Verifier {
	c.Sys.T.Helper()
	el := c.StartEL(name+"-el", opts)
	return &Verifier{EL: el, Node: c.StartOpNode(name+"-op-node", el, false)}
}
