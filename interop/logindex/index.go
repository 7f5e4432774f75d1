package logindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/params"
)

// Key layout. Several chains share one key-value store; each owns the keys under
//
//	"xgi" ++ len(id) ++ id       id = chain ID big-endian without leading zeros (1 byte length)
//
// and below that prefix
//
//	'h'                 the head pointer: the commit point of every change (meta below)
//	'r' ++ u64be(n)     the record of block n (record.go)
//
// The head pointer holds the numbers of the oldest retained block (first) and of the head
// and the head's hash. Every change is one batch that writes the head pointer together
// with the records it adds or the range deletion of the records it removes, so the store
// always holds exactly the records in [first, head] that the head pointer promises. Open
// checks this and deletes records outside the range (unreachable by construction).
const (
	keyPrefix  = "xgi"
	kindHead   = 'h'
	kindRecord = 'r'

	metaVersion = 1
	metaSize    = 1 + 8 + 8 + 32 + crcSize // version, first, head, head hash, CRC-32C
)

// Options tune an index; the zero value is the default.
type Options struct {
	// Retention is how many seconds of blocks behind the head Append keeps: older blocks
	// are pruned in chunks of about Retention/32. 0 selects DefaultRetention; NoPruning
	// keeps everything (Prune still works).
	Retention uint64
	// RecentBlocks is how many of the newest blocks are kept in memory for lookups that
	// neither lock the store nor allocate. 0 selects DefaultRecentBlocks; at least 1.
	RecentBlocks int
	// ReadCache is how many older blocks are kept in memory after a lookup read them (the
	// pool re-checks the same messages after every block). 0 selects DefaultReadCache; a
	// negative value disables it.
	ReadCache int
	// VerifyDepth is how many parent links below the head Open verifies. 0 selects
	// DefaultVerifyDepth; a negative value verifies only the head and first records.
	VerifyDepth int
}

const (
	// DefaultRetention is twice the message expiry window: older blocks cannot be
	// depended upon.
	DefaultRetention = 2 * params.MessageExpiryWindow
	// NoPruning as Options.Retention disables pruning by Append.
	NoPruning            = math.MaxUint64
	DefaultRecentBlocks  = 256
	DefaultReadCache     = 1024
	DefaultVerifyDepth   = 64
	pruneChunkDivisor    = 32
	maxStaleGenRetries   = 16
	defaultScratchRecord = offLogs + 32*100 + 64
)

// Stats describe what an index holds.
type Stats struct {
	Blocks uint64
	Logs   uint64
	// Bytes is the size of the stored values and keys, before the store's compression
	// and overhead (see BenchmarkDiskBytesPerLog for the on-disk figure).
	Bytes       uint64
	First, Head BlockRef
}

// ChainIndex is the log index of one chain. Readers are safe for concurrent use with
// each other and with one writer; writer calls (Append, Rewind, Prune) are serialised.
type ChainIndex struct {
	db      ethdb.KeyValueStore
	chainID uint256.Int
	prefix  []byte // keyPrefix ++ chain key
	opts    Options
	log     log.Logger

	wmu        sync.Mutex // serialises writers; they read head and first without mu
	batch      ethdb.Batch
	pruneSlack uint64

	mu     sync.RWMutex
	empty  bool
	first  record   // header of the oldest retained block (raw not used)
	head   record   // the newest block
	recent []record // ring indexed by number % len: a slot is valid when raw != nil and ref.Number matches
	// gen is incremented by every removal (Rewind, Prune). Removals delete from the store
	// while holding mu for writing, so a reader that read the store without mu and then
	// finds gen unchanged knows no deletion overlapped its read: a record missing then is
	// corruption, not a race.
	gen uint64

	rcMu  sync.Mutex
	rc    map[uint64]record
	rcLog []uint64 // FIFO of rc keys
	rcPos int
}

var _ Writer = (*ChainIndex)(nil)

// Open opens (or creates) the index of chainID in db. Several chains may share db. It
// verifies the head pointer against the stored records (the head and first records and
// the last VerifyDepth parent links) and returns an error wrapping ErrCorrupt when they
// disagree; records outside the range the head pointer promises are deleted (repair).
func Open(db ethdb.KeyValueStore, chainID *uint256.Int, opts Options) (*ChainIndex, error) {
	if chainID == nil || chainID.IsZero() {
		return nil, errors.New("logindex: chain ID must be non-zero")
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	if opts.RecentBlocks <= 0 {
		opts.RecentBlocks = DefaultRecentBlocks
	}
	if opts.ReadCache == 0 {
		opts.ReadCache = DefaultReadCache
	}
	if opts.VerifyDepth == 0 {
		opts.VerifyDepth = DefaultVerifyDepth
	}
	x := &ChainIndex{
		db:         db,
		chainID:    *chainID,
		prefix:     chainPrefix(chainID),
		opts:       opts,
		log:        log.New("logindex", chainID.Dec()),
		batch:      db.NewBatchWithSize(defaultScratchRecord + metaSize + 64),
		pruneSlack: max(opts.Retention/pruneChunkDivisor, 1),
		empty:      true,
		recent:     make([]record, opts.RecentBlocks),
	}
	if opts.ReadCache > 0 {
		x.rc = make(map[uint64]record, opts.ReadCache)
		x.rcLog = make([]uint64, 0, opts.ReadCache)
	}
	if err := x.load(); err != nil {
		return nil, fmt.Errorf("chain %s: %w", chainID.Dec(), err)
	}
	return x, nil
}

// ChainID is the chain this index belongs to.
func (x *ChainIndex) ChainID() uint256.Int { return x.chainID }

func chainPrefix(id *uint256.Int) []byte {
	return append([]byte(keyPrefix), ChainKey(id)...)
}

func (x *ChainIndex) metaKey() []byte {
	k := make([]byte, len(x.prefix)+1)
	copy(k, x.prefix)
	k[len(x.prefix)] = kindHead
	return k
}

func (x *ChainIndex) recordKey(n uint64) []byte {
	k := make([]byte, len(x.prefix)+1+8)
	copy(k, x.prefix)
	k[len(x.prefix)] = kindRecord
	binary.BigEndian.PutUint64(k[len(x.prefix)+1:], n)
	return k
}

// recordsEnd bounds the record keys: every record key is below it.
func (x *ChainIndex) recordsEnd() []byte {
	k := make([]byte, len(x.prefix)+1)
	copy(k, x.prefix)
	k[len(x.prefix)] = kindRecord + 1
	return k
}

func (x *ChainIndex) recordKeyLen() int { return len(x.prefix) + 1 + 8 }

func encodeMeta(first, head uint64, headHash common.Hash) []byte {
	b := make([]byte, metaSize-crcSize, metaSize)
	b[0] = metaVersion
	binary.BigEndian.PutUint64(b[1:], first)
	binary.BigEndian.PutUint64(b[9:], head)
	copy(b[17:], headHash[:])
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeMeta(b []byte) (first, head uint64, headHash common.Hash, err error) {
	switch {
	case len(b) != metaSize:
		err = fmt.Errorf("%d bytes, want %d", len(b), metaSize)
	case b[0] != metaVersion:
		err = fmt.Errorf("unknown version %d", b[0])
	case binary.BigEndian.Uint32(b[metaSize-crcSize:]) != crc32.Checksum(b[:metaSize-crcSize], castagnoli):
		err = errors.New("checksum mismatch")
	}
	if err != nil {
		return 0, 0, common.Hash{}, fmt.Errorf("%w: head pointer: %v", ErrCorrupt, err)
	}
	first = binary.BigEndian.Uint64(b[1:])
	head = binary.BigEndian.Uint64(b[9:])
	copy(headHash[:], b[17:])
	if first > head {
		return 0, 0, common.Hash{}, fmt.Errorf("%w: head pointer: first block %d above head %d", ErrCorrupt, first, head)
	}
	return first, head, headHash, nil
}

// getExisting reads key, telling a missing key (found false) from a store error.
func (x *ChainIndex) getExisting(key []byte) (val []byte, found bool, err error) {
	val, err = x.db.Get(key)
	if err == nil {
		return val, true, nil
	}
	if ok, herr := x.db.Has(key); herr == nil && !ok {
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("logindex: store: %w", err)
}

// readRecord reads and decodes the record of block n from the store.
func (x *ChainIndex) readRecord(n uint64) (record, bool, error) {
	raw, found, err := x.getExisting(x.recordKey(n))
	if err != nil || !found {
		return record{}, found, err
	}
	r, err := decodeRecord(raw)
	if err != nil {
		return record{}, true, fmt.Errorf("block %d: %w", n, err)
	}
	if r.ref.Number != n {
		return record{}, true, fmt.Errorf("%w: record under block %d holds block %d", ErrCorrupt, n, r.ref.Number)
	}
	return r, true, nil
}

func corruptHint(err error) error {
	return fmt.Errorf("%w (the index must be rebuilt: logindex.Wipe, then re-index from the chain)", err)
}

// load reads the head pointer, verifies it against the records and repairs strays.
func (x *ChainIndex) load() error {
	metaRaw, found, err := x.getExisting(x.metaKey())
	if err != nil {
		return err
	}
	if !found {
		// The head pointer is the commit point: without it no record was ever promised.
		return x.dropStrays(0, 0, true)
	}
	first, head, headHash, err := decodeMeta(metaRaw)
	if err != nil {
		return corruptHint(err)
	}
	load := func(n uint64) (record, error) {
		r, found, err := x.readRecord(n)
		if err == nil && !found {
			err = fmt.Errorf("%w: record of block %d missing (head pointer: first %d, head %d)", ErrCorrupt, n, first, head)
		}
		if errors.Is(err, ErrCorrupt) {
			err = corruptHint(err)
		}
		return r, err
	}
	hr, err := load(head)
	if err != nil {
		return err
	}
	if hr.ref.Hash != headHash {
		return corruptHint(fmt.Errorf("%w: head record %d has hash %s, head pointer says %s", ErrCorrupt, head, hr.ref.Hash, headHash))
	}
	x.putRecent(hr)
	child := hr
	for n, depth := head, 0; n > first && depth < x.opts.VerifyDepth; n, depth = n-1, depth+1 {
		r, err := load(n - 1)
		if err != nil {
			return err
		}
		if err := checkLink(&r, &child, x.recordKeyLen()); err != nil {
			return corruptHint(err)
		}
		if head-r.ref.Number < uint64(len(x.recent)) {
			x.putRecent(r)
		}
		child = r
	}
	fr := child
	if fr.ref.Number != first {
		if fr, err = load(first); err != nil {
			return err
		}
	}
	x.first, x.head, x.empty = fr, hr, false
	return x.dropStrays(first, head, false)
}

// checkLink verifies that child extends parent.
func checkLink(parent, child *record, keyLen int) error {
	switch {
	case child.ref.ParentHash != parent.ref.Hash:
		return fmt.Errorf("%w: block %d has parent hash %s, block %d has hash %s",
			ErrCorrupt, child.ref.Number, child.ref.ParentHash, parent.ref.Number, parent.ref.Hash)
	case child.ref.Timestamp < parent.ref.Timestamp:
		return fmt.Errorf("%w: block %d has timestamp %d before its parent's %d",
			ErrCorrupt, child.ref.Number, child.ref.Timestamp, parent.ref.Timestamp)
	case child.logsBefore != parent.logsBefore+uint64(parent.nLogs) ||
		child.bytesBefore != parent.bytesBefore+parent.storedSize(keyLen):
		return fmt.Errorf("%w: running totals of block %d do not follow block %d", ErrCorrupt, child.ref.Number, parent.ref.Number)
	}
	return nil
}

// dropStrays deletes records outside [first, head] (all of them when empty).
func (x *ChainIndex) dropStrays(first, head uint64, empty bool) error {
	scan := func(start []byte) (uint64, bool) {
		p := append(x.prefix[:len(x.prefix):len(x.prefix)], kindRecord)
		it := x.db.NewIterator(p, start)
		defer it.Release()
		if !it.Next() {
			return 0, false
		}
		k := it.Key()
		if len(k) != x.recordKeyLen() {
			return 0, true
		}
		return binary.BigEndian.Uint64(k[len(k)-8:]), true
	}
	var above, below bool
	if empty {
		_, above = scan(nil)
	} else {
		if head < math.MaxUint64 {
			_, above = scan(binary.BigEndian.AppendUint64(nil, head+1))
		}
		n, ok := scan(nil)
		below = ok && n < first
	}
	if !above && !below {
		return nil
	}
	b := x.db.NewBatch()
	defer b.Close()
	if empty {
		x.log.Warn("Deleting log index records without a head pointer")
		if err := b.DeleteRange(x.recordKey(0), x.recordsEnd()); err != nil {
			return err
		}
	}
	if above {
		x.log.Warn("Deleting log index records above the head", "head", head)
		if err := b.DeleteRange(x.recordKey(head+1), x.recordsEnd()); err != nil {
			return err
		}
	}
	if below {
		x.log.Warn("Deleting log index records below the first block", "first", first)
		if err := b.DeleteRange(x.recordKey(0), x.recordKey(first)); err != nil {
			return err
		}
	}
	return b.Write()
}

// putRecent stores r in the ring of newest blocks. Callers hold mu for writing, or own x
// exclusively (Open).
func (x *ChainIndex) putRecent(r record) {
	x.recent[r.ref.Number%uint64(len(x.recent))] = r
}

// Append implements Writer. It stores b (copied) and the new head pointer in one batch,
// then prunes blocks beyond the retention.
func (x *ChainIndex) Append(b *Block) error {
	if b == nil {
		return fmt.Errorf("%w: nil block", ErrInvalidBlock)
	}
	x.wmu.Lock()
	defer x.wmu.Unlock()

	var (
		logsBefore, bytesBefore uint64
		first                   = b.Number
	)
	if !x.empty {
		h := &x.head.ref
		if b.Number != h.Number+1 || b.ParentHash != h.Hash {
			return fmt.Errorf("%w: block %d (parent %s) on head %d (%s)", ErrParentMismatch, b.Number, b.ParentHash, h.Number, h.Hash)
		}
		if h.Number == math.MaxUint64 {
			return fmt.Errorf("%w: block number overflows", ErrInvalidBlock)
		}
		if b.Timestamp < h.Timestamp {
			return fmt.Errorf("%w: block %d has timestamp %d before its parent's %d", ErrInvalidBlock, b.Number, b.Timestamp, h.Timestamp)
		}
		logsBefore = x.head.logsBefore + uint64(x.head.nLogs)
		bytesBefore = x.head.bytesBefore + x.head.storedSize(x.recordKeyLen())
		first = x.first.ref.Number
	}
	if err := validateBlock(b); err != nil {
		return err
	}
	raw := encodeRecord(nil, b, logsBefore, bytesBefore)
	x.batch.Reset()
	if err := x.batch.Put(x.recordKey(b.Number), raw); err != nil {
		return err
	}
	if err := x.batch.Put(x.metaKey(), encodeMeta(first, b.Number, b.Hash)); err != nil {
		return err
	}
	if err := x.batch.Write(); err != nil {
		return fmt.Errorf("logindex: store: %w", err)
	}
	r := record{
		ref:         b.BlockRef,
		logsBefore:  logsBefore,
		bytesBefore: bytesBefore,
		nLogs:       uint32(len(b.LogHashes)),
		nExec:       len(b.ExecMsgs),
		execOff:     offLogs + 32*len(b.LogHashes) + uvarintLen(uint64(len(b.ExecMsgs))),
		raw:         raw,
	}
	x.mu.Lock()
	x.putRecent(r)
	x.head = r
	if x.empty {
		x.first, x.empty = r, false
	}
	x.mu.Unlock()

	if x.opts.Retention != NoPruning && b.Timestamp > x.opts.Retention {
		cutoff := b.Timestamp - x.opts.Retention
		if x.first.ref.Timestamp < cutoff && cutoff-x.first.ref.Timestamp >= x.pruneSlack {
			// The block is stored: a pruning failure is not the caller's to handle, and
			// the next Append retries.
			if _, err := x.prune(cutoff); err != nil {
				x.log.Warn("Log index pruning failed", "err", err)
			}
		}
	}
	return nil
}

// Rewind implements Writer: one batch deletes the records above number and moves the
// head pointer to number. Rewinding at or above the head does nothing; below the first
// block it empties the index.
func (x *ChainIndex) Rewind(number uint64) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.empty || number >= x.head.ref.Number {
		return nil
	}
	b := x.db.NewBatch()
	defer b.Close()
	if number < x.first.ref.Number {
		if err := b.DeleteRange(x.recordKey(0), x.recordsEnd()); err != nil {
			return err
		}
		if err := b.Delete(x.metaKey()); err != nil {
			return err
		}
		x.mu.Lock()
		if err := b.Write(); err != nil {
			x.mu.Unlock()
			return fmt.Errorf("logindex: store: %w", err)
		}
		x.empty, x.first, x.head = true, record{}, record{}
		clear(x.recent)
		x.gen++
		x.rcPurge(func(uint64) bool { return true })
		x.mu.Unlock()
		return nil
	}
	r, err := x.record(number, false)
	if err != nil {
		return err
	}
	if err := b.DeleteRange(x.recordKey(number+1), x.recordsEnd()); err != nil {
		return err
	}
	if err := b.Put(x.metaKey(), encodeMeta(x.first.ref.Number, number, r.ref.Hash)); err != nil {
		return err
	}
	x.mu.Lock()
	if err := b.Write(); err != nil {
		x.mu.Unlock()
		return fmt.Errorf("logindex: store: %w", err)
	}
	x.head = r
	x.putRecent(r)
	for i := range x.recent {
		if x.recent[i].ref.Number > number {
			x.recent[i] = record{}
		}
	}
	x.gen++
	x.rcPurge(func(n uint64) bool { return n > number })
	x.mu.Unlock()
	return nil
}

// Prune removes every block with a timestamp before beforeTimestamp, except the head
// (Append needs it to link the next block). It returns how many blocks it removed.
// Append prunes by itself according to Options.Retention.
func (x *ChainIndex) Prune(beforeTimestamp uint64) (uint64, error) {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	return x.prune(beforeTimestamp)
}

func (x *ChainIndex) prune(before uint64) (uint64, error) {
	if x.empty || x.first.ref.Timestamp >= before {
		return 0, nil
	}
	// The new first block: the lowest in (first, head] at or after before, else the head.
	// Timestamps never decrease along the chain (Append enforces it).
	lo, hi := x.first.ref.Number+1, x.head.ref.Number
	for lo < hi {
		mid := lo + (hi-lo)/2
		r, err := x.record(mid, false)
		if err != nil {
			return 0, err
		}
		if r.ref.Timestamp >= before {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo > x.head.ref.Number { // first == head
		return 0, nil
	}
	nf, err := x.record(lo, false)
	if err != nil {
		return 0, err
	}
	b := x.db.NewBatch()
	defer b.Close()
	if err := b.DeleteRange(x.recordKey(0), x.recordKey(lo)); err != nil {
		return 0, err
	}
	if err := b.Put(x.metaKey(), encodeMeta(lo, x.head.ref.Number, x.head.ref.Hash)); err != nil {
		return 0, err
	}
	x.mu.Lock()
	if err := b.Write(); err != nil {
		x.mu.Unlock()
		return 0, fmt.Errorf("logindex: store: %w", err)
	}
	removed := lo - x.first.ref.Number
	x.first = nf
	x.gen++
	x.rcPurge(func(n uint64) bool { return n < lo })
	x.mu.Unlock()
	return removed, nil
}

// Wipe deletes the whole index of chainID from db (after ErrCorrupt, or to re-index).
// No ChainIndex of that chain may be open.
func Wipe(db ethdb.KeyValueStore, chainID *uint256.Int) error {
	p := chainPrefix(chainID)
	end := append(p[:len(p):len(p)], 0xff) // every key of the chain starts with p ++ 'h' or 'r'
	return db.DeleteRange(p, end)
}

// bounds reports why number is not in [first, head]. Callers hold mu.
func (x *ChainIndex) bounds(number uint64) error {
	switch {
	case x.empty:
		return ErrEmpty
	case number > x.head.ref.Number:
		return &RangeError{Kind: ErrFuture, Number: number, First: x.first.ref, Head: x.head.ref}
	case number < x.first.ref.Number:
		return &RangeError{Kind: ErrPruned, Number: number, First: x.first.ref, Head: x.head.ref}
	}
	return nil
}

// record returns the record of block number from memory or the store. cache says whether
// a store read may enter the read cache.
func (x *ChainIndex) record(number uint64, cache bool) (record, error) {
	for range maxStaleGenRetries {
		x.mu.RLock()
		if err := x.bounds(number); err != nil {
			x.mu.RUnlock()
			return record{}, err
		}
		if s := &x.recent[number%uint64(len(x.recent))]; s.raw != nil && s.ref.Number == number {
			r := *s
			x.mu.RUnlock()
			return r, nil
		}
		gen := x.gen
		x.mu.RUnlock()

		if r, ok := x.rcGet(number); ok {
			return r, nil
		}
		r, found, err := x.readRecord(number)
		x.mu.RLock()
		if x.gen != gen {
			// A rewind or prune ran meanwhile: what was read may be gone or replaced.
			x.mu.RUnlock()
			continue
		}
		if err == nil && !found {
			err = fmt.Errorf("%w: record of block %d missing (first %d, head %d)", ErrCorrupt, number, x.first.ref.Number, x.head.ref.Number)
		}
		if err == nil && cache {
			x.rcPut(number, r)
		}
		x.mu.RUnlock()
		return r, err
	}
	return record{}, fmt.Errorf("%w: block %d", ErrRetry, number)
}

// rcGet looks up the read cache.
func (x *ChainIndex) rcGet(n uint64) (record, bool) {
	if x.rc == nil {
		return record{}, false
	}
	x.rcMu.Lock()
	r, ok := x.rc[n]
	x.rcMu.Unlock()
	return r, ok
}

// rcPut adds to the read cache, evicting the oldest entry. Callers hold mu (for reading
// at least), so no removal runs concurrently.
func (x *ChainIndex) rcPut(n uint64, r record) {
	if x.rc == nil {
		return
	}
	x.rcMu.Lock()
	defer x.rcMu.Unlock()
	if _, ok := x.rc[n]; ok {
		x.rc[n] = r
		return
	}
	if len(x.rcLog) < x.opts.ReadCache {
		x.rcLog = append(x.rcLog, n)
	} else {
		delete(x.rc, x.rcLog[x.rcPos])
		x.rcLog[x.rcPos] = n
		x.rcPos = (x.rcPos + 1) % len(x.rcLog)
	}
	x.rc[n] = r
}

// rcPurge drops the read-cache entries drop selects. Callers hold mu for writing.
func (x *ChainIndex) rcPurge(drop func(uint64) bool) {
	if x.rc == nil {
		return
	}
	x.rcMu.Lock()
	defer x.rcMu.Unlock()
	kept := x.rcLog[:0]
	// Rebuild the FIFO in age order starting from the oldest entry.
	old := append([]uint64(nil), x.rcLog[x.rcPos:]...)
	old = append(old, x.rcLog[:x.rcPos]...)
	for _, n := range old {
		if drop(n) {
			delete(x.rc, n)
		} else {
			kept = append(kept, n)
		}
	}
	x.rcLog, x.rcPos = kept, 0
}

// Head implements Reader.
func (x *ChainIndex) Head() (BlockRef, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.head.ref, !x.empty
}

// First implements Reader.
func (x *ChainIndex) First() (BlockRef, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.first.ref, !x.empty
}

// BlockRef implements Reader.
func (x *ChainIndex) BlockRef(number uint64) (BlockRef, error) {
	r, err := x.record(number, true)
	return r.ref, err
}

// LogHash implements Reader. For the newest Options.RecentBlocks blocks it neither reads
// the store nor allocates.
func (x *ChainIndex) LogHash(number uint64, logIndex uint32) (BlockRef, common.Hash, error) {
	x.mu.RLock()
	if !x.empty && number <= x.head.ref.Number && number >= x.first.ref.Number {
		if s := &x.recent[number%uint64(len(x.recent))]; s.raw != nil && s.ref.Number == number && logIndex < s.nLogs {
			ref, h := s.ref, s.logHash(logIndex)
			x.mu.RUnlock()
			return ref, h, nil
		}
	}
	x.mu.RUnlock()
	r, err := x.record(number, true)
	if err != nil {
		return BlockRef{}, common.Hash{}, err
	}
	if logIndex >= r.nLogs {
		return r.ref, common.Hash{}, fmt.Errorf("%w: log %d of block %d, which has %d logs", ErrLogNotFound, logIndex, number, r.nLogs)
	}
	return r.ref, r.logHash(logIndex), nil
}

// ExecMsgs implements Reader. The slice is the caller's.
func (x *ChainIndex) ExecMsgs(number uint64) ([]ExecMsg, error) {
	r, err := x.record(number, true)
	if err != nil {
		return nil, err
	}
	return r.execMsgs()
}

// Block returns everything stored for block number (a copy).
func (x *ChainIndex) Block(number uint64) (*Block, error) {
	r, err := x.record(number, true)
	if err != nil {
		return nil, err
	}
	return r.toBlock()
}

// Stats describe the retained blocks; zero when empty.
func (x *ChainIndex) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.empty {
		return Stats{}
	}
	h, f := &x.head, &x.first
	return Stats{
		Blocks: h.ref.Number - f.ref.Number + 1,
		Logs:   h.logsBefore + uint64(h.nLogs) - f.logsBefore,
		Bytes:  h.bytesBefore + h.storedSize(x.recordKeyLen()) - f.bytesBefore,
		First:  f.ref,
		Head:   h.ref,
	}
}
