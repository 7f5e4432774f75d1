package devnet

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/rpcerr"
	xvm "github.com/xgeth/xgeth/vm"
)

// The anvil namespace: anvil's state-setting test methods (anvil_setCode, anvil_setBalance,
// anvil_setNonce, anvil_setStorageAt) on every devnet chain, with anvil's parameters and
// results, so that test suites written for supersim/anvil run unchanged.
//
// A change is never written behind the chain's back. Each call becomes a deposit
// transaction from the devnet system address (vm.DevnetCheatsCaller) to the native
// DevnetCheats contract (vm.DevnetCheatsAddress, served because the devnet registers
// params.ChainExtras.DevnetCheats for its chains), which the sequencer puts in the next
// block right after the L1-attributes deposit. The call returns once a canonical block
// holds that deposit with a successful receipt, so "latest" reads see the change at once,
// as on anvil; a restart with the same data directory, or any node re-executing the blocks
// with the same chain extras, arrives at the same state.
//
// The namespace is served on the devnet's public HTTP and WebSocket ports on purpose, as
// anvil serves it: a devnet is a test chain on 127.0.0.1 whose accounts and values are
// fake. Only `xgeth devnet` registers it; the node command never does, and a genesis file
// cannot switch DevnetCheats on.

// MaxAnvilCodeSize is the largest code anvil_setCode installs: vm.MaxDevnetCheatCodeSize
// (49,152 bytes, twice EIP-170's limit for deployed code).
const MaxAnvilCodeSize = xvm.MaxDevnetCheatCodeSize

// cheatBlockGas is the most gas the cheats of one block may take: half the block, so
// user transactions still fit and every single cheat (at most about 10.7M gas) fits alone.
const cheatBlockGas = GasLimit / 2

var (
	errCodeTooLarge  = rpcerr.InvalidParams.Derive(fmt.Sprintf("code larger than %d bytes", MaxAnvilCodeSize))
	errNonceTooLarge = rpcerr.InvalidParams.Derive("nonce above 2^64-1")
	errEmptyAccount  = rpcerr.InvalidParams.Derive("account has no code, nonce or balance: its storage would be dropped at once (EIP-161); set its code, nonce or balance first")
	errDevnetStopped = errors.New("devnet stopped before the change was in a block")
)

// cheat is one queued change: the deposit that carries it, and where it went.
type cheat struct {
	op     string
	target common.Address
	tx     *types.Transaction
	raw    []byte
	gas    uint64
	// at is the number of the block the sequencer last put the deposit in (0: queued).
	at uint64
}

// cheatQueue holds a chain's cheats from the call until their block is final.
type cheatQueue struct {
	mu      sync.Mutex
	queued  []*cheat        // waiting for the next block, in call order
	carried []*cheat        // put in block .at, kept until finalized in case that block is dropped
	stop    <-chan struct{} // closed when the chain stops: nothing is queued after
}

// cheatQueues maps each running *Chain to its queue. Chain is not this file's type to
// extend, so the queue lives beside it; newAnvilAPI creates the entry and removes it when
// the chain stops.
var cheatQueues sync.Map

func (c *Chain) cheatQueue() *cheatQueue {
	if q, ok := cheatQueues.Load(c); ok {
		return q.(*cheatQueue)
	}
	return nil
}

// takeCheats returns the raw deposits of the cheats for block number, to follow the
// L1-attributes deposit (see cheatQueue.take).
func (c *Chain) takeCheats(number uint64) [][]byte {
	q := c.cheatQueue()
	if q == nil {
		return nil
	}
	final := uint64(0)
	if f := c.Eth.BlockChain().CurrentFinalBlock(); f != nil {
		final = f.Number.Uint64()
	}
	return q.take(number, final)
}

// take hands out the cheats of block number, on a chain finalized up to final. Cheats put
// in a block at or above number are in blocks that are no longer canonical (number is being
// built on number-1: after a failed build, a rewind or a denied block's replacement), so
// they come first, again; then queued ones in call order, up to cheatBlockGas. Blocks are
// always built on the current head, so a cheat is never lost nor applied twice. Cheats at
// or below final are forgotten: no rewind reaches them.
func (q *cheatQueue) take(number, final uint64) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	var again, kept []*cheat
	for _, ch := range q.carried {
		switch {
		case ch.at >= number:
			again = append(again, ch)
		case ch.at > final:
			kept = append(kept, ch)
		}
	}
	candidates := append(again, q.queued...)
	var out [][]byte
	budget := cheatBlockGas
	i := 0
	for ; i < len(candidates) && candidates[i].gas <= budget; i++ {
		ch := candidates[i]
		budget -= ch.gas
		ch.at = number
		kept = append(kept, ch)
		out = append(out, ch.raw)
	}
	for _, ch := range candidates[i:] {
		ch.at = 0
	}
	q.carried = kept
	q.queued = append([]*cheat(nil), candidates[i:]...)
	return out
}

// push queues ch for the next block.
func (q *cheatQueue) push(ch *cheat) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.stop:
		return errDevnetStopped
	default:
	}
	q.queued = append(q.queued, ch)
	return nil
}

// withdraw removes ch if no block has taken it yet, and reports whether it did.
func (q *cheatQueue) withdraw(ch *cheat) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.queued {
		if x == ch {
			q.queued = append(q.queued[:i], q.queued[i+1:]...)
			return true
		}
	}
	return false
}

// pendingFor reports whether a cheat that gives addr code, a nonce or a balance is queued or
// in a block not yet canonical.
func (q *cheatQueue) pendingFor(addr common.Address, head uint64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, list := range [][]*cheat{q.queued, q.carried} {
		for _, ch := range list {
			if ch.target == addr && ch.op != "setStorageAt" && (ch.at == 0 || ch.at > head) {
				return true
			}
		}
	}
	return false
}

// anvilAPI is the anvil namespace of one chain.
type anvilAPI struct {
	c *Chain
	q *cheatQueue
}

// newAnvilAPI makes c's anvil namespace and its queue, which lives until c stops.
func newAnvilAPI(c *Chain) *anvilAPI {
	q := &cheatQueue{stop: c.stop}
	cheatQueues.Store(c, q)
	go func() {
		<-c.stop
		cheatQueues.Delete(c)
	}()
	return &anvilAPI{c: c, q: q}
}

// SetCode is anvil_setCode(address, bytes): addr's code becomes code (empty clears it).
// Result: null.
func (a *anvilAPI) SetCode(ctx context.Context, addr common.Address, code hexutil.Bytes) error {
	if len(code) > MaxAnvilCodeSize {
		return errCodeTooLarge.Withf("%d bytes", len(code))
	}
	return a.apply(ctx, "setCode", addr, xvm.EncodeSetCode(addr, code))
}

// SetBalance is anvil_setBalance(address, quantity): addr's balance becomes amount wei.
// Result: null.
func (a *anvilAPI) SetBalance(ctx context.Context, addr common.Address, amount Quantity) error {
	return a.apply(ctx, "setBalance", addr, xvm.EncodeSetBalance(addr, &amount.Int))
}

// SetNonce is anvil_setNonce(address, quantity): addr's nonce becomes nonce (below 2^64).
// Result: null.
func (a *anvilAPI) SetNonce(ctx context.Context, addr common.Address, nonce Quantity) error {
	if !nonce.IsUint64() {
		return errNonceTooLarge.Withf("%s", nonce.Dec())
	}
	return a.apply(ctx, "setNonce", addr, xvm.EncodeSetNonce(addr, nonce.Uint64()))
}

// SetStorageAt is anvil_setStorageAt(address, slot, value): the slot (a quantity below
// 2^256, as anvil takes it) of addr holds value (exactly 32 bytes). Result: true, as anvil.
func (a *anvilAPI) SetStorageAt(ctx context.Context, addr common.Address, slot Quantity, value common.Hash) (bool, error) {
	bc := a.c.Eth.BlockChain()
	head := bc.CurrentBlock()
	st, err := bc.StateAt(head.Root)
	if err != nil {
		return false, err
	}
	if st.Empty(addr) && !a.q.pendingFor(addr, head.Number.Uint64()) {
		return false, errEmptyAccount.With(addr.Hex())
	}
	if err := a.apply(ctx, "setStorageAt", addr, xvm.EncodeSetStorageAt(addr, slot.Bytes32(), value)); err != nil {
		return false, err
	}
	return true, nil
}

// apply queues the deposit carrying data and waits until a canonical block holds it with a
// successful receipt, or ctx ends, or the chain stops.
func (a *anvilAPI) apply(ctx context.Context, op string, target common.Address, data []byte) error {
	c := a.c
	tx := cheatDeposit(&c.chainID, data)
	raw, err := tx.MarshalBinary()
	if err != nil {
		return err
	}
	ch := &cheat{op: op, target: target, tx: tx, raw: raw, gas: tx.Gas()}
	bc := c.Eth.BlockChain()
	heads := make(chan core.ChainHeadEvent, 16)
	sub := bc.SubscribeChainHeadEvent(heads)
	defer sub.Unsubscribe()
	if err := a.q.push(ch); err != nil {
		return err
	}
	c.log.Info("Queued anvil cheat", "op", op, "address", target, "deposit", tx.Hash())
	for {
		if number, ok, err := a.landed(ch); ok || err != nil {
			if err == nil {
				c.log.Info("Applied anvil cheat", "op", op, "address", target, "number", number)
			}
			return err
		}
		select {
		case <-heads:
		case <-ctx.Done():
			if a.q.withdraw(ch) {
				return fmt.Errorf("anvil_%s: %w; nothing was changed", op, ctx.Err())
			}
			return fmt.Errorf("anvil_%s: %w before the block with the change was canonical; it may still be applied", op, ctx.Err())
		case <-c.stop:
			return errDevnetStopped
		case err := <-sub.Err():
			return fmt.Errorf("anvil_%s: chain head subscription: %v", op, err)
		}
	}
}

// landed reports whether ch's deposit is in the canonical chain at or below the head, with
// a successful receipt (an error if it failed).
func (a *anvilAPI) landed(ch *cheat) (uint64, bool, error) {
	a.q.mu.Lock()
	at := ch.at
	a.q.mu.Unlock()
	bc := a.c.Eth.BlockChain()
	if at == 0 || bc.CurrentBlock().Number.Uint64() < at {
		return 0, false, nil
	}
	block := bc.GetBlockByNumber(at)
	if block == nil {
		return 0, false, nil
	}
	for i, tx := range block.Transactions() {
		if tx.Hash() != ch.tx.Hash() {
			continue
		}
		receipts := bc.GetReceiptsByHash(block.Hash())
		if i >= len(receipts) {
			return 0, false, nil
		}
		if bc.GetCanonicalHash(at) != block.Hash() {
			return 0, false, nil // replaced meanwhile: it is carried again
		}
		if receipts[i].Status != types.ReceiptStatusSuccessful {
			return at, false, fmt.Errorf("anvil_%s: the deposit carrying it failed in block %d (%s)", ch.op, at, ch.tx.Hash())
		}
		return at, true, nil
	}
	return 0, false, nil
}

// cheatDeposit is the deposit transaction that carries one DevnetCheats call on chainID:
// a random source hash (domain-separated from OP's deposit kinds by its own tag), from the
// devnet system address, gas for the intrinsic cost plus the operation, no mint, no value.
func cheatDeposit(chainID *uint256.Int, data []byte) *types.Transaction {
	var nonce [32]byte
	rand.Read(nonce[:])
	id := chainID.Bytes32()
	source := crypto.Keccak256Hash([]byte("xgeth devnet cheat"), id[:], nonce[:])
	intrinsic, _ := core.IntrinsicGas(data, nil, nil, false, true, true, true)
	floor, _ := core.FloorDataGas(data)
	to := xvm.DevnetCheatsAddress
	return types.NewTx(&types.DepositTx{
		SourceHash: source,
		From:       xvm.DevnetCheatsCaller,
		To:         &to,
		Value:      new(big.Int),
		Gas:        max(intrinsic+xvm.DevnetCheatGas(data), floor),
		Data:       data,
	})
}

// Quantity is a non-negative integer below 2^256 in any form anvil takes one: a "0x" hex
// string (leading zeros allowed, so a 32-byte word is fine), a decimal string, or a JSON
// number without fraction or exponent.
type Quantity struct{ uint256.Int }

// UnmarshalJSON parses a quantity, refusing negative, fractional, oversized and malformed
// values with a message that says which.
func (q *Quantity) UnmarshalJSON(input []byte) error {
	s := strings.TrimSpace(string(input))
	if s == "null" || s == "" {
		return errors.New("missing quantity")
	}
	if s[0] == '"' {
		if err := json.Unmarshal(input, &s); err != nil {
			return fmt.Errorf("quantity: %v", err)
		}
		if s == "" {
			return errors.New("empty quantity")
		}
	}
	if s[0] == '-' {
		return fmt.Errorf("negative quantity %.40s", s)
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		digits := strings.TrimLeft(s[2:], "0")
		if len(s) == 2 {
			return errors.New("hex quantity without digits")
		}
		if len(digits) > 64 {
			return fmt.Errorf("quantity %.40s… is above 2^256-1", s)
		}
		for _, r := range digits {
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return fmt.Errorf("invalid hex digit %q in quantity", r)
			}
		}
		if digits == "" {
			q.Clear()
			return nil
		}
		return q.SetFromHex("0x" + digits)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return fmt.Errorf("quantity %.40q is not a hex string or a non-negative integer", s)
		}
	}
	if err := q.SetFromDecimal(s); err != nil {
		return fmt.Errorf("quantity %.40s… is above 2^256-1", s)
	}
	return nil
}
