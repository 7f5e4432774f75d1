// Package crosssafety is the cross-chain safety engine: it decides, for every chain of the
// dependency set, how far each block is safe across chains. It tracks per chain the heads
// at each level: local-unsafe (the log index head, kept by the followers), cross-unsafe,
// local-safe and local-finalized (inputs from the consensus side), cross-safe and
// finalized.
//
// A block is cross-X when it is local-X, its parent is cross-X, every executing message
// it emits passes the checker's rules (checker.VerifyBlockExecMsgs) and names a block that
// is itself cross-X, and, for messages between blocks of the same timestamp, the messages
// form no cycle (graph.go). A block that breaks a rule or sits on a cycle is invalid: the
// engine denies it, and its chain must replace it (deposits-only, same height).
//
// The engine is event-driven: it resolves whenever an index or an input changes, as far
// as the data allows, never on a timer. Every change it makes is a Decision value (wait,
// advance, invalidate, rewind), written ahead to the store before it is applied and
// cleared after, so a crash mid-decision replays it on restart.
//
// It never writes to the log index, never fetches data and imports no node internals;
// the rules live in interop/rules and interop/checker, and the engine adds only the graph.
package crosssafety
