package follower

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Errors of the follower and its sources. Compare with errors.Is; the text is for operators.
//
// Whose fault decides what happens: everything a source serves or fails to serve (bad,
// inconsistent or oversized data, unreachable, another chain, a reorg below the indexed
// range) is retried with backoff and shown as StateError for that chain only, the other
// chains keep being followed; only a failure of our own store (ErrIndex) stops the
// follower and trips the node-wide failsafe.
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
	// ErrResponseTooLarge: a remote response exceeded the source's size bound
	// (WithMaxResponseSize). Bad source data like the others: retried, never fatal.
	ErrResponseTooLarge = errors.New("remote response too large")

	// ErrChainID: the remote endpoint serves another chain than configured.
	ErrChainID = errors.New("remote endpoint serves another chain")

	// ErrSourceBehind: the source's head is below every indexed block (a node resyncing):
	// nothing can be checked against it; the follower waits, keeping the index as it is.
	ErrSourceBehind = errors.New("source head is below the indexed range")

	// ErrDeepReorg: the source's chain no longer contains any block the index retains.
	// POLICY: this is the source's word, not a fault of ours, so it is not fatal: a remote
	// that serves other headers at every indexed height (hostile, misconfigured, a devnet
	// restarted from scratch) must not be able to stop the interop of every chain of the
	// node through the failsafe. The follower keeps the index as it is (nothing of the
	// other chain is indexed, nothing is removed on the source's word alone), reports
	// StateError and retries with backoff: it resumes if the source serves the indexed
	// chain again. The chain's messages are then judged on the index as of the last head
	// the source confirmed, as while a source is unreachable. If the reorg is real, an
	// operator re-indexes that chain (logindex.Wipe); the other chains are unaffected.
	ErrDeepReorg = errors.New("reorg deeper than the indexed range")
	// ErrIndex wraps every failure of the log index's own store (I/O, corruption). It is
	// the only fatal error (the follower stops and Config.OnFatal trips the failsafe): our
	// store cannot be trusted any more. A block the index refuses as invalid
	// (logindex.ErrInvalidBlock: a timestamp before its parent's, too many logs) is bad
	// source data instead, reported wrapping ErrBadBlock and retried.
	ErrIndex = errors.New("log index failure")
)

// badBlock builds the error for an inconsistency of kind in the block number/hash.
func badBlock(number uint64, hash common.Hash, kind error, format string, args ...any) error {
	return fmt.Errorf("%w %d (%s): %w: %s", ErrBadBlock, number, hash.Hex(), kind, fmt.Sprintf(format, args...))
}
