package service

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/depset"
)

func testSet(t *testing.T, chains ...depset.Chain) *depset.Set {
	t.Helper()
	set, err := depset.New(chains, 0)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestServiceConfigErrors(t *testing.T) {
	set := testSet(t,
		depset.Chain{ID: *uint256.NewInt(901), BlockTime: 2},
		depset.Chain{ID: *uint256.NewInt(902), BlockTime: 2},
	)
	if _, err := New(Config{DB: memorydb.New()}); err == nil {
		t.Fatal("no dependency set accepted")
	}
	if _, err := New(Config{DepSet: set}); err == nil {
		t.Fatal("no database accepted")
	}
	s, err := New(Config{DepSet: set, DB: memorydb.New(), Failsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Checker().Failsafe() {
		t.Fatal("Config.Failsafe did not start the failsafe on")
	}
	if err := s.SetLocalSource(uint256.NewInt(903), nil); err == nil || !strings.Contains(err.Error(), "903") {
		t.Fatalf("local source of a chain outside the set: %v", err)
	}
	for _, st := range s.InteropStatus() {
		if st.State != "not started" || st.LocalUnsafe != nil {
			t.Fatalf("status before start: %+v", st)
		}
	}
	// No chain is local or reachable: Start names the first one and starts nothing.
	err = s.Start()
	if err == nil || !strings.Contains(err.Error(), "chain 901") || !strings.Contains(err.Error(), "--interop.rpc") {
		t.Fatalf("start with an unreachable chain: %v", err)
	}
}
