package checker

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/safety"
)

// fuzzChains are the executing chains a fuzz input can pick: members with an index,
// without one, empty, the big one, and one outside the set.
var fuzzChains = []uint256.Int{chainA, chainB, chainC, chainE, chainBig, chainOut}

func hashesToBytes(hs []common.Hash) []byte {
	out := make([]byte, 0, 32*len(hs))
	for _, h := range hs {
		out = append(out, h[:]...)
	}
	return out
}

// FuzzCheckAccessList feeds arbitrary entries (the input bytes in 32-byte words) and
// descriptors to a checker over the test world. A check must not panic, must return nil
// or an *rpcerr.Error with a code of the interop table, must be deterministic, and must
// accept only lists whose every message is in the index with its declared checksum.
func FuzzCheckAccessList(f *testing.F) {
	seeds := [][]common.Hash{
		nil,
		enc(valid20),
		enc(valid20, accessAt(chainB, 25, 0), accessAt(chainBig, 30, 2)),
		enc(accessAt(chainA, headBlock+1, 0)),
		enc(accessAt(chainB, prunedBelow-1, 0)),
		enc(accessAt(chainC, 20, 0)),
		enc(withTS(chainA, 20, 1, blockTS(20)+1)),
		{{0x01}, {0x02}, {0x03}},
		{{0x03}},
	}
	for i, s := range seeds {
		f.Add(hashesToBytes(s), uint8(safety.Unsafe), uint8(i), nextTS, uint64(0))
		f.Add(hashesToBytes(s), uint8(safety.CrossUnsafe), uint8(0), blockTS(20)+window, uint64(i))
	}
	w := newWorld(f, Config{MaxEntries: 64})
	f.Fuzz(func(t *testing.T, data []byte, minSafety uint8, execSel uint8, ts, timeout uint64) {
		entries := make([]common.Hash, len(data)/32)
		for i := range entries {
			copy(entries[i][:], data[32*i:])
		}
		d := ExecutingDescriptor{ChainID: fuzzChains[int(execSel)%len(fuzzChains)], Timestamp: ts, Timeout: timeout}
		level := safety.Level(minSafety)
		err := w.checker.CheckAccessList(context.Background(), entries, level, d)
		again := w.checker.CheckAccessList(context.Background(), entries, level, d)
		if (err == nil) != (again == nil) || (err != nil && err.Error() != again.Error()) {
			t.Fatalf("not deterministic: %v / %v", err, again)
		}
		if err != nil {
			e, ok := err.(*rpcerr.Error)
			if !ok {
				t.Fatalf("error %T is not an *rpcerr.Error: %v", err, err)
			}
			if rpcerr.ByCode(e.ErrorCode()) == nil {
				t.Fatalf("error code %d not in the interop table: %v", e.ErrorCode(), err)
			}
			return
		}
		if len(entries) == 0 {
			return
		}
		// Accepted: every message must really be in the index.
		accesses, perr := accesslist.Parse(entries)
		if perr != nil {
			t.Fatalf("accepted a list that does not parse: %v", perr)
		}
		if !level.Ordered() || level > safety.CrossUnsafe {
			t.Fatalf("accepted with minimum safety %v and no safety view", level)
		}
		for i := range accesses {
			a := &accesses[i]
			idx, ok := w.idx.byChain[a.ChainID]
			if !ok {
				t.Fatalf("message %d accepted from chain %s without an index", i, a.ChainID.Dec())
			}
			ref, lh, lerr := idx.LogHash(a.BlockNumber, a.LogIndex)
			if lerr != nil || ref.Timestamp != a.Timestamp || !a.Matches(lh) {
				t.Fatalf("message %d accepted but not in the index: %+v (%v)", i, a, lerr)
			}
			if a.Timestamp > ts || ts-a.Timestamp > window {
				t.Fatalf("message %d accepted outside the expiry window: init %d exec %d", i, a.Timestamp, ts)
			}
		}
	})
}
