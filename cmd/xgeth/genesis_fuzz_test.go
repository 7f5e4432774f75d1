package main

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
)

// Genesis files are operator input: parseGenesisExtras never panics, and what it accepts
// survives the round trip through the database unchanged.
func FuzzGenesisExtras(f *testing.F) {
	for _, seed := range []string{
		`{"config":{"chainId":901,"xgeth":{"nativeInteropPredeploys":true}}}`,
		`{"config":{"chainId":901}}`,
		`{"config":{"xgeth":null}}`,
		`{"config":{"xgeth":{"nativeInteropPredeploys":"yes"}}}`,
		`{"config":{"xgeth":{"other":1}}}`,
		`{"config":[]}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseGenesisExtras(data)
		if err != nil {
			return
		}
		db := rawdb.NewMemoryDatabase()
		hash := common.Hash{1}
		if err := writeGenesisExtras(db, hash, e); err != nil {
			t.Fatal(err)
		}
		got, err := readGenesisExtras(db, hash)
		if err != nil || got != e {
			t.Fatalf("round trip: %+v (%v), want %+v", got, err, e)
		}
	})
}

func TestGenesisExtrasBadInput(t *testing.T) {
	for _, bad := range []string{
		`{"config":{"xgeth":{"nativeInteropPredeploys":"yes"}}}`,
		`{"config":{"xgeth":{"nativeInteropPredeploy":true}}}`,
		`{"config":{"xgeth":[true]}}`,
		`{"config":{"xgeth":{"nativeInteropPredeploys":true}} `,
		`not json`,
	} {
		if _, err := parseGenesisExtras([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	// A database written by op-geth (no extras) reads as none; a corrupt record is an error.
	db := rawdb.NewMemoryDatabase()
	if e, err := readGenesisExtras(db, common.Hash{2}); err != nil || e.NativeInteropPredeploys {
		t.Fatalf("no record: %+v, %v", e, err)
	}
	db.Put(append(append([]byte{}, genesisExtrasKey...), common.Hash{3}.Bytes()...), []byte("{"))
	if _, err := readGenesisExtras(db, common.Hash{3}); err == nil {
		t.Fatal("corrupt record read without error")
	}
}
