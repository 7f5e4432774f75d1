package service

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/crosssafety"
	"github.com/xgeth/xgeth/interop/follower"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rpcapi"
	"github.com/xgeth/xgeth/interop/rules"
)

// newSafety builds the cross-chain safety engine over the indexes and the checker and makes
// it the checker's safety view: minimum-safety requirements above local-unsafe are then
// answered by the engine.
func (s *Service) newSafety() error {
	var chains []crosssafety.Chain
	for _, id := range s.order {
		chains = append(chains, crosssafety.Chain{ID: id, Index: s.chains[id].index})
	}
	e, err := crosssafety.New(crosssafety.Config{Chains: chains, Verifier: s.checker, DB: s.cfg.DB})
	if err != nil {
		return fmt.Errorf("interop: safety engine: %w", err)
	}
	s.safety = e
	s.checker.SetSafetyView(e)
	return nil
}

// Safety is the node's cross-chain safety engine.
func (s *Service) Safety() *crosssafety.Engine { return s.safety }

// runSafety resolves on every index change of every chain (the engine also wakes on its
// own inputs). It never polls.
func (s *Service) runSafety() {
	changes := make(chan follower.Event, 256)
	sub := s.changes.Subscribe(changes)
	s.safety.Start()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer sub.Unsubscribe()
		for {
			select {
			case <-changes:
				s.safety.Notify()
			case <-sub.Err():
				return
			case <-s.quit:
				return
			}
		}
	}()
}

// InteropSafety implements rpcapi.Status.
func (s *Service) InteropSafety() []rpcapi.ChainSafety {
	out := make([]rpcapi.ChainSafety, 0, len(s.order))
	for _, id := range s.order {
		hs, err := s.safety.Heads(&id)
		if err != nil {
			continue
		}
		ref := func(r *logindex.BlockRef) *rpcapi.BlockRef {
			if r == nil {
				return nil
			}
			return refJSON(*r)
		}
		out = append(out, rpcapi.ChainSafety{
			ChainID:     (*hexutil.Big)(id.ToBig()),
			LocalUnsafe: ref(hs.LocalUnsafe), CrossUnsafe: ref(hs.CrossUnsafe),
			LocalSafe: ref(hs.LocalSafe), CrossSafe: ref(hs.CrossSafe),
			LocalFinalized: ref(hs.LocalFinalized), Finalized: ref(hs.Finalized),
		})
	}
	return out
}

// Activation is the interop activation of chain id, as the dependency set gives it.
func (s *Service) Activation(id *uint256.Int) (rules.Activation, error) {
	c, ok := s.cfg.DepSet.Chain(id)
	if !ok {
		return rules.Activation{}, fmt.Errorf("interop: chain %s is not in the dependency set", id.Dec())
	}
	return c.Activation()
}
