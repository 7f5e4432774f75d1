package crosssafety

import (
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/xgeth/xgeth/interop/safety"
)

// Metrics, under interop/safety/: decisions by kind, denied blocks, and per chain the
// head and the lag behind the local-unsafe head of each level.
var (
	decisionsAdvance    = metrics.NewRegisteredCounter("interop/safety/decisions/advance", nil)
	decisionsInvalidate = metrics.NewRegisteredCounter("interop/safety/decisions/invalidate", nil)
	decisionsRewind     = metrics.NewRegisteredCounter("interop/safety/decisions/rewind", nil)
	deniedBlocks        = metrics.NewRegisteredCounter("interop/safety/denied", nil)
)

func (e *Engine) record(d *Decision) {
	switch d.Kind {
	case Advance:
		decisionsAdvance.Inc(1)
	case Invalidate:
		decisionsInvalidate.Inc(1)
		deniedBlocks.Inc(int64(len(d.Denied)))
	case Rewind:
		decisionsRewind.Inc(1)
	}
	if !metrics.Enabled() {
		return
	}
	for _, h := range d.Heads {
		c := e.chains[e.byID[h.Chain]]
		p := "interop/safety/" + c.id.Dec() + "/"
		unsafe, _ := c.idx.Head()
		for _, l := range []struct {
			level safety.Level
			h     head
		}{{safety.CrossUnsafe, c.crossUnsafe}, {safety.Safe, c.crossSafe}, {safety.Finalized, c.finalized}} {
			var n, lag int64
			if l.h.ok {
				n = int64(l.h.ref.Number)
				lag = int64(unsafe.Number) - n
			}
			metrics.GetOrRegisterGauge(p+l.level.String()+"/head", nil).Update(n)
			metrics.GetOrRegisterGauge(p+l.level.String()+"/lag", nil).Update(lag)
		}
	}
}
