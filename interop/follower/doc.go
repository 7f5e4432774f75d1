// Package follower keeps the log index (interop/logindex) of each chain of the dependency
// set current: one Follower per chain reads blocks from a Source, converts each into the
// index's record (one log hash per log, the executing messages it emits), and appends it;
// it backfills from a configurable start, follows new heads, and on a reorg walks back to
// the common ancestor, rewinds the index and re-appends.
//
// It never judges messages (the checker does) and writes nothing but the index. Data flows
// one way: chain → Source → Follower → index → subscribers of Follower.Subscribe.
//
// # Sources
//
// A chain run in this process is read through its core.BlockChain; head events drive the
// follower, nothing is polled. NewLocalSource adapts it without this package importing
// node internals:
//
//	idx, err := logindex.Open(db, chainID, logindex.Options{})
//	src := follower.NewLocalSource(eth.BlockChain(), func(ev core.ChainHeadEvent) *types.Header { return ev.Header })
//	f, err := follower.New(follower.Config{
//		ChainID:    chainID,
//		BlockTime:  2 * time.Second,
//		FetchAhead: 1, // local reads are cheap
//		OnFatal:    func(err error) { failsafe.Trip(err) },
//	}, src, idx)
//	sub := f.Subscribe(changes) // chan follower.Event: txpool re-checks, block verification
//	f.Start()                   // node lifecycle; f.Stop() on shutdown
//
// Writing the adapter by hand instead takes four methods: Head is bc.CurrentBlock(),
// HeaderByNumber is bc.GetHeaderByNumber (nil → ErrNotFound), Receipts is
// bc.GetReceiptsByHash (nil → ErrNotFound; nil tx hashes), and SubscribeNewHeads forwards
// bc.SubscribeChainHeadEvent. Whatever forwards heads must never block the chain's feed (it
// would hold up block import): keep only the newest head, as NewLocalSource does.
//
// A chain run elsewhere is read over its standard JSON-RPC. A ws:// or wss:// URL
// subscribes to newHeads and falls back to polling when the endpoint refuses; an http(s)://
// URL polls:
//
//	src, err := follower.NewRPCSource(url,
//		follower.WithChainID(chainID),            // refuse an endpoint of another chain
//		follower.WithPollInterval(time.Second))   // http(s), or ws without eth_subscribe
//	defer src.Close()
//	f, err := follower.New(follower.Config{
//		ChainID:   chainID,
//		StartTime: now - 2*params.MessageExpiryWindow, // or StartBlock
//		OnFatal:   func(err error) { failsafe.Trip(err) },
//	}, src, idx)
//	f.Start()
//
// Point a remote follower at one node, not a load balancer: a backend that lags makes its
// head look like a rewind, and the follower follows what the source calls canonical.
//
// # What is checked
//
// BlockFromReceipts rejects, with an error wrapping ErrBadBlock and a specific error,
// anything a correct node cannot serve: receipts that do not hash to the header's receipt
// root (ErrReceiptsRoot: a genuine header with forged, added or dropped logs; the
// transaction root is not recomputed, see BlockFromReceipts), receipts missing or not one
// per transaction (by the block's transaction hashes when the source gives them, else by
// the header's transaction root and the receipts' own block hash, number and transaction
// index), receipts or logs naming another block or transaction, log indexes other than 0,
// 1, 2, … across the block, logs on a failed receipt, removed logs, and ExecutingMessage
// logs of CrossL2Inbox that do not decode strictly (POLICY: the block is rejected rather
// than the log taken as an ordinary one). The RPC source also checks that each reported
// block hash is the hash of the header fields, and the follower that each block's parent
// is the indexed head. Nothing of a bad block is stored; the follower reports StateError
// and retries with capped exponential backoff, so a source caught mid-reorg recovers by
// itself.
//
// # Status, events and metrics
//
// Status gives the indexed (local-unsafe) head, the source's head and the State: syncing,
// live, stalled (no new head for StallBlocks block times), error (retrying; Err says why),
// failed (stopped on an unrecoverable error, after OnFatal), stopped. Subscribe delivers
// Appended and Rewound events in index order. Metrics, per chain under
// interop/follower/<chain id>/: gauges head, lag (source head − indexed head) and state (the
// State value), counters blocks, logs, reorgs and errors.
//
// Unrecoverable: only a failure of the index's own store (ErrIndex). Whatever a source
// serves is retried, never fatal: a block the index refuses (logindex.ErrInvalidBlock), a
// reorg that replaced every block the index retains (ErrDeepReorg, the index is kept; see
// its POLICY), a source whose head is below the indexed range (ErrSourceBehind, a node
// resyncing: waited for, not rewound to).
package follower
