package devnet

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/xgeth/xgeth/core/authority"
	"github.com/xgeth/xgeth/interop/crosssafety"
	"github.com/xgeth/xgeth/interop/rpcerr"
)

// The devnet's sequencer loop is a small consensus client that uses only the engine API
// and the authority methods (core/authority), as op-node would: it reports simulated L1
// labels (local-safe SafeLag blocks behind the head, local-finalized FinalizedLag behind
// that) in every forkchoiceUpdated, and replaces a denied block by rewinding natively and
// sequencing the same height with the deposits only.

// forkchoice is the forkchoice state with head (nil: the current head) and the simulated
// local labels.
func (c *Chain) forkchoice(head *types.Header) engine.ForkchoiceStateV1 {
	bc := c.Eth.BlockChain()
	if head == nil {
		head = bc.CurrentBlock()
	}
	st := engine.ForkchoiceStateV1{HeadBlockHash: head.Hash()}
	n := head.Number.Uint64()
	if n < c.safeLag {
		return st
	}
	safe := n - c.safeLag
	st.SafeBlockHash = bc.GetCanonicalHash(safe)
	if safe >= c.finLag {
		st.FinalizedBlockHash = bc.GetCanonicalHash(safe - c.finLag)
	}
	return st
}

// localSafe is the number of the simulated local-safe block.
func (c *Chain) localSafe() (uint64, bool) {
	n := c.Eth.BlockChain().CurrentBlock().Number.Uint64()
	if n < c.safeLag {
		return 0, false
	}
	return n - c.safeLag, true
}

// pendingDenials are this chain's denied blocks not yet replaced, by number.
type pendingDenial struct {
	number uint64
	hash   common.Hash
	at     time.Time // when the denial was heard of
}

// watchDenials takes every decision of the safety engine at once (the engine waits for
// its subscribers) and keeps this chain's denials for the sequencer.
func (c *Chain) watchDenials() {
	defer c.wg.Done()
	for {
		select {
		case d := <-c.denials:
			if c.noteDenial(d) {
				select {
				case c.denied <- struct{}{}:
				default:
				}
			}
		case <-c.denialSub.Err():
			return
		case <-c.stop:
			return
		}
	}
}

// noteDenial keeps the denials of this chain in an invalidate decision.
func (c *Chain) noteDenial(d crosssafety.Decision) bool {
	return d.Kind == crosssafety.Invalidate && c.addPending(d.Denied)
}

// addPending keeps the denials of this chain among ds for replacement (replaceDenied
// forgets those no longer canonical); it reports whether there were any.
func (c *Chain) addPending(ds []crosssafety.Denial) bool {
	c.faults.Lock()
	defer c.faults.Unlock()
	found := false
	for _, x := range ds {
		if x.Chain == c.chainID {
			c.pending = append(c.pending, pendingDenial{x.Block.Number, x.Block.Hash, time.Now()})
			found = true
		}
	}
	return found
}

// replaceDenied replaces the lowest denied block still on the canonical chain: a native
// rewind to its parent (engine_rewindV1), then the same height built from the same
// attributes with the deposits only. The block's user transactions go back to the pool
// (geth re-injects them on the rewind) and its pool's filters refuse the invalid one.
func (c *Chain) replaceDenied() (bool, error) {
	bc := c.Eth.BlockChain()
	c.faults.Lock()
	slices.SortFunc(c.pending, func(a, b pendingDenial) int { return cmp.Compare(a.number, b.number) })
	var target *pendingDenial
	kept := c.pending[:0]
	for i := range c.pending {
		p := c.pending[i]
		if bc.GetCanonicalHash(p.number) != p.hash {
			continue // already replaced, or rewound away
		}
		if target == nil && time.Since(p.at) >= c.replaceDelay {
			t := p
			target = &t
			continue
		}
		kept = append(kept, p)
	}
	c.pending = kept
	c.faults.Unlock()
	if target == nil {
		return false, nil
	}
	// The engine may have denied it while the block was the head being extended: check
	// once more through the authority, as a consensus client would.
	if denied, err := c.wired.Engine.IsDeniedV1(hexutil.Uint64(target.number), target.hash); err != nil || !denied {
		return false, err
	}
	_, dropped, err := c.wired.Labels.Rewind(target.hash)
	if err != nil {
		return false, fmt.Errorf("rewind below denied block %d: %w", target.number, err)
	}
	parent := bc.CurrentBlock()
	c.log.Warn("Replacing denied block", "number", target.number, "hash", target.hash)
	err = c.buildBlock(parent, parent.Time+c.blockSeconds(), true)
	c.wired.Readmit(dropped)
	return true, err
}

func (c *Chain) blockSeconds() uint64 {
	bt := uint64(c.blockTime.Seconds())
	if bt == 0 {
		bt = 1
	}
	return bt
}

// faultAPI is the devnet namespace (authenticated port): fault injection so that a user
// can watch invalid blocks get denied and replaced.
type faultAPI struct{ c *Chain }

var (
	errDepositTx      = rpcerr.InvalidParams.Derive("deposit transactions cannot be sent")
	errBadRewindDepth = rpcerr.InvalidParams.Derive("bad rewind depth")
)

// SendUncheckedTransaction makes the chain's next block include the signed transaction
// rawTx without any interop check (neither the pool's nor the builder's).
func (f *faultAPI) SendUncheckedTransaction(ctx context.Context, rawTx hexutil.Bytes) (common.Hash, error) {
	tx, err := decodeUnchecked(rawTx, f.c.Eth.BlockChain().Config().ChainID)
	if err != nil {
		return common.Hash{}, err
	}
	f.c.faults.Lock()
	f.c.unchecked = append(f.c.unchecked, slices.Clone([]byte(rawTx)))
	f.c.faults.Unlock()
	f.c.log.Warn("Unchecked transaction queued for the next block", "hash", tx.Hash())
	return tx.Hash(), nil
}

// RewindUnsafe drops the newest n unsafe blocks and sequences deposits-only blocks in
// their place (sequencer equivocation): executing messages on other chains that named logs
// of the dropped blocks become invalid. It refuses to drop a local-safe block.
func (f *faultAPI) RewindUnsafe(ctx context.Context, n hexutil.Uint64) (*authority.BlockID, error) {
	c := f.c
	if n == 0 {
		return nil, errBadRewindDepth.With("n must be at least 1")
	}
	c.Pause()
	defer c.Resume()
	return f.drop(uint64(n))
}

// DropFrom is RewindUnsafe naming the first block to drop instead of a count: block number
// and every block after it, as the head is when the sequencer has paused. A script that
// wants a given block gone need not race the sequencer for the count.
func (f *faultAPI) DropFrom(ctx context.Context, number hexutil.Uint64) (*authority.BlockID, error) {
	c := f.c
	c.Pause()
	defer c.Resume()
	head := c.Eth.BlockChain().CurrentBlock().Number.Uint64()
	if number == 0 || uint64(number) > head {
		return nil, errBadRewindDepth.Withf("block %d: want 1 to the head %d", uint64(number), head)
	}
	return f.drop(head - uint64(number) + 1)
}

// drop drops the newest n blocks and re-sequences as many deposits-only ones; the caller
// has paused the sequencer.
func (f *faultAPI) drop(n uint64) (*authority.BlockID, error) {
	c := f.c
	bc := c.Eth.BlockChain()
	head := bc.CurrentBlock()
	number := head.Number.Uint64()
	if n > number {
		return nil, errBadRewindDepth.Withf("n %d above the head %d", n, number)
	}
	first := number - n + 1
	if safe, ok := c.localSafe(); ok && first <= safe {
		return nil, errBadRewindDepth.Withf("block %d is local-safe (local-safe head %d): only unsafe blocks can be dropped", first, safe)
	}
	_, dropped, err := c.wired.Labels.Rewind(bc.GetCanonicalHash(first))
	if err != nil {
		return nil, err
	}
	for i := uint64(0); i < n; i++ {
		parent := bc.CurrentBlock()
		if err := c.buildBlock(parent, parent.Time+c.blockSeconds(), true); err != nil {
			return nil, fmt.Errorf("re-sequence block %d: %w", parent.Number.Uint64()+1, err)
		}
	}
	c.wired.Readmit(dropped)
	h := bc.CurrentBlock()
	c.log.Warn("Dropped unsafe blocks and re-sequenced them", "from", first, "count", n, "head", h.Number)
	return &authority.BlockID{Hash: h.Hash(), Number: hexutil.Uint64(h.Number.Uint64())}, nil
}

// decodeUnchecked decodes a signed transaction of the chain for devnet_sendUncheckedTransaction:
// no deposits, a valid signature for chainID.
func decodeUnchecked(raw []byte, chainID *big.Int) (*types.Transaction, error) {
	var tx types.Transaction
	if err := tx.UnmarshalBinary(raw); err != nil {
		return nil, rpcerr.InvalidParams.Withf("transaction: %v", err)
	}
	if tx.Type() == types.DepositTxType {
		return nil, errDepositTx
	}
	if _, err := types.Sender(types.LatestSignerForChainID(chainID), &tx); err != nil {
		return nil, rpcerr.InvalidParams.Withf("transaction signature: %v", err)
	}
	return &tx, nil
}
