package message

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/internal/vectors"
)

func TestChecksumVectors(t *testing.T) {
	f := vectors.Load(t)
	for _, c := range f.Checksum {
		t.Run(c.Name, func(t *testing.T) {
			id := Identifier{
				Origin:      c.Origin,
				BlockNumber: uint64(c.BlockNumber),
				LogIndex:    uint32(c.LogIndex),
				Timestamp:   uint64(c.Timestamp),
			}
			if uint64(c.LogIndex) > 1<<32-1 {
				t.Fatalf("log index %d out of range", c.LogIndex)
			}
			if overflow := id.ChainID.SetFromBig(c.ChainID.ToInt()); overflow {
				t.Fatalf("chain ID %v out of range", c.ChainID)
			}
			if c.PayloadASCII != nil {
				payload := []byte(*c.PayloadASCII)
				if got := crypto.Keccak256Hash(payload); got != c.MsgHash {
					t.Errorf("msgHash %x, want %x", got, c.MsgHash)
				}
				if got := PayloadHash(nil, payload); got != c.MsgHash {
					t.Errorf("PayloadHash %x, want %x", got, c.MsgHash)
				}
			}
			logHash := LogHash(c.Origin, c.MsgHash)
			if logHash != c.LogHash {
				t.Errorf("logHash %x, want %x", logHash, c.LogHash)
			}
			packed := id.PackedID()
			if c.IDPacked != nil && common.Hash(packed) != *c.IDPacked {
				t.Errorf("idPacked %x, want %x", packed, *c.IDPacked)
			}
			// The intermediate steps of the documented formula.
			idLogHash := crypto.Keccak256Hash(logHash[:], packed[:])
			if c.IDLogHash != nil && idLogHash != *c.IDLogHash {
				t.Errorf("idLogHash %x, want %x", idLogHash, *c.IDLogHash)
			}
			chainID := id.ChainID.Bytes32()
			bare := crypto.Keccak256Hash(idLogHash[:], chainID[:])
			if c.BareChecksum != nil && bare != *c.BareChecksum {
				t.Errorf("bare checksum %x, want %x", bare, *c.BareChecksum)
			}
			want := bare
			want[0] = 0x03
			if want != c.Checksum {
				t.Errorf("formula gives %x, vector says %x", want, c.Checksum)
			}
			if got := ChecksumFromLogHash(&id, logHash); got != c.Checksum {
				t.Errorf("ChecksumFromLogHash %x, want %x", got, c.Checksum)
			}
			if got := Checksum(&id, c.MsgHash); got != c.Checksum {
				t.Errorf("Checksum %x, want %x", got, c.Checksum)
			}
			if c.LookupEntry != nil {
				// Layout per INTEROP.md; the accesslist package encodes it, this checks
				// that the vector agrees with the identifier fields.
				var lookup common.Hash
				lookup[0] = 0x01
				binary.BigEndian.PutUint64(lookup[4:12], id.ChainID.Uint64())
				copy(lookup[12:], packed[12:])
				if lookup != *c.LookupEntry {
					t.Errorf("lookup entry %x, want %x", lookup, *c.LookupEntry)
				}
			}
		})
	}
}

func TestLogHashVectors(t *testing.T) {
	f := vectors.Load(t)
	for _, c := range f.LogHash {
		t.Run(c.Name, func(t *testing.T) {
			if got := PayloadHash(c.Topics, c.Data); got != c.PayloadHash {
				t.Errorf("PayloadHash %x, want %x", got, c.PayloadHash)
			}
			if got := crypto.Keccak256Hash(Payload(c.Topics, c.Data)); got != c.PayloadHash {
				t.Errorf("keccak(Payload) %x, want %x", got, c.PayloadHash)
			}
			if got := LogHash(c.Address, c.PayloadHash); got != c.LogHash {
				t.Errorf("LogHash %x, want %x", got, c.LogHash)
			}
			// Block, transaction and index fields must not matter.
			for _, l := range []*types.Log{
				{Address: c.Address, Topics: c.Topics, Data: c.Data},
				{Address: c.Address, Topics: c.Topics, Data: c.Data, BlockNumber: 9, TxHash: common.Hash{1},
					TxIndex: 3, BlockHash: common.Hash{2}, Index: 77, Removed: true, BlockTimestamp: 5},
			} {
				if got := LogHashOf(l); got != c.LogHash {
					t.Errorf("LogHashOf %x, want %x", got, c.LogHash)
				}
			}
		})
	}
}

func TestPayload(t *testing.T) {
	topics := []common.Hash{{1}, {2}, {3}}
	data := []byte{0xaa, 0xbb}
	p := Payload(topics, data)
	want := append(append(append(append([]byte{}, topics[0][:]...), topics[1][:]...), topics[2][:]...), data...)
	if !bytes.Equal(p, want) {
		t.Fatalf("payload %x, want %x", p, want)
	}
	if len(Payload(nil, nil)) != 0 {
		t.Error("empty payload not empty")
	}
	if PayloadHash(nil, nil) != crypto.Keccak256Hash(nil) {
		t.Error("empty payload hash is not keccak256 of nothing")
	}
}

func TestPackedID(t *testing.T) {
	id := Identifier{BlockNumber: 0x0102030405060708, Timestamp: 0x1112131415161718, LogIndex: 0x21222324}
	got := id.PackedID()
	want := common.FromHex("0x000000000000000000000000010203040506070811121314151617182122232400")[:32]
	if !bytes.Equal(got[:], want) {
		t.Fatalf("packed %x, want %x", got, want)
	}
}

// TestChecksumProperties compares the optimised checksum against a direct transcription
// of the formula for random identifiers, including chain IDs that use all 32 bytes.
func TestChecksumProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		id := randomIdentifier(r)
		var msgHash common.Hash
		fill(r, msgHash[:])
		logHash := crypto.Keccak256Hash(id.Origin[:], msgHash[:])
		var packed [32]byte
		binary.BigEndian.PutUint64(packed[12:], id.BlockNumber)
		binary.BigEndian.PutUint64(packed[20:], id.Timestamp)
		binary.BigEndian.PutUint32(packed[28:], id.LogIndex)
		chainID := id.ChainID.Bytes32()
		bare := crypto.Keccak256(crypto.Keccak256(logHash[:], packed[:]), chainID[:])
		want := common.BytesToHash(append([]byte{0x03}, bare[1:]...))
		if got := Checksum(&id, msgHash); got != want {
			t.Fatalf("id %+v: checksum %x, want %x", id, got, want)
		}
		if LogHash(id.Origin, msgHash) != logHash {
			t.Fatal("log hash mismatch")
		}
	}
}

func randomIdentifier(r *rand.Rand) Identifier {
	var id Identifier
	fill(r, id.Origin[:])
	id.BlockNumber = r.Uint64()
	id.Timestamp = r.Uint64()
	id.LogIndex = r.Uint32()
	var c [32]byte
	fill(r, c[:])
	// Mix small, 64-bit and full-width chain IDs.
	switch r.IntN(3) {
	case 0:
		id.ChainID.SetUint64(r.Uint64N(1 << 20))
	case 1:
		id.ChainID.SetUint64(r.Uint64())
	default:
		id.ChainID.SetBytes32(c[:])
	}
	return id
}

func fill(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

var sinkHash common.Hash

func BenchmarkChecksum(b *testing.B) {
	id := Identifier{
		Origin:      common.HexToAddress("0xe0e1e2e3e4e5e6e7e8e9f0f1f2f3f4f5f6f7f8f9"),
		BlockNumber: 0xa1a2a3a4a5a6a7a8, LogIndex: 0xb1b2b3b4, Timestamp: 0xc1c2c3c4c5c6c7c8,
		ChainID: *uint256.NewInt(0xd1d2d3d4d5d6d7d8),
	}
	msgHash := common.HexToHash("0x8017559a85b12c04b14a1a425d53486d1015f833714a09bd62f04152a7e2ae9b")
	b.ReportAllocs()
	for b.Loop() {
		sinkHash = Checksum(&id, msgHash)
	}
}

func BenchmarkChecksumFromLogHash(b *testing.B) {
	id := Identifier{BlockNumber: 1, LogIndex: 2, Timestamp: 3, ChainID: *uint256.NewInt(901)}
	logHash := common.Hash{0xaa}
	b.ReportAllocs()
	for b.Loop() {
		sinkHash = ChecksumFromLogHash(&id, logHash)
	}
}

func BenchmarkLogHashOf(b *testing.B) {
	l := &types.Log{
		Address: common.Address{1},
		Topics:  []common.Hash{{2}, {3}, {4}},
		Data:    make([]byte, 160),
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkHash = LogHashOf(l)
	}
}

// OfLog takes the identifier from the log's own fields, the timestamp and chain from the
// caller, and hashes the log's topics and data.
func TestOfLog(t *testing.T) {
	l := &types.Log{
		Address:     common.HexToAddress("0xaabb000000000000000000000000000000000000"),
		Topics:      []common.Hash{{0xcc}, {0xdd}},
		Data:        []byte{0xee, 0xff, 0x00},
		BlockNumber: 17,
		Index:       4,
	}
	chain := new(uint256.Int).Lsh(uint256.NewInt(1), 100)
	m := OfLog(l, 1234, chain)
	want := Identifier{Origin: l.Address, BlockNumber: 17, LogIndex: 4, Timestamp: 1234, ChainID: *chain}
	if m.Identifier != want {
		t.Fatalf("identifier %+v, want %+v", m.Identifier, want)
	}
	if m.MsgHash != PayloadHash(l.Topics, l.Data) || LogHash(m.Identifier.Origin, m.MsgHash) != LogHashOf(l) {
		t.Fatal("message hash is not the log's payload hash")
	}
}
