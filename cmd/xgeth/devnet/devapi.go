package devnet

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
	"github.com/xgeth/xgeth/interop/rpcerr"
	xparams "github.com/xgeth/xgeth/params"
)

// devAPI is the devnet's developer methods in the "interop" namespace, beside rpcapi's
// (geth merges services registered under one name): what a developer needs to relay a
// messenger message by hand and to see where it stands. It only reads.
type devAPI struct{ d *Devnet }

// parseMsgHash decodes a message-hash parameter: a 0x-prefixed 32-byte hex string, not zero.
func parseMsgHash(raw json.RawMessage) (common.Hash, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isJSONNull(raw) {
		return common.Hash{}, rpcerr.InvalidParams.With("msgHash: want a 0x-prefixed 32-byte hex string")
	}
	b, err := hexutil.Decode(s)
	if err != nil {
		return common.Hash{}, rpcerr.InvalidParams.Withf("msgHash: %v", err)
	}
	if len(b) != common.HashLength {
		return common.Hash{}, rpcerr.InvalidParams.Withf("msgHash: %d bytes, want 32", len(b))
	}
	h := common.BytesToHash(b)
	if h == (common.Hash{}) {
		return h, rpcerr.InvalidParams.With("msgHash: zero hash")
	}
	return h, nil
}

// errUnknownMessage: the tracker has no SentMessage for the hash.
var errUnknownMessage = rpcerr.OutOfScope.Derive("message not known to this devnet (not sent from one of its chains, or forgotten)")

// RelayInfo is what relaying a messenger message by hand takes. The embedded
// PreparedMessage is interop_accessList's answer for the SentMessage log (its msgHash is
// keccak256(payload), the hash CrossL2Inbox checks); MessageHash is the messenger's hash.
type RelayInfo struct {
	rpcapi.PreparedMessage
	MessageHash   common.Hash   `json:"messageHash"`
	Destination   *hexutil.Big  `json:"destination"`
	Payload       hexutil.Bytes `json:"payload"`       // the SentMessage log's topics ‖ data
	RelayCalldata hexutil.Bytes `json:"relayCalldata"` // relayMessage(identifier, payload)
}

// AccessListByMsgHash returns, for a message of the L2ToL2CrossDomainMessenger (by its
// messenger hash), the identifier, access list and calldata of a relayMessage transaction.
func (api *devAPI) AccessListByMsgHash(raw json.RawMessage) (*RelayInfo, error) {
	h, err := parseMsgHash(raw)
	if err != nil {
		return nil, err
	}
	m, ok := api.d.messaging.tracker.Message(h)
	if !ok || m.Sent == nil {
		return nil, errUnknownMessage.Withf("%s", h)
	}
	return relayInfo(m), nil
}

func relayInfo(m *TrackedMessage) *RelayInfo {
	return &RelayInfo{
		PreparedMessage: *rpcapi.Prepare(&message.Message{Identifier: m.ID, MsgHash: crypto.Keccak256Hash(m.Payload)}),
		MessageHash:     m.Hash,
		Destination:     (*hexutil.Big)(m.Message.Destination.ToBig()),
		Payload:         m.Payload,
		RelayCalldata:   EncodeRelayMessage(&m.ID, m.Payload),
	}
}

// TxJSON is a transaction in a block of a devnet chain.
type TxJSON struct {
	ChainID     hexutil.Uint64 `json:"chainId"`
	Hash        common.Hash    `json:"hash"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	Timestamp   hexutil.Uint64 `json:"timestamp"`
}

func txJSON(r *TxRef) *TxJSON {
	if r == nil {
		return nil
	}
	return &TxJSON{ChainID: hexutil.Uint64(r.Chain), Hash: r.Hash, BlockNumber: hexutil.Uint64(r.BlockNumber), BlockHash: r.BlockHash, Timestamp: hexutil.Uint64(r.Timestamp)}
}

// MessageStatus is interop_messageStatus's answer. The message's fields are absent when
// only a relay of it was seen.
type MessageStatus struct {
	MessageHash common.Hash        `json:"messageHash"`
	Status      MessageState       `json:"status"`
	Source      *hexutil.Big       `json:"source,omitempty"`
	Destination *hexutil.Big       `json:"destination,omitempty"`
	Nonce       *hexutil.Big       `json:"nonce,omitempty"`
	Sender      *common.Address    `json:"sender,omitempty"`
	Target      *common.Address    `json:"target,omitempty"`
	Message     hexutil.Bytes      `json:"message,omitempty"`
	Identifier  *rpcapi.Identifier `json:"identifier,omitempty"`
	SentTx      *TxJSON            `json:"sentTx"`
	RelayTx     *TxJSON            `json:"relayTx"`
	FailedTxs   []*TxJSON          `json:"failedTxs"`
	Error       string             `json:"error,omitempty"` // why the auto-relay gave up
}

// MessageStatus reports where a messenger message stands: sent, relayed or failed, with the
// sending, relaying and failed transactions. Null for a hash the devnet has not seen.
func (api *devAPI) MessageStatus(raw json.RawMessage) (*MessageStatus, error) {
	h, err := parseMsgHash(raw)
	if err != nil {
		return nil, err
	}
	m, ok := api.d.messaging.tracker.Message(h)
	if !ok {
		return nil, nil
	}
	st := &MessageStatus{MessageHash: h, Status: m.State(), SentTx: txJSON(m.Sent), RelayTx: txJSON(m.Relayed), FailedTxs: []*TxJSON{}, Error: m.Error}
	for i := range m.Failed {
		st.FailedTxs = append(st.FailedTxs, txJSON(&m.Failed[i]))
	}
	if msg := m.Message; msg != nil {
		st.Source, st.Destination, st.Nonce = (*hexutil.Big)(msg.Source.ToBig()), (*hexutil.Big)(msg.Destination.ToBig()), (*hexutil.Big)(msg.Nonce.ToBig())
		st.Sender, st.Target, st.Message = &msg.Sender, &msg.Target, msg.Message
		st.Identifier = &rpcapi.Identifier{Origin: m.ID.Origin, BlockNumber: hexutil.Uint64(m.ID.BlockNumber), LogIndex: hexutil.Uint64(m.ID.LogIndex),
			Timestamp: hexutil.Uint64(m.ID.Timestamp), ChainID: (*hexutil.Big)(m.ID.ChainID.ToBig())}
	}
	return st, nil
}

// DevnetChain is one chain of interop_devnetConfig.
type DevnetChain struct {
	ChainID    uint64 `json:"chainId"`
	RPC        string `json:"rpc"`
	WS         string `json:"ws"`
	InteropRPC string `json:"interopRpc"`
	AuthRPC    string `json:"authRpc"`
	Port       int    `json:"port"`
	// DependencySet are the chains it accepts messages from (besides itself); TransitiveSet
	// adds theirs, and so on: what its blocks' cross-safety depends on.
	DependencySet []uint64 `json:"dependencySet"`
	TransitiveSet []uint64 `json:"transitiveSet"`
}

// DevnetAccount is a prefunded account with its well-known key.
type DevnetAccount struct {
	Address    common.Address `json:"address"`
	PrivateKey string         `json:"privateKey"`
}

// DevnetConfig is interop_devnetConfig's answer. Numbers are plain JSON numbers: it is
// configuration, not chain data.
type DevnetConfig struct {
	Chains         []DevnetChain             `json:"chains"`
	BlockTime      uint64                    `json:"blockTime"` // seconds
	GenesisTime    uint64                    `json:"genesisTime"`
	Predeploys     map[string]common.Address `json:"predeploys"`
	Mnemonic       string                    `json:"mnemonic"`
	DerivationPath string                    `json:"derivationPath"`
	Accounts       []DevnetAccount           `json:"accounts"`
	Relayer        common.Address            `json:"relayer"`
	AutoRelay      bool                      `json:"autoRelay"`
	AdminRPC       string                    `json:"adminRpc,omitempty"` // supersim's admin API, when served
}

// Predeploys are the interop predeploys every devnet chain runs natively, by contract name.
func Predeploys() map[string]common.Address {
	return map[string]common.Address{
		"CrossL2Inbox":               xparams.CrossL2InboxAddress,
		"L2ToL2CrossDomainMessenger": xparams.L2ToL2CrossDomainMessengerAddress,
		"SuperchainETHBridge":        xparams.SuperchainETHBridgeAddress,
		"ETHLiquidity":               xparams.ETHLiquidityAddress,
		"SuperchainTokenBridge":      xparams.SuperchainTokenBridgeAddress,
		"L2NativeSuperchainERC20":    xparams.TestTokenAddress,
	}
}

// DevnetConfig describes the running devnet: chains and their endpoints, predeploys,
// prefunded accounts with their keys, the relayer and the block time.
func (api *devAPI) DevnetConfig() *DevnetConfig {
	return api.d.devnetConfig()
}

func (d *Devnet) devnetConfig() *DevnetConfig {
	ms := d.messaging
	cfg := &DevnetConfig{BlockTime: uint64(ms.blockTime / time.Second), Predeploys: Predeploys(), Mnemonic: TestMnemonic, DerivationPath: "m/44'/60'/0'/0/i",
		Relayer: Relayer.Address, AutoRelay: ms.relayer != nil, Chains: []DevnetChain{}, Accounts: []DevnetAccount{}}
	if ms.admin != nil {
		cfg.AdminRPC = ms.admin.endpoint()
	}
	for _, c := range d.Chains {
		dc := DevnetChain{ChainID: c.ID, RPC: c.HTTPEndpoint(), WS: c.WSEndpoint(), InteropRPC: c.InteropEndpoint(), AuthRPC: c.AuthEndpoint(), Port: urlPort(c.HTTPEndpoint()),
			DependencySet: []uint64{}, TransitiveSet: []uint64{}}
		if g := d.clusterOrMesh(); g != nil {
			id := uint256.NewInt(c.ID)
			dc.DependencySet, dc.TransitiveSet = uint64s(g.Direct(id)), uint64s(g.Transitive(id))
		}
		cfg.Chains = append(cfg.Chains, dc)
		cfg.GenesisTime = c.Eth.BlockChain().Genesis().Time()
	}
	for _, a := range d.Accounts {
		cfg.Accounts = append(cfg.Accounts, DevnetAccount{Address: a.Address, PrivateKey: a.KeyHex()})
	}
	return cfg
}

// urlPort is the port of an endpoint URL (0 if it has none).
func urlPort(endpoint string) int {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

// isJSONNull reports whether a raw parameter is absent or null.
func isJSONNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// clusterOrMesh is the devnet's cluster: Config.Cluster, or the full mesh of its chains.
func (d *Devnet) clusterOrMesh() *cluster.Graph {
	if d.cluster != nil {
		return d.cluster
	}
	var ids []uint256.Int
	for _, c := range d.Chains {
		ids = append(ids, *uint256.NewInt(c.ID))
	}
	g, err := cluster.FullMesh(ids)
	if err != nil {
		return nil
	}
	return g
}

// uint64s are chain IDs as plain numbers (devnet chain IDs fit; a larger one, which only a
// remote chain of a dependency-set file can have, is left out).
func uint64s(ids []uint256.Int) []uint64 {
	out := make([]uint64, 0, len(ids))
	for i := range ids {
		if ids[i].IsUint64() {
			out = append(out, ids[i].Uint64())
		}
	}
	return out
}
