package devnet

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/log"
	"github.com/xgeth/xgeth/interop/rpcerr"
	xparams "github.com/xgeth/xgeth/params"
)

// Bad message hashes are invalid params (-32602) with a message naming the problem.
func TestParseMsgHash(t *testing.T) {
	good := common.HexToHash("0x01020304")
	if h, err := parseMsgHash(json.RawMessage(`"` + good.Hex() + `"`)); err != nil || h != good {
		t.Fatalf("good hash: %s, %v", h, err)
	}
	for _, tc := range []struct{ raw, want string }{
		{``, "want a 0x-prefixed"},
		{`null`, "want a 0x-prefixed"},
		{`12`, "want a 0x-prefixed"},
		{`{}`, "want a 0x-prefixed"},
		{`""`, "empty hex string"},
		{`"0x"`, "0 bytes, want 32"},
		{`"1234"`, "without 0x prefix"},
		{`"0x1234"`, "2 bytes, want 32"},
		{`"0x` + strings.Repeat("0", 66) + `"`, "33 bytes, want 32"},
		{`"0x` + strings.Repeat("0", 63) + `"`, "odd length"},
		{`"0x` + strings.Repeat("g", 64) + `"`, "invalid hex"},
		{`"0x` + strings.Repeat("0", 64) + `"`, "zero hash"},
	} {
		_, err := parseMsgHash(json.RawMessage(tc.raw))
		if code, _ := rpcerr.CodeOf(err); code != -32602 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (code %d), want invalid params mentioning %q", tc.raw, err, code, tc.want)
		}
	}
}

func FuzzParseMsgHash(f *testing.F) {
	f.Add([]byte(`"0x0102030405060708091011121314151617181920212223242526272829303132"`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"0x"`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := parseMsgHash(raw)
		if err != nil {
			if code, _ := rpcerr.CodeOf(err); code != -32602 {
				t.Fatalf("error without the invalid-params code: %v", err)
			}
			return
		}
		if h == (common.Hash{}) {
			t.Fatal("zero hash accepted")
		}
	})
}

// testDevnet is a Devnet without chains whose tracker knows one sent message.
func testDevnet(t testing.TB) (*Devnet, *TrackedMessage) {
	ms := newMessaging(Config{BlockTime: time.Second, RelayLog: log.New()})
	d := &Devnet{messaging: ms}
	chain := newFakeChain()
	ms.tracker.addChain(901, chain)
	m := testMessage()
	chain.add(1, 0, fakeTx{to: xparams.L2ToL2CrossDomainMessengerAddress, logs: []*types.Log{sentMessageLog(t, m)}})
	ms.tracker.sync(901)
	tm, ok := ms.tracker.Message(m.Hash())
	if !ok {
		t.Fatal("message not tracked")
	}
	return d, tm
}

// The developer API answers for a known message and refuses bad or unknown hashes.
func TestDevAPI(t *testing.T) {
	d, tm := testDevnet(t)
	api := &devAPI{d}
	raw := json.RawMessage(`"` + tm.Hash.Hex() + `"`)
	st, err := api.MessageStatus(raw)
	if err != nil || st == nil || st.Status != StateSent || st.Identifier == nil || uint64(st.Identifier.BlockNumber) != 1 || st.SentTx == nil || st.RelayTx != nil {
		t.Fatalf("status %+v, %v", st, err)
	}
	info, err := api.AccessListByMsgHash(raw)
	if err != nil || info.MessageHash != tm.Hash || len(info.AccessList) != 1 || info.AccessList[0].Address != xparams.CrossL2InboxAddress {
		t.Fatalf("relay info %+v, %v", info, err)
	}
	if id, payload, err := DecodeRelayMessage(info.RelayCalldata); err != nil || id != tm.ID || string(payload) != string(tm.Payload) {
		t.Fatalf("relay calldata: %v", err)
	}
	unknown := json.RawMessage(`"` + common.Hash{9}.Hex() + `"`)
	if st, err := api.MessageStatus(unknown); st != nil || err != nil {
		t.Fatalf("unknown message status: %+v, %v; want null", st, err)
	}
	if _, err := api.AccessListByMsgHash(unknown); !errors.Is(err, errUnknownMessage) {
		t.Fatalf("unknown message access list: %v", err)
	}
	for _, bad := range []string{`"0x12"`, `null`, `"0x` + strings.Repeat("0", 64) + `"`} {
		if _, err := api.MessageStatus(json.RawMessage(bad)); !errors.Is(err, rpcerr.InvalidParams) {
			t.Errorf("messageStatus(%s): %v", bad, err)
		}
		if _, err := api.AccessListByMsgHash(json.RawMessage(bad)); !errors.Is(err, rpcerr.InvalidParams) {
			t.Errorf("accessListByMsgHash(%s): %v", bad, err)
		}
	}
}
