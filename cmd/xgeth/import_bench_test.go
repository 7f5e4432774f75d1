package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	xparams "github.com/xgeth/xgeth/params"
)

// logGenesis is an OP chain (every fork through Lagoon at genesis) with a funded key and a
// contract that emits 100 logs when called.
func logGenesis() (*core.Genesis, *ecdsa.PrivateKey, common.Address) {
	key, _ := crypto.GenerateKey()
	emitter := common.Address{0xe0}
	g := devnet.Genesis(901, uint64(time.Now().Unix())-1_000_000, nil)
	g.Alloc[crypto.PubkeyToAddress(key.PublicKey)] = types.Account{Balance: new(big.Int).Lsh(big.NewInt(1), 100)}
	g.Alloc[emitter] = types.Account{Balance: common.Big0, Code: bytes.Repeat([]byte{0x60, 0x00, 0x60, 0x00, 0xa0}, 100)} // 100 × LOG0(0, 0)
	return g, key, emitter
}

// buildLogChain has a node (auth, on genesis g) sequence n blocks through the engine API as
// op-node does (forkchoiceUpdated with attributes, getPayload, newPayload,
// forkchoiceUpdated), each with the L1-info deposit and one transaction that emits 100
// logs, and returns their payloads.
func buildLogChain(b *testing.B, auth *rpc.Client, g *core.Genesis, key *ecdsa.PrivateKey, emitter common.Address, n int) []*engine.ExecutableData {
	b.Helper()
	signer := types.LatestSigner(g.Config)
	var head struct {
		Hash common.Hash `json:"hash"`
	}
	if err := auth.Call(&head, "eth_getBlockByNumber", "0x0", false); err != nil {
		b.Fatal(err)
	}
	parent, ts := head.Hash, g.Timestamp
	out := make([]*engine.ExecutableData, 0, n)
	for i := 0; i < n; i++ {
		ts += 2
		deposit, _ := devnet.L1InfoDeposit(uint64(i+1), g.Timestamp).MarshalBinary()
		tx, _ := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: g.Config.ChainID, Nonce: uint64(i), To: &emitter,
			Gas: 100_000, GasFeeCap: big.NewInt(10_000_000_000), GasTipCap: big.NewInt(1)}).MarshalBinary()
		gas, minBase, root := uint64(30_000_000), uint64(0), common.Hash{}
		attrs := &engine.PayloadAttributes{Timestamp: ts, Random: common.Hash{1}, SuggestedFeeRecipient: common.Address{2}, Withdrawals: []*types.Withdrawal{},
			BeaconRoot: &root, Transactions: [][]byte{deposit, tx}, NoTxPool: true, GasLimit: &gas, EIP1559Params: make([]byte, 8), MinBaseFee: &minBase}
		var res engine.ForkChoiceResponse
		if err := auth.Call(&res, "engine_forkchoiceUpdatedV3", engine.ForkchoiceStateV1{HeadBlockHash: parent}, attrs); err != nil || res.PayloadID == nil {
			b.Fatalf("build %d: %v", i+1, err)
		}
		var env engine.ExecutionPayloadEnvelope
		if err := auth.Call(&env, "engine_getPayloadV4", res.PayloadID); err != nil {
			b.Fatal(err)
		}
		importBlock(b, auth, env.ExecutionPayload)
		out = append(out, env.ExecutionPayload)
		parent = env.ExecutionPayload.BlockHash
	}
	return out
}

// importBlock is engine_newPayloadV4 and engine_forkchoiceUpdatedV3 to it, both VALID.
func importBlock(b *testing.B, auth *rpc.Client, p *engine.ExecutableData) {
	var status engine.PayloadStatusV1
	if err := auth.Call(&status, "engine_newPayloadV4", p, []common.Hash{}, common.Hash{}, []hexutil.Bytes{}); err != nil || status.Status != engine.VALID {
		b.Fatalf("newPayload %d: %v %s %v", p.Number, err, status.Status, status.ValidationError)
	}
	var res engine.ForkChoiceResponse
	if err := auth.Call(&res, "engine_forkchoiceUpdatedV3", engine.ForkchoiceStateV1{HeadBlockHash: p.BlockHash}, nil); err != nil || res.PayloadStatus.Status != engine.VALID {
		b.Fatalf("forkchoiceUpdated %d: %v %s", p.Number, err, res.PayloadStatus.Status)
	}
}

func freePort(b *testing.B) int {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// benchNode is an xgeth process started by a benchmark, with its engine API client.
type benchNode struct {
	auth    *rpc.Client
	datadir string
	stop    func()
}

// benchSetup writes genesis g and a JWT secret into a fresh folder for benchNodes.
type benchSetup struct {
	dir, genesisFile, jwt string
	secret                [32]byte
}

func newBenchSetup(b *testing.B, g *core.Genesis) *benchSetup {
	b.Helper()
	s := &benchSetup{dir: b.TempDir()}
	s.genesisFile, s.jwt = filepath.Join(s.dir, "genesis.json"), filepath.Join(s.dir, "jwt.txt")
	data, err := g.MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	copy(s.secret[:], bytes.Repeat([]byte{0xab}, 32))
	if err := os.WriteFile(s.genesisFile, data, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(s.jwt, []byte(hexutil.Encode(s.secret[:])), 0o600); err != nil {
		b.Fatal(err)
	}
	return s
}

// start runs `xgeth init` and then a fresh xgeth node named name on the genesis, with op-geth's
// usual sequencer flags plus extra, and waits for its engine API. XGETH_IMPORT_PROFILE=dir
// writes each node's CPU profile there (<name>.prof).
func (s *benchSetup) start(b *testing.B, name string, extra ...string) *benchNode {
	b.Helper()
	datadir := filepath.Join(s.dir, name)
	if out, err := runXgeth(b, "init", "--datadir", datadir, "--state.scheme=hash", s.genesisFile); err != nil {
		b.Fatalf("init: %v\n%s", err, out)
	}
	port := freePort(b)
	args := append([]string{"--datadir", datadir, "--networkid", "901", "--syncmode", "full", "--state.scheme=hash",
		"--nodiscover", "--maxpeers", "0", "--port", "0", "--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(port),
		"--authrpc.jwtsecret", s.jwt, "--verbosity", "2"}, extra...)
	if dir := os.Getenv("XGETH_IMPORT_PROFILE"); dir != "" {
		args = append(args, "--pprof.cpuprofile", filepath.Join(dir, name+".prof"))
	}
	cmd, out := xgethProcess(args...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM) // a clean stop writes the profile
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		auth, err := rpc.DialOptions(context.Background(), fmt.Sprintf("http://127.0.0.1:%d", port), rpc.WithHTTPAuth(node.NewJWTAuth(s.secret)))
		if err == nil {
			var id hexutil.Big
			if err = auth.Call(&id, "eth_chainId"); err == nil {
				return &benchNode{auth: auth, datadir: datadir, stop: func() { auth.Close(); stop() }}
			}
			auth.Close()
		}
		if time.Now().After(deadline) {
			stop()
			b.Fatalf("xgeth did not start: %v\n%s", err, out)
		}
	}
}

// BenchmarkNodeImportOverhead measures what the interop service costs block import on the
// node command, through the engine API as op-node drives it (engine_newPayloadV4, then
// engine_forkchoiceUpdatedV3 per block, over the JWT port): a pre-built chain of
// XGETH_IMPORT_BLOCKS blocks (default 1000) with 100 logs each is imported into a real
// xgeth process with --interop.disable and into one with interop on, alternately, and the
// overhead is reported in percent. With interop on the run ends once the log index has the
// head too.
func BenchmarkNodeImportOverhead(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("XGETH_IMPORT_BLOCKS")); err == nil && v > 0 {
		n = v
	}
	genesis, key, emitter := logGenesis()
	setup := newBenchSetup(b, genesis)
	start := func(name string, interop bool) *benchNode {
		extra := []string{"--gcmode", "archive"}
		if !interop {
			extra = append(extra, "--interop.disable")
		}
		return setup.start(b, name, extra...)
	}
	t0 := time.Now()
	builder := start("builder", false)
	payloads := buildLogChain(b, builder.auth, genesis, key, emitter, n)
	builder.stop()
	b.Logf("built %d blocks of 100 logs in %v", n, time.Since(t0).Round(time.Millisecond))

	run := func(interop bool, round int) time.Duration {
		nd := start(fmt.Sprintf("data-%v-%d", interop, round), interop)
		defer nd.stop()
		begin := time.Now()
		for _, p := range payloads {
			importBlock(b, nd.auth, p)
		}
		if interop {
			// The index catches up with the head (over IPC: interop_status).
			ipc, err := rpc.Dial(filepath.Join(nd.datadir, "geth.ipc"))
			if err != nil {
				b.Fatal(err)
			}
			defer ipc.Close()
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
				var status []rpcapi.ChainStatus
				if err := ipc.Call(&status, "interop_status"); err == nil && len(status) == 1 && status[0].LocalUnsafe != nil &&
					uint64(status[0].LocalUnsafe.Number) == uint64(n) {
					break
				}
				if time.Now().After(deadline) {
					b.Fatal("the log index did not reach the imported head")
				}
			}
		}
		return time.Since(begin)
	}
	var plain, withInterop time.Duration
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			plain += run(false, i)
			withInterop += run(true, i)
		} else {
			withInterop += run(true, i)
			plain += run(false, i)
		}
	}
	rounds := float64(b.N)
	b.ReportMetric(float64(plain.Microseconds())/rounds/float64(n), "µs/block-plain")
	b.ReportMetric(float64(withInterop.Microseconds())/rounds/float64(n), "µs/block-interop")
	b.ReportMetric(100*(float64(withInterop)-float64(plain))/float64(plain), "%overhead")
}

// BenchmarkNodePoolAdmission measures eth_sendRawTransaction on the node command over HTTP:
// a plain transfer against an interop transaction (an access list declaring one message of
// the chain's own logs, each transaction a different message so that no cached verdict is
// reused), alternately in one run. It reports both latencies and their difference.
func BenchmarkNodePoolAdmission(b *testing.B) {
	const blocks = 20 // 2,000 distinct messages: more than -benchtime 1s sends
	genesis, key, emitter := logGenesis()
	plainKey, _ := crypto.GenerateKey()
	interopKey, _ := crypto.GenerateKey()
	for _, k := range []*ecdsa.PrivateKey{plainKey, interopKey} {
		genesis.Alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: new(big.Int).Lsh(big.NewInt(1), 100)}
	}
	httpPort := freePort(b)
	nd := newBenchSetup(b, genesis).start(b, "data", "--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(httpPort), "--http.api", "eth,interop",
		"--txpool.accountslots", "100000", "--txpool.globalslots", "200000", "--txpool.accountqueue", "100000", "--txpool.globalqueue", "200000")
	defer nd.stop()
	auth := nd.auth
	payloads := buildLogChain(b, auth, genesis, key, emitter, blocks)
	public, err := rpc.Dial(fmt.Sprintf("http://127.0.0.1:%d", httpPort))
	if err != nil {
		b.Fatal(err)
	}
	defer public.Close()
	// The messages: every log of the built blocks, once their blocks are cross-unsafe.
	var msgs []message.Message
	chainID := uint256.NewInt(901)
	for _, p := range payloads {
		var receipts []*types.Receipt
		if err := public.Call(&receipts, "eth_getBlockReceipts", hexutil.Uint64(p.Number)); err != nil {
			b.Fatal(err)
		}
		for _, r := range receipts {
			for _, l := range r.Logs {
				msgs = append(msgs, message.OfLog(l, p.Timestamp, chainID))
			}
		}
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		var heads []rpcapi.ChainSafety
		if err := public.Call(&heads, "interop_safety"); err == nil && len(heads) == 1 && heads[0].CrossUnsafe != nil &&
			uint64(heads[0].CrossUnsafe.Number) >= uint64(blocks) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the built blocks did not become cross-unsafe")
		}
	}
	signer := types.LatestSigner(genesis.Config)
	inbox := xparams.CrossL2InboxAddress
	to := common.Address{0xaa}
	var plain, interop time.Duration
	send := func(tx *types.Transaction) time.Duration {
		raw, _ := tx.MarshalBinary()
		start := time.Now()
		var h common.Hash
		if err := public.Call(&h, "eth_sendRawTransaction", hexutil.Bytes(raw)); err != nil {
			b.Fatalf("eth_sendRawTransaction: %v", err)
		}
		return time.Since(start)
	}
	// The pool does check: a message the chain does not have is refused.
	bogus := msgs[0]
	bogus.MsgHash[0] ^= 1
	btx := types.MustSignNewTx(interopKey, signer, &types.DynamicFeeTx{ChainID: genesis.Config.ChainID, Nonce: 0, To: &inbox,
		Gas: 200_000, GasFeeCap: big.NewInt(10_000_000_000), GasTipCap: big.NewInt(1), Data: event.EncodeValidateMessage(&bogus),
		AccessList: accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&bogus.Identifier, bogus.MsgHash)})})
	if raw, _ := btx.MarshalBinary(); public.Call(nil, "eth_sendRawTransaction", hexutil.Bytes(raw)) == nil {
		b.Fatal("the node's pool admitted a transaction executing a message its chain does not have")
	}
	i := 0
	for b.Loop() {
		if i >= len(msgs) {
			b.Fatalf("more iterations than messages (%d): use -benchtime %dx or fewer", len(msgs), len(msgs))
		}
		m := msgs[i]
		ptx := types.MustSignNewTx(plainKey, signer, &types.DynamicFeeTx{ChainID: genesis.Config.ChainID, Nonce: uint64(i), To: &to, Value: big.NewInt(1),
			Gas: 21_000, GasFeeCap: big.NewInt(10_000_000_000), GasTipCap: big.NewInt(1)})
		itx := types.MustSignNewTx(interopKey, signer, &types.DynamicFeeTx{ChainID: genesis.Config.ChainID, Nonce: uint64(i), To: &inbox,
			Gas: 200_000, GasFeeCap: big.NewInt(10_000_000_000), GasTipCap: big.NewInt(1), Data: event.EncodeValidateMessage(&m),
			AccessList: accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(&m.Identifier, m.MsgHash)})})
		if i%2 == 0 {
			plain += send(ptx)
			interop += send(itx)
		} else {
			interop += send(itx)
			plain += send(ptx)
		}
		i++
	}
	b.ReportMetric(float64(plain.Microseconds())/float64(i), "µs/plain")
	b.ReportMetric(float64(interop.Microseconds())/float64(i), "µs/interop")
	b.ReportMetric(float64((interop-plain).Microseconds())/float64(i), "µs/interop-extra")
}
