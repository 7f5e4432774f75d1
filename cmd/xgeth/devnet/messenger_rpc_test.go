package devnet_test

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	xparams "github.com/xgeth/xgeth/params"
	xvm "github.com/xgeth/xgeth/vm"
)

// The messenger's invariants as an app sees them, through JSON-RPC on a running devnet.

func errSelector(sig string) []byte { return crypto.Keccak256([]byte(sig))[:4] }

// contextRecorder is runtime code that reads the messenger's crossDomainMessageContext() with
// a STATICCALL and stores its sender in slot 0 and its source in slot 1; it reverts when the
// getter does (outside a relay).
func contextRecorder() []byte {
	code := []byte{0x63, 0x79, 0x36, 0xcb, 0xee, 0x60, 0xe0, 0x1b, 0x60, 0x00, 0x52, // MSTORE(0, selector << 224)
		0x60, 0x40, 0x60, 0x00, 0x60, 0x04, 0x60, 0x00, 0x73} // out 0..64, in 0..4, to
	code = append(code, xparams.L2ToL2CrossDomainMessengerAddress[:]...)
	return append(code,
		0x5a, 0xfa, 0x15, 0x60, 0x3b, 0x57, // GAS STATICCALL ISZERO PUSH1 fail JUMPI
		0x60, 0x00, 0x51, 0x60, 0x00, 0x55, // SSTORE(0, MLOAD(0))
		0x60, 0x20, 0x51, 0x60, 0x01, 0x55, // SSTORE(1, MLOAD(32))
		0x00,                               // STOP
		0x5b, 0x60, 0x00, 0x60, 0x00, 0xfd) // fail: REVERT(0, 0)
}

// Inside a relay the target reads who sent the message and from where; outside one the
// getters revert with NotEntered(), and so does the target.
func TestMessengerContextGettersOverRPC(t *testing.T) {
	t.Parallel()
	d, ctx, cs, _ := startRelayDevnet(t, nil)
	a, b := cs[0], cs[1]
	acct := d.Accounts[0]
	rec := common.HexToAddress("0x00000000000000000000000000000000000c0de1")
	rb := mustDial(ctx, t, d.Chains[1].HTTPEndpoint())
	defer rb.Close()
	if err := rb.CallContext(ctx, nil, "anvil_setCode", rec, hexutil.Bytes(contextRecorder())); err != nil {
		t.Fatal(err)
	}

	msgr := xparams.L2ToL2CrossDomainMessengerAddress
	for _, getter := range []string{"crossDomainMessageSender()", "crossDomainMessageSource()", "crossDomainMessageContext()"} {
		_, err := b.CallContract(ctx, ethereum.CallMsg{To: &msgr, Data: errSelector(getter)}, nil)
		if got := revertData(err); !bytes.Equal(got, errSelector("NotEntered()")) {
			t.Errorf("%s outside a relay: err %v, revert data %x, want NotEntered()", getter, err, got)
		}
	}
	if r := sendTx(ctx, t, b, acct, &rec, nil, nil, 100_000); r.Status != types.ReceiptStatusFailed {
		t.Errorf("the recorder called outside a relay did not revert")
	}

	h, _ := sendL2ToL2(ctx, t, a, 901, acct, 902, rec, []byte{0x12, 0x34})
	waitStatus(ctx, t, d.Chains[0].HTTPEndpoint(), h, devnet.StateRelayed)
	sender, err := b.StorageAt(ctx, rec, common.Hash{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	source, err := b.StorageAt(ctx, rec, common.BigToHash(big.NewInt(1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if common.BytesToAddress(sender) != acct.Address || new(big.Int).SetBytes(source).Uint64() != 901 {
		t.Errorf("inside the relay the target saw sender %x source %x, want %s and 901", sender, source, acct.Address)
	}
}

// resendMessage re-emits a message this chain sent, with the same fields, and the re-emitted
// log is relayable; a message it never sent is refused with InvalidMessage().
func TestMessengerResendOverRPC(t *testing.T) {
	t.Parallel()
	d, ctx, cs := startDevnet(t, devnet.DefaultConfig(), httpURL) // no auto-relay: relays here are by hand
	a, b := cs[0], cs[1]
	sender, other := d.Accounts[0], d.Accounts[1]
	target := common.HexToAddress("0x00000000000000000000000000000000000000aa") // no code: the call succeeds
	msgr := xparams.L2ToL2CrossDomainMessengerAddress

	sent := msgrSend(ctx, t, a, sender, msgr, xvm.EncodeSendMessage(uint256.NewInt(902), target, []byte("hello")), nil, nil, 300_000)
	first := sentMessageOf(t, sent)
	m := xvm.SentMessage{Destination: *uint256.NewInt(902), Target: target, Nonce: first.Nonce, Sender: sender.Address, Message: []byte("hello")}
	resent := msgrSend(ctx, t, a, other, msgr, xvm.EncodeResendMessage(&m), nil, nil, 300_000)
	if resent.Status != types.ReceiptStatusSuccessful {
		t.Fatal("resendMessage of a sent message failed")
	}
	again := sentMessageOf(t, resent)
	if again.Hash(uint256.NewInt(901)) != first.Hash(uint256.NewInt(901)) || again.Sender != sender.Address {
		t.Fatalf("resent message %+v differs from the sent one %+v", again, first)
	}
	relay := msgrRelayOf(ctx, t, a, resent, 901)
	if r := msgrSend(ctx, t, b, other, msgr, relay.input, nil, relay.list, 500_000); r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("relay of the resent log failed")
	}

	never := m
	never.Nonce = *uint256.NewInt(99)
	_, err := a.EstimateGas(ctx, ethereum.CallMsg{From: other.Address, To: &msgr, Data: xvm.EncodeResendMessage(&never)})
	if got := revertData(err); !bytes.Equal(got, errSelector("InvalidMessage()")) {
		t.Errorf("resend of a message never sent: err %v, data %x, want InvalidMessage()", err, got)
	}
}

// An underpaid relay (too little gas) fails without marking the message relayed, and a relay
// with enough gas succeeds afterwards; sendETH to the zero address is refused before anything
// is sent.
func TestUnderpaidRelayAndZeroAddressOverRPC(t *testing.T) {
	t.Parallel()
	d, ctx, cs := startDevnet(t, devnet.DefaultConfig(), httpURL)
	a, b := cs[0], cs[1]
	acct := d.Accounts[0]
	msgr := xparams.L2ToL2CrossDomainMessengerAddress
	target := common.HexToAddress("0x00000000000000000000000000000000000000bb")

	sent := msgrSend(ctx, t, a, acct, msgr, xvm.EncodeSendMessage(uint256.NewInt(902), target, []byte("pay me")), nil, nil, 300_000)
	m := sentMessageOf(t, sent)
	hash := m.Hash(uint256.NewInt(901))
	relay := msgrRelayOf(ctx, t, a, sent, 901)
	gas, err := b.EstimateGas(ctx, ethereum.CallMsg{From: acct.Address, To: &msgr, Data: relay.input, AccessList: relay.list})
	if err != nil {
		t.Fatalf("estimate of the relay: %v", err)
	}
	if r := msgrSend(ctx, t, b, acct, msgr, relay.input, nil, relay.list, gas*2/3); r.Status != types.ReceiptStatusFailed {
		t.Fatal("a relay with two thirds of the estimate succeeded")
	}
	done := func() bool {
		out, err := b.CallContract(ctx, ethereum.CallMsg{To: &msgr, Data: append(errSelector("successfulMessages(bytes32)"), hash[:]...)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(out).Sign() != 0
	}
	if done() {
		t.Fatal("the underpaid relay marked the message relayed")
	}
	if r := msgrSend(ctx, t, b, acct, msgr, relay.input, nil, relay.list, gas); r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("the relay at the estimate failed after an underpaid one")
	}
	if !done() {
		t.Fatal("the relay at the estimate did not mark the message relayed")
	}

	bridge := xparams.SuperchainETHBridgeAddress
	_, err = a.EstimateGas(ctx, ethereum.CallMsg{From: acct.Address, To: &bridge, Value: big.NewInt(1e18), Data: xvm.EncodeSendETH(common.Address{}, uint256.NewInt(902))})
	if got := revertData(err); !bytes.Equal(got, errSelector("ZeroAddress()")) {
		t.Errorf("sendETH to the zero address: err %v, data %x, want ZeroAddress()", err, got)
	}
}

// sentMessageOf decodes the SentMessage log of receipt r.
func sentMessageOf(t *testing.T, r *types.Receipt) xvm.SentMessage {
	t.Helper()
	for _, l := range r.Logs {
		if l.Address == xparams.L2ToL2CrossDomainMessengerAddress && len(l.Topics) > 0 && l.Topics[0] == xvm.SentMessageTopic {
			m, err := xvm.DecodeSentMessage(append(topicsBytes(l.Topics), l.Data...))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("no SentMessage log in %s", r.TxHash)
	return xvm.SentMessage{}
}
