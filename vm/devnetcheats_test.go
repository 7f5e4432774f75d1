package vm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/params"
)

const (
	cheatsChainID  = 990911 // extras: DevnetCheats only
	cheatsToggleID = 990912 // DevnetCheats switched off between building and importing
)

func init() {
	for _, id := range []int64{cheatsChainID, cheatsToggleID} {
		if err := params.RegisterChainExtras(big.NewInt(id), params.ChainExtras{DevnetCheats: true}); err != nil {
			panic(err)
		}
	}
}

var (
	cheats      = DevnetCheatsAddress
	system      = DevnetCheatsCaller
	cheatTarget = common.HexToAddress("0x00000000000000000000000000000000000ca11e")
	cheatRelay  = common.HexToAddress("0x00000000000000000000000000000000000c0de1")
	// constCode returns the word 0x2a: PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
	constCode = common.FromHex("0x602a60005260206000f3")
)

// cheatEnv is a transaction environment on chainID: a deposit from the devnet system
// address (base fee 1 gwei, gas price 0) unless opts say otherwise.
func cheatEnv(t testing.TB, chainID int64, mod func(*envOpts)) *env {
	t.Helper()
	o := envOpts{chainID: chainID, time: envTime, baseFee: 1_000_000_000, gasPrice: 0}
	if mod != nil {
		mod(&o)
	}
	e := newEnv(t, o)
	e.evm.SetTxContext(gethvm.TxContext{Origin: system, GasPrice: uint256.NewInt(uint64(o.gasPrice))})
	e.state.SetCode(cheatRelay, relayCodeTo(cheats), tracing.CodeChangeUnspecified)
	return e
}

// relayCodeTo is relayCode with another target: it CALLs target with its calldata and
// returns the success flag as one word followed by the call's return data.
func relayCodeTo(target common.Address) []byte {
	code := relayCode()
	i := bytes.Index(code, params.CrossL2InboxAddress[:])
	out := append([]byte(nil), code...)
	copy(out[i:], target[:])
	return out
}

func TestDevnetCheatsVectors(t *testing.T) {
	for _, c := range []struct {
		got  [4]byte
		sig  string
		want string
	}{
		{SelectorSetCode, "setCode(address,bytes)", "978190f1"},
		{SelectorSetBalance, "setBalance(address,uint256)", "e30443bc"},
		{SelectorSetNonce, "setNonce(address,uint64)", "f8e18b57"},
		{SelectorSetStorageAt, "setStorageAt(address,bytes32,bytes32)", "7d77bc96"},
		{RevertNotDevnetSystemDeposit, "NotDevnetSystemDeposit()", "431b511b"},
		{RevertEmptyAccount, "EmptyAccount()", "dd7016a2"},
		{RevertCodeTooLarge, "CodeTooLarge()", "3b9346ac"},
	} {
		mustEqual(t, c.sig, hex.EncodeToString(c.got[:]), c.want)
		mustEqual(t, c.sig+" from its signature", c.got, selector(c.sig))
	}
	if SetBalanceGas != 7600 || SetNonceGas != 7600 || SetStorageAtGas != 24700 || SetCodeBaseGas != 22600 || SetCodePerByteGas != 200 || MaxDevnetCheatCodeSize != 49152 {
		t.Fatal("devnet cheat gas constants changed: update the docs and README")
	}
	if DevnetCheatsAddress[0] != 0x42 || new(big.Int).SetBytes(DevnetCheatsAddress[1:]).Cmp(big.NewInt(0x7ff)) <= 0 {
		t.Fatal("DevnetCheatsAddress must start with 0x42 and lie outside the predeploy namespace")
	}
}

// Each operation changes what it names and charges exactly its documented gas.
func TestDevnetCheatsOps(t *testing.T) {
	big256 := new(uint256.Int).SetAllOne()
	slot, val := common.HexToHash("0x01"), common.HexToHash("0xbeef")
	for _, c := range []struct {
		name  string
		pre   func(*env)
		in    []byte
		gas   uint64
		check func(*testing.T, *env)
	}{
		{"setCode", nil, EncodeSetCode(cheatTarget, constCode), SetCodeBaseGas + 200*uint64(len(constCode)), func(t *testing.T, e *env) {
			mustEqual(t, "code", hex.EncodeToString(e.state.GetCode(cheatTarget)), hex.EncodeToString(constCode))
		}},
		{"setCode 32 bytes (no padding)", nil, EncodeSetCode(cheatTarget, bytes.Repeat([]byte{0x5b}, 32)), SetCodeBaseGas + 200*32, func(t *testing.T, e *env) {
			mustEqual(t, "code size", e.state.GetCodeSize(cheatTarget), 32)
		}},
		{"setCode at the cap", nil, EncodeSetCode(cheatTarget, make([]byte, MaxDevnetCheatCodeSize)), SetCodeBaseGas + 200*uint64(MaxDevnetCheatCodeSize), func(t *testing.T, e *env) {
			mustEqual(t, "code size", e.state.GetCodeSize(cheatTarget), MaxDevnetCheatCodeSize)
		}},
		{"setCode empty clears", func(e *env) { e.state.SetCode(cheatTarget, constCode, tracing.CodeChangeUnspecified) }, EncodeSetCode(cheatTarget, nil), SetCodeBaseGas, func(t *testing.T, e *env) {
			mustEqual(t, "code size", e.state.GetCodeSize(cheatTarget), 0)
		}},
		{"setBalance up", func(e *env) { e.state.SetBalance(cheatTarget, uint256.NewInt(5), tracing.BalanceChangeUnspecified) }, EncodeSetBalance(cheatTarget, uint256.NewInt(1e18)), SetBalanceGas, func(t *testing.T, e *env) {
			mustEqual(t, "balance", e.state.GetBalance(cheatTarget).Uint64(), uint64(1e18))
		}},
		{"setBalance down", func(e *env) { e.state.SetBalance(cheatTarget, uint256.NewInt(1e18), tracing.BalanceChangeUnspecified) }, EncodeSetBalance(cheatTarget, uint256.NewInt(3)), SetBalanceGas, func(t *testing.T, e *env) {
			mustEqual(t, "balance", e.state.GetBalance(cheatTarget).Uint64(), 3)
		}},
		{"setBalance max", nil, EncodeSetBalance(cheatTarget, big256), SetBalanceGas, func(t *testing.T, e *env) {
			mustEqual(t, "balance", e.state.GetBalance(cheatTarget).Cmp(big256), 0)
		}},
		{"setBalance same", func(e *env) { e.state.SetBalance(cheatTarget, uint256.NewInt(7), tracing.BalanceChangeUnspecified) }, EncodeSetBalance(cheatTarget, uint256.NewInt(7)), SetBalanceGas, func(t *testing.T, e *env) {
			mustEqual(t, "balance", e.state.GetBalance(cheatTarget).Uint64(), 7)
		}},
		{"setNonce", nil, EncodeSetNonce(cheatTarget, 1234), SetNonceGas, func(t *testing.T, e *env) {
			mustEqual(t, "nonce", e.state.GetNonce(cheatTarget), 1234)
		}},
		{"setNonce max", nil, EncodeSetNonce(cheatTarget, ^uint64(0)), SetNonceGas, func(t *testing.T, e *env) {
			mustEqual(t, "nonce", e.state.GetNonce(cheatTarget), ^uint64(0))
		}},
		{"setStorageAt", func(e *env) { e.state.SetCode(cheatTarget, constCode, tracing.CodeChangeUnspecified) }, EncodeSetStorageAt(cheatTarget, slot, val), SetStorageAtGas, func(t *testing.T, e *env) {
			mustEqual(t, "slot", e.state.GetState(cheatTarget, slot), val)
		}},
		{"setStorageAt on an account with a nonce", func(e *env) { e.state.SetNonce(cheatTarget, 1, tracing.NonceChangeUnspecified) }, EncodeSetStorageAt(cheatTarget, slot, val), SetStorageAtGas, func(t *testing.T, e *env) {
			mustEqual(t, "slot", e.state.GetState(cheatTarget, slot), val)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cheatEnv(t, cheatsChainID, nil)
			if c.pre != nil {
				c.pre(e)
			}
			const given = 20_000_000
			ret, left, err := e.evm.Call(system, cheats, c.in, given, new(uint256.Int))
			if err != nil {
				t.Fatalf("err %v, ret %x", err, ret)
			}
			mustEqual(t, "return data", len(ret), 0)
			mustEqual(t, "gas used", given-left, c.gas)
			mustEqual(t, "RequiredGas", DevnetCheatGas(c.in), c.gas)
			c.check(t, e)
		})
	}
}

// Only a plain CALL from the system address, in a deposit, made by the system address
// itself, changes anything.
func TestDevnetCheatsRefusals(t *testing.T) {
	in := EncodeSetNonce(cheatTarget, 9)
	notSystem := selector("NotDevnetSystemDeposit()")
	other := common.HexToAddress("0x00000000000000000000000000000000000000b0")
	for _, c := range []struct {
		name   string
		mod    func(*envOpts)
		origin common.Address // zero: the system address
		run    func(e *env) ([]byte, uint64, error)
		revert []byte // nil: empty revert data
	}{
		{"user transaction (gas price > 0)", func(o *envOpts) { o.gasPrice = 2_000_000_000 }, common.Address{},
			func(e *env) ([]byte, uint64, error) {
				return e.evm.Call(system, cheats, in, gasGiven, new(uint256.Int))
			}, notSystem[:]},
		{"eth_call without gas price (base fee 0)", func(o *envOpts) { o.baseFee = 0 }, common.Address{},
			func(e *env) ([]byte, uint64, error) {
				return e.evm.Call(system, cheats, in, gasGiven, new(uint256.Int))
			}, notSystem[:]},
		{"deposit from another sender", nil, other,
			func(e *env) ([]byte, uint64, error) { return e.evm.Call(other, cheats, in, gasGiven, new(uint256.Int)) }, notSystem[:]},
		{"caller is the system address but origin is not", nil, other,
			func(e *env) ([]byte, uint64, error) {
				return e.evm.Call(system, cheats, in, gasGiven, new(uint256.Int))
			}, notSystem[:]},
		{"deposit from the L1-attributes depositor", nil, common.HexToAddress("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001"),
			func(e *env) ([]byte, uint64, error) {
				return e.evm.Call(common.HexToAddress("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001"), cheats, in, gasGiven, new(uint256.Int))
			}, notSystem[:]},
		{"STATICCALL", nil, common.Address{},
			func(e *env) ([]byte, uint64, error) { return e.evm.StaticCall(system, cheats, in, gasGiven) }, nil},
		{"DELEGATECALL", nil, common.Address{},
			func(e *env) ([]byte, uint64, error) {
				return e.evm.DelegateCall(common.Address{}, system, cheats, in, gasGiven, new(uint256.Int))
			}, nil},
		{"CALLCODE", nil, common.Address{},
			func(e *env) ([]byte, uint64, error) {
				return e.evm.CallCode(system, cheats, in, gasGiven, new(uint256.Int))
			}, nil},
		{"value", nil, common.Address{},
			func(e *env) ([]byte, uint64, error) {
				e.state.SetBalance(system, uint256.NewInt(10), tracing.BalanceChangeUnspecified)
				return e.evm.Call(system, cheats, in, gasGiven, uint256.NewInt(1))
			}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cheatEnv(t, cheatsChainID, c.mod)
			if c.origin != (common.Address{}) {
				e.evm.SetTxContext(gethvm.TxContext{Origin: c.origin, GasPrice: e.evm.GasPrice})
			}
			ret, left, err := c.run(e)
			if !errors.Is(err, gethvm.ErrExecutionReverted) {
				t.Fatalf("err %v, want a revert", err)
			}
			mustEqual(t, "revert data", hex.EncodeToString(ret), hex.EncodeToString(c.revert))
			mustEqual(t, "gas left", left, gasGiven-SetNonceGas)
			mustEqual(t, "nonce", e.state.GetNonce(cheatTarget), 0)
		})
	}
}

// A contract cannot relay a cheat: a CALL made by it has the wrong caller, and the same CALL
// inside a static context is refused before the caller is looked at.
func TestDevnetCheatsThroughContract(t *testing.T) {
	in := EncodeSetNonce(cheatTarget, 9)
	notSystem := selector("NotDevnetSystemDeposit()")
	for _, c := range []struct {
		name string
		call func(e *env) ([]byte, uint64, error)
		data []byte // revert data the relay saw
	}{
		{"CALL from a contract", func(e *env) ([]byte, uint64, error) {
			return e.evm.Call(system, cheatRelay, in, gasGiven, new(uint256.Int))
		}, notSystem[:]},
		{"CALL inside STATICCALL", func(e *env) ([]byte, uint64, error) { return e.evm.StaticCall(system, cheatRelay, in, gasGiven) }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cheatEnv(t, cheatsChainID, nil)
			ret, _, err := c.call(e)
			if err != nil {
				t.Fatalf("relay: %v", err)
			}
			mustEqual(t, "relay's call succeeded", common.BytesToHash(ret[:32]), common.Hash{})
			mustEqual(t, "revert data", hex.EncodeToString(ret[32:]), hex.EncodeToString(c.data))
			mustEqual(t, "nonce", e.state.GetNonce(cheatTarget), 0)
		})
	}
}

// Input that is not the canonical encoding of a known function reverts and changes nothing.
func TestDevnetCheatsMalformed(t *testing.T) {
	good := EncodeSetCode(cheatTarget, constCode)
	dirty := func(in []byte, i int, b byte) []byte {
		out := append([]byte(nil), in...)
		out[i] = b
		return out
	}
	tooBig := EncodeSetCode(cheatTarget, make([]byte, MaxDevnetCheatCodeSize+1))
	for _, c := range []struct {
		name    string
		in      []byte
		revert  []byte
		charged uint64
	}{
		{"no selector", []byte{0x97, 0x81}, nil, 0},
		{"unknown selector", append([]byte{1, 2, 3, 4}, good[4:]...), nil, 0},
		{"selector only", SelectorSetNonce[:], nil, SetNonceGas},
		{"setNonce short", EncodeSetNonce(cheatTarget, 1)[:67], nil, SetNonceGas},
		{"setNonce extra byte", append(EncodeSetNonce(cheatTarget, 1), 0), nil, SetNonceGas},
		{"setNonce dirty address padding", dirty(EncodeSetNonce(cheatTarget, 1), 4, 1), nil, SetNonceGas},
		{"setNonce 2^64", append(append(SelectorSetNonce[:], encAddress(cheatTarget)...), encBig(new(big.Int).Lsh(big.NewInt(1), 64))...), nil, SetNonceGas},
		{"setBalance short", EncodeSetBalance(cheatTarget, uint256.NewInt(1))[:40], nil, SetBalanceGas},
		{"setStorageAt short", EncodeSetStorageAt(cheatTarget, common.Hash{}, common.Hash{})[:99], nil, SetStorageAtGas},
		{"setStorageAt long", append(EncodeSetStorageAt(cheatTarget, common.Hash{}, common.Hash{}), 0), nil, SetStorageAtGas},
		{"setStorageAt empty account", EncodeSetStorageAt(common.Address{0xee}, common.Hash{1}, common.Hash{2}), RevertEmptyAccount[:], SetStorageAtGas},
		{"setCode offset 0x20", dirty(good, 4+63, 0x20), nil, SetCodeBaseGas},
		{"setCode length past the data", dirty(good, 4+95, 0x40), nil, SetCodeBaseGas},
		{"setCode no padding", good[:4+96+len(constCode)], nil, SetCodeBaseGas},
		{"setCode dirty padding", dirty(good, len(good)-1, 1), nil, SetCodeBaseGas + 200*uint64(len(constCode))},
		{"setCode extra word", append(append([]byte(nil), good...), make([]byte, 32)...), nil, SetCodeBaseGas},
		{"setCode huge length", dirty(good, 4+64, 0xff), nil, SetCodeBaseGas},
		{"setCode too large", tooBig, RevertCodeTooLarge[:], SetCodeBaseGas},
		{"setCode dirty address", dirty(good, 5, 1), nil, SetCodeBaseGas + 200*uint64(len(constCode))},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cheatEnv(t, cheatsChainID, nil)
			const given = 20_000_000
			ret, left, err := e.evm.Call(system, cheats, c.in, given, new(uint256.Int))
			if !errors.Is(err, gethvm.ErrExecutionReverted) {
				t.Fatalf("err %v, want a revert", err)
			}
			mustEqual(t, "revert data", hex.EncodeToString(ret), hex.EncodeToString(c.revert))
			mustEqual(t, "gas charged", given-left, c.charged)
			mustEqual(t, "code", e.state.GetCodeSize(cheatTarget), 0)
			mustEqual(t, "nonce", e.state.GetNonce(cheatTarget), 0)
		})
	}
}

func TestDevnetCheatsOutOfGas(t *testing.T) {
	e := cheatEnv(t, cheatsChainID, nil)
	in := EncodeSetCode(cheatTarget, constCode)
	_, left, err := e.evm.Call(system, cheats, in, DevnetCheatGas(in)-1, new(uint256.Int))
	if !errors.Is(err, gethvm.ErrOutOfGas) {
		t.Fatalf("err %v, want out of gas", err)
	}
	mustEqual(t, "gas left", left, 0)
	mustEqual(t, "code", e.state.GetCodeSize(cheatTarget), 0)
}

// Chains whose extras do not set DevnetCheats (a standard chain, or one with only the
// native interop predeploys) have nothing at the address: the call succeeds and does nothing.
func TestDevnetCheatsNotServed(t *testing.T) {
	for _, id := range []int64{standardChainID, nativeChainID} {
		e := cheatEnv(t, id, nil)
		_, left, err := e.evm.Call(system, cheats, EncodeSetNonce(cheatTarget, 9), gasGiven, new(uint256.Int))
		if err != nil || left != gasGiven {
			t.Fatalf("chain %d: err %v, gas left %d", id, err, left)
		}
		mustEqual(t, "nonce", e.state.GetNonce(cheatTarget), 0)
	}
	if DevnetCheatsActive(nil, 0) || DevnetCheatsActive(opConfig(nativeChainID, 0), 0) || !DevnetCheatsActive(opConfig(cheatsChainID, 0), 0) {
		t.Fatal("DevnetCheatsActive disagrees with the registered extras")
	}
}

func TestDevnetCheatsPrecompileFace(t *testing.T) {
	var c devnetCheats
	mustEqual(t, "name", c.Name(), "DevnetCheats")
	if _, err := c.Run(nil); err == nil {
		t.Fatal("Run without the EVM succeeded")
	}
	mustEqual(t, "RequiredGas(unknown)", c.RequiredGas([]byte{1, 2, 3, 4}), 0)
	mustEqual(t, "RequiredGas(short)", c.RequiredGas(nil), 0)
}

// cheatDeposit is the deposit the devnet sequencer makes: from the system address, gas
// for intrinsic cost plus the operation.
func cheatDeposit(i byte, data []byte) *types.Transaction {
	intrinsic, _ := core.IntrinsicGas(data, nil, nil, false, true, true, true)
	floor, _ := core.FloorDataGas(data)
	return types.NewTx(&types.DepositTx{
		SourceHash: common.Hash{0xc4, i},
		From:       system,
		To:         &cheats,
		Value:      new(big.Int),
		Gas:        max(intrinsic+DevnetCheatGas(data), floor),
		Data:       data,
	})
}

// Cheats carried in deposits survive a real chain's import, which re-executes the block
// and checks its state root; a user transaction calling the contract changes nothing.
func TestChainDevnetCheats(t *testing.T) {
	h := newChainHarness(t, cheatsChainID)
	slot, val := common.HexToHash("0x05"), common.HexToHash("0x0600")
	h.txs = append(h.txs,
		cheatDeposit(0, EncodeSetCode(cheatTarget, constCode)),
		cheatDeposit(1, EncodeSetBalance(cheatTarget, uint256.NewInt(77))),
		cheatDeposit(2, EncodeSetNonce(cheatTarget, 12)),
		cheatDeposit(3, EncodeSetStorageAt(cheatTarget, slot, val)),
	)
	user := h.send(cheats, EncodeSetNonce(cheatTarget, 99), 0, nil)
	userDeposit := h.deposit(cheats, EncodeSetNonce(cheatTarget, 98)) // from another sender
	m := h.mine()
	for i := 0; i < 4; i++ {
		mustEqual(t, "cheat status", m.receipts[i].Status, types.ReceiptStatusSuccessful)
		mustEqual(t, "cheat gas", m.receipts[i].GasUsed, m.block.Transactions()[i].Gas())
	}
	mustEqual(t, "user tx status", m.receipts[user].Status, types.ReceiptStatusFailed)
	mustEqual(t, "other deposit status", m.receipts[userDeposit].Status, types.ReceiptStatusFailed)
	mustEqual(t, "code", hex.EncodeToString(m.state.GetCode(cheatTarget)), hex.EncodeToString(constCode))
	mustEqual(t, "balance", m.state.GetBalance(cheatTarget).Uint64(), 77)
	mustEqual(t, "nonce", m.state.GetNonce(cheatTarget), 12)
	mustEqual(t, "slot", m.state.GetState(cheatTarget, slot), val)
	mustEqual(t, "system nonce", m.state.GetNonce(system), 4)
}

// A node whose chain extras lack DevnetCheats cannot import a block with a cheat: the
// change is part of the chain's rules, not written beside them.
func TestChainDevnetCheatsNeedExtras(t *testing.T) {
	h := newChainHarness(t, cheatsToggleID)
	h.txs = append(h.txs, cheatDeposit(0, EncodeSetNonce(cheatTarget, 12)))
	engine := beacon.New(ethash.NewFaker())
	_, blocks, _ := core.GenerateChainWithGenesis(h.genesis, engine, 1, func(_ int, b *core.BlockGen) {
		b.SetExtra(holoceneExtraData)
		for _, tx := range h.txs {
			b.AddTx(tx)
		}
	})
	id := big.NewInt(cheatsToggleID)
	if err := params.RegisterChainExtras(id, params.ChainExtras{}); err != nil {
		t.Fatal(err)
	}
	defer params.RegisterChainExtras(id, params.ChainExtras{DevnetCheats: true})
	bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), h.genesis, engine, core.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Stop()
	if _, err := bc.InsertChain(blocks); err == nil {
		t.Fatal("a node without DevnetCheats imported a block with a cheat")
	}
}

// FuzzDevnetCheats: any input, in a deposit from the system address or not, either makes
// one documented change or reverts; never a panic, never more gas than given, and success
// only for a canonical encoding of a known function.
func FuzzDevnetCheats(f *testing.F) {
	for _, in := range [][]byte{
		EncodeSetCode(cheatTarget, constCode), EncodeSetCode(cheatTarget, nil),
		EncodeSetBalance(cheatTarget, uint256.NewInt(1)), EncodeSetNonce(cheatTarget, 1),
		EncodeSetStorageAt(cheatTarget, common.Hash{1}, common.Hash{2}), {}, {0x97, 0x81, 0x90, 0xf1},
	} {
		f.Add(in, true, uint64(1_000_000))
		f.Add(in, false, uint64(30_000))
	}
	f.Fuzz(func(t *testing.T, in []byte, deposit bool, gas uint64) {
		gas %= 30_000_000
		e := cheatEnv(t, cheatsChainID, func(o *envOpts) {
			if !deposit {
				o.gasPrice = 1_000_000_000
			}
		})
		e.state.SetCode(cheatTarget, []byte{0}, tracing.CodeChangeUnspecified) // storage sticks
		ret, left, err := e.evm.Call(system, cheats, in, gas, new(uint256.Int))
		if left > gas {
			t.Fatalf("gas left %d above the %d given", left, gas)
		}
		if err != nil {
			return
		}
		if !deposit {
			t.Fatal("a non-deposit call succeeded")
		}
		if len(ret) != 0 {
			t.Fatalf("success returned %x", ret)
		}
		if len(in) < 4 {
			t.Fatal("input without a selector succeeded")
		}
		var re []byte
		switch sel := [4]byte(in[:4]); sel {
		case SelectorSetCode:
			n, ok := setCodeLength(in)
			if !ok {
				t.Fatal("malformed setCode succeeded")
			}
			re = EncodeSetCode(common.BytesToAddress(in[16:36]), in[100:100+n])
		case SelectorSetBalance:
			re = EncodeSetBalance(common.BytesToAddress(in[16:36]), new(uint256.Int).SetBytes(in[36:68]))
		case SelectorSetNonce:
			re = EncodeSetNonce(common.BytesToAddress(in[16:36]), new(big.Int).SetBytes(in[36:68]).Uint64())
		case SelectorSetStorageAt:
			re = EncodeSetStorageAt(common.BytesToAddress(in[16:36]), common.BytesToHash(in[36:68]), common.BytesToHash(in[68:100]))
		default:
			t.Fatalf("unknown selector %x succeeded", sel)
		}
		if !bytes.Equal(re, in) {
			t.Fatalf("non-canonical input succeeded: %x", in)
		}
		if gas-left != DevnetCheatGas(in) {
			t.Fatalf("charged %d, documented %d", gas-left, DevnetCheatGas(in))
		}
	})
}

func BenchmarkDevnetCheatsSetStorageAt(b *testing.B) {
	e := cheatEnv(b, cheatsChainID, nil)
	e.state.SetCode(cheatTarget, constCode, tracing.CodeChangeUnspecified)
	in := EncodeSetStorageAt(cheatTarget, common.Hash{1}, common.Hash{2})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.evm.Call(system, cheats, in, gasGiven, new(uint256.Int)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDevnetCheatsSetCode(b *testing.B) {
	e := cheatEnv(b, cheatsChainID, nil)
	in := EncodeSetCode(cheatTarget, bytes.Repeat([]byte{0x5b}, 1024))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.evm.Call(system, cheats, in, 1_000_000, new(uint256.Int)); err != nil {
			b.Fatal(err)
		}
	}
}
