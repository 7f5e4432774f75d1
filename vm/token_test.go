package vm

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/gasestimator"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/params"
)

// tokenABI is the token's interface as client libraries see it (supersim's
// L2NativeSuperchainERC20 plus ERC-7802 and ERC-165); the tests encode and decode through
// go-ethereum's ABI package, as cast, viem and ethers would.
const tokenABIJSON = `[
{"type":"function","name":"name","inputs":[],"outputs":[{"type":"string"}],"stateMutability":"view"},
{"type":"function","name":"symbol","inputs":[],"outputs":[{"type":"string"}],"stateMutability":"view"},
{"type":"function","name":"decimals","inputs":[],"outputs":[{"type":"uint8"}],"stateMutability":"view"},
{"type":"function","name":"version","inputs":[],"outputs":[{"type":"string"}],"stateMutability":"view"},
{"type":"function","name":"totalSupply","inputs":[],"outputs":[{"type":"uint256"}],"stateMutability":"view"},
{"type":"function","name":"balanceOf","inputs":[{"name":"owner","type":"address"}],"outputs":[{"type":"uint256"}],"stateMutability":"view"},
{"type":"function","name":"allowance","inputs":[{"name":"owner","type":"address"},{"name":"spender","type":"address"}],"outputs":[{"type":"uint256"}],"stateMutability":"view"},
{"type":"function","name":"transfer","inputs":[{"name":"to","type":"address"},{"name":"amount","type":"uint256"}],"outputs":[{"type":"bool"}],"stateMutability":"nonpayable"},
{"type":"function","name":"transferFrom","inputs":[{"name":"from","type":"address"},{"name":"to","type":"address"},{"name":"amount","type":"uint256"}],"outputs":[{"type":"bool"}],"stateMutability":"nonpayable"},
{"type":"function","name":"approve","inputs":[{"name":"spender","type":"address"},{"name":"amount","type":"uint256"}],"outputs":[{"type":"bool"}],"stateMutability":"nonpayable"},
{"type":"function","name":"mint","inputs":[{"name":"_to","type":"address"},{"name":"_amount","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
{"type":"function","name":"burn","inputs":[{"name":"_from","type":"address"},{"name":"_amount","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
{"type":"function","name":"crosschainMint","inputs":[{"name":"_to","type":"address"},{"name":"_amount","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
{"type":"function","name":"crosschainBurn","inputs":[{"name":"_from","type":"address"},{"name":"_amount","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
{"type":"function","name":"supportsInterface","inputs":[{"name":"_interfaceId","type":"bytes4"}],"outputs":[{"type":"bool"}],"stateMutability":"view"},
{"type":"event","name":"Transfer","inputs":[{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false}]},
{"type":"event","name":"Approval","inputs":[{"name":"owner","type":"address","indexed":true},{"name":"spender","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false}]},
{"type":"event","name":"Mint","inputs":[{"name":"account","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false}]},
{"type":"event","name":"Burn","inputs":[{"name":"account","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false}]},
{"type":"event","name":"CrosschainMint","inputs":[{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"sender","type":"address","indexed":true}]},
{"type":"event","name":"CrosschainBurn","inputs":[{"name":"from","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"sender","type":"address","indexed":true}]}
]`

var tokenABI = tokMustABI(tokenABIJSON)

func tokMustABI(j string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(j))
	if err != nil {
		panic(err)
	}
	return a
}

var (
	mockToken       = params.TestTokenAddress
	tokenBridgeAddr = params.SuperchainTokenBridgeAddress
	holderA         = common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	holderB         = common.HexToAddress("0x0000000000000000000000000000000000000b0b")
)

func tokPack(t testing.TB, a abi.ABI, name string, args ...any) []byte {
	t.Helper()
	in, err := a.Pack(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func tokABIPack(t testing.TB, name string, args ...any) []byte {
	return tokPack(t, tokenABI, name, args...)
}

func amt(v int64) *big.Int { return big.NewInt(v) }

// maxBig is 2^256-1.
var maxU256Big = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// at calls addr from caller with CALL, no value, gasGiven gas.
func (e *env) callAt(caller, addr common.Address, in []byte) ([]byte, uint64, error) {
	return e.evm.Call(caller, addr, in, gasGiven, new(uint256.Int))
}

// tok calls the token from caller and fails the test on an error.
func (e *env) tok(t testing.TB, caller common.Address, in []byte) []byte {
	t.Helper()
	ret, _, err := e.callAt(caller, mockToken, in)
	if err != nil {
		t.Fatalf("token call %x from %s: %v (data %x)", in[:4], caller, err, ret)
	}
	return ret
}

func (e *env) tokBalance(t testing.TB, who common.Address) *big.Int {
	t.Helper()
	return new(big.Int).SetBytes(e.tok(t, sender, tokABIPack(t, "balanceOf", who)))
}

func (e *env) tokSupply(t testing.TB) *big.Int {
	t.Helper()
	return new(big.Int).SetBytes(e.tok(t, sender, tokABIPack(t, "totalSupply")))
}

// setBalance writes a balance straight into the token's storage (for invariant-breaking setups).
func (e *env) tokSetBalance(who common.Address, v *big.Int) {
	if e.state.Empty(mockToken) { // else EIP-161 deletes the account with the storage
		e.state.SetNonce(mockToken, 1, tracing.NonceChangeUnspecified)
	}
	e.state.SetState(mockToken, TokenBalanceSlot(who), common.BigToHash(v))
}

func topicOfAddr(a common.Address) common.Hash { return common.BytesToHash(a[:]) }

func amtWord(v *big.Int) []byte { return common.BigToHash(v).Bytes() }

// wantLog is an expected log: address, topics and data.
type tokWantLog struct {
	addr   common.Address
	topics []common.Hash
	data   []byte
}

func checkTokLogs(t *testing.T, what string, got []*types.Log, want []tokWantLog) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d logs, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Address != w.addr || len(g.Topics) != len(w.topics) || !bytes.Equal(g.Data, w.data) {
			t.Fatalf("%s: log %d = %s %x %x, want %s %x %x", what, i, g.Address, g.Topics, g.Data, w.addr, w.topics, w.data)
		}
		for j := range w.topics {
			if g.Topics[j] != w.topics[j] {
				t.Fatalf("%s: log %d topic %d = %x, want %x", what, i, j, g.Topics[j], w.topics[j])
			}
		}
	}
}

func tokTransferLog(from, to common.Address, v *big.Int) tokWantLog {
	return tokWantLog{mockToken, []common.Hash{TopicTransfer, topicOfAddr(from), topicOfAddr(to)}, amtWord(v)}
}

func TestTokenSelectorsAndTopics(t *testing.T) {
	for _, c := range []struct {
		got  []byte
		want string
	}{
		{SelectorName[:], "06fdde03"}, {SelectorSymbol[:], "95d89b41"}, {SelectorDecimals[:], "313ce567"},
		{SelectorTotalSupply[:], "18160ddd"}, {SelectorBalanceOf[:], "70a08231"},
		{SelectorAllowance[:], "dd62ed3e"}, {SelectorTransfer[:], "a9059cbb"}, {SelectorTransferFrom[:], "23b872dd"},
		{SelectorApprove[:], "095ea7b3"}, {SelectorMint[:], "40c10f19"}, {SelectorBurn[:], "9dc29fac"},
		{SelectorCrosschainMint[:], "18bf5077"}, {SelectorCrosschainBurn[:], "2b8c49e3"}, {SelectorSupportsInterface[:], "01ffc9a7"},
		{RevertInsufficientBalance[:], "f4d678b8"}, {RevertInsufficientAllowance[:], "13be252b"},
		{RevertTotalSupplyOverflow[:], "e5cfe957"}, {RevertZeroAddress[:], "d92e233d"}, {RevertUnauthorized[:], "82b42900"},
		{InterfaceERC165[:], "01ffc9a7"}, {InterfaceERC7802[:], "33331994"}, {InterfaceERC20[:], "36372b07"},
		{TopicTransfer[:], "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"},
		{TopicApproval[:], "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"},
		{TopicCrosschainMint[:], "de22baff038e3a3e08407cbdf617deed74e869a7ba517df611e33131c6e6ea04"},
		{TopicCrosschainBurn[:], "b90795a66650155983e242cac3e1ac1a4dc26f8ed2987f3ce416a34e00111fd4"},
	} {
		mustEqual(t, "selector/topic", hex.EncodeToString(c.got), c.want)
	}
	// Every function and event of the client ABI is served with the ABI's own IDs.
	for name, m := range tokenABI.Methods {
		if _, ok := tokenMethods[selUint([4]byte(m.ID))]; !ok {
			t.Errorf("ABI function %s (%x) not served", name, m.ID)
		}
	}
	mustEqual(t, "served functions", len(tokenMethods), len(tokenABI.Methods))
	for name, want := range map[string]common.Hash{"Transfer": TopicTransfer, "Approval": TopicApproval, "Mint": TopicMint,
		"Burn": TopicBurn, "CrosschainMint": TopicCrosschainMint, "CrosschainBurn": TopicCrosschainBurn} {
		mustEqual(t, name+" topic", tokenABI.Events[name].ID, want)
	}
	// The interface IDs are the XOR of their functions' selectors.
	xor := func(sels ...[4]byte) (r [4]byte) {
		for _, s := range sels {
			for i := range r {
				r[i] ^= s[i]
			}
		}
		return r
	}
	mustEqual(t, "ERC-20 id", xor(SelectorTotalSupply, SelectorBalanceOf, SelectorTransfer, SelectorTransferFrom, SelectorApprove, SelectorAllowance), InterfaceERC20)
	mustEqual(t, "ERC-7802 id", xor(SelectorCrosschainMint, SelectorCrosschainBurn), InterfaceERC7802)
}

// The gas constants are the sums the README documents.
func TestTokenGasConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"pure", TokenPureGas, 100},
		{"totalSupply", TokenTotalSupplyGas, 100 + 2100},
		{"balanceOf", TokenBalanceOfGas, 100 + 36 + 2100},
		{"allowance", TokenAllowanceGas, 100 + 42 + 2100},
		{"transfer", TokenTransferGas, 100 + 2*36 + 5000 + 22100 + 1756},
		{"transferFrom", TokenTransferFromGas, 100 + 2*36 + 5000 + 22100 + 1756 + 42 + 5000},
		{"approve", TokenApproveGas, 100 + 42 + 22100 + 1756},
		{"mint", TokenMintGas, 100 + 36 + 2*22100 + 1756 + 1381},
		{"burn", TokenBurnGas, 100 + 36 + 2*5000 + 1756 + 1381},
		{"crosschainMint", TokenCrosschainMintGas, 100 + 36 + 2*22100 + 2*1756},
		{"crosschainBurn", TokenCrosschainBurnGas, 100 + 36 + 2*5000 + 2*1756},
	} {
		mustEqual(t, c.name+" gas", c.got, c.want)
	}
	mustEqual(t, "transfer", TokenTransferGas, uint64(29028))
	mustEqual(t, "mint", TokenMintGas, uint64(47473))
}

// The storage layout is Solady's: the slots as its assembly computes them in scratch memory.
func TestTokenStorageLayout(t *testing.T) {
	mstore := func(mem []byte, off int, w []byte) { copy(mem[off:off+32], common.LeftPadBytes(w, 32)) }
	balanceSlot := func(owner common.Address) common.Hash {
		mem := make([]byte, 64)
		mstore(mem, 0x0c, []byte{0x87, 0xa2, 0x11, 0xa2})
		mstore(mem, 0x00, owner[:])
		return crypto.Keccak256Hash(mem[0x0c : 0x0c+0x20])
	}
	allowanceSlot := func(owner, spender common.Address) common.Hash {
		mem := make([]byte, 96)
		mstore(mem, 0x20, spender[:])
		mstore(mem, 0x0c, []byte{0x7f, 0x5e, 0x9f, 0x20})
		mstore(mem, 0x00, owner[:])
		return crypto.Keccak256Hash(mem[0x0c : 0x0c+0x34])
	}
	mustEqual(t, "balance slot", TokenBalanceSlot(holderA), balanceSlot(holderA))
	mustEqual(t, "allowance slot", TokenAllowanceSlot(holderA, holderB), allowanceSlot(holderA, holderB))
	mustEqual(t, "total supply slot", TokenTotalSupplySlot, common.HexToHash("0x000000000000000000000000000000000000000000000005345cdf77eb68f44c"))

	e := newEnv(t, defaultOpts())
	e.tok(t, sender, tokABIPack(t, "mint", holderA, amt(7)))
	e.tok(t, holderA, tokABIPack(t, "approve", holderB, amt(3)))
	mustEqual(t, "stored balance", e.state.GetState(mockToken, balanceSlot(holderA)), common.BigToHash(amt(7)))
	mustEqual(t, "stored allowance", e.state.GetState(mockToken, allowanceSlot(holderA, holderB)), common.BigToHash(amt(3)))
	mustEqual(t, "stored supply", e.state.GetState(mockToken, TokenTotalSupplySlot), common.BigToHash(amt(7)))
}

func TestTokenMetadata(t *testing.T) {
	e := newEnv(t, defaultOpts())
	// name() exactly as solc encodes a string return: offset, length, padded bytes.
	wantName := "0000000000000000000000000000000000000000000000000000000000000020" +
		"0000000000000000000000000000000000000000000000000000000000000017" +
		hex.EncodeToString([]byte("L2NativeSuperchainERC20")) + "000000000000000000"
	for _, kind := range []gethvm.OpCode{gethvm.CALL, gethvm.STATICCALL, gethvm.DELEGATECALL, gethvm.CALLCODE} {
		ret, left, err := e.tokCallKind(kind, mockToken, tokABIPack(t, "name"))
		if err != nil || hex.EncodeToString(ret) != wantName {
			t.Fatalf("name via %v: %x, %v", kind, ret, err)
		}
		mustEqual(t, "name gas left", left, gasGiven-TokenPureGas)
	}
	for name, want := range map[string]any{"name": TokenName, "symbol": "MOCK", "decimals": uint8(18), "version": "1.0.1", "totalSupply": big.NewInt(0)} {
		ret, _, err := e.tokCallKind(gethvm.STATICCALL, mockToken, tokABIPack(t, name))
		if err != nil {
			t.Fatal(name, err)
		}
		out, err := tokenABI.Unpack(name, ret)
		if err != nil {
			t.Fatalf("%s: unpack %x: %v", name, ret, err)
		}
		if b, ok := want.(*big.Int); ok {
			if out[0].(*big.Int).Cmp(b) != 0 {
				t.Fatalf("%s = %v, want %v", name, out[0], want)
			}
		} else if out[0] != want {
			t.Fatalf("%s = %v, want %v", name, out[0], want)
		}
	}
	for _, c := range []struct {
		id   [4]byte
		want bool
	}{
		{InterfaceERC165, true}, {InterfaceERC7802, true}, {InterfaceERC20, true},
		{[4]byte{0xff, 0xff, 0xff, 0xff}, false}, {[4]byte{}, false}, {SelectorTransfer, false},
	} {
		ret, _, err := e.tokCallKind(gethvm.STATICCALL, mockToken, tokABIPack(t, "supportsInterface", c.id))
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "supportsInterface "+hex.EncodeToString(c.id[:]), hex.EncodeToString(ret), hex.EncodeToString(encBool(c.want)))
	}
	// bytes4 with a non-zero byte past the fourth is malformed.
	dirty := tokABIPack(t, "supportsInterface", InterfaceERC20)
	dirty[4+31] = 1
	if _, _, err := e.tokCallKind(gethvm.STATICCALL, mockToken, dirty); !errors.Is(err, gethvm.ErrExecutionReverted) {
		t.Fatalf("dirty bytes4: %v", err)
	}
}

// callKind calls addr from sender with the given call kind, no value, gasGiven gas.
func (e *env) tokCallKind(kind gethvm.OpCode, addr common.Address, in []byte) ([]byte, uint64, error) {
	return e.callKind(kind, sender, addr, in, gasGiven, new(uint256.Int))
}

// A full life cycle, with exact return data, logs and balances at each step.
func TestTokenFlow(t *testing.T) {
	e := newEnv(t, defaultOpts())
	carol := common.HexToAddress("0xca201")
	step := func(name string, caller common.Address, in []byte, ret []byte, logs ...tokWantLog) {
		t.Helper()
		before := len(e.state.Logs())
		got, left, err := e.callAt(caller, mockToken, in)
		if err != nil {
			t.Fatalf("%s: %v (%x)", name, err, got)
		}
		if !bytes.Equal(got, ret) {
			t.Fatalf("%s returned %x, want %x", name, got, ret)
		}
		mustEqual(t, name+" gas used", gasGiven-left, tokenMethods[selectorOf(in)].fixed)
		checkTokLogs(t, name, e.state.Logs()[before:], logs)
	}
	yes := encBool(true)
	step("mint", carol, tokABIPack(t, "mint", holderA, amt(1000)), nil,
		tokTransferLog(common.Address{}, holderA, amt(1000)),
		tokWantLog{mockToken, []common.Hash{TopicMint, topicOfAddr(holderA)}, amtWord(amt(1000))})
	mustEqual(t, "supply", e.tokSupply(t).Int64(), 1000)
	step("transfer", holderA, tokABIPack(t, "transfer", holderB, amt(300)), yes, tokTransferLog(holderA, holderB, amt(300)))
	step("self transfer", holderB, tokABIPack(t, "transfer", holderB, amt(300)), yes, tokTransferLog(holderB, holderB, amt(300)))
	step("zero transfer", carol, tokABIPack(t, "transfer", holderA, amt(0)), yes, tokTransferLog(carol, holderA, amt(0)))
	step("transfer to zero", holderB, tokABIPack(t, "transfer", common.Address{}, amt(1)), yes, tokTransferLog(holderB, common.Address{}, amt(1)))
	step("approve", holderA, tokABIPack(t, "approve", carol, amt(500)), yes,
		tokWantLog{mockToken, []common.Hash{TopicApproval, topicOfAddr(holderA), topicOfAddr(carol)}, amtWord(amt(500))})
	step("transferFrom", carol, tokABIPack(t, "transferFrom", holderA, holderB, amt(200)), yes, tokTransferLog(holderA, holderB, amt(200)))
	mustEqual(t, "allowance", new(big.Int).SetBytes(e.tok(t, sender, tokABIPack(t, "allowance", holderA, carol))).Int64(), 300)
	step("burn", carol, tokABIPack(t, "burn", holderB, amt(99)), nil,
		tokTransferLog(holderB, common.Address{}, amt(99)),
		tokWantLog{mockToken, []common.Hash{TopicBurn, topicOfAddr(holderB)}, amtWord(amt(99))})
	step("crosschainMint", tokenBridgeAddr, tokABIPack(t, "crosschainMint", carol, amt(50)), nil,
		tokTransferLog(common.Address{}, carol, amt(50)),
		tokWantLog{mockToken, []common.Hash{TopicCrosschainMint, topicOfAddr(carol), topicOfAddr(tokenBridgeAddr)}, amtWord(amt(50))})
	step("crosschainBurn", tokenBridgeAddr, tokABIPack(t, "crosschainBurn", holderA, amt(500)), nil,
		tokTransferLog(holderA, common.Address{}, amt(500)),
		tokWantLog{mockToken, []common.Hash{TopicCrosschainBurn, topicOfAddr(holderA), topicOfAddr(tokenBridgeAddr)}, amtWord(amt(500))})
	// alice 1000-300-200-500 = 0; bob 300+200-1-99 = 400; carol 50; the zero address 1.
	for who, want := range map[common.Address]int64{holderA: 0, holderB: 400, carol: 50, {}: 1} {
		mustEqual(t, "balance of "+who.Hex(), e.tokBalance(t, who).Int64(), want)
	}
	mustEqual(t, "supply", e.tokSupply(t).Int64(), 451)
	// The token account stays in state (nonce 1) though no code was ever put there.
	e.state.Finalise(true)
	mustEqual(t, "nonce", e.state.GetNonce(mockToken), uint64(1))
	mustEqual(t, "supply after finalise", e.tokSupply(t).Int64(), 451)
}

// With code at the address (the devnet genesis), the token leaves the account's nonce alone.
func TestTokenKeepsGenesisAccount(t *testing.T) {
	e := newEnv(t, defaultOpts())
	e.state.SetCode(mockToken, []byte{0xfe}, tracing.CodeChangeUnspecified)
	e.tok(t, sender, tokABIPack(t, "mint", holderA, amt(1)))
	mustEqual(t, "nonce", e.state.GetNonce(mockToken), uint64(0))
}

func TestTokenAllowanceEdges(t *testing.T) {
	e := newEnv(t, defaultOpts())
	e.tok(t, sender, tokABIPack(t, "mint", holderA, amt(1000)))
	allowance := func(owner, spender common.Address) *big.Int {
		return new(big.Int).SetBytes(e.tok(t, sender, tokABIPack(t, "allowance", owner, spender)))
	}
	// An infinite allowance is never decreased.
	e.tok(t, holderA, tokABIPack(t, "approve", holderB, maxU256Big))
	e.tok(t, holderB, tokABIPack(t, "transferFrom", holderA, holderB, amt(10)))
	mustEqual(t, "infinite kept", allowance(holderA, holderB).Cmp(maxU256Big), 0)
	// Approve overwrites (not additive); spending exactly the allowance leaves zero.
	e.tok(t, holderA, tokABIPack(t, "approve", holderB, amt(5)))
	e.tok(t, holderA, tokABIPack(t, "approve", holderB, amt(7)))
	mustEqual(t, "overwritten", allowance(holderA, holderB).Int64(), 7)
	e.tok(t, holderB, tokABIPack(t, "transferFrom", holderA, sender, amt(7)))
	mustEqual(t, "spent", allowance(holderA, holderB).Int64(), 0)
	// 2^256-2 is decreased like any finite allowance.
	almost := new(big.Int).Sub(maxU256Big, big.NewInt(1))
	e.tok(t, holderA, tokABIPack(t, "approve", holderB, almost))
	e.tok(t, holderB, tokABIPack(t, "transferFrom", holderA, holderB, amt(1)))
	mustEqual(t, "finite decreased", allowance(holderA, holderB).Cmp(new(big.Int).Sub(almost, big.NewInt(1))), 0)
	// Allowances are per (owner, spender): the reverse pair is untouched.
	mustEqual(t, "reverse pair", allowance(holderB, holderA).Int64(), 0)
	// A zero-amount transferFrom without allowance succeeds (0 ≤ 0), as in Solady.
	e.tok(t, sender, tokABIPack(t, "transferFrom", holderA, holderB, amt(0)))
	// Approving zero revokes.
	e.tok(t, holderA, tokABIPack(t, "approve", holderB, amt(0)))
	if ret, _, err := e.callAt(holderB, mockToken, tokABIPack(t, "transferFrom", holderA, holderB, amt(1))); err == nil || !bytes.Equal(ret, RevertInsufficientAllowance[:]) {
		t.Fatalf("after revoke: %x %v", ret, err)
	}
	// Self-approval works and is needed to move one's own tokens with transferFrom.
	if ret, _, _ := e.callAt(holderA, mockToken, tokABIPack(t, "transferFrom", holderA, holderB, amt(1))); !bytes.Equal(ret, RevertInsufficientAllowance[:]) {
		t.Fatalf("owner without self-allowance: %x", ret)
	}
	e.tok(t, holderA, tokABIPack(t, "approve", holderA, amt(1)))
	e.tok(t, holderA, tokABIPack(t, "transferFrom", holderA, holderB, amt(1)))
	mustEqual(t, "self allowance spent", allowance(holderA, holderA).Int64(), 0)
}

// tokenCase is one call whose outcome is a revert, with the state before it.
type tokRevertCase struct {
	name   string
	setup  func(*testing.T, *env)
	caller common.Address
	kind   gethvm.OpCode
	value  uint64
	in     []byte
	ret    []byte // revert data (nil: empty)
	free   bool   // reverted before the fixed cost was charged
}

func TestTokenReverts(t *testing.T) {
	mint := func(who common.Address, v *big.Int) func(*testing.T, *env) {
		return func(t *testing.T, e *env) { e.tok(t, sender, tokABIPack(t, "mint", who, v)) }
	}
	approve := func(owner, spender common.Address, v *big.Int) func(*testing.T, *env) {
		return func(t *testing.T, e *env) { e.tok(t, owner, tokABIPack(t, "approve", spender, v)) }
	}
	both := func(fs ...func(*testing.T, *env)) func(*testing.T, *env) {
		return func(t *testing.T, e *env) {
			for _, f := range fs {
				f(t, e)
			}
		}
	}
	dirtyAddr := tokABIPack(t, "transfer", holderB, amt(1))
	dirtyAddr[4] = 1
	panic11 := common.FromHex("0x4e487b710000000000000000000000000000000000000000000000000000000000000011")
	cases := []tokRevertCase{
		{name: "transfer above balance", setup: mint(holderA, amt(5)), caller: holderA, in: tokABIPack(t, "transfer", holderB, amt(6)), ret: RevertInsufficientBalance[:]},
		{name: "transfer from empty", caller: holderA, in: tokABIPack(t, "transfer", holderB, amt(1)), ret: RevertInsufficientBalance[:]},
		{name: "transferFrom without allowance", setup: mint(holderA, amt(5)), caller: holderB, in: tokABIPack(t, "transferFrom", holderA, holderB, amt(1)), ret: RevertInsufficientAllowance[:]},
		{name: "transferFrom above allowance", setup: both(mint(holderA, amt(5)), approve(holderA, holderB, amt(2))), caller: holderB, in: tokABIPack(t, "transferFrom", holderA, holderB, amt(3)), ret: RevertInsufficientAllowance[:]},
		{name: "transferFrom above balance", setup: both(mint(holderA, amt(5)), approve(holderA, holderB, amt(10))), caller: holderB, in: tokABIPack(t, "transferFrom", holderA, holderB, amt(6)), ret: RevertInsufficientBalance[:]},
		{name: "transferFrom by owner", setup: mint(holderA, amt(5)), caller: holderA, in: tokABIPack(t, "transferFrom", holderA, holderB, amt(1)), ret: RevertInsufficientAllowance[:]},
		{name: "mint to zero", caller: holderA, in: tokABIPack(t, "mint", common.Address{}, amt(1)), ret: RevertZeroAddress[:]},
		{name: "burn from zero", caller: holderA, in: tokABIPack(t, "burn", common.Address{}, amt(0)), ret: RevertZeroAddress[:]},
		{name: "burn above balance", setup: mint(holderA, amt(5)), caller: holderB, in: tokABIPack(t, "burn", holderA, amt(6)), ret: RevertInsufficientBalance[:]},
		{name: "mint overflows supply", setup: mint(holderA, new(big.Int).Sub(maxU256Big, amt(1))), caller: holderB, in: tokABIPack(t, "mint", holderB, amt(2)), ret: RevertTotalSupplyOverflow[:]},
		{name: "mint past max", setup: mint(holderA, maxU256Big), caller: holderB, in: tokABIPack(t, "mint", holderA, amt(1)), ret: RevertTotalSupplyOverflow[:]},
		{name: "transfer overflows a balance", setup: func(t *testing.T, e *env) { mint(holderA, amt(1))(t, e); e.tokSetBalance(holderB, maxU256Big) }, caller: holderA, in: tokABIPack(t, "transfer", holderB, amt(1)), ret: panic11},
		{name: "mint overflows a balance", setup: func(_ *testing.T, e *env) { e.tokSetBalance(holderB, maxU256Big) }, caller: holderA, in: tokABIPack(t, "mint", holderB, amt(1)), ret: panic11},
		{name: "burn underflows supply", setup: func(_ *testing.T, e *env) { e.tokSetBalance(holderB, amt(3)) }, caller: holderA, in: tokABIPack(t, "burn", holderB, amt(2)), ret: panic11},
		{name: "crosschainMint not bridge", caller: holderA, in: tokABIPack(t, "crosschainMint", holderA, amt(1)), ret: RevertUnauthorized[:]},
		{name: "crosschainBurn not bridge", setup: mint(holderA, amt(5)), caller: holderA, in: tokABIPack(t, "crosschainBurn", holderA, amt(1)), ret: RevertUnauthorized[:]},
		{name: "crosschainMint from messenger", caller: params.L2ToL2CrossDomainMessengerAddress, in: tokABIPack(t, "crosschainMint", holderA, amt(1)), ret: RevertUnauthorized[:]},
		{name: "crosschainBurn above balance", setup: mint(holderA, amt(5)), caller: tokenBridgeAddr, in: tokABIPack(t, "crosschainBurn", holderA, amt(6)), ret: RevertInsufficientBalance[:]},
		{name: "crosschainMint overflow", setup: mint(holderA, maxU256Big), caller: tokenBridgeAddr, in: tokABIPack(t, "crosschainMint", holderA, amt(1)), ret: RevertTotalSupplyOverflow[:]},
		// Call kinds, value, static context: empty reverts after the charge.
		{name: "transfer with value", setup: mint(sender, amt(5)), caller: sender, value: 1, in: tokABIPack(t, "transfer", holderB, amt(1))},
		{name: "balanceOf with value", caller: sender, value: 1, in: tokABIPack(t, "balanceOf", holderB)},
		{name: "name with value", caller: sender, value: 1, in: tokABIPack(t, "name")},
		{name: "transfer via STATICCALL", setup: mint(sender, amt(5)), caller: sender, kind: gethvm.STATICCALL, in: tokABIPack(t, "transfer", holderB, amt(1))},
		{name: "approve via STATICCALL", caller: sender, kind: gethvm.STATICCALL, in: tokABIPack(t, "approve", holderB, amt(1))},
		{name: "mint via STATICCALL", caller: sender, kind: gethvm.STATICCALL, in: tokABIPack(t, "mint", holderB, amt(1))},
		{name: "transfer via DELEGATECALL", setup: mint(sender, amt(5)), caller: sender, kind: gethvm.DELEGATECALL, in: tokABIPack(t, "transfer", holderB, amt(1))},
		{name: "mint via CALLCODE", caller: sender, kind: gethvm.CALLCODE, in: tokABIPack(t, "mint", holderB, amt(1))},
		{name: "balanceOf via DELEGATECALL", caller: sender, kind: gethvm.DELEGATECALL, in: tokABIPack(t, "balanceOf", holderB)},
		{name: "totalSupply via CALLCODE", caller: sender, kind: gethvm.CALLCODE, in: tokABIPack(t, "totalSupply")},
		// Malformed input.
		{name: "short transfer", setup: mint(sender, amt(5)), caller: sender, in: tokABIPack(t, "transfer", holderB, amt(1))[:4+32+31]},
		{name: "transfer, dirty address", setup: mint(sender, amt(5)), caller: sender, in: dirtyAddr},
		{name: "balanceOf without argument", caller: sender, in: SelectorBalanceOf[:]},
		{name: "unknown selector", caller: sender, in: []byte{0xde, 0xad, 0xbe, 0xef}, free: true},
		{name: "three bytes", caller: sender, in: SelectorTransfer[:3], free: true},
		{name: "empty input", caller: sender, in: nil, free: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, defaultOpts())
			e.state.AddBalance(holderA, uint256.NewInt(1e18), tracing.BalanceChangeUnspecified)
			if c.setup != nil {
				c.setup(t, e)
			}
			root := e.state.IntermediateRoot(true)
			logs := len(e.state.Logs())
			if c.kind == 0 {
				c.kind = gethvm.CALL
			}
			ret, left, err := e.tokKindFrom(c.kind, c.caller, c.in, uint256.NewInt(c.value))
			if !errors.Is(err, gethvm.ErrExecutionReverted) {
				t.Fatalf("err %v, want a revert", err)
			}
			if !bytes.Equal(ret, c.ret) {
				t.Fatalf("revert data %x, want %x", ret, c.ret)
			}
			want := gasGiven - tokenMethods[selectorOf(c.in)].fixed
			if c.free {
				want = gasGiven
			}
			mustEqual(t, "gas left", left, want)
			mustEqual(t, "logs", len(e.state.Logs()), logs)
			mustEqual(t, "state root", e.state.IntermediateRoot(true), root)
		})
	}
}

// tokKindFrom calls the token from caller with the given call kind and value.
func (e *env) tokKindFrom(kind gethvm.OpCode, caller common.Address, in []byte, value *uint256.Int) ([]byte, uint64, error) {
	return e.callKind(kind, caller, mockToken, in, gasGiven, value)
}

// Trailing calldata is ignored, as Solidity's decoder does (viem's dataSuffix relies on it).
func TestTokenTrailingCalldata(t *testing.T) {
	e := newEnv(t, defaultOpts())
	e.tok(t, sender, append(tokABIPack(t, "mint", holderA, amt(9)), 0xaa, 0xbb, 0xcc))
	e.tok(t, holderA, append(tokABIPack(t, "transfer", holderB, amt(4)), make([]byte, 40)...))
	mustEqual(t, "bob", e.tokBalance(t, holderB).Int64(), 4)
	mustEqual(t, "alice", new(big.Int).SetBytes(e.tok(t, sender, append(tokABIPack(t, "balanceOf", holderA), 1))).Int64(), 5)
}

// Exactly the fixed cost succeeds; one gas less is out of gas, consumes everything and
// changes nothing.
func TestTokenExactGas(t *testing.T) {
	for _, c := range []struct {
		caller common.Address
		in     []byte
	}{
		{holderA, tokABIPack(t, "transfer", holderB, amt(1))},
		{holderB, tokABIPack(t, "transferFrom", holderA, holderB, amt(1))},
		{holderA, tokABIPack(t, "approve", holderB, amt(1))},
		{holderA, tokABIPack(t, "mint", holderB, amt(1))},
		{holderA, tokABIPack(t, "burn", holderA, amt(1))},
		{tokenBridgeAddr, tokABIPack(t, "crosschainMint", holderB, amt(1))},
		{tokenBridgeAddr, tokABIPack(t, "crosschainBurn", holderA, amt(1))},
		{holderA, tokABIPack(t, "balanceOf", holderB)},
		{holderA, tokABIPack(t, "allowance", holderA, holderB)},
		{holderA, tokABIPack(t, "totalSupply")},
		{holderA, tokABIPack(t, "name")},
		{holderA, tokABIPack(t, "supportsInterface", InterfaceERC7802)},
	} {
		cost := tokenMethods[selectorOf(c.in)].fixed
		mustEqual(t, "RequiredGas", testTokenContract.RequiredGas(c.in), cost)
		for _, gas := range []uint64{cost, cost - 1} {
			e := newEnv(t, defaultOpts())
			e.tok(t, sender, tokABIPack(t, "mint", holderA, amt(10)))
			e.tok(t, holderA, tokABIPack(t, "approve", holderB, amt(10)))
			root := e.state.IntermediateRoot(true)
			_, left, err := e.evm.Call(c.caller, mockToken, c.in, gas, new(uint256.Int))
			if gas == cost {
				if err != nil || left != 0 {
					t.Fatalf("%x with exactly %d gas: left %d, %v", c.in[:4], gas, left, err)
				}
				continue
			}
			if !errors.Is(err, gethvm.ErrOutOfGas) || left != 0 {
				t.Fatalf("%x with %d gas: left %d, %v", c.in[:4], gas, left, err)
			}
			mustEqual(t, "state root", e.state.IntermediateRoot(true), root)
		}
	}
	mustEqual(t, "RequiredGas unknown", testTokenContract.RequiredGas([]byte{1, 2, 3, 4}), uint64(0))
	if _, err := testTokenContract.Run(nil); err == nil {
		t.Fatal("Run without the EVM succeeded")
	}
}

// forwardCode is hand-written bytecode that CALLs target with its own calldata (zero value,
// all gas) and returns the success flag as one word followed by the call's return data,
// writing nothing itself: reached through STATICCALL it puts a CALL inside a static context.
func staticForwardCode(target common.Address) []byte {
	code := []byte{
		byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0, byte(gethvm.CALLDATACOPY),
		byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0, // retSize, retOffset
		byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, // argsSize, argsOffset
		byte(gethvm.PUSH1), 0, // value
		byte(gethvm.PUSH20),
	}
	code = append(code, target[:]...)
	return append(code, byte(gethvm.GAS), byte(gethvm.CALL),
		byte(gethvm.PUSH1), 0, byte(gethvm.MSTORE),
		byte(gethvm.RETURNDATASIZE), byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0x20, byte(gethvm.RETURNDATACOPY),
		byte(gethvm.RETURNDATASIZE), byte(gethvm.PUSH1), 0x20, byte(gethvm.ADD), byte(gethvm.PUSH1), 0, byte(gethvm.RETURN),
	)
}

// A CALL made inside a static context (STATICCALL → contract → CALL) can read but not write.
func TestTokenInsideStaticContext(t *testing.T) {
	e := newEnv(t, defaultOpts())
	fwd := common.HexToAddress("0xf0d")
	e.state.SetCode(fwd, staticForwardCode(mockToken), tracing.CodeChangeUnspecified)
	e.tok(t, sender, tokABIPack(t, "mint", fwd, amt(5)))
	root := e.state.IntermediateRoot(true)

	ret, _, err := e.evm.StaticCall(sender, fwd, tokABIPack(t, "balanceOf", fwd), gasGiven)
	if err != nil || !bytes.Equal(ret, append(encBool(true), amtWord(amt(5))...)) {
		t.Fatalf("balanceOf inside a static context: %x %v", ret, err)
	}
	for _, in := range [][]byte{tokABIPack(t, "transfer", holderB, amt(1)), tokABIPack(t, "approve", holderB, amt(1)), tokABIPack(t, "mint", holderB, amt(1)), tokABIPack(t, "burn", fwd, amt(1))} {
		ret, _, err := e.evm.StaticCall(sender, fwd, in, gasGiven)
		if err != nil || !bytes.Equal(ret, encBool(false)) {
			t.Fatalf("%x inside a static context: %x %v, want a failed inner call without data", in[:4], ret, err)
		}
	}
	mustEqual(t, "state root", e.state.IntermediateRoot(true), root)
	// The same forwarder called normally writes.
	if ret, _, err := e.callAt(sender, fwd, tokABIPack(t, "transfer", holderB, amt(1))); err != nil || !bytes.Equal(ret, append(encBool(true), encBool(true)...)) {
		t.Fatalf("transfer through the forwarder: %x %v", ret, err)
	}
	mustEqual(t, "bob", e.tokBalance(t, holderB).Int64(), 1)
}

// Transactions through a real chain: the receipts charge intrinsic gas plus the fixed cost,
// eth_estimateGas finds exactly that, and eth_call reads balances.
func TestChainToken(t *testing.T) {
	h := newChainHarness(t, nativeChainID)
	h.genesis.Alloc[mockToken] = types.Account{Code: []byte{0xfe}}
	mintIn := tokABIPack(t, "mint", h.from, amt(1000))
	transferIn := tokABIPack(t, "transfer", holderB, amt(400))
	iMint := h.send(mockToken, mintIn, 0, nil)
	iTransfer := h.send(mockToken, transferIn, 0, nil)
	iShort := h.send(mockToken, tokABIPack(t, "transfer", holderB, amt(601)), 0, nil)
	iValue := h.send(mockToken, tokABIPack(t, "transfer", holderB, amt(1)), 1, nil)
	// A deposit can call the token too; a block ending with a deposit also spares the chain
	// maker the L1-attributes parsing that a missing L1 info deposit would fail.
	iDeposit := h.deposit(mockToken, tokABIPack(t, "mint", holderA, amt(3)))
	m := h.mine()
	r := m.receipts
	need := func(in []byte, cost uint64) uint64 {
		intrinsic, _ := core.IntrinsicGas(in, nil, nil, false, true, true, true)
		floor, _ := core.FloorDataGas(in)
		return max(intrinsic+cost, floor)
	}
	mustEqual(t, "mint status", r[iMint].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "mint gas", r[iMint].GasUsed, need(mintIn, TokenMintGas))
	mustEqual(t, "mint logs", len(r[iMint].Logs), 2)
	mustEqual(t, "transfer status", r[iTransfer].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "transfer gas", r[iTransfer].GasUsed, need(transferIn, TokenTransferGas))
	mustEqual(t, "transfer log", r[iTransfer].Logs[0].Topics[0], TopicTransfer)
	mustEqual(t, "short status", r[iShort].Status, types.ReceiptStatusFailed)
	mustEqual(t, "value status", r[iValue].Status, types.ReceiptStatusFailed)
	mustEqual(t, "deposit status", r[iDeposit].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "stored balance", m.state.GetState(mockToken, TokenBalanceSlot(holderB)), common.BigToHash(amt(400)))
	mustEqual(t, "stored supply", m.state.GetState(mockToken, TokenTotalSupplySlot), common.BigToHash(amt(1003)))
	mustEqual(t, "code kept", len(m.state.GetCode(mockToken)), 1)

	head := m.chain.CurrentBlock()
	msg := func(in []byte) *core.Message {
		return &core.Message{
			From: h.from, To: &mockToken, Value: new(big.Int), Data: in,
			GasPrice: new(big.Int), GasFeeCap: new(big.Int), GasTipCap: new(big.Int),
			SkipNonceChecks: true, SkipTransactionChecks: true,
		}
	}
	estimate := func(in []byte) (uint64, []byte, error) {
		st, _ := m.chain.StateAt(head.Root)
		return gasestimator.Estimate(context.Background(), msg(in), &gasestimator.Options{
			Config: m.chain.Config(), Chain: m.chain, Header: head, State: st,
		}, 10_000_000)
	}
	for _, c := range []struct {
		in   []byte
		cost uint64
	}{
		{transferIn, TokenTransferGas},
		{tokABIPack(t, "approve", holderB, amt(1)), TokenApproveGas},
		{tokABIPack(t, "burn", h.from, amt(1)), TokenBurnGas},
		{tokABIPack(t, "balanceOf", holderB), TokenBalanceOfGas},
	} {
		got, ret, err := estimate(c.in)
		if err != nil {
			t.Fatalf("estimate %x: %v (%x)", c.in[:4], err, ret)
		}
		mustEqual(t, "estimate", got, need(c.in, c.cost))
	}
	if _, ret, err := estimate(tokABIPack(t, "transfer", holderB, amt(601))); err == nil || !bytes.Equal(ret, RevertInsufficientBalance[:]) {
		t.Fatalf("estimate of an impossible transfer: %x %v", ret, err)
	}
	// eth_call of a view.
	st, _ := m.chain.StateAt(head.Root)
	evm := gethvm.NewEVM(core.NewEVMBlockContext(head, m.chain, nil, m.chain.Config(), st), st, m.chain.Config(), gethvm.Config{NoBaseFee: true})
	call := msg(tokABIPack(t, "balanceOf", h.from))
	call.GasLimit = 1_000_000
	res, err := core.ApplyMessage(evm, call, core.NewGasPool(1_000_000))
	if err != nil {
		t.Fatalf("eth_call balanceOf: %v", err)
	}
	if res.Err != nil {
		t.Fatalf("eth_call balanceOf: %v", res.Err)
	}
	mustEqual(t, "balanceOf", new(big.Int).SetBytes(res.ReturnData).Int64(), 600)
}

// FuzzToken calls the token with arbitrary calldata, caller, value and call kind over a
// state with balances and allowances: never a panic, and a failed call changes nothing.
func FuzzToken(f *testing.F) {
	for _, in := range [][]byte{
		tokABIPack(f, "transfer", holderB, amt(1)), tokABIPack(f, "transferFrom", holderA, holderB, amt(3)), tokABIPack(f, "approve", holderB, maxU256Big),
		tokABIPack(f, "mint", holderA, maxU256Big), tokABIPack(f, "burn", holderA, amt(10)), tokABIPack(f, "crosschainMint", holderB, amt(1)),
		tokABIPack(f, "crosschainBurn", holderA, amt(100)), tokABIPack(f, "balanceOf", holderA), tokABIPack(f, "allowance", holderA, holderB),
		tokABIPack(f, "supportsInterface", InterfaceERC7802), tokABIPack(f, "name"), {0x01}, nil,
	} {
		f.Add(in, uint8(0), uint8(0), false)
		f.Add(in, uint8(2), uint8(1), true)
	}
	callers := []common.Address{holderA, holderB, tokenBridgeAddr, sender}
	kinds := []gethvm.OpCode{gethvm.CALL, gethvm.STATICCALL, gethvm.DELEGATECALL, gethvm.CALLCODE}
	f.Fuzz(func(t *testing.T, in []byte, who, kind uint8, value bool) {
		e := newEnv(t, defaultOpts())
		e.state.AddBalance(holderA, uint256.NewInt(1e18), tracing.BalanceChangeUnspecified)
		e.state.AddBalance(tokenBridgeAddr, uint256.NewInt(1e18), tracing.BalanceChangeUnspecified)
		e.tok(t, sender, tokABIPack(t, "mint", holderA, amt(100)))
		e.tok(t, holderA, tokABIPack(t, "approve", holderB, amt(50)))
		root := e.state.IntermediateRoot(true)
		logs := len(e.state.Logs())
		v := new(uint256.Int)
		if value {
			v.SetUint64(1)
		}
		ret, left, err := e.tokKindFrom(kinds[int(kind)%len(kinds)], callers[int(who)%len(callers)], in, v)
		if left > gasGiven {
			t.Fatalf("gas left %d above the %d given", left, gasGiven)
		}
		if err != nil {
			if e.state.IntermediateRoot(true) != root || len(e.state.Logs()) != logs {
				t.Fatalf("failed call (%v, %x) changed state", err, ret)
			}
			return
		}
		// A success spent exactly the function's fixed cost.
		mustEqual(t, "gas used", gasGiven-left, tokenMethods[selectorOf(in)].fixed)
		// Invariant: the supply equals the sum of the balances of every account in play.
		inPlay := map[common.Address]bool{{}: true}
		for _, a := range callers {
			inPlay[a] = true
		}
		if len(in) >= 4 {
			for i := range 2 {
				if a, ok := (&frame{args: in[4:]}).address(i); ok {
					inPlay[a] = true
				}
			}
		}
		sum := new(big.Int)
		for a := range inPlay {
			sum.Add(sum, new(big.Int).SetBytes(e.state.GetState(mockToken, TokenBalanceSlot(a)).Bytes()))
		}
		if tokSupply := new(big.Int).SetBytes(e.state.GetState(mockToken, TokenTotalSupplySlot).Bytes()); tokSupply.Cmp(sum) != 0 {
			t.Fatalf("supply %v, balances sum %v after %x", tokSupply, sum, in)
		}
	})
}

// benchToken measures one token call from caller through evm.Call, the environment rebuilt
// (timer stopped) every 256 calls.
func benchTokenCall(b *testing.B, setup func(*env), caller common.Address, in []byte) {
	zero := new(uint256.Int)
	fresh := func() *env {
		e := newEnv(b, defaultOpts())
		setup(e)
		return e
	}
	e := fresh()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n++; n&255 == 0 {
			b.StopTimer()
			e = fresh()
			b.StartTimer()
		}
		if _, _, err := e.evm.Call(caller, mockToken, in, gasGiven, zero); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenTransfer(b *testing.B) {
	benchTokenCall(b, func(e *env) { e.tok(b, sender, tokABIPack(b, "mint", holderA, maxU256Big)) }, holderA, tokABIPack(b, "transfer", holderB, amt(1)))
}

func BenchmarkTokenBalanceOf(b *testing.B) {
	benchTokenCall(b, func(e *env) { e.tok(b, sender, tokABIPack(b, "mint", holderA, amt(1))) }, holderA, tokABIPack(b, "balanceOf", holderA))
}
