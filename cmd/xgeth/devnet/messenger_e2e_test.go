package devnet_test

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	xparams "github.com/xgeth/xgeth/params"
	xvm "github.com/xgeth/xgeth/vm"
)

// The relays below are built by hand from the SentMessage log: these tests never rely on
// the devnet's auto-relay (off in devnet.DefaultConfig).

// msgrRelay is a relay of the SentMessage log in receipt r of chain source: the message, the
// relayMessage calldata and the access list that declares it.
type msgrRelay struct {
	msg   message.Message
	input []byte
	list  types.AccessList
}

func msgrRelayOf(ctx context.Context, t *testing.T, c *ethclient.Client, r *types.Receipt, source uint64) msgrRelay {
	t.Helper()
	for _, l := range r.Logs {
		if l.Address != xparams.L2ToL2CrossDomainMessengerAddress || len(l.Topics) == 0 || l.Topics[0] != xvm.SentMessageTopic {
			continue
		}
		header, err := c.HeaderByHash(ctx, l.BlockHash)
		if err != nil {
			t.Fatal(err)
		}
		msg := message.OfLog(l, header.Time, uint256.NewInt(source))
		return msgrRelay{
			msg:   msg,
			input: xvm.EncodeRelayMessage(&msg.Identifier, message.Payload(l.Topics, l.Data)),
			list:  accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)}),
		}
	}
	t.Fatalf("no SentMessage log in %s", r.TxHash)
	return msgrRelay{}
}

// msgrSend signs and sends a dynamic-fee transaction with value and waits for its receipt.
func msgrSend(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account, to common.Address, data []byte, value *big.Int, al types.AccessList, gas uint64) *types.Receipt {
	t.Helper()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := c.PendingNonceAt(ctx, from.Address)
	if err != nil {
		t.Fatal(err)
	}
	tx := types.MustSignNewTx(from.Key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000),
		Gas: gas, To: &to, Value: value, Data: data, AccessList: al,
	})
	return sendSigned(ctx, t, c, tx)
}

// revertData is the revert data of a failed eth_call or eth_estimateGas.
func revertData(err error) []byte {
	var de rpc.DataError
	if !errors.As(err, &de) {
		return nil
	}
	s, _ := de.ErrorData().(string)
	return common.FromHex(s)
}

// A message sent with the messenger on 901 is relayed on 902 by a transaction built here:
// the target runs with the message, RelayedMessage is emitted, and a second relay of the
// same message is refused.
func TestMessengerRelayEndToEnd(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	src, dst := clients[0], clients[1]
	user, relayer := d.Accounts[0], d.Accounts[1]
	messenger := xparams.L2ToL2CrossDomainMessengerAddress

	// The target on 902 logs LOG1(0x01, calldata) whenever it is called.
	target := deployEmitter(ctx, t, dst, user)
	body := []byte("hello 902, from the messenger on 901")
	sent := msgrSend(ctx, t, src, user, messenger, xvm.EncodeSendMessage(uint256.NewInt(902), target, body), nil, nil, 300_000)
	if sent.Status != types.ReceiptStatusSuccessful {
		t.Fatal("sendMessage failed")
	}
	rel := msgrRelayOf(ctx, t, src, sent, 901)
	if rel.msg.Identifier.Origin != messenger || rel.msg.Identifier.BlockNumber != sent.BlockNumber.Uint64() {
		t.Fatalf("identifier %+v", rel.msg.Identifier)
	}
	waitIndexed(ctx, t, d.Chains[1], 901, rel.msg.Identifier.BlockNumber)

	// eth_estimateGas of the relay with its access list; without it the relay reverts.
	call := ethereum.CallMsg{From: relayer.Address, To: &messenger, Data: rel.input, AccessList: rel.list}
	gas, err := dst.EstimateGas(ctx, call)
	if err != nil {
		t.Fatalf("estimating the relay: %v", err)
	}
	noList := call
	noList.AccessList = nil
	if _, err := dst.EstimateGas(ctx, noList); err == nil || !bytes.Equal(revertData(err), xvm.RevertNotInAccessList[:]) {
		t.Fatalf("estimate without the access list: %v (%x), want NotInAccessList", err, revertData(err))
	}

	r := msgrSend(ctx, t, dst, relayer, messenger, rel.input, nil, rel.list, gas)
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("relay failed at the estimated gas %d", gas)
	}
	if len(r.Logs) != 3 {
		t.Fatalf("relay logs: %d, want ExecutingMessage, the target's log, RelayedMessage", len(r.Logs))
	}
	exec, err := event.DecodeExecutingMessage(r.Logs[0])
	if err != nil || exec == nil || exec.Identifier != rel.msg.Identifier || exec.MsgHash != rel.msg.MsgHash {
		t.Fatalf("executing message %+v (%v), want %+v", exec, err, rel.msg)
	}
	if l := r.Logs[1]; l.Address != target || !bytes.Equal(l.Data, body) {
		t.Fatalf("target log %+v: the target was not called with the message", l)
	}
	wantHash := xvm.MessengerMessageHash(uint256.NewInt(902), uint256.NewInt(901), uint256.NewInt(0), user.Address, target, body)
	relayed := r.Logs[2]
	if relayed.Address != messenger || relayed.Topics[0] != xvm.RelayedMessageTopic ||
		relayed.Topics[1] != common.BigToHash(big.NewInt(901)) || relayed.Topics[3] != wantHash ||
		common.BytesToHash(relayed.Data) != crypto.Keccak256Hash(nil) {
		t.Fatalf("RelayedMessage %+v", relayed)
	}
	done, err := dst.CallContract(ctx, ethereum.CallMsg{To: &messenger, Data: append(xvm.SelectorSuccessfulMessages[:], wantHash[:]...)}, nil)
	if err != nil || new(big.Int).SetBytes(done).Uint64() != 1 {
		t.Fatalf("successfulMessages(%s) = %x, %v", wantHash, done, err)
	}

	// The same relay again: eth_call says MessageAlreadyRelayed, a transaction reverts.
	if _, err := dst.CallContract(ctx, call, nil); !bytes.Equal(revertData(err), xvm.RevertMessageAlreadyRelayed[:]) {
		t.Fatalf("second relay by eth_call: %v (%x), want MessageAlreadyRelayed", err, revertData(err))
	}
	again := msgrSend(ctx, t, dst, relayer, messenger, rel.input, nil, rel.list, gas)
	if again.Status != types.ReceiptStatusFailed || len(again.Logs) != 0 {
		t.Fatalf("second relay: status %d, %d logs", again.Status, len(again.Logs))
	}
}

// msgrBalances reads the balances of addrs at block n.
func msgrBalances(ctx context.Context, t *testing.T, c *ethclient.Client, n *big.Int, addrs []common.Address) []*big.Int {
	t.Helper()
	out := make([]*big.Int, len(addrs))
	for i, a := range addrs {
		b, err := c.BalanceAt(ctx, a, n)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func msgrSum(xs []*big.Int) *big.Int {
	s := new(big.Int)
	for _, x := range xs {
		s.Add(s, x)
	}
	return s
}

// msgrFeeAccounts are where an OP chain's fees go.
func msgrFeeAccounts(ctx context.Context, t *testing.T, c *ethclient.Client, n *big.Int) []common.Address {
	t.Helper()
	h, err := c.HeaderByNumber(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return []common.Address{h.Coinbase, gethparams.OptimismBaseFeeRecipient, gethparams.OptimismL1FeeRecipient, gethparams.OptimismOperatorFeeRecipient}
}

// ETH sent with SuperchainETHBridge.sendETH on 901 and relayed by hand on 902 reaches the
// recipient; over both chains no ETH appears or disappears: each block's touched accounts
// (fee vaults included) keep their sum, and users lose exactly the fees.
func TestSuperchainETHBridgeEndToEnd(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	src, dst := clients[0], clients[1]
	user, relayer := d.Accounts[2], d.Accounts[3]
	key, _ := crypto.GenerateKey()
	recipient := crypto.PubkeyToAddress(key.PublicKey)
	bridge, liquidity, messenger := xparams.SuperchainETHBridgeAddress, xparams.ETHLiquidityAddress, xparams.L2ToL2CrossDomainMessengerAddress
	value := new(big.Int).Mul(big.NewInt(15), big.NewInt(1e17)) // 1.5 ETH

	// 901: sendETH. The block's touched accounts keep their sum.
	sent := msgrSend(ctx, t, src, user, bridge, xvm.EncodeSendETH(recipient, uint256.NewInt(902)), value, nil, 300_000)
	if sent.Status != types.ReceiptStatusSuccessful {
		t.Fatal("sendETH failed")
	}
	n := sent.BlockNumber
	prev := new(big.Int).Sub(n, big.NewInt(1))
	fees901 := msgrFeeAccounts(ctx, t, src, n)
	watched901 := append([]common.Address{user.Address, bridge, liquidity, messenger}, fees901...)
	before901, after901 := msgrBalances(ctx, t, src, prev, watched901), msgrBalances(ctx, t, src, n, watched901)
	if msgrSum(before901).Cmp(msgrSum(after901)) != 0 {
		t.Fatalf("901: ETH not conserved in block %v: %v → %v", n, msgrSum(before901), msgrSum(after901))
	}
	fee901 := new(big.Int).Sub(msgrSum(after901[4:]), msgrSum(before901[4:]))
	if got := new(big.Int).Sub(after901[2], before901[2]); got.Cmp(value) != 0 {
		t.Fatalf("901: ETHLiquidity gained %v, want %v", got, value)
	}
	if got := new(big.Int).Sub(before901[0], after901[0]); got.Cmp(new(big.Int).Add(value, fee901)) != 0 {
		t.Fatalf("901: user paid %v, want value %v + fees %v", got, value, fee901)
	}

	// 902: relay by hand.
	rel := msgrRelayOf(ctx, t, src, sent, 901)
	waitIndexed(ctx, t, d.Chains[1], 901, rel.msg.Identifier.BlockNumber)
	gas, err := dst.EstimateGas(ctx, ethereum.CallMsg{From: relayer.Address, To: &messenger, Data: rel.input, AccessList: rel.list})
	if err != nil {
		t.Fatalf("estimating the relay: %v", err)
	}
	r := msgrSend(ctx, t, dst, relayer, messenger, rel.input, nil, rel.list, gas)
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("relay of relayETH failed")
	}
	m := r.BlockNumber
	mprev := new(big.Int).Sub(m, big.NewInt(1))
	fees902 := msgrFeeAccounts(ctx, t, dst, m)
	watched902 := append([]common.Address{relayer.Address, recipient, bridge, liquidity, messenger}, fees902...)
	before902, after902 := msgrBalances(ctx, t, dst, mprev, watched902), msgrBalances(ctx, t, dst, m, watched902)
	if msgrSum(before902).Cmp(msgrSum(after902)) != 0 {
		t.Fatalf("902: ETH not conserved in block %v", m)
	}
	fee902 := new(big.Int).Sub(msgrSum(after902[5:]), msgrSum(before902[5:]))
	if after902[1].Cmp(value) != 0 || before902[1].Sign() != 0 {
		t.Fatalf("902: recipient holds %v (before %v), want %v", after902[1], before902[1], value)
	}
	if got := new(big.Int).Sub(before902[3], after902[3]); got.Cmp(value) != 0 {
		t.Fatalf("902: ETHLiquidity released %v, want %v", got, value)
	}
	// Users over both chains: they lost exactly the fees of the two transactions.
	usersBefore := new(big.Int).Add(before901[0], before902[0])
	usersBefore.Add(usersBefore, before902[1])
	usersAfter := new(big.Int).Add(after901[0], after902[0])
	usersAfter.Add(usersAfter, after902[1])
	if lost := new(big.Int).Sub(usersBefore, usersAfter); lost.Cmp(new(big.Int).Add(fee901, fee902)) != 0 {
		t.Fatalf("users lost %v, want the fees %v + %v", lost, fee901, fee902)
	}
	// The ETHLiquidity pools moved by opposite amounts.
	d901 := new(big.Int).Sub(after901[2], before901[2])
	d902 := new(big.Int).Sub(after902[3], before902[3])
	if new(big.Int).Add(d901, d902).Sign() != 0 {
		t.Fatalf("ETHLiquidity: %v on 901, %v on 902", d901, d902)
	}
	var relayETH *types.Log
	for _, l := range r.Logs {
		if l.Address == bridge && l.Topics[0] == xvm.RelayETHTopic {
			relayETH = l
		}
	}
	if relayETH == nil || relayETH.Topics[1] != common.BytesToHash(user.Address[:]) || relayETH.Topics[2] != common.BytesToHash(recipient[:]) {
		t.Fatalf("RelayETH log %+v", relayETH)
	}
}
