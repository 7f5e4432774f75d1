// Package event encodes and decodes the ExecutingMessage log that CrossL2Inbox emits for
// every executed message. Decoding is strict: anything a correct CrossL2Inbox could not have
// emitted is an error. A log that is not an ExecutingMessage at all (another emitter, topic
// count or topic0) is an ordinary log, not an error, for DecodeExecutingMessage.
package event

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// ExecutingMessageTopic is topic0 of
// ExecutingMessage(bytes32 indexed msgHash, (address,uint256,uint256,uint256,uint256) identifier).
var ExecutingMessageTopic = common.HexToHash("0x5c37832d2e8d10e346e55ad62071a6a2f9fa5130614ef2ec6617555c6f467ba7")

// IdentifierDataLen is the length of abi.encode(identifier): five 32-byte words.
const IdentifierDataLen = 160

// ValidateMessageSelector is the selector of
// CrossL2Inbox.validateMessage((address,uint256,uint256,uint256,uint256),bytes32).
var ValidateMessageSelector = [4]byte{0xab, 0x4d, 0x6f, 0x75}

// EncodeValidateMessage is the calldata of CrossL2Inbox.validateMessage(identifier, msgHash):
// the call that executes msg. Its argument encoding is the event's identifier data.
func EncodeValidateMessage(msg *message.Message) []byte {
	out := make([]byte, 0, 4+IdentifierDataLen+32)
	out = append(out, ValidateMessageSelector[:]...)
	out = append(out, EncodeIdentifier(&msg.Identifier)...)
	return append(out, msg.MsgHash[:]...)
}

// EncodeIdentifier is abi.encode(Identifier) in the tuple order
// (origin, blockNumber, logIndex, timestamp, chainId).
func EncodeIdentifier(id *message.Identifier) []byte {
	out := make([]byte, IdentifierDataLen)
	copy(out[12:32], id.Origin[:])
	binary.BigEndian.PutUint64(out[56:64], id.BlockNumber)
	binary.BigEndian.PutUint32(out[92:96], id.LogIndex)
	binary.BigEndian.PutUint64(out[120:128], id.Timestamp)
	id.ChainID.WriteToSlice(out[128:160])
	return out
}

// EncodeLog builds the ExecutingMessage log CrossL2Inbox emits for msg (address, topics and
// data only; the block/tx fields are the caller's).
func EncodeLog(msg *message.Message) *types.Log {
	return &types.Log{
		Address: params.CrossL2InboxAddress,
		Topics:  []common.Hash{ExecutingMessageTopic, msg.MsgHash},
		Data:    EncodeIdentifier(&msg.Identifier),
	}
}
