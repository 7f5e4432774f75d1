// Package message defines the identifier of an initiating message and the hashes the
// protocol derives from it: the payload hash (msgHash), the log hash and the access-list
// checksum. It is pure computation: no I/O, no node state.
package message

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// Identifier locates an initiating message: the log at LogIndex (among all logs of the
// block) of block BlockNumber, with timestamp Timestamp, on chain ChainID, emitted by Origin.
// Field widths are the protocol's limits (u64 block number and timestamp, u32 log index,
// u256 chain ID), so an Identifier value is always in range.
type Identifier struct {
	Origin      common.Address
	BlockNumber uint64
	LogIndex    uint32
	Timestamp   uint64
	ChainID     uint256.Int
}

// Message is an identifier with the hash of the payload it points at.
type Message struct {
	Identifier Identifier
	MsgHash    common.Hash
}

// Payload is the message payload of a log: its topics (32 bytes each) followed by its data.
func Payload(topics []common.Hash, data []byte) []byte {
	out := make([]byte, 0, 32*len(topics)+len(data))
	for _, t := range topics {
		out = append(out, t[:]...)
	}
	return append(out, data...)
}

// PayloadHash is msgHash: keccak256 of the payload of a log, computed without building
// the payload.
func PayloadHash(topics []common.Hash, data []byte) common.Hash {
	h := crypto.NewKeccakState()
	for i := range topics {
		h.Write(topics[i][:])
	}
	h.Write(data)
	var out common.Hash
	h.Read(out[:])
	return out
}

// LogHash is keccak256(origin ++ msgHash): what the index stores for each log.
func LogHash(origin common.Address, msgHash common.Hash) common.Hash {
	var buf [52]byte
	copy(buf[:20], origin[:])
	copy(buf[20:], msgHash[:])
	return crypto.Keccak256Hash(buf[:])
}

// LogHashOf is the log hash of a receipt log; it depends only on address, topics and data.
func LogHashOf(l *types.Log) common.Hash {
	return LogHash(l.Address, PayloadHash(l.Topics, l.Data))
}

// PackedID is 12 zero bytes ++ u64be(blockNumber) ++ u64be(timestamp) ++ u32be(logIndex).
func (id *Identifier) PackedID() (out [32]byte) {
	binary.BigEndian.PutUint64(out[12:20], id.BlockNumber)
	binary.BigEndian.PutUint64(out[20:28], id.Timestamp)
	binary.BigEndian.PutUint32(out[28:32], id.LogIndex)
	return out
}

// ChecksumFromLogHash is the type-3 access-list entry (and CrossL2Inbox storage slot) of
// the message at id whose log hash is logHash:
//
//	idLogHash = keccak256(logHash ++ idPacked)
//	bare      = keccak256(idLogHash ++ u256be(chainId))
//	checksum  = 0x03 ++ bare[1:]
func ChecksumFromLogHash(id *Identifier, logHash common.Hash) common.Hash {
	var buf [64]byte
	copy(buf[:32], logHash[:])
	packed := id.PackedID()
	copy(buf[32:], packed[:])
	h := crypto.NewKeccakState()
	h.Write(buf[:])
	h.Read(buf[:32])
	id.ChainID.WriteToSlice(buf[32:64])
	h.Reset()
	h.Write(buf[:])
	var out common.Hash
	h.Read(out[:])
	out[0] = 0x03
	return out
}

// Checksum is the checksum of the message at id with payload hash msgHash.
func Checksum(id *Identifier, msgHash common.Hash) common.Hash {
	return ChecksumFromLogHash(id, LogHash(id.Origin, msgHash))
}
