package txpool

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	gethtxpool "github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/types/interoptypes"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
	"github.com/xgeth/xgeth/interop/safety"
	xparams "github.com/xgeth/xgeth/params"
)

// The test world: chains 901 (initiating, indexed) and 902 (the pool's chain, in the set
// but not indexed), both active from genesis with 2 s blocks. The index of 901 holds blocks
// 1..3 with logsPerBlock logs each; the pool's next block comes right after block 3.
const (
	srcChain     = 901
	dstChain     = 902
	blockTime    = 2
	genesis      = 1_000_000
	indexedHead  = 3
	logsPerBlock = 3
	gasLimit     = 30_000_000
)

// blockTS is the timestamp of block n of either chain.
func blockTS(n uint64) uint64 { return genesis + n*blockTime }

// world is a real checker over a real log index (memorydb) and dependency set.
type world struct {
	set     *depset.Set
	idx     *logindex.ChainIndex
	checker *checker.Checker
	parent  common.Hash
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	set, err := depset.New([]depset.Chain{
		{ID: *uint256.NewInt(srcChain), ActivationTime: genesis, BlockTime: blockTime},
		{ID: *uint256.NewInt(dstChain), ActivationTime: genesis, BlockTime: blockTime},
	}, 0)
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := logindex.Open(memorydb.New(), uint256.NewInt(srcChain), logindex.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	w := &world{idx: idx}
	for n := uint64(1); n <= indexedHead; n++ {
		w.appendBlock(tb, n)
	}
	w.set = set
	w.setCap(0)
	return w
}

// setCap rebuilds the world's checker with a cap on access-list entries (0: the default).
func (w *world) setCap(maxEntries int) {
	w.checker = checker.New(w.set, checker.IndexSet{*uint256.NewInt(srcChain): w.idx}, checker.Config{MaxEntries: maxEntries})
}

// msgAt is log i of block n of chain 901 as the index holds it (blocks not indexed yet
// get the same deterministic logs once appended).
func msgAt(n uint64, i uint32) message.Message {
	m := message.Message{
		Identifier: message.Identifier{Origin: common.Address{0xaa, byte(n), byte(i)}, BlockNumber: n, LogIndex: i, Timestamp: blockTS(n)},
		MsgHash:    crypto.Keccak256Hash([]byte{byte(n), byte(i)}),
	}
	m.Identifier.ChainID.SetUint64(srcChain)
	return m
}

// appendBlock indexes block n of chain 901 (the next one).
func (w *world) appendBlock(tb testing.TB, n uint64) {
	tb.Helper()
	b := &logindex.Block{BlockRef: logindex.BlockRef{Number: n, Hash: crypto.Keccak256Hash([]byte("block"), []byte{byte(n)}), ParentHash: w.parent, Timestamp: blockTS(n)}}
	for i := uint32(0); i < logsPerBlock; i++ {
		m := msgAt(n, i)
		b.LogHashes = append(b.LogHashes, message.LogHash(m.Identifier.Origin, m.MsgHash))
	}
	if err := w.idx.Append(b); err != nil {
		tb.Fatal(err)
	}
	w.parent = b.Hash
}

// head is the pool chain's head as the filter sees it.
type head struct {
	next     uint64
	gasLimit uint64
}

func (h *head) NextBlockTime() uint64 { return h.next }
func (h *head) GasLimit() uint64      { return h.gasLimit }

func newHead() *head { return &head{next: blockTS(indexedHead + 1), gasLimit: gasLimit} }

// countingChecker forwards to the real checker and counts the checks that reach it.
type countingChecker struct {
	*checker.Checker
	calls atomic.Int64
}

func (c *countingChecker) CheckAccessList(ctx context.Context, entries []common.Hash, minSafety safety.Level, desc checker.ExecutingDescriptor) error {
	c.calls.Add(1)
	return c.Checker.CheckAccessList(ctx, entries, minSafety, desc)
}

func accesses(msgs ...message.Message) []accesslist.Access {
	out := make([]accesslist.Access, len(msgs))
	for i := range msgs {
		out[i] = accesslist.FromMessage(&msgs[i].Identifier, msgs[i].MsgHash)
	}
	return out
}

// poolTx is an unsigned dynamic-fee transaction (the filter never looks at the sender);
// nonce keeps hashes apart.
func poolTx(nonce, gas uint64, al types.AccessList) *types.Transaction {
	to := common.Address{0x42}
	return types.NewTx(&types.DynamicFeeTx{
		ChainID: uint256.NewInt(dstChain).ToBig(), Nonce: nonce, Gas: gas, To: &to,
		GasTipCap: common.Big1, GasFeeCap: common.Big1, AccessList: al,
	})
}

func interopTx(nonce, gas uint64, msgs ...message.Message) *types.Transaction {
	return poolTx(nonce, gas, accesslist.TxAccessList(accesses(msgs...)))
}

func newTestFilter(w *world, h *head, mutate func(*Config)) (*Filter, *countingChecker) {
	cfg := DefaultConfig(uint256.NewInt(dstChain))
	if mutate != nil {
		mutate(&cfg)
	}
	cc := &countingChecker{Checker: w.checker}
	return NewFilter(cfg, cc, h), cc
}

// TestFilter runs each transaction through the filter as the patched legacy pool does:
// at admission (recheck false), then, after a new head (Invalidate), on re-validation.
// Admission rejects on any failure with the reason's JSON-RPC code; re-validation evicts
// only on a definitive verdict.
func TestFilter(t *testing.T) {
	effective := gasLimit - xparams.SystemTxGasMargin
	wrong := accesslist.Encode(accesses(msgAt(2, 1)))
	wrong[1][31] ^= 1
	unindexedChain := msgAt(2, 1)
	unindexedChain.Identifier.ChainID.SetUint64(dstChain)
	unknownChain := msgAt(2, 1)
	unknownChain.Identifier.ChainID.SetUint64(777)

	cases := []struct {
		name  string
		tx    *types.Transaction
		setup func(*world, *head, *Config)
		// admit is the sentinel the admission error matches (nil: admitted), with code.
		admit error
		code  int
		// evict: re-validation returns an error (the pool drops the transaction).
		evict bool
		// checks is how many checks reach the checker (admission and re-validation).
		checks int64
	}{
		{name: "plain transaction", tx: poolTx(0, 21_000, nil)},
		{name: "plain transaction with another address's access list",
			tx: poolTx(0, 21_000, types.AccessList{{Address: common.Address{0x01}, StorageKeys: []common.Hash{{0x01}}}})},
		{name: "valid message", tx: interopTx(0, 100_000, msgAt(2, 1)), checks: 2},
		{name: "valid messages of two blocks", tx: interopTx(0, 100_000, msgAt(1, 0), msgAt(3, 2)), checks: 2},
		{name: "wrong checksum", tx: poolTx(0, 100_000, types.AccessList{{Address: xparams.CrossL2InboxAddress, StorageKeys: wrong}}),
			admit: checker.ErrChecksumMismatch, code: -320600, evict: true, checks: 2},
		{name: "log not in the block", tx: interopTx(0, 100_000, msgAt(2, logsPerBlock)),
			admit: checker.ErrLogNotFound, code: -320600, evict: true, checks: 2},
		{name: "unknown initiating chain", tx: interopTx(0, 100_000, unknownChain),
			admit: checker.ErrUnknownInitiatingChain, code: -320501, evict: true, checks: 2},
		{name: "expires before the pool timeout", tx: interopTx(0, 100_000, msgAt(2, 1)),
			setup: func(_ *world, h *head, _ *Config) { h.next = blockTS(2) + xparams.MessageExpiryWindow - 86400 + 1 },
			admit: rules.ErrExpiresBeforeTimeout, code: -320600, evict: true, checks: 2},
		{name: "block not indexed yet", tx: interopTx(0, 100_000, msgAt(indexedHead+1, 0)),
			admit: checker.ErrBlockNotIndexed, code: -321401, checks: 2},
		{name: "chain not indexed yet", tx: interopTx(0, 100_000, unindexedChain),
			admit: checker.ErrNotIndexed, code: -320400, checks: 2},
		{name: "failsafe", tx: interopTx(0, 100_000, msgAt(2, 1)),
			setup: func(w *world, _ *head, _ *Config) { w.checker.SetFailsafe(true, "test") },
			admit: checker.ErrFailsafe, code: -320602},
		{name: "failsafe does not touch plain transactions", tx: poolTx(0, 21_000, nil),
			setup: func(w *world, _ *head, _ *Config) { w.checker.SetFailsafe(true, "test") }},
		// The cap is the checker's (the one every caller gets): refused before any lookup.
		{name: "entries at the cap", tx: interopTx(0, 100_000, msgAt(1, 0), msgAt(2, 0)),
			setup: func(w *world, _ *head, _ *Config) { w.setCap(4) }, checks: 2},
		{name: "entries above the cap", tx: interopTx(0, 100_000, msgAt(1, 0), msgAt(2, 0), msgAt(3, 0)),
			setup: func(w *world, _ *head, _ *Config) { w.setCap(4) },
			admit: checker.ErrTooManyEntries, code: -32602, evict: true, checks: 2},
		{name: "entries above the cap of an invalid list", tx: poolTx(0, 100_000, types.AccessList{{Address: xparams.CrossL2InboxAddress, StorageKeys: append(wrong, wrong...)}}),
			setup: func(w *world, _ *head, _ *Config) { w.setCap(2) },
			admit: checker.ErrTooManyEntries, code: -32602, evict: true, checks: 2},
		{name: "gas at the effective limit", tx: interopTx(0, effective, msgAt(2, 1)), checks: 2},
		{name: "gas above the effective limit", tx: interopTx(0, effective+1, msgAt(2, 1)),
			admit: ErrGasAboveEffectiveLimit, code: -32602, evict: true},
		{name: "gas above the effective limit of a larger margin", tx: interopTx(0, gasLimit-1_000_000+1, msgAt(2, 1)),
			setup: func(_ *world, _ *head, c *Config) { c.GasMargin = 1_000_000 },
			admit: ErrGasAboveEffectiveLimit, code: -32602, evict: true},
		{name: "plain transaction above the effective limit", tx: poolTx(0, effective+1, nil)},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, h := newWorld(t), newHead()
			cfg := DefaultConfig(uint256.NewInt(dstChain))
			if tc.setup != nil {
				tc.setup(w, h, &cfg)
			}
			cc := &countingChecker{Checker: w.checker}
			f := NewFilter(cfg, cc, h)

			// Admission.
			err := f.FilterTxReason(ctx, tc.tx, false)
			if f.FilterTx(ctx, tc.tx) != (err == nil) {
				t.Errorf("FilterTx disagrees with FilterTxReason (%v)", err)
			}
			pooled := gethtxpool.ApplyIngressFilter(ctx, f, tc.tx, false)
			if tc.admit == nil {
				if err != nil || pooled != nil {
					t.Fatalf("admission rejected: %v (pool: %v)", err, pooled)
				}
			} else {
				if !errors.Is(err, tc.admit) {
					t.Fatalf("admission: %v, want %v", err, tc.admit)
				}
				if code, ok := rpcerr.CodeOf(err); !ok || code != tc.code {
					t.Fatalf("admission code %d (%v), want %d", code, ok, tc.code)
				}
				// What eth_sendRawTransaction answers: the pool's wrapper keeps the code.
				if !errors.Is(pooled, core.ErrTxFilteredOut) || !errors.Is(pooled, tc.admit) {
					t.Fatalf("pool error %v does not wrap ErrTxFilteredOut and the reason", pooled)
				}
				if code, ok := rpcerr.CodeOf(pooled); !ok || code != tc.code {
					t.Fatalf("pool error code %d (%v), want %d", code, ok, tc.code)
				}
				if !strings.Contains(pooled.Error(), err.Error()) {
					t.Fatalf("pool error %q does not say why (%q)", pooled, err)
				}
			}

			// Re-validation after a new head.
			f.Invalidate()
			err = f.FilterTxReason(ctx, tc.tx, true)
			if (err != nil) != tc.evict {
				t.Fatalf("re-validation: %v, want evicted=%v", err, tc.evict)
			}
			if tc.evict && !errors.Is(err, tc.admit) {
				t.Fatalf("eviction reason %v, want %v", err, tc.admit)
			}
			if pooled := gethtxpool.ApplyIngressFilter(ctx, f, tc.tx, true); (pooled != nil) != tc.evict {
				t.Fatalf("pool re-validation: %v, want evicted=%v", pooled, tc.evict)
			}
			if got := cc.calls.Load(); got != tc.checks {
				t.Fatalf("%d checks reached the checker, want %d", got, tc.checks)
			}
		})
	}
}

// A transaction the checker had no verdict on is kept while its block is not indexed and
// admitted once it is (and the filter was told of the new block).
func TestFilterNoVerdictThenIndexed(t *testing.T) {
	w, h := newWorld(t), newHead()
	h.next = blockTS(indexedHead + 2)
	f, _ := newTestFilter(w, h, nil)
	ctx := context.Background()
	tx := interopTx(0, 100_000, msgAt(indexedHead+1, 2))

	if err := f.FilterTxReason(ctx, tx, false); !rpcerr.NoVerdictYet(err) {
		t.Fatalf("admission before the block is indexed: %v, want no verdict yet", err)
	}
	if err := f.FilterTxReason(ctx, tx, true); err != nil {
		t.Fatalf("re-validation before the block is indexed evicted: %v", err)
	}
	w.appendBlock(t, indexedHead+1)
	f.Invalidate()
	if err := f.FilterTxReason(ctx, tx, false); err != nil {
		t.Fatalf("admission after the block is indexed: %v", err)
	}
}

// The verdict cache: the same transaction in the same generation is answered without the
// checker, definitive verdicts and "no verdict yet" alike, at admission and on
// re-validation; Invalidate forces a new check; another transaction with the same messages
// is checked on its own.
func TestFilterVerdictCache(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		tx    *types.Transaction
		valid bool
	}{
		{"valid", interopTx(0, 100_000, msgAt(2, 1)), true},
		{"invalid", interopTx(0, 100_000, msgAt(2, logsPerBlock)), false},
		{"no verdict yet", interopTx(0, 100_000, msgAt(indexedHead+1, 0)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			f, cc := newTestFilter(w, newHead(), nil)
			first := f.FilterTxReason(ctx, tc.tx, false)
			if (first == nil) != tc.valid {
				t.Fatalf("first check: %v", first)
			}
			for i, recheck := range []bool{false, true, false} {
				err := f.FilterTxReason(ctx, tc.tx, recheck)
				if !recheck && err != first {
					t.Fatalf("cached answer %d: %v, want the first verdict %v", i, err, first)
				}
			}
			if n := cc.calls.Load(); n != 1 {
				t.Fatalf("%d checks in one generation, want 1", n)
			}
			f.Invalidate()
			if err := f.FilterTxReason(ctx, tc.tx, false); (err == nil) != tc.valid {
				t.Fatalf("check after Invalidate: %v", err)
			}
			if n := cc.calls.Load(); n != 2 {
				t.Fatalf("%d checks after Invalidate, want 2", n)
			}
			twin := interopTx(1, 100_000, msgAt(2, 1))
			_ = f.FilterTxReason(ctx, twin, false)
			if n := cc.calls.Load(); n != 3 {
				t.Fatalf("%d checks after another transaction, want 3", n)
			}
		})
	}
}

// The failsafe is never answered from the cache: it takes effect at once for a transaction
// whose verdict is cached, and once it is off the cached verdict serves again.
func TestFilterFailsafeOverCachedVerdict(t *testing.T) {
	w := newWorld(t)
	f, cc := newTestFilter(w, newHead(), nil)
	ctx := context.Background()
	tx := interopTx(0, 100_000, msgAt(2, 1))
	if err := f.FilterTxReason(ctx, tx, false); err != nil {
		t.Fatal(err)
	}
	w.checker.SetFailsafe(true, "test")
	err := f.FilterTxReason(ctx, tx, false)
	if code, _ := rpcerr.CodeOf(err); code != -320602 || !errors.Is(err, checker.ErrFailsafe) {
		t.Fatalf("admission with the failsafe on: %v (code %d), want -320602", err, code)
	}
	if err := f.FilterTxReason(ctx, tx, true); err != nil {
		t.Fatalf("re-validation with the failsafe on evicted: %v", err)
	}
	w.checker.SetFailsafe(false, "test")
	if err := f.FilterTxReason(ctx, tx, false); err != nil {
		t.Fatalf("admission after the failsafe: %v", err)
	}
	if n := cc.calls.Load(); n != 1 {
		t.Fatalf("%d checks, want 1 (the failsafe is decided before the checker)", n)
	}
}

// A check whose context ended gives no verdict: the transaction is rejected at admission,
// kept on re-validation, and the next check with a live context asks the checker again.
func TestFilterCanceledContextStoresNoVerdict(t *testing.T) {
	w := newWorld(t)
	f, cc := newTestFilter(w, newHead(), nil)
	tx := interopTx(0, 100_000, msgAt(2, 1))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	err := f.FilterTxReason(canceled, tx, false)
	if !errors.Is(err, context.Canceled) || !rpcerr.NoVerdictYet(err) {
		t.Fatalf("admission with a canceled context: %v, want canceled, no verdict yet", err)
	}
	if err := f.FilterTxReason(canceled, tx, true); err != nil {
		t.Fatalf("re-validation with a canceled context evicted: %v", err)
	}
	if n := cc.calls.Load(); n != 2 {
		t.Fatalf("%d checks, want 2 (a canceled check is not cached)", n)
	}
	ctx := context.Background()
	for range 2 {
		if err := f.FilterTxReason(ctx, tx, false); err != nil {
			t.Fatalf("admission with a live context: %v", err)
		}
	}
	if n := cc.calls.Load(); n != 3 {
		t.Fatalf("%d checks, want 3 (one live check, then cached)", n)
	}
}

// NewFilter fills in the defaults of a zero config.
func TestNewFilterDefaults(t *testing.T) {
	w := newWorld(t)
	f := NewFilter(Config{ChainID: *uint256.NewInt(dstChain), Timeout: 86400}, w.checker, newHead())
	if f.cfg.MinSafety != safety.CrossUnsafe {
		t.Fatalf("defaults: min safety %v", f.cfg.MinSafety)
	}
	if err := f.FilterTxReason(context.Background(), interopTx(0, 100_000, msgAt(2, 1)), false); err != nil {
		t.Fatal(err)
	}
}

// BuilderChecker is what op-geth's miner calls (patches 0002, 0003): it takes op-geth's
// safety strings and descriptor, maps the failsafe to op-geth's sentinel, and keeps the
// NoVerdictYet method the miner asks with errors.As.
func TestBuilderChecker(t *testing.T) {
	w := newWorld(t)
	bc := &BuilderChecker{Checker: w.checker}
	ctx := context.Background()
	valid := accesslist.Encode(accesses(msgAt(2, 1)))
	future := accesslist.Encode(accesses(msgAt(indexedHead+1, 0)))
	invalid := accesslist.Encode(accesses(msgAt(2, logsPerBlock)))
	desc := func(chain, ts, timeout uint64) interoptypes.ExecutingDescriptor {
		d := interoptypes.ExecutingDescriptor{Timestamp: ts, Timeout: timeout}
		d.ChainID.SetUint64(chain)
		return d
	}
	next := blockTS(indexedHead + 1)

	cases := []struct {
		name    string
		entries []common.Hash
		level   interoptypes.SafetyLevel
		desc    interoptypes.ExecutingDescriptor
		want    error // nil: valid
		says    string
		pending bool // NoVerdictYet of the error
	}{
		{name: "unsafe", entries: valid, level: interoptypes.Unsafe, desc: desc(dstChain, next, 0)},
		{name: "cross-unsafe", entries: valid, level: interoptypes.CrossUnsafe, desc: desc(dstChain, next, 0)},
		// Without a safety view the levels above cross-unsafe are parsed and refused by name.
		{name: "local-safe", entries: valid, level: interoptypes.LocalSafe, desc: desc(dstChain, next, 0), want: checker.ErrSafetyNotTracked, says: "local-safe requested"},
		{name: "safe", entries: valid, level: interoptypes.Safe, desc: desc(dstChain, next, 0), want: checker.ErrSafetyNotTracked, says: "safe requested"},
		{name: "finalized", entries: valid, level: interoptypes.Finalized, desc: desc(dstChain, next, 0), want: checker.ErrSafetyNotTracked, says: "finalized requested"},
		{name: "invalid is no minimum", entries: valid, level: interoptypes.Invalid, desc: desc(dstChain, next, 0), want: checker.ErrMinSafety},
		{name: "unknown level", entries: valid, level: "very-safe", desc: desc(dstChain, next, 0), want: safety.ErrUnknownLevel, says: "very-safe"},
		{name: "empty level", entries: valid, level: "", desc: desc(dstChain, next, 0), want: safety.ErrUnknownLevel},
		{name: "upper-case level", entries: valid, level: "CROSS-UNSAFE", desc: desc(dstChain, next, 0), want: safety.ErrUnknownLevel},
		{name: "descriptor chain", entries: valid, level: interoptypes.CrossUnsafe, desc: desc(5, next, 0), want: checker.ErrUnknownExecutingChain, says: "chain 5"},
		{name: "descriptor timestamp", entries: valid, level: interoptypes.CrossUnsafe, desc: desc(dstChain, blockTS(1), 0), want: rules.ErrInitiatedInFuture},
		{name: "descriptor timeout", entries: valid, level: interoptypes.CrossUnsafe, desc: desc(dstChain, next, xparams.MessageExpiryWindow), want: rules.ErrExpiresBeforeTimeout},
		{name: "definitive verdict", entries: invalid, level: interoptypes.CrossUnsafe, desc: desc(dstChain, next, 0), want: checker.ErrLogNotFound},
		{name: "no verdict yet", entries: future, level: interoptypes.CrossUnsafe, desc: desc(dstChain, next, 0), want: checker.ErrBlockNotIndexed, pending: true},
		{name: "empty list", entries: nil, level: interoptypes.CrossUnsafe, desc: desc(dstChain, next, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := bc.CheckAccessList(ctx, tc.entries, tc.level, tc.desc)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("%q does not say %q", err, tc.says)
			}
			// The miner's question (patch 0003).
			var x interface{ NoVerdictYet() bool }
			if !errors.As(err, &x) {
				t.Fatalf("%v has no NoVerdictYet method", err)
			}
			if x.NoVerdictYet() != tc.pending {
				t.Fatalf("NoVerdictYet() = %v, want %v", x.NoVerdictYet(), tc.pending)
			}
		})
	}

	t.Run("failsafe", func(t *testing.T) {
		if on, err := bc.GetFailsafeEnabled(ctx); on || err != nil {
			t.Fatalf("failsafe initially %v, %v", on, err)
		}
		w.checker.SetFailsafe(true, "test")
		defer w.checker.SetFailsafe(false, "test")
		// op-geth's backend compares with ==, so the sentinel itself must come back.
		if err := bc.CheckAccessList(ctx, valid, interoptypes.CrossUnsafe, desc(dstChain, next, 0)); err != interoptypes.ErrFailsafeEnabled {
			t.Fatalf("check with the failsafe on: %v, want interoptypes.ErrFailsafeEnabled", err)
		}
		if on, err := bc.GetFailsafeEnabled(ctx); !on || err != nil {
			t.Fatalf("failsafe after enabling %v, %v", on, err)
		}
		if err := bc.CheckAccessList(ctx, nil, interoptypes.CrossUnsafe, desc(dstChain, next, 0)); err != nil {
			t.Fatalf("empty list with the failsafe on: %v", err)
		}
	})
}
