//go:build opstack

package opstack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/rpc"
)

// l1Beacon is the L1's consensus client: every period it has geth build a block on its head
// through the engine API (forkchoiceUpdated with attributes, getPayload, newPayload,
// forkchoiceUpdated) and marks head-1 safe and head-finalityDepth finalized.
//
// Why not geth --dev: its simulated beacon waits for the built payload with a condition
// variable it can miss (the block is built before it starts waiting), after which the L1
// stops for good; on a loaded 2-core machine that happened within 20 blocks. The engine API's
// getPayload does not wait, so driving geth from here has no such race. It also lets the L1
// finalize every block instead of every 32nd, which keeps L2 finality tests short.
//
// The L1 genesis is geth's --dev genesis (Osaka at 0): forkchoiceUpdatedV3, getPayloadV5 and
// newPayloadV4 are the methods of that fork.
type l1Beacon struct {
	engine        *rpc.Client
	period        time.Duration
	finalityDepth uint64
	feeRecipient  common.Address

	hashes []common.Hash // canonical hashes by number, from genesis
	last   uint64        // timestamp of the head

	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	failures int   // consecutive failed steps
	err      error // the last step's error
}

// l1BuildTime is how long geth may fill a block between forkchoiceUpdated and getPayload (which
// returns the empty block if the full one is not built yet).
const l1BuildTime = 300 * time.Millisecond

func newL1Beacon(engineRPC *rpc.Client, genesis *types.Header, period time.Duration, finalityDepth uint64) *l1Beacon {
	return &l1Beacon{
		engine: engineRPC, period: period, finalityDepth: finalityDepth, feeRecipient: gethDevAddress,
		hashes: []common.Hash{genesis.Hash()}, last: genesis.Time,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
}

func (b *l1Beacon) run() {
	defer close(b.done)
	t := time.NewTicker(b.period)
	defer t.Stop()
	for {
		err := b.step()
		b.mu.Lock()
		if err != nil {
			b.failures++
		} else {
			b.failures = 0
		}
		b.err = err
		b.mu.Unlock()
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
	}
}

// halt stops the loop and waits for it.
func (b *l1Beacon) halt() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.done
}

// health is an error if the last steps all failed (a few failures in a row are tolerated: a
// step may time out on a loaded machine).
func (b *l1Beacon) health() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures >= 10 {
		return fmt.Errorf("L1 block production failed %d times in a row: %w", b.failures, b.err)
	}
	return nil
}

// forkchoice is the state with head n: safe n-1, finalized n-finalityDepth.
func (b *l1Beacon) forkchoice(n uint64) engine.ForkchoiceStateV1 {
	at := func(back uint64) common.Hash {
		if back > n {
			return b.hashes[0]
		}
		return b.hashes[n-back]
	}
	return engine.ForkchoiceStateV1{HeadBlockHash: at(0), SafeBlockHash: at(1), FinalizedBlockHash: at(b.finalityDepth)}
}

func (b *l1Beacon) call(result any, method string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	return b.engine.CallContext(ctx, result, method, args...)
}

// step builds, imports and selects one block on the head.
func (b *l1Beacon) step() error {
	head := uint64(len(b.hashes) - 1)
	var random common.Hash
	rand.Read(random[:])
	attrs := &engine.PayloadAttributes{
		Timestamp:             max(uint64(time.Now().Unix()), b.last+1),
		Random:                random,
		SuggestedFeeRecipient: b.feeRecipient,
		Withdrawals:           []*types.Withdrawal{},
		BeaconRoot:            &common.Hash{},
	}
	var fcu engine.ForkChoiceResponse
	if err := b.call(&fcu, "engine_forkchoiceUpdatedV3", b.forkchoice(head), attrs); err != nil {
		return fmt.Errorf("forkchoiceUpdated with attributes: %w", err)
	}
	if fcu.PayloadID == nil {
		return fmt.Errorf("forkchoiceUpdated started no payload (status %s)", fcu.PayloadStatus.Status)
	}
	time.Sleep(min(l1BuildTime, b.period/2))
	var env engine.ExecutionPayloadEnvelope
	if err := b.call(&env, "engine_getPayloadV5", *fcu.PayloadID); err != nil {
		return fmt.Errorf("getPayload: %w", err)
	}
	p := env.ExecutionPayload
	if p == nil || p.Number != head+1 {
		return fmt.Errorf("getPayload: unexpected payload %+v", p)
	}
	hashes := []common.Hash{}
	if env.BlobsBundle != nil {
		hasher := sha256.New()
		for _, c := range env.BlobsBundle.Commitments {
			var commitment kzg4844.Commitment
			copy(commitment[:], c)
			hashes = append(hashes, kzg4844.CalcBlobHashV1(hasher, &commitment))
		}
	}
	requests := make([]hexutil.Bytes, len(env.Requests))
	for i, r := range env.Requests {
		requests[i] = r
	}
	var status engine.PayloadStatusV1
	if err := b.call(&status, "engine_newPayloadV4", p, hashes, &common.Hash{}, requests); err != nil {
		return fmt.Errorf("newPayload: %w", err)
	}
	if status.Status != engine.VALID {
		return fmt.Errorf("newPayload %d: %s %v", p.Number, status.Status, status.ValidationError)
	}
	b.hashes = append(b.hashes, p.BlockHash)
	if err := b.call(&fcu, "engine_forkchoiceUpdatedV3", b.forkchoice(head+1), nil); err != nil {
		b.hashes = b.hashes[:len(b.hashes)-1]
		return fmt.Errorf("forkchoiceUpdated: %w", err)
	}
	if fcu.PayloadStatus.Status != engine.VALID {
		b.hashes = b.hashes[:len(b.hashes)-1]
		return fmt.Errorf("forkchoiceUpdated to %d: %s", p.Number, fcu.PayloadStatus.Status)
	}
	b.last = p.Timestamp
	return nil
}
