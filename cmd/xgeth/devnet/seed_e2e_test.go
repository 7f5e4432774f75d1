package devnet_test

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	xparams "github.com/xgeth/xgeth/params"
)

// The seed's interop-cluster picture (issue 10) on seven chains 901..907 = A..G: A accepts
// B, C, D and E; B and C accept each other and A; D and E accept each other and A; F and G
// accept only each other. Over JSON-RPC:
//   - a log of E executed on D is accepted and included; the same log executed on B is
//     refused by B's pool (E is not in B's set, −320501);
//   - A executes the ExecutingMessage log of D's block, which A's pool accepts;
//   - E drops the block with the initiating log (sequencer equivocation): D's block is
//     denied and replaced deposits-only, then A's (denied after D's);
//   - F and G, who exchanged a message before the fault, are untouched: nothing of theirs
//     is denied, their blocks keep their hashes, and they keep sequencing.
func TestSeedClusterPicture(t *testing.T) {
	t.Parallel()
	const spec = "901:902+903+904+905,902:901+903,903:901+902,904:901+905,905:901+904,906:907,907:906"
	g, err := cluster.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	// The spec says what each chain accepts; the picture's edges go both ways.
	edges := [][2]uint64{{901, 902}, {901, 903}, {901, 904}, {901, 905}, {902, 903}, {904, 905}, {906, 907}}
	for x := uint64(901); x <= 907; x++ {
		for y := uint64(901); y <= 907; y++ {
			want := x == y || slices.Contains(edges, [2]uint64{x, y}) || slices.Contains(edges, [2]uint64{y, x})
			if got := g.Accepts(uint256.NewInt(x), uint256.NewInt(y)); got != want {
				t.Fatalf("spec: %d accepts %d: %v, want %v", x, y, got, want)
			}
		}
	}
	if got := idsOf(g.Transitive(uint256.NewInt(906))); !slices.Equal(got, []uint64{907}) {
		t.Fatalf("F's transitive set %v, want G only", got)
	}

	cfg := devnet.DefaultConfig()
	cfg.ChainIDs = []uint64{901, 902, 903, 904, 905, 906, 907}
	cfg.Cluster = g
	cfg.SafeLag = 100 // every block involved stays unsafe: only unsafe blocks can be dropped
	d, ctx, cls := startDevnet(t, cfg, httpURL)
	A, B, D, E, F, G := cls[0], cls[1], cls[3], cls[4], cls[5], cls[6]
	chainA, chainD, chainE, chainF, chainG := d.Chains[0], d.Chains[3], d.Chains[4], d.Chains[5], d.Chains[6]
	user := d.Accounts[0]
	inbox := xparams.CrossL2InboxAddress

	// Initiating logs on E and F (each chain's transactions share a block time).
	deployed := sendAll(ctx, t,
		chainTx{E, signTx(ctx, t, E, user, nil, emitterInit, nil, 200_000)},
		chainTx{F, signTx(ctx, t, F, user, nil, emitterInit, nil, 200_000)})
	emitted := sendAll(ctx, t,
		chainTx{E, signTx(ctx, t, E, user, &deployed[0].ContractAddress, []byte("E to D"), nil, 100_000)},
		chainTx{F, signTx(ctx, t, F, user, &deployed[1].ContractAddress, []byte("F to G"), nil, 100_000)})
	msgE := messageOfLog(ctx, t, E, emitted[0], 905)
	msgF := messageOfLog(ctx, t, F, emitted[1], 906)
	waitIndexed(ctx, t, chainD, 905, msgE.Identifier.BlockNumber)
	waitIndexed(ctx, t, chainG, 906, msgF.Identifier.BlockNumber)

	// 2. B does not accept E: its pool refuses the message with the configuration's verdict.
	refused := signTx(ctx, t, B, user, &inbox, event.EncodeValidateMessage(&msgE), accessListOf(&msgE), 200_000)
	err = B.SendTransaction(ctx, refused)
	var coded rpc.Error
	if !errors.As(err, &coded) || coded.ErrorCode() != -320501 || !strings.Contains(err.Error(), "chain 905 is not in the dependency set of chain 902") {
		t.Fatalf("B's pool on E's message: %v, want -320501 naming chains 905 and 902", err)
	}
	if _, _, err := B.TransactionByHash(ctx, refused.Hash()); err == nil {
		t.Fatal("B knows the refused transaction")
	}

	// 1. and 5.: D executes E's log, G executes F's, through their pools.
	execs := sendAll(ctx, t,
		chainTx{D, signTx(ctx, t, D, user, &inbox, event.EncodeValidateMessage(&msgE), accessListOf(&msgE), 200_000)},
		chainTx{G, signTx(ctx, t, G, user, &inbox, event.EncodeValidateMessage(&msgF), accessListOf(&msgF), 200_000)})
	execD, execG := execs[0], execs[1]
	checkExecuted(t, "D", execD, &msgE)
	checkExecuted(t, "G", execG, &msgF)

	// 3. A executes the log D's block emitted: CrossL2Inbox's ExecutingMessage, an
	// initiating message of D in its own right.
	msgD := messageOfLog(ctx, t, D, execD, 904)
	waitIndexed(ctx, t, chainA, 904, msgD.Identifier.BlockNumber)
	execA := sendTx(ctx, t, A, user, &inbox, event.EncodeValidateMessage(&msgD), accessListOf(&msgD), 200_000)
	checkExecuted(t, "A", execA, &msgD)

	// F and G before the fault: every block hash up to their heads.
	before := map[string]*recordedChain{"F": recordChain(ctx, t, F), "G": recordChain(ctx, t, G)}

	// 4. E drops the block with the initiating log and re-sequences that height.
	auth := map[string]*rpc.Client{"A": dialAuth(ctx, t, d, chainA), "D": dialAuth(ctx, t, d, chainD),
		"E": dialAuth(ctx, t, d, chainE), "F": dialAuth(ctx, t, d, chainF), "G": dialAuth(ctx, t, d, chainG)}
	var newHead map[string]any
	eBlock := msgE.Identifier.BlockNumber
	if err := auth["E"].CallContext(ctx, &newHead, "devnet_dropFrom", hexutil.Uint64(eBlock)); err != nil {
		t.Fatalf("devnet_dropFrom(%d) on E: %v", eBlock, err)
	}
	if b, err := E.BlockByNumber(ctx, new(big.Int).SetUint64(eBlock)); err != nil || b.Hash() == emitted[0].BlockHash || !depositsOnly(b) {
		t.Fatalf("E's block %d not re-sequenced deposits-only: %v", eBlock, err)
	}

	// D's block is denied, then A's (A's only follows from D's); both are replaced at the
	// same height by deposits-only blocks.
	type victim struct {
		name     string
		cl       *ethclient.Client
		r        *types.Receipt
		denied   bool
		replaced bool
	}
	victims := []*victim{{name: "A", cl: A, r: execA}, {name: "D", cl: D, r: execD}} // A asked first: see below
	for !victims[0].replaced || !victims[1].replaced {
		for _, v := range victims {
			if !v.denied {
				if err := auth[v.name].CallContext(ctx, &v.denied, "engine_isDeniedV1", hexutil.Uint64(v.r.BlockNumber.Uint64()), v.r.BlockHash); err != nil {
					t.Fatalf("engine_isDeniedV1 on %s: %v", v.name, err)
				}
			}
			if !v.replaced {
				b, err := v.cl.BlockByNumber(ctx, v.r.BlockNumber)
				if err == nil && b.Hash() != v.r.BlockHash {
					if !depositsOnly(b) {
						t.Fatalf("%s's replacement of block %d has %d transactions, want the deposit only", v.name, v.r.BlockNumber, len(b.Transactions()))
					}
					v.replaced = true
				}
			}
		}
		// A was asked before D: had A's block been denied before D's, this would see it.
		if victims[0].denied && !victims[1].denied {
			t.Fatal("A's block denied while D's block it depends on was not")
		}
		select {
		case <-ctx.Done():
			t.Fatalf("blocks not replaced: A denied %v replaced %v, D denied %v replaced %v", victims[0].denied, victims[0].replaced, victims[1].denied, victims[1].replaced)
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, v := range victims {
		var denied bool
		if err := auth[v.name].CallContext(ctx, &denied, "engine_isDeniedV1", hexutil.Uint64(v.r.BlockNumber.Uint64()), v.r.BlockHash); err != nil || !denied {
			t.Fatalf("engine_isDeniedV1 of %s's replaced block: %v, %v", v.name, denied, err)
		}
	}

	// 5. F and G: nothing denied, the recorded blocks unchanged, the heads moved on.
	for name, rec := range before {
		var maxDenied *hexutil.Uint64
		if err := auth[name].CallContext(ctx, &maxDenied, "engine_maxDeniedHeightV1"); err != nil || maxDenied != nil {
			t.Fatalf("engine_maxDeniedHeightV1 on %s: %v, %v; want none", name, maxDenied, err)
		}
		rec.waitPast(ctx, t, name, 2)
		rec.checkUnchanged(ctx, t, name)
	}
	var denied bool
	if err := auth["G"].CallContext(ctx, &denied, "engine_isDeniedV1", hexutil.Uint64(execG.BlockNumber.Uint64()), execG.BlockHash); err != nil || denied {
		t.Fatalf("engine_isDeniedV1 of G's executing block: %v, %v", denied, err)
	}
	if r, err := G.TransactionReceipt(ctx, execG.TxHash); err != nil || r.BlockHash != execG.BlockHash {
		t.Fatalf("G's executing transaction moved: %v", err)
	}
	if sf := safetyOf(ctx, t, mustDial(ctx, t, chainG.HTTPEndpoint()), 907); sf.CrossUnsafe == nil || uint64(sf.CrossUnsafe.Number) < execG.BlockNumber.Uint64() {
		t.Fatalf("G's cross-unsafe head %+v is below its executing block %d", sf.CrossUnsafe, execG.BlockNumber)
	}
}

// A line of chains A(901) ↔ D(904) ↔ E(905), where E's blocks become local-safe long after
// the others' (its batches reach L1 late). D executes a log of E, A executes a log of D's
// executing block. Until E's block is local-safe, neither D's nor A's executing block is
// cross-safe (interop_safety, and the "safe" block tag) though both are local-safe: A's
// safety waits on E, which is not in A's own set but in its transitive one. Once E's block
// is local-safe, cross-safe moves past both.
func TestCrossSafeWaitsForDelayedChain(t *testing.T) {
	t.Parallel()
	g, err := cluster.ParseSpec("901:904,904:901+905,905:904")
	if err != nil {
		t.Fatal(err)
	}
	if direct, trans := idsOf(g.Direct(uint256.NewInt(901))), idsOf(g.Transitive(uint256.NewInt(901))); !slices.Equal(direct, []uint64{904}) || !slices.Equal(trans, []uint64{904, 905}) {
		t.Fatalf("A's sets: direct %v, transitive %v", direct, trans)
	}
	// E's block with the log becomes local-safe eLag blocks (seconds) after it is sequenced:
	// long enough for D and A to execute and see their blocks local-safe, short enough to
	// watch cross-safe catch up.
	const eLag = 16
	cfg := devnet.DefaultConfig()
	cfg.ChainIDs = []uint64{901, 904, 905}
	cfg.Cluster = g
	cfg.SafeLag, cfg.FinalizedLag = 1, 1
	cfg.SafeLagOf = map[uint64]uint64{905: eLag}
	d, ctx, cls := startDevnet(t, cfg, httpURL)
	A, D, E := cls[0], cls[1], cls[2]
	user := d.Accounts[0]
	inbox := xparams.CrossL2InboxAddress

	emitter := deployEmitter(ctx, t, E, user)
	msgE, _ := emit(ctx, t, E, user, emitter, 905, "E to D")
	waitIndexed(ctx, t, d.Chains[1], 905, msgE.Identifier.BlockNumber)
	execD := sendTx(ctx, t, D, user, &inbox, event.EncodeValidateMessage(&msgE), accessListOf(&msgE), 200_000)
	checkExecuted(t, "D", execD, &msgE)
	msgD := messageOfLog(ctx, t, D, execD, 904)
	waitIndexed(ctx, t, d.Chains[0], 904, msgD.Identifier.BlockNumber)
	execA := sendTx(ctx, t, A, user, &inbox, event.EncodeValidateMessage(&msgD), accessListOf(&msgD), 200_000)
	checkExecuted(t, "A", execA, &msgD)
	eBlock, dBlock, aBlock := msgE.Identifier.BlockNumber, execD.BlockNumber.Uint64(), execA.BlockNumber.Uint64()

	// While E's block is not local-safe: nothing of D from dBlock on, nothing of A from
	// aBlock on, is cross-safe. E's local-safe head is read after the values it bounds (it
	// only grows here), so each sample is judged against a head no newer than its own.
	cl := mustDial(ctx, t, d.Chains[0].HTTPEndpoint())
	var (
		held          int // samples with A and D local-safe past their blocks, still held back
		heldFrom      time.Time
		lastA, lastD  rpcapi.ChainSafety
		safeA, safeDn uint64
	)
	for {
		heads := safetyMap(ctx, t, cl)
		sa, sd := heads[901], heads[904]
		safeA, safeDn = safeNumber(ctx, A), safeNumber(ctx, D)
		if below(safetyMap(ctx, t, cl)[905].LocalSafe, eBlock) {
			if !below(sd.CrossSafe, dBlock) || !below(sa.CrossSafe, aBlock) {
				t.Fatalf("cross-safe before E's block %d is local-safe: D %+v (executing block %d), A %+v (executing block %d)", eBlock, sd.CrossSafe, dBlock, sa.CrossSafe, aBlock)
			}
			if safeDn >= dBlock || safeA >= aBlock {
				t.Fatalf("\"safe\" tag before E's block %d is local-safe: D %d (executing block %d), A %d (executing block %d)", eBlock, safeDn, dBlock, safeA, aBlock)
			}
			if !below(sa.LocalSafe, aBlock) && !below(sd.LocalSafe, dBlock) {
				if held == 0 {
					heldFrom = time.Now()
				}
				held++
				lastA, lastD = sa, sd
			}
		} else {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("E's block %d never local-safe", eBlock)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if held == 0 {
		t.Fatalf("E's block %d became local-safe before A's and D's executing blocks did: E's safe lag %d is too short for this machine", eBlock, eLag)
	}
	t.Logf("held back for %v (%d samples): last seen A local-safe %d cross-safe %v, D local-safe %d cross-safe %v",
		time.Since(heldFrom).Round(100*time.Millisecond), held, lastA.LocalSafe.Number, numberOf(lastA.CrossSafe), lastD.LocalSafe.Number, numberOf(lastD.CrossSafe))

	// E's block is local-safe: cross-safe passes D's and A's executing blocks.
	for {
		heads := safetyMap(ctx, t, cl)
		if !below(heads[904].CrossSafe, dBlock) && !below(heads[901].CrossSafe, aBlock) && safeNumber(ctx, A) >= aBlock && safeNumber(ctx, D) >= dBlock {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cross-safe never passed the executing blocks after E's block %d became local-safe: D %+v (block %d), A %+v (block %d)", eBlock, heads[904].CrossSafe, dBlock, heads[901].CrossSafe, aBlock)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// chainTx is a signed transaction for the chain cl serves.
type chainTx struct {
	cl *ethclient.Client
	tx *types.Transaction
}

// sendAll sends every transaction before waiting for any receipt, so that transactions of
// different chains share a block time; the receipts come back in order.
func sendAll(ctx context.Context, t *testing.T, txs ...chainTx) []*types.Receipt {
	t.Helper()
	for _, x := range txs {
		if err := x.cl.SendTransaction(ctx, x.tx); err != nil {
			t.Fatalf("sending tx %d on chain %v: %v", x.tx.Nonce(), x.tx.ChainId(), err)
		}
	}
	out := make([]*types.Receipt, len(txs))
	for i, x := range txs {
		out[i] = waitReceipt(ctx, t, x.cl, x.tx.Hash())
		if out[i].Status != types.ReceiptStatusSuccessful {
			t.Fatalf("tx %s on chain %v reverted", x.tx.Hash(), x.tx.ChainId())
		}
	}
	return out
}

// messageOfLog is the only log of receipt r, of chain, as an initiating message.
func messageOfLog(ctx context.Context, t *testing.T, cl *ethclient.Client, r *types.Receipt, chain uint64) message.Message {
	t.Helper()
	if len(r.Logs) != 1 {
		t.Fatalf("chain %d: tx %s has %d logs, want 1", chain, r.TxHash, len(r.Logs))
	}
	hdr, err := cl.HeaderByHash(ctx, r.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	return message.OfLog(r.Logs[0], hdr.Time, uint256.NewInt(chain))
}

func accessListOf(msg *message.Message) types.AccessList {
	return accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
}

// checkExecuted: r executed msg, its only log CrossL2Inbox's ExecutingMessage for it.
func checkExecuted(t *testing.T, name string, r *types.Receipt, msg *message.Message) {
	t.Helper()
	if r.Status != types.ReceiptStatusSuccessful || len(r.Logs) != 1 {
		t.Fatalf("%s's executing transaction: status %d, %d logs", name, r.Status, len(r.Logs))
	}
	got, err := event.DecodeExecutingMessage(r.Logs[0])
	if err != nil || r.Logs[0].Address != xparams.CrossL2InboxAddress || got.Identifier != msg.Identifier || got.MsgHash != msg.MsgHash {
		t.Fatalf("%s's ExecutingMessage log: %+v, %v; want %+v", name, got, err, msg)
	}
}

func depositsOnly(b *types.Block) bool {
	return len(b.Transactions()) == 1 && b.Transactions()[0].Type() == types.DepositTxType
}

// recordedChain is every block hash of a chain up to its head, when recorded.
type recordedChain struct {
	cl     *ethclient.Client
	hashes []common.Hash // by number
}

func recordChain(ctx context.Context, t *testing.T, cl *ethclient.Client) *recordedChain {
	t.Helper()
	head, err := cl.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordedChain{cl: cl}
	for n := uint64(0); n <= head.Number.Uint64(); n++ {
		h, err := cl.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatal(err)
		}
		rec.hashes = append(rec.hashes, h.Hash())
	}
	return rec
}

// waitPast waits until the chain's head is n blocks past the recorded head.
func (rec *recordedChain) waitPast(ctx context.Context, t *testing.T, name string, n uint64) {
	t.Helper()
	want := uint64(len(rec.hashes)-1) + n
	for {
		if head, err := rec.cl.BlockNumber(ctx); err == nil && head >= want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s stopped sequencing: head below %d", name, want)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (rec *recordedChain) checkUnchanged(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	for n, want := range rec.hashes {
		h, err := rec.cl.HeaderByNumber(ctx, big.NewInt(int64(n)))
		if err != nil || h.Hash() != want {
			t.Fatalf("%s's block %d changed (was %s): %v", name, n, want, err)
		}
	}
}

// safetyMap is interop_safety on cl by chain ID.
func safetyMap(ctx context.Context, t *testing.T, cl *rpc.Client) map[uint64]rpcapi.ChainSafety {
	t.Helper()
	var heads []rpcapi.ChainSafety
	if err := cl.CallContext(ctx, &heads, "interop_safety"); err != nil {
		t.Fatal(err)
	}
	out := make(map[uint64]rpcapi.ChainSafety, len(heads))
	for _, h := range heads {
		out[h.ChainID.ToInt().Uint64()] = h
	}
	return out
}

// below: the head has not reached block n (no head at all counts as below).
func below(h *rpcapi.BlockRef, n uint64) bool { return h == nil || uint64(h.Number) < n }

func numberOf(h *rpcapi.BlockRef) any {
	if h == nil {
		return nil
	}
	return uint64(h.Number)
}

// safeNumber is the number of the chain's "safe" block, 0 when it has none yet.
func safeNumber(ctx context.Context, cl *ethclient.Client) uint64 {
	h, err := cl.HeaderByNumber(ctx, big.NewInt(int64(rpc.SafeBlockNumber)))
	if err != nil {
		return 0
	}
	return h.Number.Uint64()
}

func idsOf(ids []uint256.Int) []uint64 {
	out := make([]uint64, len(ids))
	for i := range ids {
		out[i] = ids[i].Uint64()
	}
	return out
}

// Start refuses a SafeLagOf entry for a chain the devnet does not run.
func TestSafeLagOfUnknownChain(t *testing.T) {
	cfg := devnet.DefaultConfig()
	cfg.BasePort = 0
	cfg.SafeLagOf = map[uint64]uint64{905: 3}
	d, err := devnet.Start(cfg)
	if err == nil {
		d.Close()
		t.Fatal("started with a safe lag for chain 905, which it does not run")
	}
	if !strings.Contains(err.Error(), "SafeLagOf names chain 905") {
		t.Fatalf("error %q, want one naming SafeLagOf and chain 905", err)
	}
}
