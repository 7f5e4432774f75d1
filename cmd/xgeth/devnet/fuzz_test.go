package devnet

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// FuzzDecodeUnchecked: whatever devnet_sendUncheckedTransaction is given decodes to a
// signed, non-deposit transaction of the chain or is refused; never a panic.
func FuzzDecodeUnchecked(f *testing.F) {
	key, _ := crypto.GenerateKey()
	good, _ := types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(902)), &types.DynamicFeeTx{ChainID: big.NewInt(902), Gas: 21_000}).MarshalBinary()
	dep, _ := types.NewTx(&types.DepositTx{From: common.Address{1}}).MarshalBinary()
	for _, s := range [][]byte{good, dep, {0x02}, {}, {0x7e, 0xc0}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := decodeUnchecked(raw, big.NewInt(902))
		if err != nil {
			return
		}
		if tx.Type() == types.DepositTxType {
			t.Fatal("deposit accepted")
		}
		if _, err := types.Sender(types.LatestSignerForChainID(big.NewInt(902)), tx); err != nil {
			t.Fatalf("unsigned transaction accepted: %v", err)
		}
	})
}
