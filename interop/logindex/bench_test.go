package logindex

import (
	"encoding/binary"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/message"
)

const benchLogs = 100

// blockFeed produces a chain of blocks with 100 random log hashes and one executing
// message each, cheaply: log-hash sets are drawn from a pre-built pool and block hashes
// are counters, so the benchmark measures the index, not the generator.
type blockFeed struct {
	pool   [][]common.Hash
	head   BlockRef
	number uint64
	block  Block
	exec   [1]ExecMsg
}

func newBlockFeed() *blockFeed {
	rng := rand.New(rand.NewPCG(1, 2))
	f := &blockFeed{pool: make([][]common.Hash, 64)}
	for i := range f.pool {
		f.pool[i] = make([]common.Hash, benchLogs)
		for j := range f.pool[i] {
			for k := 0; k < 32; k += 8 {
				binary.LittleEndian.PutUint64(f.pool[i][j][k:], rng.Uint64())
			}
		}
	}
	f.exec[0] = ExecMsg{LogIndex: 42, Msg: message.Message{
		Identifier: message.Identifier{
			Origin: common.Address{0x42}, BlockNumber: 12_345_678, LogIndex: 17, Timestamp: 1_750_000_000,
			ChainID: *uint256.NewInt(902),
		},
		MsgHash: common.Hash{0x99, 1, 2, 3},
	}}
	return f
}

// next is the next block; it is valid until the following call.
func (f *blockFeed) next() *Block {
	f.number++
	b := &f.block
	b.Number = f.number
	b.ParentHash = f.head.Hash
	binary.BigEndian.PutUint64(b.Hash[:], f.number)
	b.Hash[31] = 0x77
	b.Timestamp = 1_750_000_000 + 2*f.number
	b.LogHashes = f.pool[f.number%uint64(len(f.pool))]
	b.ExecMsgs = f.exec[:]
	f.head = b.BlockRef
	return b
}

func benchStores() []testStore {
	return []testStore{
		{"memorydb", func(testing.TB, string) ethdb.KeyValueStore { return memorydb.New() }},
		{"pebble", openPebble},
	}
}

// BenchmarkAppend100Logs appends blocks of 100 logs (and one executing message) and
// reports logs/s on one goroutine. The retention is two hours of 2 s blocks, so the
// figure includes the steady-state pruning (and memory stays bounded for large b.N).
func BenchmarkAppend100Logs(b *testing.B) {
	for _, s := range benchStores() {
		b.Run(s.name, func(b *testing.B) {
			db := s.open(b, b.TempDir())
			defer db.Close()
			x, err := Open(db, chainA, Options{Retention: 7200})
			if err != nil {
				b.Fatal(err)
			}
			feed := newBlockFeed()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := x.Append(feed.next()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchLogs)/b.Elapsed().Seconds(), "logs/s")
		})
	}
}

// fillIndex appends n blocks of 100 logs.
func fillIndex(b *testing.B, x *ChainIndex, n int) *blockFeed {
	feed := newBlockFeed()
	for i := 0; i < n; i++ {
		if err := x.Append(feed.next()); err != nil {
			b.Fatal(err)
		}
	}
	return feed
}

// BenchmarkLogHashLookupWarm looks up logs of the newest blocks (the in-memory ring).
func BenchmarkLogHashLookupWarm(b *testing.B) {
	x, err := Open(memorydb.New(), chainA, Options{})
	if err != nil {
		b.Fatal(err)
	}
	fillIndex(b, x, 1000)
	head, _ := x.Head()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := head.Number - uint64(i%DefaultRecentBlocks)
		if _, _, err := x.LogHash(n, uint32(i%benchLogs)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogHashLookupWarmParallel is the warm lookup from all cores at once (the pool,
// the builder and RPC callers share one index).
func BenchmarkLogHashLookupWarmParallel(b *testing.B) {
	x, err := Open(memorydb.New(), chainA, Options{})
	if err != nil {
		b.Fatal(err)
	}
	fillIndex(b, x, 1000)
	head, _ := x.Head()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, _, err := x.LogHash(head.Number-uint64(i%DefaultRecentBlocks), uint32(i%benchLogs)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLogHashLookupCold looks up logs of random blocks among 10,000 (33 MB) with
// every in-memory cache of the index disabled: one store Get, a checksum over the ~3.3 KB
// record and a slice. pebble-16MiB has a block cache smaller than the data (most Gets read
// the file through the OS page cache), pebble-256MiB holds it all. The store is compacted
// first so that background compactions do not run during the measurement.
func BenchmarkLogHashLookupCold(b *testing.B) {
	cases := append(benchStores(), testStore{"pebble-256MiB", func(tb testing.TB, dir string) ethdb.KeyValueStore {
		db, err := pebble.New(dir, 256, 16, "", false)
		if err != nil {
			tb.Fatal(err)
		}
		return db
	}})
	cases[1].name = "pebble-16MiB"
	for _, s := range cases {
		b.Run(s.name, func(b *testing.B) {
			db := s.open(b, b.TempDir())
			defer db.Close()
			x, err := Open(db, chainA, Options{RecentBlocks: 1, ReadCache: -1})
			if err != nil {
				b.Fatal(err)
			}
			const blocks = 10_000
			fillIndex(b, x, blocks)
			if err := db.Compact(nil, nil); err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := 1 + rng.Uint64N(blocks-1) // never the head, which is always in memory
				if _, _, err := x.LogHash(n, uint32(i%benchLogs)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLogHashLookupReadCache looks up logs of older blocks that the read cache holds
// (the pool re-checking its transactions after every block).
func BenchmarkLogHashLookupReadCache(b *testing.B) {
	x, err := Open(memorydb.New(), chainA, Options{RecentBlocks: 1})
	if err != nil {
		b.Fatal(err)
	}
	fillIndex(b, x, 2000)
	for n := uint64(1); n <= 512; n++ {
		if _, _, err := x.LogHash(n, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := x.LogHash(1+uint64(i%512), uint32(i%benchLogs)); err != nil {
			b.Fatal(err)
		}
	}
}

// diskUsage sums the files of a pebble directory: all of them (what du reports:
// allocated and apparent size) and the sstables alone.
func diskUsage(tb testing.TB, dir string) (du, apparent, sst int64) {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		du += allocated(fi)
		apparent += fi.Size()
		if strings.HasSuffix(path, ".sst") {
			sst += fi.Size()
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return du, apparent, sst
}

// diskFigures are bytes per log on disk.
type diskFigures struct {
	du, apparent, sst float64 // steady state: after compaction and a reopen
	duWithWAL         float64 // right after compaction and close, recycled logs included
}

// writeAndMeasure writes blocks blocks of 100 logs (one executing message each) to a
// fresh pebble store in dir, compacts and closes it, and returns the disk usage per log.
func writeAndMeasure(tb testing.TB, dir string, blocks int) diskFigures {
	db := openPebble(tb, dir)
	x, err := Open(db, chainA, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	feed := newBlockFeed()
	for i := 0; i < blocks; i++ {
		if err := x.Append(feed.next()); err != nil {
			tb.Fatal(err)
		}
	}
	// Flush the memtable and compact into sstables, then close. pebble keeps the flushed
	// write-ahead logs for recycling (a few MiB per store, whatever it holds) until the
	// next open deletes them: measure before and after a reopen.
	if err := db.Compact(nil, nil); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	logs := float64(blocks * benchLogs)
	var f diskFigures
	du, _, _ := diskUsage(tb, dir)
	f.duWithWAL = float64(du) / logs
	if err := openPebble(tb, dir).Close(); err != nil {
		tb.Fatal(err)
	}
	du, app, sst := diskUsage(tb, dir)
	f.du, f.apparent, f.sst = float64(du)/logs, float64(app)/logs, float64(sst)/logs
	return f
}

// BenchmarkDiskBytesPerLog measures the on-disk size of 10,000 blocks of 100 logs (and
// one executing message each) in a real pebble store (go-ethereum's ethdb/pebble),
// compacted: du-bytes/log counts the allocated space of every file of the store after a
// reopen, file-bytes/log their apparent size, sst-bytes/log the sstables alone, and
// du+wal-bytes/log every file before the reopen, with the recycled write-ahead logs.
// Run with -benchtime=1x.
func BenchmarkDiskBytesPerLog(b *testing.B) {
	for i := 0; i < b.N; i++ {
		f := writeAndMeasure(b, b.TempDir(), 10_000)
		b.ReportMetric(f.du, "du-bytes/log")
		b.ReportMetric(f.apparent, "file-bytes/log")
		b.ReportMetric(f.sst, "sst-bytes/log")
		b.ReportMetric(f.duWithWAL, "du+wal-bytes/log")
	}
}

// TestDiskBytesPerLog holds the index to its size budget: at most 40 bytes per log on
// disk, averaged over blocks of 100 logs.
func TestDiskBytesPerLog(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2,000 blocks to disk")
	}
	f := writeAndMeasure(t, t.TempDir(), 2_000)
	t.Logf("du %.2f, files %.2f, sstables %.2f, before reopen %.2f bytes/log", f.du, f.apparent, f.sst, f.duWithWAL)
	if f.apparent > 40 || f.sst > 40 {
		t.Fatalf("%.2f bytes/log on disk (sstables %.2f), budget 40", f.apparent, f.sst)
	}
}
