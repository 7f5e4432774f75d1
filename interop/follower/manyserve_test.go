package follower

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
	ievent "github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
)

// The serving side of BenchmarkFollow50RemoteChains runs in a child process (this test
// binary again, running only TestHelperServeChains) so that its CPU is not counted as the
// followers'. The parent tells it what to serve in these environment variables.
const (
	serveChainsEnv   = "XGETH_FOLLOWER_SERVE_CHAINS"   // number of chains; unset: the helper does nothing
	serveIntervalEnv = "XGETH_FOLLOWER_SERVE_INTERVAL" // block time, a time.Duration
	serveHistoryEnv  = "XGETH_FOLLOWER_SERVE_HISTORY"  // blocks each chain has before it starts producing
)

// manyFirstChainID is the chain ID of the first served chain; chain i has manyFirstChainID+i.
const manyFirstChainID = 10_000

// Shape of a busy block: the L1 attributes deposit (no logs), then busyTxs user
// transactions carrying busyLogs logs between them (ERC-20 Transfer-like: three topics and
// a 32-byte word), of which busyExecs are ExecutingMessage logs of CrossL2Inbox.
const (
	busyTxs   = 9
	busyLogs  = 20
	busyExecs = 2
)

// busyBlock builds block number of chain chainID on parent, at timestamp ts, shaped as
// above (block 0 has no transactions). The header carries the real transaction, receipt
// and bloom commitments and the post-Ecotone fields an OP block header has.
func busyBlock(chainID, number uint64, parent common.Hash, ts uint64) *fakeBlock {
	b := &fakeBlock{txs: []common.Hash{}, receipts: types.Receipts{}}
	var txs types.Transactions
	if number > 0 {
		for i := range busyTxs + 1 {
			seed := append(append(u64(chainID), u64(number)...), u64(uint64(i))...)
			var tx *types.Transaction
			if i == 0 {
				tx = types.NewTx(&types.DepositTx{
					SourceHash:          crypto.Keccak256Hash(seed),
					From:                common.HexToAddress("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001"),
					To:                  &common.Address{0x42, 0x15},
					Value:               new(big.Int),
					Gas:                 1_000_000,
					IsSystemTransaction: false,
					Data:                append(seed, make([]byte, 140)...), // L1 attributes calldata is ~164 bytes
				})
			} else {
				tx = types.NewTx(&types.DynamicFeeTx{
					ChainID:   new(big.Int).SetUint64(chainID),
					Nonce:     number,
					GasTipCap: big.NewInt(1),
					GasFeeCap: big.NewInt(7),
					Gas:       100_000,
					To:        &common.Address{0x10, byte(i)},
					Value:     new(big.Int),
					Data:      seed,
				})
			}
			txs = append(txs, tx)
			b.txs = append(b.txs, tx.Hash())
		}
	}
	h := &types.Header{
		ParentHash:       parent,
		UncleHash:        types.EmptyUncleHash,
		Coinbase:         common.HexToAddress("0x4200000000000000000000000000000000000011"),
		Root:             crypto.Keccak256Hash(u64(chainID), u64(number), []byte("state")),
		TxHash:           types.DeriveSha(txs, trie.NewStackTrie(nil)),
		Difficulty:       new(big.Int),
		Number:           new(big.Int).SetUint64(number),
		GasLimit:         30_000_000,
		Time:             ts,
		MixDigest:        crypto.Keccak256Hash(u64(number), []byte("prevrandao")),
		Nonce:            types.BlockNonce{},
		BaseFee:          big.NewInt(7),
		WithdrawalsHash:  &types.EmptyWithdrawalsHash,
		BlobGasUsed:      new(uint64),
		ExcessBlobGas:    new(uint64),
		ParentBeaconRoot: &common.Hash{0xbe, 0xac},
	}
	b.header = h
	var logIndex uint
	for i, txHash := range b.txs {
		r := &types.Receipt{
			Type:              txs[i].Type(),
			Status:            types.ReceiptStatusSuccessful,
			CumulativeGasUsed: 50_000 * uint64(i+1),
			TxHash:            txHash,
			GasUsed:           50_000,
			EffectiveGasPrice: big.NewInt(7),
			TransactionIndex:  uint(i),
			Logs:              []*types.Log{},
		}
		nlogs := 0
		if i == 0 {
			nonce, version := number, types.CanyonDepositReceiptVersion
			r.DepositNonce, r.DepositReceiptVersion = &nonce, &version
			r.EffectiveGasPrice = new(big.Int)
		} else {
			k := i - 1
			nlogs = busyLogs / busyTxs
			if k < busyLogs%busyTxs {
				nlogs++
			}
		}
		for j := range nlogs {
			var l *types.Log
			if j == 0 && i-1 < busyExecs {
				msg := message.Message{
					Identifier: message.Identifier{
						Origin:      common.HexToAddress("0x00000000000000000000000000000000000000aa"),
						BlockNumber: number / 2,
						LogIndex:    uint32(i),
						Timestamp:   ts - min(ts, 2),
						ChainID:     *uint256.NewInt(chainID + 1),
					},
					MsgHash: crypto.Keccak256Hash(u64(chainID), u64(number), u64(uint64(i)), []byte("msg")),
				}
				l = ievent.EncodeLog(&msg)
				b.execs = append(b.execs, logindex.ExecMsg{LogIndex: uint32(logIndex), Msg: msg})
			} else {
				l = &types.Log{
					Address: common.BigToAddress(new(big.Int).SetUint64(0x1000 + uint64(i))),
					Topics: []common.Hash{
						crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")),
						common.BytesToHash(u64(number)),
						common.BytesToHash(u64(uint64(i*100 + j))),
					},
					Data: common.BytesToHash(u64(chainID)).Bytes(),
				}
			}
			l.TxHash, l.TxIndex, l.Index = txHash, uint(i), logIndex
			r.Logs = append(r.Logs, l)
			logIndex++
		}
		r.Bloom = types.CreateBloom(r)
		b.receipts = append(b.receipts, r)
	}
	h.Bloom = types.MergeBloom(b.receipts)
	h.ReceiptHash = receiptsRoot(b.receipts)
	b.setBlockFields()
	return b
}

// busyChain is a fakeChain of busy blocks of chain id, one every interval.
type busyChain struct {
	*fakeChain
	id       uint64
	genesis  uint64 // timestamp of block 0
	interval time.Duration
}

// newBusyChain returns chain id with blocks 0..history, block history stamped now.
func newBusyChain(id uint64, history uint64, interval time.Duration) *busyChain {
	step := uint64(max(interval/time.Second, 1))
	c := &busyChain{
		fakeChain: &fakeChain{byHash: map[common.Hash]*fakeBlock{}, calls: map[string]int{}},
		id:        id,
		genesis:   uint64(time.Now().Unix()) - history*step,
		interval:  interval,
	}
	c.add(busyBlock(id, 0, common.Hash{}, c.genesis))
	for range history {
		c.next()
	}
	return c
}

// next adds a block on the head; the caller announces it.
func (c *busyChain) next() *types.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	parent := c.blocks[len(c.blocks)-1]
	n := parent.number() + 1
	step := uint64(max(c.interval/time.Second, 1))
	b := busyBlock(c.id, n, parent.hash(), c.genesis+n*step)
	c.add(b)
	return b.header
}

// produce adds and announces a block every interval, the first after delay, until quit.
func (c *busyChain) produce(delay time.Duration, quit <-chan struct{}) {
	select {
	case <-time.After(delay):
	case <-quit:
		return
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		c.heads.Send(c.next())
		select {
		case <-t.C:
		case <-quit:
			return
		}
	}
}

// busyAPI is the eth namespace of a busyChain: ethAPI with the chain's own ID, and the
// safe and finalized tags some blocks behind the head, as an OP node reports them.
type busyAPI struct {
	*ethAPI
	id uint64
}

func (a *busyAPI) ChainId() hexutil.Uint64 { return hexutil.Uint64(a.id) }

func (a *busyAPI) GetBlockByNumber(ctx context.Context, number rpc.BlockNumber, full bool) (map[string]any, error) {
	var behind uint64
	switch number {
	case rpc.SafeBlockNumber:
		behind = 30 // a minute or so of L1 inclusion
	case rpc.FinalizedBlockNumber:
		behind = 900 // two L1 epochs
	default:
		return a.ethAPI.GetBlockByNumber(ctx, number, full)
	}
	head := a.c.head().number()
	if head < behind {
		return blockJSON(a.c.served("label", a.c.block(0)))
	}
	return blockJSON(a.c.served("label", a.c.block(head-behind)))
}

// serveBusyChain serves c over HTTP and WebSocket on a fresh 127.0.0.1 port and returns
// the WebSocket URL and a function that stops serving.
func serveBusyChain(c *busyChain) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", &busyAPI{ethAPI: &ethAPI{c: c.fakeChain}, id: c.id}); err != nil {
		ln.Close()
		return "", nil, err
	}
	ws := srv.WebsocketHandler([]string{"*"})
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			ws.ServeHTTP(w, r)
			return
		}
		srv.ServeHTTP(w, r)
	})}
	go hs.Serve(ln)
	return "ws://" + ln.Addr().String(), func() { srv.Stop(); hs.Close() }, nil
}

// TestHelperServeChains is not a test: it returns at once unless serveChainsEnv is set. Then
// it is the serving child process of BenchmarkFollow50RemoteChains: it serves that many busy
// chains, each on its own 127.0.0.1 port, each producing a block every interval (the chains
// staggered across the interval, as independent chains are), prints a "chain <id> <url>"
// line per chain and then "ready" on stdout, and serves until its stdin closes (the parent
// exited or is done).
func TestHelperServeChains(t *testing.T) {
	spec := os.Getenv(serveChainsEnv)
	if spec == "" {
		return
	}
	n, err := strconv.Atoi(spec)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number of chains", serveChainsEnv, spec)
	}
	interval, err := time.ParseDuration(os.Getenv(serveIntervalEnv))
	if err != nil || interval <= 0 {
		t.Fatalf("%s=%q: want a positive duration", serveIntervalEnv, os.Getenv(serveIntervalEnv))
	}
	history, err := strconv.ParseUint(os.Getenv(serveHistoryEnv), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", serveHistoryEnv, err)
	}
	quit := make(chan struct{})
	out := bufio.NewWriter(os.Stdout)
	for i := range n {
		c := newBusyChain(manyFirstChainID+uint64(i), history, interval)
		url, stop, err := serveBusyChain(c)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		go c.produce(interval*time.Duration(i)/time.Duration(n), quit)
		fmt.Fprintf(out, "chain %d %s\n", c.id, url)
	}
	fmt.Fprintln(out, "ready")
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, os.Stdin) // until the parent closes it or exits
	close(quit)
}
