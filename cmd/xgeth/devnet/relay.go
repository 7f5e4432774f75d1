package devnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/rpcerr"
	xparams "github.com/xgeth/xgeth/params"
)

// relayerSeed derives the relayer's key. The relayer is not one of the test mnemonic's
// accounts, so that the relayer's nonces never race a user's transactions.
const relayerSeed = "xgeth devnet auto-relay"

// Relayer is the account the auto-relay signs with, prefunded on every devnet chain. Its
// key is derived from a fixed string: anyone can compute it, as with the test accounts.
var Relayer = func() Account {
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte(relayerSeed)))
	if err != nil {
		panic(err)
	}
	return Account{Address: crypto.PubkeyToAddress(key.PublicKey), Key: key}
}()

const (
	relayTick       = 50 * time.Millisecond
	relayBackoffMin = 100 * time.Millisecond
	relayBackoffMax = 5 * time.Second
	// relayGiveUpAfter: a message that never becomes valid on its destination (its source
	// never reaches the pool's safety level) is given up after this long.
	relayGiveUpAfter = 30 * time.Minute
	// relayMaxRefusals: definitive refusals by the destination's pool (other than "no
	// verdict yet") tolerated before giving up; a source reorg the tracker has not seen yet
	// can cause a few.
	relayMaxRefusals = 5
	// relayTip is the relay's priority fee: any non-zero tip.
	relayTip = 1_000_000
	// relayCallTimeout bounds each in-process call (estimate, eth_call).
	relayCallTimeout = 5 * time.Second
)

// relayJob is one message the relayer works on.
type relayJob struct {
	seen      time.Time // when the tracker reported it
	next      time.Time // when to look at it again
	backoff   time.Duration
	refusals  int
	tx        *types.Transaction // in flight on the destination
	minedWait time.Time          // since when tx's nonce is used but no receipt is known
}

// relayTarget is a destination chain and the relayer's nonce on it.
type relayTarget struct {
	id         uint64
	chain      *Chain
	client     *ethclient.Client // in-process JSON-RPC
	nonce      uint64
	nonceKnown bool
	inflight   map[uint64]common.Hash // nonce → our unmined transaction
	gapSince   time.Time
	broke      bool // out of ETH, logged
}

// autoRelayer relays every message sent to a devnet chain, once, with the relayer account.
// It works from the tracker (never from a block that is no longer canonical), keeps at most
// one transaction per message in flight, and checks successfulMessages before sending.
type autoRelayer struct {
	log       log.Logger
	tracker   *MessageTracker
	key       *ecdsa.PrivateKey
	addr      common.Address
	blockTime time.Duration
	cluster   *cluster.Graph // per-chain dependency sets, or nil (full mesh)
	targets   map[uint64]*relayTarget
	jobs      map[common.Hash]*relayJob
	stop      chan struct{}
	done      chan struct{}
}

func newAutoRelayer(logger log.Logger, tracker *MessageTracker, chains []*Chain, blockTime time.Duration, g *cluster.Graph) *autoRelayer {
	r := &autoRelayer{log: logger, tracker: tracker, key: Relayer.Key, addr: Relayer.Address, blockTime: blockTime, cluster: g,
		targets: map[uint64]*relayTarget{}, jobs: map[common.Hash]*relayJob{}, stop: make(chan struct{}), done: make(chan struct{})}
	for _, c := range chains {
		r.targets[c.ID] = &relayTarget{id: c.ID, chain: c, client: ethclient.NewClient(c.Node.Attach()), inflight: map[uint64]common.Hash{}}
	}
	return r
}

func (r *autoRelayer) start() { go r.run() }

func (r *autoRelayer) close() {
	close(r.stop)
	<-r.done
	for _, tg := range r.targets {
		tg.client.Close()
	}
}

func (r *autoRelayer) run() {
	defer close(r.done)
	tick := time.NewTicker(relayTick)
	defer tick.Stop()
	for {
		select {
		case <-r.tracker.notify:
		case <-tick.C:
		case <-r.stop:
			return
		}
		now := time.Now()
		for _, h := range r.tracker.takeFresh() {
			if j, ok := r.jobs[h]; ok {
				j.next = now // sent again (a reorg moved it): look at once
				continue
			}
			r.jobs[h] = &relayJob{seen: now, next: now, backoff: relayBackoffMin}
		}
		for h, j := range r.jobs {
			if now.Before(j.next) {
				continue
			}
			if r.step(h, j) {
				delete(r.jobs, h)
			}
		}
		for _, tg := range r.targets {
			r.healGap(tg)
		}
	}
}

// step moves one job on; it reports whether the job is finished.
func (r *autoRelayer) step(h common.Hash, j *relayJob) bool {
	m, ok := r.tracker.Message(h)
	if !ok || m.Sent == nil {
		r.log.Info("Relay dropped: the message's source block is no longer canonical", "msgHash", h)
		return true
	}
	if m.Relayed != nil {
		if j.tx != nil && m.Relayed.Hash == j.tx.Hash() {
			r.log.Info("Relayed message", "source", m.Sent.Chain, "srcTx", m.Sent.Hash, "destination", m.Relayed.Chain, "destTx", m.Relayed.Hash,
				"latency", fmt.Sprintf("%d blocks", r.blocks(m.Relayed.Timestamp-m.Sent.Timestamp)), "elapsed", time.Since(j.seen).Round(time.Millisecond), "msgHash", h)
		} else {
			r.log.Info("Message relayed by another transaction", "source", m.Sent.Chain, "srcTx", m.Sent.Hash, "destination", m.Relayed.Chain, "destTx", m.Relayed.Hash, "msgHash", h)
		}
		return true
	}
	dest := &m.Message.Destination
	var tg *relayTarget
	if dest.IsUint64() {
		tg = r.targets[dest.Uint64()]
	}
	if tg == nil {
		r.log.Warn("Message to a chain this devnet does not run is not relayed", "source", m.Sent.Chain, "srcTx", m.Sent.Hash, "destination", dest.Dec(), "msgHash", h)
		return true
	}
	if g := r.cluster; g != nil && !g.Accepts(dest, uint256.NewInt(m.Sent.Chain)) {
		// A direct relay could never be valid: say how the app can get there instead.
		via := "no chain accepts the source and is accepted by the destination"
		if hops := g.Hops(uint256.NewInt(m.Sent.Chain), dest); len(hops) > 0 {
			via = fmt.Sprintf("relay through chain %s: send from %d to %s, then from %s to %s", hops[0].Dec(), m.Sent.Chain, hops[0].Dec(), hops[0].Dec(), dest.Dec())
		}
		r.log.Warn("Message not relayed: its source is outside the destination's dependency set", "source", m.Sent.Chain, "srcTx", m.Sent.Hash,
			"destination", dest.Dec(), "msgHash", h, "hint", via)
		r.tracker.setError(h, fmt.Sprintf("chain %d is not in chain %s's dependency set; %s", m.Sent.Chain, dest.Dec(), via))
		return true
	}
	if j.tx != nil {
		switch done, retry := r.inFlight(tg, m, j); {
		case done:
			return true
		case !retry:
			j.next = time.Now().Add(relayTick)
			return false
		}
		j.tx = nil
	}
	if time.Since(j.seen) > relayGiveUpAfter {
		r.log.Error("Gave up relaying a message that never became valid on its destination", "source", m.Sent.Chain, "srcTx", m.Sent.Hash, "destination", tg.id, "msgHash", h, "after", relayGiveUpAfter)
		r.tracker.setError(h, "auto-relay gave up: the message never became valid on the destination")
		return true
	}
	return r.submit(h, j, tg, m)
}

// inFlight follows the job's transaction: done when it failed for good, retry when it is
// gone without a trace (dropped from the pool, or its nonce used by another transaction).
func (r *autoRelayer) inFlight(tg *relayTarget, m *TrackedMessage, j *relayJob) (done, retry bool) {
	hash := j.tx.Hash()
	for _, f := range m.Failed {
		if f.Hash == hash {
			r.log.Error("Relay transaction failed on the destination; relay it with relayMessage once the cause is fixed", "source", m.Sent.Chain, "srcTx", m.Sent.Hash,
				"destination", tg.id, "destTx", hash, "msgHash", m.Hash)
			return true, false
		}
	}
	pool := tg.chain.Eth.TxPool()
	if pool.Has(hash) {
		return false, false
	}
	nonce, ok := r.stateNonce(tg)
	if !ok {
		return false, false
	}
	if nonce <= j.tx.Nonce() {
		// Neither pooled nor mined: dropped (a reorg evicted it, or the pool did). Send again.
		r.log.Debug("Relay transaction left the pool unmined, sending again", "destination", tg.id, "destTx", hash, "msgHash", m.Hash)
		tg.nonceKnown = false
		return false, true
	}
	// Its nonce is used: mined (the tracker reads the block soon) or replaced.
	if j.minedWait.IsZero() {
		j.minedWait = time.Now()
	} else if time.Since(j.minedWait) > 10*time.Second {
		j.minedWait = time.Time{}
		return false, true
	}
	return false, false
}

// submit sends a relay of m to tg; it reports whether the job is finished.
func (r *autoRelayer) submit(h common.Hash, j *relayJob, tg *relayTarget, m *TrackedMessage) bool {
	ctx, cancel := context.WithTimeout(context.Background(), relayCallTimeout)
	defer cancel()
	msgr := xparams.L2ToL2CrossDomainMessengerAddress
	// Relayed meanwhile by a transaction the tracker has not read yet?
	if out, err := tg.client.CallContract(ctx, ethereum.CallMsg{To: &msgr, Data: append(successfulMessagesSelector[:], h[:]...)}, nil); err == nil && len(out) == 32 && out[31] == 1 {
		r.log.Info("Message already relayed on its destination", "destination", tg.id, "msgHash", h)
		return true
	}
	data := EncodeRelayMessage(&m.ID, m.Payload)
	al := accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&m.ID, crypto.Keccak256Hash(m.Payload))})
	gas, err := tg.client.EstimateGas(ctx, ethereum.CallMsg{From: r.addr, To: &msgr, Data: data, AccessList: al})
	if err != nil {
		var coded rpc.Error
		if errors.As(err, &coded) && coded.ErrorCode() == 3 { // geth's code for a revert
			r.log.Error("Relay reverts on the destination, not retried; relay it with relayMessage once the cause is fixed", "source", m.Sent.Chain, "srcTx", m.Sent.Hash,
				"destination", tg.id, "msgHash", h, "err", err)
			r.tracker.setError(h, "relay reverts: "+err.Error())
			return true
		}
		r.log.Debug("Relay gas estimate failed, retrying", "destination", tg.id, "msgHash", h, "err", err)
		r.backoff(j)
		return false
	}
	gas += gas / 5 // the destination's state may move before inclusion
	pool := tg.chain.Eth.TxPool()
	if !tg.nonceKnown {
		tg.nonce, tg.nonceKnown = pool.PoolNonce(r.addr), true
	}
	head := tg.chain.Eth.BlockChain().CurrentBlock()
	tip := big.NewInt(relayTip)
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	chainID := new(big.Int).SetUint64(tg.id)
	tx := types.MustSignNewTx(r.key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: tg.nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: &msgr, Data: data, AccessList: al,
	})
	err = pool.Add([]*types.Transaction{tx}, true)[0]
	switch {
	case err == nil:
		if tg.broke {
			r.log.Info("Relayer funded again, relaying resumes", "chain", tg.id, "relayer", r.addr)
			tg.broke = false
		}
		j.tx, j.minedWait = tx, time.Time{}
		tg.inflight[tx.Nonce()] = tx.Hash()
		tg.nonce++
		j.next = time.Now().Add(relayTick)
		r.log.Debug("Relay submitted", "source", m.Sent.Chain, "srcTx", m.Sent.Hash, "destination", tg.id, "destTx", tx.Hash(), "nonce", tx.Nonce(), "gas", gas)
		return false
	case errors.Is(err, core.ErrInsufficientFunds):
		if !tg.broke {
			balance, _ := tg.client.BalanceAt(ctx, r.addr, nil)
			r.log.Error("Relayer is out of ETH: no message is relayed to this chain until it is funded", "chain", tg.id, "relayer", r.addr,
				"balance", balance, "cost", tx.Cost(), "msgHash", h)
			tg.broke = true
		}
		j.next = time.Now().Add(time.Second)
		return false
	case errors.Is(err, core.ErrNonceTooLow), errors.Is(err, txpool.ErrAlreadyKnown), errors.Is(err, txpool.ErrReplaceUnderpriced), errors.Is(err, core.ErrNonceTooHigh):
		tg.nonceKnown = false // someone else used the relayer's key
		j.next = time.Now()
		return false
	case rpcerr.NoVerdictYet(err), errors.Is(err, checker.ErrFailsafe):
		r.backoff(j) // the destination cannot see the message yet
		return false
	default:
		if _, interop := rpcerr.CodeOf(err); interop {
			if j.refusals++; j.refusals < relayMaxRefusals {
				r.backoff(j)
				return false
			}
		} else if time.Since(j.seen) < time.Minute {
			r.backoff(j)
			return false
		}
		r.log.Error("Relay refused by the destination's pool, giving up", "source", m.Sent.Chain, "srcTx", m.Sent.Hash, "destination", tg.id, "msgHash", h, "err", err)
		r.tracker.setError(h, "relay refused: "+err.Error())
		return true
	}
}

func (r *autoRelayer) backoff(j *relayJob) {
	j.next = time.Now().Add(j.backoff)
	j.backoff = min(2*j.backoff, relayBackoffMax)
}

// blocks is a time span in block times.
func (r *autoRelayer) blocks(seconds uint64) uint64 {
	bt := uint64(r.blockTime / time.Second)
	if bt == 0 {
		return seconds
	}
	return seconds / bt
}

// healGap fills a nonce gap: a relay transaction that left the pool unmined while the job
// that sent it was finished (its message was reorged out) holds back the relayer's later
// transactions on that chain. A zero-value transfer to itself takes the missing nonce.
func (r *autoRelayer) healGap(tg *relayTarget) {
	if len(tg.inflight) == 0 {
		tg.gapSince = time.Time{}
		return
	}
	pool := tg.chain.Eth.TxPool()
	state, ok := r.stateNonce(tg)
	if !ok {
		return
	}
	for n := range tg.inflight {
		if n < state {
			delete(tg.inflight, n)
		}
	}
	if len(tg.inflight) == 0 {
		tg.gapSince = time.Time{}
		return
	}
	if h, ok := tg.inflight[state]; ok && pool.Has(h) {
		tg.gapSince = time.Time{}
		return
	}
	higher := false
	for n := range tg.inflight {
		higher = higher || n > state
	}
	if !higher {
		return
	}
	if tg.gapSince.IsZero() {
		tg.gapSince = time.Now()
		return
	}
	if time.Since(tg.gapSince) < 2*time.Second {
		return // a job whose transaction was dropped is sending it again
	}
	tg.gapSince = time.Time{}
	head := tg.chain.Eth.BlockChain().CurrentBlock()
	tip := big.NewInt(relayTip)
	chainID := new(big.Int).SetUint64(tg.id)
	tx := types.MustSignNewTx(r.key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: state, GasTipCap: tip, GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip), Gas: 21_000, To: &r.addr,
	})
	if err := pool.Add([]*types.Transaction{tx}, true)[0]; err != nil {
		r.log.Warn("Could not fill the relayer's nonce gap", "chain", tg.id, "nonce", state, "err", err)
		return
	}
	tg.inflight[state] = tx.Hash()
	r.log.Warn("Filled a nonce gap left by a dropped relay transaction", "chain", tg.id, "nonce", state, "tx", tx.Hash())
}

// stateNonce is the relayer's nonce at tg's head. (TxPool.Nonce reads the pool's StateDB,
// which is not safe for concurrent readers.)
func (r *autoRelayer) stateNonce(tg *relayTarget) (uint64, bool) {
	st, err := tg.chain.Eth.BlockChain().State()
	if err != nil {
		return 0, false
	}
	return st.GetNonce(r.addr), true
}
