package service

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/log"
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
	e, err := crosssafety.New(crosssafety.Config{Chains: chains, Verifier: s.checker, DB: s.cfg.DB, Outputs: s.engineOutputs})
	if err != nil {
		return fmt.Errorf("interop: safety engine: %w", err)
	}
	s.safety = e
	s.checker.SetSafetyView(e)
	return nil
}

// Safety is the node's cross-chain safety engine.
func (s *Service) Safety() *crosssafety.Engine { return s.safety }

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
		cs := rpcapi.ChainSafety{
			ChainID:     (*hexutil.Big)(id.ToBig()),
			LocalUnsafe: ref(hs.LocalUnsafe), CrossUnsafe: ref(hs.CrossUnsafe),
			LocalSafe: ref(hs.LocalSafe), CrossSafe: ref(hs.CrossSafe),
			LocalFinalized: ref(hs.LocalFinalized), Finalized: ref(hs.Finalized),
		}
		cs.CrossUnsafeWaiting, cs.CrossSafeWaiting, _ = s.safety.Waiting(&id)
		for _, d := range s.cluster.Transitive(&id) {
			if _, ok := s.chains[d]; !ok {
				cs.Unfollowed = append(cs.Unfollowed, (*hexutil.Big)(d.ToBig()))
			}
		}
		out = append(out, cs)
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

// labelSource is a remote chain's node that reports the chain's local labels.
type labelSource interface {
	Labels(ctx context.Context) (follower.Labels, error)
}

// pollLabels reads a remote chain's local-safe and local-finalized labels from its node
// once per block time and gives changes to the safety engine. (A chain this process runs
// gets them from its consensus client's forkchoice updates instead.)
func (s *Service) pollLabels(c *chain, src labelSource, every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	var last follower.Labels
	failing := false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), every+5*time.Second)
		l, err := src.Labels(ctx)
		cancel()
		switch {
		case err != nil:
			if !failing {
				log.Warn("Cannot read a remote chain's safe labels", "chain", c.id.Dec(), "err", err)
				failing = true
			}
		default:
			if failing {
				log.Info("Reading a remote chain's safe labels again", "chain", c.id.Dec())
				failing = false
			}
			if l.LocalSafe != nil && (last.LocalSafe == nil || *last.LocalSafe != *l.LocalSafe) {
				s.safety.SetLocalSafe(&c.id, *l.LocalSafe)
			}
			if l.LocalFinalized != nil && (last.LocalFinalized == nil || *last.LocalFinalized != *l.LocalFinalized) {
				s.safety.SetLocalFinalized(&c.id, *l.LocalFinalized)
			}
			last = l
		}
		select {
		case <-t.C:
		case <-s.quit:
			return
		}
	}
}
