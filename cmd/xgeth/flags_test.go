package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad command lines are refused with an error naming the flag, before anything starts.
func TestDevnetFlagErrors(t *testing.T) {
	// A command line wrongly accepted runs its devnet and returns rather than blocking.
	defer func(w func()) { waitForStop = w }(waitForStop)
	waitForStop = func() {}
	dir := t.TempDir()
	badSet := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badSet, []byte(`{"dependencies": {"901": {}, "0901": {}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	noRPC := filepath.Join(dir, "norpc.json")
	if err := os.WriteFile(noRPC, []byte(`{"dependencies": {"901": {}, "777": {}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"--devnet.chains", "0"}, "--devnet.chains"},
		{[]string{"--devnet.chains", "65"}, "--devnet.chains"},
		{[]string{"--devnet.chainids", "901,x"}, "--devnet.chainids"},
		{[]string{"--devnet.chainids", "0"}, "--devnet.chainids"},
		{[]string{"--interop.rpc", "901"}, "--interop.rpc"},
		{[]string{"--interop.rpc", "x=ws://127.0.0.1:1"}, "--interop.rpc"},
		{[]string{"--interop.rpc", "901="}, "--interop.rpc"},
		{[]string{"--interop.minsafety", "very-safe"}, "--interop.minsafety"},
		// Levels the checker refuses until the safety engine runs: they would refuse every
		// interop transaction.
		{[]string{"--interop.minsafety", "local-safe"}, "--interop.minsafety"},
		{[]string{"--interop.minsafety", "safe"}, "--interop.minsafety"},
		{[]string{"--interop.minsafety", "finalized"}, "--interop.minsafety"},
		{[]string{"--interop.minsafety", "invalid"}, "--interop.minsafety"},
		{[]string{"--interop.maxentries", "2"}, "--interop.maxentries"},
		{[]string{"--interop.depset", filepath.Join(dir, "missing.json")}, "--interop.depset"},
		{[]string{"--interop.depset", badSet}, "--interop.depset"},
		{[]string{"--interop.depset", noRPC}, "777"},
	}
	for _, tc := range cases {
		args := append([]string{"xgeth", "--verbosity", "0", "devnet", "--devnet.port", "0"}, tc.args...)
		err := newApp().Run(args)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: error %v, want one naming %q", tc.args, err, tc.says)
		}
	}
}
