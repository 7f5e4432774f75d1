package superroot

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// The output root and super root are the keccak256 of the spec's byte layouts, written
// out by hand here.
func TestRoots(t *testing.T) {
	o := Output{StateRoot: common.Hash{1}, MessagePasserStorageRoot: common.Hash{2}, BlockHash: common.Hash{3}}
	want := crypto.Keccak256Hash(make([]byte, 32), o.StateRoot[:], o.MessagePasserStorageRoot[:], o.BlockHash[:])
	if got := o.Root(); got != want {
		t.Fatalf("output root %s, want %s", got, want)
	}
	big := uint256.MustFromHex("0x1000000000000000000000000000000000000000000000000000000000000385")
	chains := []ChainOutput{{ChainID: *uint256.NewInt(902), Output: common.Hash{0xbb}}, {ChainID: *big, Output: common.Hash{0xcc}}, {ChainID: *uint256.NewInt(901), Output: common.Hash{0xaa}}}
	var pre bytes.Buffer
	pre.WriteByte(1)
	pre.Write([]byte{0, 0, 0, 0, 0x6b, 0x0b, 0x00, 0x10})
	for _, c := range []ChainOutput{chains[2], chains[0], chains[1]} { // ascending chain ID
		id := c.ChainID.Bytes32()
		pre.Write(id[:])
		pre.Write(c.Output[:])
	}
	if got, want := SuperRoot(0x6b0b0010, chains), crypto.Keccak256Hash(pre.Bytes()); got != want {
		t.Fatalf("super root %s, want %s", got, want)
	}
	if chains[0].ChainID.Uint64() != 902 {
		t.Fatal("SuperRoot reordered its argument")
	}
	// Changing any input changes the root.
	if SuperRoot(0x6b0b0011, chains) == SuperRoot(0x6b0b0010, chains) {
		t.Fatal("timestamp not committed")
	}
}

// The JSON shape: numbers for timestamps, decimal strings for chain IDs, null data.
func TestAtTimestampJSON(t *testing.T) {
	a := AtTimestamp{SafeTimestamp: 10, ChainIDs: []string{"901"}, OptimisticAtTimestamp: map[string]Optimistic{"901": {}}}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"safe_timestamp":10`, `"chain_ids":["901"]`, `"data":null`, `"optimistic_at_timestamp":{"901":{"output":{"stateRoot"`, `"output_root"`, `"required_l1":{"hash"`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("%s lacks %s", raw, want)
		}
	}
}
