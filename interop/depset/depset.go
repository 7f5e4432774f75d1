// Package depset owns the dependency set: the chains whose logs a chain accepts as
// initiating messages, with what xgeth needs to know about each (interop activation time,
// block time, where to reach it) and the message expiry window.
//
// A Set is immutable and safe for concurrent use. It is built from the OP Stack
// dependency-set JSON file (Parse, Load) or from Go values the command layer fills from
// flags (New). It does no I/O beyond reading the file and knows nothing about how chains
// are followed; the timing rule itself lives in interop/rules.
package depset

import (
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"slices"
	"strings"

	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/rules"
	"github.com/xgeth/xgeth/params"
)

// Errors of the dependency set. Callers compare with errors.Is.
var (
	// ErrInvalid: a dependency-set file or a set built from flags is malformed. The
	// wrapping error says where (chain, field) and why.
	ErrInvalid = errors.New("depset: invalid dependency set")
	// ErrUnknownChain: the chain is not in the dependency set. It carries the interop
	// JSON-RPC code UnknownChain, so a checker may return it to a caller as is.
	ErrUnknownChain = rpcerr.UnknownChain.Derive("chain not in the dependency set")
	// ErrNoTiming: the set does not know the chain's activation time and block time (an
	// OP Stack file without xgeth's fields); Validate rejects such a set.
	ErrNoTiming = errors.New("depset: activation time and block time of the chain are not configured")
)

// Chain is one member of the dependency set.
type Chain struct {
	// ID is the chain ID, the full 256 bits.
	ID uint256.Int
	// ActivationTime is the chain's interop fork time (the rollup config's interop time):
	// its first block at or after it is the deposits-only activation block.
	ActivationTime uint64
	// BlockTime is the chain's block time in seconds. Zero means the timing of the chain
	// (ActivationTime and BlockTime) is not configured: only a parsed file can produce
	// such a chain, New rejects it and Validate reports it.
	BlockTime uint64
	// RPC is the JSON-RPC endpoint (http, https, ws, wss URL or an absolute IPC path)
	// through which a chain run by another process is followed; empty when not given. A
	// chain this process runs itself is followed in process whatever RPC says, so one
	// file can be shared by every node of a deployment.
	RPC string
}

// HasTiming reports whether the chain's activation time and block time are configured.
func (c *Chain) HasTiming() bool { return c.BlockTime != 0 }

// Activation is the chain's interop activation in the form the timing rules take.
// It returns ErrNoTiming when the timing is not configured.
func (c *Chain) Activation() (rules.Activation, error) {
	if !c.HasTiming() {
		return rules.Activation{}, fmt.Errorf("%w: chain %s", ErrNoTiming, c.ID.Dec())
	}
	return rules.Activation{Time: c.ActivationTime, BlockTime: c.BlockTime}, nil
}

// Set is a validated dependency set: at least one chain, no duplicate or zero chain IDs,
// well-formed endpoints, a non-zero expiry window.
type Set struct {
	chains []Chain             // sorted by ID
	index  map[uint256.Int]int // ID → position in chains
	expiry uint64              // the effective window, never 0
	window uint64              // as configured: 0 means the protocol default

	// sets are the members' own dependency sets in the per-chain form (nil: the full
	// mesh, the OP Stack form); graph is the cluster they make, always set.
	sets  map[uint256.Int][]uint256.Int
	graph *cluster.Graph
}

// New builds a set from Go values (the command layer fills them from flags). Every chain
// must have a non-zero block time. expiryWindow 0 selects the protocol's window
// (params.MessageExpiryWindow, 604800 s). The slice is copied.
func New(chains []Chain, expiryWindow uint64) (*Set, error) {
	for i := range chains {
		if !chains[i].HasTiming() {
			return nil, fmt.Errorf("%w: chain %s: block time must be > 0", ErrInvalid, chains[i].ID.Dec())
		}
	}
	s, err := build(chains, expiryWindow, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, nil
}

// NewCluster is New with each chain's own dependency set (the per-chain form): sets has an
// entry for every chain, listing the chains it accepts initiating messages from, itself
// included. Every chain a set names must be a member.
func NewCluster(chains []Chain, sets map[uint256.Int][]uint256.Int, expiryWindow uint64) (*Set, error) {
	for i := range chains {
		if !chains[i].HasTiming() {
			return nil, fmt.Errorf("%w: chain %s: block time must be > 0", ErrInvalid, chains[i].ID.Dec())
		}
	}
	if sets == nil {
		sets = map[uint256.Int][]uint256.Int{}
	}
	s, err := build(chains, expiryWindow, sets)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, nil
}

// build validates and indexes chains; the timing may be absent (parsed files). sets nil
// is the full mesh. Its errors do not wrap ErrInvalid yet.
func build(chains []Chain, expiryWindow uint64, sets map[uint256.Int][]uint256.Int) (*Set, error) {
	if len(chains) == 0 {
		return nil, errors.New("no chains (a dependency set always includes the chain itself)")
	}
	s := &Set{
		chains: slices.Clone(chains),
		index:  make(map[uint256.Int]int, len(chains)),
		window: expiryWindow,
		expiry: expiryWindow,
	}
	if s.expiry == 0 {
		s.expiry = params.MessageExpiryWindow
	}
	slices.SortFunc(s.chains, func(a, b Chain) int { return a.ID.Cmp(&b.ID) })
	for i := range s.chains {
		c := &s.chains[i]
		if c.ID.IsZero() {
			return nil, errors.New("chain ID 0")
		}
		if i > 0 && s.chains[i-1].ID.Eq(&c.ID) {
			return nil, fmt.Errorf("chain %s listed twice", c.ID.Dec())
		}
		if err := checkEndpoint(c.RPC); err != nil {
			return nil, fmt.Errorf("chain %s: rpc: %v", c.ID.Dec(), err)
		}
		s.index[c.ID] = i
	}
	if err := s.setCluster(sets); err != nil {
		return nil, err
	}
	return s, nil
}

// setCluster checks the per-chain sets against the members and builds the cluster.
func (s *Set) setCluster(sets map[uint256.Int][]uint256.Int) error {
	ids := s.ChainIDs()
	if sets == nil {
		g, err := cluster.FullMesh(ids)
		if err != nil {
			return err
		}
		s.graph = g
		return nil
	}
	s.sets = make(map[uint256.Int][]uint256.Int, len(sets))
	for id, set := range sets {
		if !s.Has(&id) {
			return fmt.Errorf("chain %s has a dependency set but is not a member", id.Dec())
		}
		s.sets[id] = slices.Clone(set)
	}
	for i := range ids {
		id := &ids[i]
		set, ok := sets[*id]
		if !ok {
			return fmt.Errorf("chain %s: no %s; when one chain gives its own set, every chain must (itself included)", id.Dec(), fieldDependencySet)
		}
		for j := range set {
			if !set[j].IsZero() && !s.Has(&set[j]) {
				return fmt.Errorf("chain %s: %s names chain %s, which is not listed under %s (add it, with the rpc endpoint to follow it by)",
					id.Dec(), fieldDependencySet, set[j].Dec(), fieldDependencies)
			}
		}
	}
	g, err := cluster.New(s.sets)
	if err != nil {
		// The message names the chain; the caller adds ErrInvalid.
		return errors.New(strings.TrimPrefix(err.Error(), cluster.ErrConfig.Error()+": "))
	}
	s.graph = g
	return nil
}

// checkEndpoint accepts "", an http(s)/ws(s) URL with a host, or an absolute IPC path.
func checkEndpoint(rpc string) error {
	if rpc == "" {
		return nil
	}
	if strings.IndexFunc(rpc, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return fmt.Errorf("%q contains white space or control characters", rpc)
	}
	if strings.HasPrefix(rpc, "/") {
		return nil // IPC socket path
	}
	u, err := url.Parse(rpc)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", rpc, err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("%q: scheme must be http, https, ws or wss (or give an absolute IPC path)", rpc)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", rpc)
	}
	return nil
}

// Chain returns the member with the given ID. It does not allocate.
func (s *Set) Chain(id *uint256.Int) (Chain, bool) {
	i, ok := s.index[*id]
	if !ok {
		return Chain{}, false
	}
	return s.chains[i], true
}

// Has reports whether the chain is in the set.
func (s *Set) Has(id *uint256.Int) bool {
	_, ok := s.index[*id]
	return ok
}

// Activation is the interop activation of a member chain: ErrUnknownChain for a chain
// outside the set, ErrNoTiming when its timing is not configured.
func (s *Set) Activation(id *uint256.Int) (rules.Activation, error) {
	i, ok := s.index[*id]
	if !ok {
		return rules.Activation{}, ErrUnknownChain.Withf("chain %s", id.Dec())
	}
	return s.chains[i].Activation()
}

// ChainIDs are the member chain IDs in ascending order (a fresh slice).
func (s *Set) ChainIDs() []uint256.Int {
	out := make([]uint256.Int, len(s.chains))
	for i := range s.chains {
		out[i] = s.chains[i].ID
	}
	return out
}

// Chains are the members in ascending chain-ID order (a fresh slice).
func (s *Set) Chains() []Chain { return slices.Clone(s.chains) }

// Len is the number of member chains.
func (s *Set) Len() int { return len(s.chains) }

// ExpiryWindow is the message expiry window in seconds: the file's
// overrideMessageExpiryWindow when non-zero, else params.MessageExpiryWindow.
func (s *Set) ExpiryWindow() uint64 { return s.expiry }

// Retention is how long (seconds) initiating messages must be kept: twice the expiry
// window (saturating), the pruning horizon of the log index.
func (s *Set) Retention() uint64 {
	hi, lo := bits.Mul64(s.expiry, 2)
	if hi != 0 {
		return ^uint64(0)
	}
	return lo
}

// With returns a copy of the set in which the member with c.ID is replaced by c (or c is
// added). The command layer uses it to complete a parsed file with what it knows from
// flags or from the chain configuration of a chain it runs.
func (s *Set) With(c Chain) (*Set, error) {
	chains := s.Chains()
	if i, ok := s.index[c.ID]; ok {
		chains[i] = c
	} else {
		chains = append(chains, c)
	}
	if !c.HasTiming() {
		return nil, fmt.Errorf("%w: chain %s: block time must be > 0", ErrInvalid, c.ID.Dec())
	}
	n, err := build(chains, s.window, s.sets)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return n, nil
}

// Validate checks that the set can run a node that runs the chains local itself: each of
// them is a member, every member has its timing configured, and every chain in the
// dependency set of a local chain that is not run locally has an RPC endpoint to be followed
// through. A chain reached only transitively may lack one: the node then cannot see it, and
// Reach lists it as unseen. Errors wrap ErrUnknownChain, ErrNoTiming or ErrInvalid.
func (s *Set) Validate(local ...*uint256.Int) error {
	if len(local) == 0 {
		return fmt.Errorf("%w: no local chain given", ErrInvalid)
	}
	isLocal := make(map[uint256.Int]bool, len(local))
	for _, id := range local {
		if !s.Has(id) {
			return fmt.Errorf("%w: local chain %s is not in its own dependency set (members: %s)",
				ErrUnknownChain, id.Dec(), s.IDList())
		}
		isLocal[*id] = true
	}
	for i := range s.chains {
		c := &s.chains[i]
		if !c.HasTiming() {
			return fmt.Errorf("%w: chain %s: give activationTime and blockTime in the dependency set file",
				ErrNoTiming, c.ID.Dec())
		}
	}
	for _, id := range local {
		for _, d := range s.graph.Direct(id) {
			if c, _ := s.Chain(&d); !isLocal[d] && c.RPC == "" {
				if s.sets == nil {
					return fmt.Errorf("%w: chain %s is not run by this process and has no rpc endpoint",
						ErrInvalid, d.Dec())
				}
				return fmt.Errorf("%w: chain %s, in the dependency set of chain %s, is not run by this process and has no rpc endpoint",
					ErrInvalid, d.Dec(), id.Dec())
			}
		}
	}
	return nil
}

// Reach is what a node running the chains local follows: follow is the local chains and
// every chain of their transitive dependency sets that has an RPC endpoint; unseen are the
// chains of those sets it has no way to reach. Members outside the transitive sets are in
// neither. Both ascending.
func (s *Set) Reach(local ...*uint256.Int) (follow, unseen []uint256.Int) {
	want := map[uint256.Int]bool{}
	isLocal := map[uint256.Int]bool{}
	for _, id := range local {
		want[*id], isLocal[*id] = true, true
		for _, d := range s.graph.Transitive(id) {
			want[d] = true
		}
	}
	for i := range s.chains {
		c := &s.chains[i]
		switch {
		case !want[c.ID]:
		case isLocal[c.ID] || c.RPC != "":
			follow = append(follow, c.ID)
		default:
			unseen = append(unseen, c.ID)
		}
	}
	return follow, unseen
}

// Cluster is the members' dependency sets: each chain's own in the per-chain form, the full
// mesh otherwise.
func (s *Set) Cluster() *cluster.Graph { return s.graph }

// PerChain reports whether the set gives each chain its own dependency set.
func (s *Set) PerChain() bool { return s.sets != nil }

// IDList is the members' chain IDs in decimal, comma-separated, for messages.
func (s *Set) IDList() string { return cluster.IDList(s.ChainIDs()) }

// Equal reports whether two sets have the same members with the same fields and the same
// effective expiry window.
func (s *Set) Equal(o *Set) bool {
	if s.expiry != o.expiry || !slices.Equal(s.chains, o.chains) || (s.sets == nil) != (o.sets == nil) {
		return false
	}
	for _, id := range s.ChainIDs() {
		if !slices.Equal(s.graph.Direct(&id), o.graph.Direct(&id)) {
			return false
		}
	}
	return true
}

// ParseChainID parses a chain ID as given on a command line: decimal or 0x-prefixed
// hexadecimal, at most 256 bits, not zero. (Keys of the JSON file are decimal only; see
// Parse.)
func ParseChainID(s string) (*uint256.Int, error) {
	var (
		id  *uint256.Int
		err error
	)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		id, err = uint256.FromHex("0x" + s[2:])
	} else {
		id, err = parseDecimalID(s)
	}
	if err != nil {
		return nil, fmt.Errorf("chain ID %q: %v", s, err)
	}
	if id.IsZero() {
		return nil, fmt.Errorf("chain ID %q: zero is not a chain ID", s)
	}
	return id, nil
}
