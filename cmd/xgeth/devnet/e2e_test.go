package devnet_test

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	xparams "github.com/xgeth/xgeth/params"
	xvm "github.com/xgeth/xgeth/vm"
)

// emitterInit deploys a contract that emits LOG1(0x01, calldata) on every call: the
// README's walkthrough uses these exact bytes (init code copying the 10-byte runtime
// CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY PUSH1 1 CALLDATASIZE PUSH0 LOG1 STOP).
var emitterInit = hexutil.MustDecode("0x600a600a5f39600a5ff3365f5f376001365fa100")

// TestDevnetCrossChainMessage runs the whole walking skeleton through real JSON-RPC: a log
// emitted on chain 901 is executed on chain 902 through the native CrossL2Inbox, and only
// when the transaction declares it correctly in its access list.
func TestDevnetCrossChainMessage(t *testing.T) {
	// 901 over HTTP, 902 over WebSocket: both transports serve the whole walkthrough.
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), func(c *devnet.Chain) string {
		if c.ID == 901 {
			return c.HTTPEndpoint()
		}
		return c.WSEndpoint()
	})
	src, dst := clients[0], clients[1]
	for _, c := range []*ethclient.Client{src, dst} {
		if id, err := c.ChainID(ctx); err != nil {
			t.Fatal(err)
		} else if id.Uint64() != d.Chains[0].ID && id.Uint64() != d.Chains[1].ID {
			t.Fatalf("unexpected chain ID %v", id)
		}
	}
	user := d.Accounts[0]

	// Initiating message on 901: deploy the emitter, then call it.
	deploy := sendTx(ctx, t, src, user, nil, emitterInit, nil, 200_000)
	if deploy.Status != types.ReceiptStatusSuccessful {
		t.Fatal("emitter deployment failed")
	}
	payload := []byte("hello from 901")
	emit := sendTx(ctx, t, src, user, &deploy.ContractAddress, payload, nil, 100_000)
	if emit.Status != types.ReceiptStatusSuccessful || len(emit.Logs) != 1 {
		t.Fatalf("emit: status %d, %d logs", emit.Status, len(emit.Logs))
	}
	lg := emit.Logs[0]
	header, err := src.HeaderByHash(ctx, lg.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	id := message.Identifier{Origin: lg.Address, BlockNumber: lg.BlockNumber, LogIndex: uint32(lg.Index), Timestamp: header.Time}
	id.ChainID.SetUint64(d.Chains[0].ID)
	msgHash := message.PayloadHash(lg.Topics, lg.Data)
	checksum := message.Checksum(&id, msgHash)
	calldata := event.EncodeValidateMessage(&message.Message{Identifier: id, MsgHash: msgHash})
	inbox := xparams.CrossL2InboxAddress

	acc := accesslist.Access{BlockNumber: id.BlockNumber, Timestamp: id.Timestamp, LogIndex: id.LogIndex, ChainID: id.ChainID, Checksum: checksum}
	declared := types.AccessList{{Address: inbox, StorageKeys: accesslist.Encode([]accesslist.Access{acc})}}

	// eth_call and eth_estimateGas agree with block execution.
	waitIndexed(ctx, t, d.Chains[1], 901, id.BlockNumber)
	call := ethereum.CallMsg{From: user.Address, To: &inbox, Data: calldata, AccessList: declared}
	if _, err := dst.CallContract(ctx, call, nil); err != nil {
		t.Fatalf("eth_call with the access list: %v", err)
	}
	gas, err := dst.EstimateGas(ctx, call)
	if err != nil {
		t.Fatalf("eth_estimateGas with the access list: %v", err)
	}
	undeclared := call
	undeclared.AccessList = nil
	notInAccessList := hexutil.Encode(crypto.Keccak256([]byte("NotInAccessList()"))[:4])
	var revert rpc.DataError
	if _, err := dst.CallContract(ctx, undeclared, nil); !errors.As(err, &revert) || revert.ErrorData() != notInAccessList {
		t.Fatalf("eth_call without the access list: want a NotInAccessList() (%s) revert, got %v", notInAccessList, err)
	}
	if _, err := dst.EstimateGas(ctx, undeclared); err == nil {
		t.Fatal("eth_estimateGas without the access list succeeded")
	}

	// Declared correctly: executes and emits ExecutingMessage.
	ok := sendTx(ctx, t, dst, user, &inbox, calldata, declared, gas)
	if ok.Status != types.ReceiptStatusSuccessful {
		t.Fatal("validateMessage with the right access list failed")
	}
	// The block charges the intrinsic gas plus CrossL2Inbox's fixed, documented cost; the
	// estimate (a binary search with geth's error margin) must be enough for it.
	intrinsic, err := core.IntrinsicGas(calldata, declared, nil, false, true, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := intrinsic + xvm.ValidateMessageGas; ok.GasUsed != want {
		t.Errorf("gas used %d, want intrinsic %d + validateMessage %d = %d", ok.GasUsed, intrinsic, xvm.ValidateMessageGas, want)
	}
	if gas < ok.GasUsed {
		t.Errorf("eth_estimateGas said %d, below the %d the block used", gas, ok.GasUsed)
	}
	if len(ok.Logs) != 1 {
		t.Fatalf("want 1 ExecutingMessage log, got %d", len(ok.Logs))
	}
	got, err := event.DecodeExecutingMessage(ok.Logs[0])
	if err != nil {
		t.Fatalf("decoding the ExecutingMessage log: %v", err)
	}
	if got.MsgHash != msgHash || got.Identifier != id {
		t.Fatalf("ExecutingMessage: got %+v, want identifier %+v msgHash %s", got, id, msgHash)
	}

	// The node verifies the executing messages of its own blocks against the index.
	verifiedValid := metrics.GetOrRegisterCounter("interop/blocks/verified/valid", nil)
	for verifiedValid.Snapshot().Count() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the block executing the message was never verified valid")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if n := metrics.GetOrRegisterCounter("interop/blocks/verified/invalid", nil).Snapshot().Count(); n != 0 {
		t.Fatalf("%d blocks verified invalid", n)
	}

	// Not declared: reverts.
	if r := sendTx(ctx, t, dst, user, &inbox, calldata, nil, gas); r.Status != types.ReceiptStatusFailed || len(r.Logs) != 0 {
		t.Fatalf("without the access list: status %d, %d logs; want a revert", r.Status, len(r.Logs))
	}
	// Declared with a wrong checksum, or declaring a log that does not exist on 901: the
	// pool refuses the transaction with the checker's verdict, and no block includes it.
	wrong := acc
	wrong.Checksum[31] ^= 1
	missing := id
	missing.LogIndex = 7
	for name, al := range map[string]types.AccessList{
		"checksum does not match": accesslist.TxAccessList([]accesslist.Access{wrong}),
		"has no log 7":            accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&missing, msgHash)}),
	} {
		tx := signTx(ctx, t, dst, user, &inbox, calldata, al, gas)
		err := dst.SendTransaction(ctx, tx)
		var coded rpc.Error
		if !errors.As(err, &coded) || coded.ErrorCode() != -320600 || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "chain 901") {
			t.Fatalf("invalid message (%s): eth_sendRawTransaction returned %v, want code -320600 naming the message", name, err)
		}
		waitBlocks(ctx, t, dst, 2)
		if _, _, err := dst.TransactionByHash(ctx, tx.Hash()); !errors.Is(err, ethereum.NotFound) {
			t.Fatalf("refused transaction (%s) known to the chain: %v", name, err)
		}
	}

	// interop_checkAccessList on 902's endpoint answers as the pool does.
	rpcClient, err := rpc.DialContext(ctx, d.Chains[1].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer rpcClient.Close()
	check := func(entries []common.Hash, chainID string, timestamp uint64) error {
		desc := map[string]string{"chainID": chainID, "timestamp": hexutil.EncodeUint64(timestamp)}
		return rpcClient.CallContext(ctx, nil, "interop_checkAccessList", entries, "cross-unsafe", desc)
	}
	execTS := header.Time + 1 // the next block (startDevnet runs one-second blocks)
	if err := check(accesslist.Encode([]accesslist.Access{acc}), "902", execTS); err != nil {
		t.Fatalf("interop_checkAccessList of the valid message: %v", err)
	}
	unknown := id
	unknown.ChainID.SetUint64(12345)
	for name, tc := range map[string]struct {
		entries []common.Hash
		ts      uint64
		code    int
	}{
		"unknown chain": {accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&unknown, msgHash)}), execTS, -320501},
		"future":        {accesslist.Encode([]accesslist.Access{acc}), header.Time - 1, -320600},
		"expired":       {accesslist.Encode([]accesslist.Access{acc}), header.Time + 604801, -320600},
		"parse error":   {[]common.Hash{checksum}, execTS, -32602},
	} {
		err := check(tc.entries, "0x386", tc.ts)
		var coded rpc.Error
		if !errors.As(err, &coded) || coded.ErrorCode() != tc.code {
			t.Errorf("interop_checkAccessList (%s): %v, want code %d", name, err, tc.code)
		}
	}
	// The message is about a different log index: the declared checksum no longer matches.
	other := id
	other.LogIndex++
	otherData := event.EncodeValidateMessage(&message.Message{Identifier: other, MsgHash: msgHash})
	if r := sendTx(ctx, t, dst, user, &inbox, otherData, declared, gas); r.Status != types.ReceiptStatusFailed {
		t.Fatal("a call for another identifier passed with this identifier's access list")
	}
}

// The failsafe: readable by anyone on the interop endpoint, switchable only on the
// authenticated port; while on, interop transactions are refused at ingress with −320602.
func TestDevnetFailsafe(t *testing.T) {
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	client := clients[1]
	c := d.Chains[1]
	public, err := rpc.DialContext(ctx, c.InteropEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer public.Close()
	secret, err := node.ObtainJWTSecret(d.JWTSecret)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := rpc.DialOptions(ctx, c.AuthEndpoint(), rpc.WithHTTPAuth(node.NewJWTAuth([32]byte(secret))))
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	plain := client.Client()

	failsafe := func() bool {
		var on bool
		if err := public.CallContext(ctx, &on, "admin_getFailsafeEnabled"); err != nil {
			t.Fatal(err)
		}
		return on
	}
	if failsafe() {
		t.Fatal("failsafe on at start")
	}
	for name, cl := range map[string]*rpc.Client{"public HTTP": plain, "interop endpoint": public} {
		if err := cl.CallContext(ctx, nil, "admin_setFailsafeEnabled", true); err == nil || failsafe() {
			t.Fatalf("admin_setFailsafeEnabled served on the %s", name)
		}
	}
	if err := auth.CallContext(ctx, nil, "admin_setFailsafeEnabled", true); err != nil {
		t.Fatalf("admin_setFailsafeEnabled on the authenticated port: %v", err)
	}
	if !failsafe() {
		t.Fatal("failsafe not on after admin_setFailsafeEnabled(true)")
	}
	// Any interop transaction is refused, whatever it declares.
	var id message.Identifier
	id.ChainID.SetUint64(901)
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&id, common.Hash{})})
	inbox := xparams.CrossL2InboxAddress
	tx := signTx(ctx, t, client, d.Accounts[0], &inbox, nil, al, 100_000)
	err = client.SendTransaction(ctx, tx)
	var coded rpc.Error
	if !errors.As(err, &coded) || coded.ErrorCode() != -320602 {
		t.Fatalf("interop tx while failsafe: %v, want code -320602", err)
	}
	// Plain transactions still go through.
	to := d.Accounts[1].Address
	if r := sendTx(ctx, t, client, d.Accounts[0], &to, nil, nil, 21_000); r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("plain transfer failed while failsafe")
	}
	if err := auth.CallContext(ctx, nil, "admin_setFailsafeEnabled", false); err != nil || failsafe() {
		t.Fatalf("clearing the failsafe: %v", err)
	}
	// Now the same transaction gets a verdict on its message (no such log) instead.
	err = client.SendTransaction(ctx, tx)
	if !errors.As(err, &coded) || coded.ErrorCode() == -320602 {
		t.Fatalf("interop tx after the failsafe cleared: %v, want a verdict on the message", err)
	}
}

// signTx signs a dynamic-fee transaction with the sender's next pool nonce.
func signTx(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account, to *common.Address, data []byte, al types.AccessList, gas uint64) *types.Transaction {
	t.Helper()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := c.PendingNonceAt(ctx, from.Address)
	if err != nil {
		t.Fatal(err)
	}
	return types.MustSignNewTx(from.Key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000),
		Gas: gas, To: to, Data: data, AccessList: al,
	})
}

// waitBlocks waits until the chain has grown by n blocks.
func waitBlocks(ctx context.Context, t *testing.T, c *ethclient.Client, n uint64) {
	t.Helper()
	start, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if now, err := c.BlockNumber(ctx); err == nil && now >= start+n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("chain did not grow by %d blocks", n)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sendTx signs and sends a dynamic-fee transaction, then waits for its receipt.
func sendTx(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account, to *common.Address, data []byte, al types.AccessList, gas uint64) *types.Receipt {
	t.Helper()
	return sendSigned(ctx, t, c, signTx(ctx, t, c, from, to, data, al, gas))
}

// sendSigned sends a signed transaction and waits for its receipt.
func sendSigned(ctx context.Context, t *testing.T, c *ethclient.Client, tx *types.Transaction) *types.Receipt {
	t.Helper()
	nonce, chainID := tx.Nonce(), tx.ChainId()
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("sending tx %d to %v: %v", nonce, tx.To(), err)
	}
	for {
		r, err := c.TransactionReceipt(ctx, tx.Hash())
		if err == nil {
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for tx %d (%s) on chain %v: %v", nonce, tx.Hash(), chainID, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
