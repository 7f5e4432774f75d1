package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	"github.com/xgeth/xgeth/interop/rpcerr"
)

// xgethProcess runs the test binary as xgeth with args (see TestMain).
func xgethProcess(args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "XGETH_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	return cmd, &stderr
}

// runXgeth runs xgeth args to completion and returns its output and error.
func runXgeth(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd, out := xgethProcess(args...)
	err := waitExit(t, cmd, out, fmt.Sprintf("xgeth %v", args))
	return out.String(), err
}

// waitExit starts cmd and waits up to two minutes for it to exit, returning its exit error;
// one that does not exit is killed and fails the test with its output.
func waitExit(t testing.TB, cmd *exec.Cmd, out fmt.Stringer, what string) error {
	t.Helper()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("%s did not exit; output:\n%s", what, out)
		return nil
	}
}

// opGenesis writes the genesis of an OP chain with every fork through Lagoon at genesis
// (the devnet's), optionally without Lagoon and with the xgeth extension, and returns its path.
func opGenesis(t *testing.T, dir string, chainID uint64, lagoon bool, extras string) string {
	t.Helper()
	g := devnet.Genesis(chainID, uint64(time.Now().Unix()), nil)
	if !lagoon {
		g.Config.LagoonTime = nil
	}
	data, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if extras != "" {
		var doc map[string]json.RawMessage
		json.Unmarshal(data, &doc)
		var cfg map[string]json.RawMessage
		json.Unmarshal(doc["config"], &cfg)
		cfg["xgeth"] = json.RawMessage(extras)
		doc["config"], _ = json.Marshal(cfg)
		data, _ = json.Marshal(doc)
	}
	path := filepath.Join(dir, "genesis.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// initDatadir is a datadir initialised with `xgeth init` as an operator does it.
func initDatadir(t *testing.T, chainID uint64, lagoon bool) (datadir, jwt string) {
	t.Helper()
	dir := t.TempDir()
	genesis := opGenesis(t, dir, chainID, lagoon, "")
	datadir = filepath.Join(dir, "data")
	if out, err := runXgeth(t, "init", "--datadir", datadir, "--state.scheme=hash", genesis); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	jwt = filepath.Join(dir, "jwt.txt")
	if err := os.WriteFile(jwt, []byte(strings.Repeat("ab", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	return datadir, jwt
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// operatorLine is op-geth's command line as the OP Stack recipe writes it, on free ports.
func operatorLine(datadir, jwt string) []string {
	return []string{"--datadir", datadir, "--networkid", "901", "--syncmode", "full", "--gcmode", "archive", "--state.scheme=hash",
		"--rollup.disabletxpoolgossip", "--nodiscover", "--maxpeers", "0", "--port", "0",
		"--http", "--http.addr", "127.0.0.1", "--http.port", "0", "--http.api", "eth,net,web3,debug,txpool,admin,miner,interop",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", "0", "--authrpc.jwtsecret", jwt}
}

// startNode runs xgeth with args until its IPC endpoint answers, and stops it (SIGTERM) at
// the end of the test, checking it exits cleanly.
func startNode(t *testing.T, datadir string, args ...string) *rpc.Client {
	t.Helper()
	cmd, out := xgethProcess(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("xgeth exited with %v after SIGTERM; output:\n%s", err, out)
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Errorf("xgeth did not stop on SIGTERM")
		}
	})
	ipc := filepath.Join(datadir, "geth.ipc")
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("xgeth exited (%v); output:\n%s", err, out)
		default:
		}
		if c, err := rpc.Dial(ipc); err == nil {
			var id hexutil.Big
			if err := c.Call(&id, "eth_chainId"); err == nil {
				t.Cleanup(c.Close)
				return c
			}
			c.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("xgeth's IPC endpoint did not answer; output:\n%s", out)
	return nil
}

// Command lines as operators write them for op-geth are accepted by xgeth, with and without
// interop configured.
func TestNodeAcceptsOperatorCommandLines(t *testing.T) {
	t.Run("op-geth line, interop scheduled, no dependency set", func(t *testing.T) {
		datadir, jwt := initDatadir(t, 901, true)
		c := startNode(t, datadir, operatorLine(datadir, jwt)...)
		var status []rpcapi.ChainStatus
		if err := c.Call(&status, "interop_status"); err != nil {
			t.Fatal(err)
		}
		if len(status) != 1 || status[0].ChainID.ToInt().Uint64() != 901 {
			t.Fatalf("interop_status %+v, want this chain alone", status)
		}
		// geth's console attaches over IPC.
		out, err := runXgeth(t, "attach", "--exec", "eth.chainId()", filepath.Join(datadir, "geth.ipc"))
		if err != nil || strings.TrimSpace(out) != "\"0x385\"" {
			t.Fatalf("attach --exec eth.chainId(): %v, output %q", err, out)
		}
	})
	t.Run("op-geth line, no interop fork", func(t *testing.T) {
		datadir, jwt := initDatadir(t, 901, false)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		httpPort := l.Addr().(*net.TCPAddr).Port
		l.Close()
		c := startNode(t, datadir, append(operatorLine(datadir, jwt), "--verbosity", "2", "--log.format", "json", "--cache", "256",
			"--ws", "--ws.addr", "127.0.0.1", "--ws.port", "0", "--ws.api", "eth,net", "--rollup.sequencerhttp", "http://127.0.0.1:1",
			"--txpool.globalslots", "1000", "--gpo.percentile", "50", "--db.engine", "pebble",
			"--http.port", strconv.Itoa(httpPort), "--graphql")...)
		var status []rpcapi.ChainStatus
		if err := c.Call(&status, "interop_status"); err == nil {
			t.Fatalf("interop_status served on a chain without interop: %+v", status)
		}
		// GraphQL's log queries go through geth's filter system.
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/graphql", httpPort), "application/json",
			strings.NewReader(`{"query":"{ logs(filter: {fromBlock: 0, toBlock: 0}) { index } block(number: 0) { number } }"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"logs":[]`) || strings.Contains(string(body), "errors") {
			t.Fatalf("graphql logs query: %s %s", resp.Status, body)
		}
	})
	t.Run("interop scheduled, --interop.disable", func(t *testing.T) {
		datadir, jwt := initDatadir(t, 901, true)
		c := startNode(t, datadir, append(operatorLine(datadir, jwt), "--interop.disable")...)
		var status []rpcapi.ChainStatus
		if err := c.Call(&status, "interop_status"); err == nil {
			t.Fatalf("interop_status served with --interop.disable: %+v", status)
		}
		if _, err := os.Stat(filepath.Join(datadir, "geth", interopDBName)); !os.IsNotExist(err) {
			t.Fatalf("log index database created with --interop.disable (%v)", err)
		}
	})
	t.Run("per-chain set with a chain reached only through another", func(t *testing.T) {
		// 901 accepts 902; 902 accepts 903, which has no endpoint: the node starts, follows
		// 901 and 902, and names 903 in interop_safety as unfollowed.
		datadir, jwt := initDatadir(t, 901, true)
		set := writeFile(t, t.TempDir(), "depset.json", `{"dependencies":{
			"901":{"dependencySet":["901","902"]},
			"902":{"dependencySet":["902","901","903"],"rpc":"http://127.0.0.1:1"},
			"903":{"dependencySet":["903","902"]},
			"904":{"dependencySet":["904"]}}}`)
		c := startNode(t, datadir, append(operatorLine(datadir, jwt), "--interop.depset", set)...)
		var status []rpcapi.ChainStatus
		if err := c.Call(&status, "interop_status"); err != nil {
			t.Fatal(err)
		}
		if len(status) != 2 {
			t.Fatalf("interop_status lists %d chains, want 901 and 902", len(status))
		}
		var safe []rpcapi.ChainSafety
		if err := c.Call(&safe, "interop_safety"); err != nil {
			t.Fatal(err)
		}
		for _, s := range safe {
			if len(s.Unfollowed) != 1 || s.Unfollowed[0].ToInt().Uint64() != 903 {
				t.Fatalf("chain %s: unfollowed %v, want [903]", s.ChainID, s.Unfollowed)
			}
		}
		// 903 is outside 901's own set: its messages are refused on 901, definitively.
		m := message.Message{Identifier: message.Identifier{Origin: common.Address{1}, BlockNumber: 5, Timestamp: uint64(time.Now().Unix()) - 60,
			ChainID: *uint256.NewInt(903)}, MsgHash: common.Hash{2}}
		keys := accesslist.InboxKeys(accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&m.Identifier, m.MsgHash)}))
		desc := map[string]any{"chainId": "0x385", "timestamp": hexutil.Uint64(time.Now().Unix())}
		err := c.CallContext(context.Background(), nil, "interop_checkAccessList", keys, "unsafe", desc)
		if err == nil || !strings.Contains(err.Error(), "chain 903 is not in the dependency set of chain 901") {
			t.Fatalf("message of 903 on 901: %v", err)
		}
	})
	t.Run("dependency set with an unreachable chain", func(t *testing.T) {
		datadir, jwt := initDatadir(t, 901, true)
		set := writeFile(t, t.TempDir(), "depset.json", `{"dependencies":{"901":{},"902":{}}}`)
		c := startNode(t, datadir, append(operatorLine(datadir, jwt), "--interop.depset", set, "--interop.rpc", "902=http://127.0.0.1:1")...)
		var status []rpcapi.ChainStatus
		if err := c.Call(&status, "interop_status"); err != nil {
			t.Fatal(err)
		}
		if len(status) != 2 {
			t.Fatalf("interop_status lists %d chains, want 2", len(status))
		}
		for _, s := range status {
			if s.ChainID.ToInt().Uint64() == 902 && s.State == "live" {
				t.Fatalf("unreachable chain 902 reported live: %+v", s)
			}
		}
		// A message of 902 gets "no verdict yet" from the pool's checker, never "invalid".
		m := message.Message{Identifier: message.Identifier{Origin: common.Address{1}, BlockNumber: 5, Timestamp: uint64(time.Now().Unix()) - 60,
			ChainID: *uint256.NewInt(902)}, MsgHash: common.Hash{2}}
		keys := accesslist.InboxKeys(accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&m.Identifier, m.MsgHash)}))
		desc := map[string]any{"chainId": "0x385", "timestamp": hexutil.Uint64(time.Now().Unix())}
		err := c.CallContext(context.Background(), nil, "interop_checkAccessList", keys, "unsafe", desc)
		if err == nil || !rpcerr.NoVerdictYet(err) {
			t.Fatalf("message of an unreachable chain: %v, want no verdict yet", err)
		}
	})
}

// Bad command lines are refused with a clear error before anything is written.
func TestNodeRefusesBadCommandLines(t *testing.T) {
	cases := []struct {
		name  string
		args  func(t *testing.T, datadir, jwt string) []string
		says  string
		fresh bool // run on an uninitialised datadir, which must stay absent
	}{
		{
			name: "dependency set without this chain (genesis chain ID differs)",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json", `{"dependencies":{"902":{},"903":{}}}`))
			},
			says: "this chain (901, from its genesis) is not in the dependency set (members: 902, 903)",
		},
		{
			name: "missing JWT file",
			args: func(t *testing.T, d, j string) []string { return operatorLine(d, j+".missing") },
			says: "--authrpc.jwtsecret", fresh: true,
		},
		{
			name: "dependency set file that does not parse",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json", `{"dependencies":{"9o1":{}}}`))
			},
			says: "--interop.depset", fresh: true,
		},
		{
			name: "dependency set file missing",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", filepath.Join(t.TempDir(), "none.json"))
			},
			says: "no such file", fresh: true,
		},
		{
			name: "chain of the set with no way to reach it",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json", `{"dependencies":{"901":{},"902":{}}}`))
			},
			says: "chain 902 is not run by this process and has no rpc endpoint",
		},
		{
			name: "per-chain set: a chain of this chain's own set with no way to reach it",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json",
					`{"dependencies":{"901":{"dependencySet":["901","902"]},"902":{"dependencySet":["902","901"]}}}`))
			},
			says: "chain 902, in the dependency set of chain 901, is not run by this process and has no rpc endpoint",
		},
		{
			name: "per-chain set: a chain missing from its own set",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json",
					`{"dependencies":{"901":{"dependencySet":["902"]},"902":{"dependencySet":["902","901"]}}}`))
			},
			says: "chain 901 is missing from its own dependency set", fresh: true,
		},
		{
			name: "per-chain set: a chain named twice",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json",
					`{"dependencies":{"901":{"dependencySet":["901","902","0902"]},"902":{"dependencySet":["902"]}}}`))
			},
			says: "chain 902 listed twice in its dependency set", fresh: true,
		},
		{
			name: "per-chain set: a malformed chain ID",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json",
					`{"dependencies":{"901":{"dependencySet":["901","90x"]}}}`))
			},
			says: `chain ID "90x": not a decimal number`, fresh: true,
		},
		{
			name: "per-chain set: a chain named that the file does not list",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json",
					`{"dependencies":{"901":{"dependencySet":["901","905"]}}}`))
			},
			says: "dependencySet names chain 905, which is not listed under dependencies", fresh: true,
		},
		{
			name: "--interop.rpc for a chain outside the set",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json", `{"dependencies":{"901":{}}}`),
					"--interop.rpc", "905=http://127.0.0.1:1")
			},
			says: "names chain 905, which is not in the dependency set",
		},
		{
			name: "--interop.rpc for this chain",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json", `{"dependencies":{"901":{}}}`),
					"--interop.rpc", "901=http://127.0.0.1:1")
			},
			says: "names this node's own chain 901",
		},
		{
			name: "malformed --interop.rpc",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.depset", writeFile(t, t.TempDir(), "d.json", `{"dependencies":{"901":{}}}`),
					"--interop.rpc", "902")
			},
			says: "want <chainID>=<URL>", fresh: true,
		},
		{
			name: "--interop.rpc without a dependency set",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.rpc", "902=http://127.0.0.1:1")
			},
			says: "--interop.rpc needs --interop.depset", fresh: true,
		},
		{
			name: "--interop.disable with a dependency set",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.disable", "--interop.depset", writeFile(t, t.TempDir(), "d.json", `{"dependencies":{"901":{}}}`))
			},
			says: "--interop.disable cannot be combined", fresh: true,
		},
		{
			name: "bad --interop.minsafety",
			args: func(t *testing.T, d, j string) []string {
				return append(operatorLine(d, j), "--interop.minsafety", "invalid")
			},
			says: "--interop.minsafety", fresh: true,
		},
		{
			name: "unknown flag",
			args: func(t *testing.T, d, j string) []string { return append(operatorLine(d, j), "--rollup.nosuchflag") },
			says: "flag provided but not defined: -rollup.nosuchflag", fresh: true,
		},
		{
			name: "stray argument",
			args: func(t *testing.T, d, j string) []string { return append(operatorLine(d, j), "consol") },
			says: `invalid command: "consol"`, fresh: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var datadir, jwt string
			if c.fresh {
				dir := t.TempDir()
				datadir, jwt = filepath.Join(dir, "data"), filepath.Join(dir, "jwt.txt")
				os.WriteFile(jwt, []byte(strings.Repeat("ab", 32)), 0o600)
			} else {
				datadir, jwt = initDatadir(t, 901, true)
			}
			before := listTree(t, datadir)
			out, err := runXgeth(t, c.args(t, datadir, jwt)...)
			if err == nil {
				t.Fatalf("accepted; output:\n%s", out)
			}
			if !strings.Contains(out, c.says) {
				t.Fatalf("error does not say %q; output:\n%s", c.says, out)
			}
			if strings.Contains(out, "panic") {
				t.Fatalf("panicked:\n%s", out)
			}
			if after := listTree(t, datadir); !equalTrees(before, after) {
				t.Fatalf("the refused command line wrote into the datadir:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// listTree lists the files under dir that hold chain or index data, with their sizes (lock
// files and the node key, which geth rewrites on every start, aside).
func listTree(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	files := map[string]int64{}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if strings.HasSuffix(rel, "LOCK") || strings.HasSuffix(rel, "nodekey") || strings.Contains(rel, "LOG") {
			return nil
		}
		files[rel] = info.Size()
		return nil
	})
	return files
}

func equalTrees(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// init keeps the genesis file's xgeth extension, dumpgenesis prints what init wrote, and
// version names both versions.
func TestInitDumpGenesisVersion(t *testing.T) {
	dir := t.TempDir()
	genesis := opGenesis(t, dir, 902, true, `{"nativeInteropPredeploys": true}`)
	datadir := filepath.Join(dir, "data")
	out, err := runXgeth(t, "init", "--datadir", datadir, "--state.scheme=hash", genesis)
	if err != nil || !strings.Contains(out, "nativeInteropPredeploys=true") {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err = runXgeth(t, "dumpgenesis", "--datadir", datadir)
	if err != nil || !strings.Contains(out, `"chainId":902`) {
		t.Fatalf("dumpgenesis: %v\n%s", err, out)
	}
	if out, err := runXgeth(t, "version"); err != nil || !strings.Contains(out, "Version: "+xgethVersion) || !strings.Contains(out, opgethVersion) {
		t.Fatalf("version: %v\n%s", err, out)
	}
	// A misspelt extension is an error, not silently ignored.
	bad := opGenesis(t, t.TempDir(), 902, true, `{"nativeInteropPredeploy": true}`)
	if out, err := runXgeth(t, "init", "--datadir", filepath.Join(dir, "bad"), bad); err == nil || !strings.Contains(out, "config.xgeth") {
		t.Fatalf("init with a misspelt xgeth option: %v\n%s", err, out)
	}
}

// opgethVersion names the op-geth release patches/ applies to.
func TestOpgethVersionMatchesPatches(t *testing.T) {
	data, err := os.ReadFile("../../patches/OPGETH_VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(data)); v != opgethVersion {
		t.Fatalf("opgethVersion %q, patches/OPGETH_VERSION %q", opgethVersion, v)
	}
}
