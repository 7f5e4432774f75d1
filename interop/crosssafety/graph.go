package crosssafety

import "slices"

// The same-timestamp rule: blocks of different chains with the same timestamp may execute
// each other's logs, and such dependencies can form cycles. They are resolved at the
// level of logs, as op-supervisor and kona do, not of whole blocks: a log exists once
// every executing message before it in its block is valid, so
//
//   - an executing message depends on the previous executing message of its block, and
//   - an executing message naming log j of another block of the same timestamp depends on
//     the last executing message of that block at or before j (log j itself when it is one).
//
// The messages are valid together exactly when this graph has no cycle (Kahn's algorithm
// sorts every node). Blocks with a message on a cycle are invalid; a block that only
// depends on a cycle is a bystander: it is not invalidated now, it waits, and becomes
// invalid in a later round if what it depends on is replaced.

// groupBlock is one block of a same-timestamp group: the log indexes of its executing
// messages, ascending, and for each the same-timestamp log it executes, if any.
type groupBlock struct {
	execLogs []uint32
	// refs[i] is the log executed by execLogs[i] when it is in a block of the group
	// (block index into the group, log index); block -1 otherwise.
	refs []groupRef
}

type groupRef struct {
	block int
	log   uint32
}

// cyclicBlocks returns, ascending, the indexes of the blocks of the group that have an
// executing message on a dependency cycle; nil when the group is acyclic.
func cyclicBlocks(blocks []groupBlock) []int {
	// Node ids: the executing messages of all blocks, block by block.
	first := make([]int, len(blocks)+1)
	for i, b := range blocks {
		first[i+1] = first[i] + len(b.execLogs)
	}
	n := first[len(blocks)]
	if n == 0 {
		return nil
	}
	// Edges from dependency to dependent, in compressed rows: count, then fill.
	type edge struct{ from, to int32 }
	edges := make([]edge, 0, 2*n)
	for bi, b := range blocks {
		for i := range b.execLogs {
			node := int32(first[bi] + i)
			if i > 0 {
				edges = append(edges, edge{node - 1, node})
			}
			r := b.refs[i]
			if r.block < 0 {
				continue
			}
			// The last executing message of the referenced block at or before the log.
			t := blocks[r.block].execLogs
			k, found := slices.BinarySearch(t, r.log)
			if found {
				k++
			}
			if k > 0 {
				edges = append(edges, edge{int32(first[r.block] + k - 1), node})
			}
		}
	}
	start := make([]int32, n+1)
	indeg := make([]int32, n)
	for _, e := range edges {
		start[e.from+1]++
		indeg[e.to]++
	}
	for v := range n {
		start[v+1] += start[v]
	}
	targets := make([]int32, len(edges))
	fill := slices.Clone(start[:n])
	for _, e := range edges {
		targets[fill[e.from]] = e.to
		fill[e.from]++
	}
	adj := func(v int32) []int32 { return targets[start[v]:start[v+1]] }
	// Kahn: peel nodes without remaining dependencies.
	queue := make([]int32, 0, n)
	for v := range n {
		if indeg[v] == 0 {
			queue = append(queue, int32(v))
		}
	}
	sorted := 0
	for len(queue) > 0 {
		v := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		sorted++
		for _, w := range adj(v) {
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	if sorted == n {
		return nil
	}
	// Some nodes are on a cycle or downstream of one: only the former invalidate their
	// block. A node is on a cycle when its strongly connected component has more than
	// one node, or it depends on itself.
	onCycle := cycleNodes(n, adj, indeg)
	var out []int
	for bi := range blocks {
		for v := first[bi]; v < first[bi+1]; v++ {
			if onCycle[v] {
				out = append(out, bi)
				break
			}
		}
	}
	return out
}

// cycleNodes marks the nodes on a cycle among those Kahn's algorithm left (indeg > 0),
// with Tarjan's strongly connected components, iteratively (groups can be large).
func cycleNodes(n int, adj func(int32) []int32, indeg []int32) []bool {
	const unvisited = -1
	index := make([]int32, n)
	low := make([]int32, n)
	for i := range index {
		index[i] = unvisited
	}
	onStack := make([]bool, n)
	onCycle := make([]bool, n)
	var stack []int32
	type frame struct {
		v    int32
		next int
	}
	var next int32
	for root := range n {
		if indeg[root] == 0 || index[root] != unvisited {
			continue
		}
		call := []frame{{v: int32(root)}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if out := adj(v); f.next < len(out) {
				w := out[f.next]
				f.next++
				if indeg[w] == 0 {
					continue // sorted by Kahn: on no cycle
				}
				if w == v {
					onCycle[v] = true
				}
				if index[w] == unvisited {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			// v is done: pop its component if it is a root.
			if low[v] == index[v] {
				size := 0
				for i := len(stack) - 1; ; i-- {
					size++
					if stack[i] == v {
						break
					}
				}
				comp := stack[len(stack)-size:]
				stack = stack[:len(stack)-size]
				for _, w := range comp {
					onStack[w] = false
					if size > 1 {
						onCycle[w] = true
					}
				}
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
		}
	}
	return onCycle
}
