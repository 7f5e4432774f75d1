package cluster

import (
	"strings"

	"github.com/holiman/uint256"
)

// MaxSpecLen bounds a spec: 64 chains with full sets fit comfortably.
const MaxSpecLen = 1 << 16

// ParseSpec reads a cluster written as comma-separated entries <chain>[:<dep>+<dep>...],
// e.g. "901:902,902:901+903,903:902": 902 accepts messages from 901 and 903, 901 and 903
// from 902 only. A chain is always in its own set and need not be written there; an entry
// without ':' is a chain that accepts only its own messages. Chain IDs are decimal. Every
// chain named as a dependency needs an entry of its own, and no chain may have two.
func ParseSpec(spec string) (*Graph, error) {
	if len(spec) > MaxSpecLen {
		return nil, bad("spec longer than %d bytes", MaxSpecLen)
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, bad("empty spec")
	}
	sets := map[ID][]ID{}
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		chain, deps, hasDeps := strings.Cut(entry, ":")
		id, err := parseID(chain)
		if err != nil {
			return nil, bad("entry %q: %v", entry, err)
		}
		if _, dup := sets[*id]; dup {
			return nil, bad("chain %s has two entries", id.Dec())
		}
		set := []ID{*id}
		if hasDeps {
			for _, d := range strings.Split(deps, "+") {
				dep, err := parseID(d)
				if err != nil {
					return nil, bad("entry %q: dependency: %v", entry, err)
				}
				if *dep != *id {
					set = append(set, *dep)
				}
			}
		}
		sets[*id] = set
	}
	return New(sets)
}

// parseID reads a decimal chain ID below 2^256, without sign, spaces or leading zeros.
func parseID(s string) (*ID, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, errString("missing chain ID")
	case len(s) > 78:
		return nil, errString("chain ID " + s[:16] + "… too long")
	case len(s) > 1 && s[0] == '0':
		return nil, errString("chain ID " + s + " has a leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, errString("chain ID " + s + " is not a decimal number")
		}
	}
	id, err := uint256.FromDecimal(s)
	if err != nil {
		return nil, errString("chain ID " + s + " does not fit in 256 bits")
	}
	if id.IsZero() {
		return nil, errString("chain ID 0")
	}
	return id, nil
}

type errString string

func (e errString) Error() string { return string(e) }
