package service_test

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/follower"
	"github.com/xgeth/xgeth/interop/service"
)

// importChain is a chain of n blocks, each with one transaction that emits 100 logs.
func importChain(b *testing.B, n int) (*core.Genesis, []*types.Block) {
	b.Helper()
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	emitter := common.Address{0xe0}
	code := bytes.Repeat([]byte{0x60, 0x00, 0x60, 0x00, 0xa0}, 100) // 100 × LOG0(0, 0)
	genesis := &core.Genesis{
		Config:   params.AllEthashProtocolChanges,
		GasLimit: 30_000_000,
		Alloc: types.GenesisAlloc{
			from:    {Balance: new(big.Int).Lsh(big.NewInt(1), 100)},
			emitter: {Code: code},
		},
	}
	signer := types.LatestSigner(genesis.Config)
	_, blocks, _ := core.GenerateChainWithGenesis(genesis, ethash.NewFaker(), n, func(i int, g *core.BlockGen) {
		tx := types.MustSignNewTx(key, signer, &types.LegacyTx{Nonce: uint64(i), To: &emitter, Gas: 100_000, GasPrice: g.BaseFee()})
		g.AddTx(tx)
	})
	return genesis, blocks
}

// BenchmarkImportOverhead measures what indexing and verifying a node's own chain costs
// block import: the same 500 blocks of 100 logs are imported into a fresh chain alone, and
// with the interop service following it in process (log index, follower, safety engine).
// It reports both import times per block and the overhead in percent.
func BenchmarkImportOverhead(b *testing.B) {
	const n = 500
	genesis, blocks := importChain(b, n)
	id := uint256.NewInt(genesis.Config.ChainID.Uint64())
	run := func(withInterop bool) time.Duration {
		bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), genesis, ethash.NewFaker(), core.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		defer bc.Stop()
		var svc *service.Service
		if withInterop {
			set, err := depset.New([]depset.Chain{{ID: *id, ActivationTime: 0, BlockTime: 2}}, 0)
			if err != nil {
				b.Fatal(err)
			}
			svc, err = service.New(service.Config{DepSet: set, DB: memorydb.New()})
			if err != nil {
				b.Fatal(err)
			}
			src := follower.NewLocalSource(bc, func(ev core.ChainHeadEvent) *types.Header { return ev.Header })
			if err := svc.SetLocalSource(id, src); err != nil {
				b.Fatal(err)
			}
			if err := svc.Start(); err != nil {
				b.Fatal(err)
			}
			defer svc.Stop()
		}
		start := time.Now()
		// One block at a time, as a node imports a sequenced or derived block.
		for _, blk := range blocks {
			if _, err := bc.InsertChain(types.Blocks{blk}); err != nil {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(start)
		if withInterop {
			// The index keeps up: it reaches the head shortly after.
			idx, _ := svc.Index(id)
			for deadline := time.Now().Add(time.Minute); ; {
				if h, ok := idx.Head(); ok && h.Number == uint64(n) {
					break
				}
				if time.Now().After(deadline) {
					b.Fatal("the index did not reach the imported head")
				}
				time.Sleep(time.Millisecond)
			}
		}
		return elapsed
	}
	var plain, interop time.Duration
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first, so that warm caches favour neither.
		if i%2 == 0 {
			plain += run(false)
			interop += run(true)
		} else {
			interop += run(true)
			plain += run(false)
		}
	}
	b.ReportMetric(float64(plain.Microseconds())/float64(n*b.N), "µs/block-plain")
	b.ReportMetric(float64(interop.Microseconds())/float64(n*b.N), "µs/block-interop")
	b.ReportMetric(100*(float64(interop)-float64(plain))/float64(plain), "%overhead")
}
