package crosssafety

import (
	"slices"
	"testing"
)

// blk builds a group block from (execLog, refBlock, refLog) triples; refBlock -1 for a
// message from outside the group.
func blk(msgs ...[3]int) groupBlock {
	var b groupBlock
	for _, m := range msgs {
		b.execLogs = append(b.execLogs, uint32(m[0]))
		b.refs = append(b.refs, groupRef{block: m[1], log: uint32(m[2])})
	}
	return b
}

func TestCyclicBlocks(t *testing.T) {
	cases := []struct {
		name   string
		blocks []groupBlock
		want   []int
	}{
		{"no messages", []groupBlock{{}, {}}, nil},
		{"messages from outside the group", []groupBlock{blk([3]int{0, -1, 0}, [3]int{3, -1, 9})}, nil},
		{
			// A's log 1 executes B's log 0, a plain log: no cycle.
			"one way", []groupBlock{blk([3]int{1, 1, 0}), {}}, nil,
		},
		{
			// A.0 executes B.1 and B.0 executes A.1: A.0 needs B.1, after B.0, which needs
			// A.1, after A.0.
			"two-chain cycle", []groupBlock{blk([3]int{0, 1, 1}), blk([3]int{0, 0, 1})}, []int{0, 1},
		},
		{
			// Each executes the other's plain log 0: both logs come first, no cycle, even
			// though the blocks depend on each other.
			"mutual dependency without a cycle", []groupBlock{blk([3]int{1, 1, 0}), blk([3]int{1, 0, 0})}, nil,
		},
		{
			// A.0 executes B.0, which is itself an executing message of A.1: A.0 needs
			// B.0, which needs A.1, which comes after A.0.
			"executing an executing message", []groupBlock{blk([3]int{0, 1, 0}), blk([3]int{0, 0, 1})}, []int{0, 1},
		},
		{
			// A and B form a cycle; C executes a log of A after the cycle: C is a bystander
			// (it waits), not invalid.
			"bystander downstream of a cycle", []groupBlock{
				blk([3]int{0, 1, 1}), blk([3]int{0, 0, 1}), blk([3]int{0, 0, 5}),
			}, []int{0, 1},
		},
		{
			"three-chain cycle", []groupBlock{
				blk([3]int{0, 1, 2}), blk([3]int{0, 2, 2}), blk([3]int{0, 0, 2}),
			}, []int{0, 1, 2},
		},
		{
			// A executes B, B executes C, C executes nothing: a path, not a cycle.
			"chain of three, acyclic", []groupBlock{
				blk([3]int{2, 1, 3}), blk([3]int{4, 2, 0}), {},
			}, nil,
		},
		{
			"independent blocks, one cycle pair and one clean", []groupBlock{
				blk([3]int{0, 1, 1}), blk([3]int{0, 0, 1}), blk([3]int{7, -1, 0}),
			}, []int{0, 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := cyclicBlocks(c.blocks)
			if !slices.Equal(got, c.want) {
				t.Fatalf("cyclic blocks %v, want %v", got, c.want)
			}
		})
	}
}

func BenchmarkCyclicBlocks4x100(b *testing.B) {
	// Four blocks of 100 executing messages, each executing a plain log of the next block.
	blocks := make([]groupBlock, 4)
	for i := range blocks {
		for j := range 100 {
			blocks[i].execLogs = append(blocks[i].execLogs, uint32(100+j))
			blocks[i].refs = append(blocks[i].refs, groupRef{block: (i + 1) % 4, log: uint32(j)})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if cyclicBlocks(blocks) != nil {
			b.Fatal("cycle")
		}
	}
}
