package follower

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Errors of the follower and its sources. Compare with errors.Is; the text is for operators.
var (
	// ErrNotFound: the source has no canonical block at that number (it is above the source's
	// head, or the source rewound), or no receipts for that block hash. Sources wrap it.
	ErrNotFound = errors.New("not found at source")

	// ErrBadBlock wraps every inconsistency of the data a source gave for one block, together
	// with one of the more specific errors below. Nothing of such a block is stored; the
	// follower reports the error in its status and retries with backoff (a source that is in
	// the middle of a reorg may answer consistently a moment later).
	ErrBadBlock = errors.New("bad block from source")

	// ErrBadHeader: the header has no number, a number above 2^64-1, another number than
	// asked for, or (remote sources) a reported hash that is not the hash of its fields.
	ErrBadHeader = errors.New("bad header")
	// ErrMissingReceipts: the source has no receipts for the block, a null receipt, or none
	// although the header commits to transactions.
	ErrMissingReceipts = errors.New("missing receipts")
	// ErrReceiptCount: more or fewer receipts than the block has transactions.
	ErrReceiptCount = errors.New("receipt count does not match the block's transactions")
	// ErrForeignReceipt: a receipt names another block hash, block number, transaction index
	// or transaction hash than its position in this block.
	ErrForeignReceipt = errors.New("receipt of another block or transaction")
	// ErrForeignLog: a log is null, marked removed, or names another block or transaction
	// than the receipt it is in.
	ErrForeignLog = errors.New("log of another block or transaction")
	// ErrLogOrder: log indexes are not 0, 1, 2, ... across the receipts of the block.
	ErrLogOrder = errors.New("log indexes not consecutive from 0")
	// ErrRevertedLogs: a receipt with failed status carries logs (a reverted call emits none).
	ErrRevertedLogs = errors.New("failed transaction with logs")
	// ErrBadExecutingMessage: a log of CrossL2Inbox with the ExecutingMessage topic that a
	// correct CrossL2Inbox cannot emit (topic count, data length, padding). POLICY: the whole
	// block is rejected rather than the log indexed as an ordinary log, because a block that
	// executes a message the index cannot represent must not look like one that executes none.
	ErrBadExecutingMessage = errors.New("malformed ExecutingMessage log from CrossL2Inbox")
	// ErrReceiptsRoot: the receipts do not hash to the header's receipt root: they are not
	// the block's receipts (forged or altered logs, a receipt added, dropped or changed).
	ErrReceiptsRoot = errors.New("receipts do not match the header's receipt root")
	// ErrParentLink: the source's canonical header n+1 does not name its canonical header n
	// as parent although header n did not change (an inconsistent source, not a reorg).
	ErrParentLink = errors.New("header does not link to the source's canonical parent")
	// ErrMalformed: a remote response could not be decoded.
	ErrMalformed = errors.New("malformed response")

	// ErrChainID: the remote endpoint serves another chain than configured.
	ErrChainID = errors.New("remote endpoint serves another chain")

	// ErrSourceBehind: the source's head is below every indexed block (a node resyncing):
	// nothing can be checked against it; the follower waits, keeping the index as it is.
	ErrSourceBehind = errors.New("source head is below the indexed range")

	// ErrDeepReorg: the source's chain no longer contains any block the index retains. The
	// follower cannot repair that by itself: it is reported as fatal (failsafe).
	ErrDeepReorg = errors.New("reorg deeper than the indexed range")
	// ErrIndex wraps every failure of the log index (corruption, I/O). Fatal.
	ErrIndex = errors.New("log index failure")
)

// badBlock builds the error for an inconsistency of kind in the block number/hash.
func badBlock(number uint64, hash common.Hash, kind error, format string, args ...any) error {
	return fmt.Errorf("%w %d (%s): %w: %s", ErrBadBlock, number, hash.Hex(), kind, fmt.Sprintf(format, args...))
}
