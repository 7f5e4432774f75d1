package follower

import (
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// BlockFromReceipts converts a block's header and receipts, as a source gave them, into what
// the log index stores: one log hash per log in block order and the executing messages the
// block emits. Source data is checked strictly and any inconsistency is an error wrapping
// ErrBadBlock and a specific error; the result is then nil, so nothing of a bad block can be
// stored.
//
// txHashes are the hashes of the block's transactions in order when the source has them (a
// remote source reads them with the header); the receipts must then match them one to one.
// A nil txHashes means the source did not say (a local chain): the receipts' own block
// hash, number and transaction index are checked, and the header's transaction root tells
// whether the block has transactions at all. A non-nil empty txHashes is a block without
// transactions.
//
// The receipts must hash to the header's receipt root, which commits to every field the
// index takes from them (each log's address, topics and data, in block order) and to the
// number of receipts; so a source that serves a genuine header cannot add, drop or alter a
// log. The fields derived by the node (block hash and number, transaction hash and index,
// log index) are outside the root and are checked one by one above. The transaction root
// is not recomputed: that needs the full transactions, and a remote source reads only their
// hashes (eth_getBlockByNumber with false), because fetching every transaction body would
// multiply the bytes read per block for nothing the index stores. The receipts root already
// binds the logs; the transaction hashes are only cross-checked against the receipts.
//
// A local chain's receipts are checked the same way although block import verified them:
// it costs one stack-trie hash over the receipts per block, on the follower's goroutine
// rather than the import path, and it keeps one validation path with no "trusted" switch
// that a remote source could end up taking (it also catches a damaged receipts database).
//
// The header hash is computed, not taken from the source: callers that received a hash
// alongside the header must check it against header.Hash() (the RPC source does).
func BlockFromReceipts(header *types.Header, txHashes []common.Hash, receipts types.Receipts) (*logindex.Block, error) {
	return blockFromReceipts(header, txHashes, receipts, true)
}

// BlockFromStoredReceipts is BlockFromReceipts for receipts this node stored itself after
// executing the block: every check but the receipts root, which op-geth verified on import.
func BlockFromStoredReceipts(header *types.Header, txHashes []common.Hash, receipts types.Receipts) (*logindex.Block, error) {
	return blockFromReceipts(header, txHashes, receipts, false)
}

func blockFromReceipts(header *types.Header, txHashes []common.Hash, receipts types.Receipts, checkRoot bool) (*logindex.Block, error) {
	if header == nil {
		return nil, badBlock(0, common.Hash{}, ErrBadHeader, "no header")
	}
	hash := header.Hash()
	if header.Number == nil || !header.Number.IsUint64() {
		return nil, badBlock(0, hash, ErrBadHeader, "block number %v out of range", header.Number)
	}
	number := header.Number.Uint64()
	bad := func(kind error, format string, args ...any) error {
		return badBlock(number, hash, kind, format, args...)
	}

	// Does the block have transactions at all? The header commits to that even when the
	// source does not list them, which catches an empty answer for a non-empty block.
	noTxs := header.TxHash == types.EmptyTxsHash
	if txHashes != nil {
		if noTxs != (len(txHashes) == 0) {
			return nil, bad(ErrReceiptCount, "%d transaction hashes, transaction root %s", len(txHashes), header.TxHash.Hex())
		}
		if len(receipts) != len(txHashes) {
			return nil, bad(ErrReceiptCount, "%d receipts for %d transactions", len(receipts), len(txHashes))
		}
	} else if noTxs != (len(receipts) == 0) {
		if noTxs {
			return nil, bad(ErrReceiptCount, "%d receipts, transaction root is empty", len(receipts))
		}
		return nil, bad(ErrMissingReceipts, "no receipts, transaction root %s", header.TxHash.Hex())
	}

	nlogs := 0
	for i, r := range receipts {
		if r == nil {
			return nil, bad(ErrMissingReceipts, "receipt %d is null", i)
		}
		nlogs += len(r.Logs)
	}
	if uint64(nlogs) > math.MaxUint32+1 {
		return nil, bad(ErrLogOrder, "%d logs exceed the u32 log index", nlogs)
	}

	b := &logindex.Block{
		BlockRef: logindex.BlockRef{
			Number:     number,
			Hash:       hash,
			ParentHash: header.ParentHash,
			Timestamp:  header.Time,
		},
		LogHashes: make([]common.Hash, 0, nlogs),
	}
	for i, r := range receipts {
		switch {
		case r.BlockHash != hash:
			return nil, bad(ErrForeignReceipt, "receipt %d names block hash %s", i, r.BlockHash.Hex())
		case r.BlockNumber == nil || !r.BlockNumber.IsUint64() || r.BlockNumber.Uint64() != number:
			return nil, bad(ErrForeignReceipt, "receipt %d names block number %v", i, r.BlockNumber)
		case r.TransactionIndex != uint(i):
			return nil, bad(ErrForeignReceipt, "receipt %d names transaction index %d", i, r.TransactionIndex)
		case txHashes != nil && r.TxHash != txHashes[i]:
			return nil, bad(ErrForeignReceipt, "receipt %d is of transaction %s, block lists %s", i, r.TxHash.Hex(), txHashes[i].Hex())
		case len(r.PostState) == 0 && r.Status == types.ReceiptStatusFailed && len(r.Logs) > 0:
			return nil, bad(ErrRevertedLogs, "receipt %d has status failed and %d logs", i, len(r.Logs))
		}
		for j, l := range r.Logs {
			idx := len(b.LogHashes)
			switch {
			case l == nil:
				return nil, bad(ErrForeignLog, "log %d of receipt %d is null", j, i)
			case l.Removed:
				return nil, bad(ErrForeignLog, "log %d of receipt %d is marked removed", j, i)
			case l.BlockHash != hash || l.BlockNumber != number:
				return nil, bad(ErrForeignLog, "log %d of receipt %d names block %d (%s)", j, i, l.BlockNumber, l.BlockHash.Hex())
			case l.TxIndex != uint(i) || l.TxHash != r.TxHash:
				return nil, bad(ErrForeignLog, "log %d of receipt %d names transaction %d (%s)", j, i, l.TxIndex, l.TxHash.Hex())
			case l.Index != uint(idx):
				return nil, bad(ErrLogOrder, "log %d of receipt %d has index %d, want %d", j, i, l.Index, idx)
			}
			msg, err := executingMessage(l)
			if err != nil {
				return nil, bad(ErrBadExecutingMessage, "log %d: %v", idx, err)
			}
			if msg != nil {
				b.ExecMsgs = append(b.ExecMsgs, logindex.ExecMsg{LogIndex: uint32(idx), Msg: *msg})
			}
			b.LogHashes = append(b.LogHashes, message.LogHashOf(l))
		}
	}
	// Last, once no receipt or log is nil (the encoding would dereference them) and the
	// specific errors above have had their say.
	if !checkRoot {
		return b, nil
	}
	if root := types.DeriveSha(receipts, trie.NewStackTrie(nil)); root != header.ReceiptHash {
		return nil, bad(ErrReceiptsRoot, "receipts hash to %s, header has %s", root.Hex(), header.ReceiptHash.Hex())
	}
	return b, nil
}

// executingMessage decodes l when CrossL2Inbox emitted it with the ExecutingMessage topic.
// event.DecodeExecutingMessage treats a log of another topic count as an ordinary log; here
// every log of CrossL2Inbox carrying the event's topic0 must decode strictly (event.DecodeEvent),
// since a correct CrossL2Inbox emits nothing else under that topic.
func executingMessage(l *types.Log) (*message.Message, error) {
	if l.Address != params.CrossL2InboxAddress || len(l.Topics) == 0 || l.Topics[0] != event.ExecutingMessageTopic {
		return nil, nil
	}
	m, err := event.DecodeEvent(l.Topics, l.Data)
	if err != nil {
		return nil, err
	}
	return &m, nil
}
