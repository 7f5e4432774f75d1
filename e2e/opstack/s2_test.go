//go:build opstack

package opstack

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
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
	p := startInteropPair(t, ChainOptions{NativeInterop: true})
	sys, el1, el2, node1, node2 := p.sys, p.el1, p.el2, p.node1, p.node2
	t.Logf("%s: chains 901 and 902 up (901's batcher not started)", since(t0))

	// The initiating message: a log emitted by a contract's constructor on 901.
	initRcpt, msg := emitInitiatingMessage(t, el1, 0, crypto.Keccak256Hash([]byte("s2")), crypto.Keccak256Hash([]byte("s2: from 901 to 902")))
	initBlock := initRcpt.BlockNumber.Uint64()
	t.Logf("%s: initiating message on 901: block %d, log %d, origin %s", since(t0), initBlock, msg.Identifier.LogIndex, msg.Identifier.Origin)

	// 902's pool admits the executing transaction once 902's xgeth holds the initiating
	// block cross-unsafe.
	waitCrossUnsafe(t, el2, 901, initBlock)
	execRcpt := executeMessage(t, el2, 0, &msg, "on 902")
	execBlock := execRcpt.BlockNumber.Uint64()
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

	p.c1.StartBatcher("op-batcher-901", el1, node1)
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
	*pollLoop

	mu    sync.Mutex
	polls int
	held  int // polls with 902's executing block local-safe and its safe head below it
	first crossSafePoll
	errs  []string
}

func watchCrossSafe(el1, el2 *EL, initBlock, execBlock uint64) *crossSafeWatcher {
	w := &crossSafeWatcher{el1: el1, el2: el2, initBlock: initBlock, execBlock: execBlock,
		start: time.Now()}
	w.pollLoop = startPollLoop(w.observe)
	return w
}

// observe is one poll, recorded.
func (w *crossSafeWatcher) observe() {
	p, err := w.poll()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		// An RPC failure is not a violation, but the EL should answer: report it.
		if len(w.errs) < 5 {
			w.errs = append(w.errs, err.Error())
		}
		return
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

func (w *crossSafeWatcher) result() (polls, held int, first crossSafePoll) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polls, w.held, w.first
}
