package logindex

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/holiman/uint256"
)

// small caches so that lookups exercise the ring, the read cache and the store.
var smallCaches = Options{RecentBlocks: 8, ReadCache: 16, Retention: NoPruning}

func TestEmpty(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			x, err := Open(s.open(t, t.TempDir()), chainA, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := x.Head(); ok {
				t.Fatal("head of an empty index")
			}
			if _, ok := x.First(); ok {
				t.Fatal("first of an empty index")
			}
			if _, err := x.BlockRef(0); !errors.Is(err, ErrEmpty) {
				t.Fatalf("BlockRef: %v", err)
			}
			if _, _, err := x.LogHash(0, 0); !errors.Is(err, ErrEmpty) {
				t.Fatalf("LogHash: %v", err)
			}
			if _, err := x.ExecMsgs(0); !errors.Is(err, ErrEmpty) {
				t.Fatalf("ExecMsgs: %v", err)
			}
			if err := x.Rewind(0); err != nil {
				t.Fatal(err)
			}
			if n, err := x.Prune(1 << 60); n != 0 || err != nil {
				t.Fatal(n, err)
			}
			if (x.Stats() != Stats{}) {
				t.Fatal(x.Stats())
			}
		})
	}
}

func TestOpenBadChainID(t *testing.T) {
	db := stores[0].open(t, "")
	if _, err := Open(db, nil, Options{}); err == nil {
		t.Fatal("nil chain ID")
	}
	if _, err := Open(db, new(uint256.Int), Options{}); err == nil {
		t.Fatal("zero chain ID")
	}
}

func TestAppendLookupReopen(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			dir := t.TempDir()
			db := s.open(t, dir)
			x, err := Open(db, chainA, smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			blocks := appendChain(t, x, 100, 300, 1)
			checkBlocks(t, x, blocks)
			checkBlocks(t, x, blocks) // again: now partly from the read cache

			head, _ := x.Head()
			first, _ := x.First()
			if head != blocks[len(blocks)-1].BlockRef || first != blocks[0].BlockRef {
				t.Fatalf("head %+v first %+v", head, first)
			}
			if _, err := x.BlockRef(99); !errors.Is(err, ErrPruned) {
				t.Fatalf("below first: %v", err)
			}
			if _, _, err := x.LogHash(400, 0); !errors.Is(err, ErrFuture) {
				t.Fatalf("above head: %v", err)
			}
			if _, _, err := x.LogHash(399, 1000); !errors.Is(err, ErrLogNotFound) {
				t.Fatalf("log past the end: %v", err)
			}
			if _, _, err := x.LogHash(250, 1000); !errors.Is(err, ErrLogNotFound) {
				t.Fatalf("log past the end (cold): %v", err)
			}
			got, err := x.Block(150)
			if err != nil || got.BlockRef != blocks[50].BlockRef || len(got.LogHashes) != len(blocks[50].LogHashes) {
				t.Fatalf("Block(150): %+v %v", got, err)
			}
			st := x.Stats()
			var logs uint64
			for _, b := range blocks {
				logs += uint64(len(b.LogHashes))
			}
			if st.Blocks != 300 || st.Logs != logs || st.Bytes < logs*32 || st.Head != head || st.First != first {
				t.Fatalf("stats %+v, want 300 blocks %d logs", st, logs)
			}

			// Reopen: same content, same stats; appending continues.
			if s.name == "pebble" {
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
				db = s.open(t, dir)
				defer db.Close()
			}
			y, err := Open(db, chainA, smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			if y.Stats() != st {
				t.Fatalf("stats after reopen %+v, want %+v", y.Stats(), st)
			}
			checkBlocks(t, y, blocks)
			more := appendChain(t, y, 0, 10, 1)
			checkBlocks(t, y, more)
		})
	}
}

func TestAppendBad(t *testing.T) {
	db := stores[0].open(t, "")
	x, err := Open(db, chainA, smallCaches)
	if err != nil {
		t.Fatal(err)
	}
	blocks := appendChain(t, x, 10, 5, 1)
	head := blocks[4].BlockRef
	prev := blocks[3].BlockRef
	good := func() *Block { return makeBlock(head, false, 0, head.Timestamp+2, 20, 1, true) }
	cases := []struct {
		name  string
		block func() *Block
		want  error
	}{
		{"nil", func() *Block { return nil }, ErrInvalidBlock},
		{"wrong parent", func() *Block { b := good(); b.ParentHash = common.Hash{1}; return b }, ErrParentMismatch},
		{"gap", func() *Block { b := good(); b.Number++; return b }, ErrParentMismatch},
		{"duplicate head", func() *Block { return blocks[4] }, ErrParentMismatch},
		{"out of order", func() *Block { return makeBlock(prev, false, 0, prev.Timestamp+2, 1, 2, false) }, ErrParentMismatch},
		{"old block", func() *Block { return blocks[0] }, ErrParentMismatch},
		{"timestamp before parent", func() *Block { b := good(); b.Timestamp = head.Timestamp - 1; return b }, ErrInvalidBlock},
		{"exec beyond logs", func() *Block { b := good(); b.ExecMsgs[0].LogIndex = 20; return b }, ErrInvalidBlock},
		{"exec out of order", func() *Block {
			b := good()
			b.ExecMsgs[0], b.ExecMsgs[1] = b.ExecMsgs[1], b.ExecMsgs[0]
			return b
		}, ErrInvalidBlock},
		{"exec repeated", func() *Block { b := good(); b.ExecMsgs[1].LogIndex = b.ExecMsgs[0].LogIndex; return b }, ErrInvalidBlock},
		{"too many logs", func() *Block { b := good(); b.LogHashes = make([]common.Hash, MaxLogsPerBlock+1); return b }, ErrInvalidBlock},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := x.Append(tc.block())
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if h, _ := x.Head(); h != head {
				t.Fatalf("head moved to %+v", h)
			}
			if _, err := x.BlockRef(head.Number + 1); !errors.Is(err, ErrFuture) {
				t.Fatalf("block stored: %v", err)
			}
		})
	}
	// Nothing of it reached the store.
	y, err := Open(db, chainA, smallCaches)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := y.Head(); h != head {
		t.Fatalf("reopened head %+v", h)
	}
	checkBlocks(t, y, blocks)
	if err := y.Append(good()); err != nil {
		t.Fatal(err)
	}
}

func TestRewind(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			db := s.open(t, t.TempDir())
			defer db.Close()
			x, err := Open(db, chainA, smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			blocks := appendChain(t, x, 0, 50, 1)
			checkBlocks(t, x, blocks) // fill the caches with what the rewind replaces

			if err := x.Rewind(60); err != nil { // above the head: nothing
				t.Fatal(err)
			}
			if err := x.Rewind(49); err != nil { // at the head: nothing
				t.Fatal(err)
			}
			if h, _ := x.Head(); h.Number != 49 {
				t.Fatal(h)
			}
			if err := x.Rewind(30); err != nil {
				t.Fatal(err)
			}
			if h, _ := x.Head(); h != blocks[30].BlockRef {
				t.Fatalf("head %+v", h)
			}
			if _, _, err := x.LogHash(31, 0); !errors.Is(err, ErrFuture) {
				t.Fatalf("rewound block: %v", err)
			}
			// The old block 31 no longer extends the head... it does (same parent): the
			// follower may re-append the same chain or a fork.
			fork := appendChain(t, x, 0, 30, 2)
			if fork[0].Number != 31 || fork[0].Hash == blocks[31].Hash {
				t.Fatal("fork not built")
			}
			checkBlocks(t, x, blocks[:31])
			checkBlocks(t, x, fork)
			st := x.Stats()
			if st.Blocks != 61 {
				t.Fatalf("stats %+v", st)
			}

			y, err := Open(db, chainA, smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			checkBlocks(t, y, fork)
			if y.Stats() != st {
				t.Fatalf("stats after reopen %+v, want %+v", y.Stats(), st)
			}

			// Below the first block: the index empties, and starts again anywhere.
			if err := x.Rewind(0); err != nil { // first is 0: keeps block 0
				t.Fatal(err)
			}
			if h, _ := x.Head(); h.Number != 0 {
				t.Fatal(h)
			}
			if _, err := x.Prune(blocks[5].Timestamp); err != nil { // nothing to prune: head is 0
				t.Fatal(err)
			}
			z, err := Open(db, uint256.NewInt(7), smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			zb := appendChain(t, z, 1000, 10, 3)
			if err := z.Rewind(999); err != nil {
				t.Fatal(err)
			}
			if _, ok := z.Head(); ok {
				t.Fatal("rewind below first did not empty")
			}
			if _, err := z.BlockRef(1000); !errors.Is(err, ErrEmpty) {
				t.Fatal(err)
			}
			z2, err := Open(db, uint256.NewInt(7), smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := z2.Head(); ok {
				t.Fatal("reopened emptied index not empty")
			}
			appendChain(t, z2, 5, 3, 4)
			_ = zb
		})
	}
}

func TestPrune(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			db := s.open(t, t.TempDir())
			defer db.Close()
			x, err := Open(db, chainA, smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			blocks := appendChain(t, x, 0, 100, 1) // timestamps 1000, 1002, …
			before := x.Stats()
			n, err := x.Prune(blocks[40].Timestamp)
			if err != nil || n != 40 {
				t.Fatalf("pruned %d, %v", n, err)
			}
			if f, _ := x.First(); f != blocks[40].BlockRef {
				t.Fatalf("first %+v", f)
			}
			if _, _, err := x.LogHash(39, 0); !errors.Is(err, ErrPruned) {
				t.Fatalf("pruned block: %v", err)
			}
			checkBlocks(t, x, blocks[40:])
			st := x.Stats()
			var logs uint64
			for _, b := range blocks[40:] {
				logs += uint64(len(b.LogHashes))
			}
			if st.Blocks != 60 || st.Logs != logs || st.Bytes >= before.Bytes {
				t.Fatalf("stats %+v", st)
			}
			// Between two timestamps: keeps the block at or after it.
			if n, err := x.Prune(blocks[50].Timestamp - 1); err != nil || n != 10 {
				t.Fatalf("pruned %d, %v", n, err)
			}
			// Never the head.
			if n, err := x.Prune(1 << 62); err != nil || n != 49 {
				t.Fatalf("pruned %d, %v", n, err)
			}
			if f, _ := x.First(); f != blocks[99].BlockRef {
				t.Fatalf("first %+v", f)
			}
			y, err := Open(db, chainA, smallCaches)
			if err != nil {
				t.Fatal(err)
			}
			if y.Stats() != x.Stats() || y.Stats().Blocks != 1 {
				t.Fatalf("stats after reopen %+v", y.Stats())
			}
			// Rewinding below the first block empties it.
			if err := y.Rewind(98); err != nil {
				t.Fatal(err)
			}
			if _, ok := y.Head(); ok {
				t.Fatal("not empty")
			}
		})
	}
}

func TestAutoPrune(t *testing.T) {
	db := stores[0].open(t, "")
	// Retention 64 s at 2 s blocks: about 32 blocks, pruned in 2 s chunks.
	x, err := Open(db, chainA, Options{Retention: 64, RecentBlocks: 4})
	if err != nil {
		t.Fatal(err)
	}
	blocks := appendChain(t, x, 0, 200, 1)
	head, _ := x.Head()
	first, _ := x.First()
	if head.Timestamp-first.Timestamp > 64+2 || head.Timestamp-first.Timestamp < 64 {
		t.Fatalf("kept %d s (first %d, head %d)", head.Timestamp-first.Timestamp, first.Number, head.Number)
	}
	checkBlocks(t, x, blocks[first.Number:])
	// The store holds nothing below first.
	for n := uint64(0); n < first.Number; n++ {
		if ok, _ := db.Has(x.recordKey(n)); ok {
			t.Fatalf("record %d left behind", n)
		}
	}
}

func TestChainsShareStore(t *testing.T) {
	db := stores[0].open(t, "")
	ids := []*uint256.Int{
		uint256.NewInt(1),
		uint256.NewInt(256), // key bytes 01 00: must not collide with chain 1
		new(uint256.Int).Add(new(uint256.Int).Lsh(uint256.NewInt(1), 64), uint256.NewInt(1)), // same low 64 bits as 1
		new(uint256.Int).SetAllOne(),
	}
	var (
		idx    []*ChainIndex
		blocks [][]*Block
	)
	for i, id := range ids {
		x, err := Open(db, id, smallCaches)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, x)
		blocks = append(blocks, appendChain(t, x, uint64(i), 20+i, byte(i+1)))
	}
	for i := range ids {
		y, err := Open(db, ids[i], smallCaches)
		if err != nil {
			t.Fatal(err)
		}
		checkBlocks(t, y, blocks[i])
		if y.Stats().Blocks != uint64(20+i) {
			t.Fatalf("chain %d: %+v", i, y.Stats())
		}
	}
	if err := Wipe(db, ids[0]); err != nil {
		t.Fatal(err)
	}
	y, err := Open(db, ids[0], smallCaches)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := y.Head(); ok {
		t.Fatal("wiped chain not empty")
	}
	for i := 1; i < len(ids); i++ {
		y, err := Open(db, ids[i], smallCaches)
		if err != nil {
			t.Fatal(err)
		}
		checkBlocks(t, y, blocks[i])
	}
}

// corrupt opens a 20-block index, lets damage change the store, and returns Open's error.
func corruptAndOpen(t *testing.T, damage func(db ethdb.KeyValueStore, x *ChainIndex)) (*ChainIndex, error) {
	t.Helper()
	db := stores[0].open(t, "")
	x, err := Open(db, chainA, smallCaches)
	if err != nil {
		t.Fatal(err)
	}
	appendChain(t, x, 0, 20, 1)
	damage(db, x)
	return Open(db, chainA, smallCaches)
}

func TestOpenCorrupt(t *testing.T) {
	flip := func(db ethdb.KeyValueStore, key []byte, at int) {
		v, err := db.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		v[at%len(v)] ^= 0x40
		if err := db.Put(key, v); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		damage func(db ethdb.KeyValueStore, x *ChainIndex)
		want   string
	}{
		{"head record garbled", func(db ethdb.KeyValueStore, x *ChainIndex) { flip(db, x.recordKey(19), 50) }, "checksum"},
		{"head record truncated", func(db ethdb.KeyValueStore, x *ChainIndex) {
			v, _ := db.Get(x.recordKey(19))
			db.Put(x.recordKey(19), v[:len(v)-1])
		}, "checksum"},
		{"head record missing", func(db ethdb.KeyValueStore, x *ChainIndex) { db.Delete(x.recordKey(19)) }, "record of block 19 missing"},
		{"first record missing", func(db ethdb.KeyValueStore, x *ChainIndex) { db.Delete(x.recordKey(0)) }, "record of block 0 missing"},
		{"link broken", func(db ethdb.KeyValueStore, x *ChainIndex) {
			// A valid record of another fork in the middle.
			r, _ := x.record(15, false)
			b, _ := r.toBlock()
			b.ParentHash = common.Hash{9}
			db.Put(x.recordKey(15), encodeRecord(nil, b, r.logsBefore, r.bytesBefore))
		}, "parent hash"},
		{"record misplaced", func(db ethdb.KeyValueStore, x *ChainIndex) {
			v, _ := db.Get(x.recordKey(18))
			db.Put(x.recordKey(19), v)
		}, "holds block 18"},
		{"head pointer garbled", func(db ethdb.KeyValueStore, x *ChainIndex) { flip(db, x.metaKey(), 10) }, "head pointer: checksum"},
		{"head pointer short", func(db ethdb.KeyValueStore, x *ChainIndex) { db.Put(x.metaKey(), []byte{1}) }, "head pointer: 1 bytes"},
		{"head pointer hash", func(db ethdb.KeyValueStore, x *ChainIndex) {
			db.Put(x.metaKey(), encodeMeta(0, 19, common.Hash{1}))
		}, "head pointer says"},
		{"first above head", func(db ethdb.KeyValueStore, x *ChainIndex) {
			h, _ := x.Head()
			db.Put(x.metaKey(), encodeMeta(20, 19, h.Hash))
		}, "first block 20 above head 19"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := corruptAndOpen(t, tc.damage)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Wipe") {
				t.Fatalf("error %v, want ErrCorrupt saying %q", err, tc.want)
			}
		})
	}
}

func TestLookupCorrupt(t *testing.T) {
	db := stores[0].open(t, "")
	x, err := Open(db, chainA, Options{RecentBlocks: 2, ReadCache: -1, Retention: NoPruning})
	if err != nil {
		t.Fatal(err)
	}
	appendChain(t, x, 0, 20, 1)
	v, _ := db.Get(x.recordKey(5))
	db.Put(x.recordKey(5), v[:len(v)/2])
	db.Delete(x.recordKey(6))
	if _, _, err := x.LogHash(5, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated record: %v", err)
	}
	if _, err := x.ExecMsgs(5); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated record: %v", err)
	}
	if _, err := x.BlockRef(6); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("missing record: %v", err)
	}
	if _, _, err := x.LogHash(7, 0); err != nil {
		t.Fatalf("intact record: %v", err)
	}
}

func TestOpenRepairsStrays(t *testing.T) {
	// Records outside [first, head] are unreachable by construction; Open deletes them.
	var strays [][]byte
	x, err := corruptAndOpen(t, func(db ethdb.KeyValueStore, x *ChainIndex) {
		if _, err := x.Prune(1010); err != nil { // first becomes 5
			t.Fatal(err)
		}
		for _, n := range []uint64{0, 3, 20, 25, 1 << 40} {
			k := x.recordKey(n)
			db.Put(k, []byte("stray"))
			strays = append(strays, k)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range strays {
		if ok, _ := x.db.Has(k); ok {
			t.Fatalf("stray %x kept", k)
		}
	}
	if st := x.Stats(); st.Blocks != 15 || st.First.Number != 5 {
		t.Fatalf("%+v", st)
	}

	// Records without a head pointer were never committed.
	x, err = corruptAndOpen(t, func(db ethdb.KeyValueStore, x *ChainIndex) { db.Delete(x.metaKey()) })
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := x.Head(); ok {
		t.Fatal("not empty")
	}
	if ok, _ := x.db.Has(x.recordKey(3)); ok {
		t.Fatal("record kept")
	}
}

// TestConcurrentReaders runs lookups while the writer appends, rewinds and prunes; run
// with -race. Every answer must be a whole block of one fork.
func TestConcurrentReaders(t *testing.T) {
	db := stores[0].open(t, "")
	x, err := Open(db, chainA, Options{RecentBlocks: 16, ReadCache: 32, Retention: 400})
	if err != nil {
		t.Fatal(err)
	}
	appendChain(t, x, 0, 50, 1)
	var (
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				head, ok := x.Head()
				if !ok {
					continue
				}
				n := head.Number - uint64(i*7+r)%40
				ref, h, err := x.LogHash(n, 1)
				switch {
				case err == nil:
					if h != logHashAt(ref.Hash, 1) || ref.Number != n {
						t.Errorf("block %d: log hash of another block", n)
						return
					}
				case errors.Is(err, ErrFuture), errors.Is(err, ErrPruned), errors.Is(err, ErrLogNotFound):
				default:
					t.Errorf("LogHash(%d): %v", n, err)
					return
				}
			}
		}(r)
	}
	for i := 0; i < 300; i++ {
		appendChain(t, x, 0, 3, byte(i))
		if i%5 == 4 {
			h, _ := x.Head()
			if err := x.Rewind(h.Number - 4); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
}

func TestReopenFillsRecent(t *testing.T) {
	db := stores[0].open(t, "")
	x, err := Open(db, chainA, Options{RecentBlocks: 4, VerifyDepth: 20})
	if err != nil {
		t.Fatal(err)
	}
	appendChain(t, x, 0, 30, 1)
	y, err := Open(db, chainA, Options{RecentBlocks: 4, VerifyDepth: 20})
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(26); n <= 29; n++ {
		if s := y.recent[n%4]; s.raw == nil || s.ref.Number != n {
			t.Fatalf("block %d not in the ring after Open (slot holds %d)", n, s.ref.Number)
		}
	}
}
