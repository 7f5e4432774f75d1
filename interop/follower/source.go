package follower

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// Source is where a follower reads a chain: the chain's canonical headers by number, the
// receipts of a block by hash, and notifications of new heads. It is the only thing that
// differs between a chain run in this process (NewLocalSource over op-geth's core.BlockChain)
// and a chain run elsewhere (NewRPCSource); the follower algorithm (backfill, reorg handling,
// validation) is shared and lives in Follower.
//
// A Source only reads; it never decides. In particular it must not validate or repair data
// beyond decoding it, and must not skip or merge blocks: the follower checks everything it
// is given with BlockFromReceipts, and a source that "fixes" data hides the very
// inconsistencies the follower reports. Methods are called concurrently (the follower fetches
// several blocks ahead during backfill) and must be safe for that.
type Source interface {
	// Head is the source's current canonical head.
	Head(ctx context.Context) (*types.Header, error)

	// HeaderByNumber is the canonical header at number. An error wrapping ErrNotFound means
	// the source has no canonical block there (above its head, or it rewound); the follower
	// then looks for a reorg. It must not return a non-canonical header.
	HeaderByNumber(ctx context.Context, number uint64) (*types.Header, error)

	// Receipts are the receipts of the block with the given hash, in transaction order, with
	// their derived fields (block hash and number, transaction index and hash, log indexes)
	// filled in as eth_getBlockReceipts returns them. txHashes are the block's transaction
	// hashes when the source has them at hand, nil otherwise (see BlockFromReceipts). An
	// error wrapping ErrNotFound means the source has no receipts for that hash.
	Receipts(ctx context.Context, hash common.Hash) (receipts types.Receipts, txHashes []common.Hash, err error)

	// SubscribeNewHeads sends every new canonical head to ch until the subscription is
	// unsubscribed or fails (Err delivers the failure; a closed Err without a value asks the
	// follower to subscribe again). Heads may skip numbers (a batch import) and go backwards
	// (a reorg to a shorter chain): the follower treats each one only as "the head is now
	// this" and reads the blocks by number. It must not block the caller beyond setting the
	// subscription up, and must stop sending once unsubscribed.
	SubscribeNewHeads(ctx context.Context, ch chan<- *types.Header) (event.Subscription, error)
}

// LocalChain is the part of op-geth's *core.BlockChain a local source reads. E is the chain
// head event type (core.ChainHeadEvent); the type parameter keeps this package free of node
// internals.
type LocalChain[E any] interface {
	CurrentBlock() *types.Header
	GetHeaderByNumber(number uint64) *types.Header
	GetReceiptsByHash(hash common.Hash) types.Receipts
	SubscribeChainHeadEvent(ch chan<- E) event.Subscription
}

// NewLocalSource is the Source of a chain run in this process. headOf extracts the header of
// a chain head event:
//
//	src := follower.NewLocalSource(eth.BlockChain(), func(ev core.ChainHeadEvent) *types.Header { return ev.Header })
//
// Head notifications come from the chain's own event feed: nothing is polled.
func NewLocalSource[E any](chain LocalChain[E], headOf func(E) *types.Header) Source {
	return &localSource[E]{chain: chain, headOf: headOf}
}

type localSource[E any] struct {
	chain  LocalChain[E]
	headOf func(E) *types.Header
}

func (s *localSource[E]) Head(ctx context.Context) (*types.Header, error) {
	h := s.chain.CurrentBlock()
	if h == nil {
		return nil, fmt.Errorf("local chain head: %w", ErrNotFound)
	}
	return h, nil
}

func (s *localSource[E]) HeaderByNumber(ctx context.Context, number uint64) (*types.Header, error) {
	h := s.chain.GetHeaderByNumber(number)
	if h == nil {
		return nil, fmt.Errorf("local header %d: %w", number, ErrNotFound)
	}
	return h, nil
}

func (s *localSource[E]) Receipts(ctx context.Context, hash common.Hash) (types.Receipts, []common.Hash, error) {
	// core.BlockChain answers nil for an unknown block (and pruned history) and an empty,
	// non-nil list for a block without transactions.
	rs := s.chain.GetReceiptsByHash(hash)
	if rs == nil {
		return nil, nil, fmt.Errorf("local receipts of %s: %w", hash.Hex(), ErrNotFound)
	}
	return rs, nil, nil
}

// trusted: the receipts come from this node's own database, which stored them only after
// executing the block, so the follower need not recompute their root.
func (s *localSource[E]) trusted() bool { return true }

func (s *localSource[E]) SubscribeNewHeads(ctx context.Context, ch chan<- *types.Header) (event.Subscription, error) {
	events := make(chan E, 16)
	sub := s.chain.SubscribeChainHeadEvent(events)
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		// The chain's feed waits for every subscriber, so block import would wait for a busy
		// follower: keep taking events and hand over only the newest head.
		_, err := forwardNewest(events, sub.Err(), quit, ch, func(ev E) (*types.Header, error) { return s.headOf(ev), nil })
		return err
	}), nil
}

// forwardNewest takes head notifications from in and hands only the newest one to out, so a
// slow reader never makes the sender wait or buffer. head converts a notification (nil: not
// a head). It returns on quit (nil), on a conversion error, or when failed delivers (failed
// true, with the subscription's error, which may be nil for a closed subscription).
func forwardNewest[E any](in <-chan E, failed <-chan error, quit <-chan struct{}, out chan<- *types.Header, head func(E) (*types.Header, error)) (bool, error) {
	var pending *types.Header
	for {
		var send chan<- *types.Header
		if pending != nil {
			send = out
		}
		select {
		case ev := <-in:
			h, err := head(ev)
			if err != nil {
				return false, err
			}
			if h != nil {
				pending = h
			}
		case send <- pending:
			pending = nil
		case err := <-failed:
			return true, err
		case <-quit:
			return false, nil
		}
	}
}
