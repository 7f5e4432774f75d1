package devnet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/types/interoptypes"
	ethinterop "github.com/ethereum/go-ethereum/eth/interop"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	xparams "github.com/xgeth/xgeth/params"
)

// emitter deploys the log-emitting contract on c.
func deployEmitter(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account) common.Address {
	t.Helper()
	r := sendTx(ctx, t, c, from, nil, emitterInit, nil, 200_000)
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("emitter deployment failed")
	}
	return r.ContractAddress
}

// emit makes the emitter log payload and returns the initiating message and its receipt.
func emit(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account, emitter common.Address, chainID uint64, payload string) (message.Message, *types.Receipt) {
	t.Helper()
	r := sendTx(ctx, t, c, from, &emitter, []byte(payload), nil, 100_000)
	if r.Status != types.ReceiptStatusSuccessful || len(r.Logs) != 1 {
		t.Fatalf("emit %q: status %d, %d logs", payload, r.Status, len(r.Logs))
	}
	lg := r.Logs[0]
	header, err := c.HeaderByHash(ctx, lg.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	return message.OfLog(lg, header.Time, uint256.NewInt(chainID)), r
}

func inPool(ctx context.Context, c *ethclient.Client, hash common.Hash) bool {
	_, pending, err := c.TransactionByHash(ctx, hash)
	return err == nil && pending
}

// startDevnet starts a devnet of cfg on free ports with one-second blocks, and dials chain
// i's url (as url(chain) picks it) for each i in dial. Everything stops with the test.
func startDevnet(t *testing.T, cfg devnet.Config, url func(*devnet.Chain) string) (*devnet.Devnet, context.Context, []*ethclient.Client) {
	t.Helper()
	cfg.BasePort, cfg.BlockTime = 0, time.Second
	d, err := devnet.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	var clients []*ethclient.Client
	for _, c := range d.Chains {
		cl, err := ethclient.DialContext(ctx, url(c))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		clients = append(clients, cl)
	}
	return d, ctx, clients
}

func httpURL(c *devnet.Chain) string { return c.HTTPEndpoint() }

// A reorg of the source chain evicts pooled transactions that depended on the dropped
// block, and only those.
func TestSourceReorgEvictsDependentTransactions(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	src, dst := clients[0], clients[1]

	emitterAddr := deployEmitter(ctx, t, src, d.Accounts[0])
	kept, _ := emit(ctx, t, src, d.Accounts[0], emitterAddr, 901, "survives the reorg")
	dropped, droppedReceipt := emit(ctx, t, src, d.Accounts[0], emitterAddr, 901, "dropped by the reorg")
	if dropped.Identifier.BlockNumber <= kept.Identifier.BlockNumber {
		t.Fatal("both messages in one block")
	}
	waitIndexed(ctx, t, d.Chains[1], 901, dropped.Identifier.BlockNumber)

	// Two executing transactions on 902 from a fresh account, held in the pool by a nonce
	// gap (nonce 0 is never sent) so that neither is mined.
	sender := d.Accounts[5]
	chainID := big.NewInt(902)
	inbox := xparams.CrossL2InboxAddress
	pooled := map[string]*types.Transaction{}
	for i, msg := range []message.Message{kept, dropped} {
		tx := types.MustSignNewTx(sender.Key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
			ChainID: chainID, Nonce: uint64(i + 1), GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: 100_000,
			To: &inbox, Data: event.EncodeValidateMessage(&msg), AccessList: accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)}),
		})
		if err := dst.SendTransaction(ctx, tx); err != nil {
			t.Fatalf("admitting executing tx %d: %v", i, err)
		}
		pooled[[]string{"kept", "dropped"}[i]] = tx
	}

	// Rewind 901 below the block of the dropped message. The pool re-injects the emitting
	// transaction and the sequencer rebuilds the height with the same timestamp, so a log
	// from another account with a higher tip goes first: the dropped message's log index now
	// holds a different log.
	c901 := d.Chains[0]
	c901.Pause()
	if err := c901.Eth.BlockChain().SetHead(dropped.Identifier.BlockNumber - 1); err != nil {
		c901.Resume()
		t.Fatal(err)
	}
	other := d.Accounts[1]
	nonce, err := src.NonceAt(ctx, other.Address, nil)
	if err != nil {
		c901.Resume()
		t.Fatal(err)
	}
	front := types.MustSignNewTx(other.Key, types.LatestSignerForChainID(big.NewInt(901)), &types.DynamicFeeTx{
		ChainID: big.NewInt(901), Nonce: nonce, GasTipCap: big.NewInt(5_000_000_000), GasFeeCap: big.NewInt(50_000_000_000), Gas: 100_000,
		To: &emitterAddr, Data: []byte("takes the log index"),
	})
	if err := src.SendTransaction(ctx, front); err != nil {
		c901.Resume()
		t.Fatalf("sending the front-running log: %v", err)
	}
	// The pool promotes transactions asynchronously: resume once the block builder can see it.
	waitPending(ctx, t, d.Chains[0].HTTPEndpoint(), other.Address, front.Nonce())
	c901.Resume()
	// 901 rebuilds the height; the follower rewinds the index; 902's pool re-checks after
	// its next blocks and evicts the transaction whose message is gone.
	for inPool(ctx, dst, pooled["dropped"].Hash()) {
		select {
		case <-ctx.Done():
			t.Fatal("transaction depending on the dropped block was not evicted")
		case <-time.After(200 * time.Millisecond):
		}
	}
	if h, err := src.HeaderByNumber(ctx, new(big.Int).SetUint64(dropped.Identifier.BlockNumber)); err != nil || h.Hash() == droppedReceipt.BlockHash {
		t.Fatalf("block %d was not replaced: %v", dropped.Identifier.BlockNumber, err)
	}
	// The premise: on the new chain the dropped identifier no longer points at that message.
	newReceipts, err := src.BlockReceipts(ctx, rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(dropped.Identifier.BlockNumber)))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range newReceipts {
		for _, l := range r.Logs {
			if uint32(l.Index) == dropped.Identifier.LogIndex && message.LogHashOf(l) == message.LogHash(dropped.Identifier.Origin, dropped.MsgHash) {
				t.Fatal("the rebuilt block still holds the dropped message at its identifier")
			}
		}
	}
	waitBlocks(ctx, t, dst, 2)
	if !inPool(ctx, dst, pooled["kept"].Hash()) {
		t.Fatal("transaction whose message survived the reorg was evicted")
	}
}

// A second xgeth on 127.0.0.1 follows chain 901 over JSON-RPC, indexes it, answers checks
// for it and includes a transaction executing one of its messages.
func TestRemoteChainFollowedOverRPC(t *testing.T) {
	t.Parallel()
	a, b := startPair(t, func(_, cfgB *devnet.Config) {
		cfgB.RemoteStartBlock = 2 // the emitter's deployment is block 1 at the earliest, its log later
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src, err := ethclient.DialContext(ctx, a.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := ethclient.DialContext(ctx, b.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	rpcB, err := rpc.DialContext(ctx, b.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer rpcB.Close()

	emitterAddr := deployEmitter(ctx, t, src, a.Accounts[0])
	msg, _ := emit(ctx, t, src, a.Accounts[0], emitterAddr, 901, "from another process")

	// B's interop_status reports 901 followed over JSON-RPC, live, past the message's block.
	for {
		var status []rpcapi.ChainStatus
		if err := rpcB.CallContext(ctx, &status, "interop_status"); err != nil {
			t.Fatal(err)
		}
		var s901 *rpcapi.ChainStatus
		for i := range status {
			if status[i].ChainID.ToInt().Uint64() == 901 {
				s901 = &status[i]
			}
		}
		if s901 == nil {
			blob, _ := json.Marshal(status)
			t.Fatalf("interop_status has no chain 901: %s", blob)
		}
		if s901.Source != a.Chains[0].WSEndpoint() {
			t.Fatalf("chain 901 source %q, want %q", s901.Source, a.Chains[0].WSEndpoint())
		}
		if s901.LocalUnsafe != nil && uint64(s901.LocalUnsafe.Number) >= msg.Identifier.BlockNumber && s901.State == "live" {
			if s901.Oldest == nil || s901.Oldest.Number != 2 {
				t.Fatalf("remote index starts at %+v, want block 2 (RemoteStartBlock)", s901.Oldest)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("chain 901 not indexed by the second process: %+v", s901)
		case <-time.After(200 * time.Millisecond):
		}
	}
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
	desc := map[string]string{"chainID": "902", "timestamp": "0x" + new(big.Int).SetUint64(msg.Identifier.Timestamp+1).Text(16)}
	if err := rpcB.CallContext(ctx, nil, "interop_checkAccessList", al[0].StorageKeys, "cross-unsafe", desc); err != nil {
		t.Fatalf("second process refused a valid message of the remote chain: %v", err)
	}
	inbox := xparams.CrossL2InboxAddress
	r := sendTx(ctx, t, dst, b.Accounts[0], &inbox, event.EncodeValidateMessage(&msg), al, 100_000)
	if r.Status != types.ReceiptStatusSuccessful || len(r.Logs) != 1 {
		t.Fatalf("executing the remote message: status %d, %d logs", r.Status, len(r.Logs))
	}
	if _, _, err := dst.TransactionByHash(ctx, r.TxHash); errors.Is(err, ethereum.NotFound) {
		t.Fatal("receipt without transaction")
	}
}

// waitPending waits until the pool of the chain at url holds the transaction of from with
// nonce as executable (pending).
func waitPending(ctx context.Context, t *testing.T, url string, from common.Address, nonce uint64) {
	t.Helper()
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		var content struct {
			Pending map[string]json.RawMessage `json:"pending"`
		}
		if err := c.CallContext(ctx, &content, "txpool_contentFrom", from); err != nil {
			t.Fatal(err)
		}
		if _, ok := content.Pending[fmt.Sprint(nonce)]; ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("transaction %d of %s never became pending", nonce, from)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// A stock op-geth uses xgeth as its checker: op-geth's own interop client (what
// --rollup.interoprpc runs) gets verdicts from the /interop endpoint.
func TestStockOpGethClientUsesInteropEndpoint(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	src := clients[0]
	emitterAddr := deployEmitter(ctx, t, src, d.Accounts[0])
	msg, _ := emit(ctx, t, src, d.Accounts[0], emitterAddr, 901, "checked by op-geth's client")
	waitIndexed(ctx, t, d.Chains[1], 901, msg.Identifier.BlockNumber)

	client := ethinterop.NewInteropClient(d.Chains[1].InteropEndpoint())
	defer client.Close()
	var desc interoptypes.ExecutingDescriptor
	desc.ChainID.SetUint64(902)
	desc.Timestamp, desc.Timeout = msg.Identifier.Timestamp+1, 86400
	entries := accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
	if err := client.CheckAccessList(ctx, entries, interoptypes.CrossUnsafe, desc); err != nil {
		t.Fatalf("op-geth's client, valid message: %v", err)
	}
	entries[len(entries)-1][31] ^= 1
	err := client.CheckAccessList(ctx, entries, interoptypes.CrossUnsafe, desc)
	var coded rpc.Error
	if !errors.As(err, &coded) || coded.ErrorCode() != -320600 {
		t.Fatalf("op-geth's client, wrong checksum: %v, want code -320600", err)
	}
	if on, err := client.GetFailsafeEnabled(ctx); err != nil || on {
		t.Fatalf("op-geth's client, failsafe: %v, %v", on, err)
	}
}

// waitIndexed waits until the node of chain c has indexed block number of chain and found
// it cross-unsafe: the pool admits a message only from such a block (before, it has no
// verdict).
func waitIndexed(ctx context.Context, t *testing.T, c *devnet.Chain, chain, number uint64) {
	t.Helper()
	cl, err := rpc.DialContext(ctx, c.HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for {
		var heads []rpcapi.ChainSafety
		if err := cl.CallContext(ctx, &heads, "interop_safety"); err != nil {
			t.Fatal(err)
		}
		for _, s := range heads {
			if s.ChainID.ToInt().Uint64() == chain && s.CrossUnsafe != nil && uint64(s.CrossUnsafe.Number) >= number {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("chain %d block %d never cross-unsafe on chain %d's node", chain, number, c.ID)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
