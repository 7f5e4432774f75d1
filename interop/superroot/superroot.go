// Package superroot computes the commitments of specs/interop/superroot.md: a chain's
// output root (version 0) and the super root (version 1) of the chains of a dependency set
// at a timestamp, and gives the JSON shape of superroot_atTimestamp. It only hashes; which
// block each chain contributes and whether it is verified is the caller's business.
package superroot

import (
	"encoding/binary"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// Output is what a chain's output root commits to at one block.
type Output struct {
	StateRoot                common.Hash `json:"stateRoot"`
	MessagePasserStorageRoot common.Hash `json:"messagePasserStorageRoot"`
	BlockHash                common.Hash `json:"blockHash"`
}

// Root is the version-0 output root: keccak256(32 zero bytes ‖ stateRoot ‖
// messagePasserStorageRoot ‖ blockHash).
func (o *Output) Root() common.Hash {
	var buf [128]byte
	copy(buf[32:], o.StateRoot[:])
	copy(buf[64:], o.MessagePasserStorageRoot[:])
	copy(buf[96:], o.BlockHash[:])
	return crypto.Keccak256Hash(buf[:])
}

// ChainOutput is a chain's output root in a super root.
type ChainOutput struct {
	ChainID uint256.Int
	Output  common.Hash
}

// SuperRoot is the version-1 super root at timestamp: keccak256(0x01 ‖ u64be(timestamp) ‖
// for each chain by ascending chain ID: u256be(chainId) ‖ outputRoot). chains is not
// modified.
func SuperRoot(timestamp uint64, chains []ChainOutput) common.Hash {
	sorted := slices.Clone(chains)
	slices.SortFunc(sorted, func(a, b ChainOutput) int { return a.ChainID.Cmp(&b.ChainID) })
	buf := make([]byte, 0, 1+8+64*len(sorted))
	buf = append(buf, 1)
	buf = binary.BigEndian.AppendUint64(buf, timestamp)
	for _, c := range sorted {
		id := c.ChainID.Bytes32()
		buf = append(buf, id[:]...)
		buf = append(buf, c.Output[:]...)
	}
	return crypto.Keccak256Hash(buf)
}

// L1Ref names an L1 block.
type L1Ref struct {
	Hash   common.Hash `json:"hash"`
	Number uint64      `json:"number"`
}

// Optimistic is a chain's entry of optimistic_at_timestamp.
type Optimistic struct {
	Output     Output      `json:"output"`
	OutputRoot common.Hash `json:"output_root"`
	RequiredL1 L1Ref       `json:"required_l1"`
}

// SuperChain is one chain of Super.
type SuperChain struct {
	ChainID string      `json:"ChainID"`
	Output  common.Hash `json:"Output"`
}

// Super is the super root's preimage.
type Super struct {
	Timestamp hexutil.Uint64 `json:"timestamp"`
	Chains    []SuperChain   `json:"chains"`
}

// Data is the verified part of an AtTimestamp answer.
type Data struct {
	VerifiedRequiredL1 L1Ref       `json:"verified_required_l1"`
	Super              Super       `json:"super"`
	SuperRoot          common.Hash `json:"super_root"`
}

// AtTimestamp is the answer of superroot_atTimestamp. Timestamps are JSON numbers, each
// the minimum across chains; chain IDs are decimal strings; Data is null until every chain
// is verified at the timestamp.
type AtTimestamp struct {
	CurrentL1             L1Ref                 `json:"current_l1"`
	SafeTimestamp         uint64                `json:"safe_timestamp"`
	LocalSafeTimestamp    uint64                `json:"local_safe_timestamp"`
	FinalizedTimestamp    uint64                `json:"finalized_timestamp"`
	ChainIDs              []string              `json:"chain_ids"`
	OptimisticAtTimestamp map[string]Optimistic `json:"optimistic_at_timestamp"`
	Data                  *Data                 `json:"data"`
}
