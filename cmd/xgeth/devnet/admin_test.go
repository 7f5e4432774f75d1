package devnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	xparams "github.com/xgeth/xgeth/params"
)

func adminIDJSON(fields map[string]any) json.RawMessage {
	base := map[string]any{"origin": xparams.L2ToL2CrossDomainMessengerAddress, "blockNumber": "0x10", "logIndex": 2, "timestamp": "1700000000", "chainId": "0x385", "payload": "0x0102"}
	for k, v := range fields {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	blob, _ := json.Marshal(base)
	return blob
}

// admin_getAccessListForIdentifier takes supersim's identifier (hex or decimal numbers) and
// answers the access list interop_accessList computes for it; bad identifiers get
// supersim's -32602 errors, and out-of-range fields are refused rather than truncated.
func TestParseAdminIdentifier(t *testing.T) {
	id, payload, err := parseAdminIdentifier(adminIDJSON(nil))
	want := message.Identifier{Origin: xparams.L2ToL2CrossDomainMessengerAddress, BlockNumber: 16, LogIndex: 2, Timestamp: 1_700_000_000}
	want.ChainID.SetUint64(901)
	if err != nil || id != want || !bytes.Equal(payload, []byte{1, 2}) {
		t.Fatalf("%+v %x %v", id, payload, err)
	}
	got := messageAccessList(&id, payload).AccessList
	ref := rpcapi.Prepare(&message.Message{Identifier: want, MsgHash: crypto.Keccak256Hash(payload)}).AccessList
	if fmt.Sprint(got) != fmt.Sprint(ref) {
		t.Fatalf("access list %v, interop_accessList's %v", got, ref)
	}
	for name, tc := range map[string]struct {
		raw  json.RawMessage
		want string
	}{
		"absent":             {nil, "identifier is required"},
		"null":               {json.RawMessage(`null`), "identifier is required"},
		"not an object":      {json.RawMessage(`"x"`), "Invalid parameters"},
		"zero origin":        {adminIDJSON(map[string]any{"origin": common.Address{}}), "all identifier fields and payload are required"},
		"no block":           {adminIDJSON(map[string]any{"blockNumber": nil}), "all identifier fields"},
		"no log index":       {adminIDJSON(map[string]any{"logIndex": nil}), "all identifier fields"},
		"no timestamp":       {adminIDJSON(map[string]any{"timestamp": nil}), "all identifier fields"},
		"no chain":           {adminIDJSON(map[string]any{"chainId": nil}), "all identifier fields"},
		"empty payload":      {adminIDJSON(map[string]any{"payload": "0x"}), "all identifier fields"},
		"bad payload":        {adminIDJSON(map[string]any{"payload": "0xzz"}), "Invalid parameters"},
		"bad origin":         {adminIDJSON(map[string]any{"origin": "0x12"}), "Invalid parameters"},
		"bad number":         {adminIDJSON(map[string]any{"blockNumber": "ten"}), "Invalid parameters"},
		"block above u64":    {adminIDJSON(map[string]any{"blockNumber": "0x10000000000000000"}), "blockNumber 18446744073709551616 out of range"},
		"index above u32":    {adminIDJSON(map[string]any{"logIndex": "4294967296"}), "logIndex 4294967296 out of range"},
		"time above u64":     {adminIDJSON(map[string]any{"timestamp": "0x1" + strings.Repeat("0", 16)}), "timestamp"},
		"negative chain":     {adminIDJSON(map[string]any{"chainId": "-1"}), "chainId -1 out of range"},
		"chain above u256":   {adminIDJSON(map[string]any{"chainId": "0x1" + strings.Repeat("0", 64)}), "Invalid parameters"},
		"negative log index": {adminIDJSON(map[string]any{"logIndex": -1}), "logIndex -1 out of range"},
	} {
		_, _, err := parseAdminIdentifier(tc.raw)
		var ae *adminError
		if !errors.As(err, &ae) || ae.Code != -32602 || !strings.Contains(ae.Message, tc.want) {
			t.Errorf("%s: %v, want -32602 mentioning %q", name, err, tc.want)
		}
	}
}

func FuzzParseAdminIdentifier(f *testing.F) {
	f.Add([]byte(adminIDJSON(nil)))
	f.Add([]byte(`{"origin":"0x4200000000000000000000000000000000000023","blockNumber":1,"logIndex":"0x0","timestamp":2,"chainId":"901","payload":"0x00"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, payload, err := parseAdminIdentifier(raw)
		if err != nil {
			var ae *adminError
			if !errors.As(err, &ae) || ae.Code != -32602 {
				t.Fatalf("error without supersim's invalid-params code: %v", err)
			}
			return
		}
		if id.Origin == (common.Address{}) || len(payload) == 0 {
			t.Fatal("incomplete identifier accepted")
		}
		messageAccessList(&id, payload)
	})
}

func FuzzAdminMsgHash(f *testing.F) {
	f.Add([]byte(`"0x0102030405060708091011121314151617181920212223242526272829303132"`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := adminMsgHash(raw)
		var ae *adminError
		if err != nil && (!errors.As(err, &ae) || ae.Code != -32602) {
			t.Fatalf("error without supersim's invalid-params code: %v", err)
		}
		if err == nil && h == (common.Hash{}) {
			t.Fatal("zero hash accepted")
		}
	})
}

// The admin server routes as supersim's: GET /ready, JSON-RPC on POST /, nothing else; the
// answers have supersim's field names.
func TestAdminServer(t *testing.T) {
	d, tm := testDevnet(t)
	rpcSrv := rpc.NewServer()
	if err := rpcSrv.RegisterName("admin", &adminAPI{d: d}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(adminHandler(rpcSrv)) // 127.0.0.1, a free port
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/ready", 200, "OK"},
		{"POST", "/ready", 404, ""},
		{"GET", "/", 404, ""},
		{"GET", "/other", 404, ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.body != "" && string(body) != tc.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
	}
	cl, err := rpc.Dial(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var msg map[string]any
	if err := cl.Call(&msg, "admin_getL2ToL2MessageByMsgHash", tm.Hash); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Destination", "Source", "Nonce", "Sender", "Target", "Message"} {
		if _, ok := msg[k]; !ok {
			t.Errorf("admin_getL2ToL2MessageByMsgHash: no %q in %v", k, msg)
		}
	}
	if msg["Destination"] != float64(902) || msg["Source"] != float64(901) || msg["Nonce"] != float64(7) {
		t.Errorf("numbers are not JSON numbers as supersim's: %v", msg)
	}
	var al map[string]json.RawMessage
	if err := cl.Call(&al, "admin_getAccessListByMsgHash", tm.Hash); err != nil || len(al["accessList"]) == 0 {
		t.Fatalf("admin_getAccessListByMsgHash: %v %v", al, err)
	}
	var byID map[string]json.RawMessage
	params := map[string]any{"origin": tm.ID.Origin, "blockNumber": tm.ID.BlockNumber, "logIndex": tm.ID.LogIndex, "timestamp": tm.ID.Timestamp, "chainId": 901, "payload": "0x" + common.Bytes2Hex(tm.Payload)}
	if err := cl.Call(&byID, "admin_getAccessListForIdentifier", params); err != nil || string(byID["accessList"]) != string(al["accessList"]) {
		t.Fatalf("admin_getAccessListForIdentifier %s, by hash %s: %v", byID["accessList"], al["accessList"], err)
	}
}

// A taken admin port is refused with ErrAdminPort (the command names its flag); the server
// listens on 127.0.0.1 only.
func TestAdminServerPort(t *testing.T) {
	d, _ := testDevnet(t)
	s, err := startAdminServer(0, d)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if !s.addr.IP.IsLoopback() {
		t.Fatalf("admin server on %s", s.addr)
	}
	if _, err := startAdminServer(s.port(), d); !errors.Is(err, ErrAdminPort) {
		t.Fatalf("second server on port %d: %v, want ErrAdminPort", s.port(), err)
	}
}
