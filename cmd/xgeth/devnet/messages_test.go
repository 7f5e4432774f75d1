package devnet

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/log"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/message"
	xparams "github.com/xgeth/xgeth/params"
)

func mustType(t string, comps []abi.ArgumentMarshaling) abi.Type {
	ty, err := abi.NewType(t, "", comps)
	if err != nil {
		panic(err)
	}
	return ty
}

var (
	abiUint256 = mustType("uint256", nil)
	abiAddress = mustType("address", nil)
	abiBytesT  = mustType("bytes", nil)
	abiID      = mustType("tuple", []abi.ArgumentMarshaling{{Name: "origin", Type: "address"}, {Name: "blockNumber", Type: "uint256"},
		{Name: "logIndex", Type: "uint256"}, {Name: "timestamp", Type: "uint256"}, {Name: "chainId", Type: "uint256"}})
)

// The event topics and selectors are the keccak hashes of the signatures.
func TestMessengerSignatures(t *testing.T) {
	for _, tc := range []struct {
		sig  string
		want []byte
	}{
		{"SentMessage(uint256,address,uint256,address,bytes)", TopicSentMessage[:]},
		{"RelayedMessage(uint256,uint256,bytes32,bytes32)", TopicRelayedMessage[:]},
		{"relayMessage((address,uint256,uint256,uint256,uint256),bytes)", RelayMessageSelector[:]},
		{"successfulMessages(bytes32)", successfulMessagesSelector[:]},
	} {
		if got := crypto.Keccak256([]byte(tc.sig))[:len(tc.want)]; !bytes.Equal(got, tc.want) {
			t.Errorf("%s: %x, want %x", tc.sig, got, tc.want)
		}
	}
}

func testMessage() *L2ToL2Message {
	m := &L2ToL2Message{Sender: common.HexToAddress("0x1111"), Target: common.HexToAddress("0x2222"), Message: []byte("a message longer than one word, to pad")}
	m.Destination.SetUint64(902)
	m.Source.SetUint64(901)
	m.Nonce.SetUint64(7)
	return m
}

// sentMessageLog encodes m as the messenger's SentMessage log, with go-ethereum's ABI packer.
func sentMessageLog(t testing.TB, m *L2ToL2Message) *types.Log {
	data, err := abi.Arguments{{Type: abiAddress}, {Type: abiBytesT}}.Pack(m.Sender, m.Message)
	if err != nil {
		t.Fatal(err)
	}
	return &types.Log{Address: xparams.L2ToL2CrossDomainMessengerAddress, Data: data,
		Topics: []common.Hash{TopicSentMessage, m.Destination.Bytes32(), common.BytesToHash(m.Target[:]), m.Nonce.Bytes32()}}
}

// The message hash is keccak256(abi.encode(destination, source, nonce, sender, target,
// message)) as go-ethereum's ABI packer encodes it.
func TestMessageHash(t *testing.T) {
	for _, msg := range [][]byte{nil, {1}, bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 65)} {
		m := testMessage()
		m.Message = msg
		enc, err := abi.Arguments{{Type: abiUint256}, {Type: abiUint256}, {Type: abiUint256}, {Type: abiAddress}, {Type: abiAddress}, {Type: abiBytesT}}.
			Pack(m.Destination.ToBig(), m.Source.ToBig(), m.Nonce.ToBig(), m.Sender, m.Target, m.Message)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Hash(), crypto.Keccak256Hash(enc); got != want {
			t.Errorf("message of %d bytes: hash %s, want %s", len(msg), got, want)
		}
	}
}

func TestDecodeSentMessage(t *testing.T) {
	m := testMessage()
	l := sentMessageLog(t, m)
	got, err := DecodeSentMessage(l, &m.Source)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != m.Hash() || got.Sender != m.Sender || got.Target != m.Target || !bytes.Equal(got.Message, m.Message) {
		t.Fatalf("decoded %+v, want %+v", got, m)
	}
	// The relay payload is the same log as topics ‖ data.
	fromPayload, err := DecodeSentMessagePayload(message.Payload(l.Topics, l.Data), &m.Source)
	if err != nil || fromPayload.Hash() != m.Hash() {
		t.Fatalf("payload: %v, %v", fromPayload, err)
	}

	mutate := func(f func(l *types.Log)) *types.Log {
		c := *l
		c.Topics = append([]common.Hash(nil), l.Topics...)
		c.Data = common.CopyBytes(l.Data)
		f(&c)
		return &c
	}
	for name, tc := range map[string]struct {
		log  *types.Log
		want error
	}{
		"other emitter":   {mutate(func(l *types.Log) { l.Address = common.HexToAddress("0x4200000000000000000000000000000000000024") }), ErrNotSentMessage},
		"other event":     {mutate(func(l *types.Log) { l.Topics[0] = TopicRelayedMessage }), ErrNotSentMessage},
		"three topics":    {mutate(func(l *types.Log) { l.Topics = l.Topics[:3] }), ErrNotSentMessage},
		"target padding":  {mutate(func(l *types.Log) { l.Topics[2][0] = 1 }), ErrBadABI},
		"sender padding":  {mutate(func(l *types.Log) { l.Data[0] = 1 }), ErrBadABI},
		"short data":      {mutate(func(l *types.Log) { l.Data = l.Data[:40] }), ErrBadABI},
		"no length":       {mutate(func(l *types.Log) { l.Data = l.Data[:64] }), ErrBadABI},
		"offset too high": {mutate(func(l *types.Log) { l.Data[63] = 0xff }), ErrBadABI},
		"huge offset":     {mutate(func(l *types.Log) { l.Data[32] = 1 }), ErrBadABI},
		"length too high": {mutate(func(l *types.Log) { l.Data[95] = 0xff }), ErrBadABI},
		"huge length":     {mutate(func(l *types.Log) { l.Data[64] = 1 }), ErrBadABI},
		"truncated bytes": {mutate(func(l *types.Log) { l.Data = l.Data[:100] }), ErrBadABI},
	} {
		if _, err := DecodeSentMessage(tc.log, &m.Source); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	for name, payload := range map[string][]byte{
		"empty":       nil,
		"short":       make([]byte, 127),
		"other topic": append(TopicRelayedMessage.Bytes(), make([]byte, 200)...),
	} {
		if _, err := DecodeSentMessagePayload(payload, &m.Source); !errors.Is(err, ErrNotSentMessage) {
			t.Errorf("payload %s: %v, want ErrNotSentMessage", name, err)
		}
	}
}

func testIdentifier() message.Identifier {
	id := message.Identifier{Origin: xparams.L2ToL2CrossDomainMessengerAddress, BlockNumber: 12, LogIndex: 3, Timestamp: 1_700_000_000}
	id.ChainID.SetUint64(901)
	return id
}

// relayMessage calldata is what go-ethereum's ABI packer makes, and decodes back.
func TestRelayMessageCalldata(t *testing.T) {
	id := testIdentifier()
	l := sentMessageLog(t, testMessage())
	payload := message.Payload(l.Topics, l.Data)
	got := EncodeRelayMessage(&id, payload)
	type idTuple struct {
		Origin      common.Address
		BlockNumber *big.Int
		LogIndex    *big.Int
		Timestamp   *big.Int
		ChainId     *big.Int
	}
	args, err := abi.Arguments{{Type: abiID}, {Type: abiBytesT}}.Pack(idTuple{id.Origin, new(big.Int).SetUint64(id.BlockNumber), big.NewInt(int64(id.LogIndex)),
		new(big.Int).SetUint64(id.Timestamp), id.ChainID.ToBig()}, payload)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(RelayMessageSelector[:], args...); !bytes.Equal(got, want) {
		t.Fatalf("calldata\n%x\nwant\n%x", got, want)
	}
	did, dpayload, err := DecodeRelayMessage(got)
	if err != nil || did != id || !bytes.Equal(dpayload, payload) {
		t.Fatalf("decoded %+v %x %v", did, dpayload, err)
	}
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"empty":            {nil, ErrNotRelayMessage},
		"other selector":   {append([]byte{1, 2, 3, 4}, got[4:]...), ErrNotRelayMessage},
		"short":            {got[:100], ErrBadABI},
		"no offset":        {got[:4+160], ErrBadABI},
		"origin padding":   {patch(got, 4, 1), ErrBadABI},
		"block above u64":  {patch(got, 4+32+23, 1), ErrBadABI},
		"index above u32":  {patch(got, 4+64+27, 1), ErrBadABI},
		"offset past end":  {patch(got, 4+160+30, 0xff), ErrBadABI},
		"length past end":  {patch(got, 4+192+30, 0xff), ErrBadABI},
		"truncated bytes":  {got[:len(got)-40], ErrBadABI},
		"offset above u64": {patch(got, 4+160, 1), ErrBadABI},
	} {
		if _, _, err := DecodeRelayMessage(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func patch(b []byte, i int, v byte) []byte {
	c := common.CopyBytes(b)
	c[i] = v
	return c
}

func FuzzDecodeRelayMessage(f *testing.F) {
	id := testIdentifier()
	l := sentMessageLog(f, testMessage())
	f.Add(EncodeRelayMessage(&id, message.Payload(l.Topics, l.Data)))
	f.Add(EncodeRelayMessage(&id, nil))
	f.Add(RelayMessageSelector[:])
	f.Fuzz(func(t *testing.T, data []byte) {
		id, payload, err := DecodeRelayMessage(data)
		if err != nil {
			return
		}
		// What decodes re-encodes to calldata that decodes the same.
		id2, payload2, err := DecodeRelayMessage(EncodeRelayMessage(&id, payload))
		if err != nil || id2 != id || !bytes.Equal(payload, payload2) {
			t.Fatalf("round trip: %v", err)
		}
		src := uint256.NewInt(901)
		if m, err := DecodeSentMessagePayload(payload, src); err == nil {
			m.Hash()
		}
	})
}

func FuzzDecodeSentMessage(f *testing.F) {
	l := sentMessageLog(f, testMessage())
	f.Add(message.Payload(l.Topics, l.Data))
	f.Add(make([]byte, 128))
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := DecodeSentMessagePayload(payload, uint256.NewInt(901))
		if err != nil {
			return
		}
		// A decoded message re-encodes to a log that decodes to the same hash.
		back, err := DecodeSentMessage(sentMessageLog(t, m), &m.Source)
		if err != nil || back.Hash() != m.Hash() {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func BenchmarkDecodeSentMessage(b *testing.B) {
	m := testMessage()
	l := sentMessageLog(b, m)
	b.ReportAllocs()
	for b.Loop() {
		d, err := DecodeSentMessage(l, &m.Source)
		if err != nil {
			b.Fatal(err)
		}
		d.Hash()
	}
}

// fakeChain is a chainReader over blocks built in the test; it can be reorged.
type fakeChain struct {
	blocks   []*types.Block
	receipts []types.Receipts
}

func (c *fakeChain) headNumber() uint64 { return uint64(len(c.blocks) - 1) }
func (c *fakeChain) canonicalHash(n uint64) common.Hash {
	if n >= uint64(len(c.blocks)) {
		return common.Hash{}
	}
	return c.blocks[n].Hash()
}
func (c *fakeChain) block(n uint64) (*types.Block, types.Receipts) {
	if n >= uint64(len(c.blocks)) {
		return nil, nil
	}
	return c.blocks[n], c.receipts[n]
}

// fakeTx is a transaction and its receipt in a fake block.
type fakeTx struct {
	to     common.Address
	data   []byte
	failed bool
	logs   []*types.Log
}

func newFakeChain() *fakeChain {
	genesis := types.NewBlockWithHeader(&types.Header{Number: big.NewInt(0), Time: 1000})
	return &fakeChain{blocks: []*types.Block{genesis}, receipts: []types.Receipts{{}}}
}

// add appends a block (after truncating the chain to number-1: a reorg) with txs.
func (c *fakeChain) add(number uint64, fork byte, txs ...fakeTx) *types.Block {
	c.blocks, c.receipts = c.blocks[:number], c.receipts[:number]
	parent := c.blocks[number-1]
	h := &types.Header{Number: new(big.Int).SetUint64(number), ParentHash: parent.Hash(), Time: parent.Time() + 2, Extra: []byte{fork}}
	var (
		body     types.Body
		receipts types.Receipts
		index    uint
	)
	for i, ft := range txs {
		to := ft.to
		tx := types.NewTx(&types.DynamicFeeTx{Nonce: uint64(i), To: &to, Data: ft.data, Gas: 100_000})
		body.Transactions = append(body.Transactions, tx)
		r := &types.Receipt{Status: types.ReceiptStatusSuccessful, TxHash: tx.Hash()}
		if ft.failed {
			r.Status = types.ReceiptStatusFailed
		}
		for _, l := range ft.logs {
			cl := *l
			cl.Index, cl.TxHash, cl.BlockNumber = index, tx.Hash(), number
			index++
			r.Logs = append(r.Logs, &cl)
		}
		receipts = append(receipts, r)
	}
	b := types.NewBlockWithHeader(h).WithBody(body)
	c.blocks, c.receipts = append(c.blocks, b), append(c.receipts, receipts)
	return b
}

func relayedLog(m *L2ToL2Message) *types.Log {
	return &types.Log{Address: xparams.L2ToL2CrossDomainMessengerAddress, Data: make([]byte, 32),
		Topics: []common.Hash{TopicRelayedMessage, m.Source.Bytes32(), m.Nonce.Bytes32(), m.Hash()}}
}

func newTestTracker() (*MessageTracker, *fakeChain, *fakeChain) {
	tr := newMessageTracker(log.New())
	tr.collectFresh = true
	a, b := newFakeChain(), newFakeChain()
	tr.addChain(901, a)
	tr.addChain(902, b)
	return tr, a, b
}

// The tracker records a message sent on 901 with its identifier and sending transaction,
// then its relay on 902.
func TestTrackerSentThenRelayed(t *testing.T) {
	tr, a, b := newTestTracker()
	m := testMessage()
	other := &types.Log{Address: common.HexToAddress("0x1234"), Topics: []common.Hash{{1}}}
	blk := a.add(1, 0, fakeTx{to: common.HexToAddress("0x99"), logs: []*types.Log{other}}, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{sentMessageLog(t, m)}})
	tr.sync(901)
	got, ok := tr.Message(m.Hash())
	if !ok || got.State() != StateSent || got.Sent == nil {
		t.Fatalf("message not tracked as sent: %+v", got)
	}
	want := message.Identifier{Origin: xparams.L2ToL2CrossDomainMessengerAddress, BlockNumber: 1, LogIndex: 1, Timestamp: blk.Time()}
	want.ChainID.SetUint64(901)
	if got.ID != want || got.Sent.Hash != blk.Transactions()[1].Hash() || got.Sent.BlockHash != blk.Hash() {
		t.Fatalf("identifier %+v sent %+v, want %+v in tx %s", got.ID, got.Sent, want, blk.Transactions()[1].Hash())
	}
	if fresh := tr.takeFresh(); len(fresh) != 1 || fresh[0] != m.Hash() {
		t.Fatalf("fresh %v", fresh)
	}
	// A failed relay on 902 (no log, recognised by its calldata), then a successful one.
	relay := EncodeRelayMessage(&got.ID, got.Payload)
	fb := b.add(1, 0, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, data: relay, failed: true})
	tr.sync(902)
	if got, _ := tr.Message(m.Hash()); got.State() != StateFailed || len(got.Failed) != 1 || got.Failed[0].Hash != fb.Transactions()[0].Hash() {
		t.Fatalf("failed relay not recorded: %+v", got)
	}
	// A failed call to another contract with the same calldata is not a relay.
	b.add(2, 0, fakeTx{to: common.HexToAddress("0x77"), data: relay, failed: true})
	rb := b.add(3, 0, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, data: relay, logs: []*types.Log{relayedLog(m)}})
	tr.sync(902)
	got, _ = tr.Message(m.Hash())
	if got.State() != StateRelayed || got.Relayed.Hash != rb.Transactions()[0].Hash() || got.Relayed.Chain != 902 || len(got.Failed) != 1 {
		t.Fatalf("relay not recorded: %+v", got)
	}
}

// A reorg of the source removes the message (never relayed from a non-canonical block);
// the same message sent again in the new chain comes back with its new identifier.
func TestTrackerSourceReorg(t *testing.T) {
	tr, a, _ := newTestTracker()
	m := testMessage()
	send := fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{sentMessageLog(t, m)}}
	a.add(1, 0)
	a.add(2, 0, send)
	tr.sync(901)
	tr.takeFresh()
	if _, ok := tr.Message(m.Hash()); !ok {
		t.Fatal("message not tracked")
	}
	// Block 2 replaced by an empty block and the chain grows past it.
	a.add(2, 1)
	a.add(3, 1)
	tr.sync(901)
	if got, ok := tr.Message(m.Hash()); ok {
		t.Fatalf("message of a removed block still tracked: %+v", got)
	}
	// Sent again in block 4 after another log: new identifier, reported fresh again.
	other := &types.Log{Address: common.HexToAddress("0x1234")}
	a.add(4, 1, fakeTx{to: common.HexToAddress("0x99"), logs: []*types.Log{other}}, send)
	tr.sync(901)
	got, ok := tr.Message(m.Hash())
	if !ok || got.ID.BlockNumber != 4 || got.ID.LogIndex != 1 || got.Sent.BlockHash != a.blocks[4].Hash() {
		t.Fatalf("re-sent message: %+v", got)
	}
	if fresh := tr.takeFresh(); len(fresh) != 1 {
		t.Fatalf("re-sent message not fresh: %v", fresh)
	}
	// A rewind below the head (no new block yet) also undoes it.
	a.blocks, a.receipts = a.blocks[:4], a.receipts[:4]
	tr.sync(901)
	if _, ok := tr.Message(m.Hash()); ok {
		t.Fatal("message of a rewound block still tracked")
	}
}

// A reorg of the destination undoes the relay: the message is sent, not relayed, again.
func TestTrackerDestinationReorg(t *testing.T) {
	tr, a, b := newTestTracker()
	m := testMessage()
	a.add(1, 0, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{sentMessageLog(t, m)}})
	b.add(1, 0, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{relayedLog(m)}})
	tr.sync(901)
	tr.sync(902)
	if got, _ := tr.Message(m.Hash()); got.State() != StateRelayed {
		t.Fatalf("state %s", got.State())
	}
	b.add(1, 1)
	tr.sync(902)
	if got, _ := tr.Message(m.Hash()); got.State() != StateSent || got.Relayed != nil {
		t.Fatalf("relay of a removed block kept: %+v", got)
	}
}

// Memory is bounded: beyond the caps the oldest messages are forgotten.
func TestTrackerCap(t *testing.T) {
	tr, a, _ := newTestTracker()
	tr.maxMessages = 3
	var hashes []common.Hash
	for i := uint64(1); i <= 5; i++ {
		m := testMessage()
		m.Nonce.SetUint64(i)
		hashes = append(hashes, m.Hash())
		a.add(i, 0, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{sentMessageLog(t, m)}})
	}
	tr.sync(901)
	for i, h := range hashes {
		if _, ok := tr.Message(h); ok != (i >= 2) {
			t.Errorf("message %d tracked: %v", i, ok)
		}
	}
	tr.maxMessages, tr.maxBytes = 100, 1 // every message is more than a byte: only the newest stays
	m := testMessage()
	m.Nonce.SetUint64(6)
	a.add(6, 0, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{sentMessageLog(t, m)}})
	tr.sync(901)
	if len(tr.msgs) != 0 || tr.bytes != 0 {
		t.Fatalf("%d messages, %d bytes kept above the byte cap", len(tr.msgs), tr.bytes)
	}
}

func BenchmarkTrackerBlock(b *testing.B) {
	tr, a, _ := newTestTracker()
	tr.collectFresh = false
	var txs []fakeTx
	for i := range 50 {
		m := testMessage()
		m.Nonce.SetUint64(uint64(i))
		txs = append(txs, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{sentMessageLog(b, m)}})
	}
	blk := a.add(1, 0, txs...)
	tc := tr.chains[901]
	b.ReportAllocs()
	for b.Loop() {
		tr.mu.Lock()
		tr.applyLocked(tc, blk, a.receipts[1])
		tr.mu.Unlock()
	}
}

func BenchmarkEncodeRelayMessage(b *testing.B) {
	id := testIdentifier()
	l := sentMessageLog(b, testMessage())
	payload := message.Payload(l.Topics, l.Data)
	b.ReportAllocs()
	for b.Loop() {
		EncodeRelayMessage(&id, payload)
	}
}
