package follower

import (
	"log/slog"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/log"
)

// TestMain shows the follower's logs when FOLLOWER_TEST_LOG is set (to a level: debug, info…).
func TestMain(m *testing.M) {
	if lvl := os.Getenv("FOLLOWER_TEST_LOG"); lvl != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(lvl)); err != nil {
			panic(err)
		}
		log.SetDefault(log.NewLogger(log.NewTerminalHandlerWithLevel(os.Stderr, l, false)))
	}
	os.Exit(m.Run())
}
