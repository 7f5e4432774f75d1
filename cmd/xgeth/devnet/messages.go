package devnet

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	ievent "github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	xparams "github.com/xgeth/xgeth/params"
)

// The L2ToL2CrossDomainMessenger's ABI facts the tracker and the relayer need (INTEROP.md,
// "Messenger, bridges, token").
var (
	// SentMessage(uint256 indexed destination, address indexed target, uint256 indexed
	// messageNonce, address sender, bytes message)
	TopicSentMessage = common.HexToHash("0x382409ac69001e11931a28435afef442cbfd20d9891907e8fa373ba7d351f320")
	// RelayedMessage(uint256 indexed source, uint256 indexed messageNonce, bytes32 indexed
	// messageHash, bytes32 returnDataHash)
	TopicRelayedMessage = common.HexToHash("0xc270d73e26d2d39dee7ef92093555927e344e243415547ecc350b2b5385b68a2")
	// relayMessage((address,uint256,uint256,uint256,uint256),bytes)
	RelayMessageSelector = [4]byte{0x8d, 0x1d, 0x29, 0x8f}
	// successfulMessages(bytes32)
	successfulMessagesSelector = [4]byte{0xb1, 0xb1, 0xb2, 0x09}
)

// Decoding errors of messenger events and calldata.
var (
	ErrNotSentMessage    = errors.New("not a SentMessage log of the L2ToL2CrossDomainMessenger")
	ErrNotRelayedMessage = errors.New("not a RelayedMessage log of the L2ToL2CrossDomainMessenger")
	ErrNotRelayMessage   = errors.New("not relayMessage calldata")
	ErrBadABI            = errors.New("malformed ABI encoding")
)

// L2ToL2Message is a message of the L2ToL2CrossDomainMessenger, as its hash commits to it.
type L2ToL2Message struct {
	Destination uint256.Int
	Source      uint256.Int
	Nonce       uint256.Int
	Sender      common.Address
	Target      common.Address
	Message     []byte
}

// Hash is the messenger's message hash:
// keccak256(abi.encode(destination, source, nonce, sender, target, message)).
func (m *L2ToL2Message) Hash() common.Hash {
	padded := (len(m.Message) + 31) / 32 * 32
	buf := make([]byte, 7*32+padded)
	m.Destination.WriteToSlice(buf[0:32])
	m.Source.WriteToSlice(buf[32:64])
	m.Nonce.WriteToSlice(buf[64:96])
	copy(buf[96+12:128], m.Sender[:])
	copy(buf[128+12:160], m.Target[:])
	buf[191] = 6 * 32 // offset of message
	uint256.NewInt(uint64(len(m.Message))).WriteToSlice(buf[192:224])
	copy(buf[224:], m.Message)
	return crypto.Keccak256Hash(buf)
}

// DecodeSentMessage decodes a SentMessage log emitted on chain source into the message it
// sends. The log must come from the messenger, with exactly four topics (zero-padded target)
// and data abi.encode(address sender, bytes message).
func DecodeSentMessage(l *types.Log, source *uint256.Int) (*L2ToL2Message, error) {
	if l.Address != xparams.L2ToL2CrossDomainMessengerAddress || len(l.Topics) != 4 || l.Topics[0] != TopicSentMessage {
		return nil, ErrNotSentMessage
	}
	return decodeSentMessage(l.Topics, l.Data, source)
}

// DecodeSentMessagePayload decodes a relay payload (a SentMessage log's topics ‖ data, as
// relayMessage takes it) emitted on chain source.
func DecodeSentMessagePayload(payload []byte, source *uint256.Int) (*L2ToL2Message, error) {
	if len(payload) < 4*32 {
		return nil, fmt.Errorf("%w: payload of %d bytes, shorter than four topics", ErrNotSentMessage, len(payload))
	}
	topics := make([]common.Hash, 4)
	for i := range topics {
		topics[i] = common.BytesToHash(payload[i*32 : (i+1)*32])
	}
	if topics[0] != TopicSentMessage {
		return nil, fmt.Errorf("%w: first topic %s", ErrNotSentMessage, topics[0])
	}
	return decodeSentMessage(topics, payload[4*32:], source)
}

func decodeSentMessage(topics []common.Hash, data []byte, source *uint256.Int) (*L2ToL2Message, error) {
	if !allZero(topics[2][:12]) {
		return nil, fmt.Errorf("%w: target topic has non-zero padding", ErrBadABI)
	}
	if len(data) < 64 {
		return nil, fmt.Errorf("%w: SentMessage data of %d bytes", ErrBadABI, len(data))
	}
	if !allZero(data[:12]) {
		return nil, fmt.Errorf("%w: sender has non-zero padding", ErrBadABI)
	}
	msg, err := abiBytes(data, 32)
	if err != nil {
		return nil, fmt.Errorf("SentMessage message: %w", err)
	}
	m := &L2ToL2Message{Source: *source, Message: msg}
	m.Destination.SetBytes32(topics[1][:])
	m.Target = common.BytesToAddress(topics[2][12:])
	m.Nonce.SetBytes32(topics[3][:])
	m.Sender = common.BytesToAddress(data[12:32])
	return m, nil
}

// DecodeRelayedMessage returns the message hash and source chain of a RelayedMessage log.
func DecodeRelayedMessage(l *types.Log) (msgHash common.Hash, source uint256.Int, err error) {
	if l.Address != xparams.L2ToL2CrossDomainMessengerAddress || len(l.Topics) != 4 || l.Topics[0] != TopicRelayedMessage {
		return msgHash, source, ErrNotRelayedMessage
	}
	source.SetBytes32(l.Topics[1][:])
	return l.Topics[3], source, nil
}

// EncodeRelayMessage is the calldata of relayMessage(id, payload).
func EncodeRelayMessage(id *message.Identifier, payload []byte) []byte {
	padded := (len(payload) + 31) / 32 * 32
	out := make([]byte, 4+ievent.IdentifierDataLen+64+padded)
	copy(out, RelayMessageSelector[:])
	copy(out[4:], ievent.EncodeIdentifier(id))
	args := out[4:]
	args[ievent.IdentifierDataLen+31] = ievent.IdentifierDataLen + 32 // offset of the bytes
	uint256.NewInt(uint64(len(payload))).WriteToSlice(args[ievent.IdentifierDataLen+32 : ievent.IdentifierDataLen+64])
	copy(args[ievent.IdentifierDataLen+64:], payload)
	return out
}

// DecodeRelayMessage decodes relayMessage calldata into its identifier and payload.
func DecodeRelayMessage(data []byte) (message.Identifier, []byte, error) {
	if len(data) < 4 || [4]byte(data[:4]) != RelayMessageSelector {
		return message.Identifier{}, nil, ErrNotRelayMessage
	}
	args := data[4:]
	if len(args) < ievent.IdentifierDataLen+32 {
		return message.Identifier{}, nil, fmt.Errorf("%w: relayMessage arguments of %d bytes", ErrBadABI, len(args))
	}
	id, err := ievent.DecodeIdentifier(args[:ievent.IdentifierDataLen])
	if err != nil {
		return id, nil, fmt.Errorf("%w: identifier: %v", ErrBadABI, err)
	}
	payload, err := abiBytes(args, ievent.IdentifierDataLen)
	if err != nil {
		return id, nil, fmt.Errorf("relayMessage payload: %w", err)
	}
	return id, payload, nil
}

// abiBytes reads the dynamic bytes whose offset (relative to args) is the word at head.
func abiBytes(args []byte, head int) ([]byte, error) {
	if len(args) < head+32 {
		return nil, fmt.Errorf("%w: no offset word", ErrBadABI)
	}
	var off uint256.Int
	off.SetBytes32(args[head : head+32])
	if !off.IsUint64() || off.Uint64() > uint64(len(args))-32 {
		return nil, fmt.Errorf("%w: offset %s out of range", ErrBadABI, off.Dec())
	}
	start := int(off.Uint64())
	var n uint256.Int
	n.SetBytes32(args[start : start+32])
	if !n.IsUint64() || n.Uint64() > uint64(len(args)-start-32) {
		return nil, fmt.Errorf("%w: length %s out of range", ErrBadABI, n.Dec())
	}
	return common.CopyBytes(args[start+32 : start+32+int(n.Uint64())]), nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// MessageState is where a message stands.
type MessageState string

const (
	StateSent    MessageState = "sent"    // sent, not relayed (yet)
	StateRelayed MessageState = "relayed" // a relay succeeded on the destination
	StateFailed  MessageState = "failed"  // relays failed (or the relayer gave up); retryable
)

// TxRef is a transaction in a block of a devnet chain.
type TxRef struct {
	Chain       uint64      `json:"chainId"`
	Hash        common.Hash `json:"hash"`
	BlockNumber uint64      `json:"blockNumber"`
	BlockHash   common.Hash `json:"blockHash"`
	Timestamp   uint64      `json:"timestamp"`
}

// TrackedMessage is what the tracker knows of a message, by its messenger hash. Sent is
// nil for a relay whose SentMessage the tracker has not seen (outside its window).
type TrackedMessage struct {
	Hash    common.Hash
	Message *L2ToL2Message
	ID      message.Identifier // of the SentMessage log: what relayMessage takes
	Payload []byte             // the SentMessage log's topics ‖ data
	Sent    *TxRef
	Relayed *TxRef  // the successful relay
	Failed  []TxRef // relays whose transaction failed
	Error   string  // why the auto-relay gave up, if it did
}

// State is the message's state.
func (m *TrackedMessage) State() MessageState {
	switch {
	case m.Relayed != nil:
		return StateRelayed
	case len(m.Failed) > 0 || m.Error != "":
		return StateFailed
	}
	return StateSent
}

// Bounds of the tracker's memory: it forgets the oldest messages beyond either cap (a
// message relayed or not). With messages of a few hundred bytes the caps keep it under
// about 100 MiB; a devnet sends far fewer.
const (
	maxTrackedMessages = 100_000
	maxTrackedBytes    = 64 << 20 // payload and message bytes
	// trackedBlocks is how many recent canonical blocks per chain the tracker remembers to
	// undo on a reorg; a deeper reorg forgets what it cannot undo.
	trackedBlocks = 256
	// backfillBlocks: at start (a devnet restarted from its data directory) the tracker reads
	// only this many blocks below each head.
	backfillBlocks = 1024
	// maxFailedRelays: failed relays kept per message (the first ones).
	maxFailedRelays = 16
)

// chainReader is what the tracker reads of a chain: its canonical blocks and receipts.
type chainReader interface {
	headNumber() uint64
	canonicalHash(number uint64) common.Hash
	// block returns the canonical block at number with its receipts, or nil.
	block(number uint64) (*types.Block, types.Receipts)
}

// blockChainReader reads an in-process chain.
type blockChainReader struct{ bc *core.BlockChain }

func (r blockChainReader) headNumber() uint64 { return r.bc.CurrentBlock().Number.Uint64() }
func (r blockChainReader) canonicalHash(n uint64) common.Hash {
	return r.bc.GetCanonicalHash(n)
}
func (r blockChainReader) block(n uint64) (*types.Block, types.Receipts) {
	b := r.bc.GetBlockByNumber(n)
	if b == nil {
		return nil, nil
	}
	return b, r.bc.GetReceiptsByHash(b.Hash())
}

// blockRecord is a processed canonical block and the messages it touched, to undo.
type blockRecord struct {
	number  uint64
	hash    common.Hash
	sent    []common.Hash // messages it sent
	relayed []common.Hash // messages it relayed (or failed to)
}

type trackedChain struct {
	id     uint64
	chain  uint256.Int
	reader chainReader
	recent []blockRecord // ascending, at most trackedBlocks
	next   uint64        // next block number to read
	inited bool
}

// MessageTracker follows every devnet chain's canonical blocks and keeps, per message hash,
// the SentMessage of the L2ToL2CrossDomainMessenger and the relays on the destination.
// A reorg undoes what the removed blocks recorded: a message whose SentMessage is gone is
// forgotten, so it is never relayed from a block that is no longer canonical. Memory is
// bounded (maxTrackedMessages, maxTrackedBytes: the oldest are forgotten first).
type MessageTracker struct {
	log log.Logger

	mu     sync.Mutex
	chains map[uint64]*trackedChain
	msgs   map[common.Hash]*TrackedMessage
	order  []common.Hash // insertion order, for eviction (may hold forgotten hashes)
	bytes  int
	fresh  []common.Hash // sent messages not yet handed to the relayer
	notify chan struct{} // signalled when fresh grows
	// collectFresh: an auto-relay takes the fresh messages (without one, none are kept).
	collectFresh bool
	// Caps (maxTrackedMessages, maxTrackedBytes; tests lower them).
	maxMessages, maxBytes int
}

func newMessageTracker(logger log.Logger) *MessageTracker {
	return &MessageTracker{log: logger, chains: map[uint64]*trackedChain{}, msgs: map[common.Hash]*TrackedMessage{}, notify: make(chan struct{}, 1),
		maxMessages: maxTrackedMessages, maxBytes: maxTrackedBytes}
}

func (t *MessageTracker) addChain(id uint64, r chainReader) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.chains[id] = &trackedChain{id: id, chain: *uint256.NewInt(id), reader: r}
}

// Message returns a copy of what is known of the message hash.
func (t *MessageTracker) Message(hash common.Hash) (*TrackedMessage, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.msgs[hash]
	if !ok {
		return nil, false
	}
	cp := *m
	cp.Failed = append([]TxRef(nil), m.Failed...)
	return &cp, true
}

// takeFresh returns the messages sent since the last call.
func (t *MessageTracker) takeFresh() []common.Hash {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.fresh
	t.fresh = nil
	return f
}

// setError records why the auto-relay gave up on a message ("" clears it).
func (t *MessageTracker) setError(hash common.Hash, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.msgs[hash]; ok {
		m.Error = reason
	}
}

// sync brings chain id up to its canonical head: undoes blocks that are no longer
// canonical, then reads the new ones.
func (t *MessageTracker) sync(id uint64) {
	t.mu.Lock()
	tc := t.chains[id]
	t.mu.Unlock()
	if tc == nil {
		return
	}
	head := tc.reader.headNumber()
	t.mu.Lock()
	if !tc.inited {
		tc.inited = true
		if head > backfillBlocks {
			tc.next = head - backfillBlocks
		}
	}
	// Undo the blocks a reorg removed, newest first.
	for len(tc.recent) > 0 {
		last := tc.recent[len(tc.recent)-1]
		if last.number <= head && tc.reader.canonicalHash(last.number) == last.hash {
			break
		}
		t.undoLocked(tc, &last)
		tc.recent = tc.recent[:len(tc.recent)-1]
		tc.next = last.number
	}
	t.mu.Unlock()
	for n := tc.next; n <= head; n++ {
		b, receipts := tc.reader.block(n)
		if b == nil || len(receipts) != len(b.Transactions()) {
			return // not readable yet (or reorged meanwhile): the next sync retries
		}
		t.mu.Lock()
		if len(tc.recent) > 0 && tc.recent[len(tc.recent)-1].hash != b.ParentHash() {
			t.mu.Unlock()
			return // the chain moved under us; the next sync undoes and retries
		}
		rec := t.applyLocked(tc, b, receipts)
		tc.recent = append(tc.recent, rec)
		if len(tc.recent) > trackedBlocks {
			tc.recent = tc.recent[1:]
		}
		tc.next = n + 1
		t.mu.Unlock()
	}
}

// applyLocked records the messages a block sends and relays.
func (t *MessageTracker) applyLocked(tc *trackedChain, b *types.Block, receipts types.Receipts) blockRecord {
	rec := blockRecord{number: b.NumberU64(), hash: b.Hash()}
	txs := b.Transactions()
	for i, r := range receipts {
		ref := TxRef{Chain: tc.id, Hash: txs[i].Hash(), BlockNumber: rec.number, BlockHash: rec.hash, Timestamp: b.Time()}
		for _, l := range r.Logs {
			if l.Address != xparams.L2ToL2CrossDomainMessengerAddress || len(l.Topics) == 0 {
				continue
			}
			switch l.Topics[0] {
			case TopicSentMessage:
				m, err := DecodeSentMessage(l, &tc.chain)
				if err != nil {
					t.log.Warn("Undecodable SentMessage log", "chain", tc.id, "block", rec.number, "index", l.Index, "err", err)
					continue
				}
				id := message.Identifier{Origin: l.Address, BlockNumber: rec.number, LogIndex: uint32(l.Index), Timestamp: b.Time(), ChainID: tc.chain}
				hash := m.Hash()
				tm := t.entryLocked(hash)
				sent := ref
				tm.Message, tm.ID, tm.Payload, tm.Sent = m, id, message.Payload(l.Topics, l.Data), &sent
				t.bytes += len(tm.Payload) + len(m.Message)
				rec.sent = append(rec.sent, hash)
				if t.collectFresh && len(t.fresh) < t.maxMessages {
					t.fresh = append(t.fresh, hash)
					select {
					case t.notify <- struct{}{}:
					default:
					}
				}
			case TopicRelayedMessage:
				hash, _, err := DecodeRelayedMessage(l)
				if err != nil {
					continue
				}
				relayed := ref
				t.entryLocked(hash).Relayed = &relayed
				rec.relayed = append(rec.relayed, hash)
			}
		}
		// A failed relay leaves no log: recognise it by its calldata.
		if r.Status == types.ReceiptStatusFailed && txs[i].To() != nil && *txs[i].To() == xparams.L2ToL2CrossDomainMessengerAddress {
			id, payload, err := DecodeRelayMessage(txs[i].Data())
			if err != nil {
				continue
			}
			m, err := DecodeSentMessagePayload(payload, &id.ChainID)
			if err != nil {
				continue
			}
			hash := m.Hash()
			if tm := t.entryLocked(hash); len(tm.Failed) < maxFailedRelays {
				tm.Failed = append(tm.Failed, ref)
				rec.relayed = append(rec.relayed, hash)
			}
		}
	}
	t.evictLocked()
	return rec
}

// entryLocked returns the entry of hash, creating it.
func (t *MessageTracker) entryLocked(hash common.Hash) *TrackedMessage {
	if m, ok := t.msgs[hash]; ok {
		return m
	}
	m := &TrackedMessage{Hash: hash}
	t.msgs[hash] = m
	t.order = append(t.order, hash)
	return m
}

// undoLocked forgets what a block that is no longer canonical recorded.
func (t *MessageTracker) undoLocked(tc *trackedChain, rec *blockRecord) {
	for _, h := range rec.sent {
		if m, ok := t.msgs[h]; ok && m.Sent != nil && m.Sent.BlockHash == rec.hash {
			t.log.Info("Forgot a message sent in a block removed by a reorg", "chain", tc.id, "block", rec.number, "hash", rec.hash, "msgHash", h)
			t.bytes -= len(m.Payload) + len(m.Message.Message)
			m.Sent, m.Message, m.Payload, m.ID = nil, nil, nil, message.Identifier{}
			t.dropIfEmptyLocked(h, m)
		}
	}
	for _, h := range rec.relayed {
		m, ok := t.msgs[h]
		if !ok {
			continue
		}
		if m.Relayed != nil && m.Relayed.BlockHash == rec.hash {
			m.Relayed = nil
		}
		kept := m.Failed[:0]
		for _, f := range m.Failed {
			if f.BlockHash != rec.hash {
				kept = append(kept, f)
			}
		}
		m.Failed = kept
		t.dropIfEmptyLocked(h, m)
	}
}

func (t *MessageTracker) dropIfEmptyLocked(h common.Hash, m *TrackedMessage) {
	if m.Sent == nil && m.Relayed == nil && len(m.Failed) == 0 {
		delete(t.msgs, h)
	}
}

// evictLocked forgets the oldest messages beyond the caps.
func (t *MessageTracker) evictLocked() {
	for len(t.order) > 0 && (len(t.msgs) > t.maxMessages || t.bytes > t.maxBytes || len(t.order) > 2*t.maxMessages) {
		h := t.order[0]
		t.order = t.order[1:]
		if m, ok := t.msgs[h]; ok {
			if m.Sent != nil {
				t.bytes -= len(m.Payload) + len(m.Message.Message)
			}
			delete(t.msgs, h)
		}
	}
}

// run keeps chain id synced: on every head event, and every interval in case one is missed.
func (t *MessageTracker) run(id uint64, heads <-chan core.ChainHeadEvent, interval time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	t.sync(id)
	for {
		select {
		case <-heads:
		case <-tick.C:
		case <-stop:
			return
		}
		t.sync(id)
	}
}

// messaging is the devnet's message tracker, auto-relay and admin server, started after the
// chains and stopped before them.
type messaging struct {
	log       log.Logger
	blockTime time.Duration
	tracker   *MessageTracker
	relayer   *autoRelayer // nil without AutoRelay
	admin     *adminServer // nil with a negative AdminPort
	stop      chan struct{}
	wg        sync.WaitGroup
	subs      []event.Subscription
}

func newMessaging(cfg Config) *messaging {
	logger := cfg.RelayLog
	if logger == nil {
		logger = log.Root()
	}
	return &messaging{log: logger, blockTime: cfg.BlockTime, tracker: newMessageTracker(logger), stop: make(chan struct{})}
}

// start follows every chain, then starts the auto-relay and the admin server as cfg asks.
func (ms *messaging) start(d *Devnet, cfg Config) error {
	ms.tracker.collectFresh = cfg.AutoRelay
	for _, c := range d.Chains {
		bc := c.Eth.BlockChain()
		ms.tracker.addChain(c.ID, blockChainReader{bc})
		heads := make(chan core.ChainHeadEvent, 16)
		ms.subs = append(ms.subs, bc.SubscribeChainHeadEvent(heads))
		ms.wg.Add(1)
		go func(id uint64) {
			defer ms.wg.Done()
			ms.tracker.run(id, heads, ms.blockTime/4, ms.stop)
		}(c.ID)
	}
	if cfg.AutoRelay {
		ms.relayer = newAutoRelayer(ms.log, ms.tracker, d.Chains, ms.blockTime, cfg.Cluster)
		ms.relayer.start()
	}
	if cfg.AdminPort >= 0 {
		admin, err := startAdminServer(cfg.AdminPort, d)
		if err != nil {
			return err
		}
		ms.admin = admin
	}
	return nil
}

// close stops what start started; it may be called on a partly started messaging.
func (ms *messaging) close() {
	if ms.admin != nil {
		ms.admin.close()
	}
	if ms.relayer != nil {
		ms.relayer.close()
	}
	close(ms.stop)
	for _, s := range ms.subs {
		s.Unsubscribe()
	}
	ms.wg.Wait()
}
