// Package rpcapi is xgeth's interop JSON-RPC surface: interop_checkAccessList and its
// supervisor_checkAccessList twin (the method stock op-geth calls), interop_status, the
// developer lookups, and the failsafe switch (admin_getFailsafeEnabled public,
// admin_setFailsafeEnabled authenticated). It parses and checks parameters strictly and
// delegates every decision to the checker; it holds no state of its own.
package rpcapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/rpcerr"
)

// ErrBadDescriptor: the executing descriptor parameter is malformed (JSON-RPC −32602).
var ErrBadDescriptor = rpcerr.InvalidParams.Derive("invalid executing descriptor")

// Descriptor is the executing-descriptor parameter:
// {"chainID": "<decimal>" | "0x<hex>" | <number>, "timestamp": "0x..", "timeout": "0x.." (optional)}.
// op-geth sends chainID as a decimal string, other callers as hex: both are accepted.
type Descriptor struct {
	checker.ExecutingDescriptor
}

// UnmarshalJSON parses a descriptor strictly: unknown fields, a missing chainID or
// timestamp, or values out of range are errors.
func (d *Descriptor) UnmarshalJSON(input []byte) error {
	var raw struct {
		ChainID   json.RawMessage `json:"chainID"`
		Timestamp *hexutil.Uint64 `json:"timestamp"`
		Timeout   *hexutil.Uint64 `json:"timeout"`
	}
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return ErrBadDescriptor.Wrap(err)
	}
	if len(raw.ChainID) == 0 || string(raw.ChainID) == "null" {
		return ErrBadDescriptor.With("missing chainID")
	}
	id, err := parseChainID(raw.ChainID)
	if err != nil {
		return err
	}
	if raw.Timestamp == nil {
		return ErrBadDescriptor.With("missing timestamp")
	}
	d.ChainID = *id
	d.Timestamp = uint64(*raw.Timestamp)
	d.Timeout = 0
	if raw.Timeout != nil {
		d.Timeout = uint64(*raw.Timeout)
	}
	return nil
}

// MarshalJSON writes the descriptor in op-geth's form (decimal chain ID).
func (d Descriptor) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ChainID   string         `json:"chainID"`
		Timestamp hexutil.Uint64 `json:"timestamp"`
		Timeout   hexutil.Uint64 `json:"timeout"`
	}{d.ChainID.Dec(), hexutil.Uint64(d.Timestamp), hexutil.Uint64(d.Timeout)})
}

// parseChainID accepts a JSON string in decimal or 0x-hex, or a JSON number, up to 2^256−1.
func parseChainID(raw json.RawMessage) (*uint256.Int, error) {
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, ErrBadDescriptor.Wrap(err)
		}
	} else {
		s = string(raw)
	}
	if s == "" {
		return nil, ErrBadDescriptor.With("empty chainID")
	}
	var (
		id  *uint256.Int
		err error
	)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		id, err = uint256.FromHex(s)
	} else {
		for _, c := range s {
			if c < '0' || c > '9' {
				return nil, ErrBadDescriptor.Withf("chainID %q: not a decimal or 0x-hex number", truncate(s))
			}
		}
		id, err = uint256.FromDecimal(s)
	}
	if err != nil {
		return nil, ErrBadDescriptor.Withf("chainID %q: %v", truncate(s), err)
	}
	return id, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
