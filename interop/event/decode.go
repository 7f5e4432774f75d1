package event

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// Decoding errors, wrapped with the offending value; compare with errors.Is. They are
// chain-data errors, not request errors: a correct CrossL2Inbox never emits such a log.
var (
	ErrTopicCount     = errors.New("unexpected number of topics")
	ErrEventTopic     = errors.New("unexpected event topic")
	ErrDataLength     = errors.New("unexpected identifier data length")
	ErrAddressPadding = errors.New("invalid address padding")
	ErrPadding        = errors.New("invalid padding")
)

// IsExecutingMessage reports whether l is shaped like an ExecutingMessage log: emitted by
// CrossL2Inbox, two topics, topic0 the event's. Its data may still be malformed.
func IsExecutingMessage(l *types.Log) bool {
	return l.Address == params.CrossL2InboxAddress && len(l.Topics) == 2 && l.Topics[0] == ExecutingMessageTopic
}

// DecodeExecutingMessage returns the message executed by l, or nil, nil when l is not an
// executing message: not emitted by CrossL2Inbox, not two topics, or another topic0 (such
// logs are ordinary logs, which is not an error). An ExecutingMessage log whose data is not
// exactly what CrossL2Inbox emits is an error.
func DecodeExecutingMessage(l *types.Log) (*message.Message, error) {
	if !IsExecutingMessage(l) {
		return nil, nil
	}
	id, err := DecodeIdentifier(l.Data)
	if err != nil {
		return nil, err
	}
	return &message.Message{Identifier: id, MsgHash: l.Topics[1]}, nil
}

// DecodeEvent decodes the topics and data of an ExecutingMessage event strictly: exactly
// two topics, topic0 ExecutingMessageTopic, and data as DecodeIdentifier requires. It does
// not look at the emitter; DecodeExecutingMessage does.
func DecodeEvent(topics []common.Hash, data []byte) (message.Message, error) {
	if len(topics) != 2 {
		return message.Message{}, fmt.Errorf("%w: %d", ErrTopicCount, len(topics))
	}
	if topics[0] != ExecutingMessageTopic {
		return message.Message{}, fmt.Errorf("%w: %s", ErrEventTopic, topics[0])
	}
	id, err := DecodeIdentifier(data)
	if err != nil {
		return message.Message{}, err
	}
	return message.Message{Identifier: id, MsgHash: topics[1]}, nil
}

// DecodeIdentifier is the inverse of EncodeIdentifier. It accepts exactly the 160 bytes
// abi.encode produces for an in-range identifier: zero padding above the 20-byte origin,
// the u64 block number and timestamp and the u32 log index (CrossL2Inbox reverts for
// larger values, so it never emits them).
func DecodeIdentifier(data []byte) (message.Identifier, error) {
	var id message.Identifier
	if len(data) != IdentifierDataLen {
		return id, fmt.Errorf("%w: %d", ErrDataLength, len(data))
	}
	if !zero(data[0:12]) {
		return id, fmt.Errorf("%w: %x", ErrAddressPadding, data[0:12])
	}
	for _, f := range [...]struct {
		name     string
		from, to int
	}{
		{"blockNumber", 32, 56},
		{"logIndex", 64, 92},
		{"timestamp", 96, 120},
	} {
		if !zero(data[f.from:f.to]) {
			return id, fmt.Errorf("%w of %s: %x", ErrPadding, f.name, data[f.from:f.from+32])
		}
	}
	copy(id.Origin[:], data[12:32])
	id.BlockNumber = binary.BigEndian.Uint64(data[56:64])
	id.LogIndex = binary.BigEndian.Uint32(data[92:96])
	id.Timestamp = binary.BigEndian.Uint64(data[120:128])
	id.ChainID.SetBytes32(data[128:160])
	return id, nil
}

// zero reports whether b is all zero bytes.
func zero(b []byte) bool {
	var acc uint64
	for len(b) >= 8 {
		acc |= binary.BigEndian.Uint64(b)
		b = b[8:]
	}
	for _, x := range b {
		acc |= uint64(x)
	}
	return acc == 0
}
