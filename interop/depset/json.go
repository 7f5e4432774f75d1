package depset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/holiman/uint256"
)

// The file format is the OP Stack dependency set (op-core/interop/depset), with xgeth's
// optional fields inside each dependency object:
//
//	{
//	  "dependencies": {
//	    "901": {"activationTime": 0, "blockTime": 2, "rpc": "ws://127.0.0.1:9546"},
//	    "902": {}
//	  },
//	  "overrideMessageExpiryWindow": 604800
//	}
//
// The OP Stack loader ignores the extra fields and xgeth ignores fields it does not know,
// so one file serves both.
//
// The per-chain form (xgeth's) gives each chain its own dependency set, the chains whose
// logs it accepts as initiating messages, itself included, in a "dependencySet" list:
//
//	"dependencies": {
//	  "901": {"dependencySet": ["901", "902"], ...},
//	  "902": {"dependencySet": ["902", "901", "903"], ...},
//	  "903": {"dependencySet": ["903", "902"], "rpc": "ws://..."}
//	}
//
// Either every chain has a dependencySet or none has (the full mesh). Entries are decimal
// chain IDs, as strings or JSON integers; each must be listed under "dependencies" (a chain
// is followed through its entry there). A set must name its own chain and no chain twice.
// Decisions:
//   - Keys are decimal chain IDs (digits only; leading zeros are tolerated and the same ID
//     spelled twice, "901" and "0901", is a duplicate). Hexadecimal keys are rejected:
//     the OP Stack loader would reject the file.
//   - activationTime and blockTime are given together or not at all; without them the
//     chain's timing is unknown (Chain.HasTiming) and Validate fails until the command
//     layer completes it (Set.With). blockTime 0 is an error.
//   - Numbers are JSON integers in the uint64 range: negative, fractional, exponent and
//     overflowing values are errors, as are strings for numbers.
//   - Duplicate keys are errors at every level (encoding/json would keep the last one).
//   - Field names are case-sensitive; a known name in another case is an error rather
//     than silently ignored.
//   - overrideMessageExpiryWindow absent or 0 selects params.MessageExpiryWindow.

const (
	fieldDependencies  = "dependencies"
	fieldExpiry        = "overrideMessageExpiryWindow"
	fieldActivation    = "activationTime"
	fieldBlockTime     = "blockTime"
	fieldRPC           = "rpc"
	fieldDependencySet = "dependencySet"
)

// Load reads and parses the dependency-set file at path.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("depset: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Parse parses a dependency-set JSON document (format above). Errors wrap ErrInvalid.
func Parse(data []byte) (*Set, error) {
	s, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, nil
}

func parse(data []byte) (*Set, error) {
	var (
		deps    json.RawMessage
		expiry  uint64
		sawDeps bool
	)
	err := walkObject(data, "document", true, func(key string, val json.RawMessage) error {
		switch key {
		case fieldDependencies:
			deps, sawDeps = val, true
		case fieldExpiry:
			v, err := parseUint(val)
			if err != nil {
				return fmt.Errorf("%s: %v", fieldExpiry, err)
			}
			expiry = v
		default:
			return checkCase(key, fieldDependencies, fieldExpiry)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawDeps || isNull(deps) {
		return nil, fmt.Errorf("missing %q object", fieldDependencies)
	}
	var (
		chains   []Chain
		sets     = map[uint256.Int][]uint256.Int{}
		spelling = map[uint256.Int]string{}
	)
	err = walkObject(deps, fieldDependencies, false, func(key string, val json.RawMessage) error {
		id, err := parseDecimalID(key)
		if err != nil {
			return fmt.Errorf("chain ID %q: %v", key, err)
		}
		if id.IsZero() {
			return fmt.Errorf("chain ID %q: zero is not a chain ID", key)
		}
		if prev, dup := spelling[*id]; dup {
			return fmt.Errorf("chain %s listed twice (as %q and %q)", id.Dec(), prev, key)
		}
		spelling[*id] = key
		c, set, err := parseDependency(val)
		if err != nil {
			return fmt.Errorf("chain %s: %v", id.Dec(), err)
		}
		c.ID = *id
		chains = append(chains, c)
		if set != nil {
			sets[*id] = set
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		sets = nil // the full mesh
	}
	return build(chains, expiry, sets)
}

// parseDependency parses one chain's object; set is its dependencySet, nil when absent.
func parseDependency(val json.RawMessage) (c Chain, set []uint256.Int, err error) {
	var sawActivation, sawBlockTim bool
	if isNull(val) {
		return c, nil, nil // the OP Stack loader accepts null for an empty dependency
	}
	err = walkObject(val, "dependency", false, func(key string, v json.RawMessage) error {
		var err error
		switch key {
		case fieldDependencySet:
			set, err = parseIDList(v)
		case fieldActivation:
			sawActivation = true
			c.ActivationTime, err = parseUint(v)
		case fieldBlockTime:
			sawBlockTim = true
			c.BlockTime, err = parseUint(v)
			if err == nil && c.BlockTime == 0 {
				err = errors.New("must be > 0")
			}
		case fieldRPC:
			if err = json.Unmarshal(v, &c.RPC); err != nil || isNull(v) {
				err = errors.New("must be a string")
			} else if c.RPC == "" {
				err = errors.New("empty (leave the field out instead)")
			}
		default:
			return checkCase(key, fieldActivation, fieldBlockTime, fieldRPC, fieldDependencySet)
		}
		if err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		return nil
	})
	if err != nil {
		return c, nil, err
	}
	if sawActivation != sawBlockTim {
		return c, nil, fmt.Errorf("give both %s and %s, or neither", fieldActivation, fieldBlockTime)
	}
	return c, set, nil
}

// parseIDList parses a JSON array of decimal chain IDs, each a string or an integer. It
// returns a non-nil slice (an empty array is refused later: a set names its own chain).
func parseIDList(v json.RawMessage) ([]uint256.Int, error) {
	var raw []json.RawMessage
	if isNull(v) || json.Unmarshal(v, &raw) != nil {
		return nil, errors.New("want an array of chain IDs")
	}
	out := make([]uint256.Int, 0, len(raw))
	for i, r := range raw {
		s := string(bytes.TrimSpace(r))
		if len(s) >= 2 && s[0] == '"' {
			if err := json.Unmarshal(r, &s); err != nil {
				return nil, fmt.Errorf("entry %d: %v", i, err)
			}
		}
		id, err := parseDecimalID(s)
		if err != nil {
			return nil, fmt.Errorf("entry %d: chain ID %s: %v", i, string(r), err)
		}
		if id.IsZero() {
			return nil, fmt.Errorf("entry %d: zero is not a chain ID", i)
		}
		out = append(out, *id)
	}
	return out, nil
}

// walkObject calls fn for every member of the JSON object in data, in order, rejecting
// duplicate keys. top also rejects anything after the object.
func walkObject(data []byte, what string, top bool, fn func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %v", what, syntaxErr(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s: want a JSON object, have %s", what, describe(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %v", what, syntaxErr(err))
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("%s: want a key, have %s", what, describe(tok))
		}
		if seen[key] {
			return fmt.Errorf("%s: duplicate key %q", what, key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return fmt.Errorf("%s: %q: %v", what, key, syntaxErr(err))
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return fmt.Errorf("%s: %v", what, syntaxErr(err))
	}
	if top {
		if _, err := dec.Token(); err != io.EOF {
			return fmt.Errorf("%s: data after the JSON object", what)
		}
	}
	return nil
}

func syntaxErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// checkCase rejects a key that differs from a known field name only by case: the OP Stack
// loader (encoding/json) matches names case-insensitively, so ignoring it would read the
// file differently.
func checkCase(key string, known ...string) error {
	for _, k := range known {
		if strings.EqualFold(key, k) {
			return fmt.Errorf("field %q: names are case-sensitive, did you mean %q?", key, k)
		}
	}
	return nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// parseUint accepts a JSON integer literal in the uint64 range.
func parseUint(v json.RawMessage) (uint64, error) {
	s := string(bytes.TrimSpace(v))
	if s == "" || s[0] < '0' || s[0] > '9' {
		if s != "" && s[0] == '-' {
			return 0, fmt.Errorf("%s is negative", s)
		}
		return 0, fmt.Errorf("%s is not a JSON number", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%s overflows uint64", s)
		}
		return 0, fmt.Errorf("%s is not an unsigned integer", s)
	}
	return n, nil
}

// parseDecimalID parses digits only (leading zeros allowed) into a 256-bit integer.
func parseDecimalID(s string) (*uint256.Int, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return nil, errors.New("hexadecimal chain IDs are not allowed here; write it in decimal (OP Stack format)")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, errors.New("not a decimal number")
		}
	}
	id, err := uint256.FromDecimal(s)
	if err != nil {
		return nil, errors.New("overflows 256 bits")
	}
	return id, nil
}

// MarshalJSON writes the set in the file format, members in ascending chain-ID order,
// omitting unknown timing, empty endpoints and a default expiry window. Parse reads it
// back to an Equal set.
func (s *Set) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"dependencies":{`)
	for i := range s.chains {
		c := &s.chains[i]
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s":{`, c.ID.Dec())
		sep := ""
		if c.HasTiming() {
			fmt.Fprintf(&b, `"%s":%d,"%s":%d`, fieldActivation, c.ActivationTime, fieldBlockTime, c.BlockTime)
			sep = ","
		}
		if c.RPC != "" {
			rpc, err := json.Marshal(c.RPC)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, `%s"%s":%s`, sep, fieldRPC, rpc)
			sep = ","
		}
		if s.sets != nil {
			fmt.Fprintf(&b, `%s"%s":["%s"`, sep, fieldDependencySet, c.ID.Dec())
			for _, d := range s.graph.Direct(&c.ID) {
				fmt.Fprintf(&b, `,"%s"`, d.Dec())
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	if s.window != 0 {
		fmt.Fprintf(&b, `,"%s":%d`, fieldExpiry, s.window)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON parses data as Parse does, so a Set can sit inside a larger JSON config.
func (s *Set) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*s = *p
	return nil
}
