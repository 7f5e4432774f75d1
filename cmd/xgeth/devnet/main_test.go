package devnet_test

import (
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/log"
)

// Most end-to-end tests here wait on 1 s blocks and run in parallel (t.Parallel). The tests
// of e2e_test.go do not: they read the process-wide interop metrics, and Go runs the
// parallel tests only after the sequential ones have finished.
func TestMain(m *testing.M) {
	// Node logs at warning level and above help when an end-to-end test fails.
	log.SetDefault(log.NewLogger(log.NewTerminalHandlerWithLevel(os.Stderr, log.LevelWarn, false)))
	os.Exit(m.Run())
}
