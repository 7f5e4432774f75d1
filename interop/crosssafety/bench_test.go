package crosssafety

import (
	"testing"
	"time"

	"github.com/holiman/uint256"
)

var chainD = *uint256.NewInt(904)

// catchUpWorld is four chains with n timestamps of blocks indexed, each block emitting
// execs executing messages that name plain logs of the other chains' previous blocks.
func catchUpWorld(b *testing.B, n uint64, execs int) *world {
	b.Helper()
	chains := []uint256.Int{chainA, chainB, chainC, chainD}
	w := newWorld(b, chains...)
	for num := uint64(2); num < n+2; num++ {
		for ci, c := range chains {
			logs := make([]entry, 0, execs+execs/4)
			for i := 0; i < execs/4; i++ {
				logs = append(logs, plain())
			}
			for i := 0; i < execs && num > 2; i++ {
				src := chains[(ci+1+i%3)%4]
				logs = append(logs, execOf(src, num-1, uint32(i%(execs/4))))
			}
			w.add(c, logs...)
		}
	}
	return w
}

// BenchmarkCatchUp measures how many timestamps per second the engine resolves when it
// starts behind: four chains, 2 s blocks, 100 executing messages per block, every block
// promoted to cross-unsafe and then cross-safe (local-safe labels at the heads).
func BenchmarkCatchUp(b *testing.B) {
	const timestamps = 500
	w := catchUpWorld(b, timestamps, 100)
	var cs []Chain
	for _, c := range w.set.Chains() {
		cs = append(cs, Chain{ID: c.ID, Index: w.idx[c.ID]})
	}
	b.ResetTimer()
	var elapsed time.Duration
	for b.Loop() {
		took, _ := resolveFromScratch(b, cs, w.checker)
		elapsed += took
	}
	b.ReportMetric(float64(timestamps*b.N)/elapsed.Seconds(), "timestamps/s")
}

// BenchmarkTipDecision measures the decision latency at the tip: from a new block with 100
// executing messages arriving in the index to the engine having promoted it.
func BenchmarkTipDecision(b *testing.B) {
	w := catchUpWorld(b, 4, 100)
	w.resolve()
	chains := []uint256.Int{chainA, chainB, chainC, chainD}
	var elapsed time.Duration
	for b.Loop() {
		// Each round appends one block on every chain, then times the last one's decision.
		for ci, c := range chains {
			h, _ := w.idx[c].Head()
			logs := make([]entry, 0, 125)
			for i := 0; i < 25; i++ {
				logs = append(logs, plain())
			}
			for i := 0; i < 100; i++ {
				logs = append(logs, execOf(chains[(ci+1+i%3)%4], h.Number, uint32(i%25)))
			}
			w.add(c, logs...)
			if ci < len(chains)-1 {
				w.resolve()
			}
		}
		start := time.Now()
		w.engine.Resolve()
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N), "µs/decision")
}
