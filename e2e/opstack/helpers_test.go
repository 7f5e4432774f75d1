//go:build opstack

package opstack

// What the scenarios share: sending transactions (transfers, log-emitting contract creations,
// executing messages), reading an EL's blocks, labels, receipts and interop state, the engine
// API client, the interop flags of an xgeth and the two-chain interop system, and reading what
// a process logged. A helper named tryX returns its error; the others fail the test.

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
)

func since(t0 time.Time) string { return time.Since(t0).Round(100 * time.Millisecond).String() }

// ---- Transactions

// sendTx signs tx with test account key and sends it to el over eth_sendRawTransaction. It
// fills in the chain ID, the account's pending nonce and the fees (tip 1 gwei, fee cap twice
// the head's base fee plus the tip); the caller sets the rest (To nil creates a contract).
func sendTx(t testing.TB, el *EL, key int, tx types.DynamicFeeTx) *types.Transaction {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	c := el.Client()
	from := AnvilAddress(key)
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx.ChainID = bigU(el.Chain.ID)
	tx.Nonce = nonce
	tx.GasTipCap = big.NewInt(params.GWei)
	tx.GasFeeCap = new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tx.GasTipCap)
	signed, err := types.SignTx(types.NewTx(&tx), types.LatestSignerForChainID(bigU(el.Chain.ID)), AnvilKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendTransaction(ctx, signed); err != nil {
		t.Fatalf("%s: send from %s: %v", el.Name, from, err)
	}
	return signed
}

// SendTransfer sends value from test account key to `to` on el.
func SendTransfer(t testing.TB, el *EL, key int, to common.Address, value *big.Int) *types.Transaction {
	t.Helper()
	return sendTx(t, el, key, types.DynamicFeeTx{To: &to, Value: value, Gas: params.TxGas})
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

// emitInitiatingMessage has test account key create, on el, a contract whose constructor
// emits LOG1(topic, data), waits for the receipt (it must succeed with that one log) and
// returns it with the message the log initiates.
func emitInitiatingMessage(t testing.TB, el *EL, key int, topic, data common.Hash) (*types.Receipt, message.Message) {
	t.Helper()
	tx := sendTx(t, el, key, types.DynamicFeeTx{Gas: 100_000, Data: logInitCode(topic, data)})
	rcpt := WaitReceipt(t, el, tx.Hash())
	if rcpt.Status != types.ReceiptStatusSuccessful || len(rcpt.Logs) != 1 {
		t.Fatalf("initiating transaction: status %d, %d logs, want success and 1", rcpt.Status, len(rcpt.Logs))
	}
	block := headerAt(t, el, rcpt.BlockNumber.Uint64())
	return rcpt, message.OfLog(rcpt.Logs[0], block.Time, uint256.NewInt(el.Chain.ID))
}

// sendExecutingMessage sends, from test account key, a call of CrossL2Inbox.validateMessage
// executing msg with the access list that declares it.
func sendExecutingMessage(t testing.TB, el *EL, key int, msg *message.Message) *types.Transaction {
	t.Helper()
	return sendTx(t, el, key, types.DynamicFeeTx{
		Gas: 200_000, To: &crossL2Inbox, Data: event.EncodeValidateMessage(msg),
		AccessList: accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)}),
	})
}

// executeMessage sends the executing message msg from test account key and waits for its
// receipt, which must succeed and execute exactly msg; where says where it runs, for the
// failure message.
func executeMessage(t testing.TB, el *EL, key int, msg *message.Message, where string) *types.Receipt {
	t.Helper()
	tx := sendExecutingMessage(t, el, key, msg)
	rcpt := WaitReceipt(t, el, tx.Hash())
	if rcpt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("executing transaction failed %s: %+v", where, rcpt)
	}
	if got := executedMessages(t, rcpt); len(got) != 1 || *got[0] != *msg {
		t.Fatalf("executing receipt's ExecutingMessage logs: %+v, want exactly %+v", got, *msg)
	}
	return rcpt
}

// executedMessages are the messages a receipt's ExecutingMessage logs execute.
func executedMessages(t testing.TB, r *types.Receipt) []*message.Message {
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

// WaitReceipt waits until el has a receipt for hash.
func WaitReceipt(t testing.TB, el *EL, hash common.Hash) *types.Receipt {
	t.Helper()
	var rcpt *types.Receipt
	el.Chain.Sys.Eventually(time.Minute, "receipt of "+hash.Hex(), func() (bool, string) {
		r, err := tryReceipt(el, hash)
		rcpt = r
		return err == nil, fmt.Sprint(err)
	})
	return rcpt
}

// tryReceipt is el's receipt of hash; ethereum.NotFound when it has none.
func tryReceipt(el *EL, hash common.Hash) (*types.Receipt, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	return el.Client().TransactionReceipt(ctx, hash)
}

// ---- Blocks, labels and balances

func tryHeader(el *EL, n uint64) (*types.Header, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	return el.Client().HeaderByNumber(ctx, bigU(n))
}

func headerAt(t testing.TB, el *EL, n uint64) *types.Header {
	t.Helper()
	h, err := tryHeader(el, n)
	if err != nil {
		t.Fatalf("%s: header %d: %v", el.Name, n, err)
	}
	return h
}

func tryBlock(el *EL, n uint64) (*types.Block, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	return el.Client().BlockByNumber(ctx, bigU(n))
}

func blockAt(t testing.TB, el *EL, n uint64) *types.Block {
	t.Helper()
	b, err := tryBlock(el, n)
	if err != nil {
		t.Fatalf("%s: block %d: %v", el.Name, n, err)
	}
	return b
}

// tryLabel is el's block under label (latest, safe, finalized) now.
func tryLabel(el *EL, label rpc.BlockNumber) (*types.Header, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	return el.Client().HeaderByNumber(ctx, big.NewInt(int64(label)))
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

// WaitLabel waits until el's block under label (safe, finalized) is at least number.
func WaitLabel(t testing.TB, el *EL, label rpc.BlockNumber, number uint64) *types.Header {
	t.Helper()
	var h *types.Header
	el.Chain.Sys.Eventually(time.Minute, fmt.Sprintf("%s: %s block ≥ %d", el.Name, label, number), func() (bool, string) {
		got, err := tryLabel(el, label)
		if err != nil {
			return false, err.Error()
		}
		h = got
		return got.Number.Uint64() >= number, fmt.Sprintf("%s=%d", label, got.Number)
	})
	return h
}

// sameBlock fails unless the EL's label header is op-node's block of that label or a later
// block of the same chain (the EL is told the label after op-node records it).
func sameBlock(t testing.TB, el *EL, label string, h *types.Header, ref L2BlockRef) {
	t.Helper()
	at, err := tryHeader(el, ref.Number)
	if err != nil {
		t.Fatal(err)
	}
	if at.Hash() != ref.Hash {
		t.Fatalf("%s: block %d is %s on the EL, op-node's %s head is %s", el.Name, ref.Number, at.Hash(), label, ref.Hash)
	}
	if h.Number.Uint64() < ref.Number {
		t.Fatalf("%s: EL %s label %d is behind op-node's %d", el.Name, label, h.Number, ref.Number)
	}
}

func balanceAt(t testing.TB, el *EL, addr common.Address, block *big.Int) *big.Int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	b, err := el.Client().BalanceAt(ctx, addr, block)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---- Interop state (interop_* over the EL's HTTP port)

func callEL(el *EL, result any, method string, args ...any) error {
	if err := callRPC(el.Client().Client(), result, method, args...); err != nil {
		return fmt.Errorf("%s: %s: %w", el.Name, method, err)
	}
	return nil
}

// interopSafety is chain's entry of el's interop_safety.
func interopSafety(el *EL, chain uint64) (*rpcapi.ChainSafety, error) {
	return interopEntry(el, "interop_safety", chain, func(s *rpcapi.ChainSafety) *hexutil.Big { return s.ChainID })
}

// interopStatus is chain's entry of el's interop_status.
func interopStatus(el *EL, chain uint64) (*rpcapi.ChainStatus, error) {
	return interopEntry(el, "interop_status", chain, func(s *rpcapi.ChainStatus) *hexutil.Big { return s.ChainID })
}

// interopEntry is chain's entry of el's answer to method, a list of per-chain entries.
func interopEntry[T any](el *EL, method string, chain uint64, chainID func(*T) *hexutil.Big) (*T, error) {
	var all []T
	if err := callEL(el, &all, method); err != nil {
		return nil, err
	}
	for i := range all {
		if id := chainID(&all[i]); id != nil && id.ToInt().Uint64() == chain {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("%s: %s has no chain %d", el.Name, method, chain)
}

// waitCrossUnsafe waits until el's xgeth holds chain's block n cross-unsafe.
func waitCrossUnsafe(t testing.TB, el *EL, chain, n uint64) {
	t.Helper()
	el.Chain.Sys.Eventually(time.Minute, fmt.Sprintf("%s's xgeth: %d cross-unsafe ≥ %d", el.Name, chain, n), func() (bool, string) {
		s, err := interopSafety(el, chain)
		if err != nil {
			return false, err.Error()
		}
		return atLeast(s.CrossUnsafe, n), "crossUnsafe " + refString(s.CrossUnsafe)
	})
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

// ---- Engine API

// engineClient is a client of el's engine API port (JWT), where the authority methods are.
func engineClient(t testing.TB, el *EL) *rpc.Client {
	t.Helper()
	secret, err := os.ReadFile(el.Chain.Sys.JWTPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rpc.DialOptions(context.Background(), el.AuthURL(),
		rpc.WithHTTPAuth(node.NewJWTAuth(common.HexToHash(strings.TrimSpace(string(secret))))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// callRPC is one call on c, bounded by rpcTimeout.
func callRPC(c *rpc.Client, result any, method string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	return c.CallContext(ctx, result, method, args...)
}

// ---- Interop systems

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

// interopPair is two chains, 901 and 902, on one L1 with the dependency set {901, 902}: each
// has its own xgeth, which follows the other's over WebSocket, and op-node sequencer. Only 902
// has a batcher: 901's blocks stay unsafe until the test starts one.
type interopPair struct {
	sys          *System
	c1, c2       *Chain
	el1, el2     *EL
	node1, node2 *OpNode
	batcher2     *Batcher
}

// startInteropPair starts an interopPair and waits until both chains have built their first
// block. 901's genesis opts in to native interop; opts2 are 902's chain options, extra1 more
// flags for 901's xgeth.
func startInteropPair(t testing.TB, opts2 ChainOptions, extra1 ...string) *interopPair {
	t.Helper()
	p := &interopPair{sys: NewSystem(t, Options{DepSet: []uint64{901, 902}})}
	p.c1 = p.sys.NewChainWith(901, ChainOptions{NativeInterop: true})
	p.c2 = p.sys.NewChainWith(902, opts2)
	p.el1 = p.c1.NewEL("el-901", ELOptions{WS: true, WSAPI: interopAPIs})
	p.el2 = p.c2.NewEL("el-902", ELOptions{WS: true, WSAPI: interopAPIs})
	p.el1.Opts.Extra = append(interopFlags(p.sys, p.el2), extra1...)
	p.el2.Opts.Extra = interopFlags(p.sys, p.el1)
	p.el1.Start()
	p.el2.Start()
	p.node1 = p.c1.StartOpNode("op-node-901", p.el1, true)
	p.node2 = p.c2.StartOpNode("op-node-902", p.el2, true)
	for _, n := range []*OpNode{p.node1, p.node2} {
		n.WaitSync(startTimeout, "first unsafe block", func(st *SyncStatus) bool { return st.UnsafeL2.Number >= 1 })
	}
	p.batcher2 = p.c2.StartBatcher("op-batcher-902", p.el2, p.node2)
	return p
}

// ---- Process logs

// logSize is the current length of p's log, to read what it says from now on.
func logSize(p *Process) int64 {
	fi, err := os.Stat(p.LogPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logLines are up to n (all if n < 0) lines of p's log after offset that contain any of parts.
func logLines(p *Process, offset int64, n int, parts ...string) []string {
	return scanLog(p, offset, n, func(line string) bool {
		for _, s := range parts {
			if strings.Contains(line, s) {
				return true
			}
		}
		return false
	})
}

// logLine is the first line of p's log after offset that holds every one of parts, or "".
func logLine(p *Process, offset int64, parts ...string) string {
	lines := scanLog(p, offset, 1, func(line string) bool {
		for _, s := range parts {
			if !strings.Contains(line, s) {
				return false
			}
		}
		return true
	})
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

// scanLog is up to n (all if n < 0) lines of p's log after offset that match, without their
// newline; none if the log cannot be read.
func scanLog(p *Process, offset int64, n int, match func(string) bool) []string {
	f, err := os.Open(p.LogPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	var out []string
	for line := range strings.Lines(string(data)) {
		if len(out) == n {
			break
		}
		if match(line) {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return out
}

// ---- Watchers

// pollLoop calls poll every 200 ms on its own goroutine until stop; the watchers that check
// an invariant throughout a scenario run on it.
type pollLoop struct {
	done     chan struct{}
	finished chan struct{}
	once     sync.Once
}

func startPollLoop(poll func()) *pollLoop {
	l := &pollLoop{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(l.finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-l.done:
				return
			case <-tick.C:
			}
			poll()
		}
	}()
	return l
}

// stop ends the loop and waits for its last poll; it may be called more than once.
func (l *pollLoop) stop() {
	l.once.Do(func() { close(l.done) })
	<-l.finished
}
