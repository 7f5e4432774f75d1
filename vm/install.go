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
		next := gethvm.NativeContractHook
		gethvm.NativeContractHook = func(evm *gethvm.EVM, addr common.Address) gethvm.NativeContract {
			if nc := lookup(evm, addr); nc != nil {
				return nc
			}
			if next != nil {
				return next(evm, addr)
			}
			return nil
		}
	})
}

// lookup is the hook's body. It runs on every CALL, CALLCODE, DELEGATECALL and STATICCALL to
// any address, so it compares the address first and consults the chain only for a hit.
func lookup(evm *gethvm.EVM, addr common.Address) gethvm.NativeContract {
	if addr != params.CrossL2InboxAddress {
		return nil
	}
	if !Active(evm.ChainConfig(), evm.Context.Time) {
		return nil
	}
	return crossL2Inbox{}
}

// Active reports whether the native predeploys serve the chain cfg at block time t: the
// chain's extras enable them and the Lagoon (interop) fork is active at t.
func Active(cfg *gethparams.ChainConfig, t uint64) bool {
	return cfg != nil && cfg.IsLagoon(t) && params.ChainExtrasOf(cfg).NativeInteropPredeploys
}
