package accesslist

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/internal/vectors"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/params"
)

var otherAddress = common.HexToAddress("0x4200000000000000000000000000000000000023")

func chainIDFrom(h common.Hash) uint256.Int {
	var c uint256.Int
	c.SetBytes32(h[:])
	return c
}

func TestEncodingVectors(t *testing.T) {
	f := vectors.Load(t)
	for _, c := range f.AccessListEncoding {
		t.Run(c.Name, func(t *testing.T) {
			var want []Access
			switch {
			case c.Decoded != nil:
				checksums := []common.Hash{}
				for _, e := range c.Entries {
					if e[0] == TypeChecksum {
						checksums = append(checksums, e)
					}
				}
				if len(checksums) != len(c.Decoded) {
					t.Fatalf("%d checksums for %d decoded messages", len(checksums), len(c.Decoded))
				}
				for i, d := range c.Decoded {
					want = append(want, Access{
						BlockNumber: uint64(d.BlockNumber),
						Timestamp:   uint64(d.Timestamp),
						LogIndex:    uint32(d.LogIndex),
						ChainID:     chainIDFrom(d.ChainIDBytes32),
						Checksum:    checksums[i],
					})
				}
			case c.ChainIDBytes32 != nil && c.BlockNumber != nil && c.Timestamp != nil && c.LogIndex != nil && c.Checksum != nil:
				want = []Access{{
					BlockNumber: uint64(*c.BlockNumber),
					Timestamp:   uint64(*c.Timestamp),
					LogIndex:    uint32(*c.LogIndex),
					ChainID:     chainIDFrom(*c.ChainIDBytes32),
					Checksum:    *c.Checksum,
				}}
			default:
				t.Fatal("vector has neither an access nor decoded accesses")
			}
			if got := Encode(want); !slices.Equal(got, c.Entries) {
				t.Errorf("Encode:\n got %x\nwant %x", got, c.Entries)
			}
			got, err := Parse(c.Entries)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
			}
			// Every way of splitting the keys over CrossL2Inbox tuples, with tuples of
			// another address (and an empty inbox tuple) interleaved, decodes the same.
			for _, al := range splits(c.Entries) {
				got, err := ParseTx(al)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("split %v: got %+v, %v", al, got, err)
				}
			}
		})
	}
}

// splits returns one access list for each way of cutting entries into consecutive runs.
func splits(entries []common.Hash) []types.AccessList {
	var out []types.AccessList
	cuts := len(entries) - 1
	for mask := 0; mask < 1<<cuts; mask++ {
		al := types.AccessList{{Address: otherAddress, StorageKeys: []common.Hash{{0x01}, {0x03}}}}
		run := []common.Hash{entries[0]}
		for i := 1; i < len(entries); i++ {
			if mask&(1<<(i-1)) != 0 {
				al = append(al,
					types.AccessTuple{Address: params.CrossL2InboxAddress, StorageKeys: run},
					types.AccessTuple{Address: otherAddress, StorageKeys: []common.Hash{{0x02}}},
					types.AccessTuple{Address: params.CrossL2InboxAddress})
				run = nil
			}
			run = append(run, entries[i])
		}
		al = append(al, types.AccessTuple{Address: params.CrossL2InboxAddress, StorageKeys: run})
		out = append(out, al)
	}
	return out
}

var (
	entryTypeRe = regexp.MustCompile(`^type 0x([0-9a-f]{2})$`)
	entryByteRe = regexp.MustCompile(`^byte([0-9]+)=0x([0-9a-f]{2})$`)
)

// entryFromDescription builds an entry from "type 0x01, byte3=0x01".
func entryFromDescription(t *testing.T, desc string) common.Hash {
	t.Helper()
	var e common.Hash
	parts := strings.Split(desc, ", ")
	m := entryTypeRe.FindStringSubmatch(parts[0])
	if m == nil {
		t.Fatalf("cannot read entry description %q", desc)
	}
	typ, _ := strconv.ParseUint(m[1], 16, 8)
	e[0] = byte(typ)
	for _, p := range parts[1:] {
		m := entryByteRe.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("cannot read entry description %q", desc)
		}
		pos, _ := strconv.Atoi(m[1])
		val, _ := strconv.ParseUint(m[2], 16, 8)
		if pos < 1 || pos > 31 {
			t.Fatalf("byte position %d out of range in %q", pos, desc)
		}
		e[pos] = byte(val)
	}
	return e
}

var gotTypeRe = regexp.MustCompile(`^error: (expected lookup|expected checksum), got type ([0-9]+)$`)

// okResults are the decoded values of the "ok" parse vectors, by their expectation text.
var okResults = map[string][]Access{
	"ok: one message, chain 0, block 0, ts 0, log 0": {{Checksum: common.Hash{0x03}}},
	"ok: chain id = low 64 bits":                     {{Checksum: common.Hash{0x03}}},
}

func TestParseErrorVectors(t *testing.T) {
	f := vectors.Load(t)
	handled := 0
	for _, c := range f.ParseErrors.Cases {
		t.Run(c.Name, func(t *testing.T) {
			entries := []common.Hash{}
			for _, d := range c.Entries {
				entries = append(entries, entryFromDescription(t, d))
			}
			got, err := Parse(entries)
			// The same keys in a CrossL2Inbox tuple next to another address's tuple.
			txGot, txErr := ParseTx(types.AccessList{
				{Address: otherAddress, StorageKeys: []common.Hash{{0x09}}},
				{Address: params.CrossL2InboxAddress, StorageKeys: entries},
			})
			if !reflect.DeepEqual(got, txGot) || fmt.Sprint(err) != fmt.Sprint(txErr) {
				t.Errorf("Parse and ParseTx differ: %v %v / %v %v", got, err, txGot, txErr)
			}
			var wantErr error
			switch {
			case strings.HasPrefix(c.Expect, "no interop messages"):
				if got != nil || err != nil {
					t.Errorf("got %v, %v; want nil, nil", got, err)
				}
				handled++
				return
			case strings.HasPrefix(c.Expect, "ok"):
				want, ok := okResults[c.Expect]
				if !ok {
					t.Fatalf("no decoded value written down for %q", c.Expect)
				}
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("got %+v, %v; want %+v", got, err, want)
				}
				handled++
				return
			case c.Expect == "error: malformed (reserved bytes)":
				wantErr = ErrMalformedEntry
			case c.Expect == "error: unexpected end":
				wantErr = ErrUnexpectedEnd
			default:
				m := gotTypeRe.FindStringSubmatch(c.Expect)
				if m == nil {
					t.Fatalf("unknown expectation %q", c.Expect)
				}
				wantErr = ErrExpectedLookup
				if m[1] == "expected checksum" {
					wantErr = ErrExpectedChecksum
				}
				if err != nil && !strings.Contains(err.Error(), m[1]+", got type "+m[2]) {
					t.Errorf("error %q does not say %q", err, strings.TrimPrefix(c.Expect, "error: "))
				}
			}
			if !errors.Is(err, wantErr) {
				t.Errorf("error %v, want %v", err, wantErr)
			}
			if got != nil {
				t.Errorf("result %v with an error", got)
			}
			handled++
		})
	}
	if handled != len(f.ParseErrors.Cases) {
		t.Errorf("handled %d of %d parse vectors", handled, len(f.ParseErrors.Cases))
	}
}

func entry(typ byte, set ...int) common.Hash {
	var e common.Hash
	e[0] = typ
	for i := 0; i+1 < len(set); i += 2 {
		e[set[i]] = byte(set[i+1])
	}
	return e
}

// TestParseBadInputs: errors name the sentinel and the position in the concatenated keys.
func TestParseBadInputs(t *testing.T) {
	ok := []common.Hash{entry(1), entry(3)}
	okExt := []common.Hash{entry(1), entry(2, 31, 1), entry(3)}
	cat := func(parts ...[]common.Hash) []common.Hash { return slices.Concat(parts...) }
	for _, c := range []struct {
		name    string
		entries []common.Hash
		errs    []error
		msg     string
	}{
		{"type 0 after a message", cat(ok, []common.Hash{entry(0)}), []error{ErrExpectedLookup}, "entry 2: expected lookup, got type 0"},
		{"checksum after a message", cat(ok, []common.Hash{entry(3)}), []error{ErrExpectedLookup}, "entry 2: expected lookup, got type 3"},
		{"type 255 first", []common.Hash{entry(0xff)}, []error{ErrExpectedLookup}, "entry 0: expected lookup, got type 255"},
		{"reserved byte 2 of lookup", cat(okExt, []common.Hash{entry(1, 2, 0x80), entry(3)}), []error{ErrMalformedEntry}, "entry 3: malformed entry (non-zero reserved bytes) in lookup"},
		{"reserved byte 1 of extension", []common.Hash{entry(1), entry(2, 1, 1), entry(3)}, []error{ErrMalformedEntry}, "entry 1: malformed entry (non-zero reserved bytes) in chain-ID extension"},
		{"reserved byte 4 of extension", []common.Hash{entry(1), entry(2, 4, 1), entry(3)}, []error{ErrMalformedEntry}, "in chain-ID extension"},
		{"lookup at the end after a message", cat(ok, []common.Hash{entry(1)}), []error{ErrUnexpectedEnd}, "entry 2: unexpected end"},
		{"extension at the end", cat(okExt, []common.Hash{entry(1), entry(2)}), []error{ErrUnexpectedEnd}, "entry 3: unexpected end"},
		{"duplicate extension", []common.Hash{entry(1), entry(2, 20, 1), entry(2, 20, 1), entry(3)}, []error{ErrExpectedChecksum, ErrDuplicateExtension}, "entry 2: expected checksum, got type 2 (duplicate chain-ID extension)"},
		{"lookup, extension, lookup", []common.Hash{entry(1), entry(2), entry(1), entry(3)}, []error{ErrExpectedChecksum}, "entry 2: expected checksum, got type 1"},
		{"lookup, type 4", []common.Hash{entry(1), entry(4)}, []error{ErrExpectedChecksum}, "entry 1: expected checksum, got type 4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.entries)
			if err == nil || got != nil {
				t.Fatalf("got %v, %v", got, err)
			}
			for _, e := range c.errs {
				if !errors.Is(err, e) {
					t.Errorf("error %q is not %q", err, e)
				}
			}
			if !errors.Is(err, rpcerr.InvalidParams) {
				t.Errorf("error %q is not invalid params", err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not contain %q", err, c.msg)
			}
			if code, _ := rpcerr.CodeOf(err); code != -32602 {
				t.Errorf("code %d", code)
			}
			// AppendParsed leaves dst unchanged on error.
			dst := []Access{{BlockNumber: 7}}
			out, err2 := AppendParsed(dst, c.entries)
			if err2 == nil || !reflect.DeepEqual(out, dst) {
				t.Errorf("AppendParsed on error: %v, %v", out, err2)
			}
		})
	}
	if !errors.Is(ErrExpectedChecksum, rpcerr.InvalidParams) || errors.Is(ErrExpectedChecksum, ErrExpectedLookup) {
		t.Error("sentinel derivation wrong")
	}
}

func TestParseValid(t *testing.T) {
	// Repeated messages are kept; zero extension accepted; a full-width chain ID.
	full := Access{BlockNumber: 1, Timestamp: 2, LogIndex: 3, Checksum: common.Hash{0x03, 9}}
	full.ChainID.SetAllOne()
	small := Access{BlockNumber: 4, Timestamp: 5, LogIndex: 6, ChainID: *uint256.NewInt(901), Checksum: common.Hash{0x03, 8}}
	entries := Encode([]Access{full, small, small})
	if len(entries) != 7 {
		t.Fatalf("%d entries", len(entries))
	}
	got, err := Parse(entries)
	if err != nil || !reflect.DeepEqual(got, []Access{full, small, small}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	// Non-canonical: an explicit zero extension for a small chain ID.
	nonCanon := []common.Hash{small.Lookup(), small.Extension(), small.Checksum}
	if nonCanon[1] != entry(2) {
		t.Fatalf("zero extension %x", nonCanon[1])
	}
	got, err = Parse(nonCanon)
	if err != nil || !reflect.DeepEqual(got, []Access{small}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	// Parse(nil) and Parse(empty) are nil, nil; so is ParseTx of a list without inbox keys.
	for _, in := range [][]common.Hash{nil, {}} {
		if got, err := Parse(in); got != nil || err != nil {
			t.Errorf("Parse(%v) = %v, %v", in, got, err)
		}
	}
	if got, err := ParseTx(types.AccessList{{Address: otherAddress, StorageKeys: []common.Hash{{1}}}}); got != nil || err != nil {
		t.Errorf("ParseTx without inbox keys = %v, %v", got, err)
	}
	if Encode(nil) != nil || TxAccessList(nil) != nil {
		t.Error("encoding nothing must give nil")
	}
}

func TestAppendParsedReusesBuffer(t *testing.T) {
	cs := common.Hash{TypeChecksum}
	entries := Encode([]Access{{ChainID: *uint256.NewInt(1), Checksum: cs}, {ChainID: *uint256.NewInt(2), Checksum: cs}})
	buf := make([]Access, 1, 8)
	buf[0].BlockNumber = 99
	out, err := AppendParsed(buf, entries)
	if err != nil || len(out) != 3 || &out[0] != &buf[0] || out[0].BlockNumber != 99 || out[2].ChainID.Uint64() != 2 {
		t.Fatalf("got %+v, %v", out, err)
	}
	// Stale high limbs in a reused buffer are cleared.
	stale := make([]Access, 1)
	stale[0].ChainID.SetAllOne()
	out, err = AppendParsed(stale[:0], entries[:2])
	if err != nil || out[0].ChainID.Uint64() != 1 || !out[0].ChainID.IsUint64() {
		t.Fatalf("got %+v, %v", out, err)
	}
	if n := testing.AllocsPerRun(100, func() { out, _ = AppendParsed(out[:0], entries) }); n != 0 {
		t.Errorf("AppendParsed into a big enough buffer allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse(entries) }); n != 1 {
		t.Errorf("Parse allocates %v times, want 1", n)
	}
}

func TestInboxKeys(t *testing.T) {
	a, b, c := common.Hash{1}, common.Hash{2}, common.Hash{3}
	inbox := params.CrossL2InboxAddress
	if InboxKeys(nil) != nil {
		t.Error("nil list")
	}
	if InboxKeys(types.AccessList{{Address: otherAddress, StorageKeys: []common.Hash{a}}, {Address: inbox}}) != nil {
		t.Error("no inbox keys must give nil")
	}
	single := types.AccessList{{Address: otherAddress, StorageKeys: []common.Hash{c}}, {Address: inbox, StorageKeys: []common.Hash{a, b}}, {Address: inbox}}
	got := InboxKeys(single)
	if !slices.Equal(got, []common.Hash{a, b}) || &got[0] != &single[1].StorageKeys[0] {
		t.Errorf("single tuple: %v (must alias the tuple's keys)", got)
	}
	multi := types.AccessList{{Address: inbox, StorageKeys: []common.Hash{b}}, {Address: otherAddress, StorageKeys: []common.Hash{c}}, {Address: inbox, StorageKeys: []common.Hash{a, c}}}
	if got := InboxKeys(multi); !slices.Equal(got, []common.Hash{b, a, c}) {
		t.Errorf("multi: %v", got)
	}
	al := TxAccessList([]Access{{ChainID: *uint256.NewInt(5)}})
	if len(al) != 1 || al[0].Address != inbox || len(al[0].StorageKeys) != 2 {
		t.Errorf("TxAccessList: %v", al)
	}
}

func TestFromMessage(t *testing.T) {
	f := vectors.Load(t)
	for _, c := range f.Checksum {
		id := message.Identifier{
			Origin:      c.Origin,
			BlockNumber: uint64(c.BlockNumber),
			LogIndex:    uint32(c.LogIndex),
			Timestamp:   uint64(c.Timestamp),
		}
		id.ChainID.SetFromBig(c.ChainID.ToInt())
		a := FromMessage(&id, c.MsgHash)
		if a.Checksum != c.Checksum {
			t.Errorf("%s: checksum %x, want %x", c.Name, a.Checksum, c.Checksum)
		}
		if c.LookupEntry != nil && a.Lookup() != *c.LookupEntry {
			t.Errorf("%s: lookup %x, want %x", c.Name, a.Lookup(), *c.LookupEntry)
		}
		if a.LookupIdentifier(c.Origin) != id {
			t.Errorf("%s: identifier %+v, want %+v", c.Name, a.LookupIdentifier(c.Origin), id)
		}
		if !a.Matches(c.LogHash) || a.Matches(common.Hash{}) {
			t.Errorf("%s: Matches wrong", c.Name)
		}
	}
}

func randomAccess(r *rand.Rand) Access {
	a := Access{BlockNumber: r.Uint64(), Timestamp: r.Uint64(), LogIndex: r.Uint32()}
	for i := range a.Checksum {
		a.Checksum[i] = byte(r.Uint32())
	}
	a.Checksum[0] = TypeChecksum
	switch r.IntN(4) {
	case 0:
		a.ChainID.SetUint64(r.Uint64N(100000))
	case 1:
		a.ChainID.SetUint64(r.Uint64())
	case 2: // just above 2^64
		a.ChainID = uint256.Int{r.Uint64(), 1, 0, 0}
	default:
		a.ChainID = uint256.Int{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	return a
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 500; i++ {
		accesses := make([]Access, 1+r.IntN(20))
		for j := range accesses {
			accesses[j] = randomAccess(r)
		}
		entries := Encode(accesses)
		got, err := Parse(entries)
		if err != nil || !reflect.DeepEqual(got, accesses) {
			t.Fatalf("round trip of %+v: %+v, %v", accesses, got, err)
		}
		for j, a := range accesses {
			if a.ChainID.IsUint64() != (a.EntryCount() == 2) {
				t.Fatalf("access %d: extension iff chain ID ≥ 2^64", j)
			}
		}
	}
}

func benchEntries(messages int) []common.Hash {
	r := rand.New(rand.NewPCG(5, 6))
	accesses := make([]Access, messages)
	for i := range accesses {
		accesses[i] = randomAccess(r)
		accesses[i].ChainID.SetUint64(901 + uint64(i%2))
	}
	return Encode(accesses)
}

var sinkAccesses []Access

// BenchmarkParseAccessList3 parses one message of three entries (chain ID above 2^64).
func BenchmarkParseAccessList3(b *testing.B) {
	a := randomAccess(rand.New(rand.NewPCG(5, 6)))
	a.ChainID = uint256.Int{901, 1, 0, 0}
	entries := Encode([]Access{a})
	if len(entries) != 3 {
		b.Fatalf("%d entries", len(entries))
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkAccesses, _ = Parse(entries)
	}
}

// entries3000 is 1,000 messages of three entries each (every chain ID above 2^64).
func entries3000(b *testing.B) []common.Hash {
	accesses, _ := Parse(benchEntries(1000))
	if len(accesses) != 1000 {
		b.Fatalf("%d accesses", len(accesses))
	}
	for i := range accesses {
		accesses[i].ChainID[1] = 1
	}
	entries := Encode(accesses)
	if len(entries) != 3000 {
		b.Fatalf("%d entries", len(entries))
	}
	return entries
}

func BenchmarkParseAccessList3000(b *testing.B) {
	entries := entries3000(b)
	b.ReportAllocs()
	for b.Loop() {
		sinkAccesses, _ = Parse(entries)
	}
}

// BenchmarkParseAccessList3000Reuse parses into a reused buffer: the cost of the codec
// alone, without the 88 kB allocation (and the garbage collections it triggers in a
// benchmark's small heap).
func BenchmarkParseAccessList3000Reuse(b *testing.B) {
	entries := entries3000(b)
	buf := make([]Access, 0, 1000)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendParsed(buf[:0], entries)
	}
}

var sinkEntries []common.Hash

func BenchmarkEncodeAccessList(b *testing.B) {
	accesses, _ := Parse(benchEntries(1000))
	b.ReportAllocs()
	for b.Loop() {
		sinkEntries = Encode(accesses)
	}
}
