package devnet

import (
	"context"
	"encoding/json"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/eth/tracers"
	_ "github.com/ethereum/go-ethereum/eth/tracers/native" // callTracer, prestateTracer, ...
	"github.com/ethereum/go-ethereum/rpc"
)

// The devnet's ports accept requests from any web page (CORS and WebSocket origin *), so
// a namespace is served only if every method in it is harmless to a page the developer
// opens. geth serves every service registered under an allowed namespace; the devnet
// therefore drops geth's own "debug" and "admin" services (patch 0006, UnregisterAPIs)
// and registers the narrow ones below in their place. A separate path (RegisterHandler)
// would not do: WebSocket upgrades on the shared port never reach it, and tools look for
// debug_traceTransaction at the node's URL.

// tracingAPI is the whole public "debug" namespace: tracing, which only reads the chain.
// geth's debug services also rewind the chain (debug_setHead), compact the database,
// profile the process and write files (debug_writeMemProfile, debug_standardTraceBlockToFile).
type tracingAPI struct{ tracers *tracers.API }

func (t *tracingAPI) TraceTransaction(ctx context.Context, hash common.Hash, config *tracers.TraceConfig) (any, error) {
	return t.tracers.TraceTransaction(ctx, hash, config)
}

func (t *tracingAPI) TraceBlockByNumber(ctx context.Context, number rpc.BlockNumber, config *tracers.TraceConfig) (any, error) {
	return t.tracers.TraceBlockByNumber(ctx, number, config)
}

func (t *tracingAPI) TraceBlockByHash(ctx context.Context, hash common.Hash, config *tracers.TraceConfig) (any, error) {
	return t.tracers.TraceBlockByHash(ctx, hash, config)
}

func (t *tracingAPI) TraceCall(ctx context.Context, args json.RawMessage, block rpc.BlockNumberOrHash, config *tracers.TraceCallConfig) (any, error) {
	return traceCall(ctx, t.tracers.TraceCall, args, block, config)
}

// traceCall decodes the call into the tracer's own argument type, which lives in a
// geth-internal package and so is named here only through inference.
func traceCall[A any](ctx context.Context, trace func(context.Context, A, rpc.BlockNumberOrHash, *tracers.TraceCallConfig) (any, error),
	raw json.RawMessage, block rpc.BlockNumberOrHash, config *tracers.TraceCallConfig) (any, error) {
	var args A
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, invalidParams{err}
	}
	return trace(ctx, args, block, config)
}

// invalidParams carries JSON-RPC's invalid-params code, as geth's own argument decoding does.
type invalidParams struct{ err error }

func (e invalidParams) Error() string  { return "invalid argument 0: " + e.err.Error() }
func (e invalidParams) ErrorCode() int { return -32602 }
