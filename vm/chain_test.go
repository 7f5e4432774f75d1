package vm

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/gasestimator"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/params"
)

// Helper contracts in the test genesis (hand-written bytecode, see callerCode and twiceCode).
var (
	callViaCall         = common.HexToAddress("0x00000000000000000000000000000000000c0001")
	callViaStatic       = common.HexToAddress("0x00000000000000000000000000000000000c0002")
	callViaDelegate     = common.HexToAddress("0x00000000000000000000000000000000000c0003")
	callViaCallCode     = common.HexToAddress("0x00000000000000000000000000000000000c0004")
	callViaStaticSum    = common.HexToAddress("0x00000000000000000000000000000000000c0005")
	callViaCallDeposit  = common.HexToAddress("0x00000000000000000000000000000000000c0006")
	callViaCallRange    = common.HexToAddress("0x00000000000000000000000000000000000c0007")
	callTwiceNotListed  = common.HexToAddress("0x00000000000000000000000000000000000c0008")
	callTwiceListed     = common.HexToAddress("0x00000000000000000000000000000000000c0009")
	relay               = common.HexToAddress("0x00000000000000000000000000000000000c000a")
	staticViaRelay      = common.HexToAddress("0x00000000000000000000000000000000000c000b")
	depositFrom         = common.HexToAddress("0x00000000000000000000000000000000000de905")
	holoceneExtraData   = common.FromHex("0x00000000fa00000006") // version 0, denominator 250, elasticity 6
	testGasFeeCap       = big.NewInt(10_000_000_000)
	testGasTipCap       = big.NewInt(1)
	defaultTestGasLimit = uint64(200_000)
)

// chainHarness collects the transactions of one block, builds the block with op-geth's chain
// maker, imports it into a fresh core.BlockChain over an in-memory database (which
// re-executes and verifies it) and returns what the imported chain recorded.
type chainHarness struct {
	t       *testing.T
	genesis *core.Genesis
	key     *ecdsa.PrivateKey
	from    common.Address
	signer  types.Signer
	nonce   uint64
	txs     []*types.Transaction
}

func newChainHarness(t *testing.T, chainID int64) *chainHarness {
	key, _ := crypto.HexToECDSA("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
	from := crypto.PubkeyToAddress(key.PublicKey)
	cfg := opConfig(chainID, 0)
	alloc := types.GenesisAlloc{
		from:                             {Balance: new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil)},
		gethparams.HistoryStorageAddress: {Code: gethparams.HistoryStorageCode, Nonce: 1},
		callViaCall:                      {Code: callerCode(gethvm.CALL)},
		callViaStatic:                    {Code: callerCode(gethvm.STATICCALL)},
		callViaDelegate:                  {Code: callerCode(gethvm.DELEGATECALL)},
		callViaCallCode:                  {Code: callerCode(gethvm.CALLCODE)},
		callViaStaticSum:                 {Code: callerCode(gethvm.STATICCALL)},
		callViaCallDeposit:               {Code: callerCode(gethvm.CALL)},
		callViaCallRange:                 {Code: callerCode(gethvm.CALL)},
		callTwiceNotListed:               {Code: twiceCode()},
		callTwiceListed:                  {Code: twiceCode()},
		relay:                            {Code: relayCode()},
		staticViaRelay:                   {Code: callerCodeTo(gethvm.STATICCALL, relay)},
	}
	return &chainHarness{
		t: t,
		genesis: &core.Genesis{
			Config:    cfg,
			Alloc:     alloc,
			ExtraData: holoceneExtraData,
			GasLimit:  30_000_000,
			BaseFee:   big.NewInt(1_000_000_000),
		},
		key:    key,
		from:   from,
		signer: types.LatestSigner(cfg),
	}
}

// send adds a signed EIP-1559 transaction and returns its index in the block.
func (h *chainHarness) send(to common.Address, data []byte, value int64, list types.AccessList) int {
	return h.sendGas(to, data, value, list, defaultTestGasLimit)
}

func (h *chainHarness) sendGas(to common.Address, data []byte, value int64, list types.AccessList, gas uint64) int {
	tx := types.MustSignNewTx(h.key, h.signer, &types.DynamicFeeTx{
		ChainID:    h.genesis.Config.ChainID,
		Nonce:      h.nonce,
		GasTipCap:  testGasTipCap,
		GasFeeCap:  testGasFeeCap,
		Gas:        gas,
		To:         &to,
		Value:      big.NewInt(value),
		Data:       data,
		AccessList: list,
	})
	h.nonce++
	h.txs = append(h.txs, tx)
	return len(h.txs) - 1
}

// deposit adds a deposit transaction (no access list is possible) and returns its index.
func (h *chainHarness) deposit(to common.Address, data []byte) int {
	h.txs = append(h.txs, types.NewTx(&types.DepositTx{
		SourceHash: common.Hash{0xde, byte(len(h.txs))},
		From:       depositFrom,
		To:         &to,
		Value:      new(big.Int),
		Gas:        defaultTestGasLimit,
		Data:       data,
	}))
	return len(h.txs) - 1
}

type minedBlock struct {
	chain    *core.BlockChain
	block    *types.Block
	receipts types.Receipts
	state    *state.StateDB
}

func (h *chainHarness) mine() *minedBlock {
	h.t.Helper()
	engine := beacon.New(ethash.NewFaker())
	_, blocks, _ := core.GenerateChainWithGenesis(h.genesis, engine, 1, func(_ int, b *core.BlockGen) {
		b.SetExtra(holoceneExtraData)
		for _, tx := range h.txs {
			b.AddTx(tx)
		}
	})
	bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), h.genesis, engine, core.DefaultConfig())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(bc.Stop)
	if n, err := bc.InsertChain(blocks); err != nil {
		h.t.Fatalf("import of block %d: %v", n, err)
	}
	block := bc.CurrentBlock()
	receipts := bc.GetReceiptsByHash(block.Hash())
	if len(receipts) != len(h.txs) {
		h.t.Fatalf("%d receipts for %d txs", len(receipts), len(h.txs))
	}
	st, err := bc.StateAt(block.Root)
	if err != nil {
		h.t.Fatal(err)
	}
	return &minedBlock{chain: bc, block: bc.GetBlockByHash(block.Hash()), receipts: receipts, state: st}
}

func (m *minedBlock) slot(addr common.Address, i int64) common.Hash {
	return m.state.GetState(addr, common.BigToHash(big.NewInt(i)))
}

func TestChainCrossL2Inbox(t *testing.T) {
	msg := testMessage()
	validate := input(SelectorValidateMessage, msg)
	sum := checksumOf(msg)
	other := testMessage()
	other.MsgHash[0] ^= 0x80
	two64 := common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 64))
	two32 := common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 32))

	h := newChainHarness(t, nativeChainID)
	var (
		iOK          = h.send(inbox, validate, 0, listed(sum))
		iNoList      = h.send(inbox, validate, 0, nil)
		iWrongSum    = h.send(inbox, validate, 0, listed(checksumOf(other)))
		iOtherAddr   = h.send(inbox, validate, 0, types.AccessList{{Address: callViaCall, StorageKeys: []common.Hash{sum}}})
		iValue       = h.send(inbox, validate, 1, listed(sum))
		iBlockNumber = h.send(inbox, setWord(validate, 1, two64), 0, listed(sum))
		iLogIndex    = h.send(inbox, setWord(validate, 2, two32), 0, listed(sum))
		iTimestamp   = h.send(inbox, setWord(validate, 3, two64), 0, listed(sum))
		iUnknown     = h.send(inbox, append([]byte{0xde, 0xad, 0xbe, 0xef}, validate[4:]...), 0, listed(sum))
		iEmpty       = h.send(inbox, nil, 0, listed(sum))
		iStatic      = h.send(callViaStatic, validate, 0, listed(sum))
		iDelegate    = h.send(callViaDelegate, validate, 0, listed(sum))
		iCallCode    = h.send(callViaCallCode, validate, 0, listed(sum))
		iViaCall     = h.send(callViaCall, validate, 0, listed(sum))
		iStaticSum   = h.send(callViaStaticSum, input(SelectorCalculateChecksum, msg), 0, nil)
		iRange       = h.send(callViaCallRange, setWord(validate, 2, two32), 0, listed(sum))
		iTwiceNo     = h.send(callTwiceNotListed, validate, 0, nil)
		iTwiceYes    = h.send(callTwiceListed, validate, 0, listed(sum))
		iRelay       = h.send(staticViaRelay, validate, 0, listed(sum))
		iDeposit     = h.deposit(inbox, validate)
		iDepositVia  = h.deposit(callViaCallDeposit, validate)
	)
	m := h.mine()
	r := m.receipts

	status := func(name string, i int, want uint64) {
		t.Helper()
		mustEqual(t, name+" status", r[i].Status, want)
	}
	// Direct transactions to CrossL2Inbox.
	status("listed", iOK, types.ReceiptStatusSuccessful)
	mustEqual(t, "logs", len(r[iOK].Logs), 1)
	l := r[iOK].Logs[0]
	want := event.EncodeLog(&msg)
	mustEqual(t, "log address", l.Address, params.CrossL2InboxAddress)
	mustEqual(t, "topics", len(l.Topics), 2)
	mustEqual(t, "topic0", l.Topics[0], event.ExecutingMessageTopic)
	mustEqual(t, "topic1", l.Topics[1], msg.MsgHash)
	if !bytes.Equal(l.Data, want.Data) {
		t.Fatalf("log data %x, want %x", l.Data, want.Data)
	}
	mustEqual(t, "log block", l.BlockNumber, m.block.NumberU64())
	mustEqual(t, "log block hash", l.BlockHash, m.block.Hash())
	mustEqual(t, "log tx", l.TxHash, h.txs[iOK].Hash())
	intrinsic, _ := core.IntrinsicGas(validate, listed(sum), nil, false, true, true, true)
	floor, _ := core.FloorDataGas(validate)
	mustEqual(t, "gas used", r[iOK].GasUsed, max(intrinsic+ValidateMessageGas, floor))

	for name, i := range map[string]int{
		"no access list": iNoList, "wrong checksum": iWrongSum, "checksum under another address": iOtherAddr,
		"value": iValue, "blockNumber 2^64": iBlockNumber, "logIndex 2^32": iLogIndex, "timestamp 2^64": iTimestamp,
		"unknown selector": iUnknown, "empty input": iEmpty, "deposit": iDeposit,
	} {
		status(name, i, types.ReceiptStatusFailed)
		mustEqual(t, name+" logs", len(r[i].Logs), 0)
	}
	mustEqual(t, "deposit receipt type", r[iDeposit].Type, uint8(types.DepositTxType))
	if !m.block.Transactions()[iDeposit].IsDepositTx() {
		t.Fatal("deposit is not a deposit transaction in the block")
	}

	// Through helper contracts, which record success (slot 0), returndatasize (slot 1) and
	// the first returned word (slot 2).
	type recorded struct {
		name    string
		tx      int
		addr    common.Address
		success bool
		ret     []byte // expected return/revert data
		logs    int
	}
	for _, c := range []recorded{
		{"via CALL", iViaCall, callViaCall, true, nil, 1},
		{"via STATICCALL", iStatic, callViaStatic, false, nil, 0},
		{"via DELEGATECALL", iDelegate, callViaDelegate, false, nil, 0},
		{"via CALLCODE", iCallCode, callViaCallCode, false, nil, 0},
		{"calculateChecksum via STATICCALL", iStaticSum, callViaStaticSum, true, sum[:], 0},
		{"range error via CALL", iRange, callViaCallRange, false, RevertLogIndexTooHigh[:], 0},
		{"deposit via CALL", iDepositVia, callViaCallDeposit, false, RevertNoExecutingDeposits[:], 0},
		// STATICCALL → relay → CALL: the relay's frame succeeds and returns the inner
		// CALL's failure flag (a zero word) followed by no revert data.
		{"CALL inside a static context", iRelay, staticViaRelay, true, make([]byte, 32), 0},
	} {
		status(c.name, c.tx, types.ReceiptStatusSuccessful)
		mustEqual(t, c.name+" logs", len(r[c.tx].Logs), c.logs)
		ok := m.slot(c.addr, 0) == common.BigToHash(big.NewInt(1))
		mustEqual(t, c.name+" success", ok, c.success)
		mustEqual(t, c.name+" returndatasize", m.slot(c.addr, 1), common.BigToHash(big.NewInt(int64(len(c.ret)))))
		if got := m.slot(c.addr, 2); !bytes.Equal(got[:len(c.ret)], c.ret) {
			t.Fatalf("%s: returned %x, want prefix %x", c.name, got, c.ret)
		}
	}
	if r[iViaCall].Logs[0].Address != params.CrossL2InboxAddress {
		t.Fatal("log emitted from the wrong address")
	}

	// Two calls in one transaction: without the checksum listed both revert (the first,
	// reverted call leaves nothing warm); with it listed both succeed, one log each.
	mustEqual(t, "twice unlisted status", r[iTwiceNo].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "twice unlisted first", m.slot(callTwiceNotListed, 0), common.Hash{})
	mustEqual(t, "twice unlisted second", m.slot(callTwiceNotListed, 1), common.Hash{})
	mustEqual(t, "twice unlisted logs", len(r[iTwiceNo].Logs), 0)
	mustEqual(t, "twice listed first", m.slot(callTwiceListed, 0), common.BigToHash(big.NewInt(1)))
	mustEqual(t, "twice listed second", m.slot(callTwiceListed, 1), common.BigToHash(big.NewInt(1)))
	mustEqual(t, "twice listed logs", len(r[iTwiceYes].Logs), 2)

	// No account appears at CrossL2Inbox: the native contract leaves no state behind.
	if m.state.Exist(params.CrossL2InboxAddress) {
		t.Fatal("CrossL2Inbox account left in state")
	}

	// eth_call / eth_estimateGas on top of the imported block, through op-geth's estimator.
	t.Run("estimateGas", func(t *testing.T) {
		head := m.chain.CurrentBlock()
		call := &core.Message{
			From: h.from, To: &inbox, Value: new(big.Int), Data: validate, AccessList: listed(sum),
			GasPrice: new(big.Int), GasFeeCap: new(big.Int), GasTipCap: new(big.Int),
			SkipNonceChecks: true, SkipTransactionChecks: true,
		}
		st, _ := m.chain.StateAt(head.Root)
		got, _, err := gasestimator.Estimate(context.Background(), call, &gasestimator.Options{
			Config: m.chain.Config(), Chain: m.chain, Header: head, State: st,
		}, 10_000_000)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "estimate", got, max(intrinsic+ValidateMessageGas, floor))

		call.AccessList = nil
		st, _ = m.chain.StateAt(head.Root)
		_, ret, err := gasestimator.Estimate(context.Background(), call, &gasestimator.Options{
			Config: m.chain.Config(), Chain: m.chain, Header: head, State: st,
		}, 10_000_000)
		if err == nil || !bytes.Equal(ret, RevertNotInAccessList[:]) {
			t.Fatalf("estimate without the list: ret %x err %v, want a NotInAccessList revert", ret, err)
		}
	})
}

// The exact gas limit succeeds and one gas less runs out of gas, inside a block.
func TestChainExactGas(t *testing.T) {
	msg := testMessage()
	validate := input(SelectorValidateMessage, msg)
	list := listed(checksumOf(msg))
	intrinsic, _ := core.IntrinsicGas(validate, list, nil, false, true, true, true)
	floor, _ := core.FloorDataGas(validate)
	need := max(intrinsic+ValidateMessageGas, floor)

	h := newChainHarness(t, nativeChainID)
	exact := h.sendGas(inbox, validate, 0, list, need)
	short := h.sendGas(inbox, validate, 0, list, need-1)
	m := h.mine()
	mustEqual(t, "exact status", m.receipts[exact].Status, types.ReceiptStatusSuccessful)
	mustEqual(t, "exact gas used", m.receipts[exact].GasUsed, need)
	mustEqual(t, "short status", m.receipts[short].Status, types.ReceiptStatusFailed)
	mustEqual(t, "short gas used", m.receipts[short].GasUsed, need-1)
}

// A chain without the extras registered has no native contract: 0x…22 has no code in this
// genesis, so every call succeeds with empty output and no log, whatever the input.
func TestChainWithoutExtras(t *testing.T) {
	msg := testMessage()
	h := newChainHarness(t, standardChainID)
	i := h.send(inbox, input(SelectorValidateMessage, msg), 0, nil)
	j := h.send(callViaCall, input(SelectorValidateMessage, msg), 0, nil)
	k := h.send(callViaStaticSum, input(SelectorCalculateChecksum, msg), 0, nil)
	m := h.mine()
	for _, idx := range []int{i, j, k} {
		mustEqual(t, "status", m.receipts[idx].Status, types.ReceiptStatusSuccessful)
		mustEqual(t, "logs", len(m.receipts[idx].Logs), 0)
	}
	mustEqual(t, "CALL success", m.slot(callViaCall, 0), common.BigToHash(big.NewInt(1)))
	mustEqual(t, "CALL returndatasize", m.slot(callViaCall, 1), common.Hash{})
	mustEqual(t, "STATICCALL returndatasize", m.slot(callViaStaticSum, 1), common.Hash{})
	intrinsic, _ := core.IntrinsicGas(input(SelectorValidateMessage, msg), nil, nil, false, true, true, true)
	floor, _ := core.FloorDataGas(input(SelectorValidateMessage, msg))
	mustEqual(t, "gas used", m.receipts[i].GasUsed, max(intrinsic, floor))
}

// Code in state at 0x…22 (a genesis that keeps Solidity callers' extcodesize check happy) is
// ignored where the native contract is served, and runs where it is not.
func TestChainCodeAtInbox(t *testing.T) {
	msg := testMessage()
	validate := input(SelectorValidateMessage, msg)
	for _, c := range []struct {
		chainID int64
		status  uint64
		logs    int
	}{
		{nativeChainID, types.ReceiptStatusSuccessful, 1},
		{standardChainID, types.ReceiptStatusFailed, 0}, // 0xfe is INVALID
	} {
		h := newChainHarness(t, c.chainID)
		h.genesis.Alloc[inbox] = types.Account{Code: []byte{0xfe}}
		i := h.send(inbox, validate, 0, listed(checksumOf(msg)))
		m := h.mine()
		mustEqual(t, "status", m.receipts[i].Status, c.status)
		mustEqual(t, "logs", len(m.receipts[i].Logs), c.logs)
		mustEqual(t, "code kept", len(m.state.GetCode(inbox)), 1)
	}
}
