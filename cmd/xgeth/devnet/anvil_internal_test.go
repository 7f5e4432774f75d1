package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	xvm "github.com/xgeth/xgeth/vm"
)

func TestQuantity(t *testing.T) {
	max256 := new(uint256.Int).SetAllOne()
	for _, c := range []struct {
		in   string
		want *uint256.Int // nil: refused
		err  string
	}{
		{`"0x0"`, uint256.NewInt(0), ""},
		{`"0x00"`, uint256.NewInt(0), ""},
		{`"0x1234"`, uint256.NewInt(0x1234), ""},
		{`"0X1234"`, uint256.NewInt(0x1234), ""},
		{`"0x0000000000000000000000000000000000000000000000000000000000000007"`, uint256.NewInt(7), ""},
		{`"0x000000000000000000000000000000000000000000000000000000000000000000000007"`, uint256.NewInt(7), ""},
		{`"0x` + strings.Repeat("f", 64) + `"`, max256, ""},
		{`"0xABCdef"`, uint256.NewInt(0xabcdef), ""},
		{`"1000"`, uint256.NewInt(1000), ""},
		{`16`, uint256.NewInt(16), ""},
		{` 16 `, uint256.NewInt(16), ""},
		{`0`, uint256.NewInt(0), ""},
		{`"115792089237316195423570985008687907853269984665640564039457584007913129639935"`, max256, ""},
		{`"115792089237316195423570985008687907853269984665640564039457584007913129639936"`, nil, "above 2^256-1"},
		{`"0x1` + strings.Repeat("0", 64) + `"`, nil, "above 2^256-1"},
		{`"-0x1"`, nil, "negative"},
		{`-1`, nil, "negative"},
		{`"-1"`, nil, "negative"},
		{`"0x"`, nil, "without digits"},
		{`""`, nil, "empty"},
		{`null`, nil, "missing"},
		{`"0x1g"`, nil, "invalid hex digit"},
		{`"0x 1"`, nil, "invalid hex digit"},
		{`"0x-1"`, nil, "invalid hex digit"},
		{`1.5`, nil, "not a hex string"},
		{`1e3`, nil, "not a hex string"},
		{`"1e3"`, nil, "not a hex string"},
		{`"+1"`, nil, "not a hex string"},
		{`true`, nil, "not a hex string"},
		{`[1]`, nil, "not a hex string"},
		{`{"a":1}`, nil, "not a hex string"},
		{`"\u0030x1"`, uint256.NewInt(1), ""},
		{`"unterminated`, nil, "quantity"},
	} {
		var q Quantity
		err := q.UnmarshalJSON([]byte(c.in))
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %v, %v; want an error mentioning %q", c.in, q.Dec(), err, c.err)
			}
			continue
		}
		if err != nil || q.Cmp(c.want) != 0 {
			t.Errorf("%s: got %v, %v; want %v", c.in, q.Dec(), err, c.want.Dec())
		}
	}
}

// FuzzQuantity: any JSON value is refused or parsed to the number its text names; never a
// panic.
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{`"0x0"`, `"0x1234"`, `16`, `"1000"`, `-1`, `"0x"`, `null`, `1.5`, `"0x` + strings.Repeat("f", 65) + `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var q Quantity
		if err := q.UnmarshalJSON(in); err != nil {
			return
		}
		var s string
		if json.Unmarshal(in, &s) != nil {
			s = strings.TrimSpace(string(in))
		}
		want, ok := new(big.Int).SetString(s, 0)
		if strings.HasPrefix(s, "0X") {
			want, ok = new(big.Int).SetString(s[2:], 16)
		} else if !strings.HasPrefix(s, "0x") {
			want, ok = new(big.Int).SetString(s, 10)
		}
		if !ok || want.Cmp(q.ToBig()) != 0 {
			t.Fatalf("%q parsed to %s", in, q.Dec())
		}
	})
}

func BenchmarkQuantity(b *testing.B) {
	in := []byte(`"0x0000000000000000000000000000000000000000000000000000000000001234"`)
	b.ReportAllocs()
	for b.Loop() {
		var q Quantity
		if err := q.UnmarshalJSON(in); err != nil {
			b.Fatal(err)
		}
	}
}

func testCheat(gas uint64) *cheat {
	tx := types.NewTx(&types.DepositTx{Gas: gas, SourceHash: common.Hash{byte(gas)}})
	raw, _ := tx.MarshalBinary()
	return &cheat{op: "setNonce", tx: tx, raw: raw, gas: gas}
}

// The queue hands cheats to blocks in call order within the gas budget, carries again those
// of blocks at or above the one being built, forgets finalized ones and can withdraw only
// what no block took.
func TestCheatQueue(t *testing.T) {
	stop := make(chan struct{})
	q := &cheatQueue{stop: stop}
	a, b, c := testCheat(cheatBlockGas/2), testCheat(cheatBlockGas/2), testCheat(cheatBlockGas/2)
	for _, ch := range []*cheat{a, b, c} {
		if err := q.push(ch); err != nil {
			t.Fatal(err)
		}
	}
	if got := q.take(10, 0); len(got) != 2 || a.at != 10 || b.at != 10 || c.at != 0 {
		t.Fatalf("block 10 took %d cheats (at %d %d %d), want a and b within the budget", len(got), a.at, b.at, c.at)
	}
	if q.withdraw(a) {
		t.Fatal("withdrew a cheat a block took")
	}
	// Block 10 was built; block 11 takes c.
	if got := q.take(11, 0); len(got) != 1 || c.at != 11 {
		t.Fatalf("block 11 took %d cheats, want c", len(got))
	}
	// Block 11 is dropped and rebuilt: c again, first.
	d := testCheat(cheatBlockGas / 2)
	q.push(d)
	if got := q.take(11, 0); len(got) != 2 || string(got[0]) != string(c.raw) || d.at != 11 {
		t.Fatalf("rebuilt block 11 took %d cheats, want c then d", len(got))
	}
	// Rewound to 9: block 10 takes a and b again (budget), 11 takes c and d.
	if got := q.take(10, 0); len(got) != 2 || string(got[0]) != string(a.raw) || string(got[1]) != string(b.raw) || c.at != 0 || d.at != 0 {
		t.Fatalf("block 10 after a rewind took %d cheats", len(got))
	}
	if got := q.take(11, 0); len(got) != 2 || string(got[0]) != string(c.raw) || string(got[1]) != string(d.raw) {
		t.Fatalf("block 11 after a rewind took %d cheats", len(got))
	}
	// Block 10 finalized: a and b are forgotten, c and d kept.
	q.take(12, 10)
	if len(q.carried) != 2 || q.carried[0] != c || q.carried[1] != d {
		t.Fatalf("carried after finalization: %d", len(q.carried))
	}
	e := testCheat(1)
	q.push(e)
	if !q.withdraw(e) || len(q.queued) != 0 {
		t.Fatal("could not withdraw a queued cheat")
	}
	if got := q.take(13, 10); len(got) != 0 {
		t.Fatalf("a withdrawn cheat reached block 13")
	}
	close(stop)
	if err := q.push(testCheat(1)); err != errDevnetStopped {
		t.Fatalf("push after stop: %v", err)
	}
}

func TestPendingFor(t *testing.T) {
	q := &cheatQueue{}
	addr := common.Address{1}
	ch := testCheat(100)
	ch.op, ch.target = "setCode", addr
	q.push(ch)
	if !q.pendingFor(addr, 5) || q.pendingFor(common.Address{2}, 5) {
		t.Fatal("queued setCode not seen as pending")
	}
	q.take(6, 0)
	if !q.pendingFor(addr, 5) {
		t.Fatal("setCode in a block above the head not pending")
	}
	if q.pendingFor(addr, 6) {
		t.Fatal("setCode at the head still pending")
	}
	st := testCheat(100)
	st.op, st.target = "setStorageAt", common.Address{2}
	q.push(st)
	if q.pendingFor(common.Address{2}, 6) {
		t.Fatal("setStorageAt counted as giving the account code, nonce or balance")
	}
}

// The deposit carrying a cheat: from the system address to the contract, gas for exactly
// the intrinsic cost and the operation, no mint, a fresh source hash each time.
func TestCheatDeposit(t *testing.T) {
	id := uint256.NewInt(901)
	data := xvm.EncodeSetCode(common.Address{1}, make([]byte, MaxAnvilCodeSize))
	tx := cheatDeposit(id, data)
	if tx.Type() != types.DepositTxType || tx.Mint() != nil || tx.IsSystemTx() || tx.Value().Sign() != 0 ||
		*tx.To() != xvm.DevnetCheatsAddress || tx.Gas() > cheatBlockGas || tx.Gas() < xvm.DevnetCheatGas(data) {
		t.Fatalf("bad deposit: type %d, mint %v, system %v, to %v, gas %d", tx.Type(), tx.Mint(), tx.IsSystemTx(), tx.To(), tx.Gas())
	}
	from, err := types.Sender(types.LatestSignerForChainID(id.ToBig()), tx)
	if err != nil || from != xvm.DevnetCheatsCaller {
		t.Fatalf("from %v, %v", from, err)
	}
	if cheatDeposit(id, data).SourceHash() == tx.SourceHash() {
		t.Fatal("two cheats share a source hash")
	}
}

// A call whose context ends before any block took its cheat withdraws it ("nothing was
// changed") and nothing lands; a call pending when the devnet stops gets a clear error.
func TestAnvilCallEnds(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.BasePort, cfg.BlockTime = 0, time.Second
	d, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Chains[0]
	q := c.cheatQueue()
	api := &anvilAPI{c: c, q: q}
	target := d.Accounts[0].Address

	c.Pause() // no block is built meanwhile
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = api.SetNonce(ctx, target, Quantity{*uint256.NewInt(77)})
	cancel()
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("SetNonce with an ended context: %v", err)
	}
	q.mu.Lock()
	left := len(q.queued) + len(q.carried)
	q.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d cheats left in the queue after a withdrawn call", left)
	}
	c.Resume()
	start := c.Eth.BlockChain().CurrentBlock().Number.Uint64()
	for c.Eth.BlockChain().CurrentBlock().Number.Uint64() < start+2 {
		time.Sleep(100 * time.Millisecond)
	}
	st, err := c.Eth.BlockChain().State()
	if err != nil {
		t.Fatal(err)
	}
	if st.GetNonce(target) == 77 || st.GetNonce(xvm.DevnetCheatsCaller) != 0 {
		t.Fatal("a withdrawn cheat landed")
	}

	// Stop while a call waits (the sequencer paused, so it cannot land first).
	c.Pause()
	done := make(chan error, 1)
	go func() { done <- api.SetNonce(context.Background(), target, Quantity{*uint256.NewInt(78)}) }()
	for {
		q.mu.Lock()
		n := len(q.queued)
		q.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { d.Close(); close(closed) }()
	if err := <-done; !errors.Is(err, errDevnetStopped) {
		t.Fatalf("SetNonce pending at stop: %v", err)
	}
	c.Resume() // the sequencer sees the stop and exits
	<-closed
	if err := api.q.push(testCheat(1)); !errors.Is(err, errDevnetStopped) {
		t.Fatalf("a call after the stop was queued: %v", err)
	}
}
