package vm

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// Chain IDs used by the tests. The registry is process-global, so each test that needs a
// distinct setting uses its own ID.
const (
	nativeChainID   = 990901 // extras registered: native predeploys on
	standardChainID = 990902 // nothing registered: a standard OP chain
	lateChainID     = 990903 // extras registered, Lagoon at lagoonLateTime
	lagoonLateTime  = 1000
)

func init() {
	Install()
	on := params.ChainExtras{NativeInteropPredeploys: true}
	for _, id := range []int64{nativeChainID, lateChainID} {
		if err := params.RegisterChainExtras(big.NewInt(id), on); err != nil {
			panic(err)
		}
	}
}

// opConfig is an OP chain with Bedrock through Isthmus and Lagoon at lagoon, without Jovian
// (from Jovian on every block must start with an L1-attributes deposit).
func opConfig(chainID int64, lagoon uint64) *gethparams.ChainConfig {
	cfg := *gethparams.OptimismTestConfig
	cfg.ChainID = big.NewInt(chainID)
	cfg.JovianTime = nil
	cfg.LagoonTime = &lagoon
	return &cfg
}

// testMessage is a message with every identifier field non-trivial, chain ID above 2^64.
func testMessage() message.Message {
	var id message.Identifier
	id.Origin = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	id.BlockNumber = 0x0102030405060708
	id.LogIndex = 0x0a0b0c0d
	id.Timestamp = 0x1112131415161718
	id.ChainID = *new(uint256.Int).Lsh(uint256.NewInt(0x55), 70)
	id.ChainID.Or(&id.ChainID, uint256.NewInt(902))
	return message.Message{Identifier: id, MsgHash: common.HexToHash("0x7e57000000000000000000000000000000000000000000000000000000c0ffee")}
}

// input is selector ++ abi.encode(identifier, msgHash).
func input(sel [4]byte, m message.Message) []byte {
	out := append(sel[:], event.EncodeIdentifier(&m.Identifier)...)
	return append(out, m.MsgHash[:]...)
}

// setWord overwrites argument word i (0 = origin … 4 = chainId, 5 = msgHash) of in with w.
func setWord(in []byte, i int, w common.Hash) []byte {
	out := append([]byte(nil), in...)
	copy(out[4+32*i:], w[:])
	return out
}

func checksumOf(m message.Message) common.Hash { return message.Checksum(&m.Identifier, m.MsgHash) }

// callerCode is hand-written bytecode that forwards its calldata to CrossL2Inbox with the
// call opcode op (CALL, CALLCODE, DELEGATECALL or STATICCALL; zero value, all gas) and
// records the outcome: slot 0 = success flag, slot 1 = returndatasize, slot 2 = the first 32
// bytes copied back to memory 0 (the revert data or return value, over the forwarded input).
func callerCode(op gethvm.OpCode) []byte { return callerCodeTo(op, params.CrossL2InboxAddress) }

// callerCodeTo is callerCode with another call target.
func callerCodeTo(op gethvm.OpCode, target common.Address) []byte {
	code := []byte{
		byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0, byte(gethvm.CALLDATACOPY),
		byte(gethvm.PUSH1), 0x20, byte(gethvm.PUSH1), 0, // retSize, retOffset
		byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, // argsSize, argsOffset
	}
	if op == gethvm.CALL || op == gethvm.CALLCODE {
		code = append(code, byte(gethvm.PUSH1), 0) // value
	}
	code = append(code, byte(gethvm.PUSH20))
	code = append(code, target[:]...)
	code = append(code, byte(gethvm.GAS), byte(op))
	return append(code,
		byte(gethvm.PUSH1), 0, byte(gethvm.SSTORE),
		byte(gethvm.RETURNDATASIZE), byte(gethvm.PUSH1), 1, byte(gethvm.SSTORE),
		byte(gethvm.PUSH1), 0, byte(gethvm.MLOAD), byte(gethvm.PUSH1), 2, byte(gethvm.SSTORE),
		byte(gethvm.STOP),
	)
}

// relayCode CALLs CrossL2Inbox with its calldata (zero value, all gas) and returns, without
// writing state, the success flag as one word followed by the call's return data. Called
// through STATICCALL it puts a plain CALL to CrossL2Inbox inside a static context.
func relayCode() []byte {
	code := []byte{
		byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0, byte(gethvm.CALLDATACOPY),
		byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0, // retSize, retOffset
		byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, // argsSize, argsOffset
		byte(gethvm.PUSH1), 0, // value
		byte(gethvm.PUSH20),
	}
	code = append(code, params.CrossL2InboxAddress[:]...)
	return append(code, byte(gethvm.GAS), byte(gethvm.CALL),
		byte(gethvm.PUSH1), 0, byte(gethvm.MSTORE), // mem[0:32] = success
		byte(gethvm.RETURNDATASIZE), byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0x20, byte(gethvm.RETURNDATACOPY),
		byte(gethvm.RETURNDATASIZE), byte(gethvm.PUSH1), 0x20, byte(gethvm.ADD), byte(gethvm.PUSH1), 0, byte(gethvm.RETURN),
	)
}

// twiceCode forwards its calldata to CrossL2Inbox twice with CALL (all gas but a margin) and
// stores the two success flags in slots 0 and 1.
func twiceCode() []byte {
	one := func(slot byte) []byte {
		c := []byte{
			byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0, // retSize, retOffset
			byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, // argsSize, argsOffset
			byte(gethvm.PUSH1), 0, // value
			byte(gethvm.PUSH20),
		}
		c = append(c, params.CrossL2InboxAddress[:]...)
		return append(c, byte(gethvm.PUSH2), 0xc3, 0x50, byte(gethvm.CALL), // 50,000 gas
			byte(gethvm.PUSH1), slot, byte(gethvm.SSTORE))
	}
	code := []byte{byte(gethvm.CALLDATASIZE), byte(gethvm.PUSH1), 0, byte(gethvm.PUSH1), 0, byte(gethvm.CALLDATACOPY)}
	code = append(code, one(0)...)
	code = append(code, one(1)...)
	return append(code, byte(gethvm.STOP))
}

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}
