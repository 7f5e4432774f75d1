// Package cluster models an interop cluster: every chain's own dependency set (the chains it
// accepts initiating messages from, itself included), which need not be symmetric or fully
// connected, and the transitive dependency sets that cross-chain safety has to resolve.
//
// The checker applies an executing chain's own set (checker.Config.Cluster); the dependency
// set file's per-chain form (interop/depset) and the devnet's --devnet.deps build one; a node
// follows the transitive sets of the chains it runs (depset.Set.Reach). The safety engine
// needs no graph: it follows each block's messages, so its verdicts are transitive.
package cluster

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/holiman/uint256"
)

// ID is a chain ID.
type ID = uint256.Int

// Graph is a cluster: each chain and its direct dependency set. It is immutable.
type Graph struct {
	ids  []ID                   // every chain, ascending
	deps map[ID]map[ID]struct{} // chain → its set, itself included
}

// ErrConfig wraps every refusal of a cluster description; the message names the chain.
var ErrConfig = errors.New("cluster")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// New builds a cluster from each chain's dependency set. Every set must list its own chain
// (a chain always accepts its own logs), and every chain a set names must have a set of its
// own: a chain the cluster cannot follow cannot be depended on. Chain ID 0 is refused.
func New(sets map[ID][]ID) (*Graph, error) {
	g := &Graph{deps: make(map[ID]map[ID]struct{}, len(sets))}
	for id, set := range sets {
		if id.IsZero() {
			return nil, bad("chain ID 0")
		}
		own := make(map[ID]struct{}, len(set))
		for _, d := range set {
			if d.IsZero() {
				return nil, bad("chain %s: chain ID 0 in its dependency set", id.Dec())
			}
			if _, dup := own[d]; dup {
				return nil, bad("chain %s: chain %s listed twice in its dependency set", id.Dec(), d.Dec())
			}
			own[d] = struct{}{}
		}
		if _, ok := own[id]; !ok {
			return nil, bad("chain %s is missing from its own dependency set", id.Dec())
		}
		g.deps[id] = own
		g.ids = append(g.ids, id)
	}
	if len(g.ids) == 0 {
		return nil, bad("no chains")
	}
	slices.SortFunc(g.ids, func(a, b ID) int { return a.Cmp(&b) })
	for _, id := range g.ids {
		for d := range g.deps[id] {
			if _, ok := g.deps[d]; !ok {
				return nil, bad("chain %s depends on chain %s, which is not in the cluster", id.Dec(), d.Dec())
			}
		}
	}
	return g, nil
}

// FullMesh is the cluster where every chain has every chain in its set (the Superchain's).
func FullMesh(ids []ID) (*Graph, error) {
	sets := make(map[ID][]ID, len(ids))
	for _, id := range ids {
		if _, dup := sets[id]; dup {
			return nil, bad("chain %s listed twice", id.Dec())
		}
		sets[id] = ids
	}
	return New(sets)
}

// Chains lists every chain, ascending.
func (g *Graph) Chains() []ID { return slices.Clone(g.ids) }

// Has reports whether id is a chain of the cluster.
func (g *Graph) Has(id *ID) bool { _, ok := g.deps[*id]; return ok }

// Accepts reports whether chain exec accepts initiating messages from chain init: init is
// in exec's own dependency set (a chain always accepts its own).
func (g *Graph) Accepts(exec, init *ID) bool {
	_, ok := g.deps[*exec][*init]
	return ok
}

// Direct is id's dependency set without id itself, ascending (nil for an unknown chain).
func (g *Graph) Direct(id *ID) []ID {
	var out []ID
	for d := range g.deps[*id] {
		if d != *id {
			out = append(out, d)
		}
	}
	return sorted(out)
}

// Transitive is id's transitive dependency set without id itself: its dependencies, theirs,
// and so on, ascending. A block of id is cross-safe only once every block it depends on in
// these chains is.
func (g *Graph) Transitive(id *ID) []ID {
	if !g.Has(id) {
		return nil
	}
	seen := map[ID]struct{}{*id: {}}
	queue := []ID{*id}
	var out []ID
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for d := range g.deps[c] {
			if _, ok := seen[d]; ok {
				continue
			}
			seen[d] = struct{}{}
			out = append(out, d)
			queue = append(queue, d)
		}
	}
	return sorted(out)
}

// Hops lists the chains a message from chain from to chain to can be relayed through when
// to does not accept from directly: chains h that accept from (from is in h's set) and that
// to accepts (h is in to's set). Send from → h, then h → to. Ascending; nil when to accepts
// from directly or no single hop exists.
func (g *Graph) Hops(from, to *ID) []ID {
	if g.Accepts(to, from) {
		return nil
	}
	var out []ID
	for _, h := range g.ids {
		if h != *from && h != *to && g.Accepts(&h, from) && g.Accepts(to, &h) {
			out = append(out, h)
		}
	}
	return out
}

// String is the cluster in ParseSpec's syntax, chains and dependencies ascending.
func (g *Graph) String() string {
	var b strings.Builder
	for i, id := range g.ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id.Dec())
		for j, d := range g.Direct(&id) {
			if j == 0 {
				b.WriteByte(':')
			} else {
				b.WriteByte('+')
			}
			b.WriteString(d.Dec())
		}
	}
	return b.String()
}

func sorted(ids []ID) []ID {
	slices.SortFunc(ids, func(a, b ID) int { return a.Cmp(&b) })
	return ids
}

// IDList writes chain IDs in decimal, as "902, 903" ("" for none), for logs and errors.
func IDList(ids []ID) string {
	s := make([]string, len(ids))
	for i := range ids {
		s[i] = ids[i].Dec()
	}
	return strings.Join(s, ", ")
}
