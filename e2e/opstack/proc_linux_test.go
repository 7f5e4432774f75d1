//go:build opstack && linux

package opstack

import "syscall"

// processAttr makes a child die with the test binary (go test's -timeout panics without running
// t.Cleanup), so no node outlives the run that started it.
func processAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
