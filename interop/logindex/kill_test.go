package logindex

import (
	"bufio"
	"fmt"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

const (
	killDirEnv  = "XGETH_LOGINDEX_KILL_DIR"
	killSeedEnv = "XGETH_LOGINDEX_KILL_SEED"
)

// killOptions: small caches and a short retention so that the child also rewinds and
// prunes while it may be killed.
var killOptions = Options{Retention: 600, RecentBlocks: 16, ReadCache: 16}

// TestMain runs the child of TestKillRecovery when the test binary is started as one.
func TestMain(m *testing.M) {
	if dir := os.Getenv(killDirEnv); dir != "" {
		killChild(dir)
	}
	os.Exit(m.Run())
}

// killChild appends to the index in dir until it is killed, rewinding now and then.
func killChild(dir string) {
	seed, _ := strconv.ParseUint(os.Getenv(killSeedEnv), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 1))
	db, err := pebble.New(dir, 16, 16, "", false)
	if err != nil {
		fmt.Println("open pebble:", err)
		os.Exit(3)
	}
	x, err := Open(db, chainA, killOptions)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		head, ok := x.Head()
		var b *Block
		if !ok {
			b = makeBlock(BlockRef{}, true, 1, 1000, 100, byte(seed), true)
		} else {
			b = makeBlock(head, false, 0, head.Timestamp+2, 100, byte(seed)+byte(i), true)
		}
		if err := x.Append(b); err != nil {
			fmt.Println("append:", err)
			os.Exit(3)
		}
		if rng.IntN(20) == 0 && b.Number > 10 {
			if err := x.Rewind(b.Number - uint64(rng.IntN(8))); err != nil {
				fmt.Println("rewind:", err)
				os.Exit(3)
			}
		}
		fmt.Fprintln(out, b.Number)
		out.Flush()
	}
}

// TestKillRecovery SIGKILLs a child process that appends to a pebble index at a random
// moment, several times over the same store, and checks after each kill that the index
// reopens consistent: the head record is present, every record links to its parent and
// holds the logs it was written with, and appending continues.
func TestKillRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rounds := 6
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), killDirEnv+"="+dir, fmt.Sprintf("%s=%d", killSeedEnv, round+1))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of appended blocks: the child keeps running while we
		// read, so the signal lands at an arbitrary point of its loop.
		killAfter := 20 + rand.IntN(400)
		sc := bufio.NewScanner(stdout)
		lines := 0
		for lines < killAfter && sc.Scan() {
			if _, err := strconv.ParseUint(sc.Text(), 10, 64); err != nil {
				t.Fatalf("child: %s", sc.Text())
			}
			lines++
		}
		if lines < killAfter {
			cmd.Wait()
			t.Fatalf("child stopped after %d blocks", lines)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		db := openPebble(t, dir)
		x, err := Open(db, chainA, killOptions)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		checkConsistent(t, x)
		appendChain(t, x, 0, 5, byte(100+round))
		checkConsistent(t, x)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: killed after %d blocks, index %+v", round, lines, x.Stats())
	}
}

// checkConsistent walks the whole index from its head down to its first block.
func checkConsistent(t *testing.T, x *ChainIndex) {
	t.Helper()
	head, ok := x.Head()
	if !ok {
		// Consistent, if unlikely: nothing the child wrote had reached the file system
		// (the store writes its log asynchronously).
		if (x.Stats() != Stats{}) {
			t.Fatal("empty index with stats")
		}
		return
	}
	first, _ := x.First()
	var (
		child *BlockRef
		logs  uint64
	)
	for n := head.Number; ; n-- {
		b, err := x.Block(n)
		if err != nil {
			t.Fatalf("block %d (first %d, head %d): %v", n, first.Number, head.Number, err)
		}
		if child != nil && (child.ParentHash != b.Hash || child.Number != n+1) {
			t.Fatalf("block %d does not link to block %d", n+1, n)
		}
		for i, h := range b.LogHashes {
			if h != logHashAt(b.Hash, i) {
				t.Fatalf("block %d log %d garbled", n, i)
			}
		}
		logs += uint64(len(b.LogHashes))
		child = &b.BlockRef
		if n == first.Number {
			if b.BlockRef != first {
				t.Fatalf("first %+v, record %+v", first, b.BlockRef)
			}
			break
		}
	}
	if st := x.Stats(); st.Logs != logs || st.Blocks != head.Number-first.Number+1 {
		t.Fatalf("stats %+v, counted %d logs", st, logs)
	}
}
