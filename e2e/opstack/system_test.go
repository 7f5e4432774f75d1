//go:build opstack

// Package opstack runs the execution client under test (build/bin/xgeth) as an OP Stack L2
// node driven by a real op-node and op-batcher (optimism v1.19.6), over an L1 that is geth in
// --dev mode, all as separate processes on 127.0.0.1. Binaries come from
// scripts/opstack/build.sh (`make e2e-opstack` builds them); the package is behind the opstack
// build tag so that `go test ./...` neither builds nor runs it.
//
// A System is one L1 and the files every chain shares (L1 genesis, dependency set, JWT secret);
// a Chain is one L2 chain on it (genesis, rollup.json, batcher key); an EL, an OpNode and a
// Batcher are processes of a chain. Everything a test starts is stopped in t.Cleanup, and a
// failing test prints the tail of every process's log.
//
// Environment:
//
//	XGETH_BIN         the L2 execution client (default <repo>/build/bin/xgeth); any binary that
//	                  takes op-geth's command line works, e.g. build/opstack/bin/geth (stock op-geth)
//	OPSTACK_BIN       folder of op-node, op-batcher and the L1 geth (default <repo>/build/opstack/bin)
//	OPSTACK_E2E_KEEP  if set, keep the work folder (logs, datadirs) and print its path
package opstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
)

// Binaries are the programs a System runs.
type Binaries struct {
	L1Geth    string // geth for the L1 (--dev)
	EL        string // the L2 execution client under test
	OpNode    string
	OpBatcher string
}

// Options configure a System; the zero value is one chain, 901, with a 1-second L1.
type Options struct {
	// DepSet lists the chains of the dependency set file every op-node (and an EL given
	// --interop.depset System.DepSetPath) reads. Default: {901}.
	DepSet []uint64
	// L1Period is the L1 block time in seconds (default 1).
	L1Period int
	// L1FinalityDepth is how far the L1's finalized block trails its head (default 2; the
	// safe block trails by one).
	L1FinalityDepth uint64
}

// System is one L1 (geth, driven by the harness over the engine API) with the files its L2
// chains share.
type System struct {
	T    testing.TB
	Dir  string
	Bins Binaries

	L1GenesisPath string
	DepSetPath    string
	JWTPath       string
	L1            *L1

	ports  portPool
	beacon *l1Beacon

	mu        sync.Mutex
	procs     []*Process
	chains    int
	procNames map[string]bool
}

// L1 is the L1 geth process (its blocks are built by the system's l1Beacon).
type L1 struct {
	Proc     *Process
	Dir      string
	HTTPPort int
	AuthPort int
	client   *ethclient.Client
}

// URL is the L1's JSON-RPC endpoint.
func (l *L1) URL() string { return "http://127.0.0.1:" + strconv.Itoa(l.HTTPPort) }

// Client is an ethclient of the L1.
func (l *L1) Client() *ethclient.Client { return l.client }

// rpcTimeout bounds every single JSON-RPC call the harness makes.
const rpcTimeout = 5 * time.Second

// stopGrace is how long Stop waits for a process to exit after SIGTERM before killing it.
const stopGrace = 15 * time.Second

// NewSystem writes the shared files (L1 genesis, dependency set, JWT secret shared by every
// engine port) and starts the L1. Cleanup stops every process the system
// started and, if the test failed, prints their logs' tails.
func NewSystem(t testing.TB, opts Options) *System {
	t.Helper()
	if len(opts.DepSet) == 0 {
		opts.DepSet = []uint64{901}
	}
	if opts.L1Period == 0 {
		opts.L1Period = 1
	}
	if opts.L1FinalityDepth == 0 {
		opts.L1FinalityDepth = 2
	}
	s := &System{T: t, Dir: workDir(t), Bins: binaries(t), procNames: make(map[string]bool)}
	t.Cleanup(s.teardown)

	s.L1GenesisPath = filepath.Join(s.Dir, "l1-genesis.json")
	s.DepSetPath = filepath.Join(s.Dir, "depset.json")
	s.JWTPath = filepath.Join(s.Dir, "jwt.txt")
	dev, err := dumpDevGenesis(s.Bins.L1Geth)
	s.must(err)
	l1gen, err := L1Genesis(dev, uint64(time.Now().Unix()))
	s.must(err)
	s.must(os.WriteFile(s.L1GenesisPath, l1gen, 0o644))
	depset, err := DepSet(opts.DepSet)
	s.must(err)
	s.must(os.WriteFile(s.DepSetPath, depset, 0o644))
	secret := make([]byte, 32)
	_, err = rand.Read(secret)
	s.must(err)
	s.must(os.WriteFile(s.JWTPath, []byte(hex.EncodeToString(secret)), 0o600))

	s.startL1(opts, secret)
	return s
}

// startL1 initialises and starts the L1 geth and the harness's block production on it, and
// waits for block 1.
func (s *System) startL1(opts Options, jwtSecret []byte) {
	s.T.Helper()
	l1 := &L1{Dir: filepath.Join(s.Dir, "l1"), HTTPPort: s.port(), AuthPort: s.port()}
	s.run("init-l1", s.Bins.L1Geth, "init", "--datadir", l1.Dir, s.L1GenesisPath)
	l1.Proc = s.newProcess("l1", s.Bins.L1Geth,
		"--datadir", l1.Dir, "--networkid", strconv.Itoa(L1ChainID), "--syncmode", "full",
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(l1.HTTPPort), "--http.api", "eth,net,web3,debug,txpool",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(l1.AuthPort), "--authrpc.jwtsecret", s.JWTPath,
		"--port", "0", "--nodiscover", "--maxpeers", "0", "--verbosity", "3")
	s.must(l1.Proc.start())
	var err error
	l1.client, err = ethclient.Dial(l1.URL())
	s.must(err)
	s.L1 = l1

	var genesis *types.Header
	s.Eventually(startTimeout, "L1 answers JSON-RPC", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		defer cancel()
		genesis, err = l1.client.HeaderByNumber(ctx, bigU(0))
		return err == nil, fmt.Sprint(err)
	})
	engineRPC, err := rpc.DialOptions(context.Background(), "http://127.0.0.1:"+strconv.Itoa(l1.AuthPort),
		rpc.WithHTTPAuth(node.NewJWTAuth(common.BytesToHash(jwtSecret))))
	s.must(err)
	s.beacon = newL1Beacon(engineRPC, genesis, time.Duration(opts.L1Period)*time.Second, opts.L1FinalityDepth)
	go s.beacon.run()
	s.Eventually(time.Minute, "L1 builds blocks", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		defer cancel()
		n, err := l1.client.BlockNumber(ctx)
		return err == nil && n >= 1, fmt.Sprintf("block %d, err %v", n, err)
	})
}

// workDir is the test's temporary folder, or with OPSTACK_E2E_KEEP one that outlives the test.
func workDir(t testing.TB) string {
	if os.Getenv("OPSTACK_E2E_KEEP") == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "opstack-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("work folder (kept): %s", dir)
	return dir
}

// binaries resolves the programs from the environment (see the package comment) and checks
// they exist, naming the make target that builds a missing one.
func binaries(t testing.TB) Binaries {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("OPSTACK_BIN")
	if dir == "" {
		dir = filepath.Join(root, "build", "opstack", "bin")
	}
	b := Binaries{
		L1Geth:    filepath.Join(dir, "geth"),
		EL:        os.Getenv("XGETH_BIN"),
		OpNode:    filepath.Join(dir, "op-node"),
		OpBatcher: filepath.Join(dir, "op-batcher"),
	}
	if b.EL == "" {
		b.EL = filepath.Join(root, "build", "bin", "xgeth")
	}
	for _, p := range []string{b.L1Geth, b.EL, b.OpNode, b.OpBatcher} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v: run `make e2e-opstack` (or `make build` and scripts/opstack/build.sh) first", err)
		}
	}
	t.Logf("EL under test: %s", b.EL)
	return b
}

func (s *System) must(err error) {
	s.T.Helper()
	if err != nil {
		s.T.Fatal(err)
	}
}

// port reserves a free port on 127.0.0.1.
func (s *System) port() int {
	s.T.Helper()
	p, err := s.ports.take()
	s.must(err)
	return p
}

// newProcess registers a process (not started) whose log is <Dir>/<name>.log; names are unique.
func (s *System) newProcess(name string, args ...string) *Process {
	s.T.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.procNames[name] {
		s.T.Fatalf("process name %q used twice", name)
	}
	s.procNames[name] = true
	p := &Process{Name: name, LogPath: filepath.Join(s.Dir, name+".log"), Args: args}
	s.procs = append(s.procs, p)
	return p
}

// run runs a short command (init, ...) to completion, output in <Dir>/<name>.log.
func (s *System) run(name string, args ...string) {
	s.T.Helper()
	p := s.newProcess(name, args...)
	s.must(p.start())
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	<-done
	p.mu.Lock()
	p.stopped = true
	err := p.err
	p.mu.Unlock()
	if err != nil {
		s.T.Fatalf("%s: %v\n%s", name, err, p.Tail(30))
	}
}

// checkAlive fails the test if a process exited without being stopped.
func (s *System) checkAlive() {
	s.T.Helper()
	s.mu.Lock()
	procs := slices.Clone(s.procs)
	s.mu.Unlock()
	for _, p := range procs {
		if dead, err := p.unexpectedExit(); dead {
			s.T.Fatalf("%s exited unexpectedly (%v); log tail:\n%s", p.Name, err, p.Tail(40))
		}
	}
	if s.beacon != nil {
		if err := s.beacon.health(); err != nil {
			s.T.Fatalf("%v; L1 log tail:\n%s", err, s.L1.Proc.Tail(40))
		}
	}
}

// Eventually polls cond every half second until it holds, failing the test after timeout (with
// cond's last status) or as soon as a process of the system exits unexpectedly. Timeouts are
// generous overall deadlines, never measurements.
func (s *System) Eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	s.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s.checkAlive()
		ok, status := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.T.Fatalf("timed out after %s waiting for: %s (last: %s)", timeout, what, status)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// teardown prints the logs' tails if the test failed, then stops every running process in
// reverse start order (SIGTERM, SIGKILL after stopGrace): batchers and op-nodes while their ELs
// and the L1 still answer (op-batcher otherwise waits out its pending L1 transactions), the L1's
// block production last.
func (s *System) teardown() {
	s.mu.Lock()
	procs := slices.Clone(s.procs)
	s.mu.Unlock()
	if s.T.Failed() {
		for _, p := range procs {
			s.T.Logf("----- %s (%s), last lines:\n%s", p.Name, p.LogPath, p.Tail(40))
		}
	}
	for _, p := range slices.Backward(procs) {
		if s.L1 != nil && p == s.L1.Proc && s.beacon != nil {
			s.beacon.halt()
		}
		p.Stop(stopGrace)
	}
	if s.beacon != nil {
		s.beacon.halt()
	}
}

// bigU is n as a *big.Int (block numbers for ethclient).
func bigU(n uint64) *big.Int { return new(big.Int).SetUint64(n) }
