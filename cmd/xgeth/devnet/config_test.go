package devnet_test

import (
	"strings"
	"testing"

	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/safety"
)

// Configurations devnet.Start must refuse before anything starts, each with an error naming
// what is wrong.
func TestStartConfigErrors(t *testing.T) {
	file := func(deps string) *depset.Set {
		set, err := depset.Parse([]byte(`{"dependencies": {` + deps + `}}`))
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	cases := []struct {
		name   string
		modify func(*devnet.Config)
		says   string
	}{
		{"invalid minimum", func(c *devnet.Config) { c.MinSafety = safety.Invalid }, "MinSafety: invalid"},
		// The default devnet runs 901 and 902 with 2-second blocks from genesis (now).
		{"own chain's block time", func(c *devnet.Config) {
			c.DepSet = file(`"901": {"activationTime": 0, "blockTime": 1}, "902": {}`)
		}, "dependency set: chain 901: blockTime 1 differs"},
		{"own chain's activation", func(c *devnet.Config) {
			c.DepSet = file(`"901": {}, "902": {"activationTime": 99999999999, "blockTime": 2}`)
		}, "dependency set: chain 902: activationTime 99999999999 is after"},
		{"own chain not listed", func(c *devnet.Config) { c.DepSet = file(`"901": {}`) }, "dependency set: chain 902, which this devnet runs, is not listed"},
		{"remote chain not listed", func(c *devnet.Config) {
			c.DepSet = file(`"901": {}, "902": {}`)
			c.Remote = map[uint64]string{903: "ws://127.0.0.1:1"}
		}, "dependency set: remote chain 903"},
		{"remote chain without endpoint", func(c *devnet.Config) {
			c.DepSet = file(`"901": {}, "902": {}, "903": {"activationTime": 5, "blockTime": 1}`)
		}, "dependency set: chain 903 is not run by this devnet and has no \"rpc\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := devnet.DefaultConfig()
			cfg.BasePort = 0
			tc.modify(&cfg)
			d, err := devnet.Start(cfg)
			if err == nil {
				d.Close()
				t.Fatalf("started; want an error naming %q", tc.says)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %q, want one naming %q", err, tc.says)
			}
		})
	}
}
