package follower

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/interop/logindex"
)

// methodNotFound is JSON-RPC's code for a method the server does not have.
const methodNotFound = -32601

var errSafetyNotServed = errors.New("interop_safety not served")

// Labels are the local-safe and local-finalized blocks of a chain as its own node reports
// them; a nil field when the node reports none.
type Labels struct {
	LocalSafe, LocalFinalized *logindex.BlockRef
}

// remoteRef is a block reference as interop_safety gives it.
type remoteRef struct {
	Number     hexutil.Uint64 `json:"number"`
	Hash       common.Hash    `json:"hash"`
	ParentHash common.Hash    `json:"parentHash"`
	Timestamp  hexutil.Uint64 `json:"timestamp"`
}

func (r *remoteRef) ref() *logindex.BlockRef {
	if r == nil {
		return nil
	}
	return &logindex.BlockRef{Number: uint64(r.Number), Hash: r.Hash, ParentHash: r.ParentHash, Timestamp: uint64(r.Timestamp)}
}

// Labels reads the chain's local-safe and local-finalized labels from its node: from
// another xgeth, its own labels in interop_safety (what its consensus client derived from
// L1); from any other execution client, its "safe" and "finalized" block tags. They are
// what the node claims, and only that: the safety engine accepts a label only for a block
// the log index has at that height, so a node cannot make an unindexed block safe.
func (s *RPCSource) Labels(ctx context.Context) (Labels, error) {
	l, err := s.labels(ctx)
	return l, s.public(err)
}

// safetyRetry is how long a node that does not serve interop_safety (any execution client
// but xgeth) is read from its block tags alone before it is asked again (it may have been
// upgraded meanwhile).
const safetyRetry = 10 * time.Minute

func (s *RPCSource) labels(ctx context.Context) (Labels, error) {
	var (
		raw  json.RawMessage
		err  error
		rerr rpc.Error
	)
	if time.Now().UnixNano() < s.noSafetyUntil.Load() {
		err = errSafetyNotServed
	} else {
		err = s.call(ctx, &raw, "interop_safety")
		if errors.As(err, &rerr) && rerr.ErrorCode() == methodNotFound {
			s.noSafetyUntil.Store(time.Now().Add(safetyRetry).UnixNano())
		}
	}
	if err == nil {
		var chains []struct {
			ChainID        *hexutil.Big `json:"chainId"`
			LocalSafe      *remoteRef   `json:"localSafe"`
			LocalFinalized *remoteRef   `json:"localFinalized"`
		}
		if err := json.Unmarshal(raw, &chains); err != nil {
			return Labels{}, errors.Join(ErrMalformed, err)
		}
		if s.cfg.chainID != nil {
			want := s.cfg.chainID.ToBig()
			for _, c := range chains {
				if c.ChainID != nil && (*big.Int)(c.ChainID).Cmp(want) == 0 {
					return Labels{LocalSafe: c.LocalSafe.ref(), LocalFinalized: c.LocalFinalized.ref()}, nil
				}
			}
		}
		// The node does not report this chain's labels: fall back to its block tags.
	} else if err != errSafetyNotServed && !errors.As(err, &rerr) {
		return Labels{}, err
	}
	var out Labels
	for _, tag := range []struct {
		name string
		dst  **logindex.BlockRef
	}{{"safe", &out.LocalSafe}, {"finalized", &out.LocalFinalized}} {
		var raw json.RawMessage
		if err := s.call(ctx, &raw, "eth_getBlockByNumber", tag.name, false); err != nil {
			if errors.As(err, &rerr) {
				continue // the node does not know the tag (pre-merge style): no label
			}
			return Labels{}, err
		}
		if isNull(raw) {
			continue
		}
		h, _, err := decodeBlock(raw, false)
		if err != nil {
			return Labels{}, err
		}
		*tag.dst = &logindex.BlockRef{Number: h.Number.Uint64(), Hash: h.Hash(), ParentHash: h.ParentHash, Timestamp: h.Time}
	}
	return out, nil
}
