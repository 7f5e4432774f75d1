package params

import (
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"

	gethparams "github.com/ethereum/go-ethereum/params"
)

// ChainExtras are xgeth's own chain-configuration switches, kept beside op-geth's
// params.ChainConfig rather than inside it (op-geth's type is not ours to extend). The zero
// value is "a standard OP chain": every switch is off, and xgeth changes no consensus rule.
type ChainExtras struct {
	// NativeInteropPredeploys serves the interop predeploys (CrossL2Inbox, …) from Go code
	// with fixed, documented gas instead of the Solidity contracts in state, from the Lagoon
	// fork on. It changes gas, receipts and state roots compared with the reference
	// predeploys, so it is for devnets and new chains only, never for an existing OP chain.
	NativeInteropPredeploys bool `json:"nativeInteropPredeploys,omitempty"`

	// DevnetCheats serves the native "devnet cheats" contract (vm.DevnetCheatsAddress), which
	// sets code, balance, nonce or storage of any account when a deposit transaction from
	// the devnet system address (vm.DevnetCheatsCaller) calls it. `xgeth devnet` uses it to
	// carry anvil_setCode and its siblings in blocks, so that re-executing the chain agrees.
	// On a real chain anyone who can make such a deposit could rewrite any account: it is
	// for devnets only, never for a chain with an L1 or value at stake.
	DevnetCheats bool `json:"devnetCheats,omitempty"`
}

// extrasTable is an immutable snapshot of the registry. Lookups read it through an atomic
// pointer without locking; writers copy it, change the copy and swap the pointer.
type extrasTable struct {
	small map[uint64]ChainExtras // chain IDs below 2^64: the fast path, no allocation
	large map[string]ChainExtras // larger chain IDs, keyed by their big-endian bytes
}

var (
	extrasMu  sync.Mutex // serialises writers
	extrasTab atomic.Pointer[extrasTable]
)

// RegisterChainExtras records the extras of the chain with the given ID for the whole
// process, replacing any earlier record; registering the zero value removes it. Call it
// before any block of that chain is processed: the EVM consults the registry on every call
// to a predeploy address, and changing the record of a running chain changes its consensus
// rules midway. It is safe for concurrent use with ChainExtrasOf.
//
// It returns an error for a nil, negative or wider than 256-bit chain ID.
func RegisterChainExtras(chainID *big.Int, e ChainExtras) error {
	if chainID == nil || chainID.Sign() < 0 || chainID.BitLen() > 256 {
		return fmt.Errorf("params: invalid chain ID %v for chain extras", chainID)
	}
	extrasMu.Lock()
	defer extrasMu.Unlock()

	next := &extrasTable{small: map[uint64]ChainExtras{}, large: map[string]ChainExtras{}}
	if cur := extrasTab.Load(); cur != nil {
		for k, v := range cur.small {
			next.small[k] = v
		}
		for k, v := range cur.large {
			next.large[k] = v
		}
	}
	zero := e == ChainExtras{}
	if chainID.IsUint64() {
		if zero {
			delete(next.small, chainID.Uint64())
		} else {
			next.small[chainID.Uint64()] = e
		}
	} else {
		if zero {
			delete(next.large, string(chainID.Bytes()))
		} else {
			next.large[string(chainID.Bytes())] = e
		}
	}
	extrasTab.Store(next)
	return nil
}

// ChainExtrasOf returns the extras registered for cfg's chain ID, or the zero value (all
// switches off) when none are registered or cfg has no chain ID. It does not lock and does
// not allocate for chain IDs below 2^64.
func ChainExtrasOf(cfg *gethparams.ChainConfig) ChainExtras {
	if cfg == nil || cfg.ChainID == nil {
		return ChainExtras{}
	}
	tab := extrasTab.Load()
	if tab == nil {
		return ChainExtras{}
	}
	id := cfg.ChainID
	if id.IsUint64() {
		return tab.small[id.Uint64()]
	}
	if id.Sign() < 0 || len(tab.large) == 0 {
		return ChainExtras{}
	}
	return tab.large[string(id.Bytes())]
}
