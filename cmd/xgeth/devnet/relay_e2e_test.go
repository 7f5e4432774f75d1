package devnet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/safety"
	xparams "github.com/xgeth/xgeth/params"
)

// logBuffer collects a devnet's relay log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count is how many lines contain s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLog waits until a relay log line contains s.
func (b *logBuffer) wait(ctx context.Context, t *testing.T, s string) {
	t.Helper()
	for b.count(s) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("no log line %q; logs:\n%s", s, b)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startRelayDevnet starts 901 and 902 with the auto-relay on, its logs captured.
func startRelayDevnet(t *testing.T, edit func(*devnet.Config)) (*devnet.Devnet, context.Context, []*ethclient.Client, *logBuffer) {
	t.Helper()
	logs := new(logBuffer)
	cfg := devnet.DefaultConfig()
	cfg.AutoRelay = true
	cfg.RelayLog = log.NewLogger(log.NewTerminalHandlerWithLevel(logs, log.LevelDebug, false))
	if edit != nil {
		edit(&cfg)
	}
	d, ctx, clients := startDevnet(t, cfg, httpURL)
	return d, ctx, clients, logs
}

// targetCode is a message target: called by anyone but the messenger it becomes "fixed"
// (stores 1); called by the messenger it reverts until fixed, then records the call as
// LOG1(topic: caller, data: calldata).
func targetInit() []byte {
	runtime := []byte{0x33, 0x73}
	runtime = append(runtime, xparams.L2ToL2CrossDomainMessengerAddress[:]...)
	runtime = append(runtime,
		0x14, 0x60, 0x1f, 0x57, // EQ PUSH1 relayed JUMPI
		0x60, 0x01, 0x5f, 0x55, 0x00, // SSTORE(0, 1) STOP
		0x5b, 0x5f, 0x54, 0x60, 0x28, 0x57, // relayed: JUMPDEST SLOAD(0) PUSH1 ok JUMPI
		0x5f, 0x5f, 0xfd, // REVERT(0, 0)
		0x5b, 0x36, 0x5f, 0x5f, 0x37, 0x33, 0x36, 0x5f, 0xa1, 0x00, // ok: CALLDATACOPY LOG1(0, size, caller) STOP
	)
	init := []byte{0x60, byte(len(runtime)), 0x60, 0x0a, 0x5f, 0x39, 0x60, byte(len(runtime)), 0x5f, 0xf3}
	return append(init, runtime...)
}

// deployTarget deploys a target on c, fixed or not.
func deployTarget(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account, fixed bool) common.Address {
	t.Helper()
	r := sendTx(ctx, t, c, from, nil, targetInit(), nil, 200_000)
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("target deployment failed")
	}
	if fixed {
		fixTarget(ctx, t, c, from, r.ContractAddress)
	}
	return r.ContractAddress
}

func fixTarget(ctx context.Context, t *testing.T, c *ethclient.Client, from devnet.Account, target common.Address) {
	t.Helper()
	if r := sendTx(ctx, t, c, from, &target, []byte("fix"), nil, 100_000); r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("fixing the target failed")
	}
}

// sendMessageData is sendMessage(destination, target, message) calldata.
func sendMessageData(destination uint64, target common.Address, msg []byte) []byte {
	out := []byte{0x70, 0x56, 0xf4, 0x1f}
	out = append(out, common.BigToHash(new(big.Int).SetUint64(destination)).Bytes()...)
	out = append(out, common.BytesToHash(target[:]).Bytes()...)
	out = append(out, common.BigToHash(big.NewInt(0x60)).Bytes()...)
	out = append(out, common.BigToHash(big.NewInt(int64(len(msg)))).Bytes()...)
	padded := make([]byte, (len(msg)+31)/32*32)
	copy(padded, msg)
	return append(out, padded...)
}

// sendL2ToL2 sends a message from chain c and returns its messenger hash and receipt.
func sendL2ToL2(ctx context.Context, t *testing.T, c *ethclient.Client, source uint64, from devnet.Account, destination uint64, target common.Address, msg []byte) (common.Hash, *types.Receipt) {
	t.Helper()
	msgr := xparams.L2ToL2CrossDomainMessengerAddress
	r := sendTx(ctx, t, c, from, &msgr, sendMessageData(destination, target, msg), nil, 200_000)
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("sendMessage to %d failed", destination)
	}
	for _, l := range r.Logs {
		if m, err := devnet.DecodeSentMessage(l, uint256.NewInt(source)); err == nil {
			return m.Hash(), r
		}
	}
	t.Fatal("no SentMessage log")
	return common.Hash{}, nil
}

func messageStatus(ctx context.Context, t *testing.T, url string, h common.Hash) *devnet.MessageStatus {
	t.Helper()
	cl := mustDial(ctx, t, url)
	defer cl.Close()
	var st *devnet.MessageStatus
	if err := cl.CallContext(ctx, &st, "interop_messageStatus", h); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitStatus polls interop_messageStatus until the message reaches state.
func waitStatus(ctx context.Context, t *testing.T, url string, h common.Hash, state devnet.MessageState) *devnet.MessageStatus {
	t.Helper()
	for {
		st := messageStatus(ctx, t, url, h)
		if st != nil && st.Status == state {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("message %s never %s; last status %+v", h, state, st)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// adminCall calls supersim's admin API and decodes the result.
func adminCall(ctx context.Context, t *testing.T, d *devnet.Devnet, out any, method string, params ...any) error {
	t.Helper()
	cl, err := rpc.DialContext(ctx, d.AdminEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	return cl.CallContext(ctx, out, method, params...)
}

// Messages sent both ways are relayed by the auto-relay, once: the target sees the call
// from the messenger, interop_messageStatus and admin_getL2ToL2MessageByMsgHash report them.
func TestAutoRelayRoundTrip(t *testing.T) {
	t.Parallel()
	d, ctx, clients, logs := startRelayDevnet(t, nil)
	user := d.Accounts[0]
	for _, dir := range []struct{ src, dst int }{{0, 1}, {1, 0}} {
		src, dst := d.Chains[dir.src], d.Chains[dir.dst]
		target := deployTarget(ctx, t, clients[dir.dst], user, true)
		payload := []byte(fmt.Sprintf("hello from %d to %d", src.ID, dst.ID))
		h, sent := sendL2ToL2(ctx, t, clients[dir.src], src.ID, user, dst.ID, target, payload)
		st := waitStatus(ctx, t, dst.HTTPEndpoint(), h, devnet.StateRelayed)
		if st.RelayTx == nil || uint64(st.RelayTx.ChainID) != dst.ID || st.SentTx.Hash != sent.TxHash || uint64(st.SentTx.ChainID) != src.ID {
			t.Fatalf("status %+v", st)
		}
		if st.Source.ToInt().Uint64() != src.ID || st.Destination.ToInt().Uint64() != dst.ID || *st.Target != target || *st.Sender != user.Address || !bytes.Equal(st.Message, payload) {
			t.Fatalf("status message fields %+v", st)
		}
		relay, err := clients[dir.dst].TransactionReceipt(ctx, st.RelayTx.Hash)
		if err != nil || relay.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("relay receipt %v %v", relay, err)
		}
		recorded := slices.ContainsFunc(relay.Logs, func(l *types.Log) bool {
			return l.Address == target && len(l.Topics) == 1 && l.Topics[0] == common.BytesToHash(xparams.L2ToL2CrossDomainMessengerAddress[:]) && bytes.Equal(l.Data, payload)
		})
		if !recorded {
			t.Fatal("the target did not record the relayed call")
		}
		tx, _, err := clients[dir.dst].TransactionByHash(ctx, st.RelayTx.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if from, _ := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx); from != devnet.Relayer.Address || slices.Contains(d.Accounts, devnet.Account{Address: from}) {
			t.Fatalf("relayed by %s, want the relayer %s", from, devnet.Relayer.Address)
		}
		t.Logf("%d→%d relayed %d block(s) after it was sent", src.ID, dst.ID, uint64(st.RelayTx.Timestamp-st.SentTx.Timestamp))

		var msg struct {
			Destination, Source, Nonce *big.Int
			Sender, Target             common.Address
			Message                    hexutil.Bytes
		}
		if err := adminCall(ctx, t, d, &msg, "admin_getL2ToL2MessageByMsgHash", h); err != nil {
			t.Fatal(err)
		}
		if msg.Destination.Uint64() != dst.ID || msg.Source.Uint64() != src.ID || msg.Sender != user.Address || msg.Target != target || !bytes.Equal(msg.Message, payload) || msg.Nonce.Cmp(st.Nonce.ToInt()) != 0 {
			t.Fatalf("admin message %+v", msg)
		}
	}
	// Never twice: a few blocks later each chain has seen exactly one relayer transaction.
	waitBlocks(ctx, t, clients[0], 3)
	for i, c := range clients {
		if n, err := c.NonceAt(ctx, devnet.Relayer.Address, nil); err != nil || n != 1 {
			t.Errorf("chain %d: relayer sent %d transactions (%v), want 1", d.Chains[i].ID, n, err)
		}
	}
	if n := logs.count("Relayed message"); n != 2 {
		t.Errorf("%d \"Relayed message\" lines, want 2:\n%s", n, logs)
	}
}

// A message to a chain the devnet does not run gets one warning and is not retried; the
// relayer keeps relaying other messages.
func TestAutoRelayUnknownDestination(t *testing.T) {
	t.Parallel()
	d, ctx, clients, logs := startRelayDevnet(t, nil)
	user := d.Accounts[1]
	h, _ := sendL2ToL2(ctx, t, clients[0], 901, user, 4242, common.HexToAddress("0x1234"), []byte("nobody home"))
	logs.wait(ctx, t, "Message to a chain this devnet does not run is not relayed")
	target := deployTarget(ctx, t, clients[1], user, true)
	h2, _ := sendL2ToL2(ctx, t, clients[0], 901, user, 902, target, []byte("somebody home"))
	waitStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h2, devnet.StateRelayed)
	waitBlocks(ctx, t, clients[0], 3)
	if n := logs.count("Message to a chain this devnet does not run is not relayed"); n != 1 {
		t.Errorf("%d warnings, want 1", n)
	}
	if !strings.Contains(logs.String(), "destination=4242") {
		t.Errorf("warning does not name the destination:\n%s", logs)
	}
	if st := messageStatus(ctx, t, d.Chains[0].HTTPEndpoint(), h); st == nil || st.Status != devnet.StateSent {
		t.Errorf("status %+v, want sent", st)
	}
}

// A relay whose target reverts is reported failed and left alone; a manual relay with the
// access list of admin_getAccessListByMsgHash fails on-chain while the target is broken
// (recorded as a failed relay) and succeeds once it is fixed; the auto-relay sends nothing.
func TestAutoRelayTargetReverts(t *testing.T) {
	t.Parallel()
	d, ctx, clients, logs := startRelayDevnet(t, nil)
	user := d.Accounts[2]
	dst := clients[1]
	target := deployTarget(ctx, t, dst, user, false)
	h, _ := sendL2ToL2(ctx, t, clients[0], 901, user, 902, target, []byte("retry me"))
	logs.wait(ctx, t, "Relay reverts on the destination")
	st := waitStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h, devnet.StateFailed)
	if st.Error == "" || st.RelayTx != nil {
		t.Fatalf("status %+v", st)
	}

	var al struct {
		AccessList types.AccessList `json:"accessList"`
	}
	if err := adminCall(ctx, t, d, &al, "admin_getAccessListByMsgHash", h); err != nil {
		t.Fatal(err)
	}
	var info devnet.RelayInfo
	cl := mustDial(ctx, t, d.Chains[1].HTTPEndpoint())
	defer cl.Close()
	if err := cl.CallContext(ctx, &info, "interop_accessListByMsgHash", h); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(info.AccessList) != fmt.Sprint(al.AccessList) {
		t.Fatalf("interop_accessListByMsgHash %v and admin_getAccessListByMsgHash %v differ", info.AccessList, al.AccessList)
	}
	msgr := xparams.L2ToL2CrossDomainMessengerAddress
	calldata := []byte(info.RelayCalldata)
	// Still broken: the relay is mined and fails (the messenger bubbles the revert).
	if r := sendTx(ctx, t, dst, user, &msgr, calldata, al.AccessList, 300_000); r.Status != types.ReceiptStatusFailed {
		t.Fatal("relay to the broken target succeeded")
	} else {
		st := waitStatusFailedTx(ctx, t, d.Chains[1].HTTPEndpoint(), h, r.TxHash)
		if st.Status != devnet.StateFailed {
			t.Fatalf("status %+v", st)
		}
	}
	fixTarget(ctx, t, dst, user, target)
	r := sendTx(ctx, t, dst, user, &msgr, calldata, al.AccessList, 300_000)
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("manual relay with admin_getAccessListByMsgHash's access list failed")
	}
	st = waitStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h, devnet.StateRelayed)
	if st.RelayTx.Hash != r.TxHash || len(st.FailedTxs) != 1 {
		t.Fatalf("status %+v", st)
	}
	waitBlocks(ctx, t, dst, 2)
	if n, err := dst.NonceAt(ctx, devnet.Relayer.Address, nil); err != nil || n != 0 {
		t.Fatalf("the relayer sent %d transactions (%v), want none", n, err)
	}
}

func waitStatusFailedTx(ctx context.Context, t *testing.T, url string, h, tx common.Hash) *devnet.MessageStatus {
	t.Helper()
	for {
		st := messageStatus(ctx, t, url, h)
		if st != nil && slices.ContainsFunc(st.FailedTxs, func(f *devnet.TxJSON) bool { return f.Hash == tx }) {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("failed relay %s not reported; status %+v", tx, st)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// The relayer out of ETH logs a clear error, and relays once it is funded again.
func TestAutoRelayOutOfETH(t *testing.T) {
	t.Parallel()
	d, ctx, clients, logs := startRelayDevnet(t, nil)
	dst := clients[1]
	user := d.Accounts[3]
	target := deployTarget(ctx, t, dst, user, true)
	// Drain the relayer on 902: everything but the transfer's own maximum fee goes away.
	balance, err := dst.BalanceAt(ctx, devnet.Relayer.Address, nil)
	if err != nil {
		t.Fatal(err)
	}
	head, err := dst.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), big.NewInt(1))
	value := new(big.Int).Sub(balance, new(big.Int).Mul(feeCap, big.NewInt(21_000)))
	nonce, err := dst.PendingNonceAt(ctx, devnet.Relayer.Address)
	if err != nil {
		t.Fatal(err)
	}
	to := user.Address
	drain := types.MustSignNewTx(devnet.Relayer.Key, types.LatestSignerForChainID(big.NewInt(902)), &types.DynamicFeeTx{
		ChainID: big.NewInt(902), Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: feeCap, Gas: 21_000, To: &to, Value: value})
	if err := dst.SendTransaction(ctx, drain); err != nil {
		t.Fatal(err)
	}
	waitReceipt(ctx, t, dst, drain.Hash())

	h, _ := sendL2ToL2(ctx, t, clients[0], 901, user, 902, target, []byte("paid for?"))
	logs.wait(ctx, t, "Relayer is out of ETH")
	if st := messageStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h); st.Status != devnet.StateSent {
		t.Fatalf("status %+v, want sent", st)
	}
	// Refund it from a test account: the message is relayed.
	userNonce, err := dst.PendingNonceAt(ctx, user.Address)
	if err != nil {
		t.Fatal(err)
	}
	refund := types.MustSignNewTx(user.Key, types.LatestSignerForChainID(big.NewInt(902)), &types.DynamicFeeTx{
		ChainID: big.NewInt(902), Nonce: userNonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: 21_000, To: &devnet.Relayer.Address, Value: big.NewInt(1e18)})
	if err := dst.SendTransaction(ctx, refund); err != nil {
		t.Fatal(err)
	}
	waitStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h, devnet.StateRelayed)
	logs.wait(ctx, t, "Relayer funded again")
	if n := logs.count("Relayer is out of ETH"); n != 1 {
		t.Errorf("%d out-of-ETH lines, want 1", n)
	}
}

// Latency of the auto-relay over many messages, in block times (reported, not asserted:
// the figure depends on the machine's load).
func TestAutoRelayLatency(t *testing.T) {
	t.Parallel()
	d, ctx, clients, _ := startRelayDevnet(t, nil)
	const perBlock, rounds = 10, 6
	target := deployTarget(ctx, t, clients[1], d.Accounts[4], true)
	var hashes []common.Hash
	for round := range rounds {
		// perBlock messages from different accounts, sent together so they share a block.
		var txs []*types.Transaction
		for i := range perBlock {
			from := d.Accounts[i%len(d.Accounts)]
			msgr := xparams.L2ToL2CrossDomainMessengerAddress
			tx := signTx(ctx, t, clients[0], from, &msgr, sendMessageData(902, target, []byte(fmt.Sprintf("m%d-%d", round, i))), nil, 200_000)
			if err := clients[0].SendTransaction(ctx, tx); err != nil {
				t.Fatal(err)
			}
			txs = append(txs, tx)
		}
		for _, tx := range txs {
			r := waitReceipt(ctx, t, clients[0], tx.Hash())
			for _, l := range r.Logs {
				if m, err := devnet.DecodeSentMessage(l, uint256.NewInt(901)); err == nil {
					hashes = append(hashes, m.Hash())
				}
			}
		}
	}
	if len(hashes) != perBlock*rounds {
		t.Fatalf("%d messages sent", len(hashes))
	}
	var lat []uint64
	for _, h := range hashes {
		st := waitStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h, devnet.StateRelayed)
		lat = append(lat, uint64(st.RelayTx.Timestamp-st.SentTx.Timestamp)) // 1 s blocks
	}
	slices.Sort(lat)
	t.Logf("auto-relay latency over %d messages: p50 %d blocks, p90 %d, max %d", len(lat), lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)-1])
	waitBlocks(ctx, t, clients[1], 2)
	if n, err := clients[1].NonceAt(ctx, devnet.Relayer.Address, nil); err != nil || n != uint64(len(hashes)) {
		t.Errorf("relayer sent %d transactions (%v), want %d: one per message", n, err, len(hashes))
	}
}

// supersim's admin API: GET /ready, admin_getConfig, and bad inputs answered as supersim
// answers them.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	d, ctx, _, _ := startRelayDevnet(t, nil)
	resp, err := http.Get(d.AdminEndpoint() + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "OK" {
		t.Fatalf("/ready: %d %q", resp.StatusCode, body)
	}
	var cfg struct {
		L2Configs []struct {
			ChainID  uint64
			Host     string
			Port     uint64
			L2Config struct{ DependencySet []uint64 }
		}
		InteropEnabled, InteropAutoRelay bool
	}
	if err := adminCall(ctx, t, d, &cfg, "admin_getConfig"); err != nil {
		t.Fatal(err)
	}
	if len(cfg.L2Configs) != 2 || cfg.L2Configs[0].ChainID != 901 || cfg.L2Configs[1].L2Config.DependencySet[0] != 901 || !cfg.InteropAutoRelay ||
		fmt.Sprintf("http://%s:%d", cfg.L2Configs[1].Host, cfg.L2Configs[1].Port) != d.Chains[1].HTTPEndpoint() {
		t.Fatalf("config %+v", cfg)
	}
	for _, tc := range []struct {
		method string
		params []any
		code   int
	}{
		{"admin_getL2ToL2MessageByMsgHash", nil, -32602},
		{"admin_getL2ToL2MessageByMsgHash", []any{common.Hash{}}, -32602},
		{"admin_getL2ToL2MessageByMsgHash", []any{"0x1234"}, -32602},
		{"admin_getL2ToL2MessageByMsgHash", []any{common.Hash{1}}, -32603},
		{"admin_getAccessListByMsgHash", nil, -32602},
		{"admin_getAccessListByMsgHash", []any{"zz"}, -32602},
		{"admin_getAccessListByMsgHash", []any{common.Hash{1}}, -32602},
		{"admin_getAccessListForIdentifier", nil, -32602},
		{"admin_getAccessListForIdentifier", []any{map[string]any{"origin": xparams.L2ToL2CrossDomainMessengerAddress}}, -32602},
		{"admin_getAccessListForIdentifier", []any{"not an object"}, -32602},
	} {
		var res json.RawMessage
		err := adminCall(ctx, t, d, &res, tc.method, tc.params...)
		var coded rpc.Error
		if !errors.As(err, &coded) || coded.ErrorCode() != tc.code {
			t.Errorf("%s %v: %s, %v; want code %d", tc.method, tc.params, res, err, tc.code)
		}
	}
	// The chains' own ports keep the admin namespace closed.
	var res json.RawMessage
	cl := mustDial(ctx, t, d.Chains[0].HTTPEndpoint())
	defer cl.Close()
	if err := cl.CallContext(ctx, &res, "admin_getConfig"); err == nil {
		t.Error("admin_getConfig served on a chain's public port")
	}
	var dc devnet.DevnetConfig
	if err := cl.CallContext(ctx, &dc, "interop_devnetConfig"); err != nil {
		t.Fatal(err)
	}
	if len(dc.Chains) != 2 || dc.Chains[1].RPC != d.Chains[1].HTTPEndpoint() || dc.Relayer != devnet.Relayer.Address || len(dc.Accounts) != 10 ||
		dc.Accounts[0].PrivateKey != d.Accounts[0].KeyHex() || dc.Predeploys["L2ToL2CrossDomainMessenger"] != xparams.L2ToL2CrossDomainMessengerAddress || dc.AdminRPC != d.AdminEndpoint() ||
		!slices.Equal(dc.Chains[0].DependencySet, []uint64{902}) || !slices.Equal(dc.Chains[1].TransitiveSet, []uint64{901}) {
		t.Fatalf("devnet config %+v", dc)
	}
}

// A reorg of the source before the relay: the message's block is rewound and rebuilt with
// another message in front of it. The auto-relay forgets the removed SentMessage and relays
// the message once, with its identifier in the canonical block.
func TestAutoRelaySourceReorg(t *testing.T) {
	t.Parallel()
	// local-safe as the pool's minimum safety keeps the relay out of 902's pool ("no verdict
	// yet") for a few blocks: time to reorg 901 first.
	d, ctx, clients, logs := startRelayDevnet(t, func(cfg *devnet.Config) {
		cfg.MinSafety, cfg.SafeLag = safety.LocalSafe, 5
	})
	src, dst := clients[0], clients[1]
	target := deployTarget(ctx, t, dst, d.Accounts[5], true)
	h, sent := sendL2ToL2(ctx, t, src, 901, d.Accounts[6], 902, target, []byte("reorged"))
	var oldIndex uint
	for _, l := range sent.Logs {
		if l.Address == xparams.L2ToL2CrossDomainMessengerAddress {
			oldIndex = l.Index
		}
	}

	c901 := d.Chains[0]
	c901.Pause()
	if err := c901.Eth.BlockChain().SetHead(sent.BlockNumber.Uint64() - 1); err != nil {
		c901.Resume()
		t.Fatal(err)
	}
	// Another message with a higher tip goes first in the rebuilt block.
	front := d.Accounts[7]
	nonce, err := src.NonceAt(ctx, front.Address, nil)
	if err != nil {
		c901.Resume()
		t.Fatal(err)
	}
	msgr := xparams.L2ToL2CrossDomainMessengerAddress
	frontTx := types.MustSignNewTx(front.Key, types.LatestSignerForChainID(big.NewInt(901)), &types.DynamicFeeTx{
		ChainID: big.NewInt(901), Nonce: nonce, GasTipCap: big.NewInt(5_000_000_000), GasFeeCap: big.NewInt(50_000_000_000), Gas: 200_000,
		To: &msgr, Data: sendMessageData(902, target, []byte("in front")),
	})
	if err := src.SendTransaction(ctx, frontTx); err != nil {
		c901.Resume()
		t.Fatal(err)
	}
	waitPending(ctx, t, c901.HTTPEndpoint(), front.Address, nonce)
	c901.Resume()

	// The sending transaction is mined again after the front-runner: the messenger's nonce,
	// and so the message hash, changed. The old message is forgotten, never relayed.
	var h2 common.Hash
	for h2 == (common.Hash{}) {
		r, err := src.TransactionReceipt(ctx, sent.TxHash)
		if err == nil && r.BlockHash != sent.BlockHash {
			for _, l := range r.Logs {
				if m, err := devnet.DecodeSentMessage(l, uint256.NewInt(901)); err == nil {
					h2 = m.Hash()
				}
			}
			if h2 == (common.Hash{}) {
				t.Fatal("the re-mined transaction sent no message")
			}
			continue
		}
		select {
		case <-ctx.Done():
			t.Fatal("the sending transaction was not mined again")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if h2 == h {
		t.Fatal("the message kept its hash: no front-runner took its nonce")
	}
	st := waitStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h2, devnet.StateRelayed)
	if st.SentTx.BlockHash == sent.BlockHash {
		t.Fatal("the message is reported in the removed block")
	}
	if old := messageStatus(ctx, t, d.Chains[1].HTTPEndpoint(), h); old != nil {
		t.Fatalf("the removed message is still tracked: %+v", old)
	}
	if logs.count("Forgot a message sent in a block removed by a reorg") == 0 {
		t.Errorf("the tracker did not report forgetting the removed message:\n%s", logs)
	}
	// The relay names the message where the canonical chain has it.
	relayTx, _, err := dst.TransactionByHash(ctx, st.RelayTx.Hash)
	if err != nil {
		t.Fatal(err)
	}
	id, payload, err := devnet.DecodeRelayMessage(relayTx.Data())
	if err != nil {
		t.Fatal(err)
	}
	receipts, err := src.BlockReceipts(ctx, rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(id.BlockNumber)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range receipts {
		for _, l := range r.Logs {
			if uint32(l.Index) == id.LogIndex && l.Address == msgr && bytes.Equal(payload, append(topicsBytes(l.Topics), l.Data...)) {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("relay identifier %+v is not the canonical SentMessage", id)
	}
	if uint(id.LogIndex) == oldIndex && id.BlockNumber == sent.BlockNumber.Uint64() {
		t.Errorf("the relay uses the removed message's place (block %d, log %d)", id.BlockNumber, oldIndex)
	}
	// Both messages relayed, each once.
	frontReceipt := waitReceipt(ctx, t, src, frontTx.Hash())
	for _, l := range frontReceipt.Logs {
		if m, err := devnet.DecodeSentMessage(l, uint256.NewInt(901)); err == nil {
			waitStatus(ctx, t, d.Chains[1].HTTPEndpoint(), m.Hash(), devnet.StateRelayed)
		}
	}
	waitBlocks(ctx, t, dst, 2)
	if n, err := dst.NonceAt(ctx, devnet.Relayer.Address, nil); err != nil || n != 2 {
		t.Errorf("relayer sent %d transactions (%v), want 2", n, err)
	}
}

func topicsBytes(topics []common.Hash) []byte {
	var out []byte
	for _, t := range topics {
		out = append(out, t[:]...)
	}
	return out
}
