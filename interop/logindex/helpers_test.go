package logindex

import (
	"encoding/binary"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/message"
)

var chainA = uint256.NewInt(901)

// blockHash derives a block's hash from its parent, number and a fork salt, so forks at
// the same height differ and a test can recompute what it expects.
func blockHash(parent common.Hash, number uint64, salt byte) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], number)
	return crypto.Keccak256Hash(parent[:], b[:], []byte{salt})
}

// logHashAt is the i-th log hash of the block with hash h.
func logHashAt(h common.Hash, i int) common.Hash {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(i))
	return crypto.Keccak256Hash(h[:], b[:])
}

// makeBlock builds the child of parent with nLogs logs; every 7th log is an executing
// message when withExec.
func makeBlock(parent BlockRef, first bool, number uint64, ts uint64, nLogs int, salt byte, withExec bool) *Block {
	b := &Block{BlockRef: BlockRef{Number: number, ParentHash: parent.Hash, Timestamp: ts}}
	if !first {
		b.Number = parent.Number + 1
	}
	b.Hash = blockHash(b.ParentHash, b.Number, salt)
	b.LogHashes = make([]common.Hash, nLogs)
	for i := range b.LogHashes {
		b.LogHashes[i] = logHashAt(b.Hash, i)
		if withExec && i%7 == 3 {
			cid := uint256.NewInt(uint64(i) + 902)
			if i%2 == 1 {
				cid.Lsh(cid, 200) // a chain ID beyond 64 bits
			}
			b.ExecMsgs = append(b.ExecMsgs, ExecMsg{
				LogIndex: uint32(i),
				Msg: message.Message{
					Identifier: message.Identifier{
						Origin:      common.BytesToAddress(b.LogHashes[i][:20]),
						BlockNumber: b.Number * 3,
						LogIndex:    uint32(i) * 1000,
						Timestamp:   ts - 1,
						ChainID:     *cid,
					},
					MsgHash: crypto.Keccak256Hash(b.LogHashes[i][:]),
				},
			})
		}
	}
	return b
}

// appendChain appends n blocks on the head of x (or from number start when empty), with
// timestamps 2 s apart and 0..5 logs, and returns them.
func appendChain(t testing.TB, x *ChainIndex, start uint64, n int, salt byte) []*Block {
	t.Helper()
	head, ok := x.Head()
	out := make([]*Block, 0, n)
	for i := 0; i < n; i++ {
		var b *Block
		if !ok {
			b = makeBlock(BlockRef{Hash: common.Hash{salt}}, true, start, 1000+2*start, i%6, salt, true)
			ok = true
		} else {
			b = makeBlock(head, false, 0, head.Timestamp+2, int(head.Number+uint64(i))%6, salt, true)
		}
		if err := x.Append(b); err != nil {
			t.Fatalf("append %d: %v", b.Number, err)
		}
		head = b.BlockRef
		out = append(out, b)
	}
	return out
}

type testStore struct {
	name string
	open func(t testing.TB, dir string) ethdb.KeyValueStore
}

func openPebble(t testing.TB, dir string) ethdb.KeyValueStore {
	t.Helper()
	db, err := pebble.New(dir, 16, 16, "", false)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// stores are the backends every behavioural test runs on. memorydb ignores dir.
var stores = []testStore{
	{"memorydb", func(testing.TB, string) ethdb.KeyValueStore { return memorydb.New() }},
	{"pebble", openPebble},
}

// checkBlocks asserts that x holds exactly want (in order) with the right content.
func checkBlocks(t *testing.T, x *ChainIndex, want []*Block) {
	t.Helper()
	for _, b := range want {
		ref, err := x.BlockRef(b.Number)
		if err != nil || ref != b.BlockRef {
			t.Fatalf("BlockRef(%d) = %+v, %v; want %+v", b.Number, ref, err, b.BlockRef)
		}
		for i, h := range b.LogHashes {
			ref, got, err := x.LogHash(b.Number, uint32(i))
			if err != nil || got != h || ref != b.BlockRef {
				t.Fatalf("LogHash(%d, %d) = %x, %v", b.Number, i, got, err)
			}
		}
		if _, _, err := x.LogHash(b.Number, uint32(len(b.LogHashes))); err == nil {
			t.Fatalf("LogHash(%d, %d) past the last log succeeded", b.Number, len(b.LogHashes))
		}
		execs, err := x.ExecMsgs(b.Number)
		if err != nil || len(execs) != len(b.ExecMsgs) {
			t.Fatalf("ExecMsgs(%d): %d, %v; want %d", b.Number, len(execs), err, len(b.ExecMsgs))
		}
		for i := range execs {
			if execs[i] != b.ExecMsgs[i] {
				t.Fatalf("ExecMsgs(%d)[%d] = %+v, want %+v", b.Number, i, execs[i], b.ExecMsgs[i])
			}
		}
	}
}
