package checker

import (
	"context"
	"flag"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/safety"
)

// -checker.metrics runs the tests and benchmarks with go-ethereum metrics enabled (as a
// node started with --metrics), to measure what recording them costs on the hot path.
var withMetrics = flag.Bool("checker.metrics", false, "enable go-ethereum metrics (measure their cost)")

func TestMain(m *testing.M) {
	flag.Parse()
	if *withMetrics {
		metrics.Enable()
	}
	os.Exit(m.Run())
}

// benchList is n valid messages spread over chains A, B and the big chain (whose entries
// carry the chain-ID extension every third message), blocks 20–40 and every log.
func benchList(n int) []common.Hash {
	chains := []struct {
		id    [4]uint64
		first uint64
	}{{chainA, 11}, {chainB, prunedBelow}, {chainBig, 11}}
	accesses := make([]accesslist.Access, n)
	for i := range accesses {
		c := chains[i%len(chains)]
		span := uint64(headBlock) - c.first + 1
		accesses[i] = accessAt(c.id, c.first+uint64(i/3)%span, uint32(i%logsPerBlock))
	}
	return accesslist.Encode(accesses)
}

func benchCheck(b *testing.B, messages int) { benchCheckCfg(b, messages, Config{}) }

func benchCheckCfg(b *testing.B, messages int, cfg Config) {
	w := newWorld(b, cfg)
	entries := benchList(messages)
	ctx, d := context.Background(), desc(nextTS)
	if err := w.checker.CheckAccessList(ctx, entries, safety.CrossUnsafe, d); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.checker.CheckAccessList(ctx, entries, safety.CrossUnsafe, d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(messages), "ns/msg")
}

// BenchmarkCheckAccessList1 is the pool's common case: one message, warm index. The
// floor is three keccaks (two for the checksum, none other) plus one lookup.
func BenchmarkCheckAccessList1(b *testing.B)    { benchCheck(b, 1) }
func BenchmarkCheckAccessList10(b *testing.B)   { benchCheck(b, 10) }
func BenchmarkCheckAccessList1000(b *testing.B) { benchCheck(b, 1000) }

// BenchmarkCheckAccessListCluster10 is BenchmarkCheckAccessList10 with per-chain dependency
// sets (a full mesh of the world's chains): the cost of the executing chain's own set.
func BenchmarkCheckAccessListCluster10(b *testing.B) {
	g, err := cluster.FullMesh([]uint256.Int{chainA, chainB, chainC, chainE, chainBig})
	if err != nil {
		b.Fatal(err)
	}
	benchCheckCfg(b, 10, Config{Cluster: g})
}

// BenchmarkCheckAccessListLatency1 times every call of the one-message check and reports
// the median and 99th percentile, which a mean hides (GC pauses, pool refills).
func BenchmarkCheckAccessListLatency1(b *testing.B) {
	w := newWorld(b, Config{})
	entries := benchList(1)
	ctx, d := context.Background(), desc(nextTS)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		err := w.checker.CheckAccessList(ctx, entries, safety.CrossUnsafe, d)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
}

// BenchmarkCheckAccessListRejectMalformed3000 is the cost of turning away a list at the
// size cap that is malformed at its end: it must stay a linear scan without lookups or
// allocation beyond the error.
func BenchmarkCheckAccessListRejectMalformed3000(b *testing.B) {
	w := newWorld(b, Config{})
	entries := benchList(1500)[:DefaultMaxEntries-1]
	entries = append(entries, common.Hash{0x01}) // a lookup without its checksum
	ctx, d := context.Background(), desc(nextTS)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.checker.CheckAccessList(ctx, entries, safety.CrossUnsafe, d); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkCheckAccessListRejectChecksum is a one-message list with a wrong checksum: the
// full path plus building the error.
func BenchmarkCheckAccessListRejectChecksum(b *testing.B) {
	w := newWorld(b, Config{})
	a := accessAt(chainA, 20, 1)
	a.Checksum[31] ^= 1
	entries := enc(a)
	ctx, d := context.Background(), desc(nextTS)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.checker.CheckAccessList(ctx, entries, safety.CrossUnsafe, d); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkVerifyBlockExecMsgs10 verifies a block with ten executing messages.
func BenchmarkVerifyBlockExecMsgs10(b *testing.B) {
	w := newWorld(b, Config{})
	block := execBlock(headBlock)
	for i := 0; i < 10; i++ {
		block.ExecMsgs = append(block.ExecMsgs, execBlock(0, msgAt(chainA, 20+uint64(i), uint32(i%logsPerBlock))).ExecMsgs...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v := w.checker.VerifyBlockExecMsgs(&chainB, block); v.Status != Valid {
			b.Fatal(v.Err)
		}
	}
}

// BenchmarkRecordCheck is what the metrics of one check cost as CheckAccessList records
// them: the counters, and with -checker.metrics the sampled clock reads and latency
// histogram update.
func BenchmarkRecordCheck(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var start time.Time
		if metrics.Enabled() && sampleLatency() {
			start = time.Now()
		}
		recordCheck(reasonOK, start)
	}
}

// BenchmarkRecordCheckUnsampled is the cost of timing every check, for comparison: why
// the latency is sampled.
func BenchmarkRecordCheckUnsampled(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var start time.Time
		if metrics.Enabled() {
			start = time.Now()
		}
		recordCheck(reasonOK, start)
	}
}
