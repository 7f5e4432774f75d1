package devnet_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	xvm "github.com/xgeth/xgeth/vm"
)

var (
	// anvilContract is where the tests install code: the same fixed address on every chain.
	anvilContract = common.HexToAddress("0x00000000000000000000000000000000a11ce000")
	// slotZeroCode returns storage slot 0 as one word:
	// PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
	slotZeroCode = common.FromHex("0x60005460005260206000f3")
	// constantCode returns the word 0x2a: PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
	constantCode = common.FromHex("0x602a60005260206000f3")
)

// anvilCall makes one anvil_ call and returns its raw result.
func anvilCall(ctx context.Context, t *testing.T, cl *rpc.Client, method string, params ...any) json.RawMessage {
	t.Helper()
	var res json.RawMessage
	if err := cl.CallContext(ctx, &res, method, params...); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return res
}

func mustResult(t *testing.T, method string, got json.RawMessage, want string) {
	t.Helper()
	if string(got) != want {
		t.Fatalf("%s returned %s, want %s", method, got, want)
	}
}

// anvilState is what the tests set on chain 901, checked after the calls, after a restart
// and after a re-execution of the chain.
type anvilState struct {
	rich, counted common.Address
	balance       *big.Int
	nonce         uint64
	slot          common.Hash
	value         common.Hash
}

func checkAnvilState(ctx context.Context, t *testing.T, what string, cl *ethclient.Client, s anvilState) {
	t.Helper()
	code, err := cl.CodeAt(ctx, anvilContract, nil)
	if err != nil || common.Bytes2Hex(code) != common.Bytes2Hex(slotZeroCode) {
		t.Fatalf("%s: eth_getCode = %x, %v", what, code, err)
	}
	out, err := cl.CallContract(ctx, ethereum.CallMsg{To: &anvilContract}, nil)
	if err != nil || common.BytesToHash(out) != s.value {
		t.Fatalf("%s: eth_call = %x, %v; want %s", what, out, err, s.value)
	}
	if v, err := cl.StorageAt(ctx, anvilContract, s.slot, nil); err != nil || common.BytesToHash(v) != s.value {
		t.Fatalf("%s: eth_getStorageAt = %x, %v", what, v, err)
	}
	if b, err := cl.BalanceAt(ctx, s.rich, nil); err != nil || b.Cmp(s.balance) != 0 {
		t.Fatalf("%s: eth_getBalance = %v, %v; want %v", what, b, err, s.balance)
	}
	if n, err := cl.NonceAt(ctx, s.counted, nil); err != nil || n != s.nonce {
		t.Fatalf("%s: eth_getTransactionCount = %d, %v; want %d", what, n, err, s.nonce)
	}
}

// anvil_setCode installs a contract at the same address on 901 (over HTTP) and 902 (over
// WebSocket) and eth_call sees it as soon as the call returns; setBalance, setNonce and
// setStorageAt are visible at once too. A restart with the same data directory keeps every
// change, and a fresh node re-executing 901's blocks arrives at the same state.
func TestAnvilCheats(t *testing.T) {
	t.Parallel()
	cfg := devnet.DefaultConfig()
	cfg.BasePort, cfg.BlockTime, cfg.DataDir = 0, time.Second, t.TempDir()
	d, err := devnet.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			d.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var eths []*ethclient.Client
	for i, url := range []string{d.Chains[0].HTTPEndpoint(), d.Chains[1].WSEndpoint()} {
		cl, err := rpc.DialContext(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		eth := ethclient.NewClient(cl)
		eths = append(eths, eth)
		mustResult(t, "anvil_setCode", anvilCall(ctx, t, cl, "anvil_setCode", anvilContract, hexutil.Bytes(constantCode)), "null")
		out, err := eth.CallContract(ctx, ethereum.CallMsg{To: &anvilContract}, nil)
		if err != nil || common.BytesToHash(out) != common.BigToHash(big.NewInt(42)) {
			t.Fatalf("chain %d: eth_call right after anvil_setCode = %x, %v", d.Chains[i].ID, out, err)
		}
	}

	cl, err := rpc.DialContext(ctx, d.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	want := anvilState{
		rich: common.HexToAddress("0x00000000000000000000000000000000000b0b01"), balance: big.NewInt(0x1234),
		counted: d.Accounts[3].Address, nonce: 16,
		slot: common.Hash{}, value: common.HexToHash("0x0a0b0c0d0e0f"),
	}
	mustResult(t, "anvil_setCode", anvilCall(ctx, t, cl, "anvil_setCode", anvilContract, hexutil.Bytes(slotZeroCode)), "null")
	mustResult(t, "anvil_setBalance", anvilCall(ctx, t, cl, "anvil_setBalance", want.rich, "0x1234"), "null")
	mustResult(t, "anvil_setNonce", anvilCall(ctx, t, cl, "anvil_setNonce", want.counted, 16), "null") // a JSON number, as anvil takes
	// The slot as a full 32-byte word, the value exactly 32 bytes, as anvil's clients send them.
	mustResult(t, "anvil_setStorageAt", anvilCall(ctx, t, cl, "anvil_setStorageAt", anvilContract, want.slot, want.value), "true")
	checkAnvilState(ctx, t, "right after the calls", eths[0], want)
	// A balance can go down too, and another slot takes a short quantity.
	mustResult(t, "anvil_setBalance", anvilCall(ctx, t, cl, "anvil_setBalance", d.Accounts[4].Address, "0x0"), "null")
	mustResult(t, "anvil_setStorageAt", anvilCall(ctx, t, cl, "anvil_setStorageAt", anvilContract, "0x7", common.HexToHash("0x07")), "true")
	if b, err := eths[0].BalanceAt(ctx, d.Accounts[4].Address, nil); err != nil || b.Sign() != 0 {
		t.Fatalf("balance after anvil_setBalance 0: %v, %v", b, err)
	}
	if v, err := eths[0].StorageAt(ctx, anvilContract, common.HexToHash("0x07"), nil); err != nil || common.BytesToHash(v) != common.HexToHash("0x07") {
		t.Fatalf("slot 7: %x, %v", v, err)
	}
	// The user transactions of the account whose nonce was set go on from it.
	to := d.Accounts[5].Address
	if r := sendTx(ctx, t, eths[0], d.Accounts[3], &to, nil, nil, 21_000); r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("transfer after anvil_setNonce failed")
	}
	want.nonce++
	// Every change rode in a deposit of the system address.
	if n, err := eths[0].NonceAt(ctx, xvm.DevnetCheatsCaller, nil); err != nil || n != 7 {
		t.Fatalf("system address nonce %d, %v; want 7 cheat deposits", n, err)
	}

	// Restart on the same data directory.
	head, err := eths[0].BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
	for _, e := range eths {
		e.Close()
	}
	d.Close()
	closed = true
	cfg.BasePort = 0
	d2, err := devnet.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	eth2, err := ethclient.DialContext(ctx, d2.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer eth2.Close()
	if n, err := eth2.BlockNumber(ctx); err != nil || n < head {
		t.Fatalf("restarted at block %d, %v; was at %d", n, err, head)
	}
	checkAnvilState(ctx, t, "after a restart", eth2, want)
	eth902, err := ethclient.DialContext(ctx, d2.Chains[1].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer eth902.Close()
	if code, err := eth902.CodeAt(ctx, anvilContract, nil); err != nil || common.Bytes2Hex(code) != common.Bytes2Hex(constantCode) {
		t.Fatalf("902 after a restart: eth_getCode = %x, %v", code, err)
	}

	// A fresh node imports 901's blocks, re-executing each and checking its state root.
	bc := d2.Chains[0].Eth.BlockChain()
	genesis := bc.GetBlockByNumber(0)
	spec := devnet.Genesis(901, genesis.Time(), d2.Accounts)
	engine := beacon.New(ethash.NewFaker())
	fresh, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), spec, engine, core.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Stop()
	if fresh.Genesis().Hash() != genesis.Hash() {
		t.Fatal("re-built genesis differs from the devnet's")
	}
	top := bc.CurrentBlock().Number.Uint64()
	var blocks types.Blocks
	for n := uint64(1); n <= top; n++ {
		blocks = append(blocks, bc.GetBlockByNumber(n))
	}
	if i, err := fresh.InsertChain(blocks); err != nil {
		t.Fatalf("re-executing block %d: %v", blocks[i].NumberU64(), err)
	}
	st, err := fresh.State()
	if err != nil {
		t.Fatal(err)
	}
	if common.Bytes2Hex(st.GetCode(anvilContract)) != common.Bytes2Hex(slotZeroCode) || st.GetState(anvilContract, want.slot) != want.value ||
		st.GetBalance(want.rich).ToBig().Cmp(want.balance) != 0 || st.GetNonce(want.counted) != want.nonce {
		t.Fatal("re-executed state disagrees with the devnet's")
	}
}

// Bad parameters get a clear invalid-params error and queue nothing.
func TestAnvilBadParams(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	cl, err := rpc.DialContext(ctx, d.Chains[0].WSEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	addr := d.Accounts[0].Address.Hex()
	empty := "0x00000000000000000000000000000000000e3e01"
	word := common.Hash{1}.Hex()
	for _, c := range []struct {
		method string
		params string // the JSON params array
		want   string
	}{
		{"anvil_setCode", `["0x1234", "0x00"]`, "length"},
		{"anvil_setCode", `["` + addr[2:] + `", "0x00"]`, "0x prefix"},
		{"anvil_setCode", `[42, "0x00"]`, "cannot unmarshal"},
		{"anvil_setCode", `["` + addr + `", "0x123"]`, "odd length"},
		{"anvil_setCode", `["` + addr + `", "0xzz"]`, "invalid hex"},
		{"anvil_setCode", `["` + addr + `", "` + hexutil.Encode(make([]byte, devnet.MaxAnvilCodeSize+1)) + `"]`, "code larger than 49152 bytes"},
		{"anvil_setCode", `["` + addr + `"]`, "missing value"},
		{"anvil_setBalance", `["` + addr + `", "-0x1"]`, "negative"},
		{"anvil_setBalance", `["` + addr + `", -1]`, "negative"},
		{"anvil_setBalance", `["` + addr + `", "0x"]`, "without digits"},
		{"anvil_setBalance", `["` + addr + `", "0x1g"]`, "invalid hex digit"},
		{"anvil_setBalance", `["` + addr + `", "0x1` + strings.Repeat("0", 64) + `"]`, "above 2^256-1"},
		{"anvil_setBalance", `["` + addr + `", "1` + strings.Repeat("0", 78) + `"]`, "above 2^256-1"},
		{"anvil_setBalance", `["` + addr + `", 1.5]`, "not a hex string or a non-negative integer"},
		{"anvil_setBalance", `["` + addr + `", 1e3]`, "not a hex string or a non-negative integer"},
		{"anvil_setBalance", `["` + addr + `", "lots"]`, "not a hex string or a non-negative integer"},
		{"anvil_setBalance", `["` + addr + `", null]`, "missing quantity"},
		{"anvil_setBalance", `["` + addr + `", true]`, "not a hex string or a non-negative integer"},
		{"anvil_setNonce", `["` + addr + `", "0x10000000000000000"]`, "nonce above 2^64-1"},
		{"anvil_setNonce", `["` + addr + `", "-5"]`, "negative"},
		{"anvil_setNonce", `["0x` + strings.Repeat("zz", 20) + `", "0x1"]`, "invalid hex"},
		{"anvil_setStorageAt", `["` + addr + `", "0x1` + strings.Repeat("0", 64) + `", "` + word + `"]`, "above 2^256-1"},
		{"anvil_setStorageAt", `["` + addr + `", "0x0", "0x01"]`, "want 64"},
		{"anvil_setStorageAt", `["` + addr + `", "0x0", "` + word + `00"]`, "want 64"},
		{"anvil_setStorageAt", `["` + addr + `", "0x0"]`, "missing value"},
		{"anvil_setStorageAt", `["` + empty + `", "0x0", "` + word + `"]`, "no code, nonce or balance"},
	} {
		var params []json.RawMessage
		if err := json.Unmarshal([]byte(c.params), &params); err != nil {
			t.Fatal(err)
		}
		args := make([]any, len(params))
		for i, p := range params {
			args[i] = p
		}
		var res json.RawMessage
		err := cl.CallContext(ctx, &res, c.method, args...)
		var coded rpc.Error
		if !errors.As(err, &coded) || coded.ErrorCode() != -32602 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s(%.120s) = %s, %v; want invalid params (-32602) mentioning %q", c.method, c.params, res, err, c.want)
		}
	}
	// Nothing was queued: no cheat deposit lands in the next blocks.
	waitBlocks(ctx, t, clients[0], 2)
	if n, err := clients[0].NonceAt(ctx, xvm.DevnetCheatsCaller, nil); err != nil || n != 0 {
		t.Fatalf("system address nonce %d, %v: a cheat deposit landed", n, err)
	}
	// Only `xgeth devnet` chains serve the namespace, and only where listed: the
	// authenticated port does not.
	auth := dialAuth(ctx, t, d, d.Chains[0])
	var res json.RawMessage
	err = auth.CallContext(ctx, &res, "anvil_setBalance", addr, "0x1")
	var coded rpc.Error
	if !errors.As(err, &coded) || coded.ErrorCode() != -32601 {
		t.Fatalf("authenticated port: anvil_setBalance = %s, %v; want method not found", res, err)
	}
}

// A cheat whose block is dropped (devnet_rewindUnsafe) is carried again by the block that
// replaces it: the change stays on the canonical chain.
func TestAnvilCheatSurvivesRewind(t *testing.T) {
	t.Parallel()
	cfg := devnet.DefaultConfig()
	cfg.SafeLag = 40 // keep the blocks involved unsafe
	d, ctx, clients := startDevnet(t, cfg, httpURL)
	eth := clients[0]
	cl, err := rpc.DialContext(ctx, d.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	waitBlocks(ctx, t, eth, 3) // so that the rewind below can reach a few blocks under the cheat's
	mustResult(t, "anvil_setCode", anvilCall(ctx, t, cl, "anvil_setCode", anvilContract, hexutil.Bytes(constantCode)), "null")
	head, err := eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Find the block that carried it.
	var (
		carrier *types.Block
		deposit common.Hash
	)
	for n := head; n > 0 && carrier == nil; n-- {
		b, err := eth.BlockByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatal(err)
		}
		for i, tx := range b.Transactions() {
			if tx.To() != nil && *tx.To() == xvm.DevnetCheatsAddress {
				if i != 1 {
					t.Fatalf("cheat deposit at index %d of block %d, want 1 (right after the L1-attributes deposit)", i, n)
				}
				carrier, deposit = b, tx.Hash()
			}
		}
	}
	if carrier == nil {
		t.Fatal("no block carries the cheat deposit")
	}
	auth := dialAuth(ctx, t, d, d.Chains[0])
	now, err := eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := now - carrier.NumberU64() + 1 + 2 // the sequencer may seal another block first
	var newHead map[string]any
	if err := auth.CallContext(ctx, &newHead, "devnet_rewindUnsafe", hexutil.Uint64(n)); err != nil {
		t.Fatalf("devnet_rewindUnsafe(%d): %v", n, err)
	}
	b, err := eth.BlockByNumber(ctx, carrier.Number())
	if err != nil {
		t.Fatal(err)
	}
	if b.Hash() == carrier.Hash() {
		t.Fatal("the carrying block was not replaced")
	}
	if len(b.Transactions()) != 2 || b.Transactions()[1].Hash() != deposit {
		t.Fatalf("replacement block %d does not carry the cheat deposit again (%d transactions)", b.NumberU64(), len(b.Transactions()))
	}
	if code, err := eth.CodeAt(ctx, anvilContract, nil); err != nil || common.Bytes2Hex(code) != common.Bytes2Hex(constantCode) {
		t.Fatalf("eth_getCode after the rewind = %x, %v", code, err)
	}
	if n, err := eth.NonceAt(ctx, xvm.DevnetCheatsCaller, nil); err != nil || n != 1 {
		t.Fatalf("system address nonce %d, %v: the cheat ran %d times on the canonical chain", n, err, n)
	}
}
