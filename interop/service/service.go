// Package service runs the interop side of a node: it opens the log index of every chain
// of the dependency set, runs a follower per chain (in-process sources for chains this
// process runs, JSON-RPC for the others), builds the checker every caller shares, verifies
// the executing messages of the local chains' blocks as they are indexed, trips the
// failsafe on unrecoverable follower errors, and reports status. It wires; it decides
// nothing itself and imports no node internals: the caller hands it the local sources.
package service

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/crosssafety"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/follower"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/rpcapi"
)

// Config configures a Service.
type Config struct {
	// DepSet is the dependency set. Its chains are indexed and followed unless Follow says
	// otherwise.
	DepSet *depset.Set
	// Follow, when not nil, are the members to index and follow (depset.Set.Reach): the
	// local chains and the chains of their transitive sets that can be reached. A member of
	// those sets left out is unseen: what depends on it is never cross-safe here, and
	// interop_safety says so.
	Follow []uint256.Int
	// DB holds the indexes of every chain (under logindex's key prefix).
	DB ethdb.KeyValueStore
	// StartBlock / StartTime: where followers of remote chains start on an empty index.
	StartBlock, StartTime uint64
	// Checker and Index tune the checker and the indexes.
	Checker checker.Config
	Index   logindex.Options
	// Failsafe starts the node with the failsafe on.
	Failsafe bool
}

type chain struct {
	id       uint256.Int
	index    *logindex.ChainIndex
	source   follower.Source
	url      string // "" for a local chain
	local    bool
	follower *follower.Follower

	// Index size gauges, under interop/index/<chain id>/.
	sizeBlocks, sizeLogs, sizeBytes *metrics.Gauge
}

// Service is the interop side of a node.
type Service struct {
	cfg     Config
	cluster *cluster.Graph // the checker's: each chain's own set
	checker *checker.Checker
	safety  *crosssafety.Engine
	chains  map[uint256.Int]*chain
	order   []uint256.Int

	changes event.FeedOf[follower.Event] // every index change of every chain
	subs    []event.Subscription
	quit    chan struct{}
	wg      sync.WaitGroup
	started bool
}

var (
	verifiedValid   = metrics.NewRegisteredCounter("interop/blocks/verified/valid", nil)
	verifiedInvalid = metrics.NewRegisteredCounter("interop/blocks/verified/invalid", nil)
	verifiedUnknown = metrics.NewRegisteredCounter("interop/blocks/verified/unknown", nil)
)

// New opens the index of every chain of the set and builds the checker. Followers start
// with Start, after the local sources are known (SetLocalSource).
func New(cfg Config) (*Service, error) {
	if cfg.DepSet == nil || cfg.DB == nil {
		return nil, errors.New("interop: no dependency set or database")
	}
	if cfg.Index.Retention == 0 {
		cfg.Index.Retention = cfg.DepSet.Retention()
	}
	s := &Service{cfg: cfg, chains: map[uint256.Int]*chain{}, quit: make(chan struct{})}
	follow := cfg.DepSet.Chains()
	if cfg.Follow != nil {
		follow = follow[:0]
		for _, id := range cfg.Follow {
			c, ok := cfg.DepSet.Chain(&id)
			if !ok {
				return nil, fmt.Errorf("interop: chain %s to follow is not in the dependency set", id.Dec())
			}
			follow = append(follow, c)
		}
	}
	if len(follow) == 0 {
		return nil, errors.New("interop: no chain to follow")
	}
	if cfg.Checker.Cluster == nil && cfg.DepSet.PerChain() {
		cfg.Checker.Cluster = cfg.DepSet.Cluster()
	}
	s.cluster = cfg.Checker.Cluster
	if s.cluster == nil {
		s.cluster = cfg.DepSet.Cluster()
	}
	indexes := checker.IndexSet{}
	for _, c := range follow {
		if _, dup := s.chains[c.ID]; dup {
			return nil, fmt.Errorf("interop: chain %s to follow listed twice", c.ID.Dec())
		}
		idx, err := logindex.Open(cfg.DB, &c.ID, cfg.Index)
		if err != nil {
			return nil, fmt.Errorf("interop: index of chain %s: %w", c.ID.Dec(), err)
		}
		p := "interop/index/" + c.ID.Dec() + "/"
		s.chains[c.ID] = &chain{id: c.ID, index: idx, url: c.RPC,
			sizeBlocks: metrics.GetOrRegisterGauge(p+"blocks", nil),
			sizeLogs:   metrics.GetOrRegisterGauge(p+"logs", nil),
			sizeBytes:  metrics.GetOrRegisterGauge(p+"bytes", nil)}
		s.order = append(s.order, c.ID)
		indexes[c.ID] = idx
	}
	s.checker = checker.New(cfg.DepSet, indexes, cfg.Checker)
	if err := s.newSafety(); err != nil {
		return nil, err
	}
	if cfg.Failsafe {
		s.checker.SetFailsafe(true, "enabled at start-up (--interop.failsafe)")
	}
	return s, nil
}

// Checker is the checker every caller of this node shares.
func (s *Service) Checker() *checker.Checker { return s.checker }

// Index is the log index of chain id.
func (s *Service) Index(id *uint256.Int) (*logindex.ChainIndex, bool) {
	c, ok := s.chains[*id]
	if !ok {
		return nil, false
	}
	return c.index, true
}

// SetLocalSource makes chain id followed in process from src (a chain this process runs).
// Call it before Start.
func (s *Service) SetLocalSource(id *uint256.Int, src follower.Source) error {
	c, ok := s.chains[*id]
	if !ok {
		return fmt.Errorf("interop: local chain %s is not in the dependency set", id.Dec())
	}
	c.source, c.local = src, true
	return nil
}

// SubscribeChanges sends every index change of every chain (an appended block, a rewind).
func (s *Service) SubscribeChanges(ch chan<- follower.Event) event.Subscription {
	return s.changes.Subscribe(ch)
}

// Start starts a follower per chain: local chains from their sources, the others over
// the JSON-RPC endpoint of the dependency set.
func (s *Service) Start() error {
	if s.started {
		return errors.New("interop: already started")
	}
	s.safety.Start() // woken by relay on every index change
	for _, id := range s.order {
		c := s.chains[id]
		dc, _ := s.cfg.DepSet.Chain(&c.id)
		cfg := follower.Config{ChainID: &c.id, BlockTime: time.Duration(dc.BlockTime) * time.Second, OnFatal: s.onFatal(&c.id)}
		if c.local {
			cfg.FetchAhead = 1
		} else {
			if c.url == "" {
				s.Stop()
				return fmt.Errorf("interop: chain %s is neither run here nor given a JSON-RPC endpoint (--interop.rpc)", c.id.Dec())
			}
			src, err := follower.NewRPCSource(c.url, follower.WithChainID(&c.id))
			if err != nil {
				s.Stop()
				return fmt.Errorf("interop: chain %s: %w", c.id.Dec(), err)
			}
			c.source = src
			cfg.StartBlock, cfg.StartTime = s.cfg.StartBlock, s.cfg.StartTime
			s.wg.Add(1)
			go s.pollLabels(c, src, cfg.BlockTime)
		}
		f, err := follower.New(cfg, c.source, c.index)
		if err != nil {
			s.Stop()
			return err
		}
		c.follower = f
		events := make(chan follower.Event, 64)
		sub := f.Subscribe(events)
		s.subs = append(s.subs, sub)
		s.wg.Add(1)
		go s.relay(c, events, sub)
		if err := f.Start(); err != nil {
			s.Stop()
			return err
		}
		log.Info("Following chain for interop", "chain", c.id.Dec(), "source", c.describe())
	}
	s.started = true
	return nil
}

// describe names the chain's source in public output (interop_status, logs): the URL may
// carry credentials, so only its scheme and host.
func (c *chain) describe() string {
	if c.local {
		return "local"
	}
	return follower.RedactURL(c.url)
}

// relay forwards a follower's events to the service's subscribers and verifies the
// executing messages of local chains' new blocks.
func (s *Service) relay(c *chain, events chan follower.Event, sub event.Subscription) {
	defer s.wg.Done()
	for {
		select {
		case ev := <-events:
			if c.local && ev.Kind == follower.Appended {
				s.verify(c, ev.Ref)
			}
			stats := c.index.Stats()
			c.sizeBlocks.Update(int64(stats.Blocks))
			c.sizeLogs.Update(int64(stats.Logs))
			c.sizeBytes.Update(int64(stats.Bytes))
			s.safety.Notify() // never blocks: the engine resolves on its own goroutine
			s.changes.Send(ev)
		case <-sub.Err():
			return
		case <-s.quit:
			return
		}
	}
}

// verify checks that every executing message a local block emits is backed by the index.
// The verdict is what the safety engine will act on; today it is logged and counted.
func (s *Service) verify(c *chain, ref logindex.BlockRef) {
	msgs, err := c.index.ExecMsgs(ref.Number)
	if err != nil || len(msgs) == 0 {
		return
	}
	v := s.checker.VerifyBlockExecMsgs(&c.id, &logindex.Block{BlockRef: ref, ExecMsgs: msgs})
	switch v.Status {
	case checker.Valid:
		verifiedValid.Inc(1)
	case checker.Invalid:
		verifiedInvalid.Inc(1)
		log.Warn("Block emits an invalid executing message", "chain", c.id.Dec(), "number", ref.Number, "hash", ref.Hash, "err", v.Err)
	default:
		verifiedUnknown.Inc(1)
		log.Debug("Block's executing messages not yet verifiable", "chain", c.id.Dec(), "number", ref.Number, "err", v.Err)
	}
}

func (s *Service) onFatal(id *uint256.Int) func(error) {
	chainID := id.Dec()
	return func(err error) {
		s.checker.TripFailsafe(fmt.Sprintf("follower of chain %s stopped: %v", chainID, err))
	}
}

// Stop stops every follower.
func (s *Service) Stop() {
	select {
	case <-s.quit:
		return
	default:
		close(s.quit)
	}
	for _, id := range s.order {
		if f := s.chains[id].follower; f != nil {
			f.Stop()
		}
	}
	for _, sub := range s.subs {
		sub.Unsubscribe()
	}
	s.wg.Wait()
	s.safety.Stop()
	for _, id := range s.order {
		if src, ok := s.chains[id].source.(interface{ Close() }); ok {
			src.Close()
		}
	}
}

// InteropStatus implements rpcapi.Status.
func (s *Service) InteropStatus() []rpcapi.ChainStatus {
	out := make([]rpcapi.ChainStatus, 0, len(s.order))
	for _, id := range s.order {
		c := s.chains[id]
		st := rpcapi.ChainStatus{ChainID: (*hexutil.Big)(c.id.ToBig()), Source: c.describe(), State: "not started"}
		if c.follower != nil {
			fs := c.follower.Status()
			st.State = fs.State.String()
			if fs.Err != nil {
				st.Error = fs.Err.Error()
			}
			if fs.SourceHead != 0 {
				h := hexutil.Uint64(fs.SourceHead)
				st.SourceHead = &h
			}
		}
		stats := c.index.Stats()
		if head, ok := c.index.Head(); ok {
			st.LocalUnsafe = refJSON(head)
			st.Oldest = refJSON(stats.First)
		}
		st.Blocks, st.Logs, st.Bytes = hexutil.Uint64(stats.Blocks), hexutil.Uint64(stats.Logs), hexutil.Uint64(stats.Bytes)
		st.DependencySet, st.TransitiveSet = bigs(s.cluster.Direct(&id)), bigs(s.cluster.Transitive(&id))
		out = append(out, st)
	}
	return out
}

func bigs(ids []uint256.Int) []*hexutil.Big {
	out := make([]*hexutil.Big, len(ids))
	for i := range ids {
		out[i] = (*hexutil.Big)(ids[i].ToBig())
	}
	return out
}

func refJSON(r logindex.BlockRef) *rpcapi.BlockRef {
	return &rpcapi.BlockRef{Number: hexutil.Uint64(r.Number), Hash: r.Hash, ParentHash: r.ParentHash, Timestamp: hexutil.Uint64(r.Timestamp)}
}
