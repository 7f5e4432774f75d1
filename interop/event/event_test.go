package event

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/internal/vectors"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// selectorSignatures are the canonical signatures of the selectors in the vector file.
var selectorSignatures = map[string]string{
	"validateMessage":   "validateMessage((address,uint256,uint256,uint256,uint256),bytes32)",
	"calculateChecksum": "calculateChecksum((address,uint256,uint256,uint256,uint256),bytes32)",
	"relayMessage":      "relayMessage((address,uint256,uint256,uint256,uint256),bytes)",
}

func TestTopicAndSelectors(t *testing.T) {
	v := vectors.Load(t).ExecutingMessageEvent
	if got := crypto.Keccak256Hash([]byte(v.Signature)); got != v.Topic0 {
		t.Errorf("keccak(%s) = %x, vector topic0 %x", v.Signature, got, v.Topic0)
	}
	if ExecutingMessageTopic != v.Topic0 {
		t.Errorf("ExecutingMessageTopic %x, want %x", ExecutingMessageTopic, v.Topic0)
	}
	if got := crypto.Keccak256Hash([]byte("SentMessage(uint256,address,uint256,address,bytes)")); got != v.SentMessageTopic0 {
		t.Errorf("SentMessage topic %x, want %x", got, v.SentMessageTopic0)
	}
	for name, want := range v.Selectors {
		sig, ok := selectorSignatures[name]
		if !ok {
			t.Errorf("no signature written down for selector %q", name)
			continue
		}
		if got := "0x" + common.Bytes2Hex(crypto.Keccak256([]byte(sig))[:4]); got != want {
			t.Errorf("selector of %s = %s, want %s", sig, got, want)
		}
	}
	if got := "0x" + common.Bytes2Hex(ValidateMessageSelector[:]); got != v.Selectors["validateMessage"] {
		t.Errorf("ValidateMessageSelector %s, want %s", got, v.Selectors["validateMessage"])
	}
	if len(v.Selectors) != len(selectorSignatures) {
		t.Errorf("vector has %d selectors, test knows %d", len(v.Selectors), len(selectorSignatures))
	}
}

func sampleMessage() message.Message {
	return message.Message{
		Identifier: message.Identifier{
			Origin:      common.HexToAddress("0xe0e1e2e3e4e5e6e7e8e9f0f1f2f3f4f5f6f7f8f9"),
			BlockNumber: 0xa1a2a3a4a5a6a7a8,
			LogIndex:    0xb1b2b3b4,
			Timestamp:   0xc1c2c3c4c5c6c7c8,
			ChainID:     uint256.Int{0xd1d2d3d4d5d6d7d8, 0, 0, 0xff << 56},
		},
		MsgHash: common.HexToHash("0x8017559a85b12c04b14a1a425d53486d1015f833714a09bd62f04152a7e2ae9b"),
	}
}

func TestEncodeLayout(t *testing.T) {
	msg := sampleMessage()
	want := common.FromHex("" +
		"000000000000000000000000e0e1e2e3e4e5e6e7e8e9f0f1f2f3f4f5f6f7f8f9" +
		"000000000000000000000000000000000000000000000000a1a2a3a4a5a6a7a8" +
		"00000000000000000000000000000000000000000000000000000000b1b2b3b4" +
		"000000000000000000000000000000000000000000000000c1c2c3c4c5c6c7c8" +
		"ff00000000000000000000000000000000000000000000000000000000000000" +
		"")
	copy(want[128+24:], common.FromHex("d1d2d3d4d5d6d7d8"))
	if got := EncodeIdentifier(&msg.Identifier); !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got %x\nwant %x", got, want)
	}
	l := EncodeLog(&msg)
	if l.Address != params.CrossL2InboxAddress || len(l.Topics) != 2 || l.Topics[0] != ExecutingMessageTopic || l.Topics[1] != msg.MsgHash {
		t.Fatalf("log %+v", l)
	}
}

// badLog returns the sample ExecutingMessage log after mutate.
func badLog(mutate func(l *types.Log)) *types.Log {
	msg := sampleMessage()
	l := EncodeLog(&msg)
	mutate(l)
	return l
}

func setByte(i int) func(l *types.Log) { return func(l *types.Log) { l.Data[i] = 1 } }

// decodeErrorCases are the vector file's decodeErrors, each turned into logs by hand.
// want nil means "not an executing message, no error".
var decodeErrorCases = map[string]struct {
	want error
	logs []*types.Log
}{
	"0, 1 or 3 topics: unexpected number of topics": {ErrTopicCount, []*types.Log{
		badLog(func(l *types.Log) { l.Topics = nil }),
		badLog(func(l *types.Log) { l.Topics = l.Topics[:1] }),
		badLog(func(l *types.Log) { l.Topics = append(l.Topics, common.Hash{}) }),
	}},
	"wrong topic0: unexpected event topic": {ErrEventTopic, []*types.Log{
		badLog(func(l *types.Log) { l.Topics[0] = common.Hash{1} }),
		badLog(func(l *types.Log) { l.Topics[0], l.Topics[1] = l.Topics[1], l.Topics[0] }),
	}},
	"data length 128 or 192 (must be 160): unexpected identifier data length": {ErrDataLength, []*types.Log{
		badLog(func(l *types.Log) { l.Data = l.Data[:128] }),
		badLog(func(l *types.Log) { l.Data = append(l.Data, make([]byte, 32)...) }),
	}},
	"non-zero byte in the 12 padding bytes of origin: invalid address padding": {ErrAddressPadding, []*types.Log{
		badLog(setByte(0)), badLog(setByte(5)), badLog(setByte(11)),
	}},
	"non-zero byte in the upper 24 bytes of blockNumber or timestamp, or upper 28 bytes of logIndex: invalid padding": {ErrPadding, []*types.Log{
		badLog(setByte(32)), badLog(setByte(55)), // blockNumber
		badLog(setByte(96)), badLog(setByte(119)), // timestamp
		badLog(setByte(64)), badLog(setByte(91)), // logIndex
	}},
	"log not emitted by 0x42..22, or not 2 topics, or other topic0: not an executing message (no error)": {nil, []*types.Log{
		badLog(func(l *types.Log) { l.Address = params.L2ToL2CrossDomainMessengerAddress }),
		badLog(func(l *types.Log) { l.Topics = l.Topics[:1] }),
		badLog(func(l *types.Log) { l.Topics = append(l.Topics, common.Hash{}) }),
		badLog(func(l *types.Log) { l.Topics[0] = common.Hash{1} }),
		{Address: params.CrossL2InboxAddress},
	}},
}

func TestDecodeErrorVectors(t *testing.T) {
	v := vectors.Load(t).ExecutingMessageEvent
	handled := 0
	for _, desc := range v.DecodeErrors {
		c, ok := decodeErrorCases[desc]
		if !ok {
			t.Errorf("no test written for decode vector %q", desc)
			continue
		}
		handled++
		for i, l := range c.logs {
			msg, err := DecodeExecutingMessage(l)
			if c.want == nil {
				if msg != nil || err != nil {
					t.Errorf("%s [%d]: got %v, %v; want nil, nil", desc, i, msg, err)
				}
				if IsExecutingMessage(l) {
					t.Errorf("%s [%d]: IsExecutingMessage true", desc, i)
				}
				continue
			}
			// Topic errors come from the strict event decoder; the log-level decoder treats
			// such logs as ordinary logs.
			_, evErr := DecodeEvent(l.Topics, l.Data)
			if !errors.Is(evErr, c.want) {
				t.Errorf("%s [%d]: DecodeEvent error %v, want %v", desc, i, evErr, c.want)
			}
			if c.want == ErrTopicCount || c.want == ErrEventTopic {
				if msg != nil || err != nil {
					t.Errorf("%s [%d]: DecodeExecutingMessage = %v, %v; want nil, nil", desc, i, msg, err)
				}
				continue
			}
			if msg != nil || !errors.Is(err, c.want) {
				t.Errorf("%s [%d]: got %v, %v; want %v", desc, i, msg, err, c.want)
			}
			wantText := desc[strings.LastIndex(desc, ": ")+2:]
			if err != nil && !strings.Contains(err.Error(), wantText) {
				t.Errorf("%s [%d]: error %q does not say %q", desc, i, err, wantText)
			}
		}
	}
	if handled != len(v.DecodeErrors) || handled != len(decodeErrorCases) {
		t.Errorf("handled %d of %d decode vectors (%d written)", handled, len(v.DecodeErrors), len(decodeErrorCases))
	}
}

func TestDecodeIdentifierBadInputs(t *testing.T) {
	good := EncodeIdentifier(&message.Identifier{ChainID: *uint256.NewInt(1)})
	with := func(i int) []byte { d := bytes.Clone(good); d[i] = 0x80; return d }
	for _, c := range []struct {
		name string
		data []byte
		err  error
		msg  string
	}{
		{"nil", nil, ErrDataLength, "unexpected identifier data length: 0"},
		{"159 bytes", good[:159], ErrDataLength, "unexpected identifier data length: 159"},
		{"161 bytes", append(bytes.Clone(good), 0), ErrDataLength, "unexpected identifier data length: 161"},
		{"origin padding", with(3), ErrAddressPadding, "invalid address padding: 000000800000000000000000"},
		{"blockNumber padding", with(40), ErrPadding, "invalid padding of blockNumber"},
		{"logIndex padding byte 27", with(64 + 27), ErrPadding, "invalid padding of logIndex"},
		{"timestamp padding", with(100), ErrPadding, "invalid padding of timestamp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := DecodeIdentifier(c.data)
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %v, want %v containing %q", err, c.err, c.msg)
			}
			if id != (message.Identifier{}) {
				t.Errorf("identifier %+v with an error", id)
			}
		})
	}
	// Value bytes just below the padding are accepted: full-width fields.
	full := message.Identifier{BlockNumber: ^uint64(0), LogIndex: ^uint32(0), Timestamp: ^uint64(0)}
	for i := range full.Origin {
		full.Origin[i] = 0xff
	}
	full.ChainID.SetAllOne()
	got, err := DecodeIdentifier(EncodeIdentifier(&full))
	if err != nil || got != full {
		t.Errorf("full-width identifier: %+v, %v", got, err)
	}
}

func randomMessage(r *rand.Rand) message.Message {
	var m message.Message
	for i := range m.Identifier.Origin {
		m.Identifier.Origin[i] = byte(r.Uint32())
	}
	for i := range m.MsgHash {
		m.MsgHash[i] = byte(r.Uint32())
	}
	m.Identifier.BlockNumber = r.Uint64()
	m.Identifier.LogIndex = r.Uint32()
	m.Identifier.Timestamp = r.Uint64()
	switch r.IntN(3) {
	case 0:
		m.Identifier.ChainID.SetUint64(r.Uint64N(1 << 20))
	case 1:
		m.Identifier.ChainID.SetUint64(r.Uint64())
	default:
		m.Identifier.ChainID = uint256.Int{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 2000; i++ {
		m := randomMessage(r)
		l := EncodeLog(&m)
		got, err := DecodeExecutingMessage(l)
		if err != nil || got == nil || *got != m {
			t.Fatalf("round trip of %+v: %+v, %v", m, got, err)
		}
		ev, err := DecodeEvent(l.Topics, l.Data)
		if err != nil || ev != m {
			t.Fatalf("DecodeEvent round trip: %+v, %v", ev, err)
		}
	}
}

func TestDecodeAllocations(t *testing.T) {
	m := sampleMessage()
	l := EncodeLog(&m)
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeEvent(l.Topics, l.Data) }); n != 0 {
		t.Errorf("DecodeEvent allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeExecutingMessage(l) }); n != 1 {
		t.Errorf("DecodeExecutingMessage allocates %v times, want 1 (the result)", n)
	}
	other := &types.Log{Address: common.Address{1}}
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeExecutingMessage(other) }); n != 0 {
		t.Errorf("skipping an ordinary log allocates %v times", n)
	}
}

// FuzzDecodeExecutingMessage: decoding arbitrary logs never panics, and a log that decodes
// re-encodes to exactly the same data (the decoder accepts one encoding per message);
// encoding an arbitrary message decodes back to it.
func FuzzDecodeExecutingMessage(f *testing.F) {
	m := sampleMessage()
	l := EncodeLog(&m)
	f.Add(l.Data, flattenTopics(l.Topics), true, m.Identifier.BlockNumber, m.Identifier.LogIndex, m.Identifier.Timestamp, m.MsgHash[:], m.Identifier.Origin[:])
	f.Add([]byte{}, []byte{}, false, uint64(0), uint32(0), uint64(0), []byte{}, []byte{})
	f.Add(make([]byte, 160), ExecutingMessageTopic[:], true, uint64(1), uint32(2), uint64(3), []byte{1}, []byte{2})
	f.Fuzz(func(t *testing.T, data, topics []byte, fromInbox bool, block uint64, logIndex uint32, ts uint64, chainID, origin []byte) {
		// Arbitrary log.
		raw := &types.Log{Data: data}
		if fromInbox {
			raw.Address = params.CrossL2InboxAddress
		}
		for len(topics) >= 32 {
			raw.Topics = append(raw.Topics, common.BytesToHash(topics[:32]))
			topics = topics[32:]
		}
		msg, err := DecodeExecutingMessage(raw)
		switch {
		case err != nil:
			if msg != nil {
				t.Fatal("message with an error")
			}
		case msg != nil:
			back := EncodeLog(msg)
			if !bytes.Equal(back.Data, data) || !reflect.DeepEqual(back.Topics, raw.Topics) || !fromInbox {
				t.Fatalf("decoded log does not re-encode to itself: %x -> %+v", data, msg)
			}
		default:
			if IsExecutingMessage(raw) {
				t.Fatal("an executing-message log decoded to nothing without an error")
			}
		}
		// Arbitrary message.
		var want message.Message
		want.Identifier.BlockNumber, want.Identifier.LogIndex, want.Identifier.Timestamp = block, logIndex, ts
		if len(chainID) > 32 {
			chainID = chainID[:32]
		}
		want.Identifier.ChainID.SetBytes(chainID)
		copy(want.Identifier.Origin[:], origin)
		want.MsgHash = crypto.Keccak256Hash(origin)
		got, err := DecodeExecutingMessage(EncodeLog(&want))
		if err != nil || got == nil || *got != want {
			t.Fatalf("round trip of %+v: %+v, %v", want, got, err)
		}
	})
}

func flattenTopics(topics []common.Hash) []byte {
	var out []byte
	for _, h := range topics {
		out = append(out, h[:]...)
	}
	return out
}

var sinkMessage *message.Message

func BenchmarkDecodeExecutingMessage(b *testing.B) {
	m := sampleMessage()
	l := EncodeLog(&m)
	b.ReportAllocs()
	for b.Loop() {
		sinkMessage, _ = DecodeExecutingMessage(l)
	}
}
