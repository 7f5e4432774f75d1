package crosssafety

import (
	"testing"
	"time"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/logindex"
)

// The cluster benchmark's shape (issue 10, "many chains"): 50 chains in a full mesh, 1 s
// blocks, every block after the activation block emitting clusterExecs executing messages.
const (
	clusterChains = 50
	clusterExecs  = 20
	// clusterPlain plain logs open every block: the logs the other chains execute.
	clusterPlain = 5
	// clusterBack: a message names a block 1..clusterBack seconds back.
	clusterBack = 3
	// Every clusterSameEvery-th chain also executes a log of the chain before it at the
	// same timestamp (always a lower chain, so no cycle): groups of two blocks.
	clusterSameEvery = 10
)

// newClusterWorld is newWorld with n chains (IDs 10001…) and 1 s blocks: block n has
// timestamp genesis + n on every chain. The helpers build blocks at 2 s (ts); addAt1s
// re-times them. Block time enters only the activation rule, so the engine does the same
// work per timestamp either way; the benchmark keeps the cluster's real timing anyway.
func newClusterWorld(tb testing.TB, n int) *world {
	tb.Helper()
	ids := make([]uint256.Int, n)
	for i := range ids {
		ids[i].SetUint64(uint64(10_001 + i))
	}
	return newWorldOf(tb, ids, 1, (*world).addAt1s)
}

// addAt1s is add with 1 s blocks: the block and the identifiers of its messages carry
// timestamp genesis + number (hashes and logs do not depend on the timestamp).
func (w *world) addAt1s(chain uint256.Int, logs ...entry) logindex.BlockRef {
	w.t.Helper()
	b := w.build(chain, logs...)
	b.Timestamp = genesis + b.Number
	for i := range b.ExecMsgs {
		id := &b.ExecMsgs[i].Msg.Identifier
		id.Timestamp = genesis + id.BlockNumber
	}
	if err := w.idx[chain].Append(b); err != nil {
		w.t.Fatal(err)
	}
	return b.BlockRef
}

// clusterLogs are the logs of block num of chain ci of chains: clusterPlain plain logs,
// then clusterExecs messages, each naming a plain log of a block 1..clusterBack seconds
// back on another chain (spread over the mesh), and for every clusterSameEvery-th chain
// one more naming a log of the previous chain's block of the same timestamp.
func clusterLogs(chains []uint256.Int, ci int, num uint64) []entry {
	n := len(chains)
	logs := make([]entry, 0, clusterPlain+clusterExecs+1)
	for i := 0; i < clusterPlain; i++ {
		logs = append(logs, plain())
	}
	// The activation block (1) initiates nothing: messages start at block 3.
	for k := 0; k < clusterExecs && num > 2; k++ {
		back := 1 + uint64(k%clusterBack)
		if back > num-2 {
			back = num - 2
		}
		src := (ci + 1 + (k*7+int(num))%(n-1)) % n
		logs = append(logs, execOf(chains[src], num-back, uint32(k%clusterPlain)))
	}
	if ci%clusterSameEvery == 1 && num > 1 {
		logs = append(logs, execOf(chains[ci-1], num, uint32(ci%clusterPlain)))
	}
	return logs
}

// BenchmarkCluster50FullMesh measures how many timestamps per second the engine makes
// cross-safe on 50 chains in a full mesh (1 s blocks, 20 executing messages per block, a
// few same-timestamp messages) when it starts from scratch: the indexes hold every block
// and the local-safe labels are at the heads; one op is a new engine resolving cross-unsafe
// and then cross-safe up to the heads. timestamps/s counts the timestamps at which every
// chain ended cross-safe, over the time spent in Resolve; building the data is not timed.
func BenchmarkCluster50FullMesh(b *testing.B) {
	const timestamps = 150 // blocks 2…151 on every chain, after genesis and activation
	w := newClusterWorld(b, clusterChains)
	chains := w.set.ChainIDs()
	executing := 0 // blocks with executing messages: those the engine has verified
	for num := uint64(2); num < timestamps+2; num++ {
		for ci, c := range chains {
			logs := clusterLogs(chains, ci, num)
			if len(logs) > clusterPlain {
				executing++
			}
			w.addAt1s(c, logs...)
		}
	}
	var cs []Chain
	for _, c := range chains {
		cs = append(cs, Chain{ID: c, Index: w.idx[c]})
	}
	verifier := &countingVerifier{Verifier: w.checker}
	b.ResetTimer()
	var (
		elapsed time.Duration
		done    uint64
	)
	for b.Loop() {
		took, low := resolveFromScratch(b, cs, verifier)
		elapsed += took
		done += low + 1 // blocks 0…low
	}
	b.ReportMetric(float64(done)/elapsed.Seconds(), "timestamps/s")
	// How often the engine asks for the verdict of a block with executing messages: once is
	// the floor.
	b.ReportMetric(float64(verifier.calls)/float64(b.N*executing), "verifies/block")
}

// countingVerifier counts the verdicts the engine asks for.
type countingVerifier struct {
	Verifier
	calls int
}

func (v *countingVerifier) VerifyBlockExecMsgs(chain *uint256.Int, block *logindex.Block) checker.Verdict {
	v.calls++
	return v.Verifier.VerifyBlockExecMsgs(chain, block)
}
