package txpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types/interoptypes"
	ethinterop "github.com/ethereum/go-ethereum/eth/interop"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/safety"
)

// BuilderChecker is what op-geth's eth backend and miner call (ethconfig.Config.InteropChecker,
// patch 0002): the block builder checks the executing messages of every pool transaction
// before including it (patch 0003), and polls the failsafe. It answers with xgeth's
// in-process checker; the failsafe makes the miner skip interop transactions.
type BuilderChecker struct {
	Checker *checker.Checker
}

var _ ethinterop.Checker = (*BuilderChecker)(nil)

// CheckAccessList implements eth/interop.Checker.
func (b *BuilderChecker) CheckAccessList(ctx context.Context, entries []common.Hash, minSafety interoptypes.SafetyLevel, desc interoptypes.ExecutingDescriptor) error {
	lvl, err := safety.Parse(string(minSafety))
	if err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	err = b.Checker.CheckAccessList(ctx, entries, lvl, checker.ExecutingDescriptor{ChainID: desc.ChainID, Timestamp: desc.Timestamp, Timeout: desc.Timeout})
	if errors.Is(err, checker.ErrFailsafe) {
		// op-geth's backend recognises its own sentinel to cache the failsafe state.
		return interoptypes.ErrFailsafeEnabled
	}
	return err
}

// GetFailsafeEnabled implements eth/interop.Checker.
func (b *BuilderChecker) GetFailsafeEnabled(context.Context) (bool, error) {
	return b.Checker.Failsafe(), nil
}
