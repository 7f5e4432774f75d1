package devnet_test

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	xparams "github.com/xgeth/xgeth/params"
)

// The client-side ABI of the test token, the SuperchainTokenBridge and the messenger, as an
// application built for supersim carries it.
var superchainTokenABI = func() abi.ABI {
	a, err := abi.JSON(strings.NewReader(`[
{"type":"function","name":"name","inputs":[],"outputs":[{"type":"string"}],"stateMutability":"view"},
{"type":"function","name":"symbol","inputs":[],"outputs":[{"type":"string"}],"stateMutability":"view"},
{"type":"function","name":"decimals","inputs":[],"outputs":[{"type":"uint8"}],"stateMutability":"view"},
{"type":"function","name":"totalSupply","inputs":[],"outputs":[{"type":"uint256"}],"stateMutability":"view"},
{"type":"function","name":"balanceOf","inputs":[{"name":"owner","type":"address"}],"outputs":[{"type":"uint256"}],"stateMutability":"view"},
{"type":"function","name":"mint","inputs":[{"name":"_to","type":"address"},{"name":"_amount","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
{"type":"function","name":"sendERC20","inputs":[{"name":"_token","type":"address"},{"name":"_to","type":"address"},{"name":"_amount","type":"uint256"},{"name":"_chainId","type":"uint256"}],"outputs":[{"name":"msgHash_","type":"bytes32"}],"stateMutability":"nonpayable"},
{"type":"function","name":"relayERC20","inputs":[{"name":"_token","type":"address"},{"name":"_from","type":"address"},{"name":"_to","type":"address"},{"name":"_amount","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
{"type":"function","name":"relayMessage","inputs":[{"name":"_id","type":"tuple","components":[{"name":"origin","type":"address"},{"name":"blockNumber","type":"uint256"},{"name":"logIndex","type":"uint256"},{"name":"timestamp","type":"uint256"},{"name":"chainId","type":"uint256"}]},{"name":"_sentMessage","type":"bytes"}],"outputs":[{"type":"bytes"}],"stateMutability":"payable"},
{"type":"event","name":"Transfer","inputs":[{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false}]},
{"type":"event","name":"CrosschainBurn","inputs":[{"name":"from","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"sender","type":"address","indexed":true}]},
{"type":"event","name":"CrosschainMint","inputs":[{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"sender","type":"address","indexed":true}]},
{"type":"event","name":"SendERC20","inputs":[{"name":"token","type":"address","indexed":true},{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"destination","type":"uint256","indexed":false}]},
{"type":"event","name":"RelayERC20","inputs":[{"name":"token","type":"address","indexed":true},{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"amount","type":"uint256","indexed":false},{"name":"source","type":"uint256","indexed":false}]},
{"type":"event","name":"SentMessage","inputs":[{"name":"destination","type":"uint256","indexed":true},{"name":"target","type":"address","indexed":true},{"name":"messageNonce","type":"uint256","indexed":true},{"name":"sender","type":"address","indexed":false},{"name":"message","type":"bytes","indexed":false}]},
{"type":"event","name":"RelayedMessage","inputs":[{"name":"source","type":"uint256","indexed":true},{"name":"messageNonce","type":"uint256","indexed":true},{"name":"messageHash","type":"bytes32","indexed":true},{"name":"returnDataHash","type":"bytes32","indexed":false}]}
]`))
	if err != nil {
		panic(err)
	}
	return a
}()

// e2eIdentifier is the messenger's Identifier tuple for the ABI encoder.
type e2eIdentifier struct {
	Origin      common.Address
	BlockNumber *big.Int
	LogIndex    *big.Int
	Timestamp   *big.Int
	ChainId     *big.Int
}

// TestDevnetSuperchainERC20 bridges the test token from 901 to 902 through JSON-RPC the way
// a supersim application does by hand: mint MOCK on 901, SuperchainTokenBridge.sendERC20 to
// 902 (burned on 901), then relay the SentMessage on 902 with relayMessage and the
// identifier's access list (minted on 902). The total supply moves with the tokens.
func TestDevnetSuperchainERC20(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	src, dst := clients[0], clients[1]
	user, recipient, relayer := d.Accounts[0], d.Accounts[1], d.Accounts[2]
	token, bridge, messenger := xparams.TestTokenAddress, xparams.SuperchainTokenBridgeAddress, xparams.L2ToL2CrossDomainMessengerAddress
	ab := superchainTokenABI
	pack := func(name string, args ...any) []byte {
		in, err := ab.Pack(name, args...)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	view := func(c *ethclient.Client, name string, args ...any) any {
		t.Helper()
		ret, err := c.CallContract(ctx, ethereum.CallMsg{To: &token, Data: pack(name, args...)}, nil)
		if err != nil {
			t.Fatalf("eth_call %s: %v", name, err)
		}
		out, err := ab.Unpack(name, ret)
		if err != nil {
			t.Fatalf("%s returned %x: %v", name, ret, err)
		}
		return out[0]
	}
	amountOf := func(c *ethclient.Client, name string, args ...any) *big.Int { return view(c, name, args...).(*big.Int) }
	// send estimates the transaction's gas with eth_estimateGas and sends it with exactly that.
	send := func(c *ethclient.Client, from devnet.Account, to common.Address, data []byte, al types.AccessList) *types.Receipt {
		t.Helper()
		gas, err := c.EstimateGas(ctx, ethereum.CallMsg{From: from.Address, To: &to, Data: data, AccessList: al})
		if err != nil {
			t.Fatalf("eth_estimateGas %x: %v", data[:4], err)
		}
		r := sendTx(ctx, t, c, from, &to, data, al, gas)
		if r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("transaction %x failed with the estimated %d gas", data[:4], gas)
		}
		return r
	}

	// ERC-20 tooling sees the token on both chains.
	for _, c := range clients {
		if name, sym, dec := view(c, "name"), view(c, "symbol"), view(c, "decimals"); name != "L2NativeSuperchainERC20" || sym != "MOCK" || dec != uint8(18) {
			t.Fatalf("token metadata %v %v %v", name, sym, dec)
		}
	}

	// Mint 1000 MOCK on 901 (open mint).
	minted := new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18))
	sent := new(big.Int).Mul(big.NewInt(250), big.NewInt(1e18))
	send(src, user, token, pack("mint", user.Address, minted), nil)
	if got := amountOf(src, "balanceOf", user.Address); got.Cmp(minted) != 0 {
		t.Fatalf("minted balance %v", got)
	}

	// sendERC20 on 901: the bridge burns and sends relayERC20 to itself on 902.
	r := send(src, user, bridge, pack("sendERC20", token, recipient.Address, sent, big.NewInt(902)), nil)
	if len(r.Logs) != 4 {
		t.Fatalf("sendERC20: %d logs, want Transfer, CrosschainBurn, SentMessage, SendERC20", len(r.Logs))
	}
	for i, want := range []struct {
		addr  common.Address
		event string
	}{{token, "Transfer"}, {token, "CrosschainBurn"}, {messenger, "SentMessage"}, {bridge, "SendERC20"}} {
		if l := r.Logs[i]; l.Address != want.addr || l.Topics[0] != ab.Events[want.event].ID {
			t.Fatalf("log %d: %s %x, want %s from %s", i, l.Address, l.Topics[0], want.event, want.addr)
		}
	}
	if r.Logs[3].Topics[3] != common.BytesToHash(recipient.Address[:]) {
		t.Fatal("SendERC20 names the wrong recipient")
	}
	left := new(big.Int).Sub(minted, sent)
	if got := amountOf(src, "balanceOf", user.Address); got.Cmp(left) != 0 {
		t.Fatalf("balance on 901 after sendERC20 %v, want %v", got, left)
	}
	if got := amountOf(src, "totalSupply"); got.Cmp(left) != 0 {
		t.Fatalf("supply on 901 %v, want %v", got, left)
	}

	// The relay on 902: identifier from the SentMessage log, its access list, relayMessage.
	sentLog := r.Logs[2]
	header, err := src.HeaderByHash(ctx, sentLog.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	msg := message.OfLog(sentLog, header.Time, uint256.NewInt(901))
	payload := message.Payload(sentLog.Topics, sentLog.Data)
	id := msg.Identifier
	relayIn := pack("relayMessage", e2eIdentifier{
		Origin: id.Origin, BlockNumber: new(big.Int).SetUint64(id.BlockNumber), LogIndex: big.NewInt(int64(id.LogIndex)),
		Timestamp: new(big.Int).SetUint64(id.Timestamp), ChainId: id.ChainID.ToBig(),
	}, payload)
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&id, msg.MsgHash)})
	waitIndexed(ctx, t, d.Chains[1], 901, id.BlockNumber)
	relayed := send(dst, relayer, messenger, relayIn, al)

	// 902 logs ExecutingMessage, Transfer from zero, CrosschainMint, RelayERC20 (source 901)
	// and RelayedMessage with the messenger's hash of the message.
	if len(relayed.Logs) != 5 {
		t.Fatalf("relay: %d logs, want 5", len(relayed.Logs))
	}
	if relayed.Logs[0].Topics[0] != event.ExecutingMessageTopic || relayed.Logs[0].Topics[1] != msg.MsgHash {
		t.Fatal("relay: no ExecutingMessage for the SentMessage log")
	}
	relayLog := relayed.Logs[3]
	if relayLog.Address != bridge || relayLog.Topics[0] != ab.Events["RelayERC20"].ID ||
		relayLog.Topics[2] != common.BytesToHash(user.Address[:]) || relayLog.Topics[3] != common.BytesToHash(recipient.Address[:]) ||
		!bytes.Equal(relayLog.Data, append(common.BigToHash(sent).Bytes(), common.BigToHash(big.NewInt(901)).Bytes()...)) {
		t.Fatalf("RelayERC20 log %+v", relayLog)
	}
	words, err := abi.Arguments{{Type: tokenE2EType("address")}, {Type: tokenE2EType("bytes")}}.Unpack(sentLog.Data)
	if err != nil {
		t.Fatal(err)
	}
	wantHash := crypto.Keccak256Hash(tokenE2EHashInput(t, big.NewInt(902), big.NewInt(901), sentLog.Topics[3].Big(), words[0], bridge, words[1]))
	if relayed.Logs[4].Topics[0] != ab.Events["RelayedMessage"].ID || relayed.Logs[4].Topics[3] != wantHash {
		t.Fatalf("RelayedMessage %x, want message hash %s", relayed.Logs[4].Topics, wantHash)
	}
	if got := amountOf(dst, "balanceOf", recipient.Address); got.Cmp(sent) != 0 {
		t.Fatalf("recipient's balance on 902 %v, want %v", got, sent)
	}
	if got := amountOf(dst, "totalSupply"); got.Cmp(sent) != 0 {
		t.Fatalf("supply on 902 %v, want %v", got, sent)
	}
	// Supply moved, not created: 901 + 902 = what was minted.
	if total := new(big.Int).Add(amountOf(src, "totalSupply"), amountOf(dst, "totalSupply")); total.Cmp(minted) != 0 {
		t.Fatalf("total supply across chains %v, want %v", total, minted)
	}

	// Relaying again is refused by the messenger; calling relayERC20 directly is refused by
	// the bridge.
	var revert rpc.DataError
	_, err = dst.CallContract(ctx, ethereum.CallMsg{From: relayer.Address, To: &messenger, Data: relayIn, AccessList: al}, nil)
	if !errors.As(err, &revert) || revert.ErrorData() != hexutil.Encode(crypto.Keccak256([]byte("MessageAlreadyRelayed()"))[:4]) {
		t.Fatalf("second relay: %v, want MessageAlreadyRelayed()", err)
	}
	_, err = dst.CallContract(ctx, ethereum.CallMsg{From: relayer.Address, To: &bridge, Data: pack("relayERC20", token, user.Address, relayer.Address, sent)}, nil)
	if !errors.As(err, &revert) || revert.ErrorData() != hexutil.Encode(crypto.Keccak256([]byte("Unauthorized()"))[:4]) {
		t.Fatalf("direct relayERC20: %v, want Unauthorized()", err)
	}
}

func tokenE2EType(s string) abi.Type {
	ty, err := abi.NewType(s, "", nil)
	if err != nil {
		panic(err)
	}
	return ty
}

// tokenE2EHashInput is abi.encode(destination, source, nonce, sender, target, message).
func tokenE2EHashInput(t *testing.T, dest, source, nonce *big.Int, sender any, target common.Address, msg any) []byte {
	t.Helper()
	args := abi.Arguments{{Type: tokenE2EType("uint256")}, {Type: tokenE2EType("uint256")}, {Type: tokenE2EType("uint256")},
		{Type: tokenE2EType("address")}, {Type: tokenE2EType("address")}, {Type: tokenE2EType("bytes")}}
	out, err := args.Pack(dest, source, nonce, sender, target, msg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
