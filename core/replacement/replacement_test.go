package replacement

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestDepositsOnly(t *testing.T) {
	dep, _ := types.NewTx(&types.DepositTx{From: common.Address{1}, Gas: 1_000_000, Data: []byte{1, 2}}).MarshalBinary()
	dep2, _ := types.NewTx(&types.DepositTx{From: common.Address{2}, Gas: 21_000}).MarshalBinary()
	key, _ := crypto.GenerateKey()
	user, _ := types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(902)), &types.DynamicFeeTx{ChainID: big.NewInt(902), Gas: 21_000}).MarshalBinary()
	gas := uint64(30_000_000)
	attrs := &engine.PayloadAttributes{Timestamp: 1234, Random: common.Hash{9}, Transactions: [][]byte{dep, dep2, user}, GasLimit: &gas}
	got, err := DepositsOnly(attrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Transactions) != 2 || !got.NoTxPool || got.Timestamp != 1234 || got.Random != attrs.Random || *got.GasLimit != gas {
		t.Fatalf("replacement attributes %+v", got)
	}
	if len(attrs.Transactions) != 3 || attrs.NoTxPool {
		t.Fatal("the original attributes were modified")
	}
	for _, bad := range []*engine.PayloadAttributes{nil, {Transactions: [][]byte{{0x7e}}}, {Transactions: [][]byte{dep, {}}}} {
		if _, err := DepositsOnly(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

// FuzzDepositsOnly: any forced transaction bytes give replacement attributes with only
// deposits, or an error; never a panic, never a non-deposit kept.
func FuzzDepositsOnly(f *testing.F) {
	dep, _ := types.NewTx(&types.DepositTx{From: common.Address{1}, Gas: 21_000}).MarshalBinary()
	f.Add(dep, []byte{0x02, 0xc0})
	f.Add([]byte{0x7e}, []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		got, err := DepositsOnly(&engine.PayloadAttributes{Transactions: [][]byte{a, b}})
		if err != nil {
			return
		}
		for _, raw := range got.Transactions {
			var tx types.Transaction
			if tx.UnmarshalBinary(raw) != nil || tx.Type() != types.DepositTxType {
				t.Fatalf("kept %x", raw)
			}
		}
		if !got.NoTxPool {
			t.Fatal("pool transactions allowed")
		}
	})
}
