package checker

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
)

// Status is the outcome of verifying the executing messages of a block.
type Status uint8

const (
	// Valid: every executing message is backed by the index and passes the rules.
	Valid Status = iota + 1
	// Invalid: at least one executing message breaks a rule or contradicts the index. The
	// block is to be replaced (deposits-only).
	Invalid
	// Unknown: no message is invalid, but at least one cannot be decided yet (its source
	// chain or block is not indexed, is below what the index retains, or the index could
	// not be read). Ask again later, or of a node that has the data.
	Unknown
)

func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	case Unknown:
		return "unknown"
	}
	return "Status(?)"
}

// Verdict is the result of VerifyBlockExecMsgs.
type Verdict struct {
	Status Status
	// Msg is the position in the block's ExecMsgs of the message that decided an Invalid
	// or Unknown verdict (the first invalid one, else the first undecided one); -1 when
	// Valid or when the verdict is about the block itself.
	Msg int
	// Err says why (a typed rpcerr error naming the message); nil when Valid.
	Err error
}

// VerifyBlockExecMsgs checks that every executing message block (of chain) emits is
// backed by the index, by the same rules as CheckAccessList with the block's own
// timestamp and no timeout: the initiating chain is in the dependency set, both chains
// are past their activation blocks, the timing rules hold, and the indexed block at the
// identifier's height has the identifier's timestamp and, at its log index, the log hash
// of the message's origin and payload hash. A message naming a log of the block itself
// must name an earlier log than the executing one (rules.CheckSameBlockOrder). Invalid
// wins over Unknown: one invalid message makes the block invalid whatever the others are.
// A message naming a log of the block itself is checked against block.LogHashes when the
// block carries them, so a block not yet indexed (a payload being imported) can be judged.
// A message into a block below the index's oldest retained block is Unknown, as it is
// "no verdict yet" for CheckAccessList (ErrBlockPruned): this node has no data there.
//
// It judges local validity only: whether the initiating blocks are cross-safe, and
// same-timestamp cycles, are the safety engine's business. Without block.LogHashes, a
// message that executes a log of its own block is found only once the block is in the
// index (before, such a message is Unknown). It ignores the failsafe
// (the failsafe gates what this node admits and builds, not what others built). A corrupt
// index gives Unknown and trips the failsafe.
func (c *Checker) VerifyBlockExecMsgs(chain *uint256.Int, block *logindex.Block) Verdict {
	v := c.verifyBlock(chain, block)
	recordVerdict(v.Status)
	return v
}

func (c *Checker) verifyBlock(chain *uint256.Int, block *logindex.Block) Verdict {
	if len(block.ExecMsgs) == 0 {
		return Verdict{Status: Valid, Msg: -1}
	}
	act, _, err := c.activation(chain, ErrUnknownExecutingChain)
	if err != nil {
		// Not a verdict on the block: this node does not know the chain's rules.
		return Verdict{Status: Unknown, Msg: -1, Err: err}
	}
	if !act.Allows(block.Timestamp) {
		return Verdict{Status: Invalid, Msg: -1, Err: rules.ErrExecBeforeActivation.Withf(
			"block %d of chain %s: timestamp %d < activation %d + block time %d",
			block.Number, chain.Dec(), block.Timestamp, act.Time, act.BlockTime)}
	}
	// The first undecided message, kept while looking for an invalid one.
	undecided := Verdict{Status: Valid, Msg: -1}
	undecide := func(i int, id *message.Identifier, err *rpcerr.Error) {
		if undecided.Status == Valid {
			undecided = Verdict{Status: Unknown, Msg: i, Err: execAt(i, block, id, err)}
		}
	}
	window := c.chains.ExpiryWindow()
	for i := range block.ExecMsgs {
		id := &block.ExecMsgs[i].Msg.Identifier
		act, r, err := c.activation(&id.ChainID, ErrUnknownInitiatingChain)
		if err == nil {
			r, err = c.accepts(chain, &id.ChainID)
		}
		if err != nil {
			if r == reasonNotConfigured {
				undecide(i, id, err)
				continue
			}
			return invalid(i, block, id, err)
		}
		if !act.Allows(id.Timestamp) {
			return invalid(i, block, id, rules.ErrInitBeforeActivation.Withf("timestamp %d < activation %d + block time %d",
				id.Timestamp, act.Time, act.BlockTime))
		}
		if err := rules.CheckTiming(id.Timestamp, block.Timestamp, window, 0); err != nil {
			return invalid(i, block, id, asRPC(err))
		}
		if id.BlockNumber == block.Number && id.ChainID.Eq(chain) {
			if err := rules.CheckSameBlockOrder(id.LogIndex, block.ExecMsgs[i].LogIndex); err != nil {
				return invalid(i, block, id, asRPC(err))
			}
		}
	}
	for i := range block.ExecMsgs {
		m := &block.ExecMsgs[i].Msg
		id := &m.Identifier
		var (
			logHash common.Hash
			r       reason
			err     *rpcerr.Error
		)
		if id.ChainID.Eq(chain) && id.BlockNumber == block.Number && block.LogHashes != nil {
			logHash, r, err = ownLog(block, id)
		} else {
			_, logHash, r, err = c.lookup(&id.ChainID, id.BlockNumber, id.LogIndex, id.Timestamp)
		}
		if err == nil && logHash != message.LogHash(id.Origin, m.MsgHash) {
			r, err = reasonChecksum, ErrLogHashMismatch.Withf("origin %s, message hash %s", id.Origin, m.MsgHash.Hex())
		}
		switch {
		case err == nil:
		case r == reasonTimestamp || r == reasonLogNotFound || r == reasonChecksum:
			return invalid(i, block, id, err)
		default:
			// Not indexed yet, pruned, or the index failed: this node cannot decide.
			undecide(i, id, err)
		}
	}
	return undecided
}

// ownLog is the log a message names in the verified block itself, from the block's own log
// hashes: the block need not be indexed (a payload being imported is not, yet).
func ownLog(block *logindex.Block, id *message.Identifier) (common.Hash, reason, *rpcerr.Error) {
	if id.Timestamp != block.Timestamp {
		return common.Hash{}, reasonTimestamp, ErrTimestampMismatch.Withf("block %d has timestamp %d", block.Number, block.Timestamp)
	}
	if uint64(id.LogIndex) >= uint64(len(block.LogHashes)) {
		return common.Hash{}, reasonLogNotFound, ErrLogNotFound.Withf("block %d has no log %d", block.Number, id.LogIndex)
	}
	return block.LogHashes[id.LogIndex], reasonOK, nil
}

func invalid(i int, block *logindex.Block, id *message.Identifier, err *rpcerr.Error) Verdict {
	return Verdict{Status: Invalid, Msg: i, Err: execAt(i, block, id, err)}
}

// execAt adds the position of the i-th executing message of block to err.
func execAt(i int, block *logindex.Block, id *message.Identifier, err *rpcerr.Error) *rpcerr.Error {
	return err.Withf("block %d, executing message %d (log %d) of chain %s, block %d, log %d, timestamp %d",
		block.Number, i, block.ExecMsgs[i].LogIndex, id.ChainID.Dec(), id.BlockNumber, id.LogIndex, id.Timestamp)
}
