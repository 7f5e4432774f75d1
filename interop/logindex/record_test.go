package logindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

func TestRecordRoundTrip(t *testing.T) {
	parent := BlockRef{Hash: common.Hash{1}}
	for _, nLogs := range []int{0, 1, 7, 100, 1000} {
		b := makeBlock(parent, true, 1<<40, 1<<50, nLogs, 1, true)
		raw := encodeRecord(nil, b, 12345, 67890)
		if len(raw) != encodedSize(b) {
			t.Fatalf("size %d, encodedSize %d", len(raw), encodedSize(b))
		}
		r, err := decodeRecord(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.toBlock()
		if err != nil {
			t.Fatal(err)
		}
		if got.BlockRef != b.BlockRef || r.logsBefore != 12345 || r.bytesBefore != 67890 ||
			len(got.LogHashes) != nLogs || len(got.ExecMsgs) != len(b.ExecMsgs) {
			t.Fatalf("decoded %+v", got.BlockRef)
		}
		for i := range b.LogHashes {
			if got.LogHashes[i] != b.LogHashes[i] {
				t.Fatalf("log %d", i)
			}
		}
		for i := range b.ExecMsgs {
			if got.ExecMsgs[i] != b.ExecMsgs[i] {
				t.Fatalf("exec %d: %+v != %+v", i, got.ExecMsgs[i], b.ExecMsgs[i])
			}
		}
	}
}

// withCRC replaces the last four bytes of body ++ crc by a valid checksum.
func withCRC(body []byte) []byte {
	out := append([]byte(nil), body...)
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

func TestDecodeBad(t *testing.T) {
	b := makeBlock(BlockRef{}, true, 5, 1000, 30, 1, true)
	// One executing message with the maximal chain ID, to edit its fields below.
	b.ExecMsgs = b.ExecMsgs[:1]
	b.ExecMsgs[0].Msg.Identifier.ChainID.SetAllOne()
	good := encodeRecord(nil, b, 0, 0)
	body := good[:len(good)-crcSize]
	execAt := offLogs + 32*30 + 1          // the first executing message
	idLenAt := execAt + 1 + 20 + 1 + 2 + 2 // log index, origin, block number 15, log index 3000, timestamp 999
	edit := func(f func(b []byte) []byte) []byte { return withCRC(f(append([]byte(nil), body...))) }
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "0 bytes"},
		{"short", good[:minRecordSize-1], "need at least"},
		{"truncated", good[:len(good)-1], "checksum"},
		{"garbled", func() []byte { g := bytes.Clone(good); g[200] ^= 1; return g }(), "checksum"},
		{"trailing byte", append(bytes.Clone(good), 0), "checksum"},
		{"version", edit(func(b []byte) []byte { b[0] = 2; return b }), "unknown version 2"},
		{"too many logs", edit(func(b []byte) []byte { binary.BigEndian.PutUint32(b[offNumLogs:], MaxLogsPerBlock+1); return b }), "more than"},
		{"logs beyond the end", edit(func(b []byte) []byte { binary.BigEndian.PutUint32(b[offNumLogs:], 200); return b }), "do not fit"},
		{"trailing bytes", edit(func(b []byte) []byte { return append(b, 0) }), "trailing"},
		{"exec count too high", edit(func(b []byte) []byte { b[execAt-1] = 2; return b }), "executing messages in a block"},
		{"exec count non-canonical", edit(func(b []byte) []byte {
			return append(append(b[:execAt-1:execAt-1], 0x81, 0x00), b[execAt:]...)
		}), "non-canonical"},
		{"exec log beyond block", edit(func(b []byte) []byte { b[execAt] = 30; return b }), "block has 30 logs"},
		{"exec chain ID too long", edit(func(b []byte) []byte { b[idLenAt] = 33; return b }), "chain ID of 33 bytes"},
		{"exec chain ID leading zero", edit(func(b []byte) []byte { b[idLenAt+1] = 0; return b }), "leading zero"},
		{"exec truncated", withCRC(body[:len(body)-1]), "truncated"},
		{"no exec count", withCRC(body[:execAt-1]), "do not fit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeRecord(tc.raw)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v, want ErrCorrupt", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestDecodeExecOrder(t *testing.T) {
	b := makeBlock(BlockRef{}, true, 5, 1000, 30, 1, true)
	raw := encodeRecord(nil, b, 0, 0)
	// Re-encode with two messages swapped (bypassing Append's validation).
	b.ExecMsgs[0], b.ExecMsgs[1] = b.ExecMsgs[1], b.ExecMsgs[0]
	if _, err := decodeRecord(encodeRecord(nil, b, 0, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("unordered executing messages: %v", err)
	}
	if _, err := decodeRecord(raw); err != nil {
		t.Fatal(err)
	}
}

// FuzzDecodeRecord: decoding never panics, rejects with ErrCorrupt, and whatever it
// accepts re-encodes to exactly the same bytes. Each input is tried as is and with its
// checksum fixed, so the fuzzer also explores the structure behind the checksum.
func FuzzDecodeRecord(f *testing.F) {
	for _, n := range []int{0, 1, 2, 4, 8, 30} {
		b := makeBlock(BlockRef{Hash: common.Hash{byte(n)}}, true, uint64(n)<<33, 1700000000, n, 1, true)
		f.Add(encodeRecord(nil, b, uint64(n), 99))
	}
	zero := makeBlock(BlockRef{}, true, 0, 0, 3, 1, false)
	zero.ExecMsgs = []ExecMsg{{LogIndex: 2}}
	zero.ExecMsgs[0].Msg.Identifier.ChainID = *uint256.NewInt(0)
	f.Add(encodeRecord(nil, zero, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		try := func(raw []byte) {
			r, err := decodeRecord(raw)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error not ErrCorrupt: %v", err)
				}
				return
			}
			b, err := r.toBlock()
			if err != nil {
				t.Fatalf("accepted record does not convert: %v", err)
			}
			if err := validateBlock(b); err != nil {
				t.Fatalf("accepted record holds an invalid block: %v", err)
			}
			if enc := encodeRecord(nil, b, r.logsBefore, r.bytesBefore); !bytes.Equal(enc, raw) {
				t.Fatalf("re-encoding differs:\n%x\n%x", raw, enc)
			}
			for i := uint32(0); i < r.nLogs; i++ {
				if r.logHash(i) != b.LogHashes[i] {
					t.Fatal("logHash slice")
				}
			}
		}
		try(data)
		if len(data) >= crcSize {
			try(withCRC(data[:len(data)-crcSize]))
		}
	})
}
