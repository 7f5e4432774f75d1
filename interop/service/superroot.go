package service

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/superroot"
)

// outputOf reads the output of block ref of chain id from its source (the chain's own
// node, in process or over JSON-RPC): state root, message-passer storage root (the header's
// withdrawals root since Isthmus) and hash. nil when the source cannot say.
func (s *Service) outputOf(ctx context.Context, id *uint256.Int, ref logindex.BlockRef) *superroot.Output {
	c, ok := s.chains[*id]
	if !ok || c.source == nil {
		return nil
	}
	h, err := c.source.HeaderByNumber(ctx, ref.Number)
	if err != nil || h == nil || h.Hash() != ref.Hash || h.WithdrawalsHash == nil {
		return nil
	}
	return &superroot.Output{StateRoot: h.Root, MessagePasserStorageRoot: *h.WithdrawalsHash, BlockHash: ref.Hash}
}

func (s *Service) engineOutputs(id *uint256.Int, ref logindex.BlockRef) *superroot.Output {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.outputOf(ctx, id, ref)
}

// atTimestamp is the block of idx a super root at ts takes: the newest with a timestamp at
// or before ts (the caller checks it is after ts − block time).
func atTimestamp(idx *logindex.ChainIndex, ts uint64) (logindex.BlockRef, bool) {
	first, ok := idx.First()
	head, _ := idx.Head()
	if !ok || first.Timestamp > ts {
		return logindex.BlockRef{}, false
	}
	if head.Timestamp <= ts {
		return head, true
	}
	lo, hi := first, head.Number // lo's time ≤ ts < hi's time
	for hi-lo.Number > 1 {
		mid := lo.Number + (hi-lo.Number)/2
		r, err := idx.BlockRef(mid)
		if err != nil {
			return logindex.BlockRef{}, false
		}
		if r.Timestamp <= ts {
			lo = r
		} else {
			hi = mid
		}
	}
	return lo, true
}

// SuperRootAt is superroot_atTimestamp (specs/interop/superroot.md): per chain the
// optimistic output of the block at ts (a replaced block reports its original output), the
// minimum safe, local-safe and finalized timestamps across chains, and, once every chain
// is cross-safe at ts, the super root. There is no L1 view in the execution client: the
// L1 references are zero.
func (s *Service) SuperRootAt(ctx context.Context, ts uint64) (*superroot.AtTimestamp, error) {
	out := &superroot.AtTimestamp{OptimisticAtTimestamp: map[string]superroot.Optimistic{}}
	verified := true
	var chains []superroot.ChainOutput
	first := true
	for _, id := range s.order {
		c := s.chains[id]
		dc, _ := s.cfg.DepSet.Chain(&id)
		name := id.Dec()
		out.ChainIDs = append(out.ChainIDs, name)
		hs, err := s.safety.Heads(&id)
		if err != nil {
			return nil, err
		}
		minTS := func(cur *uint64, r *logindex.BlockRef) {
			v := uint64(0)
			if r != nil {
				v = r.Timestamp
			}
			if first || v < *cur {
				*cur = v
			}
		}
		minTS(&out.SafeTimestamp, hs.CrossSafe)
		minTS(&out.LocalSafeTimestamp, hs.LocalSafe)
		minTS(&out.FinalizedTimestamp, hs.Finalized)
		first = false

		ref, ok := atTimestamp(c.index, ts)
		if !ok || (dc.BlockTime > 0 && ts >= dc.BlockTime && ref.Timestamp <= ts-dc.BlockTime) {
			verified = false // no block of this chain at that time
			continue
		}
		o := s.outputOf(ctx, &id, ref)
		if ds, err := s.safety.Denials(&id, ref.Number); err == nil {
			for _, d := range ds {
				if d.Block.Hash != ref.Hash && d.Output != nil {
					o = d.Output // replaced: the original block's output
					break
				}
			}
		}
		if o == nil {
			verified = false
			continue
		}
		root := o.Root()
		out.OptimisticAtTimestamp[name] = superroot.Optimistic{Output: *o, OutputRoot: root}
		if hs.CrossSafe == nil || hs.CrossSafe.Number < ref.Number {
			verified = false
		}
		chains = append(chains, superroot.ChainOutput{ChainID: id, Output: root})
	}
	if verified && len(chains) == len(s.order) {
		d := &superroot.Data{SuperRoot: superroot.SuperRoot(ts, chains), Super: superroot.Super{Timestamp: hexutil.Uint64(ts)}}
		for _, c := range chains {
			d.Super.Chains = append(d.Super.Chains, superroot.SuperChain{ChainID: c.ChainID.Dec(), Output: c.Output})
		}
		out.Data = d
	}
	return out, nil
}
