package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dop251/goja"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/console"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

var (
	sentMessageTopic    = common.HexToHash("0x382409ac69001e11931a28435afef442cbfd20d9891907e8fa373ba7d351f320")
	relayedMessageTopic = common.HexToHash("0xc270d73e26d2d39dee7ef92093555927e344e243415547ecc350b2b5385b68a2")
	messenger           = common.HexToAddress("0x4200000000000000000000000000000000000023")
)

// fakeChain is the eth namespace of a chain as the interop object uses it: a sent
// transaction emits the SentMessage log its test sets, and eth_getLogs answers the
// RelayedMessage of relayed.
type fakeChain struct {
	id uint64

	mu      sync.Mutex
	sent    []map[string]any // eth_sendTransaction arguments
	emit    *sentMessage     // the log the next receipt carries
	relayed common.Hash      // message hash eth_getLogs finds relayed
}

type sentMessage struct {
	destination, nonce uint64
	sender, target     common.Address
	message            []byte
}

func (f *fakeChain) ChainId() hexutil.Uint64     { return hexutil.Uint64(f.id) }
func (f *fakeChain) BlockNumber() hexutil.Uint64 { return 7 }

func (f *fakeChain) SendTransaction(args map[string]any) common.Hash {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, args)
	return common.Hash{0x7a}
}

func (f *fakeChain) GetTransactionReceipt(hash common.Hash) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	logs := []map[string]any{}
	if m := f.emit; m != nil {
		data, _ := abiArgs("address", "bytes").Pack(m.sender, m.message)
		logs = append(logs, map[string]any{
			"address": messenger,
			"topics": []common.Hash{sentMessageTopic, common.BigToHash(new(big.Int).SetUint64(m.destination)),
				common.BytesToHash(m.target.Bytes()), common.BigToHash(new(big.Int).SetUint64(m.nonce))},
			"data": hexutil.Bytes(data), "logIndex": "0x2", "blockNumber": "0x5", "transactionHash": hash,
		})
	}
	return map[string]any{"status": "0x1", "blockNumber": "0x5", "transactionHash": hash, "logs": logs}
}

func (f *fakeChain) GetLogs(filter map[string]any) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	topics, _ := filter["topics"].([]any)
	if len(topics) != 4 || topics[0] != strings.ToLower(relayedMessageTopic.Hex()) || topics[3] != strings.ToLower(f.relayed.Hex()) {
		return []map[string]any{}
	}
	return []map[string]any{{
		"address":         messenger,
		"topics":          []common.Hash{relayedMessageTopic, common.BigToHash(big.NewInt(901)), {}, f.relayed},
		"transactionHash": common.Hash{0xee}, "blockNumber": "0x6",
	}}
}

func abiArgs(types ...string) abi.Arguments {
	var args abi.Arguments
	for _, t := range types {
		typ, err := abi.NewType(t, "", nil)
		if err != nil {
			panic(err)
		}
		args = append(args, abi.Argument{Type: typ})
	}
	return args
}

// messageHash is the messenger's hash of a message, computed with go-ethereum's ABI encoder.
func messageHash(source uint64, m *sentMessage) common.Hash {
	enc, err := abiArgs("uint256", "uint256", "uint256", "address", "address", "bytes").Pack(
		new(big.Int).SetUint64(m.destination), new(big.Int).SetUint64(source), new(big.Int).SetUint64(m.nonce), m.sender, m.target, m.message)
	if err != nil {
		panic(err)
	}
	return crypto.Keccak256Hash(enc)
}

// serveFake serves chain's eth namespace in-process and over HTTP on 127.0.0.1.
func serveFake(t *testing.T, chain *fakeChain) (*rpc.Client, string) {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", chain); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	client := rpc.DialInProc(srv)
	t.Cleanup(func() { client.Close(); hs.Close(); srv.Stop() })
	return client, "http://" + ln.Addr().String()
}

// testConsole is a console on chain 901 with the interop object, chain 902 reachable over HTTP.
func testConsole(t *testing.T) (*console.Console, *fakeChain, *fakeChain, *bytes.Buffer) {
	t.Helper()
	src, dst := &fakeChain{id: 901}, &fakeChain{id: 902}
	client, _ := serveFake(t, src)
	_, dstURL := serveFake(t, dst)
	out := new(bytes.Buffer)
	c, err := console.New(console.Config{DataDir: t.TempDir(), Client: client, Printer: out})
	if err != nil {
		t.Fatal(err)
	}
	b := new(interopBindings)
	t.Cleanup(func() { c.Stop(false); b.Close() })
	if err := installInterop(c, b, map[uint64]string{902: dstURL}); err != nil {
		t.Fatal(err)
	}
	return c, src, dst, out
}

// eval runs JS on the console and returns JSON.stringify of its value, or its exception.
func eval(c *console.Console, js string) (string, error) {
	var (
		out string
		err error
	)
	c.Do(func(vm *goja.Runtime) {
		var v goja.Value
		if v, err = vm.RunString("JSON.stringify(" + js + ")"); err == nil {
			out = v.String()
		}
	})
	return out, err
}

// The send helpers encode the predeploys' calls as go-ethereum's ABI encoder does, compute
// the message hash of the SentMessage log as the messenger defines it, and find its relay
// on the destination chain.
func TestConsoleInteropSendHelpers(t *testing.T) {
	c, src, dst, _ := testConsole(t)
	from := "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
	to := common.HexToAddress("0x000000000000000000000000000000000000bEEF")
	token := common.HexToAddress("0x420beeF000000000000000000000000000000001")
	oneEth, _ := new(big.Int).SetString("1000000000000000000", 10)
	cases := []struct {
		name     string
		js       string
		to       common.Address
		calldata func() []byte
		value    string
		emit     sentMessage
	}{
		{
			name: "sendMessage", js: fmt.Sprintf(`interop.sendMessage(%q, 902, %q, "0xdeadbeef")`, from, to.Hex()), to: messenger,
			calldata: func() []byte {
				b, _ := abiArgs("uint256", "address", "bytes").Pack(big.NewInt(902), to, []byte{0xde, 0xad, 0xbe, 0xef})
				return append(common.FromHex("0x7056f41f"), b...)
			},
			emit: sentMessage{destination: 902, nonce: 3, sender: common.HexToAddress(from), target: to, message: []byte{0xde, 0xad, 0xbe, 0xef}},
		},
		{
			name: "sendETH", js: fmt.Sprintf(`interop.sendETH(%q, %q, web3.toWei(1, "ether"), 902)`, from, to.Hex()), to: common.HexToAddress("0x4200000000000000000000000000000000000024"),
			calldata: func() []byte {
				b, _ := abiArgs("address", "uint256").Pack(to, big.NewInt(902))
				return append(common.FromHex("0x64a197f3"), b...)
			},
			value: "0xde0b6b3a7640000",
			emit:  sentMessage{destination: 902, nonce: 1<<60 | 4, sender: common.HexToAddress("0x4200000000000000000000000000000000000024"), target: common.HexToAddress("0x4200000000000000000000000000000000000024"), message: bytes.Repeat([]byte{0x11}, 100)},
		},
		{
			name: "sendERC20", js: fmt.Sprintf(`interop.sendERC20(%q, %q, %q, "1000000000000000000", 902)`, from, token.Hex(), to.Hex()), to: common.HexToAddress("0x4200000000000000000000000000000000000028"),
			calldata: func() []byte {
				b, _ := abiArgs("address", "address", "uint256", "uint256").Pack(token, to, oneEth, big.NewInt(902))
				return append(common.FromHex("0xc1a433d8"), b...)
			},
			emit: sentMessage{destination: 902, nonce: 5, sender: common.HexToAddress("0x4200000000000000000000000000000000000028"), target: common.HexToAddress("0x4200000000000000000000000000000000000028")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := messageHash(901, &tc.emit)
			src.mu.Lock()
			src.emit, src.sent = &tc.emit, nil
			src.mu.Unlock()
			dst.mu.Lock()
			dst.relayed = want
			dst.mu.Unlock()
			out, err := eval(c, tc.js)
			if err != nil {
				t.Fatal(err)
			}
			var res struct {
				MsgHash     common.Hash `json:"msgHash"`
				Source      uint64      `json:"source"`
				Destination uint64      `json:"destination"`
				Relayed     bool        `json:"relayed"`
				Relay       struct {
					ChainID uint64      `json:"chainId"`
					TxHash  common.Hash `json:"txHash"`
				} `json:"relay"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if res.MsgHash != want {
				t.Errorf("message hash %s, want %s", res.MsgHash, want)
			}
			if res.Source != 901 || res.Destination != 902 || !res.Relayed || res.Relay.ChainID != 902 || res.Relay.TxHash != (common.Hash{0xee}) {
				t.Errorf("result %s", out)
			}
			src.mu.Lock()
			defer src.mu.Unlock()
			if len(src.sent) != 1 {
				t.Fatalf("%d transactions sent, want 1", len(src.sent))
			}
			tx := src.sent[0]
			if got := common.HexToAddress(tx["to"].(string)); got != tc.to {
				t.Errorf("sent to %s, want %s", got, tc.to)
			}
			if got, want := tx["data"], hexutil.Encode(tc.calldata()); got != want {
				t.Errorf("calldata\n%s, want\n%s", got, want)
			}
			if tc.value != "" && tx["value"] != tc.value {
				t.Errorf("value %v, want %s", tx["value"], tc.value)
			}
		})
	}
}

// Bad arguments get a clear error naming the argument, before anything is sent.
func TestConsoleInteropBadInput(t *testing.T) {
	c, src, _, _ := testConsole(t)
	acc := `"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"`
	addr := `"0x000000000000000000000000000000000000beef"`
	h := `"0x` + strings.Repeat("ab", 32) + `"`
	cases := []struct{ js, want string }{
		{`interop.sendETH(` + acc + `, "0x123", 1, 902)`, "to: not an address"},
		{`interop.sendETH(` + acc + `, ` + addr + `, -1, 902)`, "amountWei: not a uint256"},
		{`interop.sendETH(` + acc + `, ` + addr + `, 1.5, 902)`, "amountWei: not a uint256"},
		{`interop.sendETH(` + acc + `, ` + addr + `, "115792089237316195423570985008687907853269984665640564039457584007913129639936", 902)`, "amountWei: not a uint256"},
		{`interop.sendETH(` + acc + `, ` + addr + `, "lots", 902)`, "amountWei: not a number"},
		{`interop.sendETH(` + acc + `, ` + addr + `, 1)`, "destChainId: missing"},
		{`interop.sendMessage(` + acc + `, 902, ` + addr + `, "0xabc")`, "data: not hex bytes"},
		{`interop.sendMessage(` + acc + `, "x", ` + addr + `, "0x")`, "destChainId: not a number"},
		{`interop.sendMessage(` + acc + `, 902, 42, "0x")`, "target: not an address"},
		{`interop.sendERC20(` + acc + `, "token", ` + addr + `, 1, 902)`, "token: not an address"},
		{`interop.mintTestToken(` + acc + `, ` + addr + `, -5)`, "amount: not a uint256"},
		{`interop.waitRelayed("0x12")`, "msgHash: not a 32-byte 0x hash"},
		{`interop.waitRelayed(` + h + `, -1)`, "timeout must be a positive number"},
		{`interop.waitRelayed(` + h + `, "soon")`, "timeout must be a positive number"},
		{`interop.message(null)`, "msgHash: not a 32-byte 0x hash"},
		{`interop.message(` + h + `)`, "does not serve interop_messageStatus"},
		{`interop.accessList(null, ` + h + `)`, "id must be an identifier"},
		{`interop.accessList({chainId: 901}, "0x")`, "msgHash: not a 32-byte 0x hash"},
		{`interop.messageOfLog("0x1", 0)`, "txHash: not a 32-byte 0x hash"},
		{`interop.messageOfLog(` + h + `, -1)`, "n: not a uint256"},
		{`interop.setEndpoint(903, "ftp://x")`, "want an http://"},
		{`interop.sendETH(` + acc + `, ` + addr + `, 1, 903)`, "no JSON-RPC endpoint known for chain 903"},
		{`interop.status()`, "interop_status: the method interop_status does not exist"},
	}
	for _, tc := range cases {
		_, err := eval(c, tc.js)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.js, err, tc.want)
		}
	}
	if len(src.sent) != 0 {
		t.Errorf("%d transactions sent for bad input", len(src.sent))
	}
}

// A message nobody relays: waitRelayed gives up at its deadline with an error saying so,
// and a send helper returns the sent message with relayed false.
func TestConsoleInteropNotRelayed(t *testing.T) {
	c, src, _, out := testConsole(t)
	h := "0x" + strings.Repeat("cd", 32)
	if _, err := eval(c, `interop.waitRelayed("`+h+`", 0.2)`); err == nil || !strings.Contains(err.Error(), "not relayed within 0.2 s") {
		t.Fatalf("waitRelayed error %v", err)
	}
	src.emit = &sentMessage{destination: 902, target: common.Address{1}}
	res, err := eval(c, `interop.sendMessage("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", 902, "0x0000000000000000000000000000000000000001", "0x", 0.2)`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res, `"relayed":false`) || !strings.Contains(out.String(), "not relayed within 0.2 s on chain 902") {
		t.Fatalf("result %s, output %q", res, out)
	}
}

// The Go side's call never panics and answers every input in the JSON-RPC response shape.
func FuzzConsoleInteropCall(f *testing.F) {
	chain := &fakeChain{id: 902}
	srv := rpc.NewServer()
	srv.RegisterName("eth", chain)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	b := new(interopBindings)
	defer b.Close()
	f.Add(url, "eth_chainId", "[]")
	f.Add(url, "eth_getLogs", `[{"topics":[null]}]`)
	f.Add(url, "eth_blockNumber", `{"not":"an array"}`)
	f.Add("ftp://nowhere", "eth_chainId", "[]")
	f.Fuzz(func(t *testing.T, u, method, params string) {
		if u != url && !strings.HasPrefix(u, "ftp") {
			u = url // never dial arbitrary hosts
		}
		var resp rpcResponse
		if err := json.Unmarshal([]byte(b.call(u, method, params)), &resp); err != nil {
			t.Fatal(err)
		}
		if (resp.Error == nil) == (resp.Result == nil) {
			t.Fatalf("response has both or neither of result and error: %+v", resp)
		}
	})
}
