package checker

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/safety"
)

// reader is the real log index of one chain wrapped to count every Reader call (shared
// by all chains of a test world, so a test can assert that a check made no lookup) and
// to inject corruption at chosen block numbers.
type reader struct {
	*logindex.ChainIndex
	calls   *atomic.Int64
	corrupt map[uint64]bool
}

func (r *reader) injected(number uint64) error {
	if r.corrupt[number] {
		return fmt.Errorf("%w: record of block %d (injected)", logindex.ErrCorrupt, number)
	}
	return nil
}

func (r *reader) Head() (logindex.BlockRef, bool) {
	r.calls.Add(1)
	return r.ChainIndex.Head()
}

func (r *reader) First() (logindex.BlockRef, bool) {
	r.calls.Add(1)
	return r.ChainIndex.First()
}

func (r *reader) BlockRef(number uint64) (logindex.BlockRef, error) {
	r.calls.Add(1)
	if err := r.injected(number); err != nil {
		return logindex.BlockRef{}, err
	}
	return r.ChainIndex.BlockRef(number)
}

func (r *reader) LogHash(number uint64, logIndex uint32) (logindex.BlockRef, common.Hash, error) {
	r.calls.Add(1)
	if err := r.injected(number); err != nil {
		return logindex.BlockRef{}, common.Hash{}, err
	}
	return r.ChainIndex.LogHash(number, logIndex)
}

func (r *reader) ExecMsgs(number uint64) ([]logindex.ExecMsg, error) {
	r.calls.Add(1)
	if err := r.injected(number); err != nil {
		return nil, err
	}
	return r.ChainIndex.ExecMsgs(number)
}

// indexes maps chains to their index and counts Index calls in the same counter.
type indexes struct {
	byChain map[uint256.Int]*reader
	calls   *atomic.Int64
}

func (x *indexes) Index(chain *uint256.Int) (logindex.Reader, bool) {
	x.calls.Add(1)
	idx, ok := x.byChain[*chain]
	if !ok {
		return nil, false
	}
	return idx, true
}

// openIndex opens the real index of chain over db (one store shared by the chains of a
// world, as in a node) and appends blocks.
func openIndex(t testing.TB, db ethdb.KeyValueStore, chain uint256.Int, calls *atomic.Int64, blocks ...*logindex.Block) *reader {
	t.Helper()
	x, err := logindex.Open(db, &chain, logindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if err := x.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	return &reader{ChainIndex: x, calls: calls, corrupt: map[uint64]bool{}}
}

// The test world. Chain A and B (and the big chain, whose ID needs the chain-ID
// extension) activate at activationTime with a block time of 2 s: block n has timestamp
// genesisTime + 2n, the activation block is block activationBlock, and the first block
// that may initiate or execute messages is activationBlock+1. Every chain's index holds
// blocks up to headBlock in the real logindex over one memory database; chain B's index
// starts at prunedBelow (the blocks below are "pruned"). Chain C is in the set but has no
// index; chain E is in the set with an empty index.
const (
	genesisTime     = 1_000_000
	blockTime       = 2
	activationBlock = 10
	activationTime  = genesisTime + blockTime*activationBlock // the activation block's timestamp
	prunedBelow     = 20                                      // chain B's oldest retained block
	headBlock       = 40                                      // newest indexed block
	logsPerBlock    = 3
)

var (
	chainA   = *uint256.NewInt(901)
	chainB   = *uint256.NewInt(902)
	chainC   = *uint256.NewInt(903) // in the set, no index opened
	chainE   = *uint256.NewInt(904) // in the set, nothing indexed yet
	chainBig = func() uint256.Int { // ≥ 2^64: its lookups need a type-2 extension
		v := uint256.MustFromHex("0x1000000000000000000000000000000000000000000000000000000000000385")
		return *v
	}()
	chainOut = *uint256.NewInt(999) // not in the set
)

// blockTS is the timestamp of block n of every chain of the test world.
func blockTS(n uint64) uint64 { return genesisTime + blockTime*n }

// testOrigin and testMsgHash give every log of the world a distinct origin and payload.
func testOrigin(chain *uint256.Int, n uint64, i uint32) common.Address {
	var a common.Address
	binary.BigEndian.PutUint64(a[0:8], chain.Uint64())
	binary.BigEndian.PutUint64(a[8:16], n)
	binary.BigEndian.PutUint32(a[16:20], i)
	return a
}

func testMsgHash(chain *uint256.Int, n uint64, i uint32) common.Hash {
	b := chain.Bytes32()
	var buf [44]byte
	copy(buf[:32], b[:])
	binary.BigEndian.PutUint64(buf[32:40], n)
	binary.BigEndian.PutUint32(buf[40:44], i)
	return crypto.Keccak256Hash(buf[:])
}

func blockHash(chain *uint256.Int, n uint64) common.Hash {
	b := chain.Bytes32()
	var buf [40]byte
	copy(buf[:32], b[:])
	binary.BigEndian.PutUint64(buf[32:], n)
	return crypto.Keccak256Hash(buf[:])
}

// testBlock is block n of chain with logsPerBlock logs.
func testBlock(chain *uint256.Int, n uint64) *logindex.Block {
	b := &logindex.Block{BlockRef: logindex.BlockRef{
		Number: n, Hash: blockHash(chain, n), ParentHash: blockHash(chain, n-1), Timestamp: blockTS(n),
	}}
	for i := uint32(0); i < logsPerBlock; i++ {
		b.LogHashes = append(b.LogHashes, message.LogHash(testOrigin(chain, n, i), testMsgHash(chain, n, i)))
	}
	return b
}

// msgAt is the message of log i of block n of chain, as the test world indexes it.
func msgAt(chain uint256.Int, n uint64, i uint32) message.Message {
	return message.Message{
		Identifier: message.Identifier{
			Origin: testOrigin(&chain, n, i), BlockNumber: n, LogIndex: i, Timestamp: blockTS(n), ChainID: chain,
		},
		MsgHash: testMsgHash(&chain, n, i),
	}
}

// accessAt is the access that declares log i of block n of chain.
func accessAt(chain uint256.Int, n uint64, i uint32) accesslist.Access {
	m := msgAt(chain, n, i)
	return accesslist.FromMessage(&m.Identifier, m.MsgHash)
}

// world is a checker over the test world, with the index calls counted.
type world struct {
	t       testing.TB
	checker *Checker
	set     *depset.Set
	idx     *indexes
	calls   *atomic.Int64
}

func newWorld(t testing.TB, cfg Config) *world {
	t.Helper()
	return newWorldWindow(t, cfg, 0)
}

// newWorldWindow is newWorld with an expiry window override (0: the protocol's).
func newWorldWindow(t testing.TB, cfg Config, window uint64) *world {
	t.Helper()
	var chains []depset.Chain
	for _, id := range []uint256.Int{chainA, chainB, chainC, chainE, chainBig} {
		chains = append(chains, depset.Chain{ID: id, ActivationTime: activationTime, BlockTime: blockTime})
	}
	set, err := depset.New(chains, window)
	if err != nil {
		t.Fatal(err)
	}
	calls := new(atomic.Int64)
	db := memorydb.New()
	idx := &indexes{byChain: map[uint256.Int]*reader{}, calls: calls}
	for _, id := range []uint256.Int{chainA, chainB, chainBig} {
		first := uint64(0)
		if id == chainB {
			first = prunedBelow // the first block of an empty index may have any number
		}
		var blocks []*logindex.Block
		for n := first; n <= headBlock; n++ {
			blocks = append(blocks, testBlock(&id, n))
		}
		idx.byChain[id] = openIndex(t, db, id, calls, blocks...)
	}
	idx.byChain[chainE] = openIndex(t, db, chainE, calls)
	if cfg.Logger == nil {
		cfg.Logger = log.NewLogger(log.DiscardHandler())
	}
	return &world{t: t, checker: New(set, idx, cfg), set: set, idx: idx, calls: calls}
}

// desc is a descriptor for execution on chain A at ts.
func desc(ts uint64) ExecutingDescriptor {
	return ExecutingDescriptor{ChainID: chainA, Timestamp: ts}
}

// view is a SafetyView with fixed heads.
type view struct {
	heads map[safety.Level]map[uint256.Int]uint64
	err   map[safety.Level]error
}

func (v *view) Head(chain *uint256.Int, level safety.Level) (logindex.BlockRef, bool, error) {
	if err := v.err[level]; err != nil {
		return logindex.BlockRef{}, false, err
	}
	n, ok := v.heads[level][*chain]
	if !ok {
		return logindex.BlockRef{}, false, nil
	}
	return logindex.BlockRef{Number: n, Timestamp: blockTS(n)}, true, nil
}

// logCapture is a log.Logger writing logfmt lines into a buffer.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logCapture) logger() log.Logger { return log.NewLogger(log.LogfmtHandler(l)) }
