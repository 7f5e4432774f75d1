package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// devnetOutput runs `xgeth devnet args...` with stdout and stderr on one pipe (so the order
// of log lines and the summary is what a terminal shows) until it has sequenced blocks
// sequenced-block lines, and returns every line it printed.
func devnetOutput(t *testing.T, blocks int, args ...string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"devnet", "--devnet.port", "0"}, args...)...)
	cmd.Env = append(os.Environ(), "XGETH_TEST_MAIN=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out []string
	deadline := time.After(2 * time.Minute)
	for seen := 0; seen < blocks; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("xgeth exited; output:\n%s", strings.Join(out, "\n"))
			}
			out = append(out, l)
			if strings.Contains(l, "Sequenced block") {
				seen++
			}
		case <-deadline:
			t.Fatalf("no %d blocks in time; output:\n%s", blocks, strings.Join(out, "\n"))
		}
	}
	return out
}

// TestDevnetDefaultLog: at the default verbosity the summary is the last thing printed at
// start-up, and each chain then logs one line per block (with its interop counts) and none of
// op-geth's payload-building or chain-configuration lines.
func TestDevnetDefaultLog(t *testing.T) {
	t.Parallel()
	out := devnetOutput(t, 4)
	last := -1 // the last account row of the summary
	first := -1
	for i, l := range out {
		if strings.HasPrefix(l, "(9)") {
			last = i
		}
		if first < 0 && strings.Contains(l, "Sequenced block") {
			first = i
		}
	}
	if last < 0 || first < last {
		t.Fatalf("summary not printed before the first block (account row %d, first block %d):\n%s", last, first, strings.Join(out, "\n"))
	}
	for _, l := range out[last+1 : first] {
		if strings.TrimSpace(l) != "" {
			t.Errorf("printed after the summary, before any block: %q", l)
		}
	}
	perChain := map[string]int{}
	for _, l := range out {
		for _, chatter := range []string{"Updated payload", "Starting work on payload", "Imported new potential chain segment", "Chain ID:", "Lagoon:", "Head block is not reachable"} {
			if strings.Contains(l, chatter) {
				t.Errorf("op-geth chatter at the default verbosity: %q", l)
			}
		}
		if strings.Contains(l, "Sequenced block") {
			if !strings.Contains(l, "executed=") || !strings.Contains(l, "sent=") || !strings.Contains(l, "txs=") {
				t.Errorf("block line without its counts: %q", l)
			}
			for _, c := range []string{"chain=901", "chain=902"} {
				if strings.Contains(l, c) {
					perChain[c]++
				}
			}
		}
	}
	if perChain["chain=901"] == 0 || perChain["chain=902"] == 0 {
		t.Errorf("block lines per chain: %v", perChain)
	}
}

// TestDevnetVerbosityAfterCommand: geth's logging flags are accepted after `devnet`, and
// --verbosity 4 brings op-geth's own lines back.
func TestDevnetVerbosityAfterCommand(t *testing.T) {
	t.Parallel()
	out := strings.Join(devnetOutput(t, 2, "--verbosity", "4"), "\n")
	for _, want := range []string{"Chain ID:", "Updated payload", "DEBUG"} {
		if !strings.Contains(out, want) {
			t.Errorf("--verbosity 4 after devnet: no %q in the output", want)
		}
	}
}
