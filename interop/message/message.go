// Package message defines the identifier of an initiating message and the hashes the
// protocol derives from it: the payload hash (msgHash), the log hash and the access-list
// checksum. It is pure computation: no I/O, no node state.
package message

import (
	"encoding/binary"
	"sync"

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
	s := getScratch()
	for i := range topics {
		s.h.Write(topics[i][:])
	}
	s.h.Write(data)
	out := s.finish()
	putScratch(s)
	return out
}

// LogHash is keccak256(origin ++ msgHash): what the index stores for each log.
func LogHash(origin common.Address, msgHash common.Hash) common.Hash {
	s := getScratch()
	out := s.logHash(origin, msgHash)
	putScratch(s)
	return out
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
	s := getScratch()
	out := s.checksum(id, logHash)
	putScratch(s)
	return out
}

// Checksum is the checksum of the message at id with payload hash msgHash.
func Checksum(id *Identifier, msgHash common.Hash) common.Hash {
	s := getScratch()
	out := s.checksum(id, s.logHash(id.Origin, msgHash))
	putScratch(s)
	return out
}

// scratch is a keccak state with buffers that live on the heap already: handing stack
// buffers to the hasher (an interface) would make every call allocate. Checksums are
// computed for every executing message at pool admission, block building and import, so
// they are kept allocation-free.
type scratch struct {
	h   crypto.KeccakState
	buf [64]byte
	out common.Hash
}

var scratchPool = sync.Pool{New: func() any { return &scratch{h: crypto.NewKeccakState()} }}

// getScratch returns a scratch with a reset hasher.
func getScratch() *scratch {
	s := scratchPool.Get().(*scratch)
	s.h.Reset()
	return s
}

func putScratch(s *scratch) { scratchPool.Put(s) }

// finish reads the digest of what was written and resets the hasher.
func (s *scratch) finish() common.Hash {
	s.h.Read(s.out[:])
	s.h.Reset()
	return s.out
}

func (s *scratch) hash(n int) common.Hash {
	s.h.Write(s.buf[:n])
	return s.finish()
}

func (s *scratch) logHash(origin common.Address, msgHash common.Hash) common.Hash {
	copy(s.buf[:20], origin[:])
	copy(s.buf[20:52], msgHash[:])
	return s.hash(52)
}

func (s *scratch) checksum(id *Identifier, logHash common.Hash) common.Hash {
	copy(s.buf[:32], logHash[:])
	clear(s.buf[32:44])
	binary.BigEndian.PutUint64(s.buf[44:52], id.BlockNumber)
	binary.BigEndian.PutUint64(s.buf[52:60], id.Timestamp)
	binary.BigEndian.PutUint32(s.buf[60:64], id.LogIndex)
	idLogHash := s.hash(64)
	copy(s.buf[:32], idLogHash[:])
	id.ChainID.PutUint256(s.buf[32:64])
	out := s.hash(64)
	out[0] = 0x03
	return out
}

// OfLog is the initiating message a receipt log is: its identifier on chain chainID, in a
// block with the given timestamp (the log does not carry it), and its payload hash.
func OfLog(l *types.Log, timestamp uint64, chainID *uint256.Int) Message {
	return Message{
		Identifier: Identifier{Origin: l.Address, BlockNumber: l.BlockNumber, LogIndex: uint32(l.Index), Timestamp: timestamp, ChainID: *chainID},
		MsgHash:    PayloadHash(l.Topics, l.Data),
	}
}
