//go:build opstack

package opstack

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
)

// The configuration files of the system, as the recipe in reference/opstack (gen.py) writes them:
// an L1 genesis that is geth's own --dev genesis re-chain-id'd (its system contracts are what
// Prague and Osaka need), and per L2 chain an op-geth genesis with
// every fork through Karst and Lagoon (and Osaka) at 0 plus op-node's rollup.json. No L1 contract
// is deployed: the rollup config's L1 addresses are placeholders that pass op-node's checks.

const (
	// L1ChainID is the chain ID of the L1.
	L1ChainID = 900
	// BlockTime is the L2 block time in seconds.
	BlockTime = 2
)

// The accounts of the test mnemonic ("test test ... junk", m/44'/60'/0'/0/i): public devnet
// keys, never to be used anywhere else. Every L2 genesis and the L1 prefund all ten; the chain
// created n-th on an L1 (n from 1) posts its batches with key n.
var anvilKeyHex = [10]string{
	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
	"59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
	"5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
	"7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
	"47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
	"8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
	"92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
	"4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
	"dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
	"2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
}

// AnvilKey is account i (0..9) of the test mnemonic.
func AnvilKey(i int) *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA(anvilKeyHex[i])
	if err != nil {
		panic(err)
	}
	return k
}

// AnvilAddress is the address of account i of the test mnemonic.
func AnvilAddress(i int) common.Address {
	return crypto.PubkeyToAddress(AnvilKey(i).PublicKey)
}

var (
	// gethDevAddress is geth --dev's developer account, funded as the recipe's L1 had it; the
	// L1's blocks pay their fees to it.
	gethDevAddress = common.HexToAddress("0x71562b71999873DB5b286dF957af199Ec94617F7")
	// systemConfigAddress is the rollup config's l1_system_config_address. op-node reads its
	// storage with eth_getProof and verifies the proof; for an address without an account the
	// proof does not verify, so the L1 genesis holds a placeholder account with one unrelated
	// slot set (every slot op-node asks for is then provably zero).
	systemConfigAddress = common.HexToAddress("0x0000000000000000000000000000000000005c01")
	// depositContractAddress only has to be non-zero (op-node's config check); no deposits are made.
	depositContractAddress = common.HexToAddress("0x00000000000000000000000000000000000d3905")
	sequencerFeeVault      = common.HexToAddress("0x4200000000000000000000000000000000000011")

	prefund = new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
	// jovianExtraData is the Jovian header encoding of the EIP-1559 parameters: version 1,
	// denominator 250, elasticity 6, min base fee 0.
	jovianExtraData = hexutil.MustDecode("0x01000000fa000000060000000000000000")
)

// L1Genesis turns `geth --dev dumpgenesis` output (dev chain config and system contracts) into
// the L1 genesis: chain ID 900, timestamp ts, the dev account, the ten test accounts and the
// SystemConfig placeholder funded. It edits the JSON as a document, so fields this code does not
// know survive.
func L1Genesis(devGenesis []byte, ts uint64) ([]byte, error) {
	var g map[string]any
	dec := json.NewDecoder(bytes.NewReader(devGenesis))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("dev genesis: %w", err)
	}
	cfg, ok := g["config"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("dev genesis: no config")
	}
	alloc, ok := g["alloc"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("dev genesis: no alloc")
	}
	cfg["chainId"] = L1ChainID
	g["timestamp"] = hexutil.EncodeUint64(ts)
	g["gasLimit"] = hexutil.EncodeUint64(60_000_000)
	for _, k := range []string{"excessBlobGas", "blobGasUsed", "slotNumber"} {
		if v, present := g[k]; present && v == nil {
			delete(g, k)
		}
	}
	funded := []common.Address{gethDevAddress}
	for i := range anvilKeyHex {
		funded = append(funded, AnvilAddress(i))
	}
	for _, a := range funded {
		alloc[a.Hex()] = map[string]any{"balance": (*hexutil.Big)(prefund)}
	}
	alloc[systemConfigAddress.Hex()] = map[string]any{
		"nonce": "0x1", "balance": "0x0", "code": "0x00",
		"storage": map[string]string{common.BigToHash(big.NewInt(0xff)).Hex(): common.BigToHash(big.NewInt(1)).Hex()},
	}
	return json.MarshalIndent(g, "", " ")
}

// L2ChainConfig is the op-geth chain configuration of an e2e L2 chain: the devnet's (every
// Ethereum fork through Prague and every OP fork through Karst and Lagoon active at genesis)
// with Osaka active at genesis too. op-node calls engine_getPayloadV5 under Karst, which needs
// Osaka on the L2; op-node needs a dependency set under Lagoon.
func L2ChainConfig(chainID uint64) *params.ChainConfig {
	cfg := devnet.ChainConfig(chainID)
	zero := uint64(0)
	cfg.OsakaTime = &zero
	return cfg
}

// L2Genesis is the genesis of L2 chain chainID at time ts: the ten test accounts prefunded, the
// EIP-2935 and EIP-4788 system contracts, and one wei at the address of the chain ID so that two
// chains never share a genesis hash.
func L2Genesis(chainID, ts uint64) *core.Genesis {
	zero := uint64(0)
	alloc := types.GenesisAlloc{
		params.HistoryStorageAddress:                         {Nonce: 1, Code: params.HistoryStorageCode, Balance: common.Big0},
		params.BeaconRootsAddress:                            {Nonce: 1, Code: params.BeaconRootsCode, Balance: common.Big0},
		common.BigToAddress(new(big.Int).SetUint64(chainID)): {Balance: big.NewInt(1)},
	}
	for i := range anvilKeyHex {
		alloc[AnvilAddress(i)] = types.Account{Balance: new(big.Int).Set(prefund)}
	}
	return &core.Genesis{
		Config:        L2ChainConfig(chainID),
		Timestamp:     ts,
		ExtraData:     jovianExtraData,
		GasLimit:      30_000_000,
		Difficulty:    big.NewInt(0),
		Coinbase:      sequencerFeeVault,
		BaseFee:       big.NewInt(params.GWei),
		ExcessBlobGas: &zero,
		BlobGasUsed:   &zero,
		Alloc:         alloc,
	}
}

// BlockID names a block by hash and number, as rollup.json does.
type BlockID struct {
	Hash   common.Hash `json:"hash"`
	Number uint64      `json:"number"`
}

// RollupConfig is op-node's rollup.json for chain chainID anchored at L1 block l1 and L2 genesis
// block l2 (time l2Time), batches from batcher posted to the chain's own inbox address.
func RollupConfig(chainID uint64, l1, l2 BlockID, l2Time uint64, batcher common.Address) map[string]any {
	op := L2ChainConfig(chainID).Optimism
	opConfig := map[string]any{"eip1559Elasticity": op.EIP1559Elasticity, "eip1559Denominator": op.EIP1559Denominator,
		"eip1559DenominatorCanyon": *op.EIP1559DenominatorCanyon}
	return map[string]any{
		"genesis": map[string]any{
			"l1":      l1,
			"l2":      l2,
			"l2_time": l2Time,
			"system_config": map[string]any{
				"batcherAddr": batcher,
				"overhead":    common.Hash{},
				// Ecotone-format scalar (version 1, blob base fee scalar 810949, base fee scalar
				// 1368): op-node refuses a zero scalar.
				"scalar":               "0x010000000000000000000000000000000000000000000000000c5fc500000558",
				"gasLimit":             30_000_000,
				"eip1559Params":        "0x0000000000000000",
				"operatorFeeParams":    common.Hash{},
				"minBaseFee":           0,
				"daFootprintGasScalar": 0,
			},
		},
		"block_time":               BlockTime,
		"max_sequencer_drift":      600,
		"seq_window_size":          3600,
		"channel_timeout":          300,
		"l1_chain_id":              L1ChainID,
		"l2_chain_id":              chainID,
		"regolith_time":            0,
		"canyon_time":              0,
		"delta_time":               0,
		"ecotone_time":             0,
		"fjord_time":               0,
		"granite_time":             0,
		"holocene_time":            0,
		"isthmus_time":             0,
		"jovian_time":              0,
		"karst_time":               0,
		"lagoon_time":              0,
		"batch_inbox_address":      BatchInbox(chainID),
		"deposit_contract_address": depositContractAddress,
		"l1_system_config_address": systemConfigAddress,
		// op-node requires it; it must match the L2 genesis's "optimism" block.
		"chain_op_config": opConfig,
	}
}

// BatchInbox is chain chainID's batch inbox on L1: 0xff00…0<chain ID in decimal digits>.
func BatchInbox(chainID uint64) common.Address {
	return common.HexToAddress(fmt.Sprintf("0xff%038d", chainID))
}

// DepSet is the dependency-set file op-node reads under Lagoon (and xgeth's --interop.depset).
func DepSet(chainIDs []uint64) ([]byte, error) {
	deps := make(map[string]struct{}, len(chainIDs))
	for _, id := range chainIDs {
		deps[strconv.FormatUint(id, 10)] = struct{}{}
	}
	return json.MarshalIndent(map[string]any{"dependencies": deps}, "", " ")
}

// dumpDevGenesis runs `geth --dev dumpgenesis`.
func dumpDevGenesis(geth string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(geth, "--dev", "dumpgenesis")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s --dev dumpgenesis: %w\n%s", geth, err, stderr.String())
	}
	return out, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
