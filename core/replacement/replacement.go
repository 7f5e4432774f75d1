// Package replacement builds the deposits-only replacement of an invalid block (Holocene):
// the same payload attributes with only the deposit transactions and no pool transactions.
// It is a block-level rule that acts on a node; the decision that a block is invalid is the
// safety engine's.
package replacement

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// ErrNoAttributes: there is nothing to replace from.
var ErrNoAttributes = errors.New("replacement: no payload attributes")

// DepositsOnly returns a copy of attrs that builds the replacement: the forced transactions
// cut to the deposits (type 0x7E, which come first), and no pool transactions. Everything
// else (timestamp, prevRandao, fee recipient, gas limit, EIP-1559 parameters, …) is kept, so
// the replacement has the same height and time as the block it replaces. A forced
// transaction that cannot be decoded is an error: attributes are the consensus client's and
// must be well formed.
func DepositsOnly(attrs *engine.PayloadAttributes) (*engine.PayloadAttributes, error) {
	if attrs == nil {
		return nil, ErrNoAttributes
	}
	out := *attrs
	out.Transactions = nil
	for i, raw := range attrs.Transactions {
		var tx types.Transaction
		if err := tx.UnmarshalBinary(raw); err != nil {
			return nil, fmt.Errorf("replacement: forced transaction %d: %w", i, err)
		}
		if tx.Type() != types.DepositTxType {
			continue
		}
		out.Transactions = append(out.Transactions, append(hexutil.Bytes(nil), raw...))
	}
	out.NoTxPool = true
	return &out, nil
}
