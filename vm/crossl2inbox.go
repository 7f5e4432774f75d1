package vm

import (
	"encoding/binary"
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// Fixed gas of the CrossL2Inbox functions; the package documentation explains the figures.
const (
	CalculateChecksumGas uint64 = 150
	ValidateMessageGas   uint64 = CalculateChecksumGas + warmSlotReadGas + executingMessageLogGas

	warmSlotReadGas        uint64 = 100                        // EIP-2929 WARM_STORAGE_READ_COST
	executingMessageLogGas uint64 = 375 + 2*375 + 8*argsIDSize // LOG2 with abi.encode(identifier)
)

// Function selectors of CrossL2Inbox.
var (
	SelectorValidateMessage   = event.ValidateMessageSelector
	SelectorCalculateChecksum = selector("calculateChecksum((address,uint256,uint256,uint256,uint256),bytes32)")
)

// Revert data of CrossL2Inbox: the selectors of the reference contract's custom errors.
var (
	RevertBlockNumberTooHigh  = selector("BlockNumberTooHigh()")
	RevertTimestampTooHigh    = selector("TimestampTooHigh()")
	RevertLogIndexTooHigh     = selector("LogIndexTooHigh()")
	RevertNoExecutingDeposits = selector("NoExecutingDeposits()")
	RevertNotInAccessList     = selector("NotInAccessList()")
)

var (
	selectorValidateMessage   = binary.BigEndian.Uint32(SelectorValidateMessage[:])
	selectorCalculateChecksum = binary.BigEndian.Uint32(SelectorCalculateChecksum[:])

	errNeedsEVM = errors.New("CrossL2Inbox is a native contract: it runs only through RunNative")
)

func selector(sig string) [4]byte {
	var s [4]byte
	copy(s[:], crypto.Keccak256([]byte(sig)))
	return s
}

// Layout of the arguments after the selector: abi.encode(Identifier, bytes32), six words.
const (
	argsIDSize = 5 * 32 // origin, blockNumber, logIndex, timestamp, chainId
	argsSize   = argsIDSize + 32
	inputSize  = 4 + argsSize
)

// crossL2Inbox is the native CrossL2Inbox. It is stateless; one value serves every EVM.
type crossL2Inbox struct{}

var _ gethvm.NativeContract = crossL2Inbox{}

// Name identifies the contract. op-geth reads precompile names only for eth_config's list of
// active precompiles, which native contracts are not part of.
func (crossL2Inbox) Name() string { return "CrossL2Inbox" }

// RequiredGas is the fixed gas of the function the input selects (0 for no known function).
// The EVM does not use it for native contracts (RunNative charges the same figure itself);
// it is there for tools that ask a precompile what a call costs.
func (crossL2Inbox) RequiredGas(input []byte) uint64 {
	switch selectorOf(input) {
	case selectorValidateMessage:
		return ValidateMessageGas
	case selectorCalculateChecksum:
		return CalculateChecksumGas
	}
	return 0
}

// Run is never called by the patched EVM, which prefers RunNative; without the EVM the
// contract cannot see the access list or emit a log, so it fails.
func (crossL2Inbox) Run([]byte) ([]byte, error) { return nil, errNeedsEVM }

// RunNative executes one call to CrossL2Inbox.
// Gas is charged first: too little gas is ErrOutOfGas (the EVM then consumes all of it), a
// revert returns what is left after the fixed cost.
func (c crossL2Inbox) RunNative(evm *gethvm.EVM, call *gethvm.NativeCall) ([]byte, uint64, error) {
	var run func(*gethvm.EVM, *gethvm.NativeCall) ([]byte, error)
	switch selectorOf(call.Input) {
	case selectorValidateMessage:
		run = validateMessage
	case selectorCalculateChecksum:
		run = calculateChecksum
	default:
		return nil, call.Gas, gethvm.ErrExecutionReverted
	}
	cost := c.RequiredGas(call.Input)
	if call.Gas < cost {
		return nil, 0, gethvm.ErrOutOfGas
	}
	if t := evm.Config.Tracer; t != nil && t.OnGasChange != nil {
		t.OnGasChange(call.Gas, call.Gas-cost, tracing.GasChangeCallPrecompiledContract)
	}
	ret, err := run(evm, call)
	return ret, call.Gas - cost, err
}

// validateMessage implements validateMessage(Identifier,bytes32); gas is already charged.
func validateMessage(evm *gethvm.EVM, call *gethvm.NativeCall) ([]byte, error) {
	if call.Kind != gethvm.CALL || call.ReadOnly || hasValue(call) {
		return nil, gethvm.ErrExecutionReverted
	}
	msg, revert, ok := decodeArgs(call.Input)
	if !ok {
		return revert, gethvm.ErrExecutionReverted
	}
	if isDeposit(evm) {
		return revertWith(RevertNoExecutingDeposits), gethvm.ErrExecutionReverted
	}
	checksum := message.Checksum(&msg.Identifier, msg.MsgHash)
	if _, warm := evm.StateDB.SlotInAccessList(params.CrossL2InboxAddress, checksum); !warm {
		return revertWith(RevertNotInAccessList), gethvm.ErrExecutionReverted
	}
	log := event.EncodeLog(&msg)
	if n := evm.Context.BlockNumber; n != nil {
		log.BlockNumber = n.Uint64()
	}
	evm.StateDB.AddLog(log)
	return nil, nil
}

// calculateChecksum implements calculateChecksum(Identifier,bytes32) (pure).
func calculateChecksum(_ *gethvm.EVM, call *gethvm.NativeCall) ([]byte, error) {
	if hasValue(call) {
		return nil, gethvm.ErrExecutionReverted
	}
	msg, revert, ok := decodeArgs(call.Input)
	if !ok {
		return revert, gethvm.ErrExecutionReverted
	}
	checksum := message.Checksum(&msg.Identifier, msg.MsgHash)
	return checksum.Bytes(), nil
}

// hasValue reports a non-zero msg.value (the inherited one under DELEGATECALL): both
// functions are non-payable.
func hasValue(call *gethvm.NativeCall) bool { return call.Value != nil && !call.Value.IsZero() }

// isDeposit tells a deposit transaction the way the reference contract does: a positive base
// fee with a zero gas price, which no user transaction can have.
func isDeposit(evm *gethvm.EVM) bool {
	baseFee := evm.Context.BaseFee
	return baseFee != nil && baseFee.Sign() > 0 && (evm.GasPrice == nil || evm.GasPrice.IsZero())
}

// decodeArgs decodes (Identifier, bytes32) from input, selector included. It fails with empty
// revert data on malformed input, and with the reference contract's error on an identifier
// field out of range (checked in the reference's order: blockNumber, logIndex, timestamp).
func decodeArgs(input []byte) (msg message.Message, revert []byte, ok bool) {
	if len(input) != inputSize {
		return msg, nil, false
	}
	args := input[4:]
	if !zero(args[0:12]) {
		return msg, nil, false
	}
	if !zero(args[32:56]) {
		return msg, revertWith(RevertBlockNumberTooHigh), false
	}
	if !zero(args[64:92]) {
		return msg, revertWith(RevertLogIndexTooHigh), false
	}
	if !zero(args[96:120]) {
		return msg, revertWith(RevertTimestampTooHigh), false
	}
	id := &msg.Identifier
	copy(id.Origin[:], args[12:32])
	id.BlockNumber = binary.BigEndian.Uint64(args[56:64])
	id.LogIndex = binary.BigEndian.Uint32(args[92:96])
	id.Timestamp = binary.BigEndian.Uint64(args[120:128])
	id.ChainID.SetBytes32(args[128:160])
	msg.MsgHash = common.BytesToHash(args[160:192])
	return msg, nil, true
}

func selectorOf(input []byte) uint32 {
	if len(input) < 4 {
		return 0 // no function has the zero selector
	}
	return binary.BigEndian.Uint32(input)
}

func zero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// revertWith returns a fresh copy of an error selector: revert data leaves the contract
// (return data, receipts of eth_call) and must not alias the package's values.
func revertWith(sel [4]byte) []byte { return append([]byte(nil), sel[:]...) }
