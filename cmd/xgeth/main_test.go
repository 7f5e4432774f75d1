package main

import (
	"bufio"
	"context"
	"io"
	"math/big"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/interop/rpcapi"
)

// The test binary doubles as xgeth: with XGETH_TEST_MAIN=1 it runs main with its arguments,
// so tests can run (and kill) a real xgeth process.
func TestMain(m *testing.M) {
	if os.Getenv("XGETH_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var httpURL = regexp.MustCompile(`^(90[0-9])\s+(http://127\.0\.0\.1:[0-9]+)\s`)

// startXgeth runs `xgeth args...` in a child process and returns it with the HTTP RPC URL
// of each chain, read from the summary it prints.
func startXgeth(t *testing.T, args ...string) (*exec.Cmd, map[string]string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "XGETH_TEST_MAIN=1")
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := httpURL.FindStringSubmatch(sc.Text()); m != nil {
				urls[m[1]] = m[2]
				if len(urls) == 2 {
					close(found)
				}
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("xgeth printed no chain table")
	}
	return cmd, urls
}

// indexHead is chain's indexed head from interop_status, and whether its follower is live.
func indexHead(ctx context.Context, t *testing.T, c *rpc.Client, chain uint64) (*rpcapi.BlockRef, string) {
	t.Helper()
	var status []rpcapi.ChainStatus
	if err := c.CallContext(ctx, &status, "interop_status"); err != nil {
		return nil, ""
	}
	for _, s := range status {
		if s.ChainID.ToInt().Uint64() == chain {
			return s.LocalUnsafe, s.State
		}
	}
	t.Fatalf("interop_status without chain %d", chain)
	return nil, ""
}

// Kill xgeth with SIGKILL while it follows its chains, restart it on the same data
// directory: the index reopens consistent and catches up with the chains.
func TestKillAndRestartDuringFollow(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--verbosity", "2", "devnet", "--datadir", dir, "--devnet.port", "0", "--devnet.blocktime", "1s"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	cmd, urls := startXgeth(t, args...)
	c, err := rpc.DialContext(ctx, urls["902"])
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	var before uint64
	for before < 5 {
		if ref, _ := indexHead(ctx, t, c, 901); ref != nil {
			before = uint64(ref.Number)
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.Close()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	cmd, urls = startXgeth(t, args...)
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	for _, chain := range []uint64{901, 902} {
		name := map[uint64]string{901: "901", 902: "902"}[chain]
		c, err := rpc.DialContext(ctx, urls["902"])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		src, err := ethclient.DialContext(ctx, urls[name])
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		// Caught up: live, past the head indexed before the kill, and the indexed head is the
		// chain's canonical block at that height.
		for {
			ref, state := indexHead(ctx, t, c, chain)
			if ref != nil && state == "live" && uint64(ref.Number) > before {
				h, err := src.HeaderByNumber(ctx, new(big.Int).SetUint64(uint64(ref.Number)))
				if err == nil && h.Hash() == ref.Hash {
					break
				}
			}
			select {
			case <-ctx.Done():
				t.Fatalf("chain %d: index did not catch up after the restart (head %+v, state %s)", chain, ref, state)
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
}
