//go:build opstack

package opstack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

// S5: an unsafe block of 902 that turns invalid later. 901 emits a log in block I (901 has no
// batcher, so I stays unsafe); 902 executes it in block H once 902's xgeth holds I
// cross-unsafe. Then 901 equivocates: its op-node stops, its EL rewinds natively below I
// (engine_rewindV1) and the op-node, restarted, sequences a different I without the log.
// 902's xgeth follows the reorg, denies H (its message no longer exists) and drops H and its
// descendants at once (--interop.rewinddenied, the default).
//
// Here H's batch is on L1 when H is dropped (902's batcher runs). The stock op-node of 902
// finds its head gone (forkchoiceUpdated answers SYNCING), resets, re-derives H from its
// batch, gets INVALID from newPayload and (Holocene) replaces H with a deposits-only block;
// the sequencer goes on from there and 902's EL safe and finalized labels pass H.
//
// Throughout, from before the equivocation to the end, a watcher polls 902's EL every 200 ms:
// neither its safe nor its finalized label may ever name the old H (the label's chain at
// height H is compared with the old H's hash).
func TestS5UnsafeBlockInvalidatedLater(t *testing.T) {
	r := s5Equivocate(t, true)
	r.converge()
	if line := logLine(r.node2.Proc, r.opNodeLogFrom, "Holocene active, requesting deposits-only attributes"); line == "" {
		// H's batch may, on a slow machine, land on L1 only after op-node's reset: then the
		// sequencer rebuilds H. Report it; the safety and convergence checks above hold either way.
		t.Logf("op-node-902 did not replace H through derivation (no deposits-only request after the equivocation)")
	}
}

// s5SeqWindow is 902's sequence window (L1 blocks, one per second) in the unbatched case: long
// enough that a chain converging within the test's deadlines did not wait for it.
const s5SeqWindow = 600

// S5, unbatched: as TestS5UnsafeBlockInvalidatedLater, but 902's batcher is stopped before H,
// so no batch of H (nor of the blocks just below it) is on L1 when xgeth drops H. op-node's
// sequencer holds blocks on top of the dropped chain: xgeth answers newPayload of one of them
// INVALID, and forkchoiceUpdated naming one -38002, so op-node drops them and resets onto the
// EL's heads at once, sequences H again without the invalid transaction (the pool refuses
// it), and its restarted batcher posts the new blocks: the chain converges long before the
// sequence window of the first unbatched epoch expires (before xgeth refused the dropped
// chain, a stock op-node retried its SYNCING answers until that window expired, 12 hours with
// the default window on Ethereum).
func TestS5UnbatchedDeniedBlockReplaced(t *testing.T) {
	r := s5Equivocate(t, false)
	t0 := time.Now()
	// op-node's view right after the drop: its unsafe head is on the dropped chain.
	st, err := r.node2.SyncStatus()
	r.sys.must(err)
	if st.UnsafeL2.Number < r.blockH {
		t.Fatalf("op-node-902's unsafe head %d is below H=%d right after the drop", st.UnsafeL2.Number, r.blockH)
	}
	firstUnbatched := st.LocalSafeL2.Number + 1
	if firstUnbatched > r.blockH {
		t.Fatalf("op-node-902's local-safe head %d covers H=%d: its batcher was stopped too late", st.LocalSafeL2.Number, r.blockH)
	}
	origin := s5L1Origin(t, r.oldH)
	if firstUnbatched < r.blockH {
		origin = s5L1Origin(t, blockAt(t, r.el2, firstUnbatched))
	}
	t.Logf("right after the drop, op-node-902: %s; first unbatched block %d has L1 origin %d, its window expires at L1 block %d",
		st, firstUnbatched, origin, origin+s5SeqWindow)
	r.batcher2.Start()
	t.Logf("%s: op-batcher-902 restarted", since(r.t0))

	r.converge()

	// op-node reset onto the EL's heads because xgeth refused the dropped chain, not because
	// a sequence window expired.
	reset := logLine(r.node2.Proc, r.opNodeLogFrom, "Deriver system is resetting")
	if reset == "" {
		t.Fatal("op-node-902 never reset after the drop")
	}
	refused := logLine(r.el2.Proc, r.elLogFrom, "removed from the chain")
	if refused == "" {
		t.Errorf("el-902 never refused the dropped chain")
	}
	safeLine := ""
	for _, l := range logLines(r.node2.Proc, r.opNodeLogFrom, -1, "Record local safe head") {
		if s5L2Number(l) >= r.blockH {
			safeLine = l
			break
		}
	}
	if safeLine == "" {
		t.Fatalf("op-node-902 recorded no local-safe block ≥ H=%d", r.blockH)
	}
	if n := s5L1Number(safeLine); n >= origin+s5SeqWindow {
		t.Errorf("op-node-902 made H safe from L1 block %d, after the window of epoch %d expired (%d): %s", n, origin, origin+s5SeqWindow, safeLine)
	}
	t.Logf("op-node-902 (%s after the drop): %s", time.Since(t0).Round(100*time.Millisecond), reset)
	t.Logf("op-node-902: %s", safeLine)
	t.Logf("el-902: %s", refused)
}

// s5Run is a system of two chains after 901's equivocation and 902's drop of H.
type s5Run struct {
	*interopPair
	t  *testing.T
	t0 time.Time

	execHash      common.Hash // the executing transaction, in H
	blockH        uint64
	hashH         common.Hash
	oldH          *types.Block
	watcher       *s5LabelWatcher
	tEquivocate   time.Time
	opNodeLogFrom int64 // op-node-902's log length before the equivocation
	elLogFrom     int64 // el-902's
}

// s5Equivocate builds the system, has 902 execute 901's log in H, makes 901 equivocate and
// waits until 902's xgeth has denied and dropped H. With batched false, 902's batcher is
// stopped before H (and not restarted), and 902's sequence window is s5SeqWindow.
func s5Equivocate(t *testing.T, batched bool) *s5Run {
	r := &s5Run{t: t, t0: time.Now()}
	opts2 := ChainOptions{NativeInterop: true}
	if !batched {
		opts2.SeqWindowSize = s5SeqWindow
	}
	// --txpool.nolocals: geth's tracker of transactions sent over RPC would put the initiating
	// transaction back into 901's pool after the rewind (its recheck runs 10 s after start, then
	// every minute), and 901 would build the same block I again.
	r.interopPair = startInteropPair(t, opts2, "--txpool.nolocals")
	sys, el1, el2, node1, node2 := r.sys, r.el1, r.el2, r.node1, r.node2
	t.Logf("%s: chains 901 and 902 up (901's batcher not started: its blocks stay unsafe)", since(r.t0))

	// The initiating message: a log emitted by a contract's constructor on 901, in block I.
	initRcpt, msg := emitInitiatingMessage(t, el1, 0, crypto.Keccak256Hash([]byte("s5")), crypto.Keccak256Hash([]byte("s5: from 901, soon gone")))
	blockI, hashI := initRcpt.BlockNumber.Uint64(), initRcpt.BlockHash
	t.Logf("%s: initiating message on 901: block I=%d (%s), log %d, origin %s", since(r.t0), blockI, hashI, msg.Identifier.LogIndex, msg.Identifier.Origin)

	waitCrossUnsafe(t, el2, 901, blockI)
	if !batched {
		r.batcher2.Stop()
		t.Logf("%s: op-batcher-902 stopped", since(r.t0))
	}
	execRcpt := executeMessage(t, el2, 0, &msg, "on 902")
	r.execHash = execRcpt.TxHash
	r.blockH, r.hashH = execRcpt.BlockNumber.Uint64(), execRcpt.BlockHash
	r.oldH = blockAt(t, el2, r.blockH)
	t.Logf("%s: executed on 902 in block H=%d (%s)", since(r.t0), r.blockH, r.hashH)

	r.watcher = s5WatchLabels(el2, node2, r.blockH, r.hashH)
	t.Cleanup(r.watcher.stop)

	// 901 equivocates: the block I it gave out (and 902 built on) is replaced by one without
	// the log. engine_rewindV1 does not give the initiating transaction back to the pool.
	pre2, err := node2.SyncStatus()
	sys.must(err)
	t.Logf("%s: before the equivocation, op-node-902: %s", since(r.t0), pre2)
	r.opNodeLogFrom = logSize(node2.Proc)
	r.elLogFrom = logSize(el2.Proc)
	r.tEquivocate = time.Now()
	node1.Stop()
	var parent struct {
		Hash   common.Hash    `json:"hash"`
		Number hexutil.Uint64 `json:"number"`
	}
	if err := callRPC(engineClient(t, el1), &parent, "engine_rewindV1", hashI); err != nil {
		t.Fatalf("engine_rewindV1(%s) on el-901: %v", hashI, err)
	}
	if uint64(parent.Number) != blockI-1 {
		t.Fatalf("engine_rewindV1 rewound 901 to %d, want %d", parent.Number, blockI-1)
	}
	// op-geth keeps the payloads it built by payload ID (a hash of the parent and the
	// attributes): op-node, sequencing on I-1 again with the same L1 origin, would get the
	// very same block I back, had xgeth not forgotten them on the rewind (patch 0008).
	if h := headerAt(t, el1, blockI-1); h.Hash() != parent.Hash {
		t.Fatalf("el-901 is at block %d %s after the rewind, want %s", blockI-1, h.Hash(), parent.Hash)
	}
	node1.Start()
	var newI *types.Header
	sys.Eventually(time.Minute, fmt.Sprintf("901 sequences a new block %d", blockI+1), func() (bool, string) {
		if _, err := tryHeader(el1, blockI+1); err != nil {
			return false, err.Error()
		}
		newI, err = tryHeader(el1, blockI)
		return err == nil, fmt.Sprint(err)
	})
	if newI.Hash() == hashI {
		t.Fatalf("901's block %d is still %s after the rewind", blockI, hashI)
	}
	if _, err := tryReceipt(el1, initRcpt.TxHash); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("901 still has the initiating transaction %s (err %v)", initRcpt.TxHash, err)
	}
	t.Logf("%s: 901 equivocated: block %d is now %s, without the initiating transaction", since(r.t0), blockI, newI.Hash())

	// 902's xgeth denies H and drops it with its descendants.
	engine2 := engineClient(t, el2)
	sys.Eventually(time.Minute, fmt.Sprintf("902's xgeth denies H=%d (%s)", r.blockH, r.hashH), func() (bool, string) {
		var denied bool
		if err := callRPC(engine2, &denied, "engine_isDeniedV1", hexutil.Uint64(r.blockH), r.hashH); err != nil {
			return false, err.Error()
		}
		return denied, "not denied"
	})
	var maxDenied *hexutil.Uint64
	sys.must(callRPC(engine2, &maxDenied, "engine_maxDeniedHeightV1"))
	if maxDenied == nil || uint64(*maxDenied) != r.blockH {
		t.Fatalf("engine_maxDeniedHeightV1 = %v, want %d", maxDenied, r.blockH)
	}
	t.Logf("%s: 902's xgeth denies H (engine_isDeniedV1 true, engine_maxDeniedHeightV1 %d), %s after the equivocation began",
		since(r.t0), *maxDenied, time.Since(r.tEquivocate).Round(100*time.Millisecond))
	var dropped string
	sys.Eventually(30*time.Second, "el-902 drops the denied block", func() (bool, string) {
		dropped = logLine(el2.Proc, r.elLogFrom, "Dropped a denied block", "number="+strconv.FormatUint(r.blockH, 10)+" ")
		return dropped != "", "no such log line"
	})
	t.Logf("el-902: %s", dropped)
	return r
}

// converge waits until 902's block at H no longer executes the message and its EL safe, then
// finalized, labels pass H on the replacement; then it checks the watcher and reports what
// op-node did.
func (r *s5Run) converge() {
	t, el2, node2 := r.t, r.el2, r.node2
	var replaced *types.Block
	r.sys.Eventually(90*time.Second, fmt.Sprintf("902 replaces H=%d and its safe label passes it", r.blockH), func() (bool, string) {
		b, err := tryBlock(el2, r.blockH)
		if err != nil {
			return false, fmt.Sprintf("block %d: %v", r.blockH, err)
		}
		if b.Hash() == r.hashH || b.Transaction(r.execHash) != nil {
			return false, fmt.Sprintf("block %d is %s, still the old one or executing the message", r.blockH, b.Hash())
		}
		replaced = b
		safe, err := tryLabel(el2, rpc.SafeBlockNumber)
		if err != nil {
			return false, err.Error()
		}
		st, _ := node2.SyncStatus()
		return safe.Number.Uint64() > r.blockH, fmt.Sprintf("block %d replaced by %s; EL safe %d; op-node-902: %v", r.blockH, b.Hash(), safe.Number, st)
	})
	t.Logf("%s: 902 converged %s after the equivocation began: block %d is %s (%d transactions), EL safe label past it",
		since(r.t0), time.Since(r.tEquivocate).Round(100*time.Millisecond), r.blockH, replaced.Hash(), replaced.Transactions().Len())
	fin := WaitLabel(t, el2, rpc.FinalizedBlockNumber, r.blockH+1)
	r.watcher.stop()
	if got := headerAt(t, el2, r.blockH).Hash(); got != replaced.Hash() {
		t.Fatalf("902's block %d changed again after convergence: %s, then %s", r.blockH, replaced.Hash(), got)
	}
	t.Logf("%s: 902's EL finalized label %d passes H, on the replacement", since(r.t0), fin.Number)
	if st, err := node2.SyncStatus(); err == nil {
		sameBlock(t, el2, "safe", labelHeader(t, el2, rpc.SafeBlockNumber), st.SafeL2)
	}

	polls, errs, violations, firstPast, nodeSafe := r.watcher.result()
	for _, v := range violations {
		t.Errorf("watcher: %s", v)
	}
	if polls == 0 {
		t.Errorf("the watcher never polled 902's labels (errors: %v)", errs)
	}
	if len(errs) > 0 {
		t.Logf("watcher: %d failed polls, first: %s", len(errs), errs[0])
	}
	t.Logf("watcher: %d polls of 902's safe and finalized labels, none naming the old H; first with safe past H: %s", polls, firstPast)
	t.Logf("watcher: op-node-902's own safe_l2 (its local-safe head) was the old H at %d polls", nodeSafe)

	// The executing transaction is gone for good: the pool refused it when the dropped
	// blocks' transactions came back.
	if rc, err := tryReceipt(el2, r.execHash); !errors.Is(err, ethereum.NotFound) {
		t.Errorf("902 still has the executing transaction (receipt %+v, err %v)", rc, err)
	}
	if line := logLine(el2.Proc, r.elLogFrom, "not re-admitted", r.execHash.TerminalString()); line != "" {
		t.Logf("el-902: %s", line)
	}
	for i, tx := range replaced.Transactions() {
		if tx.Type() != types.DepositTxType {
			t.Logf("replacement of H: transaction %d (%s) is a user transaction of type %#x", i, tx.Hash(), tx.Type())
		}
	}

	// What op-node said after the equivocation.
	for _, l := range logLines(node2.Proc, r.opNodeLogFrom, 30, s5OpNodeEvents...) {
		t.Logf("op-node-902: %s", l)
	}
	t.Logf("op-node-902: and %d batches dropped as past while re-deriving from the reset's L1 origin",
		len(logLines(node2.Proc, r.opNodeLogFrom, -1, "Dropping past singular batch")))
	if st, err := node2.SyncStatus(); err == nil {
		t.Logf("%s: op-node-902 at the end: %s", since(r.t0), st)
	}
}

// s5OpNodeEvents are the op-node log fragments that tell what it did about the dropped head.
var s5OpNodeEvents = []string{"eset", "Loaded current L2 heads", "Hit finalized", "deposits-only", "INVALID", "nvalid",
	"SYNCING", "eorg", "mismatch", "stale", "Record local safe head", "critical"}

// s5L1Origin is the L1 origin (block number) of an L2 block, read from its L1 info deposit
// (setL1BlockValuesEcotone and later: selector, two uint32 scalars, then uint64 sequence
// number, time and number).
func s5L1Origin(t testing.TB, b *types.Block) uint64 {
	t.Helper()
	if b.Transactions().Len() == 0 || b.Transactions()[0].Type() != types.DepositTxType || len(b.Transactions()[0].Data()) < 36 {
		t.Fatalf("block %d has no L1 info deposit", b.NumberU64())
	}
	return binary.BigEndian.Uint64(b.Transactions()[0].Data()[28:36])
}

// s5L2Number and s5L1Number read the block numbers of op-node's "Record local safe head
// l2=HASH:N l1=HASH:M" line (0 if absent).
func s5L2Number(line string) uint64 { return s5RefNumber(line, " l2=") }
func s5L1Number(line string) uint64 { return s5RefNumber(line, " l1=") }

func s5RefNumber(line, key string) uint64 {
	_, rest, ok := strings.Cut(line, key)
	if !ok {
		return 0
	}
	ref, _, _ := strings.Cut(rest, " ")
	_, num, _ := strings.Cut(ref, ":")
	n, _ := strconv.ParseUint(num, 10, 64)
	return n
}

// s5LabelWatcher polls an EL's safe and finalized labels every 200 ms and records every poll
// at which a label's chain holds the old block at height h: the label names the old block
// itself, or a descendant of it (found by walking parent hashes down to h; what a walk finds
// is cached, so each poll fetches only the headers it has not seen). For the record, it also
// counts the polls at which the op-node's own safe head (optimism_syncStatus safe_l2, which a
// stock op-node without a supervisor takes from its local-safe head) is the old block.
type s5LabelWatcher struct {
	el    *EL
	node  *OpNode
	h     uint64
	old   common.Hash
	start time.Time
	*pollLoop

	atH map[common.Hash]common.Hash // block above h → its ancestor at h

	mu         sync.Mutex
	polls      int
	errs       []string
	violations []string
	firstPast  string // the first poll at which safe was past h
	nodeSafe   int    // polls at which op-node's safe_l2 was the old block
}

func s5WatchLabels(el *EL, node *OpNode, h uint64, old common.Hash) *s5LabelWatcher {
	w := &s5LabelWatcher{el: el, node: node, h: h, old: old, start: time.Now(), atH: make(map[common.Hash]common.Hash)}
	w.pollLoop = startPollLoop(w.observe)
	return w
}

// observe polls both labels and op-node's safe head once and records what it saw.
func (w *s5LabelWatcher) observe() {
	for _, label := range []rpc.BlockNumber{rpc.SafeBlockNumber, rpc.FinalizedBlockNumber} {
		at, num, err := w.poll(label)
		w.mu.Lock()
		switch {
		case err != nil:
			if len(w.errs) < 5 {
				w.errs = append(w.errs, err.Error())
			}
		case at == w.old:
			if len(w.violations) < 5 {
				w.violations = append(w.violations, fmt.Sprintf("at %s, %s label %d has the old block %d %s on its chain",
					time.Since(w.start).Round(time.Millisecond), label, num, w.h, w.old))
			}
		case label == rpc.SafeBlockNumber && num > w.h && w.firstPast == "":
			w.firstPast = fmt.Sprintf("after %s: safe %d, its block %d is %s", time.Since(w.start).Round(time.Millisecond), num, w.h, at)
		}
		if label == rpc.SafeBlockNumber && err == nil {
			w.polls++
		}
		w.mu.Unlock()
	}
	if st, err := w.node.SyncStatus(); err == nil && st.SafeL2.Hash == w.old {
		w.mu.Lock()
		w.nodeSafe++
		w.mu.Unlock()
	}
}

// poll reads label and returns the hash of its chain's block at height h (zero when the
// label is below h) and the label's number.
func (w *s5LabelWatcher) poll(label rpc.BlockNumber) (common.Hash, uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	c := w.el.Client()
	hdr, err := c.HeaderByNumber(ctx, big.NewInt(int64(label)))
	if err != nil {
		return common.Hash{}, 0, fmt.Errorf("%s label: %w", label, err)
	}
	num := hdr.Number.Uint64()
	if num < w.h {
		return common.Hash{}, num, nil
	}
	var walked []common.Hash
	for hdr.Number.Uint64() > w.h {
		if at, ok := w.atH[hdr.Hash()]; ok {
			w.remember(walked, at)
			return at, num, nil
		}
		walked = append(walked, hdr.Hash())
		if hdr, err = c.HeaderByHash(ctx, hdr.ParentHash); err != nil {
			return common.Hash{}, num, fmt.Errorf("%s label %d: ancestor: %w", label, num, err)
		}
	}
	w.remember(walked, hdr.Hash())
	return hdr.Hash(), num, nil
}

func (w *s5LabelWatcher) remember(walked []common.Hash, at common.Hash) {
	for _, h := range walked {
		w.atH[h] = at
	}
}

func (w *s5LabelWatcher) result() (polls int, errs, violations []string, firstPast string, nodeSafe int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polls, w.errs, w.violations, w.firstPast, w.nodeSafe
}
