package checker

import (
	"errors"
	"strings"
	"testing"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
)

// execBlock is a block of chain B at number n executing msgs (ExecutingMessage logs at
// log indexes 0, 1, ...).
func execBlock(n uint64, msgs ...message.Message) *logindex.Block {
	b := testBlock(&chainB, n)
	for i, m := range msgs {
		b.ExecMsgs = append(b.ExecMsgs, logindex.ExecMsg{LogIndex: uint32(i), Msg: m})
	}
	return b
}

// execLogAt is block n of chain B whose log at execLog executes m.
func execLogAt(n uint64, execLog uint32, m message.Message) *logindex.Block {
	b := testBlock(&chainB, n)
	b.ExecMsgs = []logindex.ExecMsg{{LogIndex: execLog, Msg: m}}
	return b
}

func TestVerifyBlockExecMsgs(t *testing.T) {
	good := msgAt(chainA, 20, 1)
	otherOrigin := msgAt(chainA, 20, 1)
	otherOrigin.Identifier.Origin[19] ^= 1
	otherPayload := msgAt(chainA, 20, 1)
	otherPayload.MsgHash[31] ^= 1
	wrongTS := msgAt(chainA, 20, 1)
	wrongTS.Identifier.Timestamp++
	unknownChain := msgAt(chainOut, 20, 0)
	inActivation := msgAt(chainA, activationBlock, 0)
	future := msgAt(chainA, headBlock+1, 0)

	cases := []struct {
		name   string
		chain  uint256.Int
		block  *logindex.Block
		setup  func(w *world)
		status Status
		msg    int
		want   error
		says   string
	}{
		{name: "no executing messages", chain: chainB, block: execBlock(30), status: Valid, msg: -1},
		{name: "one valid message", chain: chainB, block: execBlock(30, good), status: Valid, msg: -1},
		{name: "valid messages from three chains", chain: chainB, block: execBlock(30, good, msgAt(chainB, 25, 2), msgAt(chainBig, 30, 0)), status: Valid, msg: -1},
		{name: "same timestamp (POLICY: valid; cycles are cross-safety's)", chain: chainB, block: execBlock(20, good), status: Valid, msg: -1},
		{name: "an earlier log of its own block", chain: chainB, block: execLogAt(30, 2, msgAt(chainB, 30, 1)), status: Valid, msg: -1},
		{
			name: "itself: invalid", chain: chainB, block: execLogAt(30, 2, msgAt(chainB, 30, 2)),
			status: Invalid, msg: 0, want: rules.ErrInitiatedAfterExecuting, says: "initiating log 2, executing log 2",
		},
		{
			name: "a later log of its own block: invalid", chain: chainB, block: execBlock(30, msgAt(chainB, 30, 2)),
			status: Invalid, msg: 0, want: rules.ErrInitiatedAfterExecuting, says: "initiating log 2, executing log 0",
		},
		{
			name: "a block not indexed yet (a payload being imported) executing its own earlier log", chain: chainB,
			block: execLogAt(headBlock+5, 2, msgAt(chainB, headBlock+5, 1)), status: Valid, msg: -1,
		},
		{
			name: "a block not indexed yet executing its own log with another payload", chain: chainB,
			block: execLogAt(headBlock+5, 2, func() message.Message {
				m := msgAt(chainB, headBlock+5, 1)
				m.MsgHash[0] ^= 1
				return m
			}()),
			status: Invalid, msg: 0, want: ErrLogHashMismatch,
		},
		{
			name: "a block not indexed yet executing its own log at another timestamp", chain: chainB,
			block: execLogAt(headBlock+5, 2, func() message.Message {
				m := msgAt(chainB, headBlock+5, 1)
				m.Identifier.Timestamp--
				return m
			}()),
			status: Invalid, msg: 0, want: ErrTimestampMismatch,
		},
		{
			name: "a block not indexed yet executing a log it does not have", chain: chainB,
			block: execLogAt(headBlock+5, logsPerBlock+2, msgAt(chainB, headBlock+5, logsPerBlock+1)), status: Invalid, msg: 0, want: ErrLogNotFound,
		},
		{
			name: "the same log position of the same height on another chain is not its own block", chain: chainB,
			block: execLogAt(30, 0, msgAt(chainA, 30, 2)), status: Valid, msg: -1,
		},
		{
			name: "executing chain outside the set: no verdict", chain: chainOut, block: execBlock(30, good),
			status: Unknown, msg: -1, want: ErrUnknownExecutingChain,
		},
		{
			name: "block at activation + block time − 1", chain: chainB,
			block: func() *logindex.Block {
				b := execBlock(30, good)
				b.Timestamp = activationTime + blockTime - 1
				return b
			}(),
			status: Invalid, msg: -1, want: rules.ErrExecBeforeActivation, says: "block 30 of chain 902",
		},
		{
			name: "initiating chain outside the set", chain: chainB, block: execBlock(30, good, unknownChain),
			status: Invalid, msg: 1, want: ErrUnknownInitiatingChain, says: "block 30, executing message 1 (log 1) of chain 999, block 20, log 0",
		},
		{name: "initiated in the activation block", chain: chainB, block: execBlock(30, inActivation), status: Invalid, msg: 0, want: rules.ErrInitBeforeActivation},
		{name: "initiated in the future", chain: chainB, block: execBlock(19, good), status: Invalid, msg: 0, want: rules.ErrInitiatedInFuture},
		{
			name: "expired: block 604801 s after the message", chain: chainB,
			block:  func() *logindex.Block { b := execBlock(30, good); b.Timestamp = blockTS(20) + window + 1; return b }(),
			status: Invalid, msg: 0, want: rules.ErrExpired,
		},
		{
			name: "expiry: block exactly 604800 s after the message", chain: chainB,
			block:  func() *logindex.Block { b := execBlock(30, good); b.Timestamp = blockTS(20) + window; return b }(),
			status: Valid, msg: -1,
		},
		{name: "other origin", chain: chainB, block: execBlock(30, otherOrigin), status: Invalid, msg: 0, want: ErrLogHashMismatch},
		{name: "other payload", chain: chainB, block: execBlock(30, otherPayload), status: Invalid, msg: 0, want: ErrLogHashMismatch, says: "message hash 0x"},
		{name: "timestamp mismatch", chain: chainB, block: execBlock(30, wrongTS), status: Invalid, msg: 0, want: ErrTimestampMismatch},
		{name: "log index beyond the block's logs", chain: chainB, block: execBlock(30, msgAt(chainA, 20, logsPerBlock)), status: Invalid, msg: 0, want: ErrLogNotFound},
		{name: "source block not indexed yet", chain: chainB, block: execBlock(headBlock+2, future), status: Unknown, msg: 0, want: ErrBlockNotIndexed},
		{
			name: "source block above the head declared at the head's timestamp", chain: chainB,
			block: execBlock(headBlock+2, func() message.Message {
				m := msgAt(chainA, headBlock+1, 0)
				m.Identifier.Timestamp = blockTS(headBlock)
				return m
			}()),
			status: Invalid, msg: 0, want: ErrTimestampMismatch,
		},
		{name: "source chain without index", chain: chainB, block: execBlock(30, msgAt(chainC, 20, 0)), status: Unknown, msg: 0, want: ErrNotIndexed},
		{name: "source chain empty", chain: chainB, block: execBlock(30, msgAt(chainE, 20, 0)), status: Unknown, msg: 0, want: ErrNotIndexed},
		{name: "source block pruned", chain: chainA, block: func() *logindex.Block {
			b := execBlock(30, msgAt(chainB, prunedBelow-1, 0))
			return b
		}(), status: Unknown, msg: 0, want: ErrBlockPruned},
		{
			name: "corrupt index: no verdict", chain: chainB, block: execBlock(30, good),
			setup:  func(w *world) { w.idx.byChain[chainA].corrupt[20] = true },
			status: Unknown, msg: 0, want: ErrIndexCorrupt,
		},
		{
			name: "invalid wins over an earlier unknown", chain: chainB, block: execBlock(headBlock+2, future, otherOrigin),
			status: Invalid, msg: 1, want: ErrLogHashMismatch,
		},
		{
			name: "first unknown is reported", chain: chainB, block: execBlock(headBlock+2, good, future, msgAt(chainC, 20, 0)),
			status: Unknown, msg: 1, want: ErrBlockNotIndexed,
		},
		{
			name: "a cheap rule on a later message wins over an unknown lookup", chain: chainB,
			block:  execBlock(headBlock+2, future, unknownChain),
			status: Invalid, msg: 1, want: ErrUnknownInitiatingChain,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, Config{})
			if c.setup != nil {
				c.setup(w)
			}
			v := w.checker.VerifyBlockExecMsgs(&c.chain, c.block)
			if v.Status != c.status || v.Msg != c.msg {
				t.Fatalf("verdict %v at message %d (%v), want %v at %d", v.Status, v.Msg, v.Err, c.status, c.msg)
			}
			if c.want == nil {
				if v.Err != nil {
					t.Fatalf("error %v with a valid verdict", v.Err)
				}
				return
			}
			if !errors.Is(v.Err, c.want) {
				t.Errorf("error %v, want %v", v.Err, c.want)
			}
			if _, ok := v.Err.(*rpcerr.Error); !ok {
				t.Errorf("error %T is not an *rpcerr.Error", v.Err)
			}
			if c.says != "" && !strings.Contains(v.Err.Error(), c.says) {
				t.Errorf("error %q does not say %q", v.Err, c.says)
			}
		})
	}
}

// VerifyBlockExecMsgs ignores the failsafe: other nodes' blocks are still judged.
func TestVerifyIgnoresFailsafe(t *testing.T) {
	w := newWorld(t, Config{})
	w.checker.SetFailsafe(true, "test")
	defer w.checker.SetFailsafe(false, "test")
	if v := w.checker.VerifyBlockExecMsgs(&chainB, execBlock(30, msgAt(chainA, 20, 1))); v.Status != Valid {
		t.Fatalf("verdict %v (%v) with the failsafe on", v.Status, v.Err)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{Valid: "valid", Invalid: "invalid", Unknown: "unknown", 0: "Status(?)"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", s, s.String(), want)
		}
	}
}
