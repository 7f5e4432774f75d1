package devnet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/cluster"
	xparams "github.com/xgeth/xgeth/params"
)

// A devnet whose chains have their own dependency sets: 901 accepts 902 and 903, which
// accept only 901. A message 902 → 901 is relayed; one 903 → 902 is not (902 does not
// accept 903): the auto-relay says to go through 901, and a relay built by hand is refused
// by 902's pool as from a chain outside its set.
func TestClusterOwnSetsOverRPC(t *testing.T) {
	t.Parallel()
	g, err := cluster.ParseSpec("901:902+903,902:901,903:901")
	if err != nil {
		t.Fatal(err)
	}
	d, ctx, cs, logs := startRelayDevnet(t, func(cfg *devnet.Config) {
		cfg.ChainIDs, cfg.Cluster = []uint64{901, 902, 903}, g
	})
	user := d.Accounts[0]

	// interop_devnetConfig tells an app each chain's set and transitive set.
	var dc devnet.DevnetConfig
	cl := mustDial(ctx, t, d.Chains[1].HTTPEndpoint())
	defer cl.Close()
	if err := cl.CallContext(ctx, &dc, "interop_devnetConfig"); err != nil {
		t.Fatal(err)
	}
	if len(dc.Chains) != 3 || !slices.Equal(dc.Chains[1].DependencySet, []uint64{901}) || !slices.Equal(dc.Chains[1].TransitiveSet, []uint64{901, 903}) ||
		!slices.Equal(dc.Chains[0].DependencySet, []uint64{902, 903}) {
		t.Fatalf("devnet config sets: %+v", dc.Chains)
	}

	target := deployTarget(ctx, t, cs[0], user, true)
	ok, _ := sendL2ToL2(ctx, t, cs[1], 902, user, 901, target, []byte("902 to 901"))
	waitStatus(ctx, t, d.Chains[0].HTTPEndpoint(), ok, devnet.StateRelayed)

	far := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	h, sent := sendL2ToL2(ctx, t, cs[2], 903, user, 902, far, []byte("903 to 902"))
	logs.wait(ctx, t, "relay through chain 901")
	for {
		st := messageStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h)
		if st != nil && strings.Contains(st.Error, "not in chain 902's dependency set") {
			if st.Status == devnet.StateRelayed {
				t.Fatal("a message from outside 902's set was relayed")
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no refusal recorded for %s: %+v", h, st)
		case <-time.After(100 * time.Millisecond):
		}
	}
	relay := msgrRelayOf(ctx, t, cs[2], sent, 903)
	msgr := xparams.L2ToL2CrossDomainMessengerAddress
	tx := signTx(ctx, t, cs[1], user, &msgr, relay.input, relay.list, 500_000)
	err = cs[1].SendTransaction(ctx, tx)
	if err == nil || !strings.Contains(err.Error(), "chain 903 is not in the dependency set of chain 902") {
		t.Fatalf("902's pool took a relay from 903: %v", err)
	}
}
