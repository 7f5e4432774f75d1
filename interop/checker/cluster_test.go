package checker

import (
	"errors"
	"testing"

	"github.com/xgeth/xgeth/interop/cluster"
)

// testCluster gives every chain of the test world its own set: B (902) accepts only itself,
// C (903) accepts A and B, A (901) accepts B.
func testCluster(t *testing.T, extra ...string) *cluster.Graph {
	t.Helper()
	spec := "901:902,902,903:901+902," + chainE.Dec()
	for _, x := range extra {
		spec += "," + x
	}
	g, err := cluster.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The executing chain's own set applies: a message from a chain outside it is refused as
// from an unknown chain, before any lookup, although this node indexes that chain.
func TestCheckAccessListOwnSet(t *testing.T) {
	g := testCluster(t, chainBig.Dec())
	noBig := testCluster(t)
	runCheckCases(t, []checkCase{
		{
			name: "B does not accept A", entries: enc(valid20), cfg: Config{Cluster: g},
			desc: ExecutingDescriptor{ChainID: chainB, Timestamp: nextTS},
			want: ErrUnknownInitiatingChain, says: "chain 901 is not in the dependency set of chain 902",
		},
		{
			name: "C accepts A", entries: enc(valid20), cfg: Config{Cluster: g}, lookups: true,
			desc: ExecutingDescriptor{ChainID: chainC, Timestamp: nextTS},
		},
		{
			name: "A accepts its own", entries: enc(valid20), cfg: Config{Cluster: g}, lookups: true,
			desc: ExecutingDescriptor{ChainID: chainA, Timestamp: nextTS},
		},
		{
			name: "an executing chain of the set but outside the cluster accepts nothing", entries: enc(valid20), cfg: Config{Cluster: noBig},
			desc: ExecutingDescriptor{ChainID: chainBig, Timestamp: nextTS},
			want: ErrUnknownInitiatingChain, says: "dependency set of chain",
		},
		{
			name: "without a cluster B accepts A (full mesh)", entries: enc(valid20), lookups: true,
			desc: ExecutingDescriptor{ChainID: chainB, Timestamp: nextTS},
		},
	})
}

// A block of B that executes A's message is invalid under a cluster where B's set lacks A.
func TestVerifyBlockOwnSet(t *testing.T) {
	good := msgAt(chainA, 20, 1)
	w := newWorld(t, Config{Cluster: testCluster(t)})
	v := w.checker.VerifyBlockExecMsgs(&chainB, execBlock(30, good))
	if v.Status != Invalid || v.Msg != 0 || !errors.Is(v.Err, ErrUnknownInitiatingChain) {
		t.Fatalf("verdict %v (msg %d, err %v), want Invalid for message 0 as from an unknown chain", v.Status, v.Msg, v.Err)
	}
	full := newWorld(t, Config{})
	if v := full.checker.VerifyBlockExecMsgs(&chainB, execBlock(30, good)); v.Status != Valid {
		t.Fatalf("without a cluster: %v (%v)", v.Status, v.Err)
	}
}
