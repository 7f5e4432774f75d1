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
	file := func(name, deps string) string {
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, []byte(`{"dependencies": {`+deps+`}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	badSet := file("bad", `"901": {}, "0901": {}`)
	noRPC := file("norpc", `"901": {}, "902": {}, "777": {}`)
	// The devnet runs 901 and 902 with 2-second blocks, interop active from genesis (now).
	localBlockTime := file("blocktime", `"901": {"activationTime": 0, "blockTime": 3}, "902": {}`)
	localActivation := file("activation", `"901": {}, "902": {"activationTime": 99999999999, "blockTime": 2}`)
	localMissing := file("missing902", `"901": {}, "777": {"rpc": "ws://127.0.0.1:1"}`)
	bigID := file("bigid", `"901": {}, "902": {}, "18446744073709551616": {"rpc": "ws://127.0.0.1:1"}`)
	both := file("both", `"901": {}, "902": {}`)
	depsSelfless := file("selfless", `"901": {"dependencySet": ["902"]}, "902": {"dependencySet": ["902", "901"]}`)
	depsText := filepath.Join(dir, "deps.txt")
	if err := os.WriteFile(depsText, []byte("901:902 # A\n902:9o1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"--devnet.chains", "0"}, "--devnet.chains"},
		{[]string{"--devnet.deps", "901:902"}, "--devnet.deps: cluster: chain 901 depends on chain 902, which is not in the cluster"},
		{[]string{"--devnet.deps", "901,901"}, "--devnet.deps: cluster: chain 901 has two entries"},
		{[]string{"--devnet.deps", "901:x"}, "--devnet.deps: cluster: entry \"901:x\": dependency: chain ID x is not a decimal number"},
		{[]string{"--devnet.deps", "901:902,902:903,903", "--devnet.chains", "2"}, "--devnet.deps: devnet: cluster: chain 903 is not run by this devnet"},
		{[]string{"--devnet.deps", "901", "--devnet.chainids", "901,902"}, "--devnet.deps: devnet: cluster: chain 902 has no dependency set"},
		{[]string{"--devnet.deps", "18446744073709551616"}, "--devnet.deps: chain 18446744073709551616: the devnet runs chain IDs below 2^64 only"},
		{[]string{"--devnet.deps", depsSelfless}, "--devnet.deps: " + depsSelfless + ": depset: invalid dependency set: chain 901 is missing from its own dependency set"},
		{[]string{"--devnet.deps", depsText}, "--devnet.deps: " + depsText + ": cluster: entry \"902:9o1\""},
		{[]string{"--devnet.chains", "65"}, "--devnet.chains"},
		{[]string{"--devnet.safelagof", "905=10"}, "--devnet.safelagof: chain 905 is not run by this devnet"},
		{[]string{"--devnet.safelagof", "902"}, "--devnet.safelagof: want <chainID>=<blocks>"},
		{[]string{"--devnet.safelagof", "902=-1"}, "--devnet.safelagof: want <chainID>=<blocks>"},
		{[]string{"--devnet.chainids", "901,x"}, "--devnet.chainids"},
		{[]string{"--devnet.chainids", "0"}, "--devnet.chainids"},
		{[]string{"--interop.rpc", "901"}, "--interop.rpc"},
		{[]string{"--interop.rpc", "x=ws://127.0.0.1:1"}, "--interop.rpc"},
		{[]string{"--interop.rpc", "901="}, "--interop.rpc"},
		{[]string{"--interop.minsafety", "very-safe"}, "--interop.minsafety"},
		// Levels the checker refuses until the safety engine runs: they would refuse every
		// interop transaction.
		{[]string{"--interop.minsafety", "invalid"}, "--interop.minsafety"},
		{[]string{"--interop.maxentries", "2"}, "--interop.maxentries"},
		{[]string{"--interop.depset", filepath.Join(dir, "missing.json")}, "--interop.depset"},
		{[]string{"--interop.depset", badSet}, "--interop.depset"},
		{[]string{"--interop.depset", noRPC}, "--interop.depset: devnet: dependency set: chain 777 "},
		{[]string{"--interop.depset", localBlockTime}, "--interop.depset: devnet: dependency set: chain 901: blockTime 3"},
		{[]string{"--interop.depset", localActivation}, "--interop.depset: devnet: dependency set: chain 902: activationTime 99999999999"},
		{[]string{"--interop.depset", localMissing}, "--interop.depset: devnet: dependency set: chain 902, which this devnet runs, is not listed"},
		{[]string{"--interop.depset", bigID}, "--interop.depset: devnet: dependency set: chain 18446744073709551616"},
		{[]string{"--interop.depset", both, "--interop.rpc", "777=ws://127.0.0.1:1"}, "remote chain 777 (--interop.rpc) is not listed"},
		{[]string{"--interop.rpc", "901=ws://127.0.0.1:1"}, "--interop.rpc: devnet: dependency set: chain 901 is both run here and remote"},
	}
	for _, tc := range cases {
		args := append([]string{"xgeth", "--verbosity", "0", "devnet", "--devnet.port", "0"}, tc.args...)
		err := newApp().Run(args)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: error %v, want one naming %q", tc.args, err, tc.says)
		}
	}
}

// --devnet.deps takes a spec, a text file of one (new lines and # comments allowed) or a
// dependency-set JSON file in the per-chain form.
func TestDevnetDepsFile(t *testing.T) {
	dir := t.TempDir()
	const want = "901:902+903+904+905,902:901+903,903:901+902,904:901+905,905:901+904,906:907,907:906"
	text := filepath.Join(dir, "seed.txt")
	if err := os.WriteFile(text, []byte("# the seed's interop cluster\n901:902+903+904+905\n902:901+903, 903:901+902\n904:901+905\n905:901+904\n906:907\n907:906\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(js, []byte(`{"dependencies":{
		"901":{"dependencySet":["901","902","903","904","905"]}, "902":{"dependencySet":["902","901","903"]},
		"903":{"dependencySet":["903","901","902"]}, "904":{"dependencySet":["904","901","905"]},
		"905":{"dependencySet":["905","901","904"]}, "906":{"dependencySet":["906","907"]},
		"907":{"dependencySet":["907","906"]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{want, text, js} {
		g, err := devnetDeps(v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if g.String() != want {
			t.Fatalf("%s: read as %s", v, g)
		}
	}
}
