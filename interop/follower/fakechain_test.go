package follower

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
	ievent "github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
)

const (
	testChainID   = 901
	testGenesisTS = 1_000_000
	testBlockTime = 2
)

// fakeBlock is one block of a fakeChain: a header, its transaction hashes and receipts with
// every derived field filled in, and the executing messages its logs declare.
type fakeBlock struct {
	header       *types.Header
	txs          []common.Hash
	receipts     types.Receipts
	execs        []logindex.ExecMsg
	reportedHash *common.Hash // served instead of the header hash (bad data)
}

func (b *fakeBlock) hash() common.Hash { return b.header.Hash() }
func (b *fakeBlock) number() uint64    { return b.header.Number.Uint64() }
func (b *fakeBlock) ref() logindex.BlockRef {
	return logindex.BlockRef{Number: b.number(), Hash: b.hash(), ParentHash: b.header.ParentHash, Timestamp: b.header.Time}
}

// makeBlock builds block number on parent; salt distinguishes forks. The shape varies with
// the number: 0-3 transactions, 0-3 logs each, an ExecutingMessage log every fourth block,
// a failed transaction without logs now and then; block 0 has no transactions. The first
// transaction of a block is a deposit (as on an OP chain, whose blocks open with the L1
// attributes deposit) with a post-Canyon deposit receipt. The header carries the real
// transaction and receipt roots of its (unsigned) transactions and receipts.
func makeBlock(parent common.Hash, number, salt uint64) *fakeBlock {
	ntx := int(number % 4)
	if number == 0 {
		ntx = 0
	}
	b := &fakeBlock{txs: []common.Hash{}, receipts: types.Receipts{}}
	var txs types.Transactions
	for i := range ntx {
		seed := append(append(u64(number), u64(salt)...), u64(uint64(i))...)
		var tx *types.Transaction
		if i == 0 {
			tx = types.NewTx(&types.DepositTx{
				SourceHash: crypto.Keccak256Hash(seed),
				From:       common.HexToAddress("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001"),
				To:         &common.Address{0x42, 0x15},
				Value:      new(big.Int),
				Gas:        1_000_000,
				Data:       seed,
			})
		} else {
			tx = types.NewTx(&types.DynamicFeeTx{
				ChainID:   big.NewInt(testChainID),
				Nonce:     number*4 + uint64(i),
				GasTipCap: big.NewInt(1),
				GasFeeCap: big.NewInt(7),
				Gas:       21_000,
				To:        &common.Address{0x10},
				Value:     new(big.Int),
				Data:      seed,
			})
		}
		txs = append(txs, tx)
		b.txs = append(b.txs, tx.Hash())
	}
	h := &types.Header{
		ParentHash: parent,
		UncleHash:  types.EmptyUncleHash,
		Coinbase:   common.HexToAddress("0x4200000000000000000000000000000000000011"),
		Root:       crypto.Keccak256Hash(u64(number), []byte("state")),
		TxHash:     types.DeriveSha(txs, trie.NewStackTrie(nil)),
		Difficulty: new(big.Int),
		Number:     new(big.Int).SetUint64(number),
		GasLimit:   30_000_000,
		Time:       testGenesisTS + testBlockTime*number,
		Extra:      u64(salt),
		BaseFee:    big.NewInt(7),
	}
	b.header = h
	var logIndex uint
	for i, txHash := range b.txs {
		r := &types.Receipt{
			Type:              txs[i].Type(),
			Status:            types.ReceiptStatusSuccessful,
			CumulativeGasUsed: 21_000 * uint64(i+1),
			TxHash:            txHash,
			GasUsed:           21_000,
			EffectiveGasPrice: big.NewInt(7),
			TransactionIndex:  uint(i),
			Logs:              []*types.Log{},
		}
		if r.Type == types.DepositTxType {
			nonce, version := number, types.CanyonDepositReceiptVersion
			r.DepositNonce, r.DepositReceiptVersion = &nonce, &version
			r.EffectiveGasPrice = new(big.Int)
		}
		nlogs := int((number + number/4 + 3*uint64(i)) % 4)
		if i == 2 && nlogs == 0 {
			r.Status = types.ReceiptStatusFailed
		}
		for j := range nlogs {
			var l *types.Log
			if j == 0 && i == 0 && number%4 == 1 {
				msg := message.Message{
					Identifier: message.Identifier{
						Origin:      common.HexToAddress("0x00000000000000000000000000000000000000aa"),
						BlockNumber: number / 2,
						LogIndex:    uint32(j),
						Timestamp:   testGenesisTS,
						ChainID:     *uint256.NewInt(902),
					},
					MsgHash: crypto.Keccak256Hash(u64(number), u64(salt), []byte("msg")),
				}
				l = ievent.EncodeLog(&msg)
				b.execs = append(b.execs, logindex.ExecMsg{LogIndex: uint32(logIndex), Msg: msg})
			} else {
				l = &types.Log{
					Address: common.BigToAddress(new(big.Int).SetUint64(0x1000 + uint64(j))),
					Topics:  []common.Hash{crypto.Keccak256Hash([]byte("Transfer")), common.BigToHash(new(big.Int).SetUint64(number))},
					Data:    append(u64(salt), u64(uint64(i*10+j))...),
				}
			}
			l.TxHash, l.TxIndex, l.Index = txHash, uint(i), logIndex
			r.Logs = append(r.Logs, l)
			logIndex++
		}
		r.Bloom = types.CreateBloom(r)
		b.receipts = append(b.receipts, r)
	}
	h.ReceiptHash = receiptsRoot(b.receipts)
	b.setBlockFields()
	return b
}

// receiptsRoot is the receipt root of rs, as a block header commits to it.
func receiptsRoot(rs types.Receipts) common.Hash {
	return types.DeriveSha(rs, trie.NewStackTrie(nil))
}

// sealReceipts recomputes the header's receipt root after a test changed the receipts
// (then the block hash changes too, so the block fields are rewritten).
func (b *fakeBlock) sealReceipts() {
	for _, r := range b.receipts {
		r.Bloom = types.CreateBloom(r)
	}
	b.header.ReceiptHash = receiptsRoot(b.receipts)
	b.setBlockFields()
}

// setBlockFields (re)writes the block hash and number into the receipts and logs.
func (b *fakeBlock) setBlockFields() {
	hash, number := b.hash(), b.number()
	for _, r := range b.receipts {
		r.BlockHash, r.BlockNumber = hash, new(big.Int).SetUint64(number)
		for _, l := range r.Logs {
			l.BlockHash, l.BlockNumber, l.BlockTimestamp = hash, number, b.header.Time
		}
	}
}

// clone deep-copies the block (receipts through JSON, as they travel).
func (b *fakeBlock) clone() *fakeBlock {
	c := *b
	c.header = types.CopyHeader(b.header)
	c.txs = append([]common.Hash{}, b.txs...)
	if b.receipts != nil {
		enc, err := json.Marshal(b.receipts)
		if err != nil {
			panic(err)
		}
		c.receipts = nil
		if err := json.Unmarshal(enc, &c.receipts); err != nil {
			panic(err)
		}
	}
	return &c
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// fakeChain is a chain whose canonical blocks tests extend and reorg; it announces every new
// head on a feed (for WebSocket subscribers and local sources).
type fakeChain struct {
	mu     sync.Mutex
	blocks []*fakeBlock // canonical, blocks[i] has number i
	byHash map[common.Hash]*fakeBlock
	salt   uint64
	heads  event.FeedOf[*types.Header]
	// tamper, when set, changes a copy of a block before it is served.
	tamper func(b *fakeBlock)
	calls  map[string]int
}

// newFakeChain returns a chain of blocks 0..head.
func newFakeChain(head uint64) *fakeChain {
	c := &fakeChain{byHash: map[common.Hash]*fakeBlock{}, calls: map[string]int{}}
	c.add(makeBlock(common.Hash{}, 0, 0))
	c.extendQuiet(head)
	return c
}

func (c *fakeChain) add(b *fakeBlock) {
	c.blocks = append(c.blocks, b)
	c.byHash[b.hash()] = b
}

func (c *fakeChain) extendQuiet(n uint64) {
	for range n {
		parent := c.blocks[len(c.blocks)-1]
		c.add(makeBlock(parent.hash(), parent.number()+1, c.salt))
	}
}

// extend adds n blocks and announces each new head.
func (c *fakeChain) extend(n uint64) {
	for range n {
		c.mu.Lock()
		c.extendQuiet(1)
		h := c.blocks[len(c.blocks)-1].header
		c.mu.Unlock()
		c.heads.Send(h)
	}
}

// reorg replaces the newest drop blocks with add new ones and announces the new head.
func (c *fakeChain) reorg(drop, add uint64) {
	c.mu.Lock()
	c.blocks = c.blocks[:uint64(len(c.blocks))-drop]
	c.salt++
	c.extendQuiet(add)
	h := c.blocks[len(c.blocks)-1].header
	c.mu.Unlock()
	c.heads.Send(h)
}

// replace rebuilds canonical block number with mutate applied to its header (the blocks
// above keep their parent hashes, so they no longer link to it).
func (c *fakeChain) replace(number uint64, mutate func(h *types.Header)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.blocks[number].clone()
	mutate(b.header)
	b.setBlockFields()
	c.blocks[number] = b
	c.byHash[b.hash()] = b
}

// rebuild replaces the canonical blocks from number on: block number is made again with
// mutate applied to its header (nil: as it was), the blocks above on top of it, up to the
// same height. Nothing is announced.
func (c *fakeChain) rebuild(number uint64, mutate func(h *types.Header)) {
	c.rebuildBlock(number, func(b *fakeBlock) {
		if mutate != nil {
			mutate(b.header)
		}
	})
}

// rebuildBlock is rebuild with mutate applied to the whole block (header, receipts); the
// receipt root is then recomputed, so the block stays consistent.
func (c *fakeChain) rebuildBlock(number uint64, mutate func(b *fakeBlock)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	height := uint64(len(c.blocks))
	c.blocks = c.blocks[:number]
	b := makeBlock(c.blocks[number-1].hash(), number, c.salt)
	mutate(b)
	b.sealReceipts()
	c.add(b)
	c.extendQuiet(height - number - 1)
}

func (c *fakeChain) head() *fakeBlock {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blocks[len(c.blocks)-1]
}

func (c *fakeChain) block(number uint64) *fakeBlock {
	c.mu.Lock()
	defer c.mu.Unlock()
	if number >= uint64(len(c.blocks)) {
		return nil
	}
	return c.blocks[number]
}

func (c *fakeChain) setTamper(f func(b *fakeBlock)) {
	c.mu.Lock()
	c.tamper = f
	c.mu.Unlock()
}

func (c *fakeChain) count(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// served returns the block as served: tampered copy when a tamper is set.
func (c *fakeChain) served(method string, b *fakeBlock) *fakeBlock {
	c.mu.Lock()
	c.calls[method]++
	tamper := c.tamper
	c.mu.Unlock()
	if b == nil || tamper == nil {
		return b
	}
	b = b.clone()
	tamper(b)
	return b
}

// ethAPI serves a fakeChain as the eth namespace.
type ethAPI struct {
	c      *fakeChain
	noSubs bool // refuse eth_subscribe
}

func (a *ethAPI) ChainId() hexutil.Uint64 { return testChainID }

func blockJSON(b *fakeBlock) (map[string]any, error) {
	if b == nil {
		return nil, nil
	}
	enc, err := json.Marshal(b.header)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	m["transactions"] = b.txs
	if b.reportedHash != nil {
		m["hash"] = *b.reportedHash
	}
	return m, nil
}

func (a *ethAPI) GetBlockByNumber(ctx context.Context, number rpc.BlockNumber, full bool) (map[string]any, error) {
	if number < 0 {
		return blockJSON(a.c.served("latest", a.c.head()))
	}
	return blockJSON(a.c.served("eth_getBlockByNumber", a.c.block(uint64(number))))
}

func (a *ethAPI) GetBlockByHash(ctx context.Context, hash common.Hash, full bool) (map[string]any, error) {
	a.c.mu.Lock()
	b := a.c.byHash[hash]
	a.c.mu.Unlock()
	return blockJSON(a.c.served("eth_getBlockByHash", b))
}

func (a *ethAPI) GetBlockReceipts(ctx context.Context, bnh rpc.BlockNumberOrHash) (types.Receipts, error) {
	hash, ok := bnh.Hash()
	if !ok {
		return nil, errors.New("fake chain: receipts by hash only")
	}
	a.c.mu.Lock()
	b := a.c.byHash[hash]
	a.c.mu.Unlock()
	b = a.c.served("eth_getBlockReceipts", b)
	if b == nil {
		return nil, nil
	}
	return b.receipts, nil
}

func (a *ethAPI) NewHeads(ctx context.Context) (*rpc.Subscription, error) {
	a.c.mu.Lock()
	a.c.calls["eth_subscribe"]++
	a.c.mu.Unlock()
	n, ok := rpc.NotifierFromContext(ctx)
	if !ok || a.noSubs {
		return nil, rpc.ErrNotificationsUnsupported
	}
	sub := n.CreateSubscription()
	heads := make(chan *types.Header, 64)
	fs := a.c.heads.Subscribe(heads)
	go func() {
		defer fs.Unsubscribe()
		for {
			select {
			case h := <-heads:
				n.Notify(sub.ID, h)
			case <-sub.Err():
				return
			}
		}
	}()
	return sub, nil
}

// testServer serves a fakeChain over HTTP and WebSocket on one 127.0.0.1 port.
type testServer struct {
	t     testing.TB
	api   *ethAPI
	addr  string
	rpc   *rpc.Server
	http  *http.Server
	ln    net.Listener
	stops sync.Once
	wrap  func(http.Handler) http.Handler
}

func startServer(t testing.TB, c *fakeChain, noSubs bool) *testServer {
	return startServerWith(t, c, noSubs, nil)
}

// startServerWith is startServer with every HTTP request going through wrap.
func startServerWith(t testing.TB, c *fakeChain, noSubs bool, wrap func(http.Handler) http.Handler) *testServer {
	s := &testServer{t: t, api: &ethAPI{c: c, noSubs: noSubs}, addr: "127.0.0.1:0", wrap: wrap}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) start() {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("listen: %v", err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.rpc = rpc.NewServer()
	if err := s.rpc.RegisterName("eth", s.api); err != nil {
		s.t.Fatal(err)
	}
	ws := s.rpc.WebsocketHandler([]string{"*"})
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			ws.ServeHTTP(w, r)
			return
		}
		s.rpc.ServeHTTP(w, r)
	})
	if s.wrap != nil {
		h = s.wrap(h)
	}
	s.http = &http.Server{Handler: h}
	s.stops = sync.Once{}
	go s.http.Serve(ln)
}

// stop closes the listener and every connection (WebSocket ones included).
func (s *testServer) stop() {
	s.stops.Do(func() {
		s.rpc.Stop()
		s.http.Close()
	})
}

// restart serves again on the same address.
func (s *testServer) restart() {
	s.stop()
	s.start()
}

func (s *testServer) wsURL() string   { return "ws://" + s.addr }
func (s *testServer) httpURL() string { return "http://" + s.addr }
