package devnet_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/message"
)

// A remote chain is judged with the activation time and block time the dependency set file
// gives it, not with its genesis and this devnet's block time, and the file's expiry window
// applies. Chain 901 (1-second blocks) is activated in the file one second before a message
// m2 and followed by a devnet whose own chain, 902, has 2-second blocks.
func TestDepSetTimingOfRemoteChain(t *testing.T) {
	t.Parallel()
	cfgA := devnet.DefaultConfig()
	cfgA.ChainIDs = []uint64{901}
	a, ctx, clients := startDevnet(t, cfgA, httpURL)
	src := clients[0]
	emitter := deployEmitter(ctx, t, src, a.Accounts[0])
	m1, _ := emit(ctx, t, src, a.Accounts[0], emitter, 901, "before activation")
	m2, _ := emit(ctx, t, src, a.Accounts[0], emitter, 901, "first after activation")
	if m2.Identifier.Timestamp <= m1.Identifier.Timestamp {
		t.Fatal("both messages in one block")
	}

	const window = 1000
	activation := m2.Identifier.Timestamp - 1 // m2 is in the first block interop allows
	set, err := depset.Parse(fmt.Appendf(nil, `{
		"dependencies": {
			"901": {"activationTime": %d, "blockTime": 1, "rpc": %q},
			"902": {"activationTime": 0, "blockTime": 2}
		},
		"overrideMessageExpiryWindow": %d
	}`, activation, a.Chains[0].WSEndpoint(), window))
	if err != nil {
		t.Fatal(err)
	}
	cfgB := devnet.DefaultConfig()
	cfgB.ChainIDs, cfgB.BasePort, cfgB.BlockTime, cfgB.DepSet = []uint64{902}, 0, 2*time.Second, set
	b, err := devnet.Start(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	waitIndexed(ctx, t, b.Chains[0], 901, m2.Identifier.BlockNumber)
	rpcB, err := rpc.DialContext(ctx, b.Chains[0].HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer rpcB.Close()
	check := func(msg message.Message, execTS uint64) error {
		entries := accesslist.Encode([]accesslist.Access{accesslist.FromMessage(&msg.Identifier, msg.MsgHash)})
		desc := map[string]string{"chainID": "902", "timestamp": hexutil.EncodeUint64(execTS)}
		return rpcB.CallContext(ctx, nil, "interop_checkAccessList", entries, "cross-unsafe", desc)
	}
	refused := func(name string, err error, says string) {
		t.Helper()
		var coded rpc.Error
		if err == nil || !errors.As(err, &coded) || coded.ErrorCode() != -320600 || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: %v, want code -320600 saying %q", name, err, says)
		}
	}
	// Executing timestamps sit well after 902's activation (its genesis, after m2).
	refused("m1, before activation + 1 s", check(m1, m1.Identifier.Timestamp+window), "initiating message before interop activation")
	if err := check(m2, m2.Identifier.Timestamp+window); err != nil {
		t.Errorf("m2, at activation + 1 s, at the end of the window: %v", err)
	}
	refused("m2, one second past the window", check(m2, m2.Identifier.Timestamp+window+1), "message expired")
	// After activation the index judges: a checksum that does not match is refused as such.
	wrong := m2
	wrong.MsgHash = common.Hash{1}
	refused("m2 with another payload", check(wrong, m2.Identifier.Timestamp+window), "checksum")
}
