package depset

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/holiman/uint256"
)

// seedPicture is the seed document's transitive picture in the per-chain form: A–B, B–C,
// B–D, D–E and the unconnected pair F–G (901..907). Only 902 and 903 have endpoints.
const seedPicture = `{"dependencies":{
 "901":{"activationTime":0,"blockTime":2,"dependencySet":["901","902"]},
 "902":{"activationTime":0,"blockTime":2,"rpc":"ws://127.0.0.1:9546","dependencySet":["902","901","903","904"]},
 "903":{"activationTime":0,"blockTime":2,"rpc":"ws://127.0.0.1:9547","dependencySet":["903","902"]},
 "904":{"activationTime":0,"blockTime":2,"dependencySet":["904","902",905]},
 "905":{"activationTime":0,"blockTime":2,"dependencySet":["905","904"]},
 "906":{"activationTime":0,"blockTime":2,"dependencySet":["906","907"]},
 "907":{"activationTime":0,"blockTime":2,"dependencySet":["907","906"]}}}`

func ids(vs ...uint64) []uint256.Int {
	out := make([]uint256.Int, len(vs))
	for i, v := range vs {
		out[i].SetUint64(v)
	}
	return out
}

func TestPerChainForm(t *testing.T) {
	s, err := Parse([]byte(seedPicture))
	if err != nil {
		t.Fatal(err)
	}
	if !s.PerChain() {
		t.Fatal("PerChain() = false for the per-chain form")
	}
	g := s.Cluster()
	a, b, e := uint256.NewInt(901), uint256.NewInt(902), uint256.NewInt(905)
	if !g.Accepts(a, b) || g.Accepts(a, e) || g.Accepts(b, e) {
		t.Fatal("direct sets not as written")
	}
	if got := g.Transitive(a); !slices.Equal(got, ids(902, 903, 904, 905)) {
		t.Fatalf("transitive set of 901: %v", got)
	}
	// The encoding keeps the sets, and a full-mesh file stays in the OP form.
	enc, _ := s.MarshalJSON()
	if !strings.Contains(string(enc), `"901":{"activationTime":0,"blockTime":2,"dependencySet":["901","902"]}`) {
		t.Fatalf("encoding lost the set: %s", enc)
	}
	back, err := Parse(enc)
	if err != nil || !back.Equal(s) {
		t.Fatalf("round trip: %v", err)
	}
	mesh, err := Parse([]byte(xgethFile))
	if err != nil {
		t.Fatal(err)
	}
	if mesh.PerChain() || mesh.Equal(s) {
		t.Fatal("a file without dependencySet is not the full mesh")
	}
	if enc, _ := mesh.MarshalJSON(); strings.Contains(string(enc), fieldDependencySet) {
		t.Fatalf("full mesh written with sets: %s", enc)
	}
	for _, id := range mesh.ChainIDs() {
		if len(mesh.Cluster().Direct(&id)) != mesh.Len()-1 {
			t.Fatalf("chain %s of the OP form does not accept every other chain", id.Dec())
		}
	}
	// With (the command layer completing a chain) keeps every set.
	c, _ := s.Chain(a)
	c.RPC = "ws://127.0.0.1:1"
	w, err := s.With(c)
	if err != nil || !w.PerChain() || w.Cluster().Accepts(a, e) || !w.Cluster().Accepts(a, b) {
		t.Fatalf("With lost the sets: %v", err)
	}
}

// Bad per-chain sets are refused with the chain and the reason named.
func TestPerChainFormBadInput(t *testing.T) {
	dep := func(body string) string { return `{"dependencies":{` + body + `}}` }
	for _, tc := range []struct{ doc, says string }{
		{dep(`"901":{"dependencySet":["902"]},"902":{"dependencySet":["902","901"]}`), "chain 901 is missing from its own dependency set"},
		{dep(`"901":{"dependencySet":["901","999"]}`), "chain 901: dependencySet names chain 999, which is not listed under dependencies"},
		{dep(`"901":{"dependencySet":["901","902"]},"902":{}`), "chain 902: no dependencySet; when one chain gives its own set, every chain must"},
		{dep(`"901":{"dependencySet":["901","901"]}`), "chain 901 listed twice in its dependency set"},
		{dep(`"901":{"dependencySet":["901","0901"]}`), "chain 901 listed twice in its dependency set"},
		{dep(`"901":{"dependencySet":["901","0x386"]}`), "hexadecimal chain IDs are not allowed"},
		{dep(`"901":{"dependencySet":["901","9o2"]}`), "entry 1: chain ID \"9o2\": not a decimal number"},
		{dep(`"901":{"dependencySet":["901",-2]}`), "entry 1: chain ID -2: not a decimal number"},
		{dep(`"901":{"dependencySet":["901",0]}`), "entry 1: zero is not a chain ID"},
		{dep(`"901":{"dependencySet":[true]}`), "entry 0"},
		{dep(`"901":{"dependencySet":"901"}`), "dependencySet: want an array of chain IDs"},
		{dep(`"901":{"dependencySet":null}`), "dependencySet: want an array of chain IDs"},
		{dep(`"901":{"dependencySet":[]}`), "chain 901 is missing from its own dependency set"},
		{dep(`"901":{"DependencySet":["901"]}`), `did you mean "dependencySet"`},
		{dep(`"901":{"dependencySet":["901"],"dependencySet":["901"]}`), "duplicate key"},
		{dep(`"901":{"dependencySet":["1` + strings.Repeat("0", 80) + `"]}`), "overflows 256 bits"},
	} {
		_, err := Parse([]byte(tc.doc))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s:\n  got %v\n want %q", tc.doc, err, tc.says)
		}
	}
}

// Validate asks an endpoint for every chain of a local chain's direct set; Reach follows
// the transitive sets and reports the chains it cannot reach.
func TestReachAndValidate(t *testing.T) {
	s, err := Parse([]byte(seedPicture))
	if err != nil {
		t.Fatal(err)
	}
	a, b, d := uint256.NewInt(901), uint256.NewInt(902), uint256.NewInt(904)
	// 901 runs here: its set {902} has an endpoint. 903 is reached through 902; 904 and 905
	// too, but without endpoints: unseen. 906/907 are outside its transitive set.
	if err := s.Validate(a); err != nil {
		t.Fatal(err)
	}
	follow, unseen := s.Reach(a)
	if !slices.Equal(follow, ids(901, 902, 903)) || !slices.Equal(unseen, ids(904, 905)) {
		t.Fatalf("Reach(901) = %v, %v", follow, unseen)
	}
	// 902 runs here: 901 (and 904) are in its own set and have no endpoint: refused.
	err = s.Validate(b)
	if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "chain 901, in the dependency set of chain 902, is not run by this process and has no rpc endpoint") {
		t.Fatalf("Validate(902) = %v", err)
	}
	// Running 901, 902 and 904 here covers them; 905 (in 904's set) has no endpoint.
	if err := s.Validate(a, b, d); err == nil || !strings.Contains(err.Error(), "chain 905, in the dependency set of chain 904") {
		t.Fatalf("Validate(902, 904) = %v", err)
	}
	// In the full mesh every other member is direct.
	mesh, _ := Parse([]byte(`{"dependencies":{"1":{"activationTime":0,"blockTime":1},"2":{"activationTime":0,"blockTime":1}}}`))
	if err := mesh.Validate(uint256.NewInt(1)); err == nil || !strings.Contains(err.Error(), "chain 2 is not run by this process") {
		t.Fatalf("full mesh Validate = %v", err)
	}
	if f, u := mesh.Reach(uint256.NewInt(1)); !slices.Equal(f, ids(1)) || !slices.Equal(u, ids(2)) {
		t.Fatalf("full mesh Reach = %v %v", f, u)
	}
}

func TestNewCluster(t *testing.T) {
	chains := []Chain{{ID: *uint256.NewInt(1), BlockTime: 1}, {ID: *uint256.NewInt(2), BlockTime: 1}}
	s, err := NewCluster(chains, map[uint256.Int][]uint256.Int{*uint256.NewInt(1): ids(1, 2), *uint256.NewInt(2): ids(2)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Cluster().Accepts(uint256.NewInt(1), uint256.NewInt(2)) || s.Cluster().Accepts(uint256.NewInt(2), uint256.NewInt(1)) {
		t.Fatal("sets not applied")
	}
	for _, tc := range []struct {
		sets map[uint256.Int][]uint256.Int
		says string
	}{
		{map[uint256.Int][]uint256.Int{*uint256.NewInt(1): ids(1, 2)}, "chain 2: no dependencySet"},
		{map[uint256.Int][]uint256.Int{*uint256.NewInt(1): ids(1), *uint256.NewInt(2): ids(2), *uint256.NewInt(3): ids(3)}, "chain 3 has a dependency set but is not a member"},
		{map[uint256.Int][]uint256.Int{*uint256.NewInt(1): ids(1, 0), *uint256.NewInt(2): ids(2)}, "chain 1: chain ID 0 in its dependency set"},
	} {
		if _, err := NewCluster(chains, tc.sets, 0); err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: got %v, want %q", tc.sets, err, tc.says)
		}
	}
}
