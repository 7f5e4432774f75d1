package main

import (
	"bufio"
	"context"
	"io"
	"math/big"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	xparams "github.com/xgeth/xgeth/params"
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
// of each of its chains (chains of them), read from the summary it prints.
func startXgeth(t *testing.T, chains int, args ...string) (*exec.Cmd, map[string]string) {
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
				if len(urls) == chains {
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

	cmd, urls := startXgeth(t, 2, args...)
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

	cmd, urls = startXgeth(t, 2, args...)
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

// Two xgeth processes on 127.0.0.1: the second runs chain 902 and follows chain 901 of the
// first over JSON-RPC (--interop.rpc), indexes it and accepts 902 transactions executing
// 901's messages.
func TestSecondProcessFollowsOverRPC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, urlsA := startXgeth(t, 1, "--verbosity", "2", "devnet", "--devnet.chainids", "901", "--devnet.port", "0", "--devnet.blocktime", "1s")
	defer func() { a.Process.Signal(syscall.SIGINT); a.Wait() }()
	wsA := "ws" + strings.TrimPrefix(urlsA["901"], "http")
	b, urlsB := startXgeth(t, 1, "--verbosity", "2", "devnet", "--devnet.chainids", "902", "--devnet.port", "0", "--devnet.blocktime", "1s", "--interop.rpc", "901="+wsA)
	defer func() { b.Process.Signal(syscall.SIGINT); b.Wait() }()

	src, err := ethclient.DialContext(ctx, urlsA["901"])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := ethclient.DialContext(ctx, urlsB["902"])
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	accounts, err := devnet.DeriveAccounts(devnet.TestMnemonic, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A log on 901: a contract creation whose init code emits LOG0 with 4 bytes of data.
	initCode := []byte{0x63, 0xde, 0xad, 0xbe, 0xef, 0x5f, 0x52, 0x60, 0x04, 0x60, 0x1c, 0xa0, 0x00}
	r := send(ctx, t, src, accounts[0], nil, initCode, nil)
	if r.Status != types.ReceiptStatusSuccessful || len(r.Logs) != 1 {
		t.Fatalf("emitting on 901: status %d, %d logs", r.Status, len(r.Logs))
	}
	header, err := src.HeaderByHash(ctx, r.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	lg := r.Logs[0]
	msg := message.OfLog(lg, header.Time, uint256.NewInt(901))

	// The second process indexes 901 over JSON-RPC, past the message's block.
	c, err := rpc.DialContext(ctx, urlsB["902"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		ref, state := indexHead(ctx, t, c, 901)
		if ref != nil && state == "live" && uint64(ref.Number) >= msg.Identifier.BlockNumber {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("second process did not index 901 (head %+v, state %s)", ref, state)
		case <-time.After(200 * time.Millisecond):
		}
	}
	prepared := rpcapi.Prepare(&msg)
	inbox := xparams.CrossL2InboxAddress
	r = send(ctx, t, dst, accounts[0], &inbox, prepared.Calldata, prepared.AccessList)
	if r.Status != types.ReceiptStatusSuccessful || len(r.Logs) != 1 {
		t.Fatalf("executing 901's message on 902: status %d, %d logs", r.Status, len(r.Logs))
	}
}

// send signs a transaction with the sender's next nonce, sends it and waits for its receipt.
func send(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account, to *common.Address, data []byte, al types.AccessList) *types.Receipt {
	t.Helper()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := c.PendingNonceAt(ctx, from.Address)
	if err != nil {
		t.Fatal(err)
	}
	tx := types.MustSignNewTx(from.Key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: 200_000, To: to, Data: data, AccessList: al,
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("sending: %v", err)
	}
	for {
		if r, err := c.TransactionReceipt(ctx, tx.Hash()); err == nil {
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for %s", tx.Hash())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
