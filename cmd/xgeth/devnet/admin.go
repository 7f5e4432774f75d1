package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/xgeth/xgeth/interop/accesslist"
	"github.com/xgeth/xgeth/interop/message"
)

// supersim's admin JSON-RPC, for tools written against supersim (its admin/admin.go defines
// the method names and JSON shapes, which are kept here field for field): POST / with
// admin_getConfig, admin_getAccessListForIdentifier, admin_getAccessListByMsgHash and
// admin_getL2ToL2MessageByMsgHash, and GET /ready. It listens on 127.0.0.1 only, on its own
// port (supersim's default 8420), apart from the chains' ports, whose "admin" namespace
// stays closed.

// DefaultAdminPort is supersim's admin port.
const DefaultAdminPort = 8420

// ErrAdminPort: the admin server cannot listen on Config.AdminPort.
var ErrAdminPort = errors.New("admin server port")

type adminServer struct {
	srv  *http.Server
	addr *net.TCPAddr
	done chan struct{}
}

func startAdminServer(port int, d *Devnet) (*adminServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("devnet: %w: %w", ErrAdminPort, err)
	}
	rpcSrv := rpc.NewServer()
	if err := rpcSrv.RegisterName("admin", &adminAPI{d: d}); err != nil {
		ln.Close()
		return nil, err
	}
	s := &adminServer{addr: ln.Addr().(*net.TCPAddr), done: make(chan struct{})}
	s.srv = &http.Server{Handler: adminHandler(rpcSrv), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// adminHandler routes as supersim's router does: GET /ready answers OK, POST / is JSON-RPC,
// anything else (another path or method) is not found.
func adminHandler(rpcSrv *rpc.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/ready":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("OK"))
		case r.Method == http.MethodPost && r.URL.Path == "/":
			rpcSrv.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

func (s *adminServer) endpoint() string { return "http://" + s.addr.String() }

// port is the port the admin server listens on.
func (s *adminServer) port() int { return s.addr.Port }

func (s *adminServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	<-s.done
}

// AdminEndpoint is the URL of supersim's admin API, or "" when it is off.
func (d *Devnet) AdminEndpoint() string {
	if d.messaging == nil || d.messaging.admin == nil {
		return ""
	}
	return d.messaging.admin.endpoint()
}

// adminError is supersim's JSON-RPC error: a code and a message.
type adminError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *adminError) Error() string  { return e.Message }
func (e *adminError) ErrorCode() int { return e.Code }

// The errors supersim answers with, code and message.
var (
	errAdminNoHash       = &adminError{-32602, "Valid msg hash not provided"}
	errAdminNoID         = &adminError{-32602, "Invalid parameters: identifier is required"}
	errAdminIncompleteID = &adminError{-32602, "Invalid parameters: all identifier fields and payload are required"}
)

type adminAPI struct{ d *Devnet }

// The JSON shapes of supersim's admin API.
type (
	adminNetworkConfig struct {
		L1Config         adminChainConfig
		L2StartingPort   uint64
		L2Configs        []adminChainConfig
		InteropEnabled   bool
		InteropAutoRelay bool
		InteropDelay     uint64
	}
	adminChainConfig struct {
		Name                                 string
		Host                                 string
		Port                                 uint64
		ChainID                              uint64
		BlockTime                            uint64
		GenesisJSON                          []byte
		SecretsConfig                        adminSecrets
		ForkConfig                           *adminForkConfig
		L2Config                             *adminL2Config
		StartingTimestamp                    uint64
		LogsDirectory                        string
		OdysseyEnabled                       bool
		InteropL2ToL2CDMOverrideArtifactPath string
	}
	adminSecrets struct {
		Accounts       uint64
		Mnemonic       string
		DerivationPath string
	}
	adminForkConfig struct {
		RPCUrl      string
		BlockNumber uint64
	}
	adminL2Config struct {
		L1ChainID     uint64
		L1Addresses   *struct{} // the devnet has no L1 deployment
		DependencySet []uint64
	}
	adminL2ToL2Message struct {
		Destination *big.Int       `json:"Destination"`
		Source      *big.Int       `json:"Source"`
		Nonce       *big.Int       `json:"Nonce"`
		Sender      common.Address `json:"Sender"`
		Target      common.Address `json:"Target"`
		Message     hexutil.Bytes  `json:"Message"`
	}
	adminAccessList struct {
		AccessList types.AccessList `json:"accessList"`
	}
	adminIdentifierWithPayload struct {
		Origin      common.Address        `json:"origin"`
		BlockNumber *math.HexOrDecimal256 `json:"blockNumber"`
		LogIndex    *math.HexOrDecimal256 `json:"logIndex"`
		Timestamp   *math.HexOrDecimal256 `json:"timestamp"`
		ChainID     *math.HexOrDecimal256 `json:"chainId"`
		Payload     hexutil.Bytes         `json:"payload"`
	}
)

// fakeL1ChainID is the chain ID admin_getConfig reports for L1 (supersim's L1 is 900); the
// devnet has no L1 node, so the L1 entry has no host or port.
const fakeL1ChainID = 900

// GetConfig is admin_getConfig: the network as supersim describes it. The devnet has no L1:
// L1Config names a chain without an endpoint.
func (a *adminAPI) GetConfig(_ *struct{}) *adminNetworkConfig {
	d := a.d
	bt := uint64(d.messaging.blockTime / time.Second)
	secrets := adminSecrets{Accounts: uint64(len(d.Accounts)), Mnemonic: TestMnemonic, DerivationPath: "m/44'/60'/0'/0"}
	cfg := &adminNetworkConfig{
		L1Config:         adminChainConfig{Name: "Local", ChainID: fakeL1ChainID, BlockTime: 12, SecretsConfig: secrets},
		L2Configs:        []adminChainConfig{},
		InteropEnabled:   true,
		InteropAutoRelay: d.messaging.relayer != nil,
	}
	ids := make([]uint64, 0, len(d.Chains))
	for _, c := range d.Chains {
		ids = append(ids, c.ID)
	}
	for i, c := range d.Chains {
		genesis := c.Eth.BlockChain().Genesis()
		blob, _ := json.Marshal(Genesis(c.ID, genesis.Time(), d.Accounts))
		deps := []uint64{}
		for _, id := range ids {
			if id != c.ID {
				deps = append(deps, id)
			}
		}
		port := uint64(urlPort(c.HTTPEndpoint()))
		if i == 0 {
			cfg.L2StartingPort = port
		}
		cfg.L2Configs = append(cfg.L2Configs, adminChainConfig{
			Name: fmt.Sprintf("OPChain%c", 'A'+rune(i%26)), Host: "127.0.0.1", Port: port, ChainID: c.ID, BlockTime: bt, GenesisJSON: blob,
			SecretsConfig: secrets, L2Config: &adminL2Config{L1ChainID: fakeL1ChainID, DependencySet: deps}, StartingTimestamp: genesis.Time(),
		})
	}
	return cfg
}

// adminMsgHash decodes a message hash parameter the way supersim accepts it, with its error.
func adminMsgHash(raw json.RawMessage) (common.Hash, error) {
	if isJSONNull(raw) {
		return common.Hash{}, errAdminNoHash
	}
	var h common.Hash
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, &adminError{-32602, "Valid msg hash not provided: " + err.Error()}
	}
	if h == (common.Hash{}) {
		return h, errAdminNoHash
	}
	return h, nil
}

// GetL2ToL2MessageByMsgHash is admin_getL2ToL2MessageByMsgHash: the message sent under the
// messenger hash.
func (a *adminAPI) GetL2ToL2MessageByMsgHash(raw *json.RawMessage) (*adminL2ToL2Message, error) {
	h, err := adminMsgHash(deref(raw))
	if err != nil {
		return nil, err
	}
	m, ok := a.d.messaging.tracker.Message(h)
	if !ok || m.Sent == nil {
		return nil, &adminError{-32603, "Failed to get message: message not found"}
	}
	msg := m.Message
	return &adminL2ToL2Message{Destination: msg.Destination.ToBig(), Source: msg.Source.ToBig(), Nonce: msg.Nonce.ToBig(),
		Sender: msg.Sender, Target: msg.Target, Message: msg.Message}, nil
}

// GetAccessListByMsgHash is admin_getAccessListByMsgHash: the access list of a relay of the
// message sent under the messenger hash.
func (a *adminAPI) GetAccessListByMsgHash(raw *json.RawMessage) (*adminAccessList, error) {
	h, err := adminMsgHash(deref(raw))
	if err != nil {
		return nil, err
	}
	m, ok := a.d.messaging.tracker.Message(h)
	if !ok || m.Sent == nil {
		return nil, &adminError{-32602, "Failed to get message: message not found"}
	}
	return messageAccessList(&m.ID, m.Payload), nil
}

func messageAccessList(id *message.Identifier, payload []byte) *adminAccessList {
	return &adminAccessList{AccessList: accesslist.TxAccessList([]accesslist.Access{accesslist.FromMessage(id, crypto.Keccak256Hash(payload))})}
}

// parseAdminIdentifier decodes admin_getAccessListForIdentifier's parameter. Unlike
// supersim, which truncates, out-of-range fields are refused.
func parseAdminIdentifier(raw json.RawMessage) (message.Identifier, []byte, error) {
	var id message.Identifier
	if isJSONNull(raw) {
		return id, nil, errAdminNoID
	}
	var args adminIdentifierWithPayload
	if err := json.Unmarshal(raw, &args); err != nil {
		return id, nil, &adminError{-32602, "Invalid parameters: " + err.Error()}
	}
	if args.Origin == (common.Address{}) || args.BlockNumber == nil || args.LogIndex == nil || args.Timestamp == nil || args.ChainID == nil || len(args.Payload) == 0 {
		return id, nil, errAdminIncompleteID
	}
	for _, f := range []struct {
		name string
		v    *math.HexOrDecimal256
		bits int
	}{{"blockNumber", args.BlockNumber, 64}, {"logIndex", args.LogIndex, 32}, {"timestamp", args.Timestamp, 64}, {"chainId", args.ChainID, 256}} {
		v := (*big.Int)(f.v)
		if v.Sign() < 0 || v.BitLen() > f.bits {
			return id, nil, &adminError{-32602, fmt.Sprintf("Invalid parameters: %s %s out of range (0 to 2^%d-1)", f.name, v, f.bits)}
		}
	}
	id.Origin = args.Origin
	id.BlockNumber = (*big.Int)(args.BlockNumber).Uint64()
	id.LogIndex = uint32((*big.Int)(args.LogIndex).Uint64())
	id.Timestamp = (*big.Int)(args.Timestamp).Uint64()
	id.ChainID.SetFromBig((*big.Int)(args.ChainID))
	return id, args.Payload, nil
}

// GetAccessListForIdentifier is admin_getAccessListForIdentifier: the access list that
// executes the message with this identifier and payload (pure computation).
func (a *adminAPI) GetAccessListForIdentifier(raw *json.RawMessage) (*adminAccessList, error) {
	id, payload, err := parseAdminIdentifier(deref(raw))
	if err != nil {
		return nil, err
	}
	return messageAccessList(&id, payload), nil
}

// deref is an optional parameter's raw JSON (nil when absent).
func deref(raw *json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	return *raw
}
