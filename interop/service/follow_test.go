package service

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/internal/faultstore"
	"github.com/xgeth/xgeth/interop/rpcapi"
)

// waitFor polls cond until it holds. The deadline only bounds a broken test; nothing is
// asserted about how long it takes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// remoteChain is a chain of empty blocks served over JSON-RPC as a node run elsewhere
// serves it (eth_chainId, eth_getBlockByNumber/ByHash, eth_getBlockReceipts).
type remoteChain struct {
	id      uint64
	mu      sync.Mutex
	headers []*types.Header
}

// newRemoteChain returns chain id with blocks 0..head.
func newRemoteChain(id, head uint64) *remoteChain {
	c := &remoteChain{id: id}
	for range head + 1 {
		c.add(nil)
	}
	return c
}

// add appends a block; mutate, when set, changes its header first.
func (c *remoteChain) add(mutate func(h *types.Header)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := uint64(len(c.headers))
	h := &types.Header{
		UncleHash:   types.EmptyUncleHash,
		TxHash:      types.EmptyTxsHash,
		ReceiptHash: types.EmptyReceiptsHash,
		Difficulty:  new(big.Int),
		Number:      new(big.Int).SetUint64(n),
		GasLimit:    30_000_000,
		Time:        1_000_000 + 2*n,
		BaseFee:     big.NewInt(7),
		Extra:       binary.BigEndian.AppendUint64(nil, c.id),
	}
	if n > 0 {
		h.ParentHash = c.headers[n-1].Hash()
	}
	if mutate != nil {
		mutate(h)
	}
	c.headers = append(c.headers, h)
}

func (c *remoteChain) header(n uint64) *types.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.headers[n]
}

type remoteEth struct{ c *remoteChain }

func (a *remoteEth) ChainId() hexutil.Uint64 { return hexutil.Uint64(a.c.id) }

func blockJSON(h *types.Header) (map[string]any, error) {
	if h == nil {
		return nil, nil
	}
	enc, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	m["transactions"] = []common.Hash{}
	return m, nil
}

func (a *remoteEth) GetBlockByNumber(ctx context.Context, number rpc.BlockNumber, full bool) (map[string]any, error) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	switch {
	case number < 0:
		return blockJSON(a.c.headers[len(a.c.headers)-1])
	case int(number) >= len(a.c.headers):
		return nil, nil
	}
	return blockJSON(a.c.headers[number])
}

func (a *remoteEth) byHash(hash common.Hash) *types.Header {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	for _, h := range a.c.headers {
		if h.Hash() == hash {
			return h
		}
	}
	return nil
}

func (a *remoteEth) GetBlockByHash(ctx context.Context, hash common.Hash, full bool) (map[string]any, error) {
	return blockJSON(a.byHash(hash))
}

func (a *remoteEth) GetBlockReceipts(ctx context.Context, bnh rpc.BlockNumberOrHash) ([]*types.Receipt, error) {
	hash, ok := bnh.Hash()
	if !ok {
		return nil, errors.New("receipts by hash only")
	}
	if a.byHash(hash) == nil {
		return nil, nil
	}
	return []*types.Receipt{}, nil
}

// serve serves c over HTTP on 127.0.0.1 until the test ends.
func serve(t *testing.T, c *remoteChain) *httptest.Server {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", &remoteEth{c: c}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Stop()
	})
	return hs
}

func startService(t *testing.T, db ethdb.KeyValueStore, chains ...depset.Chain) *Service {
	t.Helper()
	s, err := New(Config{DepSet: testSet(t, chains...), DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func statusOf(t *testing.T, s *Service, id uint64) rpcapi.ChainStatus {
	t.Helper()
	for _, st := range s.InteropStatus() {
		if st.ChainID.ToInt().Uint64() == id {
			return st
		}
	}
	t.Fatalf("no status of chain %d", id)
	return rpcapi.ChainStatus{}
}

// noFailsafe fails the test at once if the failsafe tripped.
func noFailsafe(t *testing.T, s *Service) {
	t.Helper()
	if s.Checker().Failsafe() {
		reason, _, _ := s.Checker().FailsafeReason()
		t.Fatalf("failsafe tripped: %s", reason)
	}
}

// TestRemoteInvalidBlockDoesNotTripFailsafe: a remote serves a block the index refuses (its
// timestamp is before its parent's). That chain shows the error and keeps being retried;
// the failsafe stays off and the other chain keeps being followed.
func TestRemoteInvalidBlockDoesNotTripFailsafe(t *testing.T) {
	bad := newRemoteChain(901, 3)
	parentTime := bad.header(3).Time
	bad.add(func(h *types.Header) { h.Time = parentTime - 1 })
	good := newRemoteChain(902, 5)
	s := startService(t, memorydb.New(),
		depset.Chain{ID: *uint256.NewInt(901), BlockTime: 2, RPC: serve(t, bad).URL},
		depset.Chain{ID: *uint256.NewInt(902), BlockTime: 2, RPC: serve(t, good).URL},
	)
	waitFor(t, "chain 901 in error, chain 902 indexed", func() bool {
		noFailsafe(t, s)
		b, g := statusOf(t, s, 901), statusOf(t, s, 902)
		if b.State == "failed" {
			t.Fatalf("chain 901 failed: %s", b.Error)
		}
		return b.State == "error" && strings.Contains(b.Error, "invalid block") &&
			g.LocalUnsafe != nil && g.LocalUnsafe.Number == 5 && (g.State == "live" || g.State == "stalled")
	})
	b := statusOf(t, s, 901)
	t.Logf("chain 901: %s", b.Error)
	if b.LocalUnsafe == nil || b.LocalUnsafe.Number != 3 {
		t.Fatalf("chain 901 indexed head %+v, want block 3", b.LocalUnsafe)
	}

	// Still retried: once the remote serves a valid chain, it is followed again.
	bad.mu.Lock()
	bad.headers = bad.headers[:4]
	bad.mu.Unlock()
	bad.add(nil)
	waitFor(t, "chain 901 past the bad block", func() bool {
		noFailsafe(t, s)
		st := statusOf(t, s, 901)
		return st.LocalUnsafe != nil && st.LocalUnsafe.Number == 4 && st.Error == ""
	})
}

// TestStoreFailureTripsFailsafe: a failure of our own store is what trips the failsafe.
func TestStoreFailureTripsFailsafe(t *testing.T) {
	c := newRemoteChain(901, 3)
	db := faultstore.New()
	s := startService(t, db, depset.Chain{ID: *uint256.NewInt(901), BlockTime: 2, RPC: serve(t, c).URL})
	waitFor(t, "chain 901 indexed", func() bool {
		noFailsafe(t, s)
		st := statusOf(t, s, 901)
		return st.LocalUnsafe != nil && st.LocalUnsafe.Number == 3
	})
	db.Fail.Store(true)
	c.add(nil)
	waitFor(t, "the failsafe", func() bool { return s.Checker().Failsafe() })
	reason, _, _ := s.Checker().FailsafeReason()
	t.Logf("failsafe: %s", reason)
	waitFor(t, "chain 901 failed", func() bool {
		st := statusOf(t, s, 901)
		return st.State == "failed" && strings.Contains(st.Error, "disk full")
	})
}
