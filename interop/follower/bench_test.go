package follower

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
)

// benchBackfill measures a backfill of b.N blocks of the fake chain (0–3 transactions and
// up to 9 logs a block) through src, end to end: fetch, validate, convert, append to the
// real index over memorydb.
func benchBackfill(b *testing.B, src func(c *fakeChain) Source, fetchAhead int) {
	c := newFakeChain(uint64(b.N))
	logs := 0
	for _, blk := range c.blocks {
		for _, r := range blk.receipts {
			logs += len(r.Logs)
		}
	}
	idx := newIndex(b)
	cfg := testConfig()
	cfg.FetchAhead = fetchAhead
	f, err := New(cfg, src(c), idx)
	if err != nil {
		b.Fatal(err)
	}
	want := c.head().hash()
	b.ReportAllocs()
	b.ResetTimer()
	f.Start()
	waitFor(b, "backfill", func() bool { return f.Status().Head.Hash == want })
	b.StopTimer()
	f.Stop()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N+1)/secs, "blocks/s")
	b.ReportMetric(float64(logs)/secs, "logs/s")
}

func BenchmarkBackfillLocal(b *testing.B) {
	benchBackfill(b, func(c *fakeChain) Source {
		return NewLocalSource(&localChain{c: c}, func(ev headEvent) *types.Header { return ev.header })
	}, 1)
}

func BenchmarkBackfillWS(b *testing.B) {
	benchBackfill(b, func(c *fakeChain) Source {
		return rpcSource(b, startServer(b, c, false).wsURL())
	}, DefaultFetchAhead)
}

func BenchmarkBackfillHTTP(b *testing.B) {
	benchBackfill(b, func(c *fakeChain) Source {
		return rpcSource(b, startServer(b, c, false).httpURL(), WithPollInterval(time.Hour))
	}, DefaultFetchAhead)
}
