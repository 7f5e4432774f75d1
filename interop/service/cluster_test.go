package service

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/safety"
)

// A per-chain set where this node reaches 901 and 902 but not 903 (902 accepts 903, 901
// does not): only 901 and 902 are indexed and followed, interop_safety names 903 as
// unfollowed for both, and the checker applies each chain's own set.
func TestServiceFollowsReachableTransitiveSet(t *testing.T) {
	a, b := newRemoteChain(901, 3), newRemoteChain(902, 3)
	doc := `{"dependencies":{
	 "901":{"activationTime":0,"blockTime":2,"rpc":"` + serve(t, a).URL + `","dependencySet":["901","902"]},
	 "902":{"activationTime":0,"blockTime":2,"rpc":"` + serve(t, b).URL + `","dependencySet":["902","901","903"]},
	 "903":{"activationTime":0,"blockTime":2,"dependencySet":["903","902"]}}}`
	set, err := depset.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	follow, unseen := set.Reach(uint256.NewInt(901))
	if len(follow) != 2 || len(unseen) != 1 || unseen[0].Uint64() != 903 {
		t.Fatalf("Reach(901) = %v, %v", follow, unseen)
	}
	s, err := New(Config{DepSet: set, DB: memorydb.New(), Follow: follow})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	if _, ok := s.Index(uint256.NewInt(903)); ok {
		t.Fatal("an unreachable chain was given an index")
	}
	waitFor(t, "both chains indexed", func() bool {
		return statusOf(t, s, 901).LocalUnsafe != nil && statusOf(t, s, 902).LocalUnsafe != nil
	})
	status := s.InteropStatus()
	if len(status) != 2 {
		t.Fatalf("status lists %d chains, want the 2 followed", len(status))
	}
	// interop_status gives each followed chain's own set and transitive set.
	nums := func(bs []*hexutil.Big) (out []uint64) {
		for _, b := range bs {
			out = append(out, b.ToInt().Uint64())
		}
		return out
	}
	if d, tr := nums(status[0].DependencySet), nums(status[0].TransitiveSet); !slices.Equal(d, []uint64{902}) || !slices.Equal(tr, []uint64{902, 903}) {
		t.Fatalf("901: dependency set %v, transitive set %v", d, tr)
	}
	if d, tr := nums(status[1].DependencySet), nums(status[1].TransitiveSet); !slices.Equal(d, []uint64{901, 903}) || !slices.Equal(tr, []uint64{901, 903}) {
		t.Fatalf("902: dependency set %v, transitive set %v", d, tr)
	}
	for _, cs := range s.InteropSafety() {
		var got []uint64
		for _, u := range cs.Unfollowed {
			got = append(got, u.ToInt().Uint64())
		}
		if !slices.Equal(got, []uint64{903}) {
			t.Fatalf("chain %s: unfollowed %v, want [903]", cs.ChainID, got)
		}
	}

	// The checker: 903 → 901 is outside 901's set (definitive); 903 → 902 is in 902's set,
	// but this node cannot see 903 (no verdict, never invalid).
	msg := message.Message{Identifier: message.Identifier{Origin: common.Address{1}, BlockNumber: 1, Timestamp: 2, ChainID: *uint256.NewInt(903)}, MsgHash: common.Hash{2}}
	keys := accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
	err = s.Checker().CheckAccessList(context.Background(), keys, safety.Unsafe, checkerDesc(901, 10))
	if err == nil || !strings.Contains(err.Error(), "chain 903 is not in the dependency set of chain 901") {
		t.Fatalf("903 → 901: %v", err)
	}
	err = s.Checker().CheckAccessList(context.Background(), keys, safety.Unsafe, checkerDesc(902, 10))
	if err == nil || !strings.Contains(err.Error(), "this node does not follow chain 903") {
		t.Fatalf("903 → 902: %v", err)
	}
}

func checkerDesc(chain, timestamp uint64) checker.ExecutingDescriptor {
	return checker.ExecutingDescriptor{ChainID: *uint256.NewInt(chain), Timestamp: timestamp}
}
