package vm

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math/big"
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
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// bridgeDestChainID is the destination chain of the bridge tests (native predeploys on);
// the source is nativeChainID.
const bridgeDestChainID = 990931

func init() {
	if err := params.RegisterChainExtras(big.NewInt(bridgeDestChainID), params.ChainExtras{NativeInteropPredeploys: true}); err != nil {
		panic(err)
	}
}

// The bridge's and the messenger's interfaces as client libraries see them.
var (
	bridgeABI = tokMustABI(`[
{"type":"function","name":"sendERC20","inputs":[{"name":"_token","type":"address"},{"name":"_to","type":"address"},{"name":"_amount","type":"uint256"},{"name":"_chainId","type":"uint256"}],"outputs":[{"name":"msgHash_","type":"bytes32"}],"stateMutability":"nonpayable"},
{"type":"function","name":"relayERC20","inputs":[{"name":"_token","type":"address"},{"name":"_from","type":"address"},{"name":"_to","type":"address"},{"name":"_amount","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
{"type":"function","name":"version","inputs":[],"outputs":[{"type":"string"}],"stateMutability":"view"},
{"type":"event","name":"SendERC20","inputs":[{"name":"token","type":"address","indexed":true},{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"destination","type":"uint256","indexed":false}]},
{"type":"event","name":"RelayERC20","inputs":[{"name":"token","type":"address","indexed":true},{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"source","type":"uint256","indexed":false}]}
]`)
	l2msgrABI = tokMustABI(`[
{"type":"function","name":"sendMessage","inputs":[{"name":"_destination","type":"uint256"},{"name":"_target","type":"address"},{"name":"_message","type":"bytes"}],"outputs":[{"type":"bytes32"}],"stateMutability":"nonpayable"},
{"type":"function","name":"relayMessage","inputs":[{"name":"_id","type":"tuple","components":[{"name":"origin","type":"address"},{"name":"blockNumber","type":"uint256"},{"name":"logIndex","type":"uint256"},{"name":"timestamp","type":"uint256"},{"name":"chainId","type":"uint256"}]},{"name":"_sentMessage","type":"bytes"}],"outputs":[{"type":"bytes"}],"stateMutability":"payable"},
{"type":"event","name":"SentMessage","inputs":[{"name":"destination","type":"uint256","indexed":true},{"name":"target","type":"address","indexed":true},{"name":"messageNonce","type":"uint256","indexed":true},{"name":"sender","type":"address","indexed":false},{"name":"message","type":"bytes","indexed":false}]},
{"type":"event","name":"RelayedMessage","inputs":[{"name":"source","type":"uint256","indexed":true},{"name":"messageNonce","type":"uint256","indexed":true},{"name":"messageHash","type":"bytes32","indexed":true},{"name":"returnDataHash","type":"bytes32","indexed":false}]}
]`)
	l2msgr = params.L2ToL2CrossDomainMessengerAddress
)

// abiIdentifier is the Identifier tuple for go-ethereum's ABI encoder.
type tokIdentifier struct {
	Origin      common.Address
	BlockNumber *big.Int
	LogIndex    *big.Int
	Timestamp   *big.Int
	ChainId     *big.Int
}

// sel4 is the 4-byte selector of sig as a slice.
func tokSel(sig string) []byte { s := selector(sig); return s[:] }

func tokBridgePack(t testing.TB, name string, args ...any) []byte {
	return tokPack(t, bridgeABI, name, args...)
}

// relayInput is messenger.relayMessage(id, payload) for the initiating message msg.
func tokRelayInput(t testing.TB, msg message.Message, payload []byte) []byte {
	id := msg.Identifier
	return tokPack(t, l2msgrABI, "relayMessage", tokIdentifier{
		Origin: id.Origin, BlockNumber: new(big.Int).SetUint64(id.BlockNumber), LogIndex: big.NewInt(int64(id.LogIndex)),
		Timestamp: new(big.Int).SetUint64(id.Timestamp), ChainId: id.ChainID.ToBig(),
	}, payload)
}

// messengerHash is the message hash of the reference messenger:
// keccak256(abi.encode(destination, source, nonce, sender, target, message)).
func tokMessageHash(t testing.TB, dest, source, nonce *big.Int, sender, target common.Address, msg []byte) common.Hash {
	ty := func(s string) abi.Type { x, _ := abi.NewType(s, "", nil); return x }
	args := abi.Arguments{{Type: ty("uint256")}, {Type: ty("uint256")}, {Type: ty("uint256")}, {Type: ty("address")}, {Type: ty("address")}, {Type: ty("bytes")}}
	enc, err := args.Pack(dest, source, nonce, sender, target, msg)
	if err != nil {
		t.Fatal(err)
	}
	return crypto.Keccak256Hash(enc)
}

// sentMessageOf finds the messenger's SentMessage log among logs.
func tokSentLog(t testing.TB, logs []*types.Log) *types.Log {
	t.Helper()
	for _, l := range logs {
		if l.Address == l2msgr && len(l.Topics) > 0 && l.Topics[0] == l2msgrABI.Events["SentMessage"].ID {
			return l
		}
	}
	t.Fatal("no SentMessage log")
	return nil
}

func TestTokenBridgeSelectorsAndGas(t *testing.T) {
	for _, c := range []struct {
		got  []byte
		want string
	}{
		{SelectorSendERC20[:], "c1a433d8"}, {SelectorRelayERC20[:], "7cfd6dbc"},
		{RevertInvalidERC7802[:], "0ed63dae"}, {RevertInvalidCrossDomainSender[:], "bc22e2aa"},
		{TopicSendERC20[:], "0247bfe63a1aaa59e073e20b172889babfda8d3273b5798e0e9ac4388e6dd11c"},
		{TopicRelayERC20[:], "434965d7426acf45a548f00783c067e9ad789c8c66444f0a5ad8941d5005be93"},
		{selectorSendMessageCall[:], "7056f41f"}, {selectorMessageContextCall[:], "7936cbee"},
	} {
		mustEqual(t, "selector/topic", hex.EncodeToString(c.got), c.want)
	}
	for name, m := range bridgeABI.Methods {
		if _, ok := tokenBridgeMethods[selUint([4]byte(m.ID))]; !ok {
			t.Errorf("ABI function %s (%x) not served", name, m.ID)
		}
	}
	mustEqual(t, "SendERC20 topic", bridgeABI.Events["SendERC20"].ID, TopicSendERC20)
	mustEqual(t, "RelayERC20 topic", bridgeABI.Events["RelayERC20"].ID, TopicRelayERC20)
	mustEqual(t, "SendERC20Gas", SendERC20Gas, uint64(100+2600+100+100+2600+2387))
	mustEqual(t, "RelayERC20Gas", RelayERC20Gas, uint64(100+100+2600+100+2387))
	mustEqual(t, "RequiredGas", tokenBridgeContract.RequiredGas(SelectorSendERC20[:]), SendERC20Gas)
	mustEqual(t, "RequiredGas unknown", tokenBridgeContract.RequiredGas(nil), uint64(0))
	if _, err := tokenBridgeContract.Run(nil); err == nil {
		t.Fatal("Run without the EVM succeeded")
	}
	e := newEnv(t, defaultOpts())
	ret, _, err := e.evm.StaticCall(sender, tokenBridgeAddr, tokBridgePack(t, "version"), gasGiven)
	if err != nil {
		t.Fatal(err)
	}
	out, err := bridgeABI.Unpack("version", ret)
	if err != nil || out[0] != TokenBridgeVersion {
		t.Fatalf("version %v %v", out, err)
	}
}

// sendEnv is a source-chain environment where alice holds 1000 MOCK.
func tokSrcEnv(t testing.TB) *env {
	e := newEnv(t, defaultOpts())
	e.state.AddBalance(holderA, uint256.NewInt(1e18), tracing.BalanceChangeUnspecified)
	e.tok(t, sender, tokABIPack(t, "mint", holderA, amt(1000)))
	return e
}

// messengerSendGas is what messenger.sendMessage(dest, bridge, relay) costs when the bridge
// calls it on a fresh source chain, measured on its own.
func tokMessengerSendGas(t *testing.T, dest *big.Int, relay []byte) uint64 {
	e := tokSrcEnv(t)
	_, left, err := e.evm.Call(tokenBridgeAddr, l2msgr, tokPack(t, l2msgrABI, "sendMessage", dest, tokenBridgeAddr, relay), gasGiven, new(uint256.Int))
	if err != nil {
		t.Fatal(err)
	}
	return gasGiven - left
}

// sendERC20 burns on the source, sends relayERC20 through the messenger and logs, in order:
// Transfer, CrosschainBurn, SentMessage, SendERC20; it returns the messenger's message hash.
func TestSendERC20(t *testing.T) {
	e := tokSrcEnv(t)
	dest := big.NewInt(bridgeDestChainID)
	in := tokBridgePack(t, "sendERC20", mockToken, holderB, amt(400), dest)
	before := len(e.state.Logs())
	ret, left, err := e.callAt(holderA, tokenBridgeAddr, in)
	if err != nil {
		t.Fatalf("sendERC20: %v (%x)", err, ret)
	}
	relay := tokBridgePack(t, "relayERC20", mockToken, holderA, holderB, amt(400))
	hash := tokMessageHash(t, dest, big.NewInt(nativeChainID), amt(0), tokenBridgeAddr, tokenBridgeAddr, relay)
	mustEqual(t, "returned hash", common.BytesToHash(ret), hash)
	mustEqual(t, "return size", len(ret), 32)

	logs := e.state.Logs()[before:]
	sentData, err := l2msgrABI.Events["SentMessage"].Inputs.NonIndexed().Pack(tokenBridgeAddr, relay)
	if err != nil {
		t.Fatal(err)
	}
	checkTokLogs(t, "sendERC20", logs, []tokWantLog{
		tokTransferLog(holderA, common.Address{}, amt(400)),
		{mockToken, []common.Hash{TopicCrosschainBurn, topicOfAddr(holderA), topicOfAddr(tokenBridgeAddr)}, amtWord(amt(400))},
		{l2msgr, []common.Hash{l2msgrABI.Events["SentMessage"].ID, common.BigToHash(dest), topicOfAddr(tokenBridgeAddr), {}}, sentData},
		{tokenBridgeAddr, []common.Hash{TopicSendERC20, topicOfAddr(mockToken), topicOfAddr(holderA), topicOfAddr(holderB)}, append(amtWord(amt(400)), amtWord(dest)...)},
	})
	mustEqual(t, "alice", e.tokBalance(t, holderA).Int64(), 600)
	mustEqual(t, "supply", e.tokSupply(t).Int64(), 600)
	// Gas: the bridge's constant plus what the token and the messenger charge.
	want := SendERC20Gas + TokenPureGas + TokenCrosschainBurnGas + tokMessengerSendGas(t, dest, relay)
	mustEqual(t, "gas used", gasGiven-left, want)
	// The bridge keeps no state of its own.
	if e.state.Exist(tokenBridgeAddr) && e.state.GetNonce(tokenBridgeAddr) != 0 {
		t.Fatal("bridge account written")
	}
}

// relayEnv is a destination-chain environment whose transaction lists msg in its access list.
func tokDestEnv(t testing.TB, msg message.Message) *env {
	o := defaultOpts()
	o.chainID = bridgeDestChainID
	o.list = listed(checksumOf(msg))
	return newEnv(t, o)
}

// sent runs sendERC20 on a fresh source chain and returns the initiating message of its
// SentMessage log and that log's payload.
func tokSend(t *testing.T, caller common.Address, in []byte, target common.Address) (message.Message, []byte) {
	t.Helper()
	e := tokSrcEnv(t)
	if ret, _, err := e.callAt(caller, target, in); err != nil {
		t.Fatalf("send: %v (%x)", err, ret)
	}
	l := tokSentLog(t, e.state.Logs())
	return message.OfLog(l, envTime, uint256.NewInt(nativeChainID)), message.Payload(l.Topics, l.Data)
}

// A real relay through the messenger on the destination mints there and logs
// ExecutingMessage, Transfer, CrosschainMint, RelayERC20, RelayedMessage; a replay is refused.
func TestRelayERC20ThroughMessenger(t *testing.T) {
	msg, payload := tokSend(t, holderA, tokBridgePack(t, "sendERC20", mockToken, holderB, amt(400), big.NewInt(bridgeDestChainID)), tokenBridgeAddr)
	mustEqual(t, "origin", msg.Identifier.Origin, l2msgr)
	e := tokDestEnv(t, msg)
	relayer := sender
	relayIn := tokRelayInput(t, msg, payload)
	ret, left, err := e.callAt(relayer, l2msgr, relayIn)
	if err != nil {
		t.Fatalf("relayMessage: %v (%x)", err, ret)
	}
	// Gas: the messenger's relay (its CrossL2Inbox call included) plus the bridge's
	// constant, the context getter and the token's crosschainMint, nothing else.
	want := messengerContract.RequiredGas(relayIn) + ValidateMessageGas + RelayERC20Gas + CrossDomainMessageContextGas + TokenCrosschainMintGas
	mustEqual(t, "relay gas used", gasGiven-left, want)
	logs := e.state.Logs()
	mustEqual(t, "logs", len(logs), 5)
	mustEqual(t, "ExecutingMessage", logs[0].Topics[0], event.ExecutingMessageTopic)
	checkTokLogs(t, "relay", logs[1:4], []tokWantLog{
		tokTransferLog(common.Address{}, holderB, amt(400)),
		{mockToken, []common.Hash{TopicCrosschainMint, topicOfAddr(holderB), topicOfAddr(tokenBridgeAddr)}, amtWord(amt(400))},
		{tokenBridgeAddr, []common.Hash{TopicRelayERC20, topicOfAddr(mockToken), topicOfAddr(holderA), topicOfAddr(holderB)}, append(amtWord(amt(400)), amtWord(amt(nativeChainID))...)},
	})
	mustEqual(t, "RelayedMessage", logs[4].Topics[0], l2msgrABI.Events["RelayedMessage"].ID)
	mustEqual(t, "bob on the destination", e.tokBalance(t, holderB).Int64(), 400)
	mustEqual(t, "supply on the destination", e.tokSupply(t).Int64(), 400)

	// The same message again: the messenger refuses it, nothing more is minted.
	ret, _, err = e.callAt(relayer, l2msgr, tokRelayInput(t, msg, payload))
	if !errors.Is(err, gethvm.ErrExecutionReverted) || !bytes.Equal(ret, tokSel("MessageAlreadyRelayed()")) {
		t.Fatalf("replay: %x %v", ret, err)
	}
	mustEqual(t, "bob after replay", e.tokBalance(t, holderB).Int64(), 400)
}

// relayERC20 answers only the messenger relaying a message the bridge itself sent.
func TestRelayERC20Unauthorized(t *testing.T) {
	in := tokBridgePack(t, "relayERC20", mockToken, holderA, holderB, amt(5))
	e := newEnv(t, defaultOpts())
	for _, c := range []struct {
		name   string
		caller common.Address
		ret    []byte
	}{
		{"from an account", holderA, RevertUnauthorized[:]},
		{"from the token", mockToken, RevertUnauthorized[:]},
		// The messenger's address outside a relay: its context getter reverts NotEntered,
		// which the bridge passes on.
		{"from the messenger, not relaying", l2msgr, tokSel("NotEntered()")},
	} {
		root := e.state.IntermediateRoot(true)
		ret, _, err := e.callAt(c.caller, tokenBridgeAddr, in)
		if !errors.Is(err, gethvm.ErrExecutionReverted) || !bytes.Equal(ret, c.ret) {
			t.Fatalf("%s: %x %v, want revert %x", c.name, ret, err, c.ret)
		}
		mustEqual(t, c.name+" state", e.state.IntermediateRoot(true), root)
	}

	// A message to the bridge that the bridge did not send (alice calls the messenger
	// herself): relaying it reverts with InvalidCrossDomainSender, nothing is minted.
	forged := tokPack(t, l2msgrABI, "sendMessage", big.NewInt(bridgeDestChainID), tokenBridgeAddr, tokBridgePack(t, "relayERC20", mockToken, holderA, holderA, amt(1_000_000)))
	msg, payload := tokSend(t, holderA, forged, l2msgr)
	d := tokDestEnv(t, msg)
	ret, _, err := d.callAt(sender, l2msgr, tokRelayInput(t, msg, payload))
	if !errors.Is(err, gethvm.ErrExecutionReverted) || !bytes.Equal(ret, RevertInvalidCrossDomainSender[:]) {
		t.Fatalf("forged relay: %x %v", ret, err)
	}
	mustEqual(t, "alice on the destination", d.tokBalance(t, holderA).Int64(), 0)
	mustEqual(t, "logs", len(d.state.Logs()), 0)
}

// Hand-written tokens for the ERC-165 check: each answers every call with fixed data.
func tokReturnsCode(ret []byte) []byte {
	code := []byte{}
	for i, b := range ret {
		code = append(code, byte(gethvm.PUSH1), b, byte(gethvm.PUSH1), byte(i), byte(gethvm.MSTORE8))
	}
	return append(code, byte(gethvm.PUSH1), byte(len(ret)), byte(gethvm.PUSH1), 0, byte(gethvm.RETURN))
}

func tokRevertsCode(ret []byte) []byte {
	code := tokReturnsCode(ret)
	code[len(code)-1] = byte(gethvm.REVERT)
	return code
}

func TestSendERC20Reverts(t *testing.T) {
	var (
		falseToken  = common.HexToAddress("0x7000000000000000000000000000000000000001")
		twoToken    = common.HexToAddress("0x7000000000000000000000000000000000000002")
		shortToken  = common.HexToAddress("0x7000000000000000000000000000000000000003")
		revertToken = common.HexToAddress("0x7000000000000000000000000000000000000004")
		eoaToken    = common.HexToAddress("0x7000000000000000000000000000000000000005")
		// trueToken says it supports ERC-7802 but its crosschainBurn does nothing and
		// returns: the bridge relies on the token to burn, as the reference does.
		trueToken = common.HexToAddress("0x7000000000000000000000000000000000000006")
	)
	dest := big.NewInt(bridgeDestChainID)
	send := func(tok, to common.Address, amount, d *big.Int) []byte {
		return tokBridgePack(t, "sendERC20", tok, to, amount, d)
	}
	short := send(mockToken, holderB, amt(1), dest)[:4+3*32]
	dirty := send(mockToken, holderB, amt(1), dest)
	dirty[4+32] = 1 // padding of the `to` word
	for _, c := range []struct {
		name   string
		kind   gethvm.OpCode
		value  uint64
		in     []byte
		ret    []byte
		charge bool // gas left is exactly gasGiven minus the fixed cost (no nested call charged)
	}{
		{name: "zero recipient", in: send(mockToken, common.Address{}, amt(1), dest), ret: RevertZeroAddress[:], charge: true},
		{name: "token answers false", in: send(falseToken, holderB, amt(1), dest), ret: RevertInvalidERC7802[:]},
		{name: "token answers 2", in: send(twoToken, holderB, amt(1), dest)},
		{name: "token answers 31 bytes", in: send(shortToken, holderB, amt(1), dest)},
		{name: "token reverts", in: send(revertToken, holderB, amt(1), dest), ret: []byte{0xde, 0xad}},
		{name: "token without code", in: send(eoaToken, holderB, amt(1), dest), charge: true},
		{name: "precompile as token", in: send(common.BytesToAddress([]byte{4}), holderB, amt(1), dest)},
		{name: "burn above balance", in: send(mockToken, holderB, amt(1001), dest), ret: RevertInsufficientBalance[:]},
		{name: "own chain", in: send(mockToken, holderB, amt(1), big.NewInt(nativeChainID)), ret: tokSel("MessageDestinationSameChain()")},
		{name: "value", value: 1, in: send(mockToken, holderB, amt(1), dest), charge: true},
		{name: "STATICCALL", kind: gethvm.STATICCALL, in: send(mockToken, holderB, amt(1), dest), charge: true},
		{name: "DELEGATECALL", kind: gethvm.DELEGATECALL, in: send(mockToken, holderB, amt(1), dest), charge: true},
		{name: "CALLCODE", kind: gethvm.CALLCODE, in: send(mockToken, holderB, amt(1), dest), charge: true},
		{name: "short input", in: short, charge: true},
		{name: "dirty address", in: dirty, charge: true},
		{name: "relayERC20 via STATICCALL", kind: gethvm.STATICCALL, in: tokBridgePack(t, "relayERC20", mockToken, holderA, holderB, amt(1)), charge: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := tokSrcEnv(t)
			e.state.SetCode(falseToken, tokReturnsCode(make([]byte, 32)), tracing.CodeChangeUnspecified)
			e.state.SetCode(twoToken, tokReturnsCode(common.BigToHash(amt(2)).Bytes()), tracing.CodeChangeUnspecified)
			e.state.SetCode(shortToken, tokReturnsCode(common.BigToHash(amt(1)).Bytes()[:31]), tracing.CodeChangeUnspecified)
			e.state.SetCode(revertToken, tokRevertsCode([]byte{0xde, 0xad}), tracing.CodeChangeUnspecified)
			root := e.state.IntermediateRoot(true)
			logs := len(e.state.Logs())
			if c.kind == 0 {
				c.kind = gethvm.CALL
			}
			ret, left, err := e.tokBridgeFrom(c.kind, holderA, c.in, uint256.NewInt(c.value))
			if !errors.Is(err, gethvm.ErrExecutionReverted) || !bytes.Equal(ret, c.ret) {
				t.Fatalf("%x %v, want a revert with %x", ret, err, c.ret)
			}
			if c.charge {
				mustEqual(t, "gas left", left, gasGiven-tokenBridgeContract.RequiredGas(c.in))
			} else if left == 0 || left >= gasGiven-SendERC20Gas {
				t.Fatalf("gas left %d: want the unused gas of the nested calls back", left)
			}
			mustEqual(t, "logs", len(e.state.Logs()), logs)
			mustEqual(t, "state root", e.state.IntermediateRoot(true), root)
		})
	}
	// A token that answers true to everything but burns nothing: the bridge sends anyway
	// (the token is trusted to burn, as in the reference contract).
	e := tokSrcEnv(t)
	e.state.SetCode(trueToken, tokReturnsCode(common.BigToHash(amt(1)).Bytes()), tracing.CodeChangeUnspecified)
	if ret, _, err := e.callAt(holderA, tokenBridgeAddr, send(trueToken, holderB, amt(1), dest)); err != nil {
		t.Fatalf("ERC-7802 token without burn: %x %v", ret, err)
	}
}

// tokBridgeFrom calls the bridge from caller with the given call kind and value.
func (e *env) tokBridgeFrom(kind gethvm.OpCode, caller common.Address, in []byte, value *uint256.Int) ([]byte, uint64, error) {
	return e.callKind(kind, caller, tokenBridgeAddr, in, gasGiven, value)
}

// Nested calls get all the gas left: with too little for the messenger, sendERC20 reverts
// with nothing left and changes nothing; with exactly enough it succeeds.
func TestSendERC20NestedGas(t *testing.T) {
	dest := big.NewInt(bridgeDestChainID)
	in := tokBridgePack(t, "sendERC20", mockToken, holderB, amt(1), dest)
	need := SendERC20Gas + TokenPureGas + TokenCrosschainBurnGas + tokMessengerSendGas(t, dest, tokBridgePack(t, "relayERC20", mockToken, holderA, holderB, amt(1)))
	for _, gas := range []uint64{need, need - 1, SendERC20Gas + TokenPureGas, SendERC20Gas} {
		e := tokSrcEnv(t)
		root := e.state.IntermediateRoot(true)
		ret, left, err := e.evm.Call(holderA, tokenBridgeAddr, in, gas, new(uint256.Int))
		if gas == need {
			if err != nil || left != 0 {
				t.Fatalf("exact gas %d: left %d, %v (%x)", gas, left, err, ret)
			}
			continue
		}
		if err == nil || left != 0 {
			t.Fatalf("gas %d of %d: left %d, %v", gas, need, left, err)
		}
		mustEqual(t, "state root", e.state.IntermediateRoot(true), root)
	}
}

// Through real chains: sendERC20 in a block of the source chain (receipt gas = intrinsic +
// what the EVM-level test adds up, eth_estimateGas exact), then the relay in a block of the
// destination chain, with the identifier of the source block's SentMessage log and the
// checksum in the transaction's access list.
func TestChainSendAndRelayERC20(t *testing.T) {
	dest := big.NewInt(bridgeDestChainID)
	src := newChainHarness(t, nativeChainID)
	for _, a := range []common.Address{mockToken, tokenBridgeAddr, l2msgr, inbox} {
		src.genesis.Alloc[a] = types.Account{Code: []byte{0xfe}}
	}
	sendIn := tokBridgePack(t, "sendERC20", mockToken, holderB, amt(250), dest)
	src.send(mockToken, tokABIPack(t, "mint", src.from, amt(1000)), 0, nil)
	iFirst := src.send(tokenBridgeAddr, sendIn, 0, nil)
	iSecond := src.send(tokenBridgeAddr, sendIn, 0, nil)
	src.deposit(mockToken, tokABIPack(t, "name"))
	m := src.mine()
	r := m.receipts
	mustEqual(t, "first send", r[iFirst].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "second send", r[iSecond].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "source supply", m.state.GetState(mockToken, TokenTotalSupplySlot), common.BigToHash(amt(500)))
	mustEqual(t, "source balance", m.state.GetState(mockToken, TokenBalanceSlot(src.from)), common.BigToHash(amt(500)))

	// eth_estimateGas of a third send on top of the block: exactly the second's gas (same
	// calldata, the messenger's counter already non-zero).
	head := m.chain.CurrentBlock()
	st, _ := m.chain.StateAt(head.Root)
	call := &core.Message{
		From: src.from, To: &tokenBridgeAddr, Value: new(big.Int), Data: sendIn,
		GasPrice: new(big.Int), GasFeeCap: new(big.Int), GasTipCap: new(big.Int),
		SkipNonceChecks: true, SkipTransactionChecks: true,
	}
	est, ret, err := gasestimator.Estimate(context.Background(), call, &gasestimator.Options{
		Config: m.chain.Config(), Chain: m.chain, Header: head, State: st,
	}, 10_000_000)
	if err != nil {
		t.Fatalf("estimate: %v (%x)", err, ret)
	}
	mustEqual(t, "estimate", est, r[iSecond].GasUsed)

	// Relay the first transfer on the destination chain.
	sentLog := tokSentLog(t, r[iFirst].Logs)
	msg := message.OfLog(sentLog, m.block.Time(), uint256.NewInt(nativeChainID))
	dst := newChainHarness(t, bridgeDestChainID)
	for _, a := range []common.Address{mockToken, tokenBridgeAddr, l2msgr, inbox} {
		dst.genesis.Alloc[a] = types.Account{Code: []byte{0xfe}}
	}
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
	relayIn := tokRelayInput(t, msg, message.Payload(sentLog.Topics, sentLog.Data))
	iNoList := dst.send(l2msgr, relayIn, 0, nil)
	iRelay := dst.sendGas(l2msgr, relayIn, 0, al, 400_000)
	iReplay := dst.sendGas(l2msgr, relayIn, 0, al, 400_000)
	dst.deposit(mockToken, tokABIPack(t, "name"))
	md := dst.mine()
	rd := md.receipts
	mustEqual(t, "relay without access list", rd[iNoList].Status, types.ReceiptStatusFailed)
	mustEqual(t, "relay", rd[iRelay].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "replay", rd[iReplay].Status, types.ReceiptStatusFailed)
	mustEqual(t, "relay logs", len(rd[iRelay].Logs), 5)
	mustEqual(t, "RelayERC20", rd[iRelay].Logs[3].Topics[0], TopicRelayERC20)
	mustEqual(t, "destination balance", md.state.GetState(mockToken, TokenBalanceSlot(holderB)), common.BigToHash(amt(250)))
	mustEqual(t, "destination supply", md.state.GetState(mockToken, TokenTotalSupplySlot), common.BigToHash(amt(250)))
}

// FuzzTokenBridge calls the bridge with arbitrary calldata, caller and call kind over a
// source chain where alice holds tokens: never a panic, and a failed call changes nothing.
func FuzzTokenBridge(f *testing.F) {
	dest := big.NewInt(bridgeDestChainID)
	for _, in := range [][]byte{
		tokBridgePack(f, "sendERC20", mockToken, holderB, amt(1), dest), tokBridgePack(f, "sendERC20", mockToken, holderB, amt(2000), dest),
		tokBridgePack(f, "sendERC20", mockToken, common.Address{}, amt(1), dest), tokBridgePack(f, "sendERC20", tokenBridgeAddr, holderB, amt(1), dest),
		tokBridgePack(f, "relayERC20", mockToken, holderA, holderB, amt(1)), tokBridgePack(f, "version"), {0xc1, 0xa4, 0x33, 0xd8}, nil,
	} {
		f.Add(in, uint8(0), uint8(0))
		f.Add(in, uint8(1), uint8(1))
	}
	callers := []common.Address{holderA, holderB, l2msgr, mockToken}
	kinds := []gethvm.OpCode{gethvm.CALL, gethvm.STATICCALL, gethvm.DELEGATECALL, gethvm.CALLCODE}
	f.Fuzz(func(t *testing.T, in []byte, who, kind uint8) {
		e := tokSrcEnv(t)
		root := e.state.IntermediateRoot(true)
		logs := len(e.state.Logs())
		ret, left, err := e.tokBridgeFrom(kinds[int(kind)%len(kinds)], callers[int(who)%len(callers)], in, new(uint256.Int))
		if left > gasGiven {
			t.Fatalf("gas left %d above the %d given", left, gasGiven)
		}
		if err != nil {
			if e.state.IntermediateRoot(true) != root || len(e.state.Logs()) != logs {
				t.Fatalf("failed call (%v, %x) changed state", err, ret)
			}
			return
		}
		// A successful send burned exactly what it logged.
		if selectorOf(in) == selUint(SelectorSendERC20) {
			l := e.state.Logs()[len(e.state.Logs())-1]
			burned := new(big.Int).SetBytes(l.Data[:32])
			if got := new(big.Int).Sub(amt(1000), e.tokSupply(t)); got.Cmp(burned) != 0 {
				t.Fatalf("supply fell by %v, SendERC20 says %v", got, burned)
			}
		}
	})
}

func BenchmarkSendERC20(b *testing.B) {
	in := tokBridgePack(b, "sendERC20", mockToken, holderB, amt(1), big.NewInt(bridgeDestChainID))
	zero := new(uint256.Int)
	e := tokSrcEnv(b)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n++; n&255 == 0 {
			b.StopTimer()
			e = tokSrcEnv(b)
			b.StartTimer()
		}
		if ret, _, err := e.evm.Call(holderA, tokenBridgeAddr, in, gasGiven, zero); err != nil {
			b.Fatalf("%v %x", err, ret)
		}
	}
}

// BenchmarkRelayERC20 is a whole relay through the messenger: CrossL2Inbox, the bridge, the
// token's crosschainMint.
func BenchmarkRelayERC20(b *testing.B) {
	e := tokSrcEnv(b)
	if ret, _, err := e.callAt(holderA, tokenBridgeAddr, tokBridgePack(b, "sendERC20", mockToken, holderB, amt(1), big.NewInt(bridgeDestChainID))); err != nil {
		b.Fatalf("%v %x", err, ret)
	}
	l := tokSentLog(b, e.state.Logs())
	msg := message.OfLog(l, envTime, uint256.NewInt(nativeChainID))
	in := tokRelayInput(b, msg, message.Payload(l.Topics, l.Data))
	zero := new(uint256.Int)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d := tokDestEnv(b, msg) // a message relays once per chain: a fresh chain each time
		b.StartTimer()
		if ret, _, err := d.evm.Call(sender, l2msgr, in, gasGiven, zero); err != nil {
			b.Fatalf("%v %x", err, ret)
		}
	}
}
