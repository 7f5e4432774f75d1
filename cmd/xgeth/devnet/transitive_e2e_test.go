package devnet_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	"github.com/xgeth/xgeth/interop/rpcerr"
	xparams "github.com/xgeth/xgeth/params"
)

// Three devnets over real sockets. X runs 902 and 903 (902 accepts 903; 903's blocks reach
// local-safe late). Y runs 901, which accepts only 902, from a per-chain dependency-set file:
// it follows 903 too, through 902's set, as it follows 902. Z runs 904 (accepts 902) from a
// file that gives 903 no endpoint: it cannot see 903.
//
// A message 903 → 902 is executed on 902, and 901 executes a log of that 902 block (901's pool
// refuses 903's own log: Y indexes 903 but 901 does not accept it). Y admits 901's message
// only because it indexes 903 (902's block is cross-unsafe on Y only once 903's is), and
// 901's block is cross-safe on Y only once 903's block is local-safe. Z never makes 902's
// block cross-unsafe, says why in interop_safety, and denies nothing.
func TestFollowsChainReachedOnlyThroughAnother(t *testing.T) {
	t.Parallel()
	cfgX := devnet.DefaultConfig()
	cfgX.ChainIDs, cfgX.BasePort, cfgX.BlockTime = []uint64{902, 903}, 0, time.Second
	g, err := cluster.ParseSpec("902:903,903:902")
	if err != nil {
		t.Fatal(err)
	}
	cfgX.Cluster = g
	cfgX.SafeLag, cfgX.FinalizedLag = 1, 1
	cfgX.SafeLagOf = map[uint64]uint64{903: 14}
	x, err := devnet.Start(cfgX)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Close)
	x902, x903 := x.Chains[0].WSEndpoint(), x.Chains[1].WSEndpoint()

	file := func(name, body string) *depset.Set {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(`{"dependencies":{`+body+`}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := depset.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cfgY := devnet.DefaultConfig()
	cfgY.ChainIDs, cfgY.BasePort, cfgY.BlockTime = []uint64{901}, 0, time.Second
	cfgY.SafeLag, cfgY.FinalizedLag = 1, 1
	cfgY.DepSet = file("y.json", `"901":{"dependencySet":["901","902"]},
		"902":{"dependencySet":["902","903"],"rpc":"`+x902+`"},
		"903":{"dependencySet":["903","902"],"rpc":"`+x903+`"}`)
	y, err := devnet.Start(cfgY)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(y.Close)
	cfgZ := devnet.DefaultConfig()
	cfgZ.ChainIDs, cfgZ.BasePort, cfgZ.BlockTime = []uint64{904}, 0, time.Second
	cfgZ.DepSet = file("z.json", `"904":{"dependencySet":["904","902"]},
		"902":{"dependencySet":["902","903"],"rpc":"`+x902+`"},
		"903":{"dependencySet":["903","902"]}`)
	z, err := devnet.Start(cfgZ)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dial := func(url string) *ethclient.Client {
		c, err := ethclient.DialContext(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	c902, c903, c901 := dial(x.Chains[0].HTTPEndpoint()), dial(x.Chains[1].HTTPEndpoint()), dial(y.Chains[0].HTTPEndpoint())
	rpcY, rpcZ := mustDial(ctx, t, y.Chains[0].HTTPEndpoint()), mustDial(ctx, t, z.Chains[0].HTTPEndpoint())

	// Y follows 901, 902 and 903; Z follows 904 and 902 and names 903 as unfollowed.
	for _, tc := range []struct {
		cl interface {
			CallContext(context.Context, any, string, ...any) error
		}
		chains []uint64
		unseen string
	}{{rpcY, []uint64{901, 902, 903}, ""}, {rpcZ, []uint64{902, 904}, "903"}} {
		var heads []rpcapi.ChainSafety
		if err := tc.cl.CallContext(ctx, &heads, "interop_safety"); err != nil {
			t.Fatal(err)
		}
		if len(heads) != len(tc.chains) {
			t.Fatalf("interop_safety lists %d chains, want %v", len(heads), tc.chains)
		}
		for i, h := range heads {
			if h.ChainID.ToInt().Uint64() != tc.chains[i] {
				t.Fatalf("interop_safety chain %d is %s, want %d", i, h.ChainID, tc.chains[i])
			}
			var unseen []string
			for _, u := range h.Unfollowed {
				unseen = append(unseen, u.ToInt().String())
			}
			if strings.Join(unseen, ",") != tc.unseen {
				t.Fatalf("chain %s: unfollowed %v, want %q", h.ChainID, unseen, tc.unseen)
			}
		}
	}

	// 903 emits; 902 executes it through its pool; 901 executes 902's ExecutingMessage log.
	emitter := deployEmitter(ctx, t, c903, x.Accounts[0])
	msgE, rE := emit(ctx, t, c903, x.Accounts[0], emitter, 903, "through 902")
	waitIndexed(ctx, t, x.Chains[0], 903, rE.BlockNumber.Uint64())
	inbox := xparams.CrossL2InboxAddress
	rD := sendTx(ctx, t, c902, x.Accounts[1], &inbox, event.EncodeValidateMessage(&msgE), accessListOf(&msgE), 200_000)
	if rD.Status != types.ReceiptStatusSuccessful || len(rD.Logs) != 1 {
		t.Fatalf("902's executing transaction: status %d, %d logs", rD.Status, len(rD.Logs))
	}
	hD, err := c902.HeaderByHash(ctx, rD.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	msgD := message.OfLog(rD.Logs[0], hD.Time, uint256.NewInt(902))
	waitIndexed(ctx, t, y.Chains[0], 902, rD.BlockNumber.Uint64()) // needs 903 on Y
	rA := sendTx(ctx, t, c901, y.Accounts[2], &inbox, event.EncodeValidateMessage(&msgD), accessListOf(&msgD), 200_000)
	if rA.Status != types.ReceiptStatusSuccessful {
		t.Fatal("901's executing transaction reverted")
	}
	eBlock, aBlock := rE.BlockNumber.Uint64(), rA.BlockNumber.Uint64()

	// Y indexes 903 for 902's sake, but 901 does not accept 903: its pool refuses 903's log
	// as from a chain outside its set.
	txE := signTx(ctx, t, c901, y.Accounts[3], &inbox, event.EncodeValidateMessage(&msgE), accessListOf(&msgE), 200_000)
	if err := c901.SendTransaction(ctx, txE); err == nil || !strings.Contains(err.Error(), "chain 903 is not in the dependency set of chain 901") {
		t.Fatalf("901's pool took a message of 903, which it indexes but does not accept: %v", err)
	}

	// Y: 901's block becomes cross-safe, and never before 903's block is local-safe there.
	// interop_safety reads chains in ascending order and labels only grow, so 903's label in
	// the same answer is at least what it was when 901's cross-safe head was read.
	var sawHeld bool
	for {
		var heads []rpcapi.ChainSafety
		if err := rpcY.CallContext(ctx, &heads, "interop_safety"); err != nil {
			t.Fatal(err)
		}
		a, e := heads[0], heads[2]
		eSafe := e.LocalSafe != nil && uint64(e.LocalSafe.Number) >= eBlock
		if a.CrossSafe != nil && uint64(a.CrossSafe.Number) >= aBlock {
			if !eSafe {
				t.Fatalf("901 block %d cross-safe on Y while 903 block %d is not local-safe there (903 local-safe %v)", aBlock, eBlock, e.LocalSafe)
			}
			break
		}
		if !eSafe && a.LocalSafe != nil && uint64(a.LocalSafe.Number) >= aBlock {
			sawHeld = true // 901's own label passed its block; 903 holds it back
			if a.CrossSafeWaiting == "" {
				t.Fatalf("901 held below its local-safe label with no reason in interop_safety: %+v", a)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("901 block %d never cross-safe on Y", aBlock)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !sawHeld {
		t.Fatal("never saw 901's block local-safe but held back by 903: the delay did not bite")
	}

	// Z: 902's executing block stays below cross-unsafe, with the reason; checks of its log
	// at cross-unsafe get "no verdict yet" (at unsafe the log is simply there), and nothing
	// is denied.
	for {
		var heads []rpcapi.ChainSafety
		if err := rpcZ.CallContext(ctx, &heads, "interop_safety"); err != nil {
			t.Fatal(err)
		}
		d := heads[0]
		if d.LocalUnsafe != nil && uint64(d.LocalUnsafe.Number) > rD.BlockNumber.Uint64() {
			if d.CrossUnsafe != nil && uint64(d.CrossUnsafe.Number) >= rD.BlockNumber.Uint64() {
				t.Fatalf("902 block %d cross-unsafe on Z, which cannot see 903", rD.BlockNumber)
			}
			if !strings.Contains(d.CrossUnsafeWaiting, "this node does not follow chain 903") {
				t.Fatalf("Z's reason for 902: %q", d.CrossUnsafeWaiting)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("Z never indexed 902's executing block")
		case <-time.After(100 * time.Millisecond):
		}
	}
	entries := accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&msgD.Identifier, msgD.MsgHash)})
	desc := map[string]any{"chainID": "904", "timestamp": hexutil.Uint64(hD.Time + 10)}
	var out any
	if err := rpcZ.CallContext(ctx, &out, "interop_checkAccessList", entries, "cross-unsafe", desc); err == nil || !rpcerr.NoVerdictYet(err) {
		t.Fatalf("Z's check of 902's log at cross-unsafe: %v, want no verdict yet", err)
	}
	var denied *uint64
	if err := dialAuth(ctx, t, x, x.Chains[0]).CallContext(ctx, &denied, "engine_maxDeniedHeightV1"); err != nil || denied != nil {
		t.Fatalf("902 has denied blocks: %v, %v", denied, err)
	}
}
