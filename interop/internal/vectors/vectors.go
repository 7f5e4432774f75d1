// Package vectors loads interop/testdata/conformance.json, the conformance vectors every
// interop codec must reproduce, for the tests of the interop packages. It decodes strictly:
// a field or section it does not know is an error, so a vector added to the file cannot be
// silently ignored by the tests. Test support only; nothing outside tests imports it.
package vectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// FileName is the vector file, relative to the interop directory.
const FileName = "testdata/conformance.json"

// File is the whole vector file.
type File struct {
	About                 string         `json:"about"`
	Checksum              []ChecksumCase `json:"checksum"`
	LogHash               []LogHashCase  `json:"logHash"`
	AccessListEncoding    []EncodingCase `json:"accessListEncoding"`
	ParseErrors           ParseErrors    `json:"parseErrors"`
	ExecutingMessageEvent EventVectors   `json:"executingMessageEvent"`
	Timing                TimingVectors  `json:"timing"`
}

// ChecksumCase is one message with its hashes. Intermediate values are optional.
type ChecksumCase struct {
	Name         string         `json:"name"`
	Origin       common.Address `json:"origin"`
	BlockNumber  hexutil.Uint64 `json:"blockNumber"`
	LogIndex     hexutil.Uint64 `json:"logIndex"`
	Timestamp    hexutil.Uint64 `json:"timestamp"`
	ChainID      *hexutil.Big   `json:"chainId"`
	PayloadASCII *string        `json:"payloadAscii"`
	MsgHash      common.Hash    `json:"msgHash"`
	LogHash      common.Hash    `json:"logHash"`
	IDPacked     *common.Hash   `json:"idPacked"`
	IDLogHash    *common.Hash   `json:"idLogHash"`
	BareChecksum *common.Hash   `json:"bareChecksum"`
	Checksum     common.Hash    `json:"checksum"`
	LookupEntry  *common.Hash   `json:"lookupEntry"`
}

// LogHashCase is a log and its payload and log hashes.
type LogHashCase struct {
	Name        string         `json:"name"`
	Address     common.Address `json:"address"`
	Topics      []common.Hash  `json:"topics"`
	Data        hexutil.Bytes  `json:"data"`
	PayloadHash common.Hash    `json:"payloadHash"`
	LogHash     common.Hash    `json:"logHash"`
}

// EncodingCase is either one access with its exact entries (the access fields are set) or
// a list of entries with the accesses it decodes to (Decoded is set).
type EncodingCase struct {
	Name           string          `json:"name"`
	ChainIDBytes32 *common.Hash    `json:"chainIdBytes32"`
	BlockNumber    *hexutil.Uint64 `json:"blockNumber"`
	Timestamp      *hexutil.Uint64 `json:"timestamp"`
	LogIndex       *hexutil.Uint64 `json:"logIndex"`
	Checksum       *common.Hash    `json:"checksum"`
	Entries        []common.Hash   `json:"entries"`
	Decoded        []DecodedAccess `json:"decoded"`
}

// DecodedAccess is an access without its checksum (the checksum is the message's type-3
// entry).
type DecodedAccess struct {
	ChainIDBytes32 common.Hash    `json:"chainIdBytes32"`
	BlockNumber    hexutil.Uint64 `json:"blockNumber"`
	Timestamp      hexutil.Uint64 `json:"timestamp"`
	LogIndex       hexutil.Uint64 `json:"logIndex"`
}

// ParseErrors are access lists described in English with the expected outcome.
type ParseErrors struct {
	About string      `json:"about"`
	Cases []ParseCase `json:"cases"`
}

// ParseCase entries look like "type 0x01, byte3=0x01"; Expect starts with "ok", "error: "
// or "no interop messages".
type ParseCase struct {
	Name    string   `json:"name"`
	Entries []string `json:"entries"`
	Expect  string   `json:"expect"`
}

// EventVectors describe the ExecutingMessage event and the CrossL2Inbox selectors.
type EventVectors struct {
	Topic0            common.Hash       `json:"topic0"`
	Signature         string            `json:"signature"`
	Selectors         map[string]string `json:"selectors"`
	SentMessageTopic0 common.Hash       `json:"sentMessageTopic0"`
	DecodeErrors      []string          `json:"decodeErrors"`
}

// TimingVectors are expiry and ordering cases.
type TimingVectors struct {
	About string       `json:"about"`
	Cases []TimingCase `json:"cases"`
}

// TimingCase: Window and Timeout are optional (nil when absent).
type TimingCase struct {
	Init    uint64  `json:"init"`
	Exec    uint64  `json:"exec"`
	Window  *uint64 `json:"window"`
	Timeout *uint64 `json:"timeout"`
	Expect  string  `json:"expect"`
}

// Path finds the vector file by walking up from the working directory (go test runs in
// the package directory, somewhere below interop/).
func Path() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found above the working directory", FileName)
		}
		dir = parent
	}
}

// Decode parses the vector file strictly (unknown fields are errors).
func Decode(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return &f, nil
}

// Load reads and decodes the vector file, failing t on any error.
func Load(t testing.TB) *File {
	t.Helper()
	p, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return f
}

var (
	entryTypeRe = regexp.MustCompile(`^type 0x([0-9a-f]{2})$`)
	entryByteRe = regexp.MustCompile(`^byte([0-9]+)=0x([0-9a-f]{2})$`)
)

// Entry builds the access-list entry a parse-error case describes: "type 0xNN" optionally
// followed by ", byteK=0xVV" for each non-zero byte position K (1..31); other bytes are zero.
func Entry(desc string) (common.Hash, error) {
	var e common.Hash
	parts := strings.Split(desc, ", ")
	m := entryTypeRe.FindStringSubmatch(parts[0])
	if m == nil {
		return e, fmt.Errorf("vectors: cannot read entry description %q", desc)
	}
	typ, _ := strconv.ParseUint(m[1], 16, 8)
	e[0] = byte(typ)
	for _, p := range parts[1:] {
		m := entryByteRe.FindStringSubmatch(p)
		if m == nil {
			return e, fmt.Errorf("vectors: cannot read entry description %q", desc)
		}
		pos, _ := strconv.Atoi(m[1])
		val, _ := strconv.ParseUint(m[2], 16, 8)
		if pos < 1 || pos > 31 {
			return e, fmt.Errorf("vectors: byte position %d out of range in %q", pos, desc)
		}
		e[pos] = byte(val)
	}
	return e, nil
}
