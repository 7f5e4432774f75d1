//go:build unix

package follower

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
)

// Parameters of BenchmarkFollow50RemoteChains.
const (
	manyInterval = time.Second      // block time of every served chain
	manyHistory  = 64               // blocks each chain has when the followers start (backfilled)
	manySettle   = 3 * time.Second  // after the catch-up, before the first window
	manyWindow   = 15 * time.Second // one measurement window (one b.N iteration)
)

// BenchmarkFollow50RemoteChains measures the CPU this process spends following many remote
// chains over JSON-RPC at their head, as the interop service does for the chains of its
// dependency set that it does not run: per chain an RPCSource over WebSocket (newHeads
// subscription, eth_getBlockByNumber and eth_getBlockReceipts per block, eth_chainId on
// dial), a Follower with the service's settings writing a log index in one pebble database
// on disk (shared by the chains, as the node's is), a subscriber taking the follower's
// events, and the service's label poll (Labels once per block time: interop_safety, which
// the served chains refuse as an op-geth would, then the safe and finalized tags).
//
// The chains are served by a child process (TestHelperServeChains), so the serving CPU is
// not counted: busy OP-style blocks (the L1 attributes deposit and 9 user transactions, 20
// logs of which 2 are ExecutingMessage logs), one a second per chain, the chains staggered
// across the second. After every follower caught up with the 64 blocks of history and a
// short settle, each iteration is one 15 s window over which the process's own CPU time
// (getrusage RUSAGE_SELF, user+system: every goroutine, the GC and pebble's background
// work included) is compared with the wall time:
//
//	%cpu          CPU time / wall time × 100 (100 = one core busy)
//	%cpu/chain    %cpu / chains
//	blocks/s      blocks appended to the indexes per second (≈ chains × 1 at the head)
//	cpu-µs/block  CPU time per appended block (everything above included)
//	alloc-MB/s    heap allocation rate
//	rss-MB        resident set of the test process at the end (what earlier runs left
//	              included); rss-growth-MB its growth over the windows
//
// Run it alone on a quiet machine (the serving child shares it); XGETH_FOLLOWER_WINDOW_PROFILE
// names a file for a CPU profile of the first window only:
//
//	go test -run - -bench Follow50RemoteChains -benchtime 1x ./interop/follower
func BenchmarkFollow50RemoteChains(b *testing.B) {
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("chains=%d", n), func(b *testing.B) { benchFollowRemote(b, n) })
	}
}

func benchFollowRemote(b *testing.B, n int) {
	chains, serverPID := startChainServer(b, n)

	db, err := pebble.New(b.TempDir(), 64, 64, "", false) // as the node opens the interop database
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() }) // runs after the followers' cleanup below

	var (
		appended  atomic.Int64
		fatal     atomic.Pointer[error]
		quit      = make(chan struct{})
		wg        sync.WaitGroup
		followers []*Follower
		sources   []*RPCSource
	)
	b.Cleanup(func() {
		for _, f := range followers {
			f.Stop()
		}
		close(quit)
		wg.Wait()
		for _, s := range sources {
			s.Close()
		}
	})
	for _, c := range chains {
		id := uint256.NewInt(c.id)
		idx, err := logindex.Open(db, id, logindex.Options{})
		if err != nil {
			b.Fatal(err)
		}
		src, err := NewRPCSource(c.url, WithChainID(id))
		if err != nil {
			b.Fatal(err)
		}
		sources = append(sources, src)
		f, err := New(Config{ChainID: id, BlockTime: manyInterval, OnFatal: func(err error) { fatal.Store(&err) }}, src, idx)
		if err != nil {
			b.Fatal(err)
		}
		followers = append(followers, f)
		events := make(chan Event, 64)
		sub := f.Subscribe(events)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer sub.Unsubscribe()
			for {
				select {
				case ev := <-events:
					if ev.Kind == Appended {
						appended.Add(1)
					}
				case <-sub.Err():
					return
				case <-quit:
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			pollLabelsLike(src, manyInterval, quit)
		}()
		if err := f.Start(); err != nil {
			b.Fatal(err)
		}
	}

	waitFor(b, "every follower to catch up", func() bool {
		for _, f := range followers {
			st := f.Status()
			if st.State != StateLive || st.Head.Number < manyHistory {
				return false
			}
		}
		return true
	})
	time.Sleep(manySettle)

	var (
		cpu, wall      time.Duration
		blocks         int64
		allocated      uint64
		rssFirst, rss1 int64
		serverCPU      time.Duration
	)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.Logf("window %d: load average %s", i, loadAverage())
		rss0 := residentBytes()
		if i == 0 {
			rssFirst = rss0
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		s0 := processCPU(serverPID)
		stopProfile := windowProfile(b, i)
		a0, c0, t0 := appended.Load(), selfCPU(b), time.Now()
		time.Sleep(manyWindow)
		a1, c1, t1 := appended.Load(), selfCPU(b), time.Now()
		stopProfile()
		serverCPU += processCPU(serverPID) - s0
		runtime.ReadMemStats(&m1)
		rss1 = residentBytes()
		cpu += c1 - c0
		wall += t1.Sub(t0)
		blocks += a1 - a0
		allocated += m1.TotalAlloc - m0.TotalAlloc
	}
	b.StopTimer()
	if err := fatal.Load(); err != nil {
		b.Fatalf("a follower failed: %v", *err)
	}
	states := map[State]int{}
	for _, f := range followers {
		states[f.Status().State]++
	}
	b.Logf("load average %s; follower states at the end %v; serving child %.1f%% cpu (not counted)",
		loadAverage(), states, 100*serverCPU.Seconds()/wall.Seconds())

	pct := 100 * cpu.Seconds() / wall.Seconds()
	b.ReportMetric(pct, "%cpu")
	b.ReportMetric(pct/float64(n), "%cpu/chain")
	b.ReportMetric(float64(blocks)/wall.Seconds(), "blocks/s")
	if blocks > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(blocks), "cpu-µs/block")
	}
	b.ReportMetric(float64(allocated)/(1<<20)/wall.Seconds(), "alloc-MB/s")
	if rss1 > 0 {
		b.ReportMetric(float64(rss1)/(1<<20), "rss-MB")
		b.ReportMetric(float64(rss1-rssFirst)/(1<<20), "rss-growth-MB")
	}
}

// windowProfileEnv names a file to write a CPU profile of the first measurement window to
// (go test's -cpuprofile would also cover the start-up and the backfill).
const windowProfileEnv = "XGETH_FOLLOWER_WINDOW_PROFILE"

// windowProfile starts the CPU profile of window i when windowProfileEnv asks for it and
// returns the function that stops it.
func windowProfile(b *testing.B, i int) func() {
	path := os.Getenv(windowProfileEnv)
	if path == "" || i > 0 {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatalf("%s: %v (not with -cpuprofile)", windowProfileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// pollLabelsLike reads the chain's labels once per block time until quit, as the interop
// service's label poll does for a remote chain (the result goes nowhere here).
func pollLabelsLike(src *RPCSource, every time.Duration, quit <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), every+5*time.Second)
		src.Labels(ctx)
		cancel()
		select {
		case <-t.C:
		case <-quit:
			return
		}
	}
}

// servedChain is a chain the serving child serves.
type servedChain struct {
	id  uint64
	url string
}

// startChainServer starts the serving child process (TestHelperServeChains of this test
// binary) with n chains and returns their endpoints and the child's process ID. The child
// is killed in cleanup; it also exits when its stdin closes, should this process die first.
func startChainServer(b *testing.B, n int) ([]servedChain, int) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServeChains$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(),
		serveChainsEnv+"="+strconv.Itoa(n),
		serveIntervalEnv+"="+manyInterval.String(),
		serveHistoryEnv+"="+strconv.Itoa(manyHistory))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})

	type result struct {
		chains []servedChain
		err    error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if line == "ready" {
				done <- r
				io.Copy(io.Discard, stdout) // whatever the child prints on exit
				return
			}
			var c servedChain
			if _, err := fmt.Sscanf(line, "chain %d %s", &c.id, &c.url); err != nil {
				continue // not ours (the test framework's output)
			}
			if !strings.HasPrefix(c.url, "ws://127.0.0.1:") {
				r.err = fmt.Errorf("serving child announced %q", line)
			}
			r.chains = append(r.chains, c)
		}
		r.err = fmt.Errorf("serving child exited before it was ready (%v)", sc.Err())
		done <- r
	}()
	select {
	case r := <-done:
		if r.err == nil && len(r.chains) != n {
			r.err = fmt.Errorf("serving child announced %d chains, want %d", len(r.chains), n)
		}
		if r.err != nil {
			b.Fatal(r.err)
		}
		return r.chains, cmd.Process.Pid
	case <-time.After(2 * time.Minute):
		b.Fatal("serving child not ready after 2 minutes")
		return nil, 0
	}
}

// selfCPU is the CPU time (user + system) this process has used.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the CPU time (user + system) process pid has used, from /proc (Linux, at
// the usual 100 clock ticks a second); 0 where that cannot be read.
func processCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces: count after it.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(s[i+1:]) // fields[0] is field 3 (state)
	if len(fields) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * (time.Second / 100)
}

// residentBytes is this process's resident set size from /proc (Linux); 0 elsewhere.
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// loadAverage is the 1, 5 and 15 minute load averages from /proc (Linux); "?" elsewhere.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "?"
	}
	return strings.Join(fields[:3], " ")
}
