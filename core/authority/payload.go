package authority

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/log"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/follower"
	xparams "github.com/xgeth/xgeth/params"
)

// The newPayload methods run op-geth's, then judge the executing messages the payload's
// block emits (its receipts' logs, not its access lists: a declaration that is never
// executed does not make a block invalid). A definitive failure answers INVALID with a
// validationError naming the message, which op-node turns into a deposits-only replacement
// of a derived block (Holocene) and a drop of a gossiped one. "No verdict yet" (a source
// chain not indexed this far) answers SYNCING, which op-node retries without replacing.

// NewPayloadV1 is op-geth's, with the block's executing messages judged.
func (a *API) NewPayloadV1(ctx context.Context, params engine.ExecutableData) (engine.PayloadStatusV1, error) {
	if st, ok := a.refuseDropped(&params); ok {
		return st, nil
	}
	return a.judge(a.ConsensusAPI.NewPayloadV1(ctx, params))
}

// NewPayloadV2 is op-geth's, with the block's executing messages judged.
func (a *API) NewPayloadV2(ctx context.Context, params engine.ExecutableData) (engine.PayloadStatusV1, error) {
	if st, ok := a.refuseDropped(&params); ok {
		return st, nil
	}
	return a.judge(a.ConsensusAPI.NewPayloadV2(ctx, params))
}

// NewPayloadV3 is op-geth's, with the block's executing messages judged.
func (a *API) NewPayloadV3(ctx context.Context, params engine.ExecutableData, versionedHashes []common.Hash, beaconRoot *common.Hash) (engine.PayloadStatusV1, error) {
	if st, ok := a.refuseDropped(&params); ok {
		return st, nil
	}
	return a.judge(a.ConsensusAPI.NewPayloadV3(ctx, params, versionedHashes, beaconRoot))
}

// NewPayloadV4 is op-geth's, with the block's executing messages judged.
func (a *API) NewPayloadV4(ctx context.Context, params engine.ExecutableData, versionedHashes []common.Hash, beaconRoot *common.Hash, executionRequests []hexutil.Bytes) (engine.PayloadStatusV1, error) {
	if st, ok := a.refuseDropped(&params); ok {
		return st, nil
	}
	return a.judge(a.ConsensusAPI.NewPayloadV4(ctx, params, versionedHashes, beaconRoot, executionRequests))
}

// NewPayloadV5 is op-geth's, with the block's executing messages judged.
func (a *API) NewPayloadV5(ctx context.Context, params engine.ExecutableData, versionedHashes []common.Hash, beaconRoot *common.Hash, executionRequests []hexutil.Bytes) (engine.PayloadStatusV1, error) {
	if st, ok := a.refuseDropped(&params); ok {
		return st, nil
	}
	return a.judge(a.ConsensusAPI.NewPayloadV5(ctx, params, versionedHashes, beaconRoot, executionRequests))
}

// NewPayloadUnchecked is NewPayloadV4 without judging the block's executing messages, for an
// in-process consensus client that injects invalid blocks on purpose (the devnet). A
// function, not a method: every exported method of API is served over RPC.
func NewPayloadUnchecked(a *API, ctx context.Context, params engine.ExecutableData, versionedHashes []common.Hash, beaconRoot *common.Hash, executionRequests []hexutil.Bytes) (engine.PayloadStatusV1, error) {
	return a.ConsensusAPI.NewPayloadV4(ctx, params, versionedHashes, beaconRoot, executionRequests)
}

// refuseDropped answers INVALID for a block DropDenied removed and for a child of one (which
// is then remembered as removed too), with the block the chain went back to as the latest
// valid one: a consensus client drops what it built on the removed chain.
func (a *API) refuseDropped(p *engine.ExecutableData) (engine.PayloadStatusV1, bool) {
	to, ok := a.labels.droppedTo(p.BlockHash)
	if !ok {
		if to, ok = a.labels.droppedTo(p.ParentHash); ok {
			a.labels.dropped.Add(p.BlockHash, to)
		}
	}
	if !ok {
		return engine.PayloadStatusV1{}, false
	}
	msg := fmt.Sprintf("block %d (%s) is on a chain removed because it executes a message the interop safety engine denied", p.Number, p.BlockHash)
	return engine.PayloadStatusV1{Status: engine.INVALID, LatestValidHash: &to, ValidationError: &msg}, true
}

// judge turns a VALID answer of op-geth into INVALID or SYNCING when the block's executing
// messages say so. Any other answer, and errors, pass unchanged.
func (a *API) judge(status engine.PayloadStatusV1, err error) (engine.PayloadStatusV1, error) {
	if err != nil || status.Status != engine.VALID || status.LatestValidHash == nil || a.checker == nil {
		return status, err
	}
	hash := *status.LatestValidHash
	block := a.labels.chain.GetBlockByHash(hash)
	var v checker.Verdict
	if block == nil {
		err = fmt.Errorf("block %s not found after import", hash)
	} else {
		v, err = a.verifyStored(block)
	}
	if err != nil {
		// Our own read failed: not a verdict on the block.
		log.Warn("Could not judge the executing messages of a payload", "hash", hash, "err", err)
		return engine.PayloadStatusV1{Status: engine.SYNCING}, nil
	}
	switch v.Status {
	case checker.Invalid:
		msg := v.Err.Error()
		log.Warn("Payload executes an invalid message", "hash", hash, "err", msg)
		parent := block.ParentHash()
		return engine.PayloadStatusV1{Status: engine.INVALID, LatestValidHash: &parent, ValidationError: &msg}, nil
	case checker.Unknown:
		log.Info("Payload's executing messages not verifiable yet, answering SYNCING", "hash", hash, "err", v.Err)
		return engine.PayloadStatusV1{Status: engine.SYNCING}, nil
	}
	return status, nil
}

// verifyStored judges the executing messages of a block op-geth has stored.
func (a *API) verifyStored(block *types.Block) (checker.Verdict, error) {
	if !declaresInbox(block.Transactions()) {
		// An executing message must be declared in its transaction's access list (the
		// CrossL2Inbox checks it): without a declaration there is nothing to judge, and the
		// receipts need not be read.
		return checker.Verdict{Status: checker.Valid, Msg: -1}, nil
	}
	receipts := a.labels.chain.GetReceiptsByHash(block.Hash())
	if !emitsFromInbox(receipts) {
		// Only the CrossL2Inbox emits executing messages: nothing to judge.
		return checker.Verdict{Status: checker.Valid, Msg: -1}, nil
	}
	hashes := make([]common.Hash, len(block.Transactions()))
	for i, tx := range block.Transactions() {
		hashes[i] = tx.Hash()
	}
	b, err := follower.BlockFromStoredReceipts(block.Header(), hashes, receipts)
	if err != nil {
		return checker.Verdict{}, err
	}
	return a.checker.VerifyBlockExecMsgs(&a.labels.id, b), nil
}

// emitsFromInbox reports whether any log of receipts comes from the CrossL2Inbox.
func emitsFromInbox(receipts types.Receipts) bool {
	for _, r := range receipts {
		for _, l := range r.Logs {
			if l.Address == xparams.CrossL2InboxAddress {
				return true
			}
		}
	}
	return false
}

// declaresInbox reports whether any transaction's access list declares a CrossL2Inbox entry.
func declaresInbox(txs types.Transactions) bool {
	for _, tx := range txs {
		if len(accesslist.InboxKeys(tx.AccessList())) > 0 {
			return true
		}
	}
	return false
}
