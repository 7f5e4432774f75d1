package cluster

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/holiman/uint256"
)

// The seed's chains A–G as 901–907.
const (
	A = 901 + iota
	B
	C
	D
	E
	F
	G
)

func ids(xs ...uint64) []ID {
	out := make([]ID, len(xs))
	for i, x := range xs {
		out[i] = *uint256.NewInt(x)
	}
	return out
}

func id(x uint64) *ID { return uint256.NewInt(x) }

func mustParse(t *testing.T, spec string) *Graph {
	t.Helper()
	g, err := ParseSpec(spec)
	if err != nil {
		t.Fatalf("ParseSpec(%q): %v", spec, err)
	}
	return g
}

// The seed's "transitive dependency set" picture: A<->B, B<->C, B<->D, D<->E, F<->G.
const seedTransitive = "901:902,902:901+903+904,903:902,904:902+905,905:904,906:907,907:906"

func TestTransitiveSetsOfTheSeedPicture(t *testing.T) {
	g := mustParse(t, seedTransitive)
	for _, c := range []struct {
		chain            uint64
		direct, transive []ID
	}{
		{A, ids(B), ids(B, C, D, E)},
		{B, ids(A, C, D), ids(A, C, D, E)},
		{D, ids(B, E), ids(A, B, C, E)},
		{E, ids(D), ids(A, B, C, D)},
		{F, ids(G), ids(G)},
		{G, ids(F), ids(F)},
	} {
		if got := g.Direct(id(c.chain)); !slices.Equal(got, c.direct) {
			t.Errorf("Direct(%d) = %v, want %v", c.chain, got, c.direct)
		}
		if got := g.Transitive(id(c.chain)); !slices.Equal(got, c.transive) {
			t.Errorf("Transitive(%d) = %v, want %v", c.chain, got, c.transive)
		}
	}
	if g.Accepts(id(A), id(D)) || !g.Accepts(id(D), id(E)) || !g.Accepts(id(A), id(A)) {
		t.Error("Accepts disagrees with the direct sets")
	}
	if g.Transitive(id(999)) != nil || g.Direct(id(999)) != nil || g.Has(id(999)) {
		t.Error("an unknown chain has sets")
	}
}

// The seed's cluster picture: A is connected to every chain, B<->C, D<->E. B's set is
// {A, C}: a message from E to B goes through A.
func TestRelayThroughAHop(t *testing.T) {
	g := mustParse(t, "901:902+903+904+905,902:901+903,903:901+902,904:901+905,905:901+904")
	if g.Accepts(id(B), id(E)) {
		t.Fatal("B accepts E directly")
	}
	if got := g.Hops(id(E), id(B)); !slices.Equal(got, ids(A)) {
		t.Errorf("Hops(E, B) = %v, want [A]", got)
	}
	if got := g.Hops(id(A), id(B)); got != nil {
		t.Errorf("Hops(A, B) = %v for a direct message", got)
	}
	// Directed: a chain that accepts E but is not accepted by B is no hop.
	g2 := mustParse(t, "901:905,902:903,903:905,905")
	if got := g2.Hops(id(E), id(B)); !slices.Equal(got, ids(C)) {
		t.Errorf("directed Hops(E, B) = %v, want [C]", got)
	}
}

func TestFullMesh(t *testing.T) {
	g, err := FullMesh(ids(901, 902, 903))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.String(); got != "901:902+903,902:901+903,903:901+902" {
		t.Errorf("full mesh = %q", got)
	}
	if _, err := FullMesh(ids(901, 901)); !errors.Is(err, ErrConfig) {
		t.Errorf("duplicate chain: %v", err)
	}
}

func TestStringRoundTrip(t *testing.T) {
	g := mustParse(t, " 907:906 , 906:907,905:904,904:902+905,903:902,902:904+903+901+902,901:902")
	if got := g.String(); got != seedTransitive {
		t.Errorf("String() = %q, want %q", got, seedTransitive)
	}
	if again := mustParse(t, g.String()); again.String() != g.String() {
		t.Error("String does not round-trip")
	}
}

func TestBadClusters(t *testing.T) {
	for _, c := range []struct{ spec, says string }{
		{"", "empty"},
		{"   ", "empty"},
		{"901:902", "902, which is not in the cluster"},
		{"901,901:902,902", "901 has two entries"},
		{"0:901,901", "chain ID 0"},
		{"901:0", "chain ID 0"},
		{"x01", "not a decimal"},
		{"901:9a2,9a2", "not a decimal"},
		{"-901", "not a decimal"},
		{"0901", "leading zero"},
		{"901:", "missing chain ID"},
		{"901:902+,902", "missing chain ID"},
		{"901,,902", "missing chain ID"},
		{"901:902:903,902,903", "not a decimal"},
		{"901:902+902,902", "listed twice"},
		{strings.Repeat("9", 79), "too long"},
		{"115792089237316195423570985008687907853269984665640564039457584007913129639936", "does not fit in 256 bits"},
		{strings.Repeat("901,", MaxSpecLen), "longer than"},
	} {
		_, err := ParseSpec(c.spec)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseSpec(%.40q): %v, want an error saying %q", c.spec, err, c.says)
		}
	}
	// New refuses a set without its own chain; ParseSpec always adds it.
	_, err := New(map[ID][]ID{*id(901): ids(902), *id(902): ids(902)})
	if err == nil || !strings.Contains(err.Error(), "901 is missing from its own dependency set") {
		t.Errorf("New without self: %v", err)
	}
	if _, err := New(nil); !errors.Is(err, ErrConfig) {
		t.Errorf("New(nil): %v", err)
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{seedTransitive, "901", "901:902,902", "1:2+3,2,3:1", "0", "901:902+", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		g, err := ParseSpec(spec)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error not wrapping ErrConfig: %v", err)
			}
			return
		}
		again, err := ParseSpec(g.String())
		if err != nil || again.String() != g.String() {
			t.Fatalf("round trip of %q: %v", g.String(), err)
		}
		for _, c := range g.Chains() {
			if !g.Accepts(&c, &c) {
				t.Fatalf("chain %s does not accept itself", c.Dec())
			}
			for _, d := range g.Transitive(&c) {
				if d == c || !g.Has(&d) {
					t.Fatalf("transitive set of %s holds %s", c.Dec(), d.Dec())
				}
			}
		}
	})
}

func BenchmarkTransitive50FullMesh(b *testing.B) {
	var xs []uint64
	for i := uint64(0); i < 50; i++ {
		xs = append(xs, 901+i)
	}
	g, err := FullMesh(ids(xs...))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(g.Transitive(id(901))) != 49 {
			b.Fatal("wrong set")
		}
	}
}
