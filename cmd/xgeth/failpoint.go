package main

import (
	"os"
	"syscall"

	"github.com/ethereum/go-ethereum/log"
	"github.com/xgeth/xgeth/interop/crosssafety"
)

// failpointEnv names a crash point for crash-consistency tests of the real binary:
//
//	XGETH_FAILPOINT=safety-invalidate-after-writeahead
//
// kills the process (SIGKILL, no clean-up) right after the safety engine wrote its first
// invalidation ahead and before it applied it, so a test can prove the restart replays it.
const failpointEnv = "XGETH_FAILPOINT"

func setupFailpoints() {
	switch fp := os.Getenv(failpointEnv); fp {
	case "":
	case "safety-invalidate-after-writeahead":
		crosssafety.AfterWriteAhead = func(d *crosssafety.Decision) {
			if d.Kind == crosssafety.Invalidate {
				log.Warn("Failpoint: killing the process after writing an invalidation ahead", "decision", d.String())
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		}
	default:
		log.Warn("Unknown failpoint ignored", "env", failpointEnv, "value", fp)
	}
}
