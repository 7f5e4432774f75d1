package vm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/message"
)

var ethRecipient = common.HexToAddress("0x00000000000000000000000000000000000e7401")

// balances reads the balances of addrs.
func (e *env) balances(addrs ...common.Address) []*uint256.Int {
	out := make([]*uint256.Int, len(addrs))
	for i, a := range addrs {
		out[i] = e.state.GetBalance(a).Clone()
	}
	return out
}

func sumOf(xs ...[]*uint256.Int) *uint256.Int {
	s := new(uint256.Int)
	for _, x := range xs {
		for _, v := range x {
			s.Add(s, v)
		}
	}
	return s
}

// relayOfLog is the relay fixture of the SentMessage log l emitted on chain source.
func relayOfLog(l *types.Log, source uint64) relayFixture {
	id := message.Identifier{Origin: l.Address, BlockNumber: envBlock, LogIndex: uint32(l.Index), Timestamp: envTime, ChainID: *u256(source)}
	payload := message.Payload(l.Topics, l.Data)
	m, _ := DecodeSentMessage(payload)
	return relayFixture{
		msg: m, id: id, payload: payload,
		list:  listed(message.Checksum(&id, crypto.Keccak256Hash(payload))),
		input: EncodeRelayMessage(&id, payload),
		hash:  m.Hash(u256(source)),
	}
}

func findLog(t *testing.T, logs []*types.Log, topic common.Hash) *types.Log {
	t.Helper()
	for _, l := range logs {
		if len(l.Topics) > 0 && l.Topics[0] == topic {
			return l
		}
	}
	t.Fatalf("no log with topic %x", topic)
	return nil
}

// sendETH on chain A, then its relay on chain B: exact logs, balances, and ETH
// conservation over both chains (sender, recipient, both ETHLiquidity, bridges, messengers).
func TestSendETHThenRelayETH(t *testing.T) {
	const value = 1_000_000_007
	a := msgrEnv(t, msgrChainA, nil)
	watched := []common.Address{sender, dropAddr, ethBridgeAddr, liquidityAddr, messengerAddr}
	beforeA := a.balances(watched...)

	// dropAddr (code 0xfe, fails whenever it runs) receives: relayETH must not call it.
	ret, left, err := a.callFrom(gethvm.CALL, sender, ethBridgeAddr, EncodeSendETH(dropAddr, u256(msgrChainB)), value)
	if err != nil {
		t.Fatalf("sendETH: %v %x", err, ret)
	}
	relayCall := EncodeRelayETH(sender, dropAddr, u256(value))
	m := SentMessage{Destination: *u256(msgrChainB), Target: ethBridgeAddr, Nonce: *u256(0), Sender: ethBridgeAddr, Message: relayCall}
	mustEqual(t, "returned hash", common.BytesToHash(ret), m.Hash(u256(msgrChainA)))
	sendCost := SendMessageGas + SendMessageFirstGas + SendMessageWordGas*4 // relayETH calldata: 100 bytes, 4 words
	mustEqual(t, "sendETH gas", msgrGas-left, SendETHGas+BurnGas+sendCost)

	logs := a.state.Logs()
	mustEqual(t, "logs on A", len(logs), 3)
	mustEqual(t, "burn log address", logs[0].Address, liquidityAddr)
	mustEqual(t, "burn topic", logs[0].Topics[0], LiquidityBurnedTopic)
	mustEqual(t, "burn caller", logs[0].Topics[1], common.BytesToHash(ethBridgeAddr[:]))
	mustEqual(t, "burn value", common.BytesToHash(logs[0].Data), hashWord(value))
	topics, data := EncodeSentMessageLog(&m)
	mustEqual(t, "sent message", logs[1].Topics[3], topics[3])
	if !bytes.Equal(logs[1].Data, data) || logs[1].Topics[2] != topics[2] {
		t.Fatal("SentMessage differs")
	}
	mustEqual(t, "SendETH address", logs[2].Address, ethBridgeAddr)
	mustEqual(t, "SendETH topics", [3]common.Hash(logs[2].Topics), [3]common.Hash{SendETHTopic, common.BytesToHash(sender[:]), common.BytesToHash(dropAddr[:])})
	if !bytes.Equal(logs[2].Data, append(hashWord(value).Bytes(), hashWord(msgrChainB).Bytes()...)) {
		t.Fatalf("SendETH data %x", logs[2].Data)
	}
	afterA := a.balances(watched...)
	mustEqual(t, "sender paid", new(uint256.Int).Sub(beforeA[0], afterA[0]).Uint64(), uint64(value))
	mustEqual(t, "ETHLiquidity on A", new(uint256.Int).Sub(afterA[3], beforeA[3]).Uint64(), uint64(value))
	mustEqual(t, "bridge holds nothing", afterA[2].IsZero(), true)

	// Relay on B from a relayer account.
	f := relayOfLog(logs[1], msgrChainA)
	b := msgrEnv(t, msgrChainB, f.list)
	beforeB := b.balances(watched...)
	ret, left, err = b.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	if err != nil {
		t.Fatalf("relay of relayETH: %v %x", err, ret)
	}
	wantGas := RelayMessageGas + RelayMessageWordGas*wordsBeyond(f.input, 7) + ValidateMessageGas +
		RelayETHGas + CrossDomainMessageContextGas + MintGas
	mustEqual(t, "relay gas", msgrGas-left, wantGas)
	afterB := b.balances(watched...)
	mustEqual(t, "recipient paid", new(uint256.Int).Sub(afterB[1], beforeB[1]).Uint64(), uint64(value))
	mustEqual(t, "ETHLiquidity on B", new(uint256.Int).Sub(beforeB[3], afterB[3]).Uint64(), uint64(value))
	mustEqual(t, "bridge on B holds nothing", afterB[2].IsZero(), true)
	mustEqual(t, "messenger on B holds nothing", afterB[4].IsZero(), true)
	if !sumOf(beforeA, beforeB).Eq(sumOf(afterA, afterB)) {
		t.Fatal("ETH not conserved over the two chains")
	}
	// Users: −value on A, +value on B; ETHLiquidity: +value on A, −value on B.
	users := new(uint256.Int).Add(afterA[0], afterB[1])
	mustEqual(t, "user ETH conserved", users.Eq(new(uint256.Int).Add(beforeA[0], beforeB[1])), true)

	logs = b.state.Logs()
	mustEqual(t, "logs on B", len(logs), 4) // ExecutingMessage, LiquidityMinted, RelayETH, RelayedMessage
	minted := findLog(t, logs, LiquidityMintedTopic)
	mustEqual(t, "mint caller", minted.Topics[1], common.BytesToHash(ethBridgeAddr[:]))
	mustEqual(t, "mint value", common.BytesToHash(minted.Data), hashWord(value))
	relayed := findLog(t, logs, RelayETHTopic)
	mustEqual(t, "RelayETH address", relayed.Address, ethBridgeAddr)
	mustEqual(t, "RelayETH topics", [3]common.Hash(relayed.Topics), [3]common.Hash{RelayETHTopic, common.BytesToHash(sender[:]), common.BytesToHash(dropAddr[:])})
	if !bytes.Equal(relayed.Data, append(hashWord(value).Bytes(), hashWord(msgrChainA).Bytes()...)) {
		t.Fatalf("RelayETH data %x", relayed.Data)
	}
	mustEqual(t, "last log", logs[3].Topics[0], RelayedMessageTopic)
	mustEqual(t, "return data hash (relayETH returns nothing)", common.BytesToHash(logs[3].Data), crypto.Keccak256Hash(nil))

	// Replaying the relay pays nothing twice.
	ret, _, err = b.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	mustRevert(t, "replayed relayETH", ret, err, RevertMessageAlreadyRelayed[:])
	mustEqual(t, "recipient paid once", b.state.GetBalance(dropAddr).Eq(afterB[1]), true)
}

// Paying a new account with relayETH costs the new account, as a CALL with value would.
func TestRelayETHNewAccountGas(t *testing.T) {
	fresh := common.HexToAddress("0x00000000000000000000000000000000000f4e54")
	m := SentMessage{Destination: *u256(msgrChainB), Target: ethBridgeAddr, Nonce: *u256(0), Sender: ethBridgeAddr, Message: EncodeRelayETH(sender, fresh, u256(1))}
	f := newRelayFixture(m, msgrChainA)
	e := relayEnv(t, f)
	_, left, err := e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := RelayMessageGas + RelayMessageWordGas*wordsBeyond(f.input, 7) + ValidateMessageGas +
		RelayETHGas + 25000 + CrossDomainMessageContextGas + MintGas
	mustEqual(t, "gas", msgrGas-left, want)
	mustEqual(t, "paid", e.state.GetBalance(fresh).Uint64(), uint64(1))
	// Zero amount: nothing paid, no new account charged.
	m.Message, m.Nonce = EncodeRelayETH(sender, fresh, u256(0)), *u256(1)
	f = newRelayFixture(m, msgrChainA)
	e = relayEnv(t, f)
	if _, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "zero amount", e.state.GetBalance(fresh).IsZero(), true)
}

func TestSendETHReverts(t *testing.T) {
	good := EncodeSendETH(ethRecipient, u256(msgrChainB))
	for _, c := range []struct {
		name  string
		in    []byte
		kind  gethvm.OpCode
		value uint64
		gas   uint64
		err   error
		ret   []byte
	}{
		{name: "zero recipient", in: EncodeSendETH(common.Address{}, u256(msgrChainB)), value: 5, ret: revertZeroAddress[:]},
		{name: "to this chain (bubbled)", in: EncodeSendETH(ethRecipient, u256(msgrChainA)), value: 5, ret: RevertMessageDestinationSameChain[:]},
		{name: "staticcall", in: good, kind: gethvm.STATICCALL},
		{name: "delegatecall", in: good, kind: gethvm.DELEGATECALL, value: 5},
		{name: "callcode", in: good, kind: gethvm.CALLCODE, value: 5},
		{name: "dirty recipient padding", in: setWord(good, 0, common.HexToHash("0x01000000000000000000000000000000000000000000000000000000000e7401")), value: 5},
		{name: "short", in: good[:4+40], value: 5},
		{name: "out of gas for the nested calls", in: good, value: 5, gas: SendETHGas + BurnGas + 100},
		{name: "out of gas", in: good, value: 5, gas: SendETHGas - 1, err: gethvm.ErrOutOfGas},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := msgrEnv(t, msgrChainA, nil)
			before := e.balances(sender, liquidityAddr, ethBridgeAddr)
			kind := c.kind
			if kind == 0 {
				kind = gethvm.CALL
			}
			var (
				ret []byte
				err error
			)
			if c.gas != 0 {
				ret, _, err = e.evm.Call(sender, ethBridgeAddr, c.in, c.gas, u256(c.value))
			} else {
				ret, _, err = e.callFrom(kind, sender, ethBridgeAddr, c.in, c.value)
			}
			want := c.err
			if want == nil {
				want = gethvm.ErrExecutionReverted
			}
			if !errors.Is(err, want) || !bytes.Equal(ret, c.ret) {
				t.Fatalf("ret %x err %v, want %x %v", ret, err, c.ret, want)
			}
			after := e.balances(sender, liquidityAddr, ethBridgeAddr)
			for i := range before {
				mustEqual(t, "balance unchanged", after[i].Eq(before[i]), true)
			}
			mustEqual(t, "logs", len(e.state.Logs()), 0)
			mustEqual(t, "no message", e.state.GetState(messengerAddr, MessengerNonceSlot), common.Hash{})
		})
	}
}

// relayETH, mint and burn refuse every caller but the expected one.
func TestETHUnauthorized(t *testing.T) {
	e := msgrEnv(t, msgrChainB, nil)
	for _, c := range []struct {
		name   string
		caller common.Address
		to     common.Address
		in     []byte
		value  uint64
		ret    []byte
	}{
		{"relayETH from an account", sender, ethBridgeAddr, EncodeRelayETH(sender, ethRecipient, u256(1)), 0, revertUnauthorized[:]},
		{"relayETH from the bridge itself", ethBridgeAddr, ethBridgeAddr, EncodeRelayETH(sender, ethRecipient, u256(1)), 0, revertUnauthorized[:]},
		// From the messenger outside a relay: the context read reverts NotEntered (bubbled).
		{"relayETH from the messenger outside a relay", messengerAddr, ethBridgeAddr, EncodeRelayETH(sender, ethRecipient, u256(1)), 0, RevertNotEntered[:]},
		{"relayETH with value", messengerAddr, ethBridgeAddr, EncodeRelayETH(sender, ethRecipient, u256(1)), 1, nil},
		{"mint from an account", sender, liquidityAddr, EncodeLiquidityMint(u256(1)), 0, revertUnauthorized[:]},
		{"mint from the messenger", messengerAddr, liquidityAddr, EncodeLiquidityMint(u256(1)), 0, revertUnauthorized[:]},
		{"burn from an account", sender, liquidityAddr, SelectorLiquidityBurn[:], 9, revertUnauthorized[:]},
		{"mint with value", ethBridgeAddr, liquidityAddr, EncodeLiquidityMint(u256(1)), 1, nil},
		{"mint short", ethBridgeAddr, liquidityAddr, EncodeLiquidityMint(u256(1))[:20], 0, nil},
		{"mint beyond the balance", ethBridgeAddr, liquidityAddr, EncodeLiquidityMint(new(uint256.Int).Lsh(u256(1), 249)), 0, nil},
	} {
		e.state.SetBalance(c.caller, uint256.NewInt(1e18), 0)
		before := e.balances(c.caller, liquidityAddr, ethBridgeAddr, ethRecipient)
		ret, _, err := e.callFrom(gethvm.CALL, c.caller, c.to, c.in, c.value)
		mustRevert(t, c.name, ret, err, c.ret)
		after := e.balances(c.caller, liquidityAddr, ethBridgeAddr, ethRecipient)
		for i := range before {
			mustEqual(t, c.name+": balance unchanged", after[i].Eq(before[i]), true)
		}
		mustEqual(t, c.name+": logs", len(e.state.Logs()), 0)
	}
	// A relayed message to the bridge whose sender is not the bridge (anyone can send one)
	// is refused: the relay reverts with Unauthorized and pays nothing.
	m := SentMessage{Destination: *u256(msgrChainB), Target: ethBridgeAddr, Nonce: *u256(0), Sender: sender, Message: EncodeRelayETH(sender, ethRecipient, u256(1))}
	f := newRelayFixture(m, msgrChainA)
	e = relayEnv(t, f)
	ret, _, err := e.callFrom(gethvm.CALL, sender, messengerAddr, f.input, 0)
	mustRevert(t, "forged relayETH", ret, err, revertUnauthorized[:])
	mustEqual(t, "recipient unpaid", e.state.GetBalance(ethRecipient).IsZero(), true)
	// Under DELEGATECALL or STATICCALL nothing runs.
	for _, kind := range []gethvm.OpCode{gethvm.DELEGATECALL, gethvm.CALLCODE, gethvm.STATICCALL} {
		ret, _, err := e.callFrom(kind, messengerAddr, ethBridgeAddr, EncodeRelayETH(sender, ethRecipient, u256(1)), 0)
		mustRevert(t, kind.String()+" relayETH", ret, err, nil)
		ret, _, err = e.callFrom(kind, ethBridgeAddr, liquidityAddr, EncodeLiquidityMint(u256(1)), 0)
		mustRevert(t, kind.String()+" mint", ret, err, nil)
	}
}

// ETHLiquidity called by the bridge: burn keeps the value, mint pays the caller, each with
// its log and fixed gas.
func TestETHLiquidity(t *testing.T) {
	e := msgrEnv(t, msgrChainB, nil)
	e.state.SetBalance(ethBridgeAddr, uint256.NewInt(100), 0)
	_, left, err := e.callFrom(gethvm.CALL, ethBridgeAddr, liquidityAddr, SelectorLiquidityBurn[:], 60)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "burn gas", msgrGas-left, BurnGas)
	mustEqual(t, "bridge after burn", e.state.GetBalance(ethBridgeAddr).Uint64(), uint64(40))
	mustEqual(t, "liquidity after burn", e.state.GetBalance(liquidityAddr).Eq(new(uint256.Int).AddUint64(liquidityGenesis, 60)), true)
	_, left, err = e.callFrom(gethvm.CALL, ethBridgeAddr, liquidityAddr, EncodeLiquidityMint(u256(25)), 0)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "mint gas", msgrGas-left, MintGas)
	mustEqual(t, "bridge after mint", e.state.GetBalance(ethBridgeAddr).Uint64(), uint64(65))
	logs := e.state.Logs()
	mustEqual(t, "logs", len(logs), 2)
	for i, c := range []struct {
		topic common.Hash
		value uint64
	}{{LiquidityBurnedTopic, 60}, {LiquidityMintedTopic, 25}} {
		mustEqual(t, "address", logs[i].Address, liquidityAddr)
		mustEqual(t, "topics", [2]common.Hash(logs[i].Topics), [2]common.Hash{c.topic, common.BytesToHash(ethBridgeAddr[:])})
		mustEqual(t, "value", common.BytesToHash(logs[i].Data), hashWord(c.value))
	}
	for _, a := range []common.Address{ethBridgeAddr, liquidityAddr} {
		ret, _, err := e.callFrom(gethvm.STATICCALL, sender, a, selectorVersionGetter[:], 0)
		if err != nil || !bytes.Equal(ret, encString(MessengerVersion)) {
			t.Fatalf("version of %s: %x %v", a, ret, err)
		}
	}
}

// Malformed calldata to the bridge and ETHLiquidity reverts with empty data and keeps the
// gas left after the cost; unknown selectors and input shorter than 4 bytes are uncharged.
func TestETHMalformedCalldata(t *testing.T) {
	for _, c := range []struct {
		name string
		to   common.Address
		in   []byte
		cost uint64
	}{
		{"sendETH selector only", ethBridgeAddr, SelectorSendETH[:], SendETHGas},
		{"sendETH one word", ethBridgeAddr, EncodeSendETH(ethRecipient, u256(1))[:36], SendETHGas},
		{"relayETH two words", ethBridgeAddr, EncodeRelayETH(sender, ethRecipient, u256(1))[:68], RelayETHGas},
		{"relayETH dirty from", ethBridgeAddr, setWord(EncodeRelayETH(sender, ethRecipient, u256(0)), 0, common.HexToHash("0xff000000000000000000000000000000000000000000000000000000000000aa")), RelayETHGas},
		{"mint selector only", liquidityAddr, SelectorLiquidityMint[:], MintGas},
		{"bridge unknown selector", ethBridgeAddr, []byte{0xde, 0xad, 0xbe, 0xef}, 0},
		{"liquidity 2 bytes", liquidityAddr, []byte{0x44, 0xdf}, 0},
		{"liquidity empty", liquidityAddr, nil, 0},
	} {
		e := msgrEnv(t, msgrChainB, nil)
		ret, left, err := e.callFrom(gethvm.CALL, messengerAddr, c.to, c.in, 0)
		mustRevert(t, c.name, ret, err, nil)
		mustEqual(t, c.name+" gas", msgrGas-left, c.cost)
	}
}

// Bytes after the arguments (viem's dataSuffix) are ignored by sendETH and sendMessage and
// paid for per word.
func TestTrailingCalldata(t *testing.T) {
	suffix := []byte("dataSuffix: 0xabcdef, more than a word of it")
	e := msgrEnv(t, msgrChainA, nil)
	ret, _, err := e.callFrom(gethvm.CALL, sender, ethBridgeAddr, append(EncodeSendETH(ethRecipient, u256(msgrChainB)), suffix...), 7)
	if err != nil {
		t.Fatalf("sendETH with a suffix: %v %x", err, ret)
	}
	m := SentMessage{Destination: *u256(msgrChainB), Target: ethBridgeAddr, Nonce: *u256(0), Sender: ethBridgeAddr, Message: EncodeRelayETH(sender, ethRecipient, u256(7))}
	mustEqual(t, "hash", common.BytesToHash(ret), m.Hash(u256(msgrChainA)))

	in := EncodeSendMessage(u256(msgrChainB), probeAddr, []byte("body"))
	ret, left, err := e.callFrom(gethvm.CALL, sender, messengerAddr, append(append([]byte(nil), in...), suffix...), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := SentMessage{Destination: *u256(msgrChainB), Target: probeAddr, Nonce: *u256(1), Sender: sender, Message: []byte("body")}
	mustEqual(t, "message hash", common.BytesToHash(ret), want.Hash(u256(msgrChainA)))
	mustEqual(t, "suffix charged", msgrGas-left, SendMessageGas+SendMessageWordGas*wordsBeyond(append(in, suffix...), 4))
}
