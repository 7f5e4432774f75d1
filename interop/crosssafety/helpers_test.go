package crosssafety

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/safety"
)

// The test world: chains 901, 902, 903 (A, B, C), interop active from genesis, 2 s blocks
// (block n has timestamp genesis + 2n on every chain, so the same number means the same
// timestamp), each with a real log index over one memory database, a real checker as the
// verifier, and the engine over them.
const (
	genesis   = 1_000_000
	blockTime = 2
)

var (
	chainA = *uint256.NewInt(901)
	chainB = *uint256.NewInt(902)
	chainC = *uint256.NewInt(903)
)

func ts(n uint64) uint64 { return genesis + blockTime*n }

// entry is one log of a test block: a plain log, or an executing message of the log
// (chain, number, log) of the world (a plain log named by position).
type entry struct {
	exec   bool
	chain  uint256.Int
	number uint64
	log    uint32
	// bad makes the executing message name a payload the log does not have.
	bad bool
}

func plain() entry { return entry{} }

func execOf(chain uint256.Int, number uint64, log uint32) entry {
	return entry{exec: true, chain: chain, number: number, log: log}
}

type world struct {
	t       testing.TB
	db      ethdb.KeyValueStore
	set     *depset.Set
	idx     map[uint256.Int]*logindex.ChainIndex
	checker *checker.Checker
	engine  *Engine
	salt    map[uint256.Int]byte // fork salt of each chain's next blocks
	// follow, when set, are the chains the engine runs over (the others are indexed but
	// unseen by the node: see unseeChains).
	follow []uint256.Int
}

// unseeChains makes the node see only the chains follow: a new checker without the others'
// indexes (they stay in the dependency set) and an engine over follow alone.
func (w *world) unseeChains(follow ...uint256.Int) {
	w.t.Helper()
	w.follow = follow
	indexes := checker.IndexSet{}
	for _, id := range follow {
		indexes[id] = w.idx[id]
	}
	w.checker = checker.New(w.set, indexes, checker.Config{Logger: log.NewLogger(log.DiscardHandler())})
	w.open()
}

func newWorld(t testing.TB, chains ...uint256.Int) *world {
	t.Helper()
	if len(chains) == 0 {
		chains = []uint256.Int{chainA, chainB}
	}
	return newWorldOf(t, chains, blockTime, (*world).add)
}

// newWorldOf is a world of chains with block time bt whose first two blocks (genesis and the
// activation block, no executing messages) are appended by first.
func newWorldOf(t testing.TB, chains []uint256.Int, bt uint64, first func(w *world, chain uint256.Int, logs ...entry) logindex.BlockRef) *world {
	t.Helper()
	var dc []depset.Chain
	for _, id := range chains {
		dc = append(dc, depset.Chain{ID: id, ActivationTime: genesis, BlockTime: bt})
	}
	set, err := depset.New(dc, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: memorydb.New(), set: set, idx: map[uint256.Int]*logindex.ChainIndex{}, salt: map[uint256.Int]byte{}}
	indexes := checker.IndexSet{}
	for _, id := range chains {
		x, err := logindex.Open(w.db, &id, logindex.Options{})
		if err != nil {
			t.Fatal(err)
		}
		w.idx[id] = x
		indexes[id] = x
		first(w, id)
		first(w, id)
	}
	w.checker = checker.New(set, indexes, checker.Config{Logger: log.NewLogger(log.DiscardHandler())})
	w.open()
	return w
}

// resolveFromScratch runs a new engine over cs with every local-safe label at the index
// head, checks that every chain ends cross-safe at its head, and returns the time spent in
// Resolve and the lowest cross-safe head (every timestamp up to it is cross-safe on all).
func resolveFromScratch(b *testing.B, cs []Chain, v Verifier) (time.Duration, uint64) {
	b.Helper()
	e, err := New(Config{Chains: cs, Verifier: v, DB: memorydb.New(), Logger: log.NewLogger(log.DiscardHandler())})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		h, _ := c.Index.Head()
		e.SetLocalSafe(&c.ID, h)
	}
	start := time.Now()
	e.Resolve()
	elapsed := time.Since(start)
	low := uint64(1<<64 - 1)
	for _, c := range cs {
		h, _ := c.Index.Head()
		got, ok, _ := e.Head(&c.ID, safety.Safe)
		if !ok || got != h {
			b.Fatalf("chain %s safe at %d, want %d", c.ID.Dec(), got.Number, h.Number)
		}
		low = min(low, got.Number)
	}
	return elapsed, low
}

// open (re)opens the engine over the world's database.
func (w *world) open() {
	w.t.Helper()
	ids := w.follow
	if ids == nil {
		ids = w.set.ChainIDs()
	}
	var cs []Chain
	for _, id := range ids {
		cs = append(cs, Chain{ID: id, Index: w.idx[id]})
	}
	e, err := New(Config{Chains: cs, Verifier: w.checker, DB: w.db, Logger: log.NewLogger(log.DiscardHandler())})
	if err != nil {
		w.t.Fatal(err)
	}
	w.engine = e
}

// plainLog is the origin and payload hash of plain log i of a block.
func plainLog(chain *uint256.Int, hash common.Hash, i uint32) (common.Address, common.Hash) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], i)
	h := crypto.Keccak256Hash(hash[:], b[:], chain.Bytes())
	return common.BytesToAddress(h[:20]), h
}

// blockHash is the hash of the block at number of chain with salt.
func blockHash(chain *uint256.Int, number uint64, salt byte) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], number)
	return crypto.Keccak256Hash(chain.Bytes(), b[:], []byte{salt})
}

// message is what an executing message naming (chain, number, log) declares, read from
// the index (so it names what is indexed there now).
func (w *world) message(e entry) message.Message {
	w.t.Helper()
	ref, err := w.idx[e.chain].BlockRef(e.number)
	if err != nil {
		// Not indexed (yet): name the block as it would be with the chain's salt.
		ref = logindex.BlockRef{Number: e.number, Hash: blockHash(&e.chain, e.number, w.salt[e.chain]), Timestamp: ts(e.number)}
	}
	origin, msgHash := plainLog(&e.chain, ref.Hash, e.log)
	if e.bad {
		msgHash[0] ^= 1
	}
	return message.Message{
		Identifier: message.Identifier{Origin: origin, BlockNumber: e.number, LogIndex: e.log, Timestamp: ts(e.number), ChainID: e.chain},
		MsgHash:    msgHash,
	}
}

// build makes the next block of chain with the given logs (default: two plain logs).
func (w *world) build(chain uint256.Int, logs ...entry) *logindex.Block {
	w.t.Helper()
	if len(logs) == 0 {
		logs = []entry{plain(), plain()}
	}
	x := w.idx[chain]
	var number uint64
	var parent common.Hash
	if h, ok := x.Head(); ok {
		number, parent = h.Number+1, h.Hash
	}
	b := &logindex.Block{BlockRef: logindex.BlockRef{Number: number, Hash: blockHash(&chain, number, w.salt[chain]), ParentHash: parent, Timestamp: ts(number)}}
	for i, l := range logs {
		if !l.exec {
			origin, msgHash := plainLog(&chain, b.Hash, uint32(i))
			b.LogHashes = append(b.LogHashes, message.LogHash(origin, msgHash))
			continue
		}
		var m message.Message
		if l.chain == chain && l.number == number {
			// A log of this very block.
			origin, msgHash := plainLog(&chain, b.Hash, l.log)
			m = message.Message{Identifier: message.Identifier{Origin: origin, BlockNumber: number, LogIndex: l.log, Timestamp: ts(number), ChainID: chain}, MsgHash: msgHash}
		} else {
			m = w.message(l)
		}
		b.ExecMsgs = append(b.ExecMsgs, logindex.ExecMsg{LogIndex: uint32(i), Msg: m})
		// The ExecutingMessage log's own hash: any value distinct per block and position.
		b.LogHashes = append(b.LogHashes, crypto.Keccak256Hash(b.Hash[:], []byte{byte(i), 0xee}))
	}
	return b
}

// add appends the next block of chain and returns its ref.
func (w *world) add(chain uint256.Int, logs ...entry) logindex.BlockRef {
	w.t.Helper()
	b := w.build(chain, logs...)
	if err := w.idx[chain].Append(b); err != nil {
		w.t.Fatal(err)
	}
	return b.BlockRef
}

// upTo appends plain blocks to chain until its head is number.
func (w *world) upTo(chain uint256.Int, number uint64) {
	w.t.Helper()
	for {
		h, _ := w.idx[chain].Head()
		if h.Number >= number {
			return
		}
		w.add(chain)
	}
}

// replace rewinds chain to number-1 and appends, under a new salt, a block without
// executing messages at number (a deposits-only replacement).
func (w *world) replace(chain uint256.Int, number uint64) logindex.BlockRef {
	w.t.Helper()
	if err := w.idx[chain].Rewind(number - 1); err != nil {
		w.t.Fatal(err)
	}
	w.salt[chain]++
	return w.add(chain, plain())
}

// resolve runs the engine until it waits and returns the decisions.
func (w *world) resolve() []Decision {
	w.t.Helper()
	ds, _ := w.engine.Resolve()
	return ds
}

// head is chain's head at level (number; -1 for none).
func (w *world) head(chain uint256.Int, level string) int64 {
	w.t.Helper()
	hs, err := w.engine.Heads(&chain)
	if err != nil {
		w.t.Fatal(err)
	}
	var r *logindex.BlockRef
	switch level {
	case "cross-unsafe":
		r = hs.CrossUnsafe
	case "safe":
		r = hs.CrossSafe
	case "finalized":
		r = hs.Finalized
	case "unsafe":
		r = hs.LocalUnsafe
	default:
		w.t.Fatalf("level %q", level)
	}
	if r == nil {
		return -1
	}
	return int64(r.Number)
}

func (w *world) ref(chain uint256.Int, number uint64) logindex.BlockRef {
	w.t.Helper()
	r, err := w.idx[chain].BlockRef(number)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func (w *world) denied(chain uint256.Int, number uint64) bool {
	w.t.Helper()
	r, err := w.idx[chain].BlockRef(number)
	if err != nil {
		w.t.Fatal(err)
	}
	ok, err := w.engine.IsDenied(&chain, number, r.Hash)
	if err != nil {
		w.t.Fatal(err)
	}
	return ok
}
