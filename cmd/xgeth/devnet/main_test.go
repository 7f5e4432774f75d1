package devnet_test

import (
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/log"
)

func TestMain(m *testing.M) {
	// Node logs at warning level and above help when an end-to-end test fails.
	log.SetDefault(log.NewLogger(log.NewTerminalHandlerWithLevel(os.Stderr, log.LevelWarn, false)))
	os.Exit(m.Run())
}
