package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// xgethShellCommand is the shell command line that runs xgeth with args: $XGETH_BIN if set,
// otherwise this test binary as xgeth (see TestMain).
func xgethShellCommand(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	if bin := os.Getenv("XGETH_BIN"); bin != "" {
		return "'" + bin + "' " + strings.Join(quoted, " ")
	}
	return "env XGETH_TEST_MAIN=1 '" + os.Args[0] + "' " + strings.Join(quoted, " ")
}

// tmuxSession runs command in a detached tmux session on its own server (socket), killed at
// the end of the test, and returns functions to type a line and to wait for the screen.
func tmuxSession(t *testing.T, command string) (typeLine func(string), waitFor func(*regexp.Regexp) string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	name := fmt.Sprintf("xgeth-console-%d-%d", os.Getpid(), time.Now().UnixNano())
	tmux := func(args ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-L", name, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := tmux("new-session", "-d", "-s", name, "-x", "200", "-y", "50", command); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	// Keep the pane's text after the command exits, to see why.
	tmux("set-option", "-t", name, "remain-on-exit", "on")
	t.Cleanup(func() { tmux("kill-server") })
	screen := func() string {
		out, _ := tmux("capture-pane", "-p", "-J", "-S", "-", "-t", name)
		return out
	}
	typeLine = func(line string) {
		t.Helper()
		if out, err := tmux("send-keys", "-t", name, "-l", line); err != nil {
			t.Fatalf("tmux send-keys: %v: %s", err, out)
		}
		tmux("send-keys", "-t", name, "Enter")
	}
	waitFor = func(re *regexp.Regexp) string {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			s := screen()
			if re.MatchString(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("the console never showed %q; screen:\n%s", re, s)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return typeLine, waitFor
}

// startConsoleDevnet runs `xgeth devnet` on free ports with a data directory and returns
// the HTTP URLs of chains 901 and 902.
func startConsoleDevnet(t *testing.T) map[string]string {
	t.Helper()
	cmd, urls := startXgeth(t, 2, "--verbosity", "2", "devnet", "--devnet.port", "0", "--devnet.blocktime", "1s", "--datadir", t.TempDir())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	})
	return urls
}

// A person at a terminal: `xgeth attach http://...` to a running devnet, typing the interop
// helpers at geth's prompt. interop.sendETH moves 1 ETH to chain 902 and waits for its
// relay there.
func TestConsoleAttachInteractive(t *testing.T) {
	urls := startConsoleDevnet(t)
	typeLine, waitFor := tmuxSession(t, xgethShellCommand("attach", "--datadir", t.TempDir(), urls["901"]))
	waitFor(regexp.MustCompile(`To exit, press ctrl-d or type exit`))
	waitFor(regexp.MustCompile(`interop\.help\(\)`))

	typeLine("interop.status()")
	waitFor(regexp.MustCompile(`(?s)chainId: "0x386".*state: "live"`))
	typeLine("interop.safety()")
	waitFor(regexp.MustCompile(`(?s)crossUnsafe: \{.*localFinalized:`))
	typeLine("eth.accounts")
	waitFor(regexp.MustCompile(`\["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",`))

	to := "0x000000000000000000000000000000000000c0de"
	typeLine(`interop.sendETH(eth.accounts[0], "` + to + `", web3.toWei(1, "ether"), 902)`)
	waitFor(regexp.MustCompile(`sendETH: sent in block \d+ of chain 901, message 0x[0-9a-f]{64}; waiting for its relay on chain 902`))
	screen := waitFor(regexp.MustCompile(`(?s)relay: \{.*relayed: true`))
	if !regexp.MustCompile(`chainId: 902`).MatchString(screen) {
		t.Fatalf("relay not on chain 902:\n%s", screen)
	}
	// The ETH arrived on 902.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dst, err := ethclient.DialContext(ctx, urls["902"])
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	bal, err := dst.BalanceAt(ctx, common.HexToAddress(to), nil)
	if err != nil || bal.Cmp(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)) != 0 {
		t.Fatalf("balance on 902: %v (%v), want 1 ETH", bal, err)
	}
	typeLine("exit")
}

// Scripts and pipes: `attach --exec` evaluates one statement, and a session piped into
// attach's stdin runs line by line and ends at exit.
func TestConsoleAttachStdin(t *testing.T) {
	urls := startConsoleDevnet(t)
	datadir := t.TempDir()

	out, err := runXgeth(t, "attach", "--datadir", datadir, "--exec", "interop.status().map(function (s) { return parseInt(s.chainId) + ':' + s.state })", urls["902"])
	if err != nil || !strings.Contains(out, `"901:live"`) || !strings.Contains(out, `"902:live"`) {
		t.Fatalf("attach --exec interop.status(): %v\n%s", err, out)
	}
	out, err = runXgeth(t, "attach", "--datadir", datadir, "--exec", "eth.accounts.length", urls["902"])
	if err != nil || strings.TrimSpace(out) != "10" {
		t.Fatalf("attach --exec eth.accounts.length: %v, %q", err, out)
	}
	// --preload scripts see the interop object; a failing one stops the console with its
	// file named.
	dir := t.TempDir()
	script := filepath.Join(dir, "chains.js")
	if err := os.WriteFile(script, []byte("var chains = interop.status().length;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runXgeth(t, "attach", "--datadir", datadir, "--preload", script, "--exec", "'chains=' + chains", urls["902"])
	if err != nil || !strings.Contains(out, "chains=2") {
		t.Fatalf("attach --preload using interop: %v, %q", err, out)
	}
	broken := filepath.Join(dir, "broken.js")
	if err := os.WriteFile(broken, []byte("interop.noSuchHelper();\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runXgeth(t, "attach", "--datadir", datadir, "--preload", broken, "--exec", "1", urls["902"])
	if err == nil || !strings.Contains(out, "broken.js") {
		t.Fatalf("attach --preload with a failing script: %v, %q", err, out)
	}

	cmd, buf := xgethProcess("attach", "--datadir", datadir, urls["901"])
	cmd.Stdin = strings.NewReader(strings.Join([]string{
		"interop.safety().length",
		"eth.accounts[9]",
		`interop.message("0x01")`,
		"interop.help()",
		// The test token and the messenger, each sent and relayed to 902.
		"interop.mintTestToken(eth.accounts[1], eth.accounts[1], 1000).length",
		"interop.sendERC20(eth.accounts[1], interop.TEST_TOKEN, eth.accounts[2], 400, 902).relayed",
		`var m = interop.sendMessage(eth.accounts[1], 902, "0x0000000000000000000000000000000000000001", "0x1234")`,
		"m.relayed",
		"interop.message(m.msgHash).status",
		// The message's identifier, and its access list from the identifier (hex or numbers).
		"var p = interop.messageOfLog(m.txHash, 0)",
		`"al:" + (interop.accessList(p.identifier, p.msgHash).checksum === p.checksum) + ":" + (interop.accessList({origin: interop.MESSENGER, blockNumber: m.blockNumber, logIndex: m.logIndex, timestamp: parseInt(p.identifier.timestamp), chainId: 901}, p.msgHash).checksum === p.checksum) + ":" + (p.identifier.origin === interop.MESSENGER)`,
		"exit",
	}, "\n") + "\n")
	if err := waitExit(t, cmd, buf, "piped session"); err != nil {
		t.Fatalf("piped session: %v\n%s", err, buf)
	}
	for _, want := range []string{
		"Welcome to the Geth JavaScript console",
		"\n2\n",
		`"0xa0ee7a142d267c1f36714e4a8f75612f20a79720"`,
		"msgHash: not a 32-byte 0x hash: 0x01",
		"interop.sendETH(from, to, amountWei, destChainId)",
		"\n66\n", // a transaction hash
		"sendERC20: sent in block",
		"sendMessage: sent in block",
		`"relayed"`,
		`"al:true:true:true"`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("piped session output lacks %q:\n%s", want, buf)
		}
	}
	if re := regexp.MustCompile(`(?s)sendERC20: sent in block [^\n]*\ntrue\n.*sendMessage: sent in block [^\n]*\nundefined\n> \ntrue\n`); !re.MatchString(buf.String()) {
		t.Errorf("sendERC20 and sendMessage not both relayed (want %s):\n%s", re, buf)
	}
	// The tokens arrived on 902.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dst, err := ethclient.DialContext(ctx, urls["902"])
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	token := common.HexToAddress("0x420beeF000000000000000000000000000000001")
	balanceOf := append(common.FromHex("0x70a08231"), common.LeftPadBytes(common.HexToAddress("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc").Bytes(), 32)...)
	res, err := dst.CallContract(ctx, ethereum.CallMsg{To: &token, Data: balanceOf}, nil)
	if err != nil || new(big.Int).SetBytes(res).Int64() != 400 {
		t.Fatalf("test token balance of account 2 on 902: %x (%v), want 400", res, err)
	}
}

// `xgeth devnet --console`: the summary, then the console on chain 901 in-process with the
// interop object (the other chain's endpoint known); leaving the console stops the devnet
// and the process exits cleanly.
func TestDevnetConsole(t *testing.T) {
	dir := t.TempDir()
	cmd, buf := xgethProcess("devnet", "--console", "--devnet.port", "0", "--devnet.blocktime", "1s", "--datadir", dir)
	cmd.Stdin = strings.NewReader(strings.Join([]string{
		"parseInt(eth.chainId())",
		"interop.status().length",
		"Object.keys(interop.endpoints).join(',')",
		"interop.mintTestToken(eth.accounts[0], eth.accounts[0], 1)",
		"exit",
	}, "\n") + "\n")
	if err := waitExit(t, cmd, buf, "devnet --console"); err != nil {
		t.Fatalf("devnet --console: %v\n%s", err, buf)
	}
	out := buf.String()
	summary, welcome := strings.Index(out, "CHAIN ID"), strings.Index(out, "Welcome to the Geth JavaScript console")
	if summary < 0 || welcome < summary {
		t.Fatalf("want the summary before the console:\n%s", out)
	}
	for _, want := range []string{"\n901\n", "\n2\n", `"901,902"`} {
		if !strings.Contains(out[welcome:], want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	// The RPC server's warning about each failed call (the console shows the error itself)
	// stays off the console.
	if strings.Contains(out, "Served admin_datadir") {
		t.Errorf("RPC server warnings in the console:\n%s", out)
	}
	// Stopped cleanly: the data directory reopens.
	if _, err := os.Stat(filepath.Join(dir, "devnet.json")); err != nil {
		t.Fatal(err)
	}
	cmd2, urls := startXgeth(t, 2, "--verbosity", "2", "devnet", "--devnet.port", "0", "--datadir", dir)
	defer func() {
		cmd2.Process.Signal(syscall.SIGINT)
		cmd2.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := ethclient.DialContext(ctx, urls["901"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The transaction mined from the console is still there.
	minted := regexp.MustCompile(`"(0x[0-9a-f]{64})"`).FindStringSubmatch(out[welcome:])
	if minted == nil {
		t.Fatalf("no transaction hash from interop.mintTestToken:\n%s", out)
	}
	for { // geth may still be indexing transactions right after the restart
		r, err := c.TransactionReceipt(ctx, common.HexToHash(minted[1]))
		if err == nil && r.Status == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after a restart on the console's data directory, receipt of %s: %v", minted[1], err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// `xgeth console` starts the node and opens the console on it in-process, with the
// interop object over the node's own interop service.
func TestNodeConsoleInterop(t *testing.T) {
	datadir, jwt := initDatadir(t, 901, true)
	args := append([]string{"--verbosity", "1", "console", "--exec", "interop.status().map(function (s) { return parseInt(s.chainId) }).join(',') + ' ' + typeof interop.sendETH"},
		operatorLine(datadir, jwt)...)
	out, err := runXgeth(t, args...)
	if err != nil || !strings.Contains(out, `"901 function"`) {
		t.Fatalf("console --exec: %v\n%s", err, out)
	}
}
