package devnet_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
)

// Every devnet chain answers eth_accounts with the prefunded test accounts, in order, and
// signs eth_sendTransaction from them (as anvil does): the transaction is mined. A sender
// the devnet holds no key for is refused.
func TestDevnetUnlockedAccounts(t *testing.T) {
	t.Parallel()
	d, ctx, clients := startDevnet(t, devnet.DefaultConfig(), httpURL)
	for i, c := range d.Chains {
		rc, err := rpc.DialContext(ctx, c.HTTPEndpoint())
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var got []common.Address
		if err := rc.CallContext(ctx, &got, "eth_accounts"); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(d.Accounts) {
			t.Fatalf("chain %d: eth_accounts has %d accounts, want %d", c.ID, len(got), len(d.Accounts))
		}
		for j, a := range d.Accounts {
			if got[j] != a.Address {
				t.Fatalf("chain %d: eth_accounts[%d] = %s, want %s", c.ID, j, got[j], a.Address)
			}
		}
		to := common.HexToAddress("0x00000000000000000000000000000000000c0ffe")
		var hash common.Hash
		err = rc.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{
			"from": d.Accounts[0].Address, "to": to, "value": hexutil.Big(*big.NewInt(12345)),
		})
		if err != nil {
			t.Fatalf("chain %d: eth_sendTransaction: %v", c.ID, err)
		}
		var receipt *types.Receipt
		for receipt == nil {
			receipt, _ = clients[i].TransactionReceipt(ctx, hash)
			select {
			case <-ctx.Done():
				t.Fatalf("chain %d: transaction %s not mined", c.ID, hash)
			case <-time.After(100 * time.Millisecond):
			}
		}
		if receipt.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("chain %d: status %d", c.ID, receipt.Status)
		}
		tx, _, err := clients[i].TransactionByHash(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		if from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx); err != nil || from != d.Accounts[0].Address || tx.ChainId().Uint64() != c.ID {
			t.Fatalf("chain %d: mined tx from %s on chain %v (%v)", c.ID, from, tx.ChainId(), err)
		}
		if bal, err := clients[i].BalanceAt(ctx, to, receipt.BlockNumber); err != nil || bal.Int64() != 12345 {
			t.Fatalf("chain %d: recipient balance %v (%v), want 12345", c.ID, bal, err)
		}
		err = rc.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{"from": common.Address{0xde, 0xad}, "to": to})
		if err == nil || err.Error() != "unknown account" {
			t.Fatalf("chain %d: eth_sendTransaction from an unknown account: %v, want unknown account", c.ID, err)
		}
	}
}
