package vm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// Two chains with the native predeploys: messages go from msgrChainA to msgrChainB.
const (
	msgrChainA = 990921
	msgrChainB = 990922
	msgrGas    = 1_000_000
)

func init() {
	for _, id := range []int64{msgrChainA, msgrChainB} {
		if err := params.RegisterChainExtras(big.NewInt(id), params.ChainExtras{NativeInteropPredeploys: true}); err != nil {
			panic(err)
		}
	}
}

var (
	messengerAddr = params.L2ToL2CrossDomainMessengerAddress
	ethBridgeAddr = params.SuperchainETHBridgeAddress
	liquidityAddr = params.ETHLiquidityAddress

	// Test contracts (bytecode below), installed by msgrEnv and in the chain tests' genesis.
	probeAddr   = common.HexToAddress("0x00000000000000000000000000000000000f0001") // reads the getters
	switchAddr  = common.HexToAddress("0x00000000000000000000000000000000000f0002") // reverts until fixed
	reenterAddr = common.HexToAddress("0x00000000000000000000000000000000000f0003") // forwards to the messenger
	forwardAddr = common.HexToAddress("0x00000000000000000000000000000000000f0004") // forwards to the messenger
	dropAddr    = common.HexToAddress("0x00000000000000000000000000000000000f0005") // 0xfe: fails if called

	// liquidityGenesis is type(uint248).max, ETHLiquidity's genesis balance.
	liquidityGenesis = new(uint256.Int).Sub(new(uint256.Int).Lsh(uint256.NewInt(1), 248), uint256.NewInt(1))

	switchRevert = []byte{0xba, 0xdb, 0xad, 0x01}
)

// Probe storage: success flag and returned words of each getter it calls during a relay.
const (
	probeSenderOK, probeSender                           = 0x10, 0x11
	probeSourceOK, probeSource                           = 0x12, 0x13
	probeContextOK, probeContextSender, probeContextSrc  = 0x14, 0x15, 0x16
	probeValue, probeCaller, probeCalldataSize, probeNil = 0x17, 0x18, 0x19, 0xff
)

// asmProg is a tiny assembler for the test contracts: opcodes, pushes and labels.
type asmProg struct {
	code   []byte
	labels map[string]int
	fixups map[int]string
}

func newAsm() *asmProg { return &asmProg{labels: map[string]int{}, fixups: map[int]string{}} }

func (a *asmProg) op(ops ...gethvm.OpCode) *asmProg {
	for _, o := range ops {
		a.code = append(a.code, byte(o))
	}
	return a
}

func (a *asmProg) push(b ...byte) *asmProg {
	a.code = append(a.code, byte(gethvm.PUSH1)+byte(len(b)-1))
	a.code = append(a.code, b...)
	return a
}

func (a *asmProg) pushAddr(addr common.Address) *asmProg { return a.push(addr[:]...) }

func (a *asmProg) label(name string) *asmProg {
	a.labels[name] = len(a.code)
	return a.op(gethvm.JUMPDEST)
}

func (a *asmProg) jumpi(name string) *asmProg {
	a.fixups[len(a.code)+1] = name
	return a.push(0, 0).op(gethvm.JUMPI)
}

func (a *asmProg) bytes() []byte {
	for at, name := range a.fixups {
		pc, ok := a.labels[name]
		if !ok {
			panic("no label " + name)
		}
		a.code[at], a.code[at+1] = byte(pc>>8), byte(pc)
	}
	return a.code
}

// probeCode is the relay target that calls crossDomainMessageSender, …Source and …Context
// with STATICCALL and stores each success flag and result (or revert data), then stores
// CALLVALUE, CALLER and CALLDATASIZE, and returns the two words (sender, source) it read.
func probeCode() []byte {
	a := newAsm()
	getter := func(sel [4]byte, okSlot, w0, w1 byte) {
		a.push(0).push(0x20).op(gethvm.MSTORE).push(0).push(0x40).op(gethvm.MSTORE)
		a.push(sel[:]...).push(0xe0).op(gethvm.SHL).push(0).op(gethvm.MSTORE)
		a.push(0x40).push(0x20).push(4).push(0).pushAddr(messengerAddr).op(gethvm.GAS, gethvm.STATICCALL)
		a.push(okSlot).op(gethvm.SSTORE)
		a.push(0x20).op(gethvm.MLOAD).push(w0).op(gethvm.SSTORE)
		if w1 != probeNil {
			a.push(0x40).op(gethvm.MLOAD).push(w1).op(gethvm.SSTORE)
		}
	}
	getter(SelectorCrossDomainMessageSender, probeSenderOK, probeSender, probeNil)
	getter(SelectorCrossDomainMessageSource, probeSourceOK, probeSource, probeNil)
	getter(SelectorCrossDomainMessageContext, probeContextOK, probeContextSender, probeContextSrc)
	a.op(gethvm.CALLVALUE).push(probeValue).op(gethvm.SSTORE)
	a.op(gethvm.CALLER).push(probeCaller).op(gethvm.SSTORE)
	a.op(gethvm.CALLDATASIZE).push(probeCalldataSize).op(gethvm.SSTORE)
	a.push(probeSender).op(gethvm.SLOAD).push(0).op(gethvm.MSTORE)
	a.push(probeSource).op(gethvm.SLOAD).push(0x20).op(gethvm.MSTORE)
	a.push(0x40).push(0).op(gethvm.RETURN)
	return a.bytes()
}

// switchCode is a relay target that reverts with switchRevert while its slot 0 is zero.
// Any caller other than the messenger sets slot 0 (fixes it). Once fixed, a call from the
// messenger stores the first calldata word in slot 1 and returns it.
func switchCode() []byte {
	a := newAsm()
	a.op(gethvm.CALLER).pushAddr(messengerAddr).op(gethvm.EQ).jumpi("relayed")
	a.push(1).push(0).op(gethvm.SSTORE, gethvm.STOP)
	a.label("relayed")
	a.push(0).op(gethvm.SLOAD).jumpi("fixed")
	a.push(switchRevert...).push(0xe0).op(gethvm.SHL).push(0).op(gethvm.MSTORE).push(4).push(0).op(gethvm.REVERT)
	a.label("fixed")
	a.push(0).op(gethvm.CALLDATALOAD).push(1).op(gethvm.SSTORE)
	a.push(0).op(gethvm.CALLDATALOAD).push(0).op(gethvm.MSTORE).push(0x20).push(0).op(gethvm.RETURN)
	return a.bytes()
}

// msgrEnv is one transaction on chainID with list as its access list, the test contracts
// installed and ETHLiquidity funded as at genesis.
func msgrEnv(t testing.TB, chainID int64, list types.AccessList) *env {
	t.Helper()
	o := defaultOpts()
	o.chainID, o.list = chainID, list
	e := newEnv(t, o)
	installMsgrContracts(e)
	return e
}

func installMsgrContracts(e *env) {
	e.state.SetCode(probeAddr, probeCode(), tracing.CodeChangeUnspecified)
	e.state.SetCode(switchAddr, switchCode(), tracing.CodeChangeUnspecified)
	e.state.SetCode(reenterAddr, callerCodeTo(gethvm.CALL, messengerAddr), tracing.CodeChangeUnspecified)
	e.state.SetCode(forwardAddr, callerCodeTo(gethvm.CALL, messengerAddr), tracing.CodeChangeUnspecified)
	e.state.SetCode(dropAddr, []byte{0xfe}, tracing.CodeChangeUnspecified)
	e.state.SetBalance(liquidityAddr, liquidityGenesis, tracing.BalanceChangeUnspecified)
}

// callFrom makes one call of kind from caller to addr with msgrGas gas.
func (e *env) callFrom(kind gethvm.OpCode, caller, addr common.Address, in []byte, value uint64) ([]byte, uint64, error) {
	return e.callKind(kind, caller, addr, in, msgrGas, uint256.NewInt(value))
}

func (e *env) slotOf(addr common.Address, slot byte) common.Hash {
	return e.state.GetState(addr, common.Hash{31: slot})
}

// view calls a no-argument or one-word getter of the messenger and fails the test on error.
func (e *env) view(t *testing.T, sel [4]byte, args ...[]byte) []byte {
	t.Helper()
	in := append([]byte(nil), sel[:]...)
	for _, a := range args {
		in = append(in, a...)
	}
	ret, _, err := e.callFrom(gethvm.STATICCALL, sender, messengerAddr, in, 0)
	if err != nil {
		t.Fatalf("%x: %v (%x)", sel, err, ret)
	}
	return ret
}

func u256(v uint64) *uint256.Int { return uint256.NewInt(v) }

func hashWord(v uint64) common.Hash { return common.BigToHash(new(big.Int).SetUint64(v)) }

// relayFixture is a message sent from chain source and everything relaying it takes.
type relayFixture struct {
	msg     SentMessage
	id      message.Identifier
	payload []byte
	list    types.AccessList
	input   []byte // relayMessage calldata
	hash    common.Hash
}

func newRelayFixture(m SentMessage, source uint64) relayFixture {
	topics, data := EncodeSentMessageLog(&m)
	payload := message.Payload(topics, data)
	id := message.Identifier{Origin: messengerAddr, BlockNumber: 12, LogIndex: 3, Timestamp: 50, ChainID: *u256(source)}
	return relayFixture{
		msg:     m,
		id:      id,
		payload: payload,
		list:    listed(message.Checksum(&id, crypto.Keccak256Hash(payload))),
		input:   EncodeRelayMessage(&id, payload),
		hash:    m.Hash(u256(source)),
	}
}

// testSent is a message from chain A to chain B for target with body msg.
func testSent(target common.Address, nonce uint64, msg []byte) SentMessage {
	return SentMessage{Destination: *u256(msgrChainB), Target: target, Nonce: *u256(nonce),
		Sender: common.HexToAddress("0x00000000000000000000000000000000005e0de7"), Message: msg}
}

func mustRevert(t *testing.T, what string, ret []byte, err error, want []byte) {
	t.Helper()
	if !errors.Is(err, gethvm.ErrExecutionReverted) || !bytes.Equal(ret, want) {
		t.Fatalf("%s: ret %x err %v, want revert %x", what, ret, err, want)
	}
}

func TestMessengerABI(t *testing.T) {
	for _, c := range []struct {
		got  []byte
		want string
	}{
		{SelectorSendMessage[:], "7056f41f"},
		{SelectorRelayMessage[:], "8d1d298f"},
		{SelectorResendMessage[:], "6b0c3c5e"},
		{SelectorCrossDomainMessageSender[:], "38ffde18"},
		{SelectorCrossDomainMessageSource[:], "24794462"},
		{SelectorCrossDomainMessageContext[:], "7936cbee"},
		{SelectorMessageNonce[:], "ecc70428"},
		{SelectorMessageVersion[:], "52617f3c"},
		{SelectorSuccessfulMessages[:], "b1b1b209"},
		{SelectorSentMessages[:], "82e3702d"},
		{selectorVersionGetter[:], "54fd4d50"},
		{SelectorSendETH[:], "64a197f3"},
		{SelectorRelayETH[:], "4f0edcc9"},
		{SelectorLiquidityBurn[:], "44df8e70"},
		{SelectorLiquidityMint[:], "a0712d68"},
		{revertUnauthorized[:], "82b42900"},
		{RevertReentrantCall[:], "37ed32e8"},
		{RevertIdOriginNotL2ToL2CrossDomainMessenger[:], "7987c157"},
		{RevertEventPayloadNotSentMessage[:], "df1eb586"},
		{RevertMessageDestinationNotRelayChain[:], "31ac2211"},
		{RevertMessageAlreadyRelayed[:], "9ca9480b"},
		{RevertMessageDestinationSameChain[:], "8ed9a95d"},
		{RevertMessageTargetL2ToL2CrossDomainMessenger[:], "4faa2509"},
		{RevertInvalidMessage[:], "6eca2e4b"},
		{RevertNotEntered[:], "bca35af6"},
		{revertZeroAddress[:], "d92e233d"},
		{SentMessageTopic[:], "382409ac69001e11931a28435afef442cbfd20d9891907e8fa373ba7d351f320"},
		{RelayedMessageTopic[:], "c270d73e26d2d39dee7ef92093555927e344e243415547ecc350b2b5385b68a2"},
		{SendETHTopic[:], "ed98a2ff78833375c368471a747cdf0633024dde3f870feb08a934ac5be83402"},
		{RelayETHTopic[:], "e5479bb8ebad3b9ac81f55f424a6289cf0a54ff2641708f41dcb2b26f264d359"},
		// The reference contract's transient slots: keccak256(name) − 1.
		{messengerSenderTSlot[:], hex.EncodeToString(slotMinusOne("l2tol2crossdomainmessenger.sender").Bytes())},
		{messengerSourceTSlot[:], hex.EncodeToString(slotMinusOne("l2tol2crossdomainmessenger.source").Bytes())},
	} {
		mustEqual(t, "abi value", hex.EncodeToString(c.got), c.want)
	}
	for name, sel := range map[string][4]byte{
		"IdOriginNotL2ToL2CrossDomainMessenger()":   RevertIdOriginNotL2ToL2CrossDomainMessenger,
		"EventPayloadNotSentMessage()":              RevertEventPayloadNotSentMessage,
		"MessageDestinationSameChain()":             RevertMessageDestinationSameChain,
		"MessageDestinationNotRelayChain()":         RevertMessageDestinationNotRelayChain,
		"MessageTargetL2ToL2CrossDomainMessenger()": RevertMessageTargetL2ToL2CrossDomainMessenger,
		"MessageAlreadyRelayed()":                   RevertMessageAlreadyRelayed,
		"ReentrantCall()":                           RevertReentrantCall,
		"NotEntered()":                              RevertNotEntered,
		"InvalidMessage()":                          RevertInvalidMessage,
	} {
		mustEqual(t, name, sel, [4]byte(crypto.Keccak256([]byte(name))[:4]))
	}
}

// The documented figures (README, package doc); a change must update them.
func TestMessengerGasConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"SendMessageGas", SendMessageGas, 30315},
		{"SendMessageWordGas", SendMessageWordGas, 265},
		{"SendMessageFirstGas", SendMessageFirstGas, 17100},
		{"ResendMessageGas", ResendMessageGas, 5315},
		{"RelayMessageGas", RelayMessageGas, 31363},
		{"RelayMessageWordGas", RelayMessageWordGas, 18},
		{"RelayMessageReturnWordGas", RelayMessageReturnWordGas, 12},
		{"CrossDomainMessageSenderGas", CrossDomainMessageSenderGas, 400},
		{"CrossDomainMessageContextGas", CrossDomainMessageContextGas, 500},
		{"MessageNonceGas", MessageNonceGas, 2300},
		{"MessageVersionGas", MessageVersionGas, 200},
		{"MessageMappingGas", MessageMappingGas, 2342},
		{"VersionGas", VersionGas, 300},
		{"SendETHGas", SendETHGas, 16812},
		{"RelayETHGas", RelayETHGas, 16912},
		{"BurnGas", BurnGas, 1681},
		{"MintGas", MintGas, 10781},
	} {
		mustEqual(t, c.name, c.got, c.want)
	}
}

func TestMessengerHashAndCodec(t *testing.T) {
	m := testSent(probeAddr, 7, []byte("hello, 902"))
	// keccak256(abi.encode(destination, source, nonce, sender, target, message)) by hand.
	var enc []byte
	for _, w := range []common.Hash{hashWord(msgrChainB), hashWord(msgrChainA), hashWord(7),
		common.BytesToHash(m.Sender[:]), common.BytesToHash(probeAddr[:]), hashWord(0xc0), hashWord(10)} {
		enc = append(enc, w[:]...)
	}
	enc = append(enc, common.RightPadBytes([]byte("hello, 902"), 32)...)
	mustEqual(t, "hash", m.Hash(u256(msgrChainA)), crypto.Keccak256Hash(enc))

	topics, data := EncodeSentMessageLog(&m)
	got, err := DecodeSentMessage(message.Payload(topics, data))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "round trip", got.Hash(u256(1)), m.Hash(u256(1)))
	mustEqual(t, "data length", len(data), 3*32+32)

	// Bad payloads: the error says which (EventPayloadNotSentMessage is only for topic0).
	good := message.Payload(topics, data)
	set := func(i int, b byte) []byte { p := append([]byte(nil), good...); p[i] = b; return p }
	for _, c := range []struct {
		name    string
		payload []byte
		want    error
	}{
		{"empty", nil, ErrMalformedSentMessage},
		{"31 bytes", good[:31], ErrMalformedSentMessage},
		{"other topic0", set(0, good[0]^1), ErrNotSentMessage},
		{"topics only", good[:128], ErrMalformedSentMessage},
		{"dirty target", set(64, 1), ErrMalformedSentMessage},
		{"dirty sender", set(128, 1), ErrMalformedSentMessage},
		{"offset out of range", set(128+63, 0xff), ErrMalformedSentMessage},
		{"length out of range", set(128+95, 0xff), ErrMalformedSentMessage},
		{"truncated message", good[:len(good)-23], ErrMalformedSentMessage},
	} {
		if _, err := DecodeSentMessage(c.payload); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// Bytes after the encoded data are tolerated, as Solidity's decoder does.
	if _, err := DecodeSentMessage(append(append([]byte(nil), good...), 1, 2, 3)); err != nil {
		t.Fatalf("trailing bytes: %v", err)
	}
}

func TestSendMessage(t *testing.T) {
	e := msgrEnv(t, msgrChainA, nil)
	body := []byte("a message body longer than one word, for the per-word gas")
	in := EncodeSendMessage(u256(msgrChainB), probeAddr, body)
	words := uint64(len(common.RightPadBytes(body, 64)) / 32)

	ret, left, err := e.callFrom(gethvm.CALL, sender, messengerAddr, in, 0)
	if err != nil {
		t.Fatal(err)
	}
	first := SentMessage{Destination: *u256(msgrChainB), Target: probeAddr, Nonce: *u256(0), Sender: sender, Message: body}
	mustEqual(t, "returned hash", common.BytesToHash(ret), first.Hash(u256(msgrChainA)))
	mustEqual(t, "gas left (first message)", left, msgrGas-SendMessageGas-SendMessageFirstGas-words*SendMessageWordGas)
	logs := e.state.Logs()
	mustEqual(t, "logs", len(logs), 1)
	topics, data := EncodeSentMessageLog(&first)
	mustEqual(t, "log address", logs[0].Address, messengerAddr)
	mustEqual(t, "topics", len(logs[0].Topics), 4)
	for i := range topics {
		mustEqual(t, "topic", logs[0].Topics[i], topics[i])
	}
	if !bytes.Equal(logs[0].Data, data) {
		t.Fatalf("data %x, want %x", logs[0].Data, data)
	}
	// Storage: the Solidity layout.
	mustEqual(t, "counter slot", e.state.GetState(messengerAddr, MessengerNonceSlot), hashWord(1))
	mustEqual(t, "sentMessages slot", e.state.GetState(messengerAddr, crypto.Keccak256Hash(ret, MessengerSentMessagesSlot[:])), hashWord(1))
	mustEqual(t, "sentMessages", common.BytesToHash(e.view(t, SelectorSentMessages, ret)), hashWord(1))
	mustEqual(t, "successfulMessages", common.BytesToHash(e.view(t, SelectorSuccessfulMessages, ret)), common.Hash{})
	mustEqual(t, "messageNonce", common.BytesToHash(e.view(t, SelectorMessageNonce)), hashWord(1))
	mustEqual(t, "account kept alive", e.state.GetNonce(messengerAddr), uint64(1))

	// The second message: nonce 1, no first-message surcharge; from a contract, whose
	// address is the sender.
	ret, _, err = e.callFrom(gethvm.CALL, sender, forwardAddr, EncodeSendMessage(u256(msgrChainB), probeAddr, nil), 0)
	if err != nil || e.slotOf(forwardAddr, 0) != hashWord(1) {
		t.Fatalf("send through a contract: %v %x", err, ret)
	}
	second := SentMessage{Destination: *u256(msgrChainB), Target: probeAddr, Nonce: *u256(1), Sender: forwardAddr}
	mustEqual(t, "hash from contract", e.slotOf(forwardAddr, 2), second.Hash(u256(msgrChainA)))
	logs = e.state.Logs()
	mustEqual(t, "logs", len(logs), 2)
	mustEqual(t, "nonce topic", logs[1].Topics[3], hashWord(1))
	mustEqual(t, "sender word", common.BytesToHash(logs[1].Data[:32]), common.BytesToHash(forwardAddr[:]))
	_, left, err = e.callFrom(gethvm.CALL, sender, messengerAddr, EncodeSendMessage(u256(msgrChainB), probeAddr, nil), 0)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "gas left (later message)", left, msgrGas-SendMessageGas)
	mustEqual(t, "messageNonce", common.BytesToHash(e.view(t, SelectorMessageNonce)), hashWord(3))
	// A 256-bit destination is accepted as is.
	wide := new(uint256.Int).Lsh(u256(1), 200)
	if _, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, EncodeSendMessage(wide, probeAddr, nil), 0); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "wide destination topic", e.state.Logs()[3].Topics[1], common.Hash(wide.Bytes32()))
}

func TestSendMessageReverts(t *testing.T) {
	good := EncodeSendMessage(u256(msgrChainB), probeAddr, []byte("x"))
	with := func(i int, b byte) []byte { p := append([]byte(nil), good...); p[i] = b; return p }
	for _, c := range []struct {
		name  string
		in    []byte
		kind  gethvm.OpCode
		value uint64
		gas   uint64
		err   error
		ret   []byte
	}{
		{name: "same chain", in: EncodeSendMessage(u256(msgrChainA), probeAddr, nil), ret: RevertMessageDestinationSameChain[:]},
		{name: "target is the messenger", in: EncodeSendMessage(u256(msgrChainB), messengerAddr, nil), ret: RevertMessageTargetL2ToL2CrossDomainMessenger[:]},
		{name: "value", in: good, value: 1},
		{name: "staticcall", in: good, kind: gethvm.STATICCALL},
		{name: "delegatecall", in: good, kind: gethvm.DELEGATECALL},
		{name: "callcode", in: good, kind: gethvm.CALLCODE},
		{name: "dirty target padding", in: with(4+32, 1)},
		{name: "offset out of range", in: with(4+64+31, 0xff)},
		{name: "length out of range", in: with(4+96+31, 0x40)},
		{name: "head only", in: good[:4+64]},
		{name: "selector only", in: good[:4]},
		{name: "out of gas", in: good, gas: SendMessageGas + SendMessageFirstGas, err: gethvm.ErrOutOfGas},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := msgrEnv(t, msgrChainA, nil)
			kind, gas := c.kind, c.gas
			if kind == 0 {
				kind = gethvm.CALL
			}
			var (
				ret  []byte
				left uint64
				err  error
			)
			if gas != 0 {
				ret, left, err = e.evm.Call(sender, messengerAddr, c.in, gas, new(uint256.Int))
			} else {
				ret, left, err = e.callFrom(kind, sender, messengerAddr, c.in, c.value)
			}
			want := c.err
			if want == nil {
				want = gethvm.ErrExecutionReverted
			}
			if !errors.Is(err, want) || !bytes.Equal(ret, c.ret) {
				t.Fatalf("ret %x err %v, want %x %v", ret, err, c.ret, want)
			}
			if errors.Is(err, gethvm.ErrOutOfGas) {
				mustEqual(t, "gas left", left, uint64(0))
			} else if len(c.in) > 4 {
				mustEqual(t, "gas left", left > msgrGas-SendMessageGas-SendMessageFirstGas-2*SendMessageWordGas, true)
			}
			mustEqual(t, "logs", len(e.state.Logs()), 0)
			mustEqual(t, "counter", e.state.GetState(messengerAddr, MessengerNonceSlot), common.Hash{})
			mustEqual(t, "sender balance", e.state.GetBalance(sender).Uint64(), uint64(1e18))
		})
	}
}

// relayEnv is chain B's transaction with f's message in the access list.
func relayEnv(t testing.TB, f relayFixture) *env { return msgrEnv(t, msgrChainB, f.list) }

func TestRelayMessage(t *testing.T) {
	f := newRelayFixture(testSent(probeAddr, 5, []byte("relay me")), msgrChainA)
	e := relayEnv(t, f)
	const value = 12345

	ret, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, value)
	if err != nil {
		t.Fatalf("relay: %v %x", err, ret)
	}
	// The probe saw the sender and source through all three getters, the value, and the
	// messenger as its caller; it returned (sender, source).
	for _, c := range []struct {
		slot byte
		want common.Hash
	}{
		{probeSenderOK, hashWord(1)}, {probeSender, common.BytesToHash(f.msg.Sender[:])},
		{probeSourceOK, hashWord(1)}, {probeSource, hashWord(msgrChainA)},
		{probeContextOK, hashWord(1)}, {probeContextSender, common.BytesToHash(f.msg.Sender[:])}, {probeContextSrc, hashWord(msgrChainA)},
		{probeValue, hashWord(value)}, {probeCaller, common.BytesToHash(messengerAddr[:])},
		{probeCalldataSize, hashWord(uint64(len(f.msg.Message)))},
	} {
		mustEqual(t, "probe slot", e.slotOf(probeAddr, c.slot), c.want)
	}
	targetRet := append(common.BytesToHash(f.msg.Sender[:]).Bytes(), hashWord(msgrChainA).Bytes()...)
	wantRet := append(hashWord(32).Bytes(), hashWord(64).Bytes()...)
	wantRet = append(wantRet, targetRet...)
	if !bytes.Equal(ret, wantRet) {
		t.Fatalf("relay returned %x, want abi.encode(bytes) %x", ret, wantRet)
	}
	// ExecutingMessage from CrossL2Inbox, then RelayedMessage.
	logs := e.state.Logs()
	mustEqual(t, "logs", len(logs), 2)
	exec, err := event.DecodeExecutingMessage(logs[0])
	if err != nil || exec == nil {
		t.Fatalf("first log is not an ExecutingMessage: %v", err)
	}
	mustEqual(t, "executed identifier", exec.Identifier, f.id)
	mustEqual(t, "executed hash", exec.MsgHash, crypto.Keccak256Hash(f.payload))
	rl := logs[1]
	mustEqual(t, "relayed address", rl.Address, messengerAddr)
	mustEqual(t, "relayed topics", len(rl.Topics), 4)
	mustEqual(t, "topic0", rl.Topics[0], RelayedMessageTopic)
	mustEqual(t, "source", rl.Topics[1], hashWord(msgrChainA))
	mustEqual(t, "nonce", rl.Topics[2], hashWord(5))
	mustEqual(t, "message hash", rl.Topics[3], f.hash)
	mustEqual(t, "return data hash", common.BytesToHash(rl.Data), crypto.Keccak256Hash(targetRet))
	// State: successfulMessages set, value forwarded, transient context cleared.
	mustEqual(t, "successfulMessages", common.BytesToHash(e.view(t, SelectorSuccessfulMessages, f.hash[:])), hashWord(1))
	mustEqual(t, "successfulMessages slot", e.state.GetState(messengerAddr, crypto.Keccak256Hash(f.hash[:], MessengerSuccessfulMessagesSlot[:])), hashWord(1))
	mustEqual(t, "probe balance", e.state.GetBalance(probeAddr).Uint64(), uint64(value))
	mustEqual(t, "messenger balance", e.state.GetBalance(messengerAddr).Uint64(), uint64(0))
	for _, slot := range []common.Hash{messengerEnteredTSlot, messengerSenderTSlot, messengerSourceTSlot} {
		mustEqual(t, "transient slot after relay", e.state.GetTransientState(messengerAddr, slot), common.Hash{})
	}
	_, _, err = e.callFrom(gethvm.STATICCALL, sender, messengerAddr, SelectorCrossDomainMessageSender[:], 0)
	if !errors.Is(err, gethvm.ErrExecutionReverted) {
		t.Fatal("getter answered after the relay")
	}

	// Replay in the same transaction is refused, nothing changes.
	ret, _, err = e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	mustRevert(t, "replay", ret, err, RevertMessageAlreadyRelayed[:])
	mustEqual(t, "logs after replay", len(e.state.Logs()), 2)
}

// Gas of a relay to an account without code: the fixed cost, per-word cost and the nested
// validateMessage; a target returning data adds its words.
func TestRelayMessageGas(t *testing.T) {
	empty := common.HexToAddress("0x00000000000000000000000000000000000e0e0e")
	for _, body := range [][]byte{nil, make([]byte, 33), make([]byte, 300)} {
		f := newRelayFixture(testSent(empty, 1, body), msgrChainA)
		e := relayEnv(t, f)
		ret, left, err := e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "return", len(ret), 64)
		want := RelayMessageGas + RelayMessageWordGas*wordsBeyond(f.input, 7) + ValidateMessageGas
		mustEqual(t, "gas used", msgrGas-left, want)
	}
	// Exactly enough gas succeeds, one less runs out.
	f := newRelayFixture(testSent(empty, 1, nil), msgrChainA)
	need := RelayMessageGas + RelayMessageWordGas*wordsBeyond(f.input, 7) + ValidateMessageGas
	e := relayEnv(t, f)
	if _, _, err := e.evm.Call(sender, messengerAddr, f.input, need-1, new(uint256.Int)); !errors.Is(err, gethvm.ErrOutOfGas) && !errors.Is(err, gethvm.ErrExecutionReverted) {
		t.Fatalf("one gas short: %v", err)
	}
	mustEqual(t, "successful after a short relay", e.state.GetState(messengerAddr, mappingSlot(f.hash, MessengerSuccessfulMessagesSlot)), common.Hash{})
	if _, left, err := e.evm.Call(sender, messengerAddr, f.input, need, new(uint256.Int)); err != nil || left != 0 {
		t.Fatalf("exact gas: left %d err %v", left, err)
	}
	// With value to an empty account: the value transfer and the new account, as a CALL.
	f = newRelayFixture(testSent(empty, 2, nil), msgrChainA)
	e = relayEnv(t, f)
	_, left, err := e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 1)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "gas with value to an empty account", msgrGas-left, RelayMessageGas+RelayMessageWordGas*wordsBeyond(f.input, 7)+ValidateMessageGas+9000+25000)
	mustEqual(t, "value arrived", e.state.GetBalance(empty).Uint64(), uint64(1))
}

func TestRelayMessageReverts(t *testing.T) {
	base := testSent(probeAddr, 9, []byte("x"))
	ok := newRelayFixture(base, msgrChainA)

	// Variants, each with its own identifier and access list where they need one.
	otherDest := base
	otherDest.Destination = *u256(msgrChainA + 100)
	badTopic := ok
	badTopic.payload = append([]byte(nil), ok.payload...)
	badTopic.payload[0] ^= 1
	withPayload := func(p []byte) relayFixture {
		f := ok
		f.payload = p
		f.list = listed(message.Checksum(&f.id, crypto.Keccak256Hash(p)))
		f.input = EncodeRelayMessage(&f.id, p)
		return f
	}
	badTopic = withPayload(badTopic.payload)
	dirtyTarget := append([]byte(nil), ok.payload...)
	dirtyTarget[64] = 1
	notOrigin := ok
	notOrigin.id.Origin = common.HexToAddress("0x4200000000000000000000000000000000000024")
	notOrigin.input = EncodeRelayMessage(&notOrigin.id, ok.payload)
	bigBlock := ok
	bigBlock.input = setWord(ok.input, 1, common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 64)))
	dirtyOrigin := ok
	dirtyOrigin.input = setWord(ok.input, 0, common.HexToHash("0x0100000000000000000000004200000000000000000000000000000000000023"))
	badOffset := ok
	badOffset.input = setWord(ok.input, 5, hashWord(1<<20))

	for _, c := range []struct {
		name    string
		f       relayFixture
		noList  bool
		deposit bool
		kind    gethvm.OpCode
		ret     []byte
	}{
		{name: "origin not the messenger", f: notOrigin, ret: RevertIdOriginNotL2ToL2CrossDomainMessenger[:]},
		{name: "not in the access list", f: ok, noList: true, ret: RevertNotInAccessList[:]},
		{name: "identifier out of range (bubbled)", f: bigBlock, ret: RevertBlockNumberTooHigh[:]},
		{name: "deposit (bubbled)", f: ok, deposit: true, ret: RevertNoExecutingDeposits[:]},
		{name: "payload not SentMessage", f: badTopic, ret: RevertEventPayloadNotSentMessage[:]},
		{name: "payload of 31 bytes", f: withPayload(ok.payload[:31])},
		{name: "payload topics only", f: withPayload(ok.payload[:128])},
		{name: "payload dirty target", f: withPayload(dirtyTarget)},
		{name: "other destination", f: newRelayFixture(otherDest, msgrChainA), ret: RevertMessageDestinationNotRelayChain[:]},
		{name: "staticcall", f: ok, kind: gethvm.STATICCALL},
		{name: "delegatecall", f: ok, kind: gethvm.DELEGATECALL},
		{name: "callcode", f: ok, kind: gethvm.CALLCODE},
		{name: "dirty origin padding", f: dirtyOrigin},
		{name: "offset out of range", f: badOffset},
		{name: "truncated calldata", f: relayFixture{list: ok.list, input: ok.input[:4+6*32+10]}},
	} {
		t.Run(c.name, func(t *testing.T) {
			list := c.f.list
			if c.noList {
				list = nil
			}
			o := defaultOpts()
			o.chainID, o.list = msgrChainB, list
			if c.deposit {
				o.gasPrice = 0
			}
			e := newEnv(t, o)
			installMsgrContracts(e)
			kind := c.kind
			if kind == 0 {
				kind = gethvm.CALL
			}
			ret, left, err := e.callFrom(kind, sender, messengerAddr, c.f.input, 0)
			mustRevert(t, "relay", ret, err, c.ret)
			if left == 0 {
				t.Fatal("a revert consumed all gas")
			}
			mustEqual(t, "logs", len(e.state.Logs()), 0)
			mustEqual(t, "probe untouched", e.slotOf(probeAddr, probeCaller), common.Hash{})
			mustEqual(t, "successfulMessages", e.state.GetState(messengerAddr, mappingSlot(c.f.hash, MessengerSuccessfulMessagesSlot)), common.Hash{})
			mustEqual(t, "entered flag", e.state.GetTransientState(messengerAddr, messengerEnteredTSlot), common.Hash{})
		})
	}
	// Value of a reverted relay goes back to the caller.
	e := msgrEnv(t, msgrChainB, nil)
	ret, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, ok.input, 77)
	mustRevert(t, "unlisted relay with value", ret, err, RevertNotInAccessList[:])
	mustEqual(t, "sender balance", e.state.GetBalance(sender).Uint64(), uint64(1e18))
}

// A relay whose target reverts bubbles the target's revert data and leaves the message
// unrelayed; once the target is fixed, the same relay succeeds, and only once.
func TestRelayTargetRevertThenRetry(t *testing.T) {
	f := newRelayFixture(testSent(switchAddr, 3, common.LeftPadBytes([]byte{0x42}, 32)), msgrChainA)
	e := relayEnv(t, f)
	ret, left, err := e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	mustRevert(t, "broken target", ret, err, switchRevert)
	if left == 0 {
		t.Fatal("target revert consumed all gas")
	}
	mustEqual(t, "not relayed", common.BytesToHash(e.view(t, SelectorSuccessfulMessages, f.hash[:])), common.Hash{})
	mustEqual(t, "logs", len(e.state.Logs()), 0)

	if _, _, err := e.callFrom(gethvm.CALL, sender, switchAddr, nil, 0); err != nil {
		t.Fatal(err)
	}
	ret, _, err = e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	if err != nil {
		t.Fatalf("retry: %v %x", err, ret)
	}
	mustEqual(t, "target recorded", e.slotOf(switchAddr, 1), hashWord(0x42))
	mustEqual(t, "relayed", common.BytesToHash(e.view(t, SelectorSuccessfulMessages, f.hash[:])), hashWord(1))
	logs := e.state.Logs()
	mustEqual(t, "logs", len(logs), 2)
	mustEqual(t, "return data hash", common.BytesToHash(logs[1].Data), crypto.Keccak256Hash(hashWord(0x42).Bytes()))
	ret, _, err = e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	mustRevert(t, "third relay", ret, err, RevertMessageAlreadyRelayed[:])
}

// A target that calls relayMessage again is refused with ReentrantCall; the outer relay
// completes (the target swallowed the failure).
func TestRelayReentrancy(t *testing.T) {
	inner := newRelayFixture(testSent(probeAddr, 1, nil), msgrChainA)
	outer := newRelayFixture(testSent(reenterAddr, 2, inner.input), msgrChainA)
	e := msgrEnv(t, msgrChainB, append(outer.list, inner.list...))
	if ret, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, outer.input, 0); err != nil {
		t.Fatalf("outer relay: %v %x", err, ret)
	}
	mustEqual(t, "inner success", e.slotOf(reenterAddr, 0), common.Hash{})
	mustEqual(t, "inner revert data size", e.slotOf(reenterAddr, 1), hashWord(4))
	mustEqual(t, "inner revert data", [4]byte(e.slotOf(reenterAddr, 2).Bytes()[:4]), RevertReentrantCall)
	mustEqual(t, "inner not relayed", common.BytesToHash(e.view(t, SelectorSuccessfulMessages, inner.hash[:])), common.Hash{})
	mustEqual(t, "outer relayed", common.BytesToHash(e.view(t, SelectorSuccessfulMessages, outer.hash[:])), hashWord(1))
	// Outside the relay, the inner message relays normally.
	if ret, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, inner.input, 0); err != nil {
		t.Fatalf("inner relay afterwards: %v %x", err, ret)
	}
}

func TestMessengerGetters(t *testing.T) {
	e := msgrEnv(t, msgrChainA, nil)
	// Outside a relay the context getters revert NotEntered, by CALL and STATICCALL, and
	// from a contract (the probe, called directly).
	for _, sel := range [][4]byte{SelectorCrossDomainMessageSender, SelectorCrossDomainMessageSource, SelectorCrossDomainMessageContext} {
		for _, kind := range []gethvm.OpCode{gethvm.CALL, gethvm.STATICCALL} {
			ret, left, err := e.callFrom(kind, sender, messengerAddr, sel[:], 0)
			mustRevert(t, "getter outside a relay", ret, err, RevertNotEntered[:])
			want := CrossDomainMessageSenderGas
			if sel == SelectorCrossDomainMessageContext {
				want = CrossDomainMessageContextGas
			}
			mustEqual(t, "gas", msgrGas-left, want)
		}
	}
	if _, _, err := e.callFrom(gethvm.CALL, sender, probeAddr, nil, 0); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "probe: sender call failed", e.slotOf(probeAddr, probeSenderOK), common.Hash{})
	mustEqual(t, "probe: NotEntered data", [4]byte(e.slotOf(probeAddr, probeSender).Bytes()[:4]), RevertNotEntered)
	mustEqual(t, "probe: context failed", e.slotOf(probeAddr, probeContextOK), common.Hash{})

	// Constant and stored values, with their gas.
	for _, c := range []struct {
		name string
		in   []byte
		want []byte
		gas  uint64
	}{
		{"messageVersion", SelectorMessageVersion[:], hashWord(0).Bytes(), MessageVersionGas},
		{"messageNonce", SelectorMessageNonce[:], hashWord(0).Bytes(), MessageNonceGas},
		{"version", selectorVersionGetter[:], encString(MessengerVersion), VersionGas},
		{"successfulMessages", append(SelectorSuccessfulMessages[:], hashWord(1).Bytes()...), hashWord(0).Bytes(), MessageMappingGas},
		{"sentMessages", append(SelectorSentMessages[:], hashWord(1).Bytes()...), hashWord(0).Bytes(), MessageMappingGas},
		{"trailing bytes ignored", append(SelectorMessageVersion[:], 1, 2, 3), hashWord(0).Bytes(), MessageVersionGas},
	} {
		ret, left, err := e.callFrom(gethvm.STATICCALL, sender, messengerAddr, c.in, 0)
		if err != nil || !bytes.Equal(ret, c.want) {
			t.Fatalf("%s: %x %v, want %x", c.name, ret, err, c.want)
		}
		mustEqual(t, c.name+" gas", msgrGas-left, c.gas)
	}
	version := e.view(t, selectorVersionGetter)
	mustEqual(t, "version string", string(version[64:64+len(MessengerVersion)]), "1.0.0+xgeth.native")

	// Refusals: value, DELEGATECALL/CALLCODE for state readers, a short mapping key.
	for _, c := range []struct {
		name  string
		kind  gethvm.OpCode
		in    []byte
		value uint64
	}{
		{"nonce with value", gethvm.CALL, SelectorMessageNonce[:], 1},
		{"version with value", gethvm.CALL, selectorVersionGetter[:], 1},
		{"nonce by delegatecall", gethvm.DELEGATECALL, SelectorMessageNonce[:], 0},
		{"nonce by callcode", gethvm.CALLCODE, SelectorMessageNonce[:], 0},
		{"sender by delegatecall", gethvm.DELEGATECALL, SelectorCrossDomainMessageSender[:], 0},
		{"mapping by delegatecall", gethvm.DELEGATECALL, append(SelectorSentMessages[:], hashWord(1).Bytes()...), 0},
		{"mapping key short", gethvm.CALL, append(SelectorSentMessages[:], 1), 0},
		{"unknown selector", gethvm.CALL, []byte{1, 2, 3, 4}, 0},
		{"3 bytes", gethvm.CALL, []byte{0x52, 0x61, 0x7f}, 0},
	} {
		ret, _, err := e.callFrom(c.kind, sender, messengerAddr, c.in, c.value)
		mustRevert(t, c.name, ret, err, nil)
	}
	// Pure getters answer under DELEGATECALL as well.
	if ret, _, err := e.callFrom(gethvm.DELEGATECALL, sender, messengerAddr, SelectorMessageVersion[:], 0); err != nil || len(ret) != 32 {
		t.Fatalf("messageVersion by delegatecall: %x %v", ret, err)
	}
}

func TestResendMessage(t *testing.T) {
	e := msgrEnv(t, msgrChainA, nil)
	body := []byte("resend me")
	hash, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, EncodeSendMessage(u256(msgrChainB), probeAddr, body), 0)
	if err != nil {
		t.Fatal(err)
	}
	m := SentMessage{Destination: *u256(msgrChainB), Target: probeAddr, Nonce: *u256(0), Sender: sender, Message: body}
	ret, left, err := e.callFrom(gethvm.CALL, common.HexToAddress("0x0000000000000000000000000000000000000bb1"), messengerAddr, EncodeResendMessage(&m), 0)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "resend hash", common.BytesToHash(ret), common.BytesToHash(hash))
	mustEqual(t, "resend gas", msgrGas-left, ResendMessageGas+ResendMessageWordGas)
	logs := e.state.Logs()
	mustEqual(t, "logs", len(logs), 2)
	mustEqual(t, "same topics", logs[1].Topics[3], logs[0].Topics[3])
	if !bytes.Equal(logs[0].Data, logs[1].Data) || logs[0].Topics[2] != logs[1].Topics[2] {
		t.Fatal("resent log differs from the original")
	}
	mustEqual(t, "counter unchanged", e.state.GetState(messengerAddr, MessengerNonceSlot), hashWord(1))

	changed := m
	changed.Message = []byte("resend mf")
	wrongNonce := m
	wrongNonce.Nonce = *u256(1)
	for _, c := range []struct {
		name string
		e    *env
		in   []byte
		kind gethvm.OpCode
		ret  []byte
	}{
		{"other message", e, EncodeResendMessage(&changed), gethvm.CALL, RevertInvalidMessage[:]},
		{"other nonce", e, EncodeResendMessage(&wrongNonce), gethvm.CALL, RevertInvalidMessage[:]},
		{"other chain", msgrEnv(t, msgrChainB, nil), EncodeResendMessage(&m), gethvm.CALL, RevertInvalidMessage[:]},
		{"staticcall", e, EncodeResendMessage(&m), gethvm.STATICCALL, nil},
		{"delegatecall", e, EncodeResendMessage(&m), gethvm.DELEGATECALL, nil},
		{"truncated", e, EncodeResendMessage(&m)[:4+5*32], gethvm.CALL, nil},
	} {
		before := len(c.e.state.Logs())
		ret, _, err := c.e.callFrom(c.kind, sender, messengerAddr, c.in, 0)
		mustRevert(t, c.name, ret, err, c.ret)
		mustEqual(t, c.name+" logs", len(c.e.state.Logs()), before)
	}
}

// A message sent on chain A (EVM level) relays on chain B from its own log.
func TestSendThenRelay(t *testing.T) {
	a := msgrEnv(t, msgrChainA, nil)
	hash, _, err := a.callFrom(gethvm.CALL, sender, messengerAddr, EncodeSendMessage(u256(msgrChainB), probeAddr, []byte{1, 2, 3}), 0)
	if err != nil {
		t.Fatal(err)
	}
	sent := a.state.Logs()[0]
	id := message.Identifier{Origin: sent.Address, BlockNumber: envBlock, LogIndex: 0, Timestamp: envTime, ChainID: *u256(msgrChainA)}
	payload := message.Payload(sent.Topics, sent.Data)
	b := msgrEnv(t, msgrChainB, listed(message.Checksum(&id, crypto.Keccak256Hash(payload))))
	if ret, _, err := b.callFrom(gethvm.CALL, sender, messengerAddr, EncodeRelayMessage(&id, payload), 0); err != nil {
		t.Fatalf("relay: %v %x", err, ret)
	}
	mustEqual(t, "relayed hash", b.state.Logs()[1].Topics[3], common.BytesToHash(hash))
	mustEqual(t, "sender seen by the target", b.slotOf(probeAddr, probeSender), common.BytesToHash(sender[:]))
}

// The hook serves the messenger, the bridge and ETHLiquidity where CrossL2Inbox is served.
func TestMessengerServed(t *testing.T) {
	for _, a := range []common.Address{messengerAddr, ethBridgeAddr, liquidityAddr} {
		for _, c := range []struct {
			chainID int64
			time    uint64
			served  bool
		}{{msgrChainA, envTime, true}, {standardChainID, envTime, false}, {lateChainID, lagoonLateTime - 1, false}, {lateChainID, lagoonLateTime, true}} {
			o := defaultOpts()
			o.chainID, o.time = c.chainID, c.time
			e := newEnv(t, o)
			mustEqual(t, a.Hex()+" served", gethvm.NativeContractHook(e.evm, a) != nil, c.served)
		}
		found := false
		for _, x := range Addresses() {
			found = found || x == a
		}
		mustEqual(t, "listed in Addresses", found, true)
	}
	mustEqual(t, "name", messengerContract.Name(), "L2ToL2CrossDomainMessenger")
	mustEqual(t, "required gas", messengerContract.RequiredGas(EncodeSendMessage(u256(1), probeAddr, nil)), SendMessageGas)
	mustEqual(t, "required gas unknown", messengerContract.RequiredGas([]byte{1}), uint64(0))
	if _, err := messengerContract.Run(nil); err == nil {
		t.Fatal("Run without the EVM succeeded")
	}
}

// FuzzMessenger sends arbitrary calldata (and value) to the messenger, the bridge or
// ETHLiquidity on chain B, whose access list lists one seeded relay: never a panic, a
// failed call leaves balances, storage and logs as they were, and a successful relay is
// one the messenger had not relayed before.
func FuzzMessenger(f *testing.F) {
	seed := newRelayFixture(testSent(probeAddr, 4, []byte("fuzz")), msgrChainA)
	eth := newRelayFixture(SentMessage{Destination: *u256(msgrChainB), Target: ethBridgeAddr, Nonce: *u256(1), Sender: ethBridgeAddr,
		Message: EncodeRelayETH(sender, probeAddr, u256(5))}, msgrChainA)
	f.Add(uint8(0), seed.input, uint64(0))
	f.Add(uint8(0), seed.input, uint64(3))
	f.Add(uint8(0), eth.input, uint64(0))
	f.Add(uint8(0), EncodeSendMessage(u256(msgrChainA), probeAddr, []byte("x")), uint64(0))
	f.Add(uint8(0), EncodeResendMessage(&seed.msg), uint64(0))
	f.Add(uint8(0), SelectorCrossDomainMessageContext[:], uint64(0))
	f.Add(uint8(1), EncodeSendETH(probeAddr, u256(msgrChainA)), uint64(9))
	f.Add(uint8(1), EncodeRelayETH(sender, probeAddr, u256(1)), uint64(0))
	f.Add(uint8(2), EncodeLiquidityMint(u256(1)), uint64(0))
	f.Add(uint8(2), SelectorLiquidityBurn[:], uint64(1))
	f.Fuzz(func(t *testing.T, which uint8, in []byte, value uint64) {
		to := []common.Address{messengerAddr, ethBridgeAddr, liquidityAddr}[int(which)%3]
		e := msgrEnv(t, msgrChainB, append(seed.list, eth.list...))
		watched := []common.Address{sender, messengerAddr, ethBridgeAddr, liquidityAddr, probeAddr}
		var before []*uint256.Int
		for _, a := range watched {
			before = append(before, e.state.GetBalance(a).Clone())
		}
		ret, _, err := e.callFrom(gethvm.CALL, sender, to, in, value%1000)
		if err != nil {
			if !errors.Is(err, gethvm.ErrExecutionReverted) && !errors.Is(err, gethvm.ErrOutOfGas) {
				t.Fatalf("unexpected error %v", err)
			}
			for i, a := range watched {
				if !e.state.GetBalance(a).Eq(before[i]) {
					t.Fatalf("balance of %s changed by a failed call", a)
				}
			}
			if len(e.state.Logs()) != 0 || e.state.GetState(messengerAddr, MessengerNonceSlot) != (common.Hash{}) {
				t.Fatal("failed call left logs or storage")
			}
			return
		}
		if to == messengerAddr && len(in) >= 4 && [4]byte(in[:4]) == SelectorRelayMessage {
			// A successful relay executed a listed message, emitted ExecutingMessage first
			// and RelayedMessage last, and a second identical relay is refused.
			logs := e.state.Logs()
			if len(logs) < 2 || !event.IsExecutingMessage(logs[0]) || logs[len(logs)-1].Topics[0] != RelayedMessageTopic {
				t.Fatalf("relay succeeded with logs %v", logs)
			}
			ret, _, err = e.callFrom(gethvm.CALL, sender, to, in, 0)
			if !errors.Is(err, gethvm.ErrExecutionReverted) || !bytes.Equal(ret, RevertMessageAlreadyRelayed[:]) {
				t.Fatalf("second relay: %x %v", ret, err)
			}
		}
		// ETH is conserved among the watched accounts (a successful relay of the seeded
		// relayETH moves 5 wei from ETHLiquidity to the probe).
		sumBefore, sumAfter := new(uint256.Int), new(uint256.Int)
		for i, a := range watched {
			sumBefore.Add(sumBefore, before[i])
			sumAfter.Add(sumAfter, e.state.GetBalance(a))
		}
		if !sumBefore.Eq(sumAfter) {
			t.Fatalf("ETH not conserved: %v → %v", sumBefore, sumAfter)
		}
	})
}

// BenchmarkSendMessage is sendMessage with a 100-byte body called through the EVM; the
// environment is rebuilt (timer stopped) every 256 calls, as benchCall does.
func BenchmarkSendMessage(b *testing.B) {
	in := EncodeSendMessage(u256(msgrChainB), probeAddr, make([]byte, 100))
	e := msgrEnv(b, msgrChainA, nil)
	zero := new(uint256.Int)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n++; n&255 == 0 {
			b.StopTimer()
			e = msgrEnv(b, msgrChainA, nil)
			b.StartTimer()
		}
		if _, _, err := e.evm.Call(sender, messengerAddr, in, msgrGas, zero); err != nil {
			b.Fatal(err)
		}
	}
}

// relayBatch is 256 distinct messages to a codeless target and a chain-B environment
// whose access list lists them all.
func relayBatch(b *testing.B, body []byte) ([][]byte, func() *env) {
	empty := common.HexToAddress("0x00000000000000000000000000000000000e0e0e")
	var (
		inputs [][]byte
		list   types.AccessList
	)
	for i := range 256 {
		f := newRelayFixture(testSent(empty, uint64(i), body), msgrChainA)
		inputs = append(inputs, f.input)
		list = append(list, f.list...)
	}
	return inputs, func() *env { return msgrEnv(b, msgrChainB, list) }
}

// BenchmarkRelayMessage is a successful relayMessage of a 100-byte message: the nested
// CrossL2Inbox.validateMessage, the replay check and entry, the call to the target and the
// RelayedMessage log.
func BenchmarkRelayMessage(b *testing.B) {
	inputs, fresh := relayBatch(b, make([]byte, 100))
	e := fresh()
	zero := new(uint256.Int)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n&255 == 0 && n > 0 {
			b.StopTimer()
			e = fresh()
			b.StartTimer()
		}
		if _, _, err := e.evm.Call(sender, messengerAddr, inputs[n&255], msgrGas, zero); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkRelayMessageReplay is the MessageAlreadyRelayed path (after validation).
func BenchmarkRelayMessageReplay(b *testing.B) {
	inputs, fresh := relayBatch(b, make([]byte, 100))
	e := fresh()
	zero := new(uint256.Int)
	if _, _, err := e.evm.Call(sender, messengerAddr, inputs[0], msgrGas, zero); err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n++; n&255 == 0 {
			b.StopTimer()
			e = fresh()
			if _, _, err := e.evm.Call(sender, messengerAddr, inputs[0], msgrGas, zero); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if _, _, err := e.evm.Call(sender, messengerAddr, inputs[0], msgrGas, zero); !errors.Is(err, gethvm.ErrExecutionReverted) {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendETH is sendETH: ETHLiquidity.burn and messenger.sendMessage nested.
func BenchmarkSendETH(b *testing.B) {
	in := EncodeSendETH(ethRecipientBench, u256(msgrChainB))
	e := msgrEnv(b, msgrChainA, nil)
	one := uint256.NewInt(1)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n++; n&255 == 0 {
			b.StopTimer()
			e = msgrEnv(b, msgrChainA, nil)
			b.StartTimer()
		}
		if _, _, err := e.evm.Call(sender, ethBridgeAddr, in, msgrGas, one); err != nil {
			b.Fatal(err)
		}
	}
}

var ethRecipientBench = common.HexToAddress("0x00000000000000000000000000000000000e7402")
