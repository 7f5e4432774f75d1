package checker

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/internal/vectors"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
	"github.com/xgeth/xgeth/interop/safety"
	"github.com/xgeth/xgeth/params"
)

// enc encodes accesses as the CrossL2Inbox keys of one transaction.
func enc(accesses ...accesslist.Access) []common.Hash { return accesslist.Encode(accesses) }

// valid20 is a valid message of chain A (block 20, log 1) and nextTS the timestamp of the
// block after chain A's indexed head, the executing timestamp of most cases.
var (
	valid20 = accessAt(chainA, 20, 1)
	nextTS  = blockTS(headBlock + 1)
	window  = params.MessageExpiryWindow // 604800
)

// aboveA is chain A's ID with a 1 in 64-bit word w (1..3): the same low 64 bits.
func aboveA(w int) uint256.Int {
	x := chainA
	x[w] = 1
	return x
}

// withTS is a at another timestamp, with the checksum recomputed for it (a consistent
// declaration of a message that is not where it says).
func withTS(chain uint256.Int, n uint64, i uint32, ts uint64) accesslist.Access {
	m := msgAt(chain, n, i)
	m.Identifier.Timestamp = ts
	return accesslist.FromMessage(&m.Identifier, m.MsgHash)
}

// checkCase is one CheckAccessList call on a fresh test world.
type checkCase struct {
	name      string
	entries   []common.Hash
	minSafety safety.Level
	desc      ExecutingDescriptor
	cfg       Config
	setup     func(w *world)
	want      error // nil: valid; else a sentinel the error must match with errors.Is
	also      error // a second sentinel the error must match (e.g. the accesslist cause)
	noVerdict bool  // rpcerr.NoVerdictYet must hold
	lookups   bool  // the case reaches the index (otherwise zero index calls are required)
	says      string
}

func runCheckCases(t *testing.T, cases []checkCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, c.cfg)
			if c.setup != nil {
				c.setup(w)
			}
			ms := c.minSafety
			if ms == 0 {
				ms = safety.Unsafe
			}
			w.calls.Store(0)
			err := w.checker.CheckAccessList(context.Background(), c.entries, ms, c.desc)
			checkOutcome(t, err, c.want, c.also, c.noVerdict, c.says)
			if n := w.calls.Load(); !c.lookups && n != 0 {
				t.Errorf("%d index calls; this case must be decided before any lookup", n)
			}
		})
	}
}

// checkOutcome asserts err against the expectation: nil, or a typed *rpcerr.Error (not
// wrapped, so an rpc server answers with its code) matching want and also, whose
// NoVerdictYet is noVerdict, and whose message contains says.
func checkOutcome(t *testing.T, err, want, also error, noVerdict bool, says string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	if _, ok := err.(*rpcerr.Error); !ok {
		t.Errorf("error %T is not an *rpcerr.Error at the top: %v", err, err)
	}
	if !errors.Is(err, want) {
		t.Errorf("error %q does not match %q", err, want)
	}
	if also != nil && !errors.Is(err, also) {
		t.Errorf("error %q does not match %q", err, also)
	}
	if got := rpcerr.NoVerdictYet(err); got != noVerdict {
		t.Errorf("NoVerdictYet = %v, want %v (error %q)", got, noVerdict, err)
	}
	if says != "" && !strings.Contains(err.Error(), says) {
		t.Errorf("error %q does not say %q", err, says)
	}
}

func TestCheckAccessListRequest(t *testing.T) {
	runCheckCases(t, []checkCase{
		{name: "valid message", entries: enc(valid20), desc: desc(nextTS), lookups: true},
		{name: "empty list is not an interop list", entries: nil, desc: desc(nextTS)},
		{name: "empty non-nil list", entries: []common.Hash{}, desc: desc(nextTS)},
		{
			name: "three valid messages on three chains, big chain ID with extension", desc: desc(nextTS), lookups: true,
			entries: enc(valid20, accessAt(chainB, 25, 0), accessAt(chainBig, 30, 2)),
		},
		{name: "same message twice", entries: enc(valid20, valid20), desc: desc(nextTS), lookups: true},
		{
			name: "executing on chain B", entries: enc(valid20), lookups: true,
			desc: ExecutingDescriptor{ChainID: chainB, Timestamp: nextTS},
		},
		// Size cap (INTEROP.md: cap lists before any lookup).
		{
			name: "cap: exactly MaxEntries", cfg: Config{MaxEntries: 6}, desc: desc(nextTS), lookups: true,
			entries: enc(valid20, valid20, valid20),
		},
		{
			name: "cap: MaxEntries+1", cfg: Config{MaxEntries: 6}, desc: desc(nextTS),
			entries: append(enc(valid20, valid20, valid20), common.Hash{}),
			want:    ErrTooManyEntries, also: rpcerr.InvalidParams, says: "7 entries, at most 6",
		},
		{
			name: "cap: default is 3000", desc: desc(nextTS),
			entries: make([]common.Hash, DefaultMaxEntries+1),
			want:    ErrTooManyEntries, says: "3001 entries, at most 3000",
		},
		// Minimum safety.
		{
			name: "minSafety invalid", entries: enc(valid20), desc: desc(nextTS), minSafety: safety.Invalid,
			want: ErrMinSafety, also: rpcerr.InvalidParams, says: "got invalid",
		},
		{
			name: "minSafety out of range", entries: enc(valid20), desc: desc(nextTS), minSafety: safety.Level(200),
			want: ErrMinSafety, says: "Level(200)",
		},
		// Executing chain (INTEROP.md "ChainID": the dependency set always includes the chain itself).
		{
			name: "unknown executing chain", entries: enc(valid20),
			desc: ExecutingDescriptor{ChainID: chainOut, Timestamp: nextTS},
			want: ErrUnknownExecutingChain, also: rpcerr.UnknownChain, says: "chain 999",
		},
		{
			name: "executing chain ID differs from a member only above 64 bits", entries: enc(valid20),
			desc: ExecutingDescriptor{ChainID: aboveA(2), Timestamp: nextTS},
			want: ErrUnknownExecutingChain,
		},
	})
}

func TestCheckAccessListMinSafetyZero(t *testing.T) {
	w := newWorld(t, Config{})
	err := w.checker.CheckAccessList(context.Background(), enc(valid20), safety.Level(0), desc(nextTS))
	checkOutcome(t, err, ErrMinSafety, rpcerr.InvalidParams, false, "got Level(0)")
}

func TestCheckAccessListRules(t *testing.T) {
	ts20 := blockTS(20)
	runCheckCases(t, []checkCase{
		// Initiating chain.
		{
			name: "unknown initiating chain", entries: enc(accessAt(chainOut, 20, 0)), desc: desc(nextTS),
			want: ErrUnknownInitiatingChain, also: rpcerr.UnknownChain, says: "message 0 (chain 999, block 20, log 0",
		},
		{
			name: "unknown initiating chain after a valid message: no lookup at all", desc: desc(nextTS),
			entries: enc(valid20, accessAt(chainOut, 20, 0)),
			want:    ErrUnknownInitiatingChain, says: "message 1 (chain 999",
		},
		{
			name: "initiating chain 901 + 2^192 (same lookup entry as 901, with an extension)", desc: desc(nextTS),
			entries: enc(accessAt(aboveA(3), 20, 0)),
			want:    ErrUnknownInitiatingChain,
		},
		// Activation: both timestamps ≥ activation + blockTime; the activation block holds
		// only deposits.
		{
			name: "executing at the activation block", entries: enc(valid20),
			desc: desc(activationTime),
			want: rules.ErrExecBeforeActivation, also: rpcerr.Conflict, says: "executing chain 901",
		},
		{
			name: "executing one second before activation + block time", entries: enc(valid20),
			desc: desc(activationTime + blockTime - 1),
			want: rules.ErrExecBeforeActivation,
		},
		{
			name: "executing at activation + block time, message of the same block", lookups: true,
			entries: enc(accessAt(chainA, activationBlock+1, 0)), desc: desc(activationTime + blockTime),
		},
		{
			name: "initiating in the activation block", entries: enc(accessAt(chainA, activationBlock, 0)),
			desc: desc(nextTS), want: rules.ErrInitBeforeActivation, also: rpcerr.Conflict,
			says: "message 0 (chain 901, block 10, log 0",
		},
		{
			name: "initiating before activation", entries: enc(accessAt(chainA, 3, 0)),
			desc: desc(nextTS), want: rules.ErrInitBeforeActivation,
		},
		{
			name: "initiating in the first block after activation", lookups: true,
			entries: enc(accessAt(chainA, activationBlock+1, 0)), desc: desc(nextTS),
		},
		// Timestamp: id.timestamp ≤ T, equality accepted (POLICY).
		{name: "same timestamp accepted (POLICY)", entries: enc(valid20), desc: desc(ts20), lookups: true},
		{
			name: "initiated one second in the future", entries: enc(valid20), desc: desc(ts20 - 1),
			want: rules.ErrInitiatedInFuture, also: rpcerr.Conflict, says: "message 0 (chain 901, block 20, log 1",
		},
		// Expiry: T − id.timestamp ≤ 604800 (equality valid, +1 invalid).
		{name: "expiry: exactly 604800 s later", entries: enc(valid20), desc: desc(ts20 + window), lookups: true},
		{
			name: "expiry: 604801 s later", entries: enc(valid20), desc: desc(ts20 + window + 1),
			want: rules.ErrExpired, also: rpcerr.Conflict,
		},
		// Pool deadline: id.timestamp + 604800 ≥ T + timeout.
		{
			name: "timeout: deadline exactly at expiry", entries: enc(valid20), lookups: true,
			desc: ExecutingDescriptor{ChainID: chainA, Timestamp: ts20 + window - 50, Timeout: 50},
		},
		{
			name: "timeout: expires one second before the deadline", entries: enc(valid20),
			desc: ExecutingDescriptor{ChainID: chainA, Timestamp: ts20 + window - 50, Timeout: 51},
			want: rules.ErrExpiresBeforeTimeout, also: rpcerr.Conflict,
		},
		{
			name: "timeout: 2^64-1 does not wrap around", entries: enc(valid20),
			desc: ExecutingDescriptor{ChainID: chainA, Timestamp: nextTS, Timeout: ^uint64(0)},
			want: rules.ErrExpiresBeforeTimeout,
		},
		{
			name: "expired second message: no lookup at all", entries: enc(valid20, accessAt(chainA, 11, 0)),
			desc: desc(blockTS(11) + window + 1), want: rules.ErrExpired, says: "message 1 (chain 901, block 11",
		},
	})
}

func TestCheckAccessListIndex(t *testing.T) {
	wrongChecksum := valid20
	wrongChecksum.Checksum[31] ^= 1
	// A message with another origin at a real location: its checksum is well formed but
	// commits to another log hash.
	otherOrigin := msgAt(chainA, 20, 1)
	otherOrigin.Identifier.Origin[0] ^= 1
	// Another payload at a real location.
	otherPayload := msgAt(chainA, 20, 1)
	otherPayload.MsgHash[0] ^= 1
	runCheckCases(t, []checkCase{
		{
			name: "chain without an index", entries: enc(accessAt(chainC, 20, 0)), desc: desc(nextTS), lookups: true,
			want: ErrNotIndexed, also: rpcerr.Uninitialized, noVerdict: true, says: "message 0 (chain 903, block 20, log 0",
		},
		{
			name: "chain with nothing indexed", entries: enc(accessAt(chainE, 20, 0)), desc: desc(nextTS), lookups: true,
			want: ErrNotIndexed, also: logindex.ErrEmpty, noVerdict: true,
		},
		{
			name: "block above the indexed head", entries: enc(accessAt(chainA, headBlock+1, 0)), lookups: true,
			desc: desc(blockTS(headBlock + 5)),
			want: ErrBlockNotIndexed, also: rpcerr.Future, noVerdict: true, says: "indexed head 40",
		},
		{
			name: "above the head with the head's timestamp: definitive", lookups: true,
			entries: enc(withTS(chainA, headBlock+1, 0, blockTS(headBlock))), desc: desc(nextTS),
			want: ErrTimestampMismatch, also: rpcerr.Conflict, says: "above the indexed head 40",
		},
		{
			name: "far above the head with an old timestamp: definitive", lookups: true,
			entries: enc(withTS(chainA, 1<<40, 0, blockTS(20))), desc: desc(nextTS),
			want: ErrTimestampMismatch,
		},
		{
			name: "above the head, one second after the head's timestamp: no verdict yet", lookups: true,
			entries: enc(withTS(chainA, headBlock+1, 0, blockTS(headBlock)+1)), desc: desc(nextTS),
			want: ErrBlockNotIndexed, noVerdict: true,
		},
		{
			name: "pruned block", entries: enc(accessAt(chainB, prunedBelow-1, 0)), desc: desc(nextTS), lookups: true,
			want: ErrBlockPruned, also: rpcerr.Uninitialized, noVerdict: true, says: "oldest retained block 20",
		},
		{
			name: "oldest retained block", entries: enc(accessAt(chainB, prunedBelow, 0)), desc: desc(nextTS), lookups: true,
		},
		{
			name: "indexed head", entries: enc(accessAt(chainA, headBlock, 2)), desc: desc(nextTS), lookups: true,
		},
		{
			name: "timestamp does not match the block", entries: enc(withTS(chainA, 20, 1, blockTS(20)+1)),
			desc: desc(nextTS), lookups: true,
			want: ErrTimestampMismatch, also: rpcerr.Conflict, says: "indexed block 20 has timestamp 1000040",
		},
		{
			name: "timestamp of the previous block", entries: enc(withTS(chainA, 20, 1, blockTS(19))),
			desc: desc(nextTS), lookups: true, want: ErrTimestampMismatch,
		},
		{
			name: "log index beyond the block's logs", entries: enc(accessAt(chainA, 20, logsPerBlock)),
			desc: desc(nextTS), lookups: true,
			want: ErrLogNotFound, also: rpcerr.Conflict, says: "block 20 has no log 3",
		},
		{
			name: "log index 2^32-1", entries: enc(accessAt(chainA, 20, ^uint32(0))),
			desc: desc(nextTS), lookups: true, want: ErrLogNotFound,
		},
		{
			name:    "log index beyond the logs and wrong timestamp: the timestamp is reported",
			entries: enc(withTS(chainA, 20, logsPerBlock, blockTS(21))), desc: desc(nextTS), lookups: true,
			want: ErrTimestampMismatch,
		},
		{
			name: "wrong checksum", entries: enc(wrongChecksum), desc: desc(nextTS), lookups: true,
			want: ErrChecksumMismatch, also: rpcerr.Conflict, says: "message 0 (chain 901, block 20, log 1, timestamp 1000040)",
		},
		{
			name: "checksum of another origin", desc: desc(nextTS), lookups: true,
			entries: enc(accesslist.FromMessage(&otherOrigin.Identifier, otherOrigin.MsgHash)), want: ErrChecksumMismatch,
		},
		{
			name: "checksum of another payload", desc: desc(nextTS), lookups: true,
			entries: enc(accesslist.FromMessage(&otherPayload.Identifier, otherPayload.MsgHash)), want: ErrChecksumMismatch,
		},
		{
			name: "checksum of the same log on another chain", desc: desc(nextTS), lookups: true,
			entries: enc(func() accesslist.Access { a := accessAt(chainB, 25, 0); a.ChainID = chainA; return a }()),
			want:    ErrChecksumMismatch,
		},
		{
			name: "second message fails: its position is named", desc: desc(nextTS), lookups: true,
			entries: enc(valid20, accessAt(chainB, 25, 0), wrongChecksum),
			want:    ErrChecksumMismatch, says: "message 2 (chain 901, block 20, log 1",
		},
		{
			name: "corrupt record: DataCorruption, failsafe tripped", desc: desc(nextTS), lookups: true,
			entries: enc(accessAt(chainA, 25, 0)),
			setup:   func(w *world) { w.idx.byChain[chainA].corrupt[25] = true },
			want:    ErrIndexCorrupt, also: logindex.ErrCorrupt,
		},
	})
}

func TestCorruptionTripsFailsafe(t *testing.T) {
	logs := new(logCapture)
	w := newWorld(t, Config{Logger: logs.logger()})
	w.idx.byChain[chainA].corrupt[25] = true
	err := w.checker.CheckAccessList(context.Background(), enc(accessAt(chainA, 25, 0)), safety.Unsafe, desc(nextTS))
	checkOutcome(t, err, ErrIndexCorrupt, rpcerr.DataCorruption, false, "")
	if !w.checker.Failsafe() {
		t.Fatal("failsafe not tripped by index corruption")
	}
	reason, _, _ := w.checker.FailsafeReason()
	if !strings.Contains(reason, "automatic") || !strings.Contains(reason, "chain 901") {
		t.Errorf("failsafe reason %q does not say it was automatic and which chain", reason)
	}
	err = w.checker.CheckAccessList(context.Background(), enc(valid20), safety.Unsafe, desc(nextTS))
	checkOutcome(t, err, ErrFailsafe, rpcerr.FailsafeEnabled, false, "")
	if !strings.Contains(logs.String(), "Interop failsafe enabled") {
		t.Errorf("trip not logged:\n%s", logs)
	}
}

func TestCheckAccessListSafety(t *testing.T) {
	// A view in which chain A is cross-unsafe up to block 20 and safe up to block 15, and
	// chain B has no cross-unsafe block yet; finalized is not tracked.
	notTracked := rpcerr.OutOfScope.Derive("finalized not tracked in this test")
	withView := func(w *world) {
		w.checker.SetSafetyView(&view{
			heads: map[safety.Level]map[uint256.Int]uint64{
				safety.CrossUnsafe: {chainA: 20},
				safety.LocalSafe:   {chainA: 15},
				safety.Safe:        {chainA: 15},
			},
			err: map[safety.Level]error{safety.Finalized: notTracked},
		})
	}
	runCheckCases(t, []checkCase{
		// Without a view: unsafe is the index, cross-unsafe falls back to unsafe (POLICY),
		// the rest is not tracked.
		{name: "no view: unsafe", entries: enc(valid20), desc: desc(nextTS), minSafety: safety.Unsafe, lookups: true},
		{name: "no view: cross-unsafe as unsafe (POLICY)", entries: enc(accessAt(chainA, headBlock, 0)), desc: desc(nextTS), minSafety: safety.CrossUnsafe, lookups: true},
		{
			name: "no view: local-safe not tracked", entries: enc(valid20), desc: desc(nextTS), minSafety: safety.LocalSafe,
			want: ErrSafetyNotTracked, also: rpcerr.OutOfScope, says: "local-safe requested",
		},
		{name: "no view: safe not tracked", entries: enc(valid20), desc: desc(nextTS), minSafety: safety.Safe, want: ErrSafetyNotTracked},
		{name: "no view: finalized not tracked", entries: enc(valid20), desc: desc(nextTS), minSafety: safety.Finalized, want: ErrSafetyNotTracked},
		// With a view.
		{name: "view: unsafe does not ask the view", entries: enc(accessAt(chainA, headBlock, 0)), desc: desc(nextTS), setup: withView, minSafety: safety.Unsafe, lookups: true},
		{name: "view: cross-unsafe head", entries: enc(valid20), desc: desc(nextTS), setup: withView, minSafety: safety.CrossUnsafe, lookups: true},
		{
			name: "view: above the cross-unsafe head", entries: enc(accessAt(chainA, 21, 0)), desc: desc(nextTS), setup: withView,
			minSafety: safety.CrossUnsafe, lookups: true,
			want: ErrSafetyNotReached, also: rpcerr.Future, noVerdict: true, says: "cross-unsafe head is block 20",
		},
		{
			name: "view: no cross-unsafe block of chain B yet", entries: enc(accessAt(chainB, 25, 0)), desc: desc(nextTS), setup: withView,
			minSafety: safety.CrossUnsafe, lookups: true, want: ErrSafetyNotReached, noVerdict: true, says: "no cross-unsafe block yet",
		},
		{name: "view: safe", entries: enc(accessAt(chainA, 15, 0)), desc: desc(nextTS), setup: withView, minSafety: safety.Safe, lookups: true},
		{
			name: "view: above the safe head", entries: enc(accessAt(chainA, 16, 0)), desc: desc(nextTS), setup: withView,
			minSafety: safety.Safe, lookups: true, want: ErrSafetyNotReached, noVerdict: true,
		},
		{
			name: "view: level the view does not track", entries: enc(valid20), desc: desc(nextTS), setup: withView,
			minSafety: safety.Finalized, lookups: true, want: notTracked, also: rpcerr.OutOfScope, says: "message 0 (chain 901, block 20",
		},
		{
			name: "view: a missing log is a conflict before safety is asked", entries: enc(accessAt(chainA, 21, logsPerBlock)),
			desc: desc(nextTS), setup: withView, minSafety: safety.CrossUnsafe, lookups: true, want: ErrLogNotFound,
		},
		{
			name: "view removed again", entries: enc(valid20), desc: desc(nextTS), minSafety: safety.Safe,
			setup: func(w *world) { withView(w); w.checker.SetSafetyView(nil) }, want: ErrSafetyNotTracked,
		},
	})
}

func TestCheckAccessListCanceled(t *testing.T) {
	w := newWorld(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.checker.CheckAccessList(ctx, enc(valid20), safety.Unsafe, desc(nextTS))
	checkOutcome(t, err, ErrCanceled, rpcerr.Future, true, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not match context.Canceled", err)
	}
	// A canceled context does not hide a cheap definitive verdict.
	err = w.checker.CheckAccessList(ctx, enc(accessAt(chainOut, 20, 0)), safety.Unsafe, desc(nextTS))
	checkOutcome(t, err, ErrUnknownInitiatingChain, nil, false, "")
}

// entryFromDescription builds an entry from a parse-error vector's "type 0x01, byte3=0x01".
func entryFromDescription(t *testing.T, desc string) common.Hash {
	t.Helper()
	e, err := vectors.Entry(desc)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestParseErrorVectors runs the conformance parse cases through the checker, alone and
// after a valid message: malformed lists are InvalidParams and cost no lookup; the two
// well-formed ones declare chain 0, which is in no dependency set.
func TestParseErrorVectors(t *testing.T) {
	f := vectors.Load(t)
	for _, c := range f.ParseErrors.Cases {
		var entries []common.Hash
		for _, d := range c.Entries {
			entries = append(entries, entryFromDescription(t, d))
		}
		var want, also error
		switch {
		case strings.HasPrefix(c.Expect, "no interop messages"):
		case strings.HasPrefix(c.Expect, "ok"):
			want = ErrUnknownInitiatingChain
		case c.Expect == "error: malformed (reserved bytes)":
			want, also = ErrMalformed, accesslist.ErrMalformedEntry
		case c.Expect == "error: unexpected end":
			want, also = ErrMalformed, accesslist.ErrUnexpectedEnd
		case strings.HasPrefix(c.Expect, "error: expected lookup"):
			want, also = ErrMalformed, accesslist.ErrExpectedLookup
		case strings.HasPrefix(c.Expect, "error: expected checksum"):
			want, also = ErrMalformed, accesslist.ErrExpectedChecksum
		default:
			t.Fatalf("%s: unknown expectation %q", c.Name, c.Expect)
		}
		says := ""
		if want == ErrMalformed {
			says = strings.TrimPrefix(c.Expect, "error: ")
			if says == "malformed (reserved bytes)" {
				says = "non-zero reserved bytes"
			}
		}
		runCheckCases(t, []checkCase{
			{name: c.Name, entries: entries, desc: desc(nextTS), want: want, also: also, says: says},
		})
		if len(entries) > 0 {
			runCheckCases(t, []checkCase{
				{name: c.Name + " after a valid message", entries: append(enc(valid20), entries...), desc: desc(nextTS), want: want, also: also},
			})
		}
	}
}

// TestTimingVectors runs the conformance timing cases end to end: a chain whose block 7
// has the identifier timestamp, a dependency set with the case's window, and a
// descriptor with the executing timestamp and timeout.
func TestTimingVectors(t *testing.T) {
	f := vectors.Load(t)
	for _, c := range f.Timing.Cases {
		name := c.Expect
		t.Run(name, func(t *testing.T) {
			var window uint64
			if c.Window != nil {
				window = *c.Window
			}
			set, err := depset.New([]depset.Chain{{ID: chainA, ActivationTime: 0, BlockTime: 1}}, window)
			if err != nil {
				t.Fatal(err)
			}
			id := message.Identifier{Origin: common.Address{1}, BlockNumber: 7, LogIndex: 0, Timestamp: c.Init, ChainID: chainA}
			msgHash := common.Hash{2}
			calls := new(atomic.Int64)
			idx := openIndex(t, memorydb.New(), chainA, calls, &logindex.Block{
				BlockRef:  logindex.BlockRef{Number: 7, Timestamp: c.Init},
				LogHashes: []common.Hash{message.LogHash(id.Origin, msgHash)},
			})
			ck := New(set, &indexes{byChain: map[uint256.Int]*reader{chainA: idx}, calls: calls}, Config{})
			d := ExecutingDescriptor{ChainID: chainA, Timestamp: c.Exec}
			if c.Timeout != nil {
				d.Timeout = *c.Timeout
			}
			err = ck.CheckAccessList(context.Background(), enc(accesslist.FromMessage(&id, msgHash)), safety.Unsafe, d)
			var want error
			switch {
			case strings.HasPrefix(c.Expect, "valid"):
			case strings.HasPrefix(c.Expect, "invalid: expired"):
				want = rules.ErrExpired
			case strings.HasPrefix(c.Expect, "invalid: expires before timeout"):
				want = rules.ErrExpiresBeforeTimeout
			case strings.HasPrefix(c.Expect, "invalid: initiated in the future"):
				want = rules.ErrInitiatedInFuture
			default:
				t.Fatalf("unknown expectation %q", c.Expect)
			}
			checkOutcome(t, err, want, nil, false, "")
		})
	}
}

// TestVerdictArrives is the pool's re-validation: a message of a block the index has not
// reached is "no verdict yet"; once the follower appends the block it is valid. Over an
// IndexSet of the real indexes, as a node wires it.
func TestVerdictArrives(t *testing.T) {
	w := newWorld(t, Config{})
	set := IndexSet{}
	for id, r := range w.idx.byChain {
		set[id] = r.ChainIndex
	}
	ck := New(w.set, set, Config{})
	entries := enc(accessAt(chainA, headBlock+1, 2))
	d := desc(blockTS(headBlock + 2))
	err := ck.CheckAccessList(context.Background(), entries, safety.CrossUnsafe, d)
	checkOutcome(t, err, ErrBlockNotIndexed, rpcerr.Future, true, "")
	if err := w.idx.byChain[chainA].Append(testBlock(&chainA, headBlock+1)); err != nil {
		t.Fatal(err)
	}
	if err := ck.CheckAccessList(context.Background(), entries, safety.CrossUnsafe, d); err != nil {
		t.Fatalf("still rejected after the block was indexed: %v", err)
	}
	// A chain the set has but the IndexSet lacks is not indexed.
	err = ck.CheckAccessList(context.Background(), enc(accessAt(chainC, 20, 0)), safety.Unsafe, d)
	checkOutcome(t, err, ErrNotIndexed, rpcerr.Uninitialized, true, "this node does not follow chain 903")
}
