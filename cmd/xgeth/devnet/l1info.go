package devnet

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// The devnet has no L1. Every L2 block still starts with the L1-attributes deposit that
// Jovian block validation requires; it names a fixed, fabricated L1 origin.
var (
	l1InfoDepositor = common.HexToAddress("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001")
	l1BlockAddress  = common.HexToAddress("0x4200000000000000000000000000000000000015")
	jovianSelector  = []byte{0x3d, 0xb6, 0xbe, 0x2b} // setL1BlockValuesJovian()

	// FakeL1Origin is the L1 block every devnet L2 block claims as its origin.
	FakeL1Origin = crypto.Keccak256Hash([]byte("xgeth devnet L1 origin"))
)

const (
	jovianL1InfoLen   = 178
	l1InfoDepositGas  = 1_000_000
	fakeL1BaseFee     = 1_000_000_000
	fakeL1BlobBaseFee = 1
)

// L1InfoDeposit is the L1-attributes deposit transaction (Jovian layout) of the L2 block with
// sequence number seq in the epoch of the fake L1 origin with time l1Time.
func L1InfoDeposit(seq, l1Time uint64) *types.Transaction {
	data := make([]byte, jovianL1InfoLen)
	copy(data[0:4], jovianSelector)
	// 4: baseFeeScalar, 8: blobBaseFeeScalar: zero, no L1 data fee on the devnet.
	binary.BigEndian.PutUint64(data[12:20], seq)
	binary.BigEndian.PutUint64(data[20:28], l1Time)
	binary.BigEndian.PutUint64(data[28:36], 1) // L1 block number
	big.NewInt(fakeL1BaseFee).FillBytes(data[36:68])
	big.NewInt(fakeL1BlobBaseFee).FillBytes(data[68:100])
	copy(data[100:132], FakeL1Origin[:])
	// 132: batcher hash, 164: operator fee scalar, 168: operator fee constant,
	// 176: DA footprint gas scalar: all zero.

	// Source hash of an L1-info deposit: domain 1, keccak(l1 block hash ++ sequence number).
	var seqWord [32]byte
	binary.BigEndian.PutUint64(seqWord[24:], seq)
	inner := crypto.Keccak256Hash(FakeL1Origin[:], seqWord[:])
	var domain [32]byte
	domain[31] = 1
	source := crypto.Keccak256Hash(domain[:], inner[:])

	return types.NewTx(&types.DepositTx{
		SourceHash: source,
		From:       l1InfoDepositor,
		To:         &l1BlockAddress,
		Value:      common.Big0,
		Gas:        l1InfoDepositGas,
		Data:       data,
	})
}
