package follower

import (
	"testing"

	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/logindex"
)

// newIndex is the real log index of the test chain over an in-memory database.
func newIndex(t testing.TB) *logindex.ChainIndex {
	t.Helper()
	idx, err := logindex.Open(memorydb.New(), uint256.NewInt(testChainID), logindex.Options{Retention: logindex.NoPruning})
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// failingIndex is an index whose Append fails (a broken disk).
type failingIndex struct {
	logindex.Writer
	err error
}

func (f *failingIndex) Append(*logindex.Block) error { return f.err }
