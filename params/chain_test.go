package params

import (
	"math/big"
	"sync"
	"testing"

	gethparams "github.com/ethereum/go-ethereum/params"
)

func cfgWithID(id *big.Int) *gethparams.ChainConfig { return &gethparams.ChainConfig{ChainID: id} }

func TestChainExtrasDefaultOff(t *testing.T) {
	for _, cfg := range []*gethparams.ChainConfig{nil, {}, cfgWithID(big.NewInt(10)), cfgWithID(big.NewInt(-5))} {
		if got := ChainExtrasOf(cfg); got != (ChainExtras{}) {
			t.Fatalf("ChainExtrasOf(%v) = %+v, want zero value", cfg, got)
		}
	}
}

func TestRegisterChainExtras(t *testing.T) {
	on := ChainExtras{NativeInteropPredeploys: true}
	large, _ := new(big.Int).SetString("0x1000000000000000000000000000000000000000000000000000000000000001", 0)
	largeTwin := new(big.Int).Add(large, big.NewInt(1))
	small := big.NewInt(424201)

	for _, id := range []*big.Int{small, large} {
		if err := RegisterChainExtras(id, on); err != nil {
			t.Fatal(err)
		}
		// A different *big.Int with the same value finds the record.
		if got := ChainExtrasOf(cfgWithID(new(big.Int).Set(id))); got != on {
			t.Fatalf("chain %v: got %+v, want %+v", id, got, on)
		}
	}
	if got := ChainExtrasOf(cfgWithID(largeTwin)); got != (ChainExtras{}) {
		t.Fatalf("unregistered large chain ID sees extras %+v", got)
	}
	if got := ChainExtrasOf(cfgWithID(big.NewInt(424202))); got != (ChainExtras{}) {
		t.Fatalf("unregistered chain ID sees extras %+v", got)
	}
	// Registering the zero value removes the record.
	for _, id := range []*big.Int{small, large} {
		if err := RegisterChainExtras(id, ChainExtras{}); err != nil {
			t.Fatal(err)
		}
		if got := ChainExtrasOf(cfgWithID(id)); got != (ChainExtras{}) {
			t.Fatalf("chain %v after removal: %+v", id, got)
		}
	}
}

func TestRegisterChainExtrasBadIDs(t *testing.T) {
	tooWide := new(big.Int).Lsh(big.NewInt(1), 256)
	for _, id := range []*big.Int{nil, big.NewInt(-1), tooWide} {
		if err := RegisterChainExtras(id, ChainExtras{NativeInteropPredeploys: true}); err == nil {
			t.Fatalf("RegisterChainExtras(%v) accepted", id)
		}
	}
	maxID := new(big.Int).Sub(tooWide, big.NewInt(1))
	if err := RegisterChainExtras(maxID, ChainExtras{NativeInteropPredeploys: true}); err != nil {
		t.Fatalf("2^256-1 refused: %v", err)
	}
	defer RegisterChainExtras(maxID, ChainExtras{})
	if !ChainExtrasOf(cfgWithID(maxID)).NativeInteropPredeploys {
		t.Fatal("2^256-1 not found")
	}
}

// Readers run while writers register other chains; run with -race.
func TestChainExtrasConcurrent(t *testing.T) {
	const base = 7_000_000
	cfg := cfgWithID(big.NewInt(base))
	if err := RegisterChainExtras(cfg.ChainID, ChainExtras{NativeInteropPredeploys: true}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 1; i <= 50; i++ {
				id := big.NewInt(int64(base + w*100 + i))
				RegisterChainExtras(id, ChainExtras{NativeInteropPredeploys: true})
				RegisterChainExtras(id, ChainExtras{})
			}
		}(w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if !ChainExtrasOf(cfg).NativeInteropPredeploys {
					t.Error("registered chain lost its extras")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkChainExtrasOf(b *testing.B) {
	cfg := cfgWithID(big.NewInt(901))
	RegisterChainExtras(cfg.ChainID, ChainExtras{NativeInteropPredeploys: true})
	defer RegisterChainExtras(cfg.ChainID, ChainExtras{})
	b.ReportAllocs()
	for b.Loop() {
		if !ChainExtrasOf(cfg).NativeInteropPredeploys {
			b.Fatal("not found")
		}
	}
}
