package checker

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/xgeth/xgeth/interop/safety"
)

func TestMetricNames(t *testing.T) {
	for _, name := range []string{
		"interop/checks/result/ok", "interop/checks/result/invalid", "interop/checks/result/noverdict",
		"interop/checks/reason/ok", "interop/checks/reason/checksum_mismatch", "interop/checks/reason/block_not_indexed",
		"interop/checks/reason/failsafe", "interop/checks/reason/malformed", "interop/checks/reason/expired",
		"interop/checks/messages", "interop/checks/latency", "interop/checks/failsafe",
		"interop/checks/blocks/valid", "interop/checks/blocks/invalid", "interop/checks/blocks/unknown",
	} {
		if metrics.DefaultRegistry.Get(name) == nil {
			t.Errorf("metric %s not registered", name)
		}
	}
	for r := reason(0); r < numReasons; r++ {
		if reasonNames[r] == "" {
			t.Errorf("reason %d has no name", r)
		}
	}
}

// TestMetricCounts checks that each outcome moves its result and reason counters.
func TestMetricCounts(t *testing.T) {
	w := newWorld(t, Config{})
	bad := valid20
	bad.Checksum[31] ^= 1
	cases := []struct {
		entries []common.Hash
		ts      uint64
		result  *metrics.Counter
		reason  reason
		msgs    int64
	}{
		{enc(valid20, valid20), nextTS, checksOK, reasonOK, 2},
		{enc(bad), nextTS, checksInvalid, reasonChecksum, 1},
		{enc(accessAt(chainA, headBlock+1, 0)), blockTS(headBlock + 2), checksNoVerdict, reasonBlockFuture, 1},
		{[]common.Hash{{0x03}}, nextTS, checksInvalid, reasonMalformed, 0},
		{enc(valid20), blockTS(20) + window + 1, checksInvalid, reasonExpired, 0},
	}
	for _, c := range cases {
		res, rsn, msgs := c.result.Snapshot().Count(), checksByReason[c.reason].Snapshot().Count(), checkedMessages.Snapshot().Count()
		w.checker.CheckAccessList(context.Background(), c.entries, safety.Unsafe, desc(c.ts))
		if d := c.result.Snapshot().Count() - res; d != 1 {
			t.Errorf("%s: result counter moved by %d", reasonNames[c.reason], d)
		}
		if d := checksByReason[c.reason].Snapshot().Count() - rsn; d != 1 {
			t.Errorf("%s: reason counter moved by %d", reasonNames[c.reason], d)
		}
		if d := checkedMessages.Snapshot().Count() - msgs; d != c.msgs {
			t.Errorf("%s: %d messages counted, want %d", reasonNames[c.reason], d, c.msgs)
		}
	}
	valid, invalid := blocksValid.Snapshot().Count(), blocksInvalid.Snapshot().Count()
	w.checker.VerifyBlockExecMsgs(&chainB, execBlock(30, msgAt(chainA, 20, 1)))
	w.checker.VerifyBlockExecMsgs(&chainB, execBlock(19, msgAt(chainA, 20, 1)))
	if blocksValid.Snapshot().Count()-valid != 1 || blocksInvalid.Snapshot().Count()-invalid != 1 {
		t.Error("block verdict counters did not move")
	}
}
