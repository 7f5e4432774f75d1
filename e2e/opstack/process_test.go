//go:build opstack

package opstack

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one external program of the system (geth, the EL under test, op-node, op-batcher),
// its output in <Dir>/<Name>.log. A process the test did not stop on purpose must stay alive:
// the system's waits fail the test, with the log's tail, as soon as one exits.
type Process struct {
	Name    string
	LogPath string
	Args    []string // program and arguments, for Start again after Stop or Kill

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // exit status, valid once done is closed
	stopped bool  // Stop or Kill was called: an exit is expected
	starts  int
}

// start launches the process; output is appended to LogPath (a restart keeps the earlier run's
// lines, after a separator).
func (p *Process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !p.exitedLocked() {
		return fmt.Errorf("%s is already running (pid %d)", p.Name, p.cmd.Process.Pid)
	}
	f, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if p.starts > 0 {
		fmt.Fprintf(f, "\n===== e2e: restart %d of %s at %s =====\n\n", p.starts, p.Name, time.Now().Format(time.RFC3339Nano))
	}
	cmd := exec.Command(p.Args[0], p.Args[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = processAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.cmd, p.done, p.err, p.stopped = cmd, make(chan struct{}), nil, false
	p.starts++
	done := p.done
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

func (p *Process) exitedLocked() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Pid is the operating-system id of the current run (0 before the first start).
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// unexpectedExit reports whether the process ended although nobody stopped it, and how.
func (p *Process) unexpectedExit() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.stopped || !p.exitedLocked() {
		return false, nil
	}
	return true, p.err
}

// Stop asks the process to shut down (SIGTERM) and waits up to grace for it, then kills it.
func (p *Process) Stop(grace time.Duration) error {
	return p.signal(syscall.SIGTERM, grace)
}

// Kill ends the process with SIGKILL (no shutdown path runs: a crash) and waits for it.
func (p *Process) Kill() error {
	return p.signal(syscall.SIGKILL, 0)
}

func (p *Process) signal(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	if p.cmd == nil || p.exitedLocked() {
		p.stopped = true
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	proc, done := p.cmd.Process, p.done
	p.mu.Unlock()
	if err := proc.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", p.Name, err)
	}
	if sig != syscall.SIGKILL {
		select {
		case <-done:
			return nil
		case <-time.After(grace):
			proc.Signal(syscall.SIGKILL)
		}
	}
	<-done
	return nil
}

// Tail is the last n lines of the process's log.
func (p *Process) Tail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// LogContains reports whether the process's log holds s (for assertions on what a node said).
func (p *Process) LogContains(s string) bool {
	data, err := os.ReadFile(p.LogPath)
	return err == nil && strings.Contains(string(data), s)
}

// portPool hands out free TCP ports on 127.0.0.1, never the same one twice in a system (a port
// stays reserved for a process that is restarted on it).
type portPool struct {
	mu   sync.Mutex
	used map[int]bool
}

func (pp *portPool) take() (int, error) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.used == nil {
		pp.used = make(map[int]bool)
	}
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !pp.used[port] {
			pp.used[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port found")
}
