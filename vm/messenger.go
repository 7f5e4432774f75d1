package vm

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	gethparams "github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// The native L2ToL2CrossDomainMessenger (0x…23), ABI-compatible with the reference contract
// of messageVersion 0 (@eth-optimism/viem 0.4.13). The package documentation and README
// explain the behaviour, the storage layout and the gas figures.

// MessengerVersion is what version() returns for the native messenger, the bridge and
// ETHLiquidity: semver, with build metadata that names the implementation.
const MessengerVersion = "1.0.0+xgeth.native"

// Fixed gas of the messenger's functions, built from the EVM prices of what the Solidity
// contract does for the same call (see the README's table). Per-word figures apply to each
// 32-byte word of calldata beyond the function's head.
const (
	// messengerOverheadGas stands for solc's dispatch, ABI decoding, checks and memory.
	messengerOverheadGas uint64 = 500
	// sentMessageLogGas is LOG4 with abi.encode(sender, message) for an empty message.
	sentMessageLogGas = gethparams.LogGas + 4*gethparams.LogTopicGas + 3*32*gethparams.LogDataGas
	// messageHashGas is keccak256 over the six head words and the length word.
	messageHashGas = gethparams.Keccak256Gas + 7*gethparams.Keccak256WordGas
	// newSlotGas writes a zero slot (a mapping entry) after reading it cold.
	newSlotGas = gethparams.ColdSloadCostEIP2929 + gethparams.SstoreSetGasEIP2200
	// tOpGas is TLOAD or TSTORE (EIP-1153).
	tOpGas = gethparams.WarmStorageReadCostEIP2929

	// SendMessageGas: counter read (cold) and update, message hash, sentMessages entry,
	// SentMessage log.
	SendMessageGas = messengerOverheadGas + gethparams.ColdSloadCostEIP2929 +
		(gethparams.SstoreResetGasEIP2200 - gethparams.ColdSloadCostEIP2929) +
		messageHashGas + newSlotGas + sentMessageLogGas
	// SendMessageWordGas per message word: hashing, log data, calldata copy.
	SendMessageWordGas = gethparams.Keccak256WordGas + 32*gethparams.LogDataGas + gethparams.CopyGas
	// SendMessageFirstGas is added while the counter is zero (the chain's first message):
	// its write is then zero to non-zero.
	SendMessageFirstGas = gethparams.SstoreSetGasEIP2200 - (gethparams.SstoreResetGasEIP2200 - gethparams.ColdSloadCostEIP2929)

	// ResendMessageGas: message hash, sentMessages read (cold), SentMessage log.
	ResendMessageGas = messengerOverheadGas + messageHashGas + gethparams.ColdSloadCostEIP2929 + sentMessageLogGas
	// ResendMessageWordGas is SendMessageWordGas.
	ResendMessageWordGas = SendMessageWordGas

	// RelayMessageGas: reentrancy flag (TLOAD, two TSTORE), sender and source set and
	// cleared (four TSTORE), the CALL to CrossL2Inbox (EXTCODESIZE cold, CALL warm, payload
	// hash), message hash, successfulMessages entry, the CALL to the target (cold), the
	// return-data hash and the RelayedMessage log; two ABI decodings in the overhead.
	RelayMessageGas = 2*messengerOverheadGas + 3*tOpGas + 4*tOpGas +
		gethparams.ColdAccountAccessCostEIP2929 + gethparams.WarmStorageReadCostEIP2929 + gethparams.Keccak256Gas +
		messageHashGas + newSlotGas + gethparams.ColdAccountAccessCostEIP2929 + gethparams.Keccak256Gas +
		relayedMessageLogGas
	// RelayMessageWordGas per calldata word beyond the identifier, offset and length: the
	// payload is hashed and copied, the message hashed and copied into the target call.
	RelayMessageWordGas = 2 * (gethparams.Keccak256WordGas + gethparams.CopyGas)
	// RelayMessageReturnWordGas per word of the target's return data, charged after the
	// call: hashed, copied back and returned.
	RelayMessageReturnWordGas = gethparams.Keccak256WordGas + 2*gethparams.CopyGas
	// A relay with value adds gethparams.CallValueTransferGas, and CallNewAccountGas when
	// the target is an empty account, as a CALL with value does.

	relayedMessageLogGas = gethparams.LogGas + 4*gethparams.LogTopicGas + 32*gethparams.LogDataGas

	// Views: dispatch and return, plus what each reads.
	messengerViewGas             uint64 = 200
	CrossDomainMessageSenderGas         = messengerViewGas + 2*tOpGas // entered flag, value
	CrossDomainMessageSourceGas         = CrossDomainMessageSenderGas
	CrossDomainMessageContextGas        = messengerViewGas + 3*tOpGas
	MessageNonceGas                     = messengerViewGas + gethparams.ColdSloadCostEIP2929
	MessageVersionGas                   = messengerViewGas
	MessageMappingGas                   = messengerViewGas + gethparams.Keccak256Gas + 2*gethparams.Keccak256WordGas + gethparams.ColdSloadCostEIP2929 // successfulMessages, sentMessages
	VersionGas                          = messengerViewGas + 100                                                                                       // a string in memory
)

// Messenger storage layout: the reference contract's Solidity layout, so that
// eth_getStorageAt reads the same slots on either implementation.
var (
	// MessengerSuccessfulMessagesSlot is the base slot of successfulMessages(bytes32 => bool).
	MessengerSuccessfulMessagesSlot = common.Hash{}
	// MessengerNonceSlot holds the uint240 message counter (without the version).
	MessengerNonceSlot = common.Hash{31: 1}
	// MessengerSentMessagesSlot is the base slot of sentMessages(bytes32 => bool).
	MessengerSentMessagesSlot = common.Hash{31: 2}
)

// Transient storage of the messenger, valid only within one transaction.
var (
	// The reference contract's slots for the relayed message's sender and source:
	// keccak256("l2tol2crossdomainmessenger.sender") − 1 and ("…source") − 1.
	messengerSenderTSlot = common.HexToHash("0xb83444d07072b122e2e72a669ce32857d892345c19856f4e7142d06a167ab3f3")
	messengerSourceTSlot = common.HexToHash("0x711dfa3259c842fffc17d6e1f1e0fc5927756133a2345ca56b4cb8178589fee7")
	// messengerEnteredTSlot is the reentrancy flag: keccak256("l2tol2crossdomainmessenger.entered") − 1.
	messengerEnteredTSlot = slotMinusOne("l2tol2crossdomainmessenger.entered")
)

// Selectors of the messenger's functions.
var (
	SelectorSendMessage               = selector("sendMessage(uint256,address,bytes)")
	SelectorRelayMessage              = selector("relayMessage((address,uint256,uint256,uint256,uint256),bytes)")
	SelectorResendMessage             = selector("resendMessage(uint256,uint256,address,address,bytes)")
	SelectorCrossDomainMessageSender  = selector("crossDomainMessageSender()")
	SelectorCrossDomainMessageSource  = selector("crossDomainMessageSource()")
	SelectorCrossDomainMessageContext = selector("crossDomainMessageContext()")
	SelectorMessageNonce              = selector("messageNonce()")
	SelectorMessageVersion            = selector("messageVersion()")
	SelectorSuccessfulMessages        = selector("successfulMessages(bytes32)")
	SelectorSentMessages              = selector("sentMessages(bytes32)")
	selectorVersionGetter             = selector("version()")
)

// Event topics of the messenger.
var (
	SentMessageTopic    = crypto.Keccak256Hash([]byte("SentMessage(uint256,address,uint256,address,bytes)"))
	RelayedMessageTopic = crypto.Keccak256Hash([]byte("RelayedMessage(uint256,uint256,bytes32,bytes32)"))
)

// Revert data of the messenger: the selectors of the reference contract's custom errors.
var (
	RevertIdOriginNotL2ToL2CrossDomainMessenger   = selector("IdOriginNotL2ToL2CrossDomainMessenger()")
	RevertEventPayloadNotSentMessage              = selector("EventPayloadNotSentMessage()")
	RevertMessageDestinationSameChain             = selector("MessageDestinationSameChain()")
	RevertMessageDestinationNotRelayChain         = selector("MessageDestinationNotRelayChain()")
	RevertMessageTargetL2ToL2CrossDomainMessenger = selector("MessageTargetL2ToL2CrossDomainMessenger()")
	RevertMessageAlreadyRelayed                   = selector("MessageAlreadyRelayed()")
	RevertReentrantCall                           = selector("ReentrantCall()")
	RevertNotEntered                              = selector("NotEntered()")
	RevertInvalidMessage                          = selector("InvalidMessage()")
)

// Errors of DecodeSentMessage.
var (
	// ErrNotSentMessage: the payload's first word is not the SentMessage topic.
	ErrNotSentMessage = errors.New("payload is not a SentMessage event")
	// ErrMalformedSentMessage: shorter than a word, or topic0 is SentMessage but the rest
	// does not decode.
	ErrMalformedSentMessage = errors.New("malformed SentMessage payload")
)

// messageNonceMax is the largest counter: the nonce's version takes the top 16 bits.
var messageNonceMax = new(uint256.Int).Sub(new(uint256.Int).Lsh(uint256.NewInt(1), 240), uint256.NewInt(1))

// SentMessage is a decoded SentMessage event: one message from this messenger to another.
type SentMessage struct {
	Destination uint256.Int
	Target      common.Address
	Nonce       uint256.Int // (version << 240) | counter
	Sender      common.Address
	Message     []byte
}

// Hash is the message hash with source chain source: keccak256(abi.encode(destination,
// source, nonce, sender, target, message)), the key of successfulMessages and sentMessages.
func (m *SentMessage) Hash(source *uint256.Int) common.Hash {
	return MessengerMessageHash(&m.Destination, source, &m.Nonce, m.Sender, m.Target, m.Message)
}

// MessengerMessageHash is keccak256(abi.encode(destination, source, nonce, sender, target, message)).
func MessengerMessageHash(destination, source, nonce *uint256.Int, sender, target common.Address, msg []byte) common.Hash {
	buf := make([]byte, 0, 7*32+len(msg)+31)
	buf = append(buf, encUint(destination)...)
	buf = append(buf, encUint(source)...)
	buf = append(buf, encUint(nonce)...)
	buf = append(buf, encAddress(sender)...)
	buf = append(buf, encAddress(target)...)
	buf = append(buf, encUint64(6*32)...)
	buf = append(buf, encBytesTail(msg)...)
	return crypto.Keccak256Hash(buf)
}

// DecodeSentMessage decodes a SentMessage payload (topics then data, as an identifier's
// message hash covers it). Like the reference contract's decoder it checks topic0, the
// address padding and the `bytes` bounds, and tolerates bytes after the encoded data.
func DecodeSentMessage(payload []byte) (SentMessage, error) {
	var m SentMessage
	if len(payload) < 32 {
		return m, ErrMalformedSentMessage
	}
	if common.BytesToHash(payload[:32]) != SentMessageTopic {
		return m, ErrNotSentMessage
	}
	if len(payload) < 4*32 || !allZero(payload[64:76]) {
		return m, ErrMalformedSentMessage
	}
	m.Destination.SetBytes32(payload[32:64])
	m.Target = common.BytesToAddress(payload[76:96])
	m.Nonce.SetBytes32(payload[96:128])
	data := payload[128:]
	if len(data) < 64 || !allZero(data[:12]) {
		return m, ErrMalformedSentMessage
	}
	m.Sender = common.BytesToAddress(data[12:32])
	msg, ok := dynBytes(data, 1)
	if !ok {
		return m, ErrMalformedSentMessage
	}
	m.Message = msg
	return m, nil
}

// EncodeSentMessageLog returns the topics and data of the SentMessage event of m.
func EncodeSentMessageLog(m *SentMessage) ([]common.Hash, []byte) {
	topics := []common.Hash{SentMessageTopic, m.Destination.Bytes32(), common.BytesToHash(m.Target[:]), m.Nonce.Bytes32()}
	data := append(encAddress(m.Sender), encUint64(64)...)
	return topics, append(data, encBytesTail(m.Message)...)
}

// EncodeSendMessage is the calldata of sendMessage(destination, target, message).
func EncodeSendMessage(destination *uint256.Int, target common.Address, msg []byte) []byte {
	out := append([]byte(nil), SelectorSendMessage[:]...)
	out = append(out, encUint(destination)...)
	out = append(out, encAddress(target)...)
	out = append(out, encUint64(3*32)...)
	return append(out, encBytesTail(msg)...)
}

// EncodeRelayMessage is the calldata of relayMessage(id, payload), payload being the
// SentMessage log's topics and data (message.Payload).
func EncodeRelayMessage(id *message.Identifier, payload []byte) []byte {
	out := append([]byte(nil), SelectorRelayMessage[:]...)
	out = appendIdentifier(out, id)
	out = append(out, encUint64(6*32)...)
	return append(out, encBytesTail(payload)...)
}

// EncodeResendMessage is the calldata of resendMessage(destination, nonce, sender, target, message).
func EncodeResendMessage(m *SentMessage) []byte {
	out := append([]byte(nil), SelectorResendMessage[:]...)
	out = append(out, encUint(&m.Destination)...)
	out = append(out, encUint(&m.Nonce)...)
	out = append(out, encAddress(m.Sender)...)
	out = append(out, encAddress(m.Target)...)
	out = append(out, encUint64(5*32)...)
	return append(out, encBytesTail(m.Message)...)
}

func appendIdentifier(out []byte, id *message.Identifier) []byte {
	out = append(out, encAddress(id.Origin)...)
	out = append(out, encUint64(id.BlockNumber)...)
	out = append(out, encUint64(uint64(id.LogIndex))...)
	out = append(out, encUint64(id.Timestamp)...)
	return append(out, encUint(&id.ChainID)...)
}

// The messenger.

var messengerContract = &predeployTable{name: "L2ToL2CrossDomainMessenger", funcs: map[uint32]predeployFunc{
	sel32(SelectorSendMessage):               {gas: sendMessageGas, run: sendMessage},
	sel32(SelectorRelayMessage):              {gas: relayMessageGas, run: relayMessage},
	sel32(SelectorResendMessage):             {gas: resendMessageGas, run: resendMessage},
	sel32(SelectorCrossDomainMessageSender):  {fixed: CrossDomainMessageSenderGas, run: crossDomainMessageSender},
	sel32(SelectorCrossDomainMessageSource):  {fixed: CrossDomainMessageSourceGas, run: crossDomainMessageSource},
	sel32(SelectorCrossDomainMessageContext): {fixed: CrossDomainMessageContextGas, run: crossDomainMessageContext},
	sel32(SelectorMessageNonce):              {fixed: MessageNonceGas, run: messageNonce},
	sel32(SelectorMessageVersion):            {fixed: MessageVersionGas, run: messageVersion},
	sel32(SelectorSuccessfulMessages):        {fixed: MessageMappingGas, run: mappingGetter(MessengerSuccessfulMessagesSlot)},
	sel32(SelectorSentMessages):              {fixed: MessageMappingGas, run: mappingGetter(MessengerSentMessagesSlot)},
	sel32(selectorVersionGetter):             {fixed: VersionGas, run: versionGetter},
}}

func init() { register(params.L2ToL2CrossDomainMessengerAddress, messengerContract, Active) }

func sendMessageGas(evm *gethvm.EVM, call *gethvm.NativeCall) uint64 {
	cost := SendMessageGas + SendMessageWordGas*wordsBeyond(call.Input, 4)
	if evm != nil && evm.StateDB.GetState(call.Address, MessengerNonceSlot) == (common.Hash{}) {
		cost += SendMessageFirstGas
	}
	return cost
}

func resendMessageGas(_ *gethvm.EVM, call *gethvm.NativeCall) uint64 {
	return ResendMessageGas + ResendMessageWordGas*wordsBeyond(call.Input, 6)
}

func relayMessageGas(evm *gethvm.EVM, call *gethvm.NativeCall) uint64 {
	cost := RelayMessageGas + RelayMessageWordGas*wordsBeyond(call.Input, 7)
	if evm == nil || call.Value == nil || call.Value.IsZero() {
		return cost
	}
	cost += gethparams.CallValueTransferGas
	if payload, ok := dynBytes(call.Input[4:], 5); ok {
		if m, err := DecodeSentMessage(payload); err == nil && evm.StateDB.Empty(m.Target) {
			cost += gethparams.CallNewAccountGas
		}
	}
	return cost
}

// sendMessage(uint256 destination, address target, bytes message) returns (bytes32).
func sendMessage(f *frame) ([]byte, error) {
	if !f.writable() || !f.value().IsZero() {
		return nil, gethvm.ErrExecutionReverted
	}
	dest, ok1 := f.uint(0)
	target, ok2 := f.address(1)
	msg, ok3 := f.bytes(2)
	if !ok1 || !ok2 || !ok3 {
		return nil, gethvm.ErrExecutionReverted
	}
	source := f.chainID()
	if dest.Eq(source) {
		return failWith(RevertMessageDestinationSameChain)
	}
	if target == params.L2ToL2CrossDomainMessengerAddress {
		return failWith(RevertMessageTargetL2ToL2CrossDomainMessenger)
	}
	counter := new(uint256.Int).SetBytes32(f.sload(MessengerNonceSlot).Bytes())
	if !counter.Lt(messageNonceMax) {
		return nil, gethvm.ErrExecutionReverted // uint240 overflow: Solidity would panic
	}
	m := SentMessage{Destination: *dest, Target: target, Nonce: *versionedNonce(counter), Sender: f.call.Caller, Message: msg}
	hash := m.Hash(source)
	f.keepAlive()
	f.sstore(mappingSlot(hash, MessengerSentMessagesSlot), common.Hash{31: 1})
	f.sstore(MessengerNonceSlot, new(uint256.Int).AddUint64(counter, 1).Bytes32())
	topics, data := EncodeSentMessageLog(&m)
	f.emit(topics, data)
	return hash.Bytes(), nil
}

// versionedNonce is (messageVersion << 240) | counter; messageVersion is 0.
func versionedNonce(counter *uint256.Int) *uint256.Int { return new(uint256.Int).Set(counter) }

// resendMessage(uint256 destination, uint256 nonce, address sender, address target,
// bytes message) returns (bytes32): re-emits SentMessage for a message this chain sent.
func resendMessage(f *frame) ([]byte, error) {
	if !f.writable() || !f.value().IsZero() {
		return nil, gethvm.ErrExecutionReverted
	}
	dest, ok1 := f.uint(0)
	nonce, ok2 := f.uint(1)
	sender, ok3 := f.address(2)
	target, ok4 := f.address(3)
	msg, ok5 := f.bytes(4)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return nil, gethvm.ErrExecutionReverted
	}
	m := SentMessage{Destination: *dest, Target: target, Nonce: *nonce, Sender: sender, Message: msg}
	hash := m.Hash(f.chainID())
	if f.sload(mappingSlot(hash, MessengerSentMessagesSlot)) == (common.Hash{}) {
		return failWith(RevertInvalidMessage)
	}
	topics, data := EncodeSentMessageLog(&m)
	f.emit(topics, data)
	return hash.Bytes(), nil
}

// relayMessage(Identifier id, bytes sentMessage) payable returns (bytes).
func relayMessage(f *frame) ([]byte, error) {
	if !f.writable() {
		return nil, gethvm.ErrExecutionReverted
	}
	origin, ok1 := f.address(0)
	source, ok2 := f.uint(4)
	payload, ok3 := f.bytes(5)
	if !ok1 || !ok2 || !ok3 {
		return nil, gethvm.ErrExecutionReverted
	}
	if f.tload(messengerEnteredTSlot) != (common.Hash{}) {
		return failWith(RevertReentrantCall)
	}
	f.tstore(messengerEnteredTSlot, common.Hash{31: 1})
	if origin != params.L2ToL2CrossDomainMessengerAddress {
		return failWith(RevertIdOriginNotL2ToL2CrossDomainMessenger)
	}
	// A real CALL, so that CrossL2Inbox checks the access list and emits ExecutingMessage;
	// the identifier words go as received, for its range checks.
	in := make([]byte, 0, 4+6*32)
	in = append(in, SelectorValidateMessage[:]...)
	in = append(in, f.args[:5*32]...)
	in = append(in, crypto.Keccak256(payload)...)
	if ret, err := f.callOut(params.CrossL2InboxAddress, in, nil); err != nil {
		return bubble(ret)
	}
	m, err := DecodeSentMessage(payload)
	if errors.Is(err, ErrNotSentMessage) {
		return failWith(RevertEventPayloadNotSentMessage)
	}
	if err != nil {
		return nil, gethvm.ErrExecutionReverted
	}
	if !m.Destination.Eq(f.chainID()) {
		return failWith(RevertMessageDestinationNotRelayChain)
	}
	hash := m.Hash(source)
	slot := mappingSlot(hash, MessengerSuccessfulMessagesSlot)
	if f.sload(slot) != (common.Hash{}) {
		return failWith(RevertMessageAlreadyRelayed)
	}
	f.keepAlive()
	f.sstore(slot, common.Hash{31: 1})
	f.tstore(messengerSenderTSlot, common.BytesToHash(m.Sender[:]))
	f.tstore(messengerSourceTSlot, source.Bytes32())
	ret, err := f.callOut(m.Target, m.Message, f.value())
	if err != nil {
		return bubble(ret) // undoes the entry: the relay can be retried
	}
	if !f.charge(RelayMessageReturnWordGas * ((uint64(len(ret)) + 31) / 32)) {
		return nil, gethvm.ErrOutOfGas
	}
	f.emit([]common.Hash{RelayedMessageTopic, source.Bytes32(), m.Nonce.Bytes32(), hash}, crypto.Keccak256(ret))
	f.tstore(messengerSenderTSlot, common.Hash{})
	f.tstore(messengerSourceTSlot, common.Hash{})
	f.tstore(messengerEnteredTSlot, common.Hash{})
	return append(encUint64(32), encBytesTail(ret)...), nil
}

// checkEntered is what every context getter checks first: a state-reading call kind, no
// value, no arguments, and a relay in progress. A nil error lets the getter go on.
func (f *frame) checkEntered() ([]byte, error) {
	if !f.readable() || !f.value().IsZero() {
		return nil, gethvm.ErrExecutionReverted
	}
	if f.tload(messengerEnteredTSlot) == (common.Hash{}) {
		return failWith(RevertNotEntered)
	}
	return nil, nil
}

func crossDomainMessageSender(f *frame) ([]byte, error) {
	if ret, err := f.checkEntered(); err != nil {
		return ret, err
	}
	return f.tload(messengerSenderTSlot).Bytes(), nil
}

func crossDomainMessageSource(f *frame) ([]byte, error) {
	if ret, err := f.checkEntered(); err != nil {
		return ret, err
	}
	return f.tload(messengerSourceTSlot).Bytes(), nil
}

func crossDomainMessageContext(f *frame) ([]byte, error) {
	if ret, err := f.checkEntered(); err != nil {
		return ret, err
	}
	return append(f.tload(messengerSenderTSlot).Bytes(), f.tload(messengerSourceTSlot).Bytes()...), nil
}

func messageNonce(f *frame) ([]byte, error) {
	if !f.readable() || !f.value().IsZero() {
		return nil, gethvm.ErrExecutionReverted
	}
	counter := new(uint256.Int).SetBytes32(f.sload(MessengerNonceSlot).Bytes())
	return encUint(versionedNonce(counter)), nil
}

// messageVersion() returns (uint16): constant, any call kind.
func messageVersion(f *frame) ([]byte, error) {
	if !f.value().IsZero() {
		return nil, gethvm.ErrExecutionReverted
	}
	return encUint64(0), nil
}

// versionGetter is version() returns (string) of all three contracts: constant, any kind.
func versionGetter(f *frame) ([]byte, error) {
	if !f.value().IsZero() {
		return nil, gethvm.ErrExecutionReverted
	}
	return encString(MessengerVersion), nil
}

// mappingGetter reads a bytes32 => bool mapping whose base slot is base.
func mappingGetter(base common.Hash) func(*frame) ([]byte, error) {
	return func(f *frame) ([]byte, error) {
		if !f.readable() || !f.value().IsZero() || !f.minArgs(1) {
			return nil, gethvm.ErrExecutionReverted
		}
		key, _ := f.hash(0)
		return encBool(f.sload(mappingSlot(key, base)) != (common.Hash{})), nil
	}
}
