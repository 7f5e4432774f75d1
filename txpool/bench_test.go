package txpool

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// The filter runs on every eth_sendRawTransaction. BenchmarkFilterInteropTx minus
// BenchmarkFilterPlainTx is the added cost of an interop transaction (one valid message,
// warm index) over a plain one at admission; the target is under 10 µs.

func benchFilter(b *testing.B, tx *types.Transaction, invalidate bool) {
	w := newWorld(b)
	f := NewFilter(DefaultConfig(uint256.NewInt(dstChain)), w.checker, newHead())
	ctx := context.Background()
	tx.Hash() // the pool has hashed the transaction before it filters it
	if err := f.FilterTxReason(ctx, tx, false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if invalidate {
			f.Invalidate()
		}
		if err := f.FilterTxReason(ctx, tx, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterPlainTx is a transaction without CrossL2Inbox keys: the filter only looks
// at its access list.
func BenchmarkFilterPlainTx(b *testing.B) { benchFilter(b, poolTx(0, 21_000, nil), false) }

// BenchmarkFilterInteropTx is one valid message with the verdict cache defeated (a new
// generation every iteration), so every admission runs a real check against the index.
func BenchmarkFilterInteropTx(b *testing.B) {
	benchFilter(b, interopTx(0, 100_000, msgAt(2, 1)), true)
}

// BenchmarkFilterInteropTxCached is the same transaction answered from the verdict cache
// (a resubmission, or re-validation of a pooled transaction within one generation).
func BenchmarkFilterInteropTxCached(b *testing.B) {
	benchFilter(b, interopTx(0, 100_000, msgAt(2, 1)), false)
}
