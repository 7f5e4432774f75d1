package main

import (
	"slices"

	"github.com/ethereum/go-ethereum/cmd/utils"
	"github.com/urfave/cli/v2"
)

// The node command takes op-geth's command line: these are geth's own flag definitions
// (cmd/utils), listed as op-geth's cmd/geth lists them, minus what xgeth does not run
// (--dev mode, the beacon light client, the TOML --config file, account unlocking).
var (
	nodeFlags = slices.Concat([]cli.Flag{
		utils.IdentityFlag,
		utils.PasswordFileFlag,
		utils.BootnodesFlag,
		utils.MinFreeDiskSpaceFlag,
		utils.KeyStoreDirFlag,
		utils.ExternalSignerFlag,
		utils.USBFlag,
		utils.SmartCardDaemonPathFlag,
		utils.OverrideOsaka,
		utils.OverrideBPO1,
		utils.OverrideBPO2,
		utils.OverrideVerkle,
		utils.OverrideGenesisFlag,
		utils.OverrideOptimismCanyon,
		utils.OverrideOptimismEcotone,
		utils.OverrideOptimismFjord,
		utils.OverrideOptimismGranite,
		utils.OverrideOptimismHolocene,
		utils.OverrideOptimismIsthmus,
		utils.OverrideOptimismJovian,
		utils.OverrideOptimismKarst,
		utils.OverrideOptimismInterop,
		utils.TxPoolLocalsFlag,
		utils.TxPoolNoLocalsFlag,
		utils.TxPoolJournalFlag,
		utils.TxPoolJournalRemotesFlag,
		utils.TxPoolRejournalFlag,
		utils.TxPoolPriceLimitFlag,
		utils.TxPoolPriceBumpFlag,
		utils.TxPoolAccountSlotsFlag,
		utils.TxPoolGlobalSlotsFlag,
		utils.TxPoolAccountQueueFlag,
		utils.TxPoolGlobalQueueFlag,
		utils.TxPoolLifetimeFlag,
		utils.TxPoolMaxTxGasLimitFlag,
		utils.BlobPoolDataDirFlag,
		utils.BlobPoolDataCapFlag,
		utils.BlobPoolPriceBumpFlag,
		utils.SyncModeFlag,
		utils.SyncTargetFlag,
		utils.ExitWhenSyncedFlag,
		utils.GCModeFlag,
		utils.SnapshotFlag,
		utils.TransactionHistoryFlag,
		utils.ChainHistoryFlag,
		utils.LogHistoryFlag,
		utils.LogNoHistoryFlag,
		utils.LogExportCheckpointsFlag,
		utils.StateHistoryFlag,
		utils.TrienodeHistoryFlag,
		utils.TrienodeHistoryFullValueCheckpointFlag,
		utils.LightKDFFlag,
		utils.EthRequiredBlocksFlag,
		utils.CacheFlag,
		utils.CacheDatabaseFlag,
		utils.CacheTrieFlag,
		utils.CacheGCFlag,
		utils.CacheSnapshotFlag,
		utils.CacheNoPrefetchFlag,
		utils.CachePreimagesFlag,
		utils.CacheLogSizeFlag,
		utils.FDLimitFlag,
		utils.CryptoKZGFlag,
		utils.ListenPortFlag,
		utils.DiscoveryPortFlag,
		utils.MaxPeersFlag,
		utils.MaxPendingPeersFlag,
		utils.MinerGasLimitFlag,
		utils.MinerEffectiveGasLimitFlag,
		utils.MinerGasPriceFlag,
		utils.MinerExtraDataFlag,
		utils.MinerMaxBlobsFlag,
		utils.MinerRecommitIntervalFlag,
		utils.MinerPendingFeeRecipientFlag,
		utils.NATFlag,
		utils.NoDiscoverFlag,
		utils.DiscoveryV4Flag,
		utils.DiscoveryV5Flag,
		utils.NetrestrictFlag,
		utils.NodeKeyFileFlag,
		utils.NodeKeyHexFlag,
		utils.DNSDiscoveryFlag,
		utils.VMEnableDebugFlag,
		utils.VMTraceFlag,
		utils.VMTraceJsonConfigFlag,
		utils.VMWitnessStatsFlag,
		utils.VMStatelessSelfValidationFlag,
		utils.NetworkIdFlag,
		utils.EthStatsURLFlag,
		utils.GpoBlocksFlag,
		utils.GpoPercentileFlag,
		utils.GpoMaxGasPriceFlag,
		utils.GpoIgnoreGasPriceFlag,
		utils.GpoMinSuggestedPriorityFeeFlag,
		utils.RollupSequencerHTTPFlag,
		utils.RollupSequencerTxConditionalEnabledFlag,
		utils.RollupSequencerTxConditionalCostRateLimitFlag,
		utils.RollupHistoricalRPCFlag,
		utils.RollupHistoricalRPCTimeoutFlag,
		utils.RollupInteropRPCFlag,
		utils.RollupInteropMempoolFilteringFlag,
		utils.RollupTxPoolDisableGossipFlag,
		utils.RollupTxPoolNetrestrictFlag,
		utils.RollupTxPoolTrustedPeersOnlyFlag,
		utils.RollupTxPoolEnableAdmissionFlag,
		utils.RollupComputePendingBlock,
		utils.RollupHaltOnIncompatibleProtocolVersionFlag,
		utils.RollupSuperchainUpgradesFlag,
		utils.LogDebugFlag,
		utils.LogBacktraceAtFlag,
		utils.LogSlowBlockFlag,
	}, utils.NetworkFlags, utils.DatabaseFlags)

	rpcFlags = []cli.Flag{
		utils.HTTPEnabledFlag,
		utils.HTTPListenAddrFlag,
		utils.HTTPPortFlag,
		utils.HTTPCORSDomainFlag,
		utils.AuthListenFlag,
		utils.AuthPortFlag,
		utils.AuthVirtualHostsFlag,
		utils.JWTSecretFlag,
		utils.HTTPVirtualHostsFlag,
		utils.GraphQLEnabledFlag,
		utils.GraphQLCORSDomainFlag,
		utils.GraphQLVirtualHostsFlag,
		utils.HTTPApiFlag,
		utils.HTTPPathPrefixFlag,
		utils.WSEnabledFlag,
		utils.WSListenAddrFlag,
		utils.WSPortFlag,
		utils.WSApiFlag,
		utils.WSAllowedOriginsFlag,
		utils.WSPathPrefixFlag,
		utils.IPCDisabledFlag,
		utils.IPCPathFlag,
		utils.InsecureUnlockAllowedFlag,
		utils.RPCGlobalGasCapFlag,
		utils.RPCGlobalEVMTimeoutFlag,
		utils.RPCGlobalTxFeeCapFlag,
		utils.RPCGlobalLogQueryLimit,
		utils.AllowUnprotectedTxs,
		utils.BatchRequestLimit,
		utils.BatchResponseMaxSize,
		utils.RPCTxSyncDefaultTimeoutFlag,
		utils.RPCTxSyncMaxTimeoutFlag,
		utils.RPCGlobalRangeLimitFlag,
	}

	metricsFlags = []cli.Flag{
		utils.MetricsEnabledFlag,
		utils.MetricsEnabledExpensiveFlag,
		utils.MetricsHTTPFlag,
		utils.MetricsPortFlag,
		utils.MetricsEnableInfluxDBFlag,
		utils.MetricsInfluxDBEndpointFlag,
		utils.MetricsInfluxDBDatabaseFlag,
		utils.MetricsInfluxDBUsernameFlag,
		utils.MetricsInfluxDBPasswordFlag,
		utils.MetricsInfluxDBTagsFlag,
		utils.MetricsInfluxDBIntervalFlag,
		utils.MetricsEnableInfluxDBV2Flag,
		utils.MetricsInfluxDBTokenFlag,
		utils.MetricsInfluxDBBucketFlag,
		utils.MetricsInfluxDBOrganizationFlag,
	}

	consoleFlags = []cli.Flag{utils.JSpathFlag, utils.ExecFlag, utils.PreloadJSFlag}

	// interopNodeFlags configure the interop service of the node command.
	interopNodeFlags = []cli.Flag{
		interopDisableFlag, interopDepSetFlag, interopRewindDeniedFlag, interopRPCFlag, interopBlockTimeFlag, interopStartBlockFlag, interopStartTimeFlag,
		interopMinSafetyFlag, interopFailsafeFlag, interopMaxEntriesFlag, interopGasMarginFlag,
	}
)

var interopDisableFlag = &cli.BoolFlag{
	Name:     "interop.disable",
	Usage:    "Run as op-geth does, without the interop service, even on a chain that schedules interop (no log index, no checks, no cross-chain safety)",
	Category: interopCategory,
}

var interopRewindDeniedFlag = &cli.BoolFlag{
	Name:     "interop.rewinddenied",
	Usage:    "Drop a block of this chain as soon as it is denied (it executes an invalid message), so that the consensus client re-derives and replaces it; =false leaves it for the consensus client or engine_rewindV1",
	Value:    true,
	Category: interopCategory,
}

var interopBlockTimeFlag = &cli.Uint64Flag{
	Name:     "interop.blocktime",
	Usage:    "Block time (seconds) of this chain and of chains of the dependency set whose file gives none",
	Value:    2,
	Category: interopCategory,
}

const interopCategory = "INTEROP"

// appFlags are the root command's flags: geth's, then xgeth's.
func appFlags() []cli.Flag {
	return slices.Concat(nodeFlags, rpcFlags, consoleFlags, utils.LoggingFlags, metricsFlags, interopNodeFlags)
}
