//go:build opstack && !linux

package opstack

import "syscall"

func processAttr() *syscall.SysProcAttr { return nil }
