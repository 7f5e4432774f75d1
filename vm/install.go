package vm

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/xgeth/xgeth/params"
)

var installOnce sync.Once

// Install sets op-geth's process-global vm.NativeContractHook so that every EVM in the process
// (block import, block building, eth_call, eth_estimateGas, tracing) serves xgeth's native
// predeploys on the chains that enable them. Call it once at start-up, before any EVM runs;
// later calls do nothing. A hook installed earlier by someone else keeps answering for every
// address xgeth does not serve.
//
// Install alone changes nothing for any chain: a chain opts in with params.RegisterChainExtras.
func Install() {
	installOnce.Do(func() {
		gethvm.NativeContractHook = hookBefore(gethvm.NativeContractHook)
	})
}

// hookBefore returns a hook that serves xgeth's native contracts and asks next (if any) about
// every other address.
func hookBefore(next func(*gethvm.EVM, common.Address) gethvm.NativeContract) func(*gethvm.EVM, common.Address) gethvm.NativeContract {
	if next == nil {
		return lookup
	}
	return func(evm *gethvm.EVM, addr common.Address) gethvm.NativeContract {
		if nc := lookup(evm, addr); nc != nil {
			return nc
		}
		return next(evm, addr)
	}
}

// lookup is the hook's body. It runs on every CALL, CALLCODE, DELEGATECALL and STATICCALL to
// any address, so it rejects on the first byte (every native address starts with 0x42),
// then looks the address up, and consults the chain only for a hit.
func lookup(evm *gethvm.EVM, addr common.Address) gethvm.NativeContract {
	if addr[0] != 0x42 {
		return nil
	}
	n, ok := natives[addr]
	if !ok || !n.enabled(evm.ChainConfig(), evm.Context.Time) {
		return nil
	}
	return n.contract
}

func init() { register(params.CrossL2InboxAddress, crossL2Inbox{}, Active) }

// Active reports whether the native predeploys serve the chain cfg at block time t: the
// chain's extras enable them and the Lagoon (interop) fork is active at t.
func Active(cfg *gethparams.ChainConfig, t uint64) bool {
	return cfg != nil && cfg.IsLagoon(t) && params.ChainExtrasOf(cfg).NativeInteropPredeploys
}
