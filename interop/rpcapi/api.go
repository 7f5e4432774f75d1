package rpcapi

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcerr"
	"github.com/xgeth/xgeth/interop/safety"
	"github.com/xgeth/xgeth/interop/superroot"
)

// Checker is what the API needs of interop/checker.Checker.
type Checker interface {
	CheckAccessList(ctx context.Context, entries []common.Hash, minSafety safety.Level, desc checker.ExecutingDescriptor) error
	Failsafe() bool
	SetFailsafe(on bool, reason string)
}

// ChainStatus is one chain of interop_status.
type ChainStatus struct {
	ChainID     *hexutil.Big    `json:"chainId"`
	Source      string          `json:"source"` // "local", or scheme://host[:port] of the followed endpoint (never its user, password, path or query)
	State       string          `json:"state"`  // follower state: syncing, live, stalled, error
	Error       string          `json:"error,omitempty"`
	LocalUnsafe *BlockRef       `json:"localUnsafe"` // newest indexed block
	Oldest      *BlockRef       `json:"oldest"`      // oldest retained block
	SourceHead  *hexutil.Uint64 `json:"sourceHead,omitempty"`
	Blocks      hexutil.Uint64  `json:"blocks"`
	Logs        hexutil.Uint64  `json:"logs"`
	Bytes       hexutil.Uint64  `json:"bytes"`
	// DependencySet are the chains whose messages this chain accepts (itself left out);
	// TransitiveSet adds theirs, and so on: what its cross-safety depends on.
	DependencySet []*hexutil.Big `json:"dependencySet"`
	TransitiveSet []*hexutil.Big `json:"transitiveSet"`
}

// BlockRef is a block in JSON-RPC form.
type BlockRef struct {
	Number     hexutil.Uint64 `json:"number"`
	Hash       common.Hash    `json:"hash"`
	ParentHash common.Hash    `json:"parentHash"`
	Timestamp  hexutil.Uint64 `json:"timestamp"`
}

// Status reports the interop state of the node.
type Status interface {
	InteropStatus() []ChainStatus
	// InteropSafety is every level's head per chain.
	InteropSafety() []ChainSafety
}

// ChainSafety is one chain of interop_safety: its head at every safety level (null where
// no block has reached the level).
type ChainSafety struct {
	ChainID        *hexutil.Big `json:"chainId"`
	LocalUnsafe    *BlockRef    `json:"localUnsafe"`
	CrossUnsafe    *BlockRef    `json:"crossUnsafe"`
	LocalSafe      *BlockRef    `json:"localSafe"`
	CrossSafe      *BlockRef    `json:"crossSafe"`
	LocalFinalized *BlockRef    `json:"localFinalized"`
	Finalized      *BlockRef    `json:"finalized"`
	// Why cross-unsafe and cross-safe stop where they are (the block and what it waits
	// for); empty when each is as far as its local label.
	CrossUnsafeWaiting string `json:"crossUnsafeWaiting,omitempty"`
	CrossSafeWaiting   string `json:"crossSafeWaiting,omitempty"`
	// Unfollowed are the chains of its transitive dependency set this node does not follow:
	// blocks that depend on them, directly or through others, never become cross-safe here.
	Unfollowed []*hexutil.Big `json:"unfollowedDependencies,omitempty"`
}

// Logs finds a log of the chain this node runs: the n-th log of transaction txHash, with
// its block's header.
type Logs interface {
	LogOfTx(ctx context.Context, txHash common.Hash, n uint64) (*types.Log, *types.Header, error)
	ChainID() *uint256.Int
}

// InteropAPI is the "interop" namespace, also registered as "supervisor" for callers that
// use op-geth's name for the check.
type InteropAPI struct {
	checker Checker
	status  Status
	logs    Logs // nil on a node that runs no chain of its own
}

// NewInteropAPI makes the public interop API.
func NewInteropAPI(c Checker, s Status, l Logs) *InteropAPI {
	return &InteropAPI{checker: c, status: s, logs: l}
}

// CheckAccessList checks the executing messages declared by entries (CrossL2Inbox
// access-list keys in order) for execution as the descriptor says. It returns null when all
// are valid, or the typed error of the first failing message.
func (api *InteropAPI) CheckAccessList(ctx context.Context, entries []common.Hash, minSafety string, desc Descriptor) error {
	lvl, err := safety.Parse(minSafety)
	if err != nil {
		return rpcerr.InvalidParams.Wrap(err)
	}
	return rpcerr.Lift(api.checker.CheckAccessList(ctx, entries, lvl, desc.ExecutingDescriptor))
}

// Status reports, per chain of the dependency set, the follower state, the indexed heads
// and the index size.
func (api *InteropAPI) Status() []ChainStatus {
	return api.status.InteropStatus()
}

// Safety reports, per chain of the dependency set, the head at every safety level:
// local-unsafe (indexed), cross-unsafe, local-safe and local-finalized (the consensus
// side's labels), cross-safe and finalized.
func (api *InteropAPI) Safety() []ChainSafety {
	return api.status.InteropSafety()
}

// Identifier is the JSON form of an initiating message's identifier.
type Identifier struct {
	Origin      common.Address `json:"origin"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	LogIndex    hexutil.Uint64 `json:"logIndex"`
	Timestamp   hexutil.Uint64 `json:"timestamp"`
	ChainID     *hexutil.Big   `json:"chainId"`
}

func (id *Identifier) toMessage() (message.Identifier, error) {
	var out message.Identifier
	if id.ChainID == nil {
		return out, rpcerr.InvalidParams.With("identifier: missing chainId")
	}
	if uint64(id.LogIndex) > 1<<32-1 {
		return out, rpcerr.InvalidParams.Withf("identifier: logIndex %d above 2^32-1", id.LogIndex)
	}
	if overflow := out.ChainID.SetFromBig(id.ChainID.ToInt()); overflow || id.ChainID.ToInt().Sign() < 0 {
		return out, rpcerr.InvalidParams.With("identifier: chainId out of range")
	}
	out.Origin = id.Origin
	out.BlockNumber = uint64(id.BlockNumber)
	out.LogIndex = uint32(id.LogIndex)
	out.Timestamp = uint64(id.Timestamp)
	return out, nil
}

func identifierJSON(id *message.Identifier) Identifier {
	return Identifier{
		Origin:      id.Origin,
		BlockNumber: hexutil.Uint64(id.BlockNumber),
		LogIndex:    hexutil.Uint64(id.LogIndex),
		Timestamp:   hexutil.Uint64(id.Timestamp),
		ChainID:     (*hexutil.Big)(id.ChainID.ToBig()),
	}
}

// PreparedMessage is everything a transaction needs to execute a message.
type PreparedMessage struct {
	Identifier Identifier       `json:"identifier"`
	MsgHash    common.Hash      `json:"msgHash"`
	Checksum   common.Hash      `json:"checksum"`
	AccessList types.AccessList `json:"accessList"`
	Calldata   hexutil.Bytes    `json:"calldata"` // CrossL2Inbox.validateMessage(identifier, msgHash)
}

// Prepare computes the checksum, the access list and the validateMessage calldata of msg.
func Prepare(msg *message.Message) *PreparedMessage {
	id := &msg.Identifier
	return &PreparedMessage{
		Identifier: identifierJSON(id),
		MsgHash:    msg.MsgHash,
		Checksum:   message.Checksum(id, msg.MsgHash),
		AccessList: accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(id, msg.MsgHash)}),
		Calldata:   event.EncodeValidateMessage(msg),
	}
}

// AccessList returns what executing the message (identifier, msgHash) needs: its checksum,
// access list and validateMessage calldata. Pure computation: it does not check the message.
func (api *InteropAPI) AccessList(id Identifier, msgHash common.Hash) (*PreparedMessage, error) {
	mid, err := id.toMessage()
	if err != nil {
		return nil, err
	}
	return Prepare(&message.Message{Identifier: mid, MsgHash: msgHash}), nil
}

// MessageOfLog returns the identifier of the n-th log of transaction txHash on this node's
// chain, with what executing it needs.
func (api *InteropAPI) MessageOfLog(ctx context.Context, txHash common.Hash, n hexutil.Uint64) (*PreparedMessage, error) {
	if api.logs == nil {
		return nil, rpcerr.OutOfScope.With("this node runs no chain of its own")
	}
	l, header, err := api.logs.LogOfTx(ctx, txHash, uint64(n))
	if err != nil {
		return nil, err
	}
	msg := message.OfLog(l, header.Time, api.logs.ChainID())
	return Prepare(&msg), nil
}

// FailsafeAPI is the public half of the failsafe switch ("admin" namespace on the
// interop endpoint).
type FailsafeAPI struct{ checker Checker }

// GetFailsafeEnabled reports whether the failsafe is on (interop transactions refused).
func (api *FailsafeAPI) GetFailsafeEnabled() bool { return api.checker.Failsafe() }

// FailsafeAdminAPI is the authenticated half of the failsafe switch.
type FailsafeAdminAPI struct{ checker Checker }

// SetFailsafeEnabled turns the failsafe on or off.
func (api *FailsafeAdminAPI) SetFailsafeEnabled(enabled bool) {
	api.checker.SetFailsafe(enabled, "operator (admin_setFailsafeEnabled)")
}

// APIs are the interop services of a node: interop and supervisor namespaces on the public
// endpoints, admin_setFailsafeEnabled on the authenticated one. admin_getFailsafeEnabled is
// served by InteropHandler (geth's admin namespace holds node controls that must not be
// public, so the public getter lives on its own endpoint).
func APIs(c Checker, s Status, l Logs) []rpc.API {
	api := NewInteropAPI(c, s, l)
	apis := []rpc.API{
		{Namespace: "interop", Service: api},
		{Namespace: "supervisor", Service: api},
		{Namespace: "admin", Service: &FailsafeAdminAPI{c}, Authenticated: true},
	}
	if sr, ok := s.(SuperRoots); ok {
		apis = append(apis, rpc.API{Namespace: "superroot", Service: &SuperRootAPI{sr}})
	}
	return apis
}

// SuperRoots answers super roots (the node's interop service).
type SuperRoots interface {
	SuperRootAt(ctx context.Context, timestamp uint64) (*superroot.AtTimestamp, error)
}

// SuperRootAPI is the "superroot" namespace.
type SuperRootAPI struct{ s SuperRoots }

// AtTimestamp is superroot_atTimestamp: the optimistic outputs of every chain at the
// timestamp and, once every chain is verified there, the super root.
func (a *SuperRootAPI) AtTimestamp(ctx context.Context, timestamp hexutil.Uint64) (*superroot.AtTimestamp, error) {
	return a.s.SuperRootAt(ctx, uint64(timestamp))
}

// InteropServer is a JSON-RPC server for the interop endpoint (mounted at /interop on the
// HTTP port): interop_*, supervisor_* and the public admin_getFailsafeEnabled, the three
// namespaces a stock op-geth configured with --rollup.interoprpc calls.
func InteropServer(c Checker, s Status, l Logs) (*rpc.Server, error) {
	srv := rpc.NewServer()
	api := NewInteropAPI(c, s, l)
	for ns, svc := range map[string]any{"interop": api, "supervisor": api, "admin": &FailsafeAPI{c}} {
		if err := srv.RegisterName(ns, svc); err != nil {
			return nil, err
		}
	}
	return srv, nil
}
