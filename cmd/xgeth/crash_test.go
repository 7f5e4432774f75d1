package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	xparams "github.com/xgeth/xgeth/params"
)

// The summary line of a chain: ID, HTTP, WS, interop endpoint, authenticated endpoint.
var summaryLine = regexp.MustCompile(`^(90[0-9])\s+(http://127\.0\.0\.1:[0-9]+)\s+\S+\s+\S+\s+(http://127\.0\.0\.1:[0-9]+)`)

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startChild runs the real xgeth with env added and returns it with chain 902's HTTP and
// authenticated URLs, and its stderr.
func startChild(t *testing.T, env []string, args ...string) (*exec.Cmd, string, string, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "XGETH_TEST_MAIN=1"), env...)
	stderr := new(lockedBuffer)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := summaryLine.FindStringSubmatch(sc.Text()); m != nil && m[1] == "902" {
				found <- [2]string{m[2], m[3]}
			}
		}
	}()
	select {
	case u := <-found:
		return cmd, u[0], u[1], stderr
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("xgeth printed no chain table: %s", stderr)
	}
	return nil, "", "", nil
}

// A SIGKILL between writing an invalidation ahead and applying it: the restarted node
// replays it, the deny list has the block, the chain replaces it and goes on, and the index
// is consistent with the chain.
func TestKillDuringInvalidationReplays(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--verbosity", "3", "devnet", "--datadir", dir, "--devnet.port", "0", "--devnet.blocktime", "1s"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	cmd, url, authURL, stderr := startChild(t, []string{"XGETH_FAILPOINT=safety-invalidate-after-writeahead"}, args...)
	secret, err := node.ObtainJWTSecret(filepath.Join(dir, "jwtsecret"))
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	jwt := rpc.WithHTTPAuth(node.NewJWTAuth([32]byte(secret)))
	cl, err := ethclient.DialContext(ctx, url)
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	for n, _ := cl.BlockNumber(ctx); n < 2; n, _ = cl.BlockNumber(ctx) {
		time.Sleep(100 * time.Millisecond)
	}
	// A transaction executing a message 901 never emitted, slipped in without checks.
	bogus := message.Message{Identifier: message.Identifier{Origin: common.Address{0xc0}, BlockNumber: 1, LogIndex: 3, Timestamp: 1, ChainID: *uint256.NewInt(901)},
		MsgHash: crypto.Keccak256Hash([]byte("crash"))}
	accounts, _ := devnet.DeriveAccounts(devnet.TestMnemonic, 1)
	inbox := xparams.CrossL2InboxAddress
	nonce, _ := cl.PendingNonceAt(ctx, accounts[0].Address)
	tx := types.MustSignNewTx(accounts[0].Key, types.LatestSignerForChainID(big.NewInt(902)), &types.DynamicFeeTx{
		ChainID: big.NewInt(902), Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: 200_000, To: &inbox,
		Data: event.EncodeValidateMessage(&bogus), AccessList: accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&bogus.Identifier, bogus.MsgHash)}),
	})
	raw, _ := tx.MarshalBinary()
	auth, err := rpc.DialOptions(ctx, authURL, jwt)
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	var h common.Hash
	if err := auth.CallContext(ctx, &h, "devnet_sendUncheckedTransaction", hexutil.Bytes(raw)); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	auth.Close()
	cl.Close()
	// The failpoint kills the process once the engine has written the invalidation ahead.
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("xgeth ended with %v, want killed by the failpoint; log:\n%s", err, stderr)
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the failpoint never fired; log:\n%s", stderr)
	}
	if !strings.Contains(stderr.String(), "Failpoint: killing the process") {
		t.Fatalf("killed, but not by the failpoint:\n%s", stderr)
	}

	cmd, url, authURL, stderr = startChild(t, nil, args...)
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	if !strings.Contains(stderr.String(), "Replaying interrupted safety decision") {
		time.Sleep(time.Second) // the log line comes before the summary; give stderr a moment
		if !strings.Contains(stderr.String(), "Replaying interrupted safety decision") {
			t.Fatalf("the interrupted decision was not replayed:\n%s", stderr)
		}
	}
	cl, err = ethclient.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	auth, err = rpc.DialOptions(ctx, authURL, jwt)
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	var maxDenied *hexutil.Uint64
	if err := auth.CallContext(ctx, &maxDenied, "engine_maxDeniedHeightV1"); err != nil || maxDenied == nil {
		t.Fatalf("deny list after the restart: %v, %v", maxDenied, err)
	}
	bad := uint64(*maxDenied)
	// The denied block is replaced by a deposits-only block, and the chain goes on.
	for {
		b, err := cl.BlockByNumber(ctx, new(big.Int).SetUint64(bad))
		if err == nil && len(b.Transactions()) == 1 {
			var denied bool
			if err := auth.CallContext(ctx, &denied, "engine_isDeniedV1", hexutil.Uint64(bad), b.Hash()); err != nil || denied {
				t.Fatalf("the replacement of block %d is denied: %v", bad, err)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("block %d never replaced after the restart:\n%s", bad, stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := cl.TransactionReceipt(ctx, tx.Hash()); err == nil {
		t.Fatal("the invalid transaction is still in a canonical block")
	}
	// The index is consistent: live, and its head is the chain's canonical block there;
	// and cross-safe passes the replaced height.
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for {
		ref, state := indexHead(ctx, t, rc, 902)
		if ref != nil && state == "live" && uint64(ref.Number) > bad+1 {
			hd, err := cl.HeaderByNumber(ctx, new(big.Int).SetUint64(uint64(ref.Number)))
			safe, serr := cl.HeaderByNumber(ctx, big.NewInt(int64(rpc.SafeBlockNumber)))
			if err == nil && hd.Hash() == ref.Hash && serr == nil && safe.Number.Uint64() > bad {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("index or safety did not recover after the restart (head %+v, state %s)", ref, state)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
