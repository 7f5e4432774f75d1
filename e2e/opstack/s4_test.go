//go:build opstack

package opstack

import (
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

// S4: the sequencer's xgeth is killed (SIGKILL) while op-node runs, and restarted on the same
// datadir two seconds later. op-node resumes building on it, the log index is consistent with
// the chain (its head is the EL's head, same hash; the follower is live; a log indexed just
// before the crash can still be executed), and safety catches up: the EL's safe label passes
// the pre-crash unsafe head and equals interop_safety's cross-safe head, and a transaction
// sent after the restart becomes safe.
func TestS4Crash(t *testing.T) {
	t0 := time.Now()
	sys := NewSystem(t, Options{})
	chain := sys.NewChainWith(901, ChainOptions{NativeInterop: true})
	seq := chain.StartSequencer(ELOptions{Extra: interopFlags(sys)})
	el := seq.EL

	// A log just before the crash: executed after the restart, it shows the index kept it.
	initRcpt, msg := emitInitiatingMessage(t, el, 0, crypto.Keccak256Hash([]byte("s4")), crypto.Keccak256Hash([]byte("s4: before the crash")))
	initBlock := initRcpt.BlockNumber.Uint64()

	// The initiating block is derived from L1 before the crash (its batch is on L1), so
	// whatever the EL loses in the crash, that block comes back the same.
	pre := seq.Node.WaitSync(2*time.Minute, fmt.Sprintf("safe head ≥ %d", initBlock), func(st *SyncStatus) bool {
		return st.SafeL2.Number >= initBlock && st.UnsafeL2.Number > initBlock
	})
	preStatus, err := interopStatus(el, chain.ID)
	sys.must(err)
	preHead := labelHeader(t, el, rpc.LatestBlockNumber)
	t.Logf("%s: before the crash: %s; EL head %d; index %s (%s), initiating log in block %d",
		since(t0), pre, preHead.Number, refString(preStatus.LocalUnsafe), preStatus.State, initBlock)

	el.Kill()
	t.Logf("%s: %s killed (SIGKILL)", since(t0), el.Name)
	time.Sleep(2 * time.Second)
	el.Start()
	// geth writes its database asynchronously (pebble without sync), so a crash may lose the
	// newest blocks, even ones op-node already derived from L1: op-node then rebuilds or
	// re-derives them. Only log where the EL restarted.
	restartHead := labelHeader(t, el, rpc.LatestBlockNumber)
	restartSafe := labelHeader(t, el, rpc.SafeBlockNumber)
	st, err := interopStatus(el, chain.ID)
	sys.must(err)
	sf, err := interopSafety(el, chain.ID)
	sys.must(err)
	t.Logf("%s: restarted: EL head %d, safe %d; index %s (%s%s); interop_safety cross-safe %s", since(t0),
		restartHead.Number, restartSafe.Number, refString(st.LocalUnsafe), st.State, errSuffix(st.Error), refString(sf.CrossSafe))
	// xgeth's interop databases may have kept more of the chain than geth's did; until the
	// follower of the chain starts (about a second after JSON-RPC is served) the index and
	// the safety heads can be above the EL's head. Not asserted (a matter of timing); the
	// index must be back in line below.
	if st.LocalUnsafe != nil && uint64(st.LocalUnsafe.Number) > restartHead.Number.Uint64() ||
		sf.CrossSafe != nil && uint64(sf.CrossSafe.Number) > restartHead.Number.Uint64() {
		t.Logf("NOTE: right after the restart the interop state is above the EL's head %d: index %s (%s), cross-safe %s",
			restartHead.Number, refString(st.LocalUnsafe), st.State, refString(sf.CrossSafe))
	}

	// op-node resumes building on the restarted EL.
	target := pre.UnsafeL2.Number + 5
	post := seq.Node.WaitSync(2*time.Minute, fmt.Sprintf("unsafe ≥ %d", target), func(st *SyncStatus) bool {
		return st.UnsafeL2.Number >= target
	})
	if h := headerAt(t, el, post.UnsafeL2.Number); h.Hash() != post.UnsafeL2.Hash {
		t.Fatalf("EL's block %d is %s, op-node's unsafe head is %s", post.UnsafeL2.Number, h.Hash(), post.UnsafeL2.Hash)
	}
	t.Logf("%s: op-node resumed: %s", since(t0), post)

	// The index reaches the EL's head and holds the EL's blocks.
	sys.Eventually(time.Minute, "index at the EL's head, follower live", func() (bool, string) {
		head, err := tryLabel(el, rpc.LatestBlockNumber)
		if err != nil {
			return false, err.Error()
		}
		st, err := interopStatus(el, chain.ID)
		if err != nil {
			return false, err.Error()
		}
		status := fmt.Sprintf("EL head %d; index %s, %s%s", head.Number, refString(st.LocalUnsafe), st.State, errSuffix(st.Error))
		if st.LocalUnsafe == nil || uint64(st.LocalUnsafe.Number) < head.Number.Uint64() || st.State != "live" || st.Error != "" {
			return false, status
		}
		// A reorg between the two reads would tell them apart for a moment: poll again.
		at := headerAt(t, el, uint64(st.LocalUnsafe.Number))
		same := at.Hash() == st.LocalUnsafe.Hash && at.ParentHash == st.LocalUnsafe.ParentHash
		return same, fmt.Sprintf("%s; EL's block %d is %s", status, at.Number, at.Hash().TerminalString())
	})
	// The initiating block was safe before the crash: once the EL's safe label covers it
	// again, it is the same block.
	WaitLabel(t, el, rpc.SafeBlockNumber, initBlock)
	if h := headerAt(t, el, initBlock); h.Hash() != initRcpt.BlockHash {
		t.Fatalf("block %d is %s after the restart, was %s before the crash (and safe)", initBlock, h.Hash(), initRcpt.BlockHash)
	}
	if h := headerAt(t, el, pre.UnsafeL2.Number); h.Hash() != pre.UnsafeL2.Hash {
		t.Logf("block %d (unsafe before the crash) was rebuilt: %s, was %s", pre.UnsafeL2.Number, h.Hash(), pre.UnsafeL2.Hash)
	}

	// A transaction after the restart executes the pre-crash log (the pool and builder find
	// it in the index) and becomes safe.
	execRcpt := executeMessage(t, el, 1, &msg, "after the restart")
	execBlock := execRcpt.BlockNumber.Uint64()
	t.Logf("%s: after the restart, block %d executes the pre-crash log of block %d", since(t0), execBlock, initBlock)

	// Safety catches up past the pre-crash unsafe head and the new transaction.
	safe := WaitLabel(t, el, rpc.SafeBlockNumber, max(pre.UnsafeL2.Number+1, execBlock))
	t.Logf("%s: EL safe label %d (pre-crash unsafe head %d, transaction block %d)", since(t0), safe.Number, pre.UnsafeL2.Number, execBlock)
	sys.Eventually(time.Minute, "interop_safety cross-safe is the EL's safe block", func() (bool, string) {
		s, err := interopSafety(el, chain.ID)
		if err != nil {
			return false, err.Error()
		}
		h, err := tryLabel(el, rpc.SafeBlockNumber)
		if err != nil {
			return false, err.Error()
		}
		status := fmt.Sprintf("crossSafe %s, EL safe %d (%s)", refString(s.CrossSafe), h.Number, h.Hash().TerminalString())
		return s.CrossSafe != nil && s.CrossSafe.Hash == h.Hash(), status
	})
	if h := headerAt(t, el, execBlock); h.Hash() != execRcpt.BlockHash {
		t.Fatalf("transaction block %d is %s now, was %s", execBlock, h.Hash(), execRcpt.BlockHash)
	}
	if st, err := seq.Node.SyncStatus(); err == nil {
		t.Logf("%s: %s", since(t0), st)
	}
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ", error: " + e
}
