package devnet_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	xparams "github.com/xgeth/xgeth/params"
)

// dialAuth dials chain c's authenticated port with the devnet's JWT secret.
func dialAuth(ctx context.Context, t *testing.T, d *devnet.Devnet, c *devnet.Chain) *rpc.Client {
	t.Helper()
	secret, err := node.ObtainJWTSecret(d.JWTSecret)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := rpc.DialOptions(ctx, c.AuthEndpoint(), rpc.WithHTTPAuth(node.NewJWTAuth([32]byte(secret))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// safetyOf is chain's entry of interop_safety on cl.
func safetyOf(ctx context.Context, t *testing.T, cl *rpc.Client, chain uint64) rpcapi.ChainSafety {
	t.Helper()
	var heads []rpcapi.ChainSafety
	if err := cl.CallContext(ctx, &heads, "interop_safety"); err != nil {
		t.Fatal(err)
	}
	for _, h := range heads {
		if h.ChainID.ToInt().Uint64() == chain {
			return h
		}
	}
	t.Fatalf("interop_safety has no chain %d", chain)
	return rpcapi.ChainSafety{}
}

// watchCrossSafe records, until the test ends, every cross-safe head chain reports.
type crossSafeWatch struct {
	mu   sync.Mutex
	seen map[uint64]map[common.Hash]bool
}

func watchCrossSafe(ctx context.Context, t *testing.T, url string, chain uint64) *crossSafeWatch {
	cl, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	w := &crossSafeWatch{seen: map[uint64]map[common.Hash]bool{}}
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped; cl.Close() })
	go func() {
		defer close(stopped)
		for {
			var heads []rpcapi.ChainSafety
			if err := cl.CallContext(ctx, &heads, "interop_safety"); err == nil {
				for _, h := range heads {
					if h.ChainID.ToInt().Uint64() == chain && h.CrossSafe != nil {
						w.mu.Lock()
						n := uint64(h.CrossSafe.Number)
						if w.seen[n] == nil {
							w.seen[n] = map[common.Hash]bool{}
						}
						w.seen[n][h.CrossSafe.Hash] = true
						w.mu.Unlock()
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *crossSafeWatch) reported(number uint64, hash common.Hash) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[number][hash]
}

// A transaction executing a message that does not exist, slipped into a block of 902
// without interop checks, gets that block denied and replaced by a deposits-only block at
// the same height; a plain transaction of the replaced block is included again later; the
// invalid block is never reported cross-safe; the chain goes on and safe advances.
func TestInvalidBlockDeniedAndReplaced(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	dst := clients[1]
	auth := dialAuth(ctx, t, d, d.Chains[1])
	watch := watchCrossSafe(ctx, t, d.Chains[1].HTTPEndpoint(), 902)
	waitBlocks(ctx, t, dst, 2)

	// A message of chain 901 that no block has: block 1, log 7, an invented payload.
	head, err := clients[0].HeaderByNumber(ctx, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	bogus := message.Message{Identifier: message.Identifier{Origin: common.Address{0xba, 0xd}, BlockNumber: 1, LogIndex: 7, Timestamp: head.Time, ChainID: *uint256.NewInt(901)},
		MsgHash: crypto.Keccak256Hash([]byte("never emitted"))}
	inbox := xparams.CrossL2InboxAddress
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&bogus.Identifier, bogus.MsgHash)})
	invalidTx := signTx(ctx, t, dst, d.Accounts[0], &inbox, event.EncodeValidateMessage(&bogus), al, 200_000)
	to := d.Accounts[5].Address
	plainTx := signTx(ctx, t, dst, d.Accounts[1], &to, nil, nil, 21_000)
	// The pool refuses the invalid one, as it should...
	if err := dst.SendTransaction(ctx, invalidTx); err == nil || !strings.Contains(err.Error(), "filtered") {
		t.Fatalf("the pool admitted a transaction executing a message that does not exist: %v", err)
	}
	// ...so both go in unchecked, into the same block.
	for _, tx := range []*types.Transaction{invalidTx, plainTx} {
		raw, _ := tx.MarshalBinary()
		var h common.Hash
		if err := auth.CallContext(ctx, &h, "devnet_sendUncheckedTransaction", hexutil.Bytes(raw)); err != nil || h != tx.Hash() {
			t.Fatalf("devnet_sendUncheckedTransaction: %s, %v", h, err)
		}
	}
	r := waitReceipt(ctx, t, dst, invalidTx.Hash())
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("the unchecked transaction reverted: the block would not execute the message")
	}
	bad := r.BlockNumber.Uint64()
	badHash := r.BlockHash
	pr := waitReceipt(ctx, t, dst, plainTx.Hash())
	if pr.BlockHash != badHash {
		t.Fatalf("the plain transaction landed in block %d, not with the invalid one in %d", pr.BlockNumber, bad)
	}

	// Denied, then replaced at the same height by a block with the deposit only.
	var replacement *types.Block
	for replacement == nil {
		b, err := dst.BlockByNumber(ctx, new(big.Int).SetUint64(bad))
		if err == nil && b.Hash() != badHash {
			replacement = b
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("block with the invalid message never replaced")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if n := len(replacement.Transactions()); n != 1 || replacement.Transactions()[0].Type() != types.DepositTxType {
		t.Fatalf("replacement block %d has %d transactions, want the deposit only", bad, n)
	}
	var denied bool
	if err := auth.CallContext(ctx, &denied, "engine_isDeniedV1", hexutil.Uint64(bad), badHash); err != nil || !denied {
		t.Fatalf("engine_isDeniedV1 of the invalid block: %v, %v", denied, err)
	}
	if err := auth.CallContext(ctx, &denied, "engine_isDeniedV1", hexutil.Uint64(bad), replacement.Hash()); err != nil || denied {
		t.Fatalf("engine_isDeniedV1 of the replacement: %v, %v", denied, err)
	}
	var maxDenied *hexutil.Uint64
	if err := auth.CallContext(ctx, &maxDenied, "engine_maxDeniedHeightV1"); err != nil || maxDenied == nil || uint64(*maxDenied) != bad {
		t.Fatalf("engine_maxDeniedHeightV1: %v, %v", maxDenied, err)
	}

	// The plain transaction goes back to the pool and into a later block; the invalid one
	// is refused on re-admission and never comes back.
	for {
		pr, err := dst.TransactionReceipt(ctx, plainTx.Hash())
		if err == nil && pr.BlockNumber.Uint64() > bad {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the plain transaction of the replaced block was never included again")
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The chain goes on and its safe head passes the replaced height.
	for {
		sf := safetyOf(ctx, t, mustDial(ctx, t, d.Chains[1].HTTPEndpoint()), 902)
		if sf.CrossSafe != nil && uint64(sf.CrossSafe.Number) > bad+1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("cross-safe never passed the replaced height")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := dst.TransactionReceipt(ctx, invalidTx.Hash()); err == nil {
		t.Fatal("the invalid transaction is in a canonical block again")
	}
	// A super root at the replaced block's time reports the original block's output.
	var sr struct {
		Optimistic map[string]struct {
			Output struct{ BlockHash common.Hash } `json:"output"`
		} `json:"optimistic_at_timestamp"`
	}
	if err := mustDial(ctx, t, d.Chains[1].HTTPEndpoint()).CallContext(ctx, &sr, "superroot_atTimestamp", hexutil.Uint64(replacement.Time())); err != nil {
		t.Fatal(err)
	}
	if got := sr.Optimistic["902"].Output.BlockHash; got != badHash {
		t.Fatalf("super root at the replaced block's time names block %s, want the original %s", got, badHash)
	}
	if watch.reported(bad, badHash) {
		t.Fatal("interop_safety reported the invalid block as cross-safe")
	}
	safe, err := dst.HeaderByNumber(ctx, big.NewInt(int64(rpc.SafeBlockNumber)))
	if err != nil {
		t.Fatal(err)
	}
	if canon, _ := dst.HeaderByNumber(ctx, safe.Number); canon.Hash() != safe.Hash() || safe.Number.Uint64() <= bad {
		t.Fatalf("eth safe block %d (%s) not canonical past the replacement", safe.Number, safe.Hash())
	}
}

func mustDial(ctx context.Context, t *testing.T, url string) *rpc.Client {
	t.Helper()
	cl, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func waitReceipt(ctx context.Context, t *testing.T, c *ethclient.Client, hash common.Hash) *types.Receipt {
	t.Helper()
	for {
		r, err := c.TransactionReceipt(ctx, hash)
		if err == nil {
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for %s", hash)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// On both chains every level advances; cross-safe never passes local-safe, eth "safe" and
// "finalized" follow the cross heads and never pass "latest".
func TestSafetyLevelsAdvance(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	waitBlocks(ctx, t, clients[0], devnet.DefaultSafeLag+devnet.DefaultFinalizedLag+3)
	for i, c := range d.Chains {
		cl := mustDial(ctx, t, c.HTTPEndpoint())
		sf := safetyOf(ctx, t, cl, c.ID)
		for name, h := range map[string]*rpcapi.BlockRef{"crossUnsafe": sf.CrossUnsafe, "localSafe": sf.LocalSafe, "crossSafe": sf.CrossSafe, "localFinalized": sf.LocalFinalized, "finalized": sf.Finalized} {
			if h == nil || h.Number == 0 {
				t.Fatalf("chain %d: %s has not advanced: %+v", c.ID, name, sf)
			}
		}
		if sf.CrossSafe.Number > sf.LocalSafe.Number || sf.Finalized.Number > sf.CrossSafe.Number || sf.CrossUnsafe.Number > sf.LocalUnsafe.Number {
			t.Fatalf("chain %d: levels out of order: %+v", c.ID, sf)
		}
		latest, _ := clients[i].HeaderByNumber(ctx, nil)
		safe, err := clients[i].HeaderByNumber(ctx, big.NewInt(int64(rpc.SafeBlockNumber)))
		if err != nil {
			t.Fatal(err)
		}
		fin, err := clients[i].HeaderByNumber(ctx, big.NewInt(int64(rpc.FinalizedBlockNumber)))
		if err != nil {
			t.Fatal(err)
		}
		if safe.Number.Cmp(latest.Number) > 0 || fin.Number.Cmp(safe.Number) > 0 || safe.Number.Uint64() == 0 {
			t.Fatalf("chain %d: latest %d, safe %d, finalized %d", c.ID, latest.Number, safe.Number, fin.Number)
		}
		if safe.Number.Uint64()+devnet.DefaultSafeLag > latest.Number.Uint64()+2 {
			t.Logf("chain %d: safe %d latest %d", c.ID, safe.Number, latest.Number)
		}
	}
}

// Sequencer equivocation: 901 drops the unsafe block whose log a 902 block executed and
// re-sequences that height without it; the 902 block is then invalid, denied and replaced.
func TestEquivocationInvalidatesDependentBlock(t *testing.T) {
	t.Parallel()
	cfg := devnet.DefaultConfig()
	cfg.SafeLag = 40 // keep the blocks involved unsafe for the whole test
	d, ctx, clients := startDevnet(t, cfg, httpURL)
	src, dst := clients[0], clients[1]
	auth901 := dialAuth(ctx, t, d, d.Chains[0])
	auth902 := dialAuth(ctx, t, d, d.Chains[1])

	emitter := deployEmitter(ctx, t, src, d.Accounts[0])
	msg, r := emit(ctx, t, src, d.Accounts[0], emitter, 901, "equivocate")
	waitIndexed(ctx, t, d.Chains[1], 901, r.BlockNumber.Uint64())
	inbox := xparams.CrossL2InboxAddress
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
	exec := sendTx(ctx, t, dst, d.Accounts[2], &inbox, event.EncodeValidateMessage(&msg), al, 200_000)
	if exec.Status != types.ReceiptStatusSuccessful {
		t.Fatal("executing transaction reverted")
	}
	execBlock, execHash := exec.BlockNumber.Uint64(), exec.BlockHash

	// 901 drops everything from the emitting block up and re-sequences those heights.
	head, err := src.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The sequencer may seal a block or two before it pauses for the rewind: drop a few more.
	n := head - r.BlockNumber.Uint64() + 1 + 3
	var newHead map[string]any
	if err := auth901.CallContext(ctx, &newHead, "devnet_rewindUnsafe", hexutil.Uint64(n)); err != nil {
		t.Fatalf("devnet_rewindUnsafe(%d): %v", n, err)
	}
	if b, err := src.BlockByNumber(ctx, r.BlockNumber); err != nil || b.Hash() == r.BlockHash || len(b.Transactions()) != 1 {
		t.Fatalf("901 block %d not re-sequenced deposits-only: %v", r.BlockNumber, err)
	}
	// 902's block that executed the dropped log is denied and replaced.
	for {
		b, err := dst.BlockByNumber(ctx, exec.BlockNumber)
		if err == nil && b.Hash() != execHash {
			if len(b.Transactions()) != 1 {
				t.Fatalf("replacement of 902 block %d has %d transactions", execBlock, len(b.Transactions()))
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the 902 block executing the dropped log was never replaced")
		case <-time.After(50 * time.Millisecond):
		}
	}
	var denied bool
	if err := auth902.CallContext(ctx, &denied, "engine_isDeniedV1", hexutil.Uint64(execBlock), execHash); err != nil || !denied {
		t.Fatalf("engine_isDeniedV1: %v %v", denied, err)
	}
}

// Malformed engine_*V1 and devnet_* parameters, rewinds below finalized and unknown hashes
// each get a clear error and change nothing.
func TestAuthorityBadInput(t *testing.T) {
	t.Parallel()
	cfg := devnet.DefaultConfig()
	cfg.SafeLag, cfg.FinalizedLag = 2, 1
	d, ctx, clients := startDevnet(t, cfg, httpURL)
	c := clients[0]
	auth := dialAuth(ctx, t, d, d.Chains[0])
	waitBlocks(ctx, t, c, 5)
	var fin *types.Header
	for fin == nil || fin.Number.Uint64() < 1 {
		h, err := c.HeaderByNumber(ctx, big.NewInt(int64(rpc.FinalizedBlockNumber)))
		if err == nil {
			fin = h
		}
		time.Sleep(100 * time.Millisecond)
	}
	genesis, _ := c.HeaderByNumber(ctx, big.NewInt(0))

	deposit := types.NewTx(&types.DepositTx{From: d.Accounts[0].Address, Gas: 21_000})
	depositRaw, _ := deposit.MarshalBinary()
	unsigned := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(901), Gas: 21_000, GasFeeCap: big.NewInt(1)})
	unsignedRaw, _ := unsigned.MarshalBinary()

	cases := []struct {
		method string
		params []any
		says   string
	}{
		{"engine_rewindV1", []any{"0x1234"}, "hex string"},
		{"engine_rewindV1", []any{}, "missing value"},
		{"engine_rewindV1", []any{common.Hash{0xde, 0xad}}, "unknown block"},
		{"engine_rewindV1", []any{genesis.Hash()}, "genesis"},
		{"engine_rewindV1", []any{fin.Hash()}, "finalized"},
		{"engine_isDeniedV1", []any{"ten", common.Hash{}}, "hex"},
		{"engine_isDeniedV1", []any{hexutil.Uint64(1)}, "missing value"},
		{"engine_isDeniedV1", []any{hexutil.Uint64(1), "0x12"}, "hex string"},
		{"devnet_rewindUnsafe", []any{hexutil.Uint64(0)}, "at least 1"},
		{"devnet_rewindUnsafe", []any{hexutil.Uint64(1 << 40)}, "above the head"},
		{"devnet_rewindUnsafe", []any{hexutil.Uint64(4)}, "local-safe"},
		{"devnet_rewindUnsafe", []any{"many"}, "hex"},
		{"devnet_dropFrom", []any{hexutil.Uint64(0)}, "want 1 to the head"},
		{"devnet_dropFrom", []any{hexutil.Uint64(1 << 40)}, "want 1 to the head"},
		{"devnet_dropFrom", []any{hexutil.Uint64(1)}, "local-safe"},
		{"devnet_dropFrom", []any{"many"}, "hex"},
		{"devnet_sendUncheckedTransaction", []any{"0x00"}, "transaction"},
		{"devnet_sendUncheckedTransaction", []any{hexutil.Bytes(depositRaw)}, "deposit"},
		{"devnet_sendUncheckedTransaction", []any{hexutil.Bytes(unsignedRaw)}, "signature"},
	}
	before, _ := c.HeaderByNumber(ctx, fin.Number)
	for _, tc := range cases {
		var out any
		err := auth.CallContext(ctx, &out, tc.method, tc.params...)
		if err == nil {
			t.Errorf("%s%v: accepted (%v)", tc.method, tc.params, out)
			continue
		}
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.says)) {
			t.Errorf("%s%v: error %q does not say %q", tc.method, tc.params, err, tc.says)
		}
	}
	// Nothing moved back: the finalized block is still canonical and the chain grows.
	if now, _ := c.HeaderByNumber(ctx, fin.Number); now.Hash() != before.Hash() {
		t.Fatal("a refused call rewound the chain")
	}
	waitBlocks(ctx, t, c, 1)
	// The authority methods are not on the public port.
	pub := mustDial(ctx, t, d.Chains[0].HTTPEndpoint())
	for _, m := range []string{"engine_rewindV1", "engine_isDeniedV1", "devnet_rewindUnsafe", "devnet_dropFrom", "devnet_sendUncheckedTransaction", "engine_fullyVerifiedL2HeadV1"} {
		var out any
		if err := pub.CallContext(ctx, &out, m); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%s on the public port: %v", m, err)
		}
	}
	// The verifier heads are answered on the authenticated port.
	var vh struct {
		Block struct {
			Hash   common.Hash    `json:"hash"`
			Number hexutil.Uint64 `json:"number"`
		} `json:"block"`
		Timestamp hexutil.Uint64 `json:"timestamp"`
		Source    string         `json:"source"`
	}
	if err := auth.CallContext(ctx, &vh, "engine_fullyVerifiedL2HeadV1"); err != nil || vh.Source != "verified" || vh.Block.Number == 0 {
		t.Fatalf("engine_fullyVerifiedL2HeadV1: %+v, %v", vh, err)
	}
	if err := auth.CallContext(ctx, &vh, "engine_finalizedL2HeadV1"); err != nil || vh.Source != "verified" {
		t.Fatalf("engine_finalizedL2HeadV1: %+v, %v", vh, err)
	}
}

// A second xgeth that follows a chain over JSON-RPC adopts the deposits-only replacement of
// a denied block: the log of the replaced block is known to it before, and gone after.
func TestRemoteFollowerAdoptsReplacement(t *testing.T) {
	t.Parallel()
	a, b := startPair(t, func(cfgA, _ *devnet.Config) {
		cfgA.ReplaceDelay = 3 * time.Second // B sees the invalid block before it goes
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src, err := ethclient.DialContext(ctx, a.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rpcB := mustDial(ctx, t, b.Chains[0].HTTPEndpoint())
	waitBlocks(ctx, t, src, 2)

	// An unchecked transaction executing a message 901 never emitted. Its ExecutingMessage
	// log, an initiating message in its own right, is known to B while B indexes the block.
	first, _ := src.HeaderByNumber(ctx, big.NewInt(1))
	bogus := message.Message{Identifier: message.Identifier{Origin: common.Address{0xbe, 0xef}, BlockNumber: 1, LogIndex: 9, Timestamp: first.Time, ChainID: *uint256.NewInt(901)},
		MsgHash: crypto.Keccak256Hash([]byte("not emitted either"))}
	logMsg, r := sendUnchecked(ctx, t, a, 0, src, bogus)
	hdr, _ := src.HeaderByHash(ctx, r.BlockHash)
	entries := accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&logMsg.Identifier, logMsg.MsgHash)})
	desc := map[string]any{"chainID": "902", "timestamp": hexutil.Uint64(hdr.Time + 10)}
	check := func() error {
		var out any
		return rpcB.CallContext(ctx, &out, "interop_checkAccessList", entries, "unsafe", desc)
	}
	for {
		err := check()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("B never indexed the invalid block: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// A replaces the block; B follows the reorg: the log is gone from its index.
	for {
		err := check()
		if err != nil && strings.Contains(err.Error(), "no log at that index") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("B kept the replaced block: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	b2, err := src.BlockByNumber(ctx, r.BlockNumber)
	if err != nil || b2.Hash() == r.BlockHash || len(b2.Transactions()) != 1 {
		t.Fatalf("A's block %d not replaced deposits-only: %v", r.BlockNumber, err)
	}
	// B reads 901's local labels from A's interop_safety, and 901 becomes cross-safe on B past
	// the replaced height, with A's replacement.
	for {
		sf := safetyOf(ctx, t, rpcB, 901)
		if sf.LocalSafe != nil && sf.CrossSafe != nil && uint64(sf.CrossSafe.Number) > r.BlockNumber.Uint64() {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("901 never cross-safe on B past block %d: %+v", r.BlockNumber, sf)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Three chains: A executes a log of B's block, which executes a log of C's block, which
// executes a message that does not exist. C's block is denied and replaced first; B's
// then turns invalid and is replaced; then A's.
func TestTransitiveInvalidationThreeChains(t *testing.T) {
	t.Parallel()
	cfg := devnet.DefaultConfig()
	cfg.ChainIDs = []uint64{901, 902, 903}
	cfg.ReplaceDelay = 8 * time.Second // the dependent blocks are built on C's block before it goes
	cfg.SafeLag = 30
	d, ctx, clients := startDevnet(t, cfg, httpURL)
	a, b, c := clients[0], clients[1], clients[2]
	waitBlocks(ctx, t, c, 2)

	first, _ := c.HeaderByNumber(ctx, big.NewInt(1))
	bogus := message.Message{Identifier: message.Identifier{Origin: common.Address{0x0c}, BlockNumber: 1, LogIndex: 5, Timestamp: first.Time, ChainID: *uint256.NewInt(901)},
		MsgHash: crypto.Keccak256Hash([]byte("C executes nothing real"))}
	logC, rC := sendUnchecked(ctx, t, d, 2, c, bogus)
	logB, rB := sendUnchecked(ctx, t, d, 1, b, logC)
	_, rA := sendUnchecked(ctx, t, d, 0, a, logB)

	type watched struct {
		name string
		cl   *ethclient.Client
		r    *types.Receipt
		at   time.Time
	}
	ws := []*watched{{"C", c, rC, time.Time{}}, {"B", b, rB, time.Time{}}, {"A", a, rA, time.Time{}}}
	for done := 0; done < len(ws); {
		for _, w := range ws {
			if !w.at.IsZero() {
				continue
			}
			blk, err := w.cl.BlockByNumber(ctx, w.r.BlockNumber)
			if err == nil && blk.Hash() != w.r.BlockHash {
				if len(blk.Transactions()) != 1 {
					t.Fatalf("%s's replacement has %d transactions", w.name, len(blk.Transactions()))
				}
				w.at = time.Now()
				done++
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not every block replaced: C %v, B %v, A %v", ws[0].at, ws[1].at, ws[2].at)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !ws[0].at.Before(ws[1].at) || !ws[1].at.Before(ws[2].at) {
		t.Fatalf("replaced out of order: C %v, B %v, A %v", ws[0].at, ws[1].at, ws[2].at)
	}
}

// superroot_atTimestamp over JSON-RPC: optimistic outputs of both chains at a timestamp,
// each the chain's block there; null data until both are cross-safe there, then the super
// root of the two output roots.
func TestSuperRootAtTimestamp(t *testing.T) {
	t.Parallel()
	cfg := devnet.DefaultConfig()
	cfg.SafeLag, cfg.FinalizedLag = 2, 1
	d, ctx, clients := startDevnet(t, cfg, httpURL)
	waitBlocks(ctx, t, clients[0], 3)
	cl := mustDial(ctx, t, d.Chains[1].HTTPEndpoint())
	head, _ := clients[0].HeaderByNumber(ctx, nil)
	ts := head.Time

	type atTS struct {
		SafeTimestamp uint64   `json:"safe_timestamp"`
		ChainIDs      []string `json:"chain_ids"`
		Optimistic    map[string]struct {
			Output struct {
				StateRoot, MessagePasserStorageRoot, BlockHash common.Hash
			} `json:"output"`
			OutputRoot common.Hash `json:"output_root"`
		} `json:"optimistic_at_timestamp"`
		Data *struct {
			Super struct {
				Timestamp hexutil.Uint64 `json:"timestamp"`
				Chains    []struct {
					ChainID string
					Output  common.Hash
				} `json:"chains"`
			} `json:"super"`
			SuperRoot common.Hash `json:"super_root"`
		} `json:"data"`
	}
	var got atTS
	for {
		if err := cl.CallContext(ctx, &got, "superroot_atTimestamp", hexutil.Uint64(ts)); err != nil {
			t.Fatal(err)
		}
		if got.Data != nil {
			break
		}
		if got.SafeTimestamp >= ts {
			t.Fatalf("safe at %d ≥ %d but no data", got.SafeTimestamp, ts)
		}
		select {
		case <-ctx.Done():
			t.Fatal("super root never verified")
		case <-time.After(200 * time.Millisecond):
		}
	}
	if strings.Join(got.ChainIDs, ",") != "901,902" || len(got.Data.Super.Chains) != 2 || uint64(got.Data.Super.Timestamp) != ts {
		t.Fatalf("answer %+v", got)
	}
	for i, c := range clients {
		id := []string{"901", "902"}[i]
		o := got.Optimistic[id]
		blk, err := c.HeaderByHash(ctx, o.Output.BlockHash)
		if err != nil || blk.Time != ts || blk.Root != o.Output.StateRoot || *blk.WithdrawalsHash != o.Output.MessagePasserStorageRoot {
			t.Fatalf("chain %s: output %+v is not its block at %d (%v)", id, o.Output, ts, err)
		}
		if got.Data.Super.Chains[i].ChainID != id || got.Data.Super.Chains[i].Output != o.OutputRoot {
			t.Fatalf("super chains %+v", got.Data.Super.Chains)
		}
	}
	// The super root is the hash of the spec's layout over these output roots.
	var pre []byte
	pre = append(pre, 1)
	pre = append(pre, byte(ts>>56), byte(ts>>48), byte(ts>>40), byte(ts>>32), byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts))
	for _, c := range got.Data.Super.Chains {
		id, _ := new(big.Int).SetString(c.ChainID, 10)
		pre = append(pre, common.LeftPadBytes(id.Bytes(), 32)...)
		pre = append(pre, c.Output[:]...)
	}
	if crypto.Keccak256Hash(pre) != got.Data.SuperRoot {
		t.Fatal("super root does not hash the outputs")
	}
	// A timestamp ahead of the chains: no data, and no output of a block that does not exist.
	var ahead atTS
	if err := cl.CallContext(ctx, &ahead, "superroot_atTimestamp", hexutil.Uint64(ts+3600)); err != nil {
		t.Fatal(err)
	}
	if ahead.Data != nil {
		t.Fatal("verified data for a timestamp an hour ahead")
	}
}

// A derived payload (forced transactions, as op-node sends them from L1 batches) is judged
// on the executing messages its block emits: forkchoiceUpdated accepts the attributes and
// newPayload answers INVALID naming the message, which op-node turns into a deposits-only
// replacement. A transaction that declares the same invalid message but never executes it
// leaves the block VALID. A message that cannot be judged yet gets a server error (retry)
// from forkchoiceUpdated, never -38003 or INVALID.
func TestDerivedPayloadJudged(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	src, dst := clients[0], clients[1]
	waitBlocks(ctx, t, dst, 2)
	auth := dialAuth(ctx, t, d, d.Chains[1])
	d.Chains[1].Pause()
	defer d.Chains[1].Resume()
	head, err := dst.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	genesis, _ := dst.HeaderByNumber(ctx, big.NewInt(0))
	deposit, _ := devnet.L1InfoDeposit(head.Number.Uint64()+1, genesis.Time).MarshalBinary()
	srcHead, _ := src.HeaderByNumber(ctx, nil)
	inbox, elsewhere := xparams.CrossL2InboxAddress, common.Address{0x42}
	nextTS := head.Time + 1
	builds := byte(0)
	attrsWith := func(m message.Message, ts uint64, to *common.Address) *engine.PayloadAttributes {
		al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&m.Identifier, m.MsgHash)})
		tx := types.MustSignNewTx(d.Accounts[3].Key, types.LatestSignerForChainID(big.NewInt(902)), &types.DynamicFeeTx{
			ChainID: big.NewInt(902), Nonce: 0, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: 200_000, To: to,
			Data: event.EncodeValidateMessage(&m), AccessList: al})
		raw, _ := tx.MarshalBinary()
		gas, minBase, root := uint64(30_000_000), uint64(0), common.Hash{}
		builds++
		return &engine.PayloadAttributes{Timestamp: ts, Random: common.Hash{builds}, SuggestedFeeRecipient: common.Address{2}, Withdrawals: []*types.Withdrawal{},
			BeaconRoot: &root, Transactions: [][]byte{deposit, raw}, NoTxPool: true, GasLimit: &gas, EIP1559Params: make([]byte, 8), MinBaseFee: &minBase}
	}
	state := engine.ForkchoiceStateV1{HeadBlockHash: head.Hash()}
	// build runs forkchoiceUpdated with attrs, getPayload and newPayload, as op-node does.
	build := func(attrs *engine.PayloadAttributes) engine.PayloadStatusV1 {
		t.Helper()
		var res engine.ForkChoiceResponse
		if err := auth.CallContext(ctx, &res, "engine_forkchoiceUpdatedV3", state, attrs); err != nil {
			t.Fatalf("forkchoiceUpdated with derived attributes: %v (%s)", err, errorData(err))
		}
		if res.PayloadID == nil {
			t.Fatalf("no payload ID (status %s)", res.PayloadStatus.Status)
		}
		var env engine.ExecutionPayloadEnvelope
		if err := auth.CallContext(ctx, &env, "engine_getPayloadV4", res.PayloadID); err != nil {
			t.Fatal(err)
		}
		if len(env.ExecutionPayload.Transactions) != 2 {
			t.Fatalf("built block has %d transactions, want the deposit and the forced one", len(env.ExecutionPayload.Transactions))
		}
		var status engine.PayloadStatusV1
		if err := auth.CallContext(ctx, &status, "engine_newPayloadV4", env.ExecutionPayload, []common.Hash{}, common.Hash{}, []hexutil.Bytes{}); err != nil {
			t.Fatal(err)
		}
		return status
	}

	// A log 901 does not have, executed: INVALID, naming it.
	first, _ := src.HeaderByNumber(ctx, big.NewInt(1))
	bad := message.Message{Identifier: message.Identifier{Origin: common.Address{7}, BlockNumber: 1, LogIndex: 9, Timestamp: first.Time, ChainID: *uint256.NewInt(901)},
		MsgHash: common.Hash{8}}
	status := build(attrsWith(bad, nextTS, &inbox))
	if status.Status != engine.INVALID || status.ValidationError == nil || !strings.Contains(*status.ValidationError, "log 9") {
		t.Fatalf("derived payload executing an invalid message: status %s (%v), want INVALID naming the message", status.Status, status.ValidationError)
	}
	if status.LatestValidHash == nil || *status.LatestValidHash != head.Hash() {
		t.Fatalf("latestValidHash %v, want the parent %s", status.LatestValidHash, head.Hash())
	}
	// The same declaration, never executed: the block is valid.
	if status := build(attrsWith(bad, nextTS, &elsewhere)); status.Status != engine.VALID {
		t.Fatalf("derived payload that only declares an invalid message: status %s (%v), want VALID", status.Status, status.ValidationError)
	}
	// A block of 901 above what is indexed, in the attributes' past: no verdict yet.
	future := message.Message{Identifier: message.Identifier{Origin: common.Address{7}, BlockNumber: srcHead.Number.Uint64() + 50, LogIndex: 0,
		Timestamp: srcHead.Time + 50, ChainID: *uint256.NewInt(901)}, MsgHash: common.Hash{9}}
	var res engine.ForkChoiceResponse
	err = auth.CallContext(ctx, &res, "engine_forkchoiceUpdatedV3", state, attrsWith(future, srcHead.Time+60, &inbox))
	var rerr rpc.Error
	if err == nil || !errors.As(err, &rerr) || rerr.ErrorCode() == -38003 || !strings.Contains(errorData(err), "retry") {
		t.Fatalf("forced transaction whose message has no verdict yet: %v (%s), want a retryable server error", err, errorData(err))
	}
	// Nothing changed: the head is the same.
	if now, _ := dst.HeaderByNumber(ctx, nil); now.Hash() != head.Hash() {
		t.Fatal("judging payloads moved the head")
	}
}

// errorData is the data of a JSON-RPC error, as text.
func errorData(err error) string {
	var de rpc.DataError
	if errors.As(err, &de) {
		return fmt.Sprint(de.ErrorData())
	}
	return ""
}

// sendUnchecked executes msg on chain i of d (with account i) through
// devnet_sendUncheckedTransaction, waits for the receipt, and returns the executing log as
// an initiating message of that chain, and the receipt.
func sendUnchecked(ctx context.Context, t *testing.T, d *devnet.Devnet, i int, cl *ethclient.Client, msg message.Message) (message.Message, *types.Receipt) {
	t.Helper()
	inbox := xparams.CrossL2InboxAddress
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
	tx := signTx(ctx, t, cl, d.Accounts[i], &inbox, event.EncodeValidateMessage(&msg), al, 200_000)
	raw, _ := tx.MarshalBinary()
	var h common.Hash
	if err := dialAuth(ctx, t, d, d.Chains[i]).CallContext(ctx, &h, "devnet_sendUncheckedTransaction", hexutil.Bytes(raw)); err != nil {
		t.Fatal(err)
	}
	r := waitReceipt(ctx, t, cl, tx.Hash())
	id := d.Chains[i].ID
	if r.Status != types.ReceiptStatusSuccessful || len(r.Logs) != 1 {
		t.Fatalf("chain %d: executing transaction status %d, %d logs", id, r.Status, len(r.Logs))
	}
	hdr, err := cl.HeaderByHash(ctx, r.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	return message.OfLog(r.Logs[0], hdr.Time, uint256.NewInt(id)), r
}

// startPair starts devnet A running chain 901 and devnet B running 902 that follows A's 901
// over WebSocket, both with one-second blocks; edit adjusts their configurations. Both stop
// with the test.
func startPair(t *testing.T, edit func(a, b *devnet.Config)) (*devnet.Devnet, *devnet.Devnet) {
	t.Helper()
	cfgA, cfgB := devnet.DefaultConfig(), devnet.DefaultConfig()
	cfgA.ChainIDs, cfgA.BasePort, cfgA.BlockTime = []uint64{901}, 0, time.Second
	cfgB.ChainIDs, cfgB.BasePort, cfgB.BlockTime = []uint64{902}, 0, time.Second
	if edit != nil {
		edit(&cfgA, &cfgB)
	}
	a, err := devnet.Start(cfgA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	cfgB.Remote = map[uint64]string{901: a.Chains[0].WSEndpoint()}
	b, err := devnet.Start(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return a, b
}
