package checker

import (
	"github.com/xgeth/xgeth/interop/rpcerr"
)

// Errors of the checker. Every error a check returns is an *rpcerr.Error derived from one
// of these (or from an accesslist or rules sentinel), with the failing message's position
// added: "message 2 (chain 902, block 17, log 4, timestamp 1000): <why>". Callers compare
// with errors.Is and decide "no verdict yet" with rpcerr.NoVerdictYet (Future and
// Uninitialized); every other error is a definitive rejection.
var (
	// ErrFailsafe: the failsafe is on; every list with interop entries is rejected.
	ErrFailsafe = rpcerr.FailsafeEnabled.Derive("failsafe enabled: interop transactions are rejected")

	// ErrTooManyEntries: the list is longer than the checker's cap (Config.MaxEntries).
	// Checked before anything else reads the list.
	ErrTooManyEntries = rpcerr.InvalidParams.Derive("too many access-list entries")
	// ErrMalformed wraps the accesslist parse errors (which stay reachable with errors.Is).
	ErrMalformed = rpcerr.InvalidParams.Derive("malformed access list")
	// ErrMinSafety: the requested minimum safety is not one of the ordered levels.
	ErrMinSafety = rpcerr.InvalidParams.Derive("minimum safety must be unsafe, cross-unsafe, local-safe, safe or finalized")
	// ErrSafetyNotTracked: the node does not track the requested level yet (no safety view,
	// and the level is above cross-unsafe). A definitive "cannot serve this", not a verdict
	// that will come later.
	ErrSafetyNotTracked = rpcerr.OutOfScope.Derive("safety level not tracked by this node")

	// ErrUnknownExecutingChain: the descriptor's chain is not in the dependency set.
	ErrUnknownExecutingChain = rpcerr.UnknownChain.Derive("executing chain not in the dependency set")
	// ErrUnknownInitiatingChain: a message's chain is not in the dependency set.
	ErrUnknownInitiatingChain = rpcerr.UnknownChain.Derive("initiating chain not in the dependency set")
	// ErrChainNotConfigured: a member of the set has no activation time and block time (a
	// set that was not validated with depset.Set.Validate). This node cannot judge its
	// messages; definitive for a pool, Unknown for VerifyBlockExecMsgs.
	ErrChainNotConfigured = rpcerr.OutOfScope.Derive("chain activation time and block time not configured")

	// ErrNotIndexed: the initiating chain is in the set but nothing of it is indexed yet.
	// No verdict yet.
	ErrNotIndexed = rpcerr.Uninitialized.Derive("initiating chain not indexed yet")
	// ErrBlockNotIndexed: the initiating block is above the chain's indexed head. No verdict
	// yet.
	ErrBlockNotIndexed = rpcerr.Future.Derive("initiating block not indexed yet")
	// ErrBlockPruned: the initiating block is below the oldest block the index retains:
	// pruned (the index keeps twice the expiry window behind its head) or before where
	// the index started (--interop.startblock/starttime). This node has no data there, so
	// it gives no verdict (Uninitialized), here and in VerifyBlockExecMsgs (Unknown) alike:
	// a block verified during a long catch-up may validly depend on a block the index has
	// already pruned. A pool transaction is not kept forever by this: the expiry and
	// timeout rules reject it once its message expires.
	ErrBlockPruned = rpcerr.Uninitialized.Derive("initiating block below the log index's retained range, no verdict")
	// ErrTimestampMismatch: the indexed block at that height has another timestamp.
	ErrTimestampMismatch = rpcerr.Conflict.Derive("timestamp does not match the indexed block")
	// ErrLogNotFound: the indexed block has no log at that index.
	ErrLogNotFound = rpcerr.Conflict.Derive("no log at that index in the indexed block")
	// ErrChecksumMismatch: the checksum recomputed from the indexed log hash differs from
	// the declared one (another origin or payload, or another fork).
	ErrChecksumMismatch = rpcerr.Conflict.Derive("checksum does not match the indexed log")
	// ErrLogHashMismatch: an executing message of a block (VerifyBlockExecMsgs) names an
	// origin and payload hash whose log hash differs from the indexed one.
	ErrLogHashMismatch = rpcerr.Conflict.Derive("message does not match the indexed log")
	// ErrSafetyNotReached: the initiating block has not reached the requested safety level
	// yet. No verdict yet.
	ErrSafetyNotReached = rpcerr.Future.Derive("initiating block has not reached the requested safety level yet")

	// ErrIndexCorrupt: the index reported corrupt stored data (logindex.ErrCorrupt). The
	// checker trips the failsafe. Definitive: this node's data cannot back the message.
	ErrIndexCorrupt = rpcerr.DataCorruption.Derive("log index corrupt")
	// ErrIndexRead: reading the index failed without any sign of corrupt data: a store
	// I/O error, or rewinds and prunes that kept changing the index during the lookup
	// (logindex.ErrRetry). Transient, so no verdict yet (Uninitialized): a pool must not
	// evict, nor a builder drop, a transaction because a read failed once.
	ErrIndexRead = rpcerr.Uninitialized.Derive("log index read failed, no verdict yet")
	// ErrCanceled: the caller's context ended before a verdict. No verdict yet; errors.Is
	// also matches the context's error.
	ErrCanceled = rpcerr.Future.Derive("check canceled before a verdict")
)
