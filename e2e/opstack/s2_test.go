//go:build opstack

package opstack

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
)

// S2: two chains, 901 and 902, on one L1, each with its own xgeth, op-node sequencer and
// op-batcher; each xgeth follows the other over WebSocket. A log emitted on 901 is executed
// on 902 once 902's xgeth holds the initiating block cross-unsafe, and both chains' safe
// heads pass the two transactions.
//
// 901's batcher starts only once 902's executing block is local-safe (op-node derived it
// from L1), so 902's cross-safe head must stop right below the executing block and wait for
// 901's initiating block to become safe: a watcher polls both ELs every 200 ms and fails the
// test if 902's `safe` ever covers the executing block while the initiating block is not
// cross-safe, in 902's view (interop_safety) and on 901's own EL.
func TestS2TwoChains(t *testing.T) {
	t0 := time.Now()
	sys := NewSystem(t, Options{DepSet: []uint64{901, 902}})
	c1 := sys.NewChainWith(901, ChainOptions{NativeInterop: true})
	c2 := sys.NewChainWith(902, ChainOptions{NativeInterop: true})
	el1 := c1.NewEL("el-901", ELOptions{WS: true, WSAPI: interopAPIs})
	el2 := c2.NewEL("el-902", ELOptions{WS: true, WSAPI: interopAPIs})
	el1.Opts.Extra = interopFlags(sys, el2)
	el2.Opts.Extra = interopFlags(sys, el1)
	el1.Start()
	el2.Start()
	node1 := c1.StartOpNode("op-node-901", el1, true)
	node2 := c2.StartOpNode("op-node-902", el2, true)
	node1.WaitSync(startTimeout, "first unsafe block", func(st *SyncStatus) bool { return st.UnsafeL2.Number >= 1 })
	node2.WaitSync(startTimeout, "first unsafe block", func(st *SyncStatus) bool { return st.UnsafeL2.Number >= 1 })
	c2.StartBatcher("op-batcher-902", el2, node2)
	t.Logf("%s: chains 901 and 902 up (901's batcher not started)", since(t0))

	// The initiating message: a log emitted by a contract's constructor on 901.
	payload := crypto.Keccak256Hash([]byte("s2: from 901 to 902"))
	topic := crypto.Keccak256Hash([]byte("s2"))
	initTx := sendTx(t, el1, 0, nil, logInitCode(topic, payload), nil, 100_000)
	initRcpt := WaitReceipt(t, el1, initTx.Hash())
	if initRcpt.Status != types.ReceiptStatusSuccessful || len(initRcpt.Logs) != 1 {
		t.Fatalf("initiating transaction: status %d, %d logs, want success and 1", initRcpt.Status, len(initRcpt.Logs))
	}
	initBlock := initRcpt.BlockNumber.Uint64()
	initHeader := blockHeader(t, el1, initBlock)
	msg := message.OfLog(initRcpt.Logs[0], initHeader.Time, uint256.NewInt(901))
	t.Logf("%s: initiating message on 901: block %d, log %d, origin %s", since(t0), initBlock, msg.Identifier.LogIndex, msg.Identifier.Origin)

	// 902's pool admits the executing transaction once 902's xgeth holds the initiating
	// block cross-unsafe.
	sys.Eventually(time.Minute, fmt.Sprintf("902's xgeth: 901 cross-unsafe ≥ %d", initBlock), func() (bool, string) {
		s, err := interopSafety(el2, 901)
		if err != nil {
			return false, err.Error()
		}
		return atLeast(s.CrossUnsafe, initBlock), "crossUnsafe " + refString(s.CrossUnsafe)
	})
	execTx := sendTx(t, el2, 0, &crossL2Inbox, event.EncodeValidateMessage(&msg),
		accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)}), 200_000)
	execRcpt := WaitReceipt(t, el2, execTx.Hash())
	if execRcpt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("executing transaction failed on 902: %+v", execRcpt)
	}
	execBlock := execRcpt.BlockNumber.Uint64()
	if got := executingMessagesOf(t, execRcpt); len(got) != 1 || *got[0] != msg {
		t.Fatalf("executing receipt's ExecutingMessage logs: %+v, want exactly %+v", got, msg)
	}
	t.Logf("%s: executed on 902 in block %d (ExecutingMessage from %s)", since(t0), execBlock, crossL2Inbox)

	w := watchCrossSafe(el1, el2, initBlock, execBlock)
	defer w.stop()

	// 902 derives its executing block from L1 (local-safe), but 901 has posted no batch: 902's
	// cross-safe reaches the block below and stops there.
	node2.WaitSync(2*time.Minute, fmt.Sprintf("local-safe ≥ %d", execBlock+1), func(st *SyncStatus) bool {
		return st.LocalSafeL2.Number > execBlock
	})
	sys.Eventually(time.Minute, fmt.Sprintf("902's xgeth: 902 local-safe > %d, cross-safe = %d", execBlock, execBlock-1), func() (bool, string) {
		s, err := interopSafety(el2, 902)
		if err != nil {
			return false, err.Error()
		}
		return atLeast(s.LocalSafe, execBlock+1) && atLeast(s.CrossSafe, execBlock-1),
			"localSafe " + refString(s.LocalSafe) + ", crossSafe " + refString(s.CrossSafe)
	})
	safe2 := WaitLabel(t, el2, rpc.SafeBlockNumber, execBlock-1)
	safe1 := labelHeader(t, el1, rpc.SafeBlockNumber)
	if safe2.Number.Uint64() >= execBlock || safe1.Number.Uint64() >= initBlock {
		t.Fatalf("before 901's batcher runs: 902 safe %d (executing block %d), 901 safe %d (initiating block %d)",
			safe2.Number, execBlock, safe1.Number, initBlock)
	}
	// Give 902's safety engine time to (wrongly) move past the executing block.
	time.Sleep(3 * time.Second)
	if h := labelHeader(t, el2, rpc.SafeBlockNumber); h.Number.Uint64() >= execBlock {
		t.Fatalf("902's safe head %d passed executing block %d with 901 not safe", h.Number, execBlock)
	}
	t.Logf("%s: 902 local-safe past %d, its safe head held at %d; starting 901's batcher", since(t0), execBlock, safe2.Number)

	c1.StartBatcher("op-batcher-901", el1, node1)
	WaitLabel(t, el1, rpc.SafeBlockNumber, initBlock)
	t.Logf("%s: 901's safe head covers the initiating block %d", since(t0), initBlock)
	WaitLabel(t, el2, rpc.SafeBlockNumber, execBlock)
	t.Logf("%s: 902's safe head covers the executing block %d", since(t0), execBlock)
	w.stop()

	polls, held, first := w.result()
	for _, e := range w.errs {
		t.Errorf("watcher: %s", e)
	}
	if held == 0 {
		t.Errorf("the watcher never saw 902's executing block local-safe with its safe head below it (%d polls)", polls)
	}
	if first.safe902 < execBlock {
		t.Errorf("the watcher never saw 902's safe head at the executing block (%d polls)", polls)
	}
	t.Logf("%s: %d polls, %d with 902's executing block local-safe but not safe; first poll with 902 safe ≥ %d: %+v",
		since(t0), polls, held, execBlock, first)
	for _, n := range []*OpNode{node1, node2} {
		if st, err := n.SyncStatus(); err == nil {
			t.Logf("%s: %s", n.Name, st)
		}
	}
}

// interopAPIs are the JSON-RPC namespaces of an EL whose interop state the test reads (and
// another xgeth follows): the harness's list and interop.
const interopAPIs = elAPIs + ",interop"

// interopFlags are an xgeth's flags for the system's dependency set, following each peer EL
// over WebSocket, and serving interop_* over HTTP (geth's flag parsing keeps the last
// --http.api, so this overrides the harness's list).
func interopFlags(sys *System, peers ...*EL) []string {
	args := []string{"--http.api", interopAPIs, "--interop.depset", sys.DepSetPath}
	for _, p := range peers {
		args = append(args, "--interop.rpc", strconv.FormatUint(p.Chain.ID, 10)+"="+p.WSURL())
	}
	return args
}

// logInitCode is contract creation code whose constructor emits LOG1(topic, data) and
// deploys nothing: the log's address is the created contract's.
func logInitCode(topic, data common.Hash) []byte {
	code := []byte{0x7f} // PUSH32 data
	code = append(code, data[:]...)
	code = append(code, 0x60, 0x00, 0x52, 0x7f) // PUSH1 0 MSTORE; PUSH32 topic
	code = append(code, topic[:]...)
	return append(code, 0x60, 0x20, 0x60, 0x00, 0xa1, 0x00) // PUSH1 32 PUSH1 0 LOG1 STOP
}

// sendTx sends, from test account key on el, a signed dynamic-fee transaction calling to
// (creating a contract when to is nil) with data and access list al.
func sendTx(t testing.TB, el *EL, key int, to *common.Address, data []byte, al types.AccessList, gas uint64) *types.Transaction {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	c := el.Client()
	nonce, err := c.PendingNonceAt(ctx, AnvilAddress(key))
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(params.GWei)
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	tx := types.NewTx(&types.DynamicFeeTx{
		ChainID: bigU(el.Chain.ID), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas, To: to, Data: data, AccessList: al,
	})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(bigU(el.Chain.ID)), AnvilKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendTransaction(ctx, signed); err != nil {
		t.Fatalf("%s: send transaction: %v", el.Name, err)
	}
	return signed
}

// executingMessagesOf decodes a receipt's ExecutingMessage logs.
func executingMessagesOf(t testing.TB, r *types.Receipt) []*message.Message {
	t.Helper()
	var out []*message.Message
	for _, l := range r.Logs {
		m, err := event.DecodeExecutingMessage(l)
		if err != nil {
			t.Fatalf("receipt log %d: %v", l.Index, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

func blockHeader(t testing.TB, el *EL, n uint64) *types.Header {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	h, err := el.Client().HeaderByNumber(ctx, bigU(n))
	if err != nil {
		t.Fatalf("%s: header %d: %v", el.Name, n, err)
	}
	return h
}

// labelHeader is el's block under label (latest, safe, finalized) now.
func labelHeader(t testing.TB, el *EL, label rpc.BlockNumber) *types.Header {
	t.Helper()
	h, err := tryLabel(el, label)
	if err != nil {
		t.Fatalf("%s: %s block: %v", el.Name, label, err)
	}
	return h
}

func tryLabel(el *EL, label rpc.BlockNumber) (*types.Header, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	return el.Client().HeaderByNumber(ctx, big.NewInt(int64(label)))
}

// interopSafety is chain's entry of el's interop_safety.
func interopSafety(el *EL, chain uint64) (*rpcapi.ChainSafety, error) {
	var all []rpcapi.ChainSafety
	if err := callEL(el, &all, "interop_safety"); err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ChainID != nil && all[i].ChainID.ToInt().Uint64() == chain {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("%s: interop_safety has no chain %d", el.Name, chain)
}

// interopStatus is chain's entry of el's interop_status.
func interopStatus(el *EL, chain uint64) (*rpcapi.ChainStatus, error) {
	var all []rpcapi.ChainStatus
	if err := callEL(el, &all, "interop_status"); err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ChainID != nil && all[i].ChainID.ToInt().Uint64() == chain {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("%s: interop_status has no chain %d", el.Name, chain)
}

func callEL(el *EL, result any, method string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	if err := el.Client().Client().CallContext(ctx, result, method, args...); err != nil {
		return fmt.Errorf("%s: %s: %w", el.Name, method, err)
	}
	return nil
}

func atLeast(r *rpcapi.BlockRef, n uint64) bool { return r != nil && uint64(r.Number) >= n }

func refNumber(r *rpcapi.BlockRef) uint64 {
	if r == nil {
		return 0
	}
	return uint64(r.Number)
}

func refString(r *rpcapi.BlockRef) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%d (%s)", r.Number, r.Hash.TerminalString())
}

// crossSafePoll is one observation of the watcher.
type crossSafePoll struct {
	At             time.Duration // since the watcher started
	safe902        uint64        // 902's EL safe label
	localSafe902   uint64        // 902's local-safe in 902's xgeth
	crossSafe901In uint64        // 901's cross-safe in 902's xgeth
	safe901        uint64        // 901's EL safe label, read last
}

// crossSafeWatcher polls, every 200 ms, 902's EL safe label, then 902's xgeth's view of
// 901's cross-safe head, then 901's own safe label, and records every poll at which 902's
// safe head covers the executing block while the initiating block is not cross-safe. The
// labels only grow, so reading 902's first makes a violation certain, not a race of reads.
type crossSafeWatcher struct {
	el1, el2             *EL
	initBlock, execBlock uint64
	start                time.Time
	done                 chan struct{}
	stopOnce             sync.Once
	finished             chan struct{}

	mu    sync.Mutex
	polls int
	held  int // polls with 902's executing block local-safe and its safe head below it
	first crossSafePoll
	errs  []string
}

func watchCrossSafe(el1, el2 *EL, initBlock, execBlock uint64) *crossSafeWatcher {
	w := &crossSafeWatcher{el1: el1, el2: el2, initBlock: initBlock, execBlock: execBlock,
		start: time.Now(), done: make(chan struct{}), finished: make(chan struct{})}
	go w.run()
	return w
}

func (w *crossSafeWatcher) run() {
	defer close(w.finished)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-tick.C:
		}
		p, err := w.poll()
		w.mu.Lock()
		if err != nil {
			// An RPC failure is not a violation, but the EL should answer: report it.
			if len(w.errs) < 5 {
				w.errs = append(w.errs, err.Error())
			}
			w.mu.Unlock()
			continue
		}
		w.polls++
		if p.localSafe902 >= w.execBlock && p.safe902 < w.execBlock {
			w.held++
		}
		if p.safe902 >= w.execBlock {
			if w.first.safe902 == 0 {
				w.first = p
			}
			if (p.crossSafe901In < w.initBlock || p.safe901 < w.initBlock) && len(w.errs) < 5 {
				w.errs = append(w.errs, fmt.Sprintf("902's safe head %d covers executing block %d, but initiating block %d is not cross-safe: %+v",
					p.safe902, w.execBlock, w.initBlock, p))
			}
		}
		w.mu.Unlock()
	}
}

func (w *crossSafeWatcher) poll() (crossSafePoll, error) {
	p := crossSafePoll{At: time.Since(w.start).Round(time.Millisecond)}
	h, err := tryLabel(w.el2, rpc.SafeBlockNumber)
	if err != nil {
		return p, err
	}
	p.safe902 = h.Number.Uint64()
	s902, err := interopSafety(w.el2, 902)
	if err != nil {
		return p, err
	}
	s901, err := interopSafety(w.el2, 901)
	if err != nil {
		return p, err
	}
	p.localSafe902, p.crossSafe901In = refNumber(s902.LocalSafe), refNumber(s901.CrossSafe)
	if h, err = tryLabel(w.el1, rpc.SafeBlockNumber); err != nil {
		return p, err
	}
	p.safe901 = h.Number.Uint64()
	return p, nil
}

// stop ends the watcher and waits for its last poll.
func (w *crossSafeWatcher) stop() {
	w.stopOnce.Do(func() { close(w.done) })
	<-w.finished
}

func (w *crossSafeWatcher) result() (polls, held int, first crossSafePoll) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polls, w.held, w.first
}
