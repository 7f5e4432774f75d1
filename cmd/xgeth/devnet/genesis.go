package devnet

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	gethparams "github.com/ethereum/go-ethereum/params"
	xparams "github.com/xgeth/xgeth/params"
)

const (
	// GasLimit is the devnet block gas limit.
	GasLimit uint64 = 30_000_000
	// InitialBaseFee is the genesis base fee (1 gwei).
	InitialBaseFee = 1_000_000_000
)

var (
	// PrefundBalance is what each test account holds at genesis: 10,000 ETH.
	PrefundBalance = new(big.Int).Mul(big.NewInt(10_000), big.NewInt(1e18))

	// SequencerFeeVault is the OP Stack coinbase of sequenced blocks.
	SequencerFeeVault = common.HexToAddress("0x4200000000000000000000000000000000000011")

	// jovianExtraData is the Jovian header encoding of the EIP-1559 parameters:
	// version 1, denominator 250, elasticity 6, min base fee 0.
	jovianExtraData = hexutil.MustDecode("0x01000000fa000000060000000000000000")
)

// ChainConfig is the op-geth chain configuration of a devnet chain: every Ethereum fork
// through Prague and every OP fork, including the Lagoon interop fork, active at genesis.
func ChainConfig(chainID uint64) *gethparams.ChainConfig {
	zero := uint64(0)
	return &gethparams.ChainConfig{
		ChainID:                 new(big.Int).SetUint64(chainID),
		HomesteadBlock:          big.NewInt(0),
		EIP150Block:             big.NewInt(0),
		EIP155Block:             big.NewInt(0),
		EIP158Block:             big.NewInt(0),
		ByzantiumBlock:          big.NewInt(0),
		ConstantinopleBlock:     big.NewInt(0),
		PetersburgBlock:         big.NewInt(0),
		IstanbulBlock:           big.NewInt(0),
		MuirGlacierBlock:        big.NewInt(0),
		BerlinBlock:             big.NewInt(0),
		LondonBlock:             big.NewInt(0),
		ArrowGlacierBlock:       big.NewInt(0),
		GrayGlacierBlock:        big.NewInt(0),
		MergeNetsplitBlock:      big.NewInt(0),
		ShanghaiTime:            &zero,
		CancunTime:              &zero,
		PragueTime:              &zero,
		BedrockBlock:            big.NewInt(0),
		RegolithTime:            &zero,
		CanyonTime:              &zero,
		EcotoneTime:             &zero,
		FjordTime:               &zero,
		GraniteTime:             &zero,
		HoloceneTime:            &zero,
		IsthmusTime:             &zero,
		JovianTime:              &zero,
		KarstTime:               &zero,
		LagoonTime:              &zero,
		TerminalTotalDifficulty: big.NewInt(0),
		Optimism: &gethparams.OptimismConfig{
			EIP1559Elasticity:        6,
			EIP1559Denominator:       50,
			EIP1559DenominatorCanyon: uint64Ptr(250),
		},
	}
}

func uint64Ptr(v uint64) *uint64 { return &v }

// Genesis is the genesis of devnet chain chainID at time genesisTime with accounts prefunded.
func Genesis(chainID, genesisTime uint64, accounts []Account) *core.Genesis {
	alloc := types.GenesisAlloc{
		gethparams.BeaconRootsAddress:    {Nonce: 1, Code: gethparams.BeaconRootsCode, Balance: common.Big0},
		gethparams.HistoryStorageAddress: {Nonce: 1, Code: gethparams.HistoryStorageCode, Balance: common.Big0},
		// The native predeploys take precedence over code at their addresses, but Solidity
		// callers check extcodesize before a call without return data: give each one byte.
		xparams.CrossL2InboxAddress:               {Code: []byte{0xfe}, Balance: common.Big0},
		xparams.L2ToL2CrossDomainMessengerAddress: {Code: []byte{0xfe}, Balance: common.Big0},
		xparams.SuperchainETHBridgeAddress:        {Code: []byte{0xfe}, Balance: common.Big0},
		// ETHLiquidity holds the ETH that bridged ETH is minted from: type(uint248).max wei,
		// as the interop spec's genesis gives it.
		xparams.ETHLiquidityAddress:          {Code: []byte{0xfe}, Balance: ethLiquidityBalance()},
		xparams.SuperchainTokenBridgeAddress: {Code: []byte{0xfe}, Balance: common.Big0},
		xparams.TestTokenAddress:             {Code: []byte{0xfe}, Balance: common.Big0},
		// Identical allocs give identical genesis hashes: one wei at an address derived from the
		// chain ID keeps every chain's genesis distinct.
		chainMarker(chainID): {Balance: big.NewInt(1)},
	}
	for _, a := range accounts {
		alloc[a.Address] = types.Account{Balance: new(big.Int).Set(PrefundBalance)}
	}
	// The auto-relay's account (relay.go), apart from the users' accounts.
	alloc[Relayer.Address] = types.Account{Balance: new(big.Int).Set(PrefundBalance)}
	return &core.Genesis{
		Config:     ChainConfig(chainID),
		Timestamp:  genesisTime,
		ExtraData:  jovianExtraData,
		GasLimit:   GasLimit,
		Difficulty: big.NewInt(0),
		BaseFee:    big.NewInt(InitialBaseFee),
		Coinbase:   SequencerFeeVault,
		Alloc:      alloc,
	}
}

// ethLiquidityBalance is type(uint248).max.
func ethLiquidityBalance() *big.Int {
	return new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 248), big.NewInt(1))
}

func chainMarker(chainID uint64) common.Address {
	return common.BytesToAddress(crypto.Keccak256(new(big.Int).SetUint64(chainID).Bytes(), []byte("xgeth devnet chain"))[12:])
}
