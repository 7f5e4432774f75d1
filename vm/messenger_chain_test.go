package vm

import (
	"bytes"
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/eth/gasestimator"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
)

// msgrHarness is a chain harness whose genesis holds the messenger tests' contracts and
// ETHLiquidity's genesis balance. The predeploy addresses get no code: the messenger must
// keep its own account (and storage) alive.
func msgrHarness(t *testing.T, chainID int64) *chainHarness {
	h := newChainHarness(t, chainID)
	h.genesis.Alloc[probeAddr] = types.Account{Code: probeCode()}
	h.genesis.Alloc[switchAddr] = types.Account{Code: switchCode()}
	h.genesis.Alloc[dropAddr] = types.Account{Code: []byte{0xfe}}
	h.genesis.Alloc[liquidityAddr] = types.Account{Balance: liquidityGenesis.ToBig()}
	return h
}

// chainRelay is what relaying the SentMessage log l of chain source's block takes.
type chainRelay struct {
	msg   message.Message
	input []byte
	list  types.AccessList
}

func relayOfReceiptLog(l *types.Log, blockTime uint64, source uint64) chainRelay {
	msg := message.OfLog(l, blockTime, u256(source))
	return chainRelay{
		msg:   msg,
		input: EncodeRelayMessage(&msg.Identifier, message.Payload(l.Topics, l.Data)),
		list:  accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)}),
	}
}

// sentLog is the SentMessage log of a receipt.
func sentLog(t *testing.T, r *types.Receipt) *types.Log {
	t.Helper()
	for _, l := range r.Logs {
		if l.Address == messengerAddr && l.Topics[0] == SentMessageTopic {
			return l
		}
	}
	t.Fatalf("no SentMessage in receipt of tx %s", r.TxHash)
	return nil
}

// feeAccounts are where an OP chain's fees go: nothing else gains or loses ETH.
func feeAccounts(coinbase common.Address) []common.Address {
	return []common.Address{coinbase, gethparams.OptimismBaseFeeRecipient, gethparams.OptimismL1FeeRecipient, gethparams.OptimismOperatorFeeRecipient}
}

func chainSum(st interface {
	GetBalance(common.Address) *uint256.Int
}, addrs []common.Address) *uint256.Int {
	s := new(uint256.Int)
	for _, a := range addrs {
		s.Add(s, st.GetBalance(a))
	}
	return s
}

// Two real op-geth chains: messages and ETH sent on A are relayed on B by transactions
// carrying their access lists, through block building and import.
func TestChainMessengerRelay(t *testing.T) {
	const value = 3_000_000_000_000
	a := msgrHarness(t, msgrChainA)
	// (The chain maker derives receipt L1-fee fields from the first transaction's data, which
	// must then be at least 176 bytes: the first message body is long enough.)
	body := []byte("to the probe on chain B, a body of more than one word")
	iProbe := a.send(messengerAddr, EncodeSendMessage(u256(msgrChainB), probeAddr, body), 0, nil)
	iSwitch := a.send(messengerAddr, EncodeSendMessage(u256(msgrChainB), switchAddr, hashWord(0x42).Bytes()), 0, nil)
	iETH := a.send(ethBridgeAddr, EncodeSendETH(dropAddr, u256(msgrChainB)), value, nil)
	iLater := a.send(messengerAddr, EncodeSendMessage(u256(msgrChainB), probeAddr, []byte("estimated, never relayed")), 0, nil)
	iSame := a.send(messengerAddr, EncodeSendMessage(u256(msgrChainA), probeAddr, nil), 0, nil)
	ma := a.mine()
	for _, i := range []int{iProbe, iSwitch, iETH, iLater} {
		mustEqual(t, "send status", ma.receipts[i].Status, types.ReceiptStatusSuccessful)
	}
	mustEqual(t, "send to the same chain", ma.receipts[iSame].Status, types.ReceiptStatusFailed)
	// The messenger's account and storage survive the block (no code at 0x…23 here).
	mustEqual(t, "counter after the block", ma.state.GetState(messengerAddr, MessengerNonceSlot), hashWord(4))
	mustEqual(t, "messenger nonce", ma.state.GetNonce(messengerAddr), uint64(1))
	hashProbe := common.BytesToHash(sentHashOf(ma.receipts[iProbe]))
	mustEqual(t, "sentMessages persisted", ma.state.GetState(messengerAddr, mappingSlot(hashProbe, MessengerSentMessagesSlot)), hashWord(1))
	watchedA := append([]common.Address{a.from, ethBridgeAddr, liquidityAddr, messengerAddr}, feeAccounts(ma.block.Coinbase())...)
	genesisA := new(uint256.Int).Add(uint256.MustFromBig(new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil)), liquidityGenesis)
	mustEqual(t, "ETH conserved on A (fees included)", chainSum(ma.state, watchedA).Eq(genesisA), true)
	mustEqual(t, "ETHLiquidity on A", ma.state.GetBalance(liquidityAddr).Eq(new(uint256.Int).AddUint64(liquidityGenesis, value)), true)

	at := ma.block.Time()
	rProbe := relayOfReceiptLog(sentLog(t, ma.receipts[iProbe]), at, msgrChainA)
	rSwitch := relayOfReceiptLog(sentLog(t, ma.receipts[iSwitch]), at, msgrChainA)
	rETH := relayOfReceiptLog(sentLog(t, ma.receipts[iETH]), at, msgrChainA)
	rLater := relayOfReceiptLog(sentLog(t, ma.receipts[iLater]), at, msgrChainA)

	b := msgrHarness(t, msgrChainB)
	relayer := b.from
	var (
		jProbe    = b.sendGas(messengerAddr, rProbe.input, 0, rProbe.list, 500_000)
		jReplay   = b.sendGas(messengerAddr, rProbe.input, 0, rProbe.list, 500_000)
		jBroken   = b.sendGas(messengerAddr, rSwitch.input, 0, rSwitch.list, 500_000)
		jFix      = b.send(switchAddr, nil, 0, nil)
		jRetry    = b.sendGas(messengerAddr, rSwitch.input, 0, rSwitch.list, 500_000)
		jETH      = b.sendGas(messengerAddr, rETH.input, 0, rETH.list, 500_000)
		jUnlisted = b.sendGas(messengerAddr, rLater.input, 0, nil, 500_000)
	)
	mb := b.mine()
	r := mb.receipts
	for name, c := range map[string]struct {
		i    int
		want uint64
	}{
		"relay": {jProbe, 1}, "replay": {jReplay, 0}, "broken target": {jBroken, 0}, "fix": {jFix, 1},
		"retry": {jRetry, 1}, "relayETH": {jETH, 1}, "unlisted": {jUnlisted, 0},
	} {
		mustEqual(t, name+" status", r[c.i].Status, c.want)
	}
	// The relay: ExecutingMessage then RelayedMessage; the probe saw the context.
	logs := r[jProbe].Logs
	mustEqual(t, "relay logs", len(logs), 2)
	exec, err := event.DecodeExecutingMessage(logs[0])
	if err != nil || exec == nil || exec.Identifier != rProbe.msg.Identifier || exec.MsgHash != rProbe.msg.MsgHash {
		t.Fatalf("executing message %+v %v, want %+v", exec, err, rProbe.msg)
	}
	mustEqual(t, "relayed hash", logs[1].Topics[3], hashProbe)
	mustEqual(t, "probe sender", mb.slot(probeAddr, probeSender), common.BytesToHash(a.from[:]))
	mustEqual(t, "probe source", mb.slot(probeAddr, probeSource), hashWord(msgrChainA))
	mustEqual(t, "probe caller", mb.slot(probeAddr, probeCaller), common.BytesToHash(messengerAddr[:]))
	mustEqual(t, "successfulMessages", mb.state.GetState(messengerAddr, mappingSlot(hashProbe, MessengerSuccessfulMessagesSlot)), hashWord(1))
	mustEqual(t, "failed relays log nothing", len(r[jReplay].Logs)+len(r[jBroken].Logs)+len(r[jUnlisted].Logs), 0)
	mustEqual(t, "retried target ran", mb.slot(switchAddr, 1), hashWord(0x42))
	mustEqual(t, "messenger nonce on B", mb.state.GetNonce(messengerAddr), uint64(1))

	// ETH: the recipient (code 0xfe, never run) got the value out of ETHLiquidity; B's ETH
	// is conserved with fees; over both chains users lost exactly the fees.
	mustEqual(t, "recipient", mb.state.GetBalance(dropAddr).Uint64(), uint64(value))
	mustEqual(t, "ETHLiquidity on B", mb.state.GetBalance(liquidityAddr).Eq(new(uint256.Int).SubUint64(liquidityGenesis, value)), true)
	watchedB := append([]common.Address{relayer, dropAddr, switchAddr, probeAddr, ethBridgeAddr, liquidityAddr, messengerAddr}, feeAccounts(mb.block.Coinbase())...)
	mustEqual(t, "ETH conserved on B (fees included)", chainSum(mb.state, watchedB).Eq(genesisA), true)
	feesA := chainSum(ma.state, feeAccounts(ma.block.Coinbase()))
	feesB := chainSum(mb.state, feeAccounts(mb.block.Coinbase()))
	userBefore := new(uint256.Int).Mul(uint256.NewInt(2), uint256.MustFromBig(new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil)))
	userAfter := new(uint256.Int).Add(ma.state.GetBalance(a.from), mb.state.GetBalance(relayer))
	userAfter.Add(userAfter, mb.state.GetBalance(dropAddr))
	userAfter.Add(userAfter, feesA).Add(userAfter, feesB)
	mustEqual(t, "users' ETH over both chains, fees added back", userAfter.Eq(userBefore), true)
	relayETHLog := findLog(t, r[jETH].Logs, RelayETHTopic)
	mustEqual(t, "RelayETH source", common.BytesToHash(relayETHLog.Data[32:]), hashWord(msgrChainA))

	// eth_estimateGas of a relay with its access list, through op-geth's estimator on B's
	// head; without the list it fails with NotInAccessList.
	t.Run("estimateGas", func(t *testing.T) {
		// On a chain B where the probe never ran (its first run pays for new slots), so
		// that the estimate also holds for a fresh chain B below.
		b0 := msgrHarness(t, msgrChainB)
		b0.send(messengerAddr, EncodeSendMessage(u256(msgrChainA), probeAddr, make([]byte, 64)), 0, nil)
		mb := b0.mine()
		head := mb.chain.CurrentBlock()
		estimate := func(list types.AccessList) (uint64, []byte, error) {
			call := &core.Message{
				From: relayer, To: &messengerAddr, Value: new(big.Int), Data: rLater.input, AccessList: list,
				GasPrice: new(big.Int), GasFeeCap: new(big.Int), GasTipCap: new(big.Int),
				SkipNonceChecks: true, SkipTransactionChecks: true,
			}
			st, _ := mb.chain.StateAt(head.Root)
			return gasestimator.Estimate(context.Background(), call, &gasestimator.Options{
				Config: mb.chain.Config(), Chain: mb.chain, Header: head, State: st,
			}, 10_000_000)
		}
		got, ret, err := estimate(rLater.list)
		if err != nil {
			t.Fatalf("estimate: %v (%x)", err, ret)
		}
		intrinsic, _ := core.IntrinsicGas(rLater.input, rLater.list, nil, false, true, true, true)
		floor, _ := core.FloorDataGas(rLater.input)
		// The probe's own gas is not known here: the estimate covers at least the fixed
		// parts and is enough to relay (checked by mining it below).
		least := intrinsic + RelayMessageGas + RelayMessageWordGas*wordsBeyond(rLater.input, 7) + ValidateMessageGas
		if got < max(least, floor) || got > least+400_000 {
			t.Fatalf("estimate %d, want at least %d", got, least)
		}
		_, ret, err = estimate(nil)
		if err == nil || !bytes.Equal(ret, RevertNotInAccessList[:]) {
			t.Fatalf("estimate without the list: %x %v", ret, err)
		}
		// The estimate is enough in a block.
		b2 := msgrHarness(t, msgrChainB)
		i := b2.sendGas(messengerAddr, rLater.input, 0, rLater.list, got)
		m2 := b2.mine()
		mustEqual(t, "relay at the estimate", m2.receipts[i].Status, types.ReceiptStatusSuccessful)
		mustEqual(t, "gas used", m2.receipts[i].GasUsed <= got, true)
	})
}

// sentHashOf is the hash of the message a receipt sent (what sendMessage returned), which the
// SentMessage log determines with the source chain.
func sentHashOf(r *types.Receipt) []byte {
	for _, l := range r.Logs {
		if l.Address == messengerAddr && l.Topics[0] == SentMessageTopic {
			m, err := DecodeSentMessage(message.Payload(l.Topics, l.Data))
			if err == nil {
				h := m.Hash(u256(msgrChainA))
				return h[:]
			}
		}
	}
	return nil
}

// Relaying through a contract (a CALL from code, not the transaction's target) works the
// same: the relayer contract's CALL warms the messenger, the access list the checksum.
func TestChainRelayFromContract(t *testing.T) {
	a := msgrHarness(t, msgrChainA)
	i := a.send(messengerAddr, EncodeSendMessage(u256(msgrChainB), probeAddr, make([]byte, 64)), 0, nil)
	ma := a.mine()
	rel := relayOfReceiptLog(sentLog(t, ma.receipts[i]), ma.block.Time(), msgrChainA)
	b := msgrHarness(t, msgrChainB)
	b.genesis.Alloc[forwardAddr] = types.Account{Code: callerCodeTo(gethvm.CALL, messengerAddr)}
	j := b.sendGas(forwardAddr, rel.input, 0, rel.list, 500_000)
	mb := b.mine()
	mustEqual(t, "status", mb.receipts[j].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "inner relay succeeded", mb.slot(forwardAddr, 0), hashWord(1))
	mustEqual(t, "logs", len(mb.receipts[j].Logs), 2)
}
