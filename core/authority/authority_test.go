package authority

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/crosssafety"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rules"
	"github.com/xgeth/xgeth/interop/safety"
)

// world is a real chain of 6 empty blocks, its real log index, checker and safety engine,
// and the authority API over them (catalyst is not needed for these methods).
type world struct {
	t      *testing.T
	bc     *core.BlockChain
	db     ethdb.Database
	engine *crosssafety.Engine
	id     uint256.Int
	api    *API
}

func newWorld(t *testing.T, act rules.Activation) *world {
	t.Helper()
	key, _ := crypto.GenerateKey()
	sender := crypto.PubkeyToAddress(key.PublicKey)
	genesis := &core.Genesis{Config: params.AllEthashProtocolChanges, GasLimit: 30_000_000, Timestamp: 1000,
		Alloc: types.GenesisAlloc{sender: {Balance: big.NewInt(1e18)}}}
	_, blocks, _ := core.GenerateChainWithGenesis(genesis, ethash.NewFaker(), 6, func(i int, g *core.BlockGen) {
		g.OffsetTime(int64(i))
		if i == 4 { // block 5 carries a transaction
			g.AddTx(types.MustSignNewTx(key, types.LatestSigner(genesis.Config), &types.LegacyTx{Nonce: 0, To: &common.Address{1}, Gas: 21_000, GasPrice: g.BaseFee()}))
		}
	})
	chainDB := rawdb.NewMemoryDatabase()
	bc, err := core.NewBlockChain(chainDB, genesis, ethash.NewFaker(), core.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bc.Stop)
	if _, err := bc.InsertChain(blocks); err != nil {
		t.Fatal(err)
	}
	id := *uint256.NewInt(genesis.Config.ChainID.Uint64())
	db := memorydb.New()
	idx, err := logindex.Open(db, &id, logindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(0); n <= 6; n++ {
		h := bc.GetHeaderByNumber(n)
		if err := idx.Append(&logindex.Block{BlockRef: refOf(h)}); err != nil {
			t.Fatal(err)
		}
	}
	set, err := depset.New([]depset.Chain{{ID: id, ActivationTime: act.Time, BlockTime: act.BlockTime}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := checker.New(set, checker.IndexSet{id: idx}, checker.Config{Logger: log.NewLogger(log.DiscardHandler())})
	e, err := crosssafety.New(crosssafety.Config{Chains: []crosssafety.Chain{{ID: id, Index: idx}}, Verifier: c, DB: db, Logger: log.NewLogger(log.DiscardHandler())})
	if err != nil {
		t.Fatal(err)
	}
	labels := NewLabels(bc, &id, e)
	labels.SetChainDB(chainDB)
	return &world{t: t, bc: bc, db: chainDB, engine: e, id: id, api: &API{labels: labels, act: act, genesis: 1000, checker: c}}
}

func (w *world) header(n uint64) *types.Header { return w.bc.GetHeaderByNumber(n) }

// The verifier heads follow op-node's VerifierHead: pre-activation before interop is active
// at the local-safe head, the anchor (activation − 1, at least genesis) before anything is
// verified, then the verified cross-safe head.
func TestVerifierHeads(t *testing.T) {
	for _, tc := range []struct {
		name       string
		act        rules.Activation
		localSafe  int // -1: no label
		wantSource string
		wantTS     uint64
		wantBlock  uint64
	}{
		{name: "no local-safe label", act: rules.Activation{Time: 1000, BlockTime: 10}, localSafe: -1, wantSource: SourcePreActivation},
		{name: "local-safe before activation", act: rules.Activation{Time: 5000, BlockTime: 10}, localSafe: 3, wantSource: SourcePreActivation},
		{name: "active, nothing verified: anchor at activation − 1", act: rules.Activation{Time: 1025, BlockTime: 10}, localSafe: 4, wantSource: SourceAnchor, wantTS: 1024},
		{name: "active from genesis: anchor clamped to genesis", act: rules.Activation{Time: 0, BlockTime: 10}, localSafe: 4, wantSource: SourceAnchor, wantTS: 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.act)
			if tc.localSafe >= 0 {
				// A label the index does not have (another hash): nothing becomes cross-safe.
				ref := refOf(w.header(uint64(tc.localSafe)))
				ref.Hash = common.Hash{0xfe}
				w.engine.SetLocalSafe(&w.id, ref)
				w.engine.Resolve()
			}
			got, err := w.api.verifierHead(safety.Safe)
			if err != nil {
				t.Fatal(err)
			}
			if got.Source != tc.wantSource || uint64(got.Timestamp) != tc.wantTS || got.Block.Number != 0 || got.Block.Hash != (common.Hash{}) {
				t.Fatalf("verifier head %+v, want %s at %d with a zero block", got, tc.wantSource, tc.wantTS)
			}
		})
	}
}

// Once a block is cross-safe, the verifier head is that block, verified; finalized follows
// local-finalized.
func TestVerifiedHead(t *testing.T) {
	w := newWorld(t, rules.Activation{Time: 1000, BlockTime: 10})
	w.engine.SetLocalSafe(&w.id, refOf(w.header(4)))
	w.engine.SetLocalFinalized(&w.id, refOf(w.header(2)))
	w.engine.Resolve()
	got, err := w.api.FullyVerifiedL2HeadV1()
	if err != nil || got.Source != SourceVerified || uint64(got.Block.Number) != 4 || got.Block.Hash != w.header(4).Hash() || uint64(got.Timestamp) != w.header(4).Time {
		t.Fatalf("fully verified head %+v, %v", got, err)
	}
	fin, err := w.api.FinalizedL2HeadV1()
	if err != nil || fin.Source != SourceVerified || uint64(fin.Block.Number) != 2 {
		t.Fatalf("finalized head %+v, %v", fin, err)
	}
}

// The labels forwarded to op-geth are the lower of the consensus client's and the engine's,
// and only canonical blocks; anything else leaves the label alone (zero hash).
func TestCrossLabels(t *testing.T) {
	w := newWorld(t, rules.Activation{Time: 1000, BlockTime: 10})
	h := func(n uint64) common.Hash { return w.header(n).Hash() }
	// Nothing cross-safe yet: leave the label.
	if got := w.api.crossLabel(h(5), safety.Safe); got != (common.Hash{}) {
		t.Fatalf("no cross-safe head: %s, want zero", got)
	}
	w.engine.SetLocalSafe(&w.id, refOf(w.header(4)))
	w.engine.Resolve()
	for _, tc := range []struct {
		name  string
		local common.Hash
		want  common.Hash
	}{
		{"client ahead of cross-safe: cross-safe", h(6), h(4)},
		{"client at cross-safe", h(4), h(4)},
		{"client behind cross-safe: the client's", h(3), h(3)},
		{"zero: left alone", common.Hash{}, common.Hash{}},
		{"unknown block: left alone", common.Hash{0xab}, common.Hash{}},
	} {
		if got := w.api.crossLabel(tc.local, safety.Safe); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	st := w.api.crossLabels(engine.ForkchoiceStateV1{HeadBlockHash: h(6), SafeBlockHash: h(6), FinalizedBlockHash: h(1)})
	if st.HeadBlockHash != h(6) || st.SafeBlockHash != h(4) || st.FinalizedBlockHash != (common.Hash{}) {
		t.Fatalf("forkchoice state %+v", st)
	}
}

// engine_rewindV1 moves the head to the parent of the block, keeps safe at or below it, and
// refuses unknown blocks, genesis and finalized blocks without changing anything.
func TestRewind(t *testing.T) {
	w := newWorld(t, rules.Activation{Time: 1000, BlockTime: 10})
	w.engine.SetLocalSafe(&w.id, refOf(w.header(5)))
	w.engine.SetLocalFinalized(&w.id, refOf(w.header(2)))
	w.engine.Resolve()
	w.api.labels.sync()
	if s := w.bc.CurrentSafeBlock(); s == nil || s.Number.Uint64() != 5 {
		t.Fatalf("safe block %v, want 5 from the engine", s)
	}
	head := w.bc.CurrentBlock().Hash()
	for _, bad := range []common.Hash{{0x01}, w.header(0).Hash(), w.header(2).Hash(), w.header(1).Hash()} {
		if _, err := w.api.RewindV1(bad); err == nil {
			t.Errorf("rewind to before %s accepted", bad)
		}
		if w.bc.CurrentBlock().Hash() != head {
			t.Fatal("a refused rewind moved the head")
		}
	}
	dropped := w.bc.GetBlockByNumber(5).Transactions()[0].Hash()
	if rawdb.ReadTxLookupEntry(w.db, dropped) == nil {
		t.Fatal("test set-up: block 5's transaction is not indexed")
	}
	got, err := w.api.RewindV1(w.header(5).Hash())
	if err != nil || uint64(got.Number) != 4 || w.bc.CurrentBlock().Number.Uint64() != 4 {
		t.Fatalf("rewind below block 5: %+v, %v; head %d", got, err, w.bc.CurrentBlock().Number)
	}
	if s := w.bc.CurrentSafeBlock(); s != nil && s.Number.Uint64() > 4 {
		t.Fatalf("safe block %d above the new head", s.Number)
	}
	if f := w.bc.CurrentFinalBlock(); f == nil || f.Number.Uint64() != 2 {
		t.Fatalf("finalized %v, want 2 unchanged", f)
	}
	if rawdb.ReadTxLookupEntry(w.db, dropped) != nil {
		t.Fatal("the transaction index still points into the removed block")
	}
}

// A block dropped as denied, and its descendants, are refused for good: forkchoiceUpdated to
// one of them answers -38002 (op-node resets), newPayload of one of them or of a child
// INVALID with the block the chain went back to. An ordinary rewind refuses nothing. Both
// make the API forget its cached payloads.
func TestDropDeniedRefusesRemovedBlocks(t *testing.T) {
	w := newWorld(t, rules.Activation{Time: 1000, BlockTime: 10})
	forgot := 0
	w.api.labels.afterRewind = func() { forgot++ }
	h4, h5, h6 := w.header(4), w.header(5), w.header(6)

	plain := newWorld(t, rules.Activation{Time: 1000, BlockTime: 10})
	plain.api.labels.afterRewind = func() { forgot++ }
	if _, _, err := plain.api.labels.Rewind(plain.header(5).Hash()); err != nil {
		t.Fatal(err)
	}
	if _, ok := plain.api.labels.droppedTo(plain.header(5).Hash()); ok || forgot != 1 {
		t.Fatalf("ordinary rewind: block remembered as dropped %v, payloads forgotten %d times", ok, forgot)
	}

	if _, _, err := w.api.labels.DropDenied(h5.Hash()); err != nil {
		t.Fatal(err)
	}
	if forgot != 2 || w.bc.CurrentBlock().Hash() != h4.Hash() {
		t.Fatalf("payloads forgotten %d times, head %d", forgot, w.bc.CurrentBlock().Number)
	}
	ctx := context.Background()
	for _, h := range []*types.Header{h5, h6} {
		_, err := w.api.ForkchoiceUpdatedV3(ctx, engine.ForkchoiceStateV1{HeadBlockHash: h.Hash()}, nil)
		var rerr rpc.Error
		if !errors.As(err, &rerr) || rerr.ErrorCode() != -38002 {
			t.Fatalf("forkchoiceUpdated to dropped block %d: %v, want -38002", h.Number, err)
		}
		st, err := w.api.NewPayloadV3(ctx, engine.ExecutableData{Number: h.Number.Uint64(), BlockHash: h.Hash(), ParentHash: h.ParentHash}, nil, nil)
		if err != nil || st.Status != engine.INVALID || st.LatestValidHash == nil || *st.LatestValidHash != h4.Hash() || st.ValidationError == nil {
			t.Fatalf("newPayload of dropped block %d: %+v, %v; want INVALID back to block 4", h.Number, st, err)
		}
	}
	child := common.Hash{0xc1}
	st, _ := w.api.NewPayloadV4(ctx, engine.ExecutableData{Number: 7, BlockHash: child, ParentHash: h6.Hash()}, nil, nil, nil)
	if st.Status != engine.INVALID || *st.LatestValidHash != h4.Hash() {
		t.Fatalf("newPayload of a child of a dropped block: %+v", st)
	}
	if to, ok := w.api.labels.droppedTo(child); !ok || to != h4.Hash() {
		t.Fatal("a child of a dropped block is not remembered as dropped")
	}
}
