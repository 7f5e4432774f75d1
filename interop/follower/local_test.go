package follower

import (
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// headEvent stands in for core.ChainHeadEvent.
type headEvent struct{ header *types.Header }

// localChain is a fakeChain seen through the methods of core.BlockChain that
// NewLocalSource uses.
type localChain struct {
	c       *fakeChain
	current atomic.Int64
}

var _ LocalChain[headEvent] = (*localChain)(nil)

func (l *localChain) CurrentBlock() *types.Header {
	l.current.Add(1)
	return l.c.head().header
}

func (l *localChain) GetHeaderByNumber(number uint64) *types.Header {
	if b := l.c.block(number); b != nil {
		return b.header
	}
	return nil
}

func (l *localChain) GetReceiptsByHash(hash common.Hash) types.Receipts {
	l.c.mu.Lock()
	b := l.c.byHash[hash]
	l.c.mu.Unlock()
	if b == nil {
		return nil
	}
	if b.receipts == nil {
		return types.Receipts{} // core.BlockChain: empty, not nil, for a block without txs
	}
	return b.receipts
}

func (l *localChain) SubscribeChainHeadEvent(ch chan<- headEvent) event.Subscription {
	heads := make(chan *types.Header)
	sub := l.c.heads.Subscribe(heads)
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case h := <-heads:
				select {
				case ch <- headEvent{h}:
				case <-quit:
					return nil
				}
			case <-quit:
				return nil
			}
		}
	})
}
