// Package accesslist encodes and decodes the access-list storage keys by which a
// transaction pre-declares the executing messages it will validate through CrossL2Inbox.
//
// Each message is two or three 32-byte keys, in order:
//
//	type 1 lookup     0x01 | 3 zero bytes | chainId low 64 bits | blockNumber u64 | timestamp u64 | logIndex u32
//	type 2 extension  0x02 | 7 zero bytes | upper 24 bytes of chainId     (only when chainId ≥ 2^64)
//	type 3 checksum   0x03 | checksum[1:32]                               (see message.Checksum)
//
// The keys of every access-list tuple whose address is CrossL2Inbox are concatenated in
// order (InboxKeys) before parsing, so a message may be split across tuples. Only the
// checksum is seen by the EVM (it is the storage slot CrossL2Inbox checks for warmth);
// lookups and extensions are hints that let a checker find the initiating log without
// trusting the transaction. The package is pure codec: it never decides whether a message
// is valid.
package accesslist

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/params"
)

// Entry types: the first byte of each key. Type 0 is reserved.
const (
	TypeLookup    byte = 0x01
	TypeExtension byte = 0x02
	TypeChecksum  byte = 0x03
)

// Parse errors. Parse wraps them with the position of the offending entry (an index into
// the concatenated CrossL2Inbox keys); compare with errors.Is. They derive from
// rpcerr.InvalidParams: a malformed access list is a definitive rejection.
var (
	// ErrExpectedLookup: a message does not start with a type-1 entry.
	ErrExpectedLookup = rpcerr.InvalidParams.Derive("expected lookup")
	// ErrExpectedChecksum: after a lookup (and optional extension) comes neither an
	// extension nor a checksum, or a second extension.
	ErrExpectedChecksum = rpcerr.InvalidParams.Derive("expected checksum")
	// ErrDuplicateExtension accompanies ErrExpectedChecksum when the offending entry is a
	// second chain-ID extension of the same message.
	ErrDuplicateExtension = rpcerr.InvalidParams.Derive("duplicate chain-ID extension")
	// ErrMalformedEntry: non-zero reserved bytes in a lookup or extension.
	ErrMalformedEntry = rpcerr.InvalidParams.Derive("malformed entry (non-zero reserved bytes)")
	// ErrUnexpectedEnd: the list ends inside a message (a lookup without its checksum).
	ErrUnexpectedEnd = rpcerr.InvalidParams.Derive("unexpected end (message without checksum)")
)

// Access is one executing message as declared in an access list: where the initiating log
// is, and the checksum that binds it to its log hash. The origin address and message hash
// are not in the access list; they are folded into the checksum.
type Access struct {
	BlockNumber uint64
	Timestamp   uint64
	LogIndex    uint32
	ChainID     uint256.Int
	Checksum    common.Hash
}

// FromMessage is the access that declares the message msgHash at id.
func FromMessage(id *message.Identifier, msgHash common.Hash) Access {
	return Access{
		BlockNumber: id.BlockNumber,
		Timestamp:   id.Timestamp,
		LogIndex:    id.LogIndex,
		ChainID:     id.ChainID,
		Checksum:    message.Checksum(id, msgHash),
	}
}

// LookupIdentifier is the identifier the access points at, with the origin (which the
// access list does not carry) supplied by the caller.
func (a *Access) LookupIdentifier(origin common.Address) message.Identifier {
	return message.Identifier{
		Origin:      origin,
		BlockNumber: a.BlockNumber,
		LogIndex:    a.LogIndex,
		Timestamp:   a.Timestamp,
		ChainID:     a.ChainID,
	}
}

// Matches reports whether logHash (the log hash found at the access's location) is the one
// the access's checksum commits to. This is the existence check of a message once the log
// has been looked up.
func (a *Access) Matches(logHash common.Hash) bool {
	id := a.LookupIdentifier(common.Address{}) // the checksum does not read the origin
	return message.ChecksumFromLogHash(&id, logHash) == a.Checksum
}

// needsExtension reports whether the chain ID does not fit the lookup entry's 64 bits.
func (a *Access) needsExtension() bool {
	return a.ChainID[1]|a.ChainID[2]|a.ChainID[3] != 0
}

// EntryCount is the number of keys Encode produces for a: 3 when the chain ID is ≥ 2^64,
// otherwise 2.
func (a *Access) EntryCount() int {
	if a.needsExtension() {
		return 3
	}
	return 2
}

// Lookup is the type-1 entry of a.
func (a *Access) Lookup() common.Hash {
	var e common.Hash
	e[0] = TypeLookup
	binary.BigEndian.PutUint64(e[4:12], a.ChainID[0])
	binary.BigEndian.PutUint64(e[12:20], a.BlockNumber)
	binary.BigEndian.PutUint64(e[20:28], a.Timestamp)
	binary.BigEndian.PutUint32(e[28:32], a.LogIndex)
	return e
}

// Extension is the type-2 entry of a (whether or not a needs one).
func (a *Access) Extension() common.Hash {
	var e common.Hash
	e[0] = TypeExtension
	binary.BigEndian.PutUint64(e[8:16], a.ChainID[3])
	binary.BigEndian.PutUint64(e[16:24], a.ChainID[2])
	binary.BigEndian.PutUint64(e[24:32], a.ChainID[1])
	return e
}

// Append appends the canonical entries of each access to dst: lookup, the extension only
// when the chain ID is ≥ 2^64, checksum. The checksum is written as it is: it must be a
// checksum (first byte 0x03, as message.Checksum makes it) for the result to parse.
func Append(dst []common.Hash, accesses ...Access) []common.Hash {
	n := 0
	for i := range accesses {
		n += accesses[i].EntryCount()
	}
	dst = slices.Grow(dst, n)
	for i := range accesses {
		a := &accesses[i]
		dst = append(dst, a.Lookup())
		if a.needsExtension() {
			dst = append(dst, a.Extension())
		}
		dst = append(dst, a.Checksum)
	}
	return dst
}

// Encode is the canonical list of entries for accesses (nil for none).
func Encode(accesses []Access) []common.Hash {
	if len(accesses) == 0 {
		return nil
	}
	return Append(nil, accesses...)
}

// TxAccessList is the transaction access list declaring accesses: one CrossL2Inbox tuple
// (nil for no accesses).
func TxAccessList(accesses []Access) types.AccessList {
	if len(accesses) == 0 {
		return nil
	}
	return types.AccessList{{Address: params.CrossL2InboxAddress, StorageKeys: Encode(accesses)}}
}

// InboxKeys concatenates, in order, the storage keys of every tuple of al whose address is
// CrossL2Inbox; tuples of other addresses are skipped. When a single tuple holds all of
// them its StorageKeys slice is returned as is (not copied): do not modify the result.
func InboxKeys(al types.AccessList) []common.Hash {
	n, tuples, last := 0, 0, -1
	for i := range al {
		if al[i].Address == params.CrossL2InboxAddress && len(al[i].StorageKeys) > 0 {
			n += len(al[i].StorageKeys)
			tuples++
			last = i
		}
	}
	switch tuples {
	case 0:
		return nil
	case 1:
		return al[last].StorageKeys
	}
	out := make([]common.Hash, 0, n)
	for i := range al {
		if al[i].Address == params.CrossL2InboxAddress {
			out = append(out, al[i].StorageKeys...)
		}
	}
	return out
}

// ParseTx parses the CrossL2Inbox keys of a transaction access list (Parse(InboxKeys(al))).
func ParseTx(al types.AccessList) ([]Access, error) {
	return Parse(InboxKeys(al))
}

// Parse decodes a list of CrossL2Inbox keys into the accesses it declares, in order.
// An empty list is not an error: it returns nil, nil (not an interop transaction).
// Repeated messages are kept (a transaction may execute the same message twice).
// An extension whose upper bytes are all zero is accepted (non-canonical but valid).
func Parse(entries []common.Hash) ([]Access, error) {
	return AppendParsed(nil, entries)
}

// AppendParsed is Parse appending to dst, so a caller can reuse one buffer. On error dst is
// returned unchanged. It validates the whole list before growing dst, so a long malformed
// list costs no allocation.
func AppendParsed(dst []Access, entries []common.Hash) ([]Access, error) {
	n, err := walk(entries, nil)
	if err != nil || n == 0 {
		return dst, err
	}
	start := len(dst)
	if dst == nil {
		dst = make([]Access, n)
	} else {
		dst = slices.Grow(dst, n)[:start+n]
	}
	walk(entries, dst[start:])
	return dst, nil
}

// walk runs the entry grammar over entries, returning the number of messages or the first
// error. With a non-nil out (of exactly that length) it also fills in the accesses.
func walk(entries []common.Hash, out []Access) (int, error) {
	n := 0
	for i := 0; i < len(entries); {
		e := &entries[i]
		if e[0] != TypeLookup {
			return 0, fmt.Errorf("entry %d: %w, got type %d", i, ErrExpectedLookup, e[0])
		}
		if e[1]|e[2]|e[3] != 0 {
			return 0, fmt.Errorf("entry %d: %w in lookup", i, ErrMalformedEntry)
		}
		lookup := i
		i++
		if i == len(entries) {
			return 0, fmt.Errorf("entry %d: %w", lookup, ErrUnexpectedEnd)
		}
		ext := -1
		if entries[i][0] == TypeExtension {
			x := &entries[i]
			if binary.BigEndian.Uint64(x[0:8])&0x00ffffffffffffff != 0 {
				return 0, fmt.Errorf("entry %d: %w in chain-ID extension", i, ErrMalformedEntry)
			}
			ext = i
			i++
			if i == len(entries) {
				return 0, fmt.Errorf("entry %d: %w", lookup, ErrUnexpectedEnd)
			}
		}
		if t := entries[i][0]; t != TypeChecksum {
			if t == TypeExtension {
				return 0, fmt.Errorf("entry %d: %w, got type %d (%w)", i, ErrExpectedChecksum, t, ErrDuplicateExtension)
			}
			return 0, fmt.Errorf("entry %d: %w, got type %d", i, ErrExpectedChecksum, t)
		}
		if out != nil {
			a := &out[n]
			a.ChainID[0] = binary.BigEndian.Uint64(e[4:12])
			if ext >= 0 {
				x := &entries[ext]
				a.ChainID[3] = binary.BigEndian.Uint64(x[8:16])
				a.ChainID[2] = binary.BigEndian.Uint64(x[16:24])
				a.ChainID[1] = binary.BigEndian.Uint64(x[24:32])
			} else {
				a.ChainID[1], a.ChainID[2], a.ChainID[3] = 0, 0, 0
			}
			a.BlockNumber = binary.BigEndian.Uint64(e[12:20])
			a.Timestamp = binary.BigEndian.Uint64(e[20:28])
			a.LogIndex = binary.BigEndian.Uint32(e[28:32])
			a.Checksum = entries[i]
		}
		n++
		i++
	}
	return n, nil
}
