package devnet_test

import (
	"strings"
	"testing"

	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/safety"
)

// Configurations devnet.Start must refuse before anything starts, each with an error naming
// what is wrong.
func TestStartConfigErrors(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*devnet.Config)
		says   string
	}{
		{"local-safe minimum", func(c *devnet.Config) { c.MinSafety = safety.LocalSafe }, "MinSafety: local-safe"},
		{"safe minimum", func(c *devnet.Config) { c.MinSafety = safety.Safe }, "MinSafety: safe"},
		{"finalized minimum", func(c *devnet.Config) { c.MinSafety = safety.Finalized }, "MinSafety: finalized"},
		{"invalid minimum", func(c *devnet.Config) { c.MinSafety = safety.Invalid }, "MinSafety: invalid"},
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
