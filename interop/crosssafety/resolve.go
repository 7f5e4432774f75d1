package crosssafety

import (
	"errors"
	"fmt"
	"slices"

	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/safety"
	"github.com/xgeth/xgeth/interop/superroot"
)

// decide computes the next decision from the engine's state and the indexes. It changes
// nothing: apply does. Order: rewinds first (a reorg re-opens decisions before anything
// builds on them), then cross-unsafe and cross-safe progress, then finalization.
//
// Progress is one decision for every chain that can advance at the level, each judged
// with the heads the chains before it in the decision reach (as if decided one after the
// other). Catching up, chains advance in turns, each as far as the others let it: a
// decision per chain would scan, evaluate and verify again every waiting chain for each
// chain that moves, a cost growing with the square of the number of chains.
func (e *Engine) decide() Decision {
	if d, ok := e.unsafeRewind(); ok {
		return d
	}
	if d, ok := e.safeRewind(); ok {
		return d
	}
	var waited string
	for l, level := range [...]safety.Level{safety.CrossUnsafe, safety.Safe} {
		progress := Decision{Kind: Advance, Level: level}
		moved := map[int]head{}
		for i, c := range e.chains {
			if _, ok := moved[i]; ok {
				continue
			}
			d := e.evalChain(i, level, moved)
			switch {
			case d.Kind == Advance:
				if !slices.ContainsFunc(d.Heads, func(h ChainHead) bool { _, ok := moved[e.byID[h.Chain]]; return ok }) {
					for _, h := range d.Heads {
						moved[e.byID[h.Chain]] = head{h.Block, true}
					}
					progress.Heads = append(progress.Heads, d.Heads...)
					progress.records = append(progress.records, d.records...)
				}
				// A group with a chain this decision already moves is judged again next.
				continue
			case d.Kind != Wait:
				if len(progress.Heads) > 0 {
					return progress // the invalidation is found again next
				}
				return d
			}
			c.waitNext[l] = d.Reason // diagnostics only: published when the engine waits
			if waited == "" && d.Reason != "" {
				waited = d.Reason
			}
		}
		if len(progress.Heads) > 0 {
			return progress
		}
	}
	if d, ok := e.finalize(); ok {
		return d
	}
	return Decision{Kind: Wait, Reason: waited}
}

func (e *Engine) levelHead(c *chainState, level safety.Level) head {
	if level == safety.Safe {
		return c.crossSafe
	}
	return c.crossUnsafe
}

// canonical reports whether h is the block the index has at its height; known is false
// when the index cannot say (a read failure, or the height is pruned).
func canonical(c *chainState, h head) (is, known bool) {
	ref, err := c.idx.BlockRef(h.ref.Number)
	switch {
	case err == nil:
		return ref.Hash == h.ref.Hash, true
	case errors.Is(err, logindex.ErrFuture) || errors.Is(err, logindex.ErrEmpty):
		return false, true
	}
	return false, false
}

// unsafeRewind finds a chain whose cross-unsafe head the index no longer has (a reorg of
// unsafe blocks) and moves it back to the newest block the index still has, together
// with every block of any chain that depended on a removed block.
func (e *Engine) unsafeRewind() (Decision, bool) {
	for i, c := range e.chains {
		if !c.crossUnsafe.ok {
			continue
		}
		if is, known := canonical(c, c.crossUnsafe); is || !known {
			continue
		}
		target := e.commonHead(c)
		if c.finalized.ok && (!target.ok || target.ref.Number < c.finalized.ref.Number) {
			// The chain reorged below its finalized block: that cannot be followed.
			if c.crossUnsafe.ref == c.finalized.ref {
				continue // already halted there; the log below said so
			}
			e.log.Error("Chain reorged below its finalized block, halting its safety", "chain", c.id.Dec(), "finalized", c.finalized.ref.Number)
			target = c.finalized
		}
		heads := map[int]head{i: target}
		e.cascade(heads, safety.CrossUnsafe)
		return e.rewindDecision(safety.CrossUnsafe, heads, fmt.Sprintf("chain %s reorged below its cross-unsafe block %d", c.id.Dec(), c.crossUnsafe.ref.Number)), true
	}
	return Decision{}, false
}

// commonHead is the newest promoted block of c that the index still has.
func (e *Engine) commonHead(c *chainState) head {
	for j := len(c.recs) - 1; j >= 0; j-- {
		h := head{c.recs[j].ref, true}
		if is, _ := canonical(c, h); is {
			return h
		}
	}
	for _, h := range []head{c.crossSafe, c.finalized} {
		if h.ok {
			if is, _ := canonical(c, h); is {
				return h
			}
		}
	}
	return head{}
}

// safeRewind follows a local-safe label that went back below cross-safe (an L1 reorg).
func (e *Engine) safeRewind() (Decision, bool) {
	for i, c := range e.chains {
		if !c.crossSafe.ok || !c.localSafe.ok || c.localSafe.ref.Number >= c.crossSafe.ref.Number {
			continue
		}
		target := head{c.localSafe.ref, true}
		if c.finalized.ok && target.ref.Number < c.finalized.ref.Number {
			continue // a label below finalized changes nothing finalized
		}
		heads := map[int]head{i: target}
		e.cascade(heads, safety.Safe)
		return e.rewindDecision(safety.Safe, heads, fmt.Sprintf("local-safe label of chain %s went back to block %d", c.id.Dec(), target.ref.Number)), true
	}
	return Decision{}, false
}

// cascade adds to heads every chain whose level head must move back because one of its
// promoted blocks depends on a block above the new head of a chain in heads, until
// nothing more moves.
func (e *Engine) cascade(heads map[int]head, level safety.Level) {
	for changed := true; changed; {
		changed = false
		for y, c := range e.chains {
			cur := e.levelHead(c, level)
			if nh, ok := heads[y]; ok {
				cur = nh
			}
			if !cur.ok {
				continue
			}
			for j := range c.recs {
				r := &c.recs[j]
				if r.ref.Number > cur.ref.Number {
					break
				}
				if !e.dependsAbove(r, heads) {
					continue
				}
				heads[y] = e.before(c, j)
				changed = true
				break
			}
		}
	}
}

// dependsAbove reports whether r names a block above the new head of its chain in heads.
func (e *Engine) dependsAbove(r *record, heads map[int]head) bool {
	for _, d := range r.deps {
		nh, moved := heads[d.chain]
		if moved && !nh.covers(d.number) {
			return true
		}
	}
	return false
}

// before is the head just below c.recs[j].
func (e *Engine) before(c *chainState, j int) head {
	if j > 0 {
		return head{c.recs[j-1].ref, true}
	}
	n := c.recs[0].ref.Number
	if c.finalized.ok && c.finalized.ref.Number+1 == n {
		return c.finalized
	}
	if n == 0 {
		return head{}
	}
	if ref, err := c.idx.BlockRef(n - 1); err == nil {
		return head{ref, true}
	}
	return head{}
}

func (e *Engine) rewindDecision(level safety.Level, heads map[int]head, reason string) Decision {
	d := Decision{Kind: Rewind, Level: level, Reason: reason}
	for i, c := range e.chains {
		h, ok := heads[i]
		if !ok {
			continue
		}
		d.Heads = append(d.Heads, ChainHead{Chain: c.id, Block: h.ref, None: !h.ok})
	}
	return d
}

// bound is the highest block of c the level may reach: the index head for cross-unsafe;
// for cross-safe the local-safe label, never above cross-unsafe, and only once the index
// has the labelled block.
func (e *Engine) bound(c *chainState, level safety.Level) (uint64, string) {
	if level == safety.CrossUnsafe {
		h, ok := c.idx.Head()
		if !ok {
			return 0, fmt.Sprintf("chain %s not indexed yet", c.id.Dec())
		}
		return h.Number + 1, ""
	}
	if !c.localSafe.ok {
		return 0, fmt.Sprintf("no local-safe label of chain %s yet", c.id.Dec())
	}
	if !c.crossUnsafe.ok {
		return 0, fmt.Sprintf("chain %s has no cross-unsafe block yet", c.id.Dec())
	}
	ls := c.localSafe.ref
	if ls.Number > c.crossUnsafe.ref.Number {
		// The label must name the indexed block at its height: after a reorg below it, the
		// blocks up to cross-unsafe may not be its ancestors.
		if ref, err := c.idx.BlockRef(ls.Number); err != nil || ref.Hash != ls.Hash {
			return 0, fmt.Sprintf("local-safe block %d of chain %s is not the indexed one", ls.Number, c.id.Dec())
		}
		return c.crossUnsafe.ref.Number + 1, ""
	}
	ref, ok := e.promotedRef(c, ls.Number)
	if !ok || ref.Hash != ls.Hash {
		return 0, fmt.Sprintf("local-safe block %d of chain %s is not the indexed one", ls.Number, c.id.Dec())
	}
	return ls.Number + 1, ""
}

// promotedRef is the ref of a cross-unsafe block of c at number.
func (e *Engine) promotedRef(c *chainState, number uint64) (logindex.BlockRef, bool) {
	if r, ok := c.recordAt(number); ok {
		return r.ref, true
	}
	ref, err := c.idx.BlockRef(number)
	return ref, err == nil
}

// candidate is a block considered for promotion.
type candidate struct {
	chain int
	ref   logindex.BlockRef
	deps  []dep
}

// outcome of evaluating one candidate.
type outcome uint8

const (
	ready outcome = iota + 1
	needGroup
	waits
	invalid
)

// load reads block number of c for promotion at level: its ref and dependencies, and
// (cross-unsafe) the verifier's verdict. A block that cannot be promoted yet gives waits
// with a reason; a block with an invalid message gives invalid with its denial. When only
// a ready block is of use (the block after a run), met gives the heads to judge its
// dependencies by, and a block they do not meet waits, unverified: verifying is most of
// the cost of a catch-up, and such a block is verified when it comes first in a run.
func (e *Engine) load(i int, number uint64, level safety.Level, parent head, met map[int]head) (candidate, outcome, string, *Denial) {
	c := e.chains[i]
	cand := candidate{chain: i}
	if r, ok := c.recordAt(number); ok && level == safety.Safe {
		cand.ref, cand.deps = r.ref, r.deps
	} else {
		ref, msgs, why := readBlock(c, number)
		if why != "" {
			return cand, waits, why, nil
		}
		cand.ref = ref
		if level == safety.Safe {
			cand.deps = e.depsOf(msgs)
			return e.linked(cand, parent)
		}
		if c.isDenied(number, ref.Hash) {
			return cand, waits, fmt.Sprintf("chain %s block %d is denied, awaiting its replacement", c.id.Dec(), number), nil
		}
		cand.deps = e.depsOf(msgs)
		if len(msgs) > 0 {
			if met != nil {
				if out, why := e.depsMet(&cand, level, met); out != ready {
					return cand, waits, why, nil
				}
			}
			v := e.verifier.VerifyBlockExecMsgs(&c.id, &logindex.Block{BlockRef: ref, ExecMsgs: msgs})
			switch v.Status {
			case checker.Invalid:
				return cand, invalid, "", &Denial{Chain: c.id, Block: ref, Reason: v.Err.Error(), Message: v.Msg, Time: uint64(e.now().Unix()), Output: e.outputOf(c, ref)}
			case checker.Valid:
			default:
				why := "no verdict"
				if v.Err != nil {
					why = v.Err.Error()
				}
				return cand, waits, fmt.Sprintf("chain %s block %d: %s", c.id.Dec(), number, why), nil
			}
		}
	}
	return e.linked(cand, parent)
}

// linked is cand ready when it extends parent.
func (e *Engine) linked(cand candidate, parent head) (candidate, outcome, string, *Denial) {
	if parent.ok && cand.ref.ParentHash != parent.ref.Hash {
		return cand, waits, fmt.Sprintf("chain %s block %d does not extend block %d (reorg in progress)", e.chains[cand.chain].id.Dec(), cand.ref.Number, parent.ref.Number), nil
	}
	return cand, ready, "", nil
}

// readBlock reads block number of c and its executing messages from one state of the
// index (the ref is read again after the messages: a rewind in between is seen); why says
// what prevented it.
func readBlock(c *chainState, number uint64) (logindex.BlockRef, []logindex.ExecMsg, string) {
	ref, err := c.idx.BlockRef(number)
	if err != nil {
		return ref, nil, fmt.Sprintf("chain %s block %d: %v", c.id.Dec(), number, err)
	}
	msgs, err := c.idx.ExecMsgs(number)
	if err != nil {
		return ref, nil, fmt.Sprintf("chain %s block %d: %v", c.id.Dec(), number, err)
	}
	if again, err := c.idx.BlockRef(number); err != nil || again.Hash != ref.Hash {
		return ref, nil, fmt.Sprintf("chain %s block %d changed while read", c.id.Dec(), number)
	}
	return ref, msgs, ""
}

// depsMet checks cand's dependencies against the level heads (heads overrides some, for a
// run in progress): ready, needGroup when one is an unpromoted block of the same
// timestamp, or waits.
func (e *Engine) depsMet(cand *candidate, level safety.Level, heads map[int]head) (outcome, string) {
	out := ready
	for _, d := range cand.deps {
		if d.chain == cand.chain && d.number == cand.ref.Number {
			continue // an earlier log of the block itself (the verifier checked the order)
		}
		h, ok := heads[d.chain]
		if !ok {
			h = e.levelHead(e.chains[d.chain], level)
		}
		if h.covers(d.number) {
			continue
		}
		if d.timestamp == cand.ref.Timestamp && d.chain != cand.chain {
			out = needGroup
			continue
		}
		return waits, fmt.Sprintf("chain %s block %d waits for block %d of chain %s to be %s",
			e.chains[cand.chain].id.Dec(), cand.ref.Number, d.number, e.chains[d.chain].id.Dec(), level)
	}
	return out, ""
}

// next is the number of the block that would extend h on c.
func next(c *chainState, h head) (uint64, bool) {
	if h.ok {
		return h.ref.Number + 1, true
	}
	f, ok := c.idx.First()
	return f.Number, ok
}

// evalChain promotes as many consecutive blocks of chain i at level as it can in one
// decision, with the heads of the chains in moved raised to those given (a decision in
// progress); a block that depends on a block of the same timestamp is resolved with its
// group (groups are decided on their own, never within a run).
func (e *Engine) evalChain(i int, level safety.Level, moved map[int]head) Decision {
	c := e.chains[i]
	cur := e.levelHead(c, level)
	n, ok := next(c, cur)
	if !ok {
		return Decision{Kind: Wait, Reason: fmt.Sprintf("chain %s not indexed yet", c.id.Dec())}
	}
	limit, why := e.bound(c, level)
	var run []candidate
	heads := moved // with the run's own head while it lasts
	defer delete(heads, i)
	for n < limit && len(run) < maxRun {
		var met map[int]head
		if len(run) > 0 {
			met = heads
		}
		cand, out, reason, denial := e.load(i, n, level, cur, met)
		if out == ready {
			out, reason = e.depsMet(&cand, level, heads)
		}
		switch out {
		case ready:
			run = append(run, cand)
			cur = head{cand.ref, true}
			heads[i] = cur
			n++
			continue
		case invalid:
			if len(run) == 0 {
				return Decision{Kind: Invalidate, Denied: []Denial{*denial}, Reason: denial.Reason}
			}
		case needGroup:
			if len(run) == 0 {
				return e.resolveGroup(cand, level)
			}
		case waits:
			why = reason
		}
		break
	}
	if len(run) == 0 {
		return Decision{Kind: Wait, Reason: why}
	}
	d := Decision{Kind: Advance, Level: level, Heads: []ChainHead{{Chain: c.id, Block: run[len(run)-1].ref}}}
	if level == safety.CrossUnsafe {
		recs := make([]record, len(run))
		for j := range run {
			recs[j] = record{ref: run[j].ref, deps: run[j].deps}
		}
		d.records = []chainRecords{{chain: i, recs: recs}}
	}
	return d
}

// resolveGroup decides a block that depends on unpromoted blocks of the same timestamp:
// it gathers every block of that timestamp the group depends on (each must be the next
// block of its chain at the level, and have its other dependencies met), then checks the
// group for cycles (cross-unsafe; a group that was acyclic there is acyclic at safe).
func (e *Engine) resolveGroup(start candidate, level safety.Level) Decision {
	members := []candidate{start}
	at := map[int]int{start.chain: 0}
	for m := 0; m < len(members); m++ {
		cand := members[m]
		for _, d := range cand.deps {
			if d.chain == cand.chain || d.timestamp != cand.ref.Timestamp {
				continue
			}
			y := e.chains[d.chain]
			h := e.levelHead(y, level)
			if h.covers(d.number) {
				continue
			}
			if j, ok := at[d.chain]; ok {
				if members[j].ref.Number != d.number {
					return Decision{Kind: Wait, Reason: fmt.Sprintf("chain %s block %d: same-timestamp block %d of chain %s is not its next block", e.chains[cand.chain].id.Dec(), cand.ref.Number, d.number, y.id.Dec())}
				}
				continue
			}
			n, _ := next(y, h)
			if n != d.number {
				return Decision{Kind: Wait, Reason: fmt.Sprintf("chain %s block %d waits for chain %s to reach block %d at %s", e.chains[cand.chain].id.Dec(), cand.ref.Number, y.id.Dec(), d.number, level)}
			}
			if limit, why := e.bound(y, level); d.number >= limit {
				if why == "" {
					why = fmt.Sprintf("block %d of chain %s is not %s yet", d.number, y.id.Dec(), localOf(level))
				}
				return Decision{Kind: Wait, Reason: why}
			}
			other, out, reason, denial := e.load(d.chain, d.number, level, h, nil)
			switch out {
			case invalid:
				return Decision{Kind: Invalidate, Denied: []Denial{*denial}, Reason: denial.Reason}
			case waits:
				return Decision{Kind: Wait, Reason: reason}
			}
			if out, reason := e.depsMet(&other, level, nil); out == waits {
				return Decision{Kind: Wait, Reason: reason}
			}
			at[d.chain] = len(members)
			members = append(members, other)
		}
	}
	if level == safety.CrossUnsafe {
		if cyc := cyclicBlocks(groupOf(members, at)); len(cyc) > 0 {
			d := Decision{Kind: Invalidate, Reason: "same-timestamp dependency cycle"}
			now := uint64(e.now().Unix())
			for _, j := range cyc {
				m := members[j]
				d.Denied = append(d.Denied, Denial{Chain: e.chains[m.chain].id, Block: m.ref, Message: -1, Time: now, Output: e.outputOf(e.chains[m.chain], m.ref),
					Reason: fmt.Sprintf("its executing messages form a dependency cycle with blocks of timestamp %d", m.ref.Timestamp)})
			}
			return d
		}
	}
	d := Decision{Kind: Advance, Level: level}
	for _, m := range members {
		d.Heads = append(d.Heads, ChainHead{Chain: e.chains[m.chain].id, Block: m.ref})
		if level == safety.CrossUnsafe {
			d.records = append(d.records, chainRecords{chain: m.chain, recs: []record{{ref: m.ref, deps: m.deps}}})
		}
	}
	return d
}

func localOf(level safety.Level) string {
	if level == safety.Safe {
		return "local-safe"
	}
	return "indexed"
}

// groupOf builds the cycle-check input of a group.
func groupOf(members []candidate, at map[int]int) []groupBlock {
	out := make([]groupBlock, len(members))
	for j, m := range members {
		gb := &out[j]
		for _, d := range m.deps {
			gb.execLogs = append(gb.execLogs, d.execLog)
			ref := groupRef{block: -1}
			if k, ok := at[d.chain]; ok && d.chain != m.chain && members[k].ref.Number == d.number {
				ref = groupRef{block: k, log: d.log}
			}
			gb.refs = append(gb.refs, ref)
		}
	}
	return out
}

// finalize moves finalized heads to the newest block that is both cross-safe and
// local-finalized.
func (e *Engine) finalize() (Decision, bool) {
	d := Decision{Kind: Advance, Level: safety.Finalized}
	for _, c := range e.chains {
		if !c.crossSafe.ok || !c.localFinalized.ok {
			continue
		}
		lf := c.localFinalized.ref
		target := c.crossSafe.ref
		if lf.Number < target.Number {
			ref, ok := e.promotedRef(c, lf.Number)
			if !ok || ref.Hash != lf.Hash {
				continue
			}
			target = ref
		} else if lf.Number == target.Number && lf.Hash != target.Hash {
			continue
		}
		if c.finalized.ok && target.Number <= c.finalized.ref.Number {
			continue
		}
		d.Heads = append(d.Heads, ChainHead{Chain: c.id, Block: target})
	}
	return d, len(d.Heads) > 0
}

// outputOf is the output of a block about to be denied, when the node can read it.
func (e *Engine) outputOf(c *chainState, ref logindex.BlockRef) *superroot.Output {
	if e.outputs == nil {
		return nil
	}
	return e.outputs(&c.id, ref)
}
