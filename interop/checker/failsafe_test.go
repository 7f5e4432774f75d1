package checker

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/safety"
)

func TestFailsafe(t *testing.T) {
	logs := new(logCapture)
	w := newWorld(t, Config{Logger: logs.logger()})
	ck := w.checker
	if ck.Failsafe() {
		t.Fatal("failsafe on at start")
	}
	if _, _, on := ck.FailsafeReason(); on {
		t.Fatal("FailsafeReason reports on at start")
	}

	ck.SetFailsafe(true, "admin_setFailsafeEnabled")
	if !ck.Failsafe() || failsafeGauge.Snapshot().Value() != 1 {
		t.Fatalf("failsafe %v, gauge %d after enabling", ck.Failsafe(), failsafeGauge.Snapshot().Value())
	}
	reason, since, on := ck.FailsafeReason()
	if !on || reason != "admin_setFailsafeEnabled" || since.IsZero() {
		t.Errorf("FailsafeReason = %q, %v, %v", reason, since, on)
	}
	// Every list with interop entries is rejected with −320602 before anything else,
	// even a malformed or oversized one, without touching the index.
	for name, entries := range map[string][]common.Hash{
		"valid":     enc(valid20),
		"malformed": {{0x03}},
		"oversized": make([]common.Hash, DefaultMaxEntries+1),
	} {
		w.calls.Store(0)
		err := ck.CheckAccessList(context.Background(), entries, safety.Unsafe, desc(nextTS))
		checkOutcome(t, err, ErrFailsafe, rpcerr.FailsafeEnabled, false, "failsafe enabled")
		if code, _ := rpcerr.CodeOf(err); code != -320602 {
			t.Errorf("%s: code %d, want -320602", name, code)
		}
		if w.calls.Load() != 0 {
			t.Errorf("%s: index read while the failsafe is on", name)
		}
	}
	// An empty list is not an interop transaction: not rejected.
	if err := ck.CheckAccessList(context.Background(), nil, safety.Unsafe, desc(nextTS)); err != nil {
		t.Errorf("empty list rejected while the failsafe is on: %v", err)
	}
	// A second trip keeps the first reason.
	ck.TripFailsafe("index corruption on chain 902")
	if reason, _, _ := ck.FailsafeReason(); reason != "admin_setFailsafeEnabled" {
		t.Errorf("reason changed to %q by a second trip", reason)
	}

	ck.SetFailsafe(false, "admin_setFailsafeEnabled")
	if ck.Failsafe() || failsafeGauge.Snapshot().Value() != 0 {
		t.Fatalf("failsafe %v, gauge %d after disabling", ck.Failsafe(), failsafeGauge.Snapshot().Value())
	}
	if err := ck.CheckAccessList(context.Background(), enc(valid20), safety.Unsafe, desc(nextTS)); err != nil {
		t.Errorf("valid list rejected after the failsafe cleared: %v", err)
	}
	// Turning it off twice is a no-op (logged once).
	ck.SetFailsafe(false, "again")

	ck.TripFailsafe("unrecoverable reorg on chain 901")
	if reason, _, _ := ck.FailsafeReason(); reason != "automatic: unrecoverable reorg on chain 901" {
		t.Errorf("automatic trip reason %q", reason)
	}
	ck.SetFailsafe(false, "operator")

	out := logs.String()
	for _, want := range []string{
		`msg="Interop failsafe enabled: rejecting all interop transactions" reason=admin_setFailsafeEnabled`,
		`msg="Interop failsafe tripped again while enabled" reason="automatic: index corruption on chain 902" enabled_by=admin_setFailsafeEnabled`,
		`msg="Interop failsafe disabled: accepting interop transactions again" reason=admin_setFailsafeEnabled enabled_by=admin_setFailsafeEnabled enabled_for=`,
		`reason="automatic: unrecoverable reorg on chain 901"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "Interop failsafe disabled"); n != 2 {
		t.Errorf("%d disable lines, want 2 (one per transition):\n%s", n, out)
	}
}

// TestFailsafeConcurrent toggles the failsafe while checks run (for the race detector):
// every check returns either nil or ErrFailsafe.
func TestFailsafeConcurrent(t *testing.T) {
	w := newWorld(t, Config{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				err := w.checker.CheckAccessList(context.Background(), enc(valid20), safety.Unsafe, desc(nextTS))
				if err != nil && err != ErrFailsafe {
					t.Errorf("unexpected error %v", err)
					return
				}
			}
		}()
	}
	for i := 0; i < 100; i++ {
		w.checker.SetFailsafe(i%2 == 0, "toggle")
	}
	wg.Wait()
	w.checker.SetFailsafe(false, "done")
}
