package logindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// Record format, version 1: one value per block, fixed header so that the log hash at
// index i sits at a computed offset (a lookup is one Get plus a slice):
//
//	off  size  field
//	0    1     version (1)
//	1    8     block number (big endian, as every fixed-width integer here)
//	9    32    block hash
//	41   32    parent hash
//	73   8     timestamp
//	81   8     logs in the blocks indexed before this one (since the index began)
//	89   8     stored bytes of those blocks (record values and keys)
//	97   4     n = number of logs
//	101  32·n  log hashes, in log order
//	…          executing messages: uvarint count, then per message
//	             uvarint  log index in this block (strictly increasing, < n)
//	             20       identifier origin
//	             uvarint  identifier block number
//	             uvarint  identifier log index (< 2^32)
//	             uvarint  identifier timestamp
//	             1        L = byte length of the identifier chain ID (0..32)
//	             L        chain ID, big endian, no leading zero byte
//	             32       msgHash
//	end−4 4    CRC-32C (Castagnoli) of everything before it
//
// Varints are canonical (shortest form). Decoding accepts exactly what encoding produces:
// anything else (truncated, garbled, trailing bytes, bad checksum) is ErrCorrupt. The two
// running totals make Stats O(1) across rewinds and pruning.
const (
	recordVersion = 1

	offNumber      = 1
	offHash        = 9
	offParent      = 41
	offTimestamp   = 73
	offLogsBefore  = 81
	offBytesBefore = 89
	offNumLogs     = 97
	offLogs        = 101
	crcSize        = 4

	minRecordSize = offLogs + 1 + crcSize // no logs, no executing messages
	minExecSize   = 1 + 20 + 1 + 1 + 1 + 1 + 32

	// MaxLogsPerBlock bounds the logs of one block (a 512 MiB record). A block at today's
	// gas limits holds a few hundred thousand logs at most (375 gas per log).
	MaxLogsPerBlock = 1 << 24
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is a decoded view of a stored block; raw is the whole value and is never
// modified once the record is built.
type record struct {
	ref         BlockRef
	logsBefore  uint64
	bytesBefore uint64
	nLogs       uint32
	nExec       int
	execOff     int // offset of the first executing message (after the count)
	raw         []byte
}

func (r *record) logHash(i uint32) (h common.Hash) {
	copy(h[:], r.raw[offLogs+32*int(i):])
	return h
}

// storedSize is what the block occupies in the key-value store (value and key).
func (r *record) storedSize(keyLen int) uint64 { return uint64(len(r.raw) + keyLen) }

// validateBlock checks what Append accepts beyond chain linkage.
func validateBlock(b *Block) error {
	if len(b.LogHashes) > MaxLogsPerBlock {
		return fmt.Errorf("%w: block %d has %d logs, more than %d", ErrInvalidBlock, b.Number, len(b.LogHashes), MaxLogsPerBlock)
	}
	for i := range b.ExecMsgs {
		li := b.ExecMsgs[i].LogIndex
		if int(li) >= len(b.LogHashes) {
			return fmt.Errorf("%w: block %d: executing message at log %d, block has %d logs", ErrInvalidBlock, b.Number, li, len(b.LogHashes))
		}
		if i > 0 && li <= b.ExecMsgs[i-1].LogIndex {
			return fmt.Errorf("%w: block %d: executing messages not in strictly increasing log order (%d after %d)",
				ErrInvalidBlock, b.Number, li, b.ExecMsgs[i-1].LogIndex)
		}
	}
	return nil
}

// encodedSize is the exact size of b's record.
func encodedSize(b *Block) int {
	n := offLogs + 32*len(b.LogHashes) + uvarintLen(uint64(len(b.ExecMsgs))) + crcSize
	for i := range b.ExecMsgs {
		m := &b.ExecMsgs[i]
		id := &m.Msg.Identifier
		n += uvarintLen(uint64(m.LogIndex)) + 20 + uvarintLen(id.BlockNumber) + uvarintLen(uint64(id.LogIndex)) +
			uvarintLen(id.Timestamp) + 1 + id.ChainID.ByteLen() + 32
	}
	return n
}

// encodeRecord appends the record of b (already validated) to dst[:0].
func encodeRecord(dst []byte, b *Block, logsBefore, bytesBefore uint64) []byte {
	size := encodedSize(b)
	if cap(dst) < size {
		dst = make([]byte, 0, size)
	}
	out := dst[:offLogs]
	out[0] = recordVersion
	binary.BigEndian.PutUint64(out[offNumber:], b.Number)
	copy(out[offHash:], b.Hash[:])
	copy(out[offParent:], b.ParentHash[:])
	binary.BigEndian.PutUint64(out[offTimestamp:], b.Timestamp)
	binary.BigEndian.PutUint64(out[offLogsBefore:], logsBefore)
	binary.BigEndian.PutUint64(out[offBytesBefore:], bytesBefore)
	binary.BigEndian.PutUint32(out[offNumLogs:], uint32(len(b.LogHashes)))
	for i := range b.LogHashes {
		out = append(out, b.LogHashes[i][:]...)
	}
	out = binary.AppendUvarint(out, uint64(len(b.ExecMsgs)))
	for i := range b.ExecMsgs {
		m := &b.ExecMsgs[i]
		id := &m.Msg.Identifier
		out = binary.AppendUvarint(out, uint64(m.LogIndex))
		out = append(out, id.Origin[:]...)
		out = binary.AppendUvarint(out, id.BlockNumber)
		out = binary.AppendUvarint(out, uint64(id.LogIndex))
		out = binary.AppendUvarint(out, id.Timestamp)
		var cid [32]byte
		id.ChainID.PutUint256(cid[:])
		l := id.ChainID.ByteLen()
		out = append(out, byte(l))
		out = append(out, cid[32-l:]...)
		out = append(out, m.Msg.MsgHash[:]...)
	}
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

var errShort = errors.New("truncated")

// decodeRecord parses and fully validates raw (which the record then references).
func decodeRecord(raw []byte) (record, error) {
	r, err := decode(raw)
	if err != nil {
		return record{}, fmt.Errorf("%w: block record: %v", ErrCorrupt, err)
	}
	return r, nil
}

func decode(raw []byte) (record, error) {
	var r record
	if len(raw) < minRecordSize {
		return r, fmt.Errorf("%d bytes, need at least %d", len(raw), minRecordSize)
	}
	if raw[0] != recordVersion {
		return r, fmt.Errorf("unknown version %d", raw[0])
	}
	body := raw[:len(raw)-crcSize]
	if want, have := binary.BigEndian.Uint32(raw[len(body):]), crc32.Checksum(body, castagnoli); want != have {
		return r, fmt.Errorf("checksum %08x, stored %08x", have, want)
	}
	r.raw = raw
	r.ref.Number = binary.BigEndian.Uint64(raw[offNumber:])
	r.ref.Hash = common.BytesToHash(raw[offHash : offHash+32])
	r.ref.ParentHash = common.BytesToHash(raw[offParent : offParent+32])
	r.ref.Timestamp = binary.BigEndian.Uint64(raw[offTimestamp:])
	r.logsBefore = binary.BigEndian.Uint64(raw[offLogsBefore:])
	r.bytesBefore = binary.BigEndian.Uint64(raw[offBytesBefore:])
	r.nLogs = binary.BigEndian.Uint32(raw[offNumLogs:])
	if r.nLogs > MaxLogsPerBlock {
		return r, fmt.Errorf("%d logs, more than %d", r.nLogs, MaxLogsPerBlock)
	}
	pos := offLogs + 32*int(r.nLogs)
	if pos+1 > len(body) {
		return r, fmt.Errorf("%d logs do not fit in %d bytes", r.nLogs, len(raw))
	}
	count, n, err := readUvarint(body[pos:])
	if err != nil {
		return r, fmt.Errorf("executing message count: %v", err)
	}
	pos += n
	if count > uint64(r.nLogs) || count > uint64((len(body)-pos)/minExecSize) {
		return r, fmt.Errorf("%d executing messages in a block of %d logs and %d remaining bytes", count, r.nLogs, len(body)-pos)
	}
	r.nExec, r.execOff = int(count), pos
	var m ExecMsg
	for i := 0; i < r.nExec; i++ {
		prev := int64(m.LogIndex)
		if i == 0 {
			prev = -1
		}
		if pos, err = decodeExec(body, pos, &m); err != nil {
			return r, fmt.Errorf("executing message %d: %v", i, err)
		}
		if int64(m.LogIndex) <= prev || m.LogIndex >= r.nLogs {
			return r, fmt.Errorf("executing message %d at log %d (previous %d, block has %d logs)", i, m.LogIndex, prev, r.nLogs)
		}
	}
	if pos != len(body) {
		return r, fmt.Errorf("%d trailing bytes", len(body)-pos)
	}
	return r, nil
}

// decodeExec reads one executing message at body[pos:] into m.
func decodeExec(body []byte, pos int, m *ExecMsg) (int, error) {
	u, n, err := readUvarint(body[pos:])
	if err != nil {
		return 0, err
	}
	if u > math.MaxUint32 {
		return 0, fmt.Errorf("log index %d out of range", u)
	}
	m.LogIndex, pos = uint32(u), pos+n
	if len(body)-pos < 20 {
		return 0, errShort
	}
	id := &m.Msg.Identifier
	copy(id.Origin[:], body[pos:])
	pos += 20
	if id.BlockNumber, n, err = readUvarint(body[pos:]); err != nil {
		return 0, err
	}
	pos += n
	if u, n, err = readUvarint(body[pos:]); err != nil {
		return 0, err
	}
	if u > math.MaxUint32 {
		return 0, fmt.Errorf("identifier log index %d out of range", u)
	}
	id.LogIndex, pos = uint32(u), pos+n
	if id.Timestamp, n, err = readUvarint(body[pos:]); err != nil {
		return 0, err
	}
	pos += n
	if pos >= len(body) {
		return 0, errShort
	}
	l := int(body[pos])
	pos++
	if l > 32 {
		return 0, fmt.Errorf("chain ID of %d bytes", l)
	}
	if len(body)-pos < l+32 {
		return 0, errShort
	}
	if l > 0 && body[pos] == 0 {
		return 0, errors.New("chain ID with a leading zero byte")
	}
	id.ChainID.SetBytes(body[pos : pos+l])
	pos += l
	copy(m.Msg.MsgHash[:], body[pos:pos+32])
	return pos + 32, nil
}

// readUvarint reads a canonical (shortest-form) uvarint.
func readUvarint(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	switch {
	case n == 0:
		return 0, 0, errShort
	case n < 0:
		return 0, 0, errors.New("varint overflows 64 bits")
	case n > 1 && b[n-1] == 0:
		return 0, 0, errors.New("non-canonical varint")
	}
	return v, n, nil
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// execMsgs decodes the executing messages of a record that decodeRecord accepted (so it
// cannot fail unless raw was modified since).
func (r *record) execMsgs() ([]ExecMsg, error) {
	if r.nExec == 0 {
		return nil, nil
	}
	out := make([]ExecMsg, r.nExec)
	body := r.raw[:len(r.raw)-crcSize]
	pos := r.execOff
	for i := range out {
		var err error
		if pos, err = decodeExec(body, pos, &out[i]); err != nil {
			return nil, fmt.Errorf("%w: block %d: executing message %d: %v", ErrCorrupt, r.ref.Number, i, err)
		}
	}
	return out, nil
}

// toBlock rebuilds the Block a record stores.
func (r *record) toBlock() (*Block, error) {
	execs, err := r.execMsgs()
	if err != nil {
		return nil, err
	}
	b := &Block{BlockRef: r.ref, ExecMsgs: execs}
	if r.nLogs > 0 {
		b.LogHashes = make([]common.Hash, r.nLogs)
		for i := range b.LogHashes {
			b.LogHashes[i] = r.logHash(uint32(i))
		}
	}
	return b, nil
}

// ChainKey is the compact key of a chain: its big-endian bytes without leading zeros,
// prefixed by their count, so the keys of different chains never prefix one another. The
// index and the safety engine key their per-chain records with it.
func ChainKey(id *uint256.Int) []byte {
	var b [32]byte
	id.PutUint256(b[:])
	l := id.ByteLen()
	return append([]byte{byte(l)}, b[32-l:]...)
}
