package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/cmd/utils"
	"github.com/ethereum/go-ethereum/log"
	"github.com/urfave/cli/v2"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/safety"
	xparams "github.com/xgeth/xgeth/params"
)

var (
	devnetChainsFlag = &cli.IntFlag{
		Name:  "devnet.chains",
		Usage: "Number of chains; chain i has ID 901+i",
		Value: 2,
	}
	devnetPortFlag = &cli.IntFlag{
		Name:  "devnet.port",
		Usage: "JSON-RPC port (HTTP and WebSocket) of the first chain; chain i listens on port+i and serves its authenticated (JWT) port on port+100+i (0: free ports)",
		Value: 9545,
	}
	devnetBlockTimeFlag = &cli.DurationFlag{
		Name:  "devnet.blocktime",
		Usage: "Block time of every chain (whole seconds)",
		Value: 2 * time.Second,
	}
	devnetDepsFlag = &cli.StringFlag{
		Name:  "devnet.deps",
		Usage: "Each chain's own dependency set, as <chain>:<dep>+<dep>,... (e.g. 901:902,902:901+903,903:902), or a file holding that text or a dependency-set JSON in the per-chain form; its chains are the devnet's. Default: every chain accepts every chain",
	}
	devnetChainIDsFlag = &cli.StringFlag{
		Name:  "devnet.chainids",
		Usage: "Comma-separated chain IDs to run (overrides --devnet.chains), e.g. 902 to run one chain of a devnet split over processes",
	}
	interopRPCFlag = &cli.StringSliceFlag{
		Name:  "interop.rpc",
		Usage: "Chain of the dependency set run by another process, as <chainID>=<JSON-RPC URL> (ws:// preferred; repeatable)",
	}
	interopDepSetFlag = &cli.StringFlag{
		Name:     "interop.depset",
		Usage:    "Dependency set file (OP Stack JSON) listing every chain of the set, this node's included; the others are followed at their \"rpc\" URL (or --interop.rpc) with their activationTime and blockTime",
		Category: interopCategory,
	}
	interopStartBlockFlag = &cli.Uint64Flag{
		Name:  "interop.startblock",
		Usage: "Block from which remote chains are indexed when their index is empty",
	}
	interopStartTimeFlag = &cli.Uint64Flag{
		Name:  "interop.starttime",
		Usage: "Timestamp from which remote chains are indexed when their index is empty (first block at or after it; overrides --interop.startblock)",
	}
	interopMinSafetyFlag = &cli.StringFlag{
		Name:  "interop.minsafety",
		Usage: "Safety level every initiating message must have reached for the pool (unsafe, cross-unsafe, local-safe, safe or finalized)",
		Value: safety.CrossUnsafe.String(),
	}
	devnetSafeLagFlag = &cli.Uint64Flag{
		Name:  "devnet.safelag",
		Usage: "Simulated L1: a block becomes local-safe this many blocks after it is sequenced",
		Value: devnet.DefaultSafeLag,
	}
	devnetSafeLagOfFlag = &cli.StringSliceFlag{
		Name:  "devnet.safelagof",
		Usage: "Simulated L1 for one chain, <chainID>=<blocks> (repeatable): that chain's blocks become local-safe this many blocks late, to watch cross-safe wait for it",
	}
	devnetFinalizedLagFlag = &cli.Uint64Flag{
		Name:  "devnet.finalizedlag",
		Usage: "Simulated L1: a local-safe block becomes local-finalized this many blocks later",
		Value: devnet.DefaultFinalizedLag,
	}
	devnetAutoRelayFlag = &cli.BoolFlag{
		Name:  "devnet.autorelay",
		Usage: "Relay every L2ToL2CrossDomainMessenger message sent to a devnet chain with a dedicated prefunded relayer account (--devnet.autorelay=false to relay by hand)",
		Value: true,
	}
	devnetAdminPortFlag = &cli.IntFlag{
		Name:  "devnet.adminport",
		Usage: "Port of supersim's admin JSON-RPC (admin_getConfig, admin_getAccessListByMsgHash, ..., GET /ready) on 127.0.0.1 (0: a free port, the default with --devnet.port 0; negative: off)",
		Value: devnet.DefaultAdminPort,
	}
	devnetReplaceDelayFlag = &cli.DurationFlag{
		Name:  "devnet.replacedelay",
		Usage: "How long a denied block stays canonical before the sequencer replaces it (to watch it happen)",
	}
	interopFailsafeFlag = &cli.BoolFlag{
		Name:  "interop.failsafe",
		Usage: "Start with the interop failsafe on: interop transactions are refused and excluded from blocks",
	}
	interopMaxEntriesFlag = &cli.IntFlag{
		Name:  "interop.maxentries",
		Usage: "Maximum CrossL2Inbox access-list entries of one list, for the pool, the builder and interop_checkAccessList",
		Value: checker.DefaultMaxEntries,
	}
	interopGasMarginFlag = &cli.Uint64Flag{
		Name:  "interop.gasmargin",
		Usage: "Block gas kept free for system transactions: interop transactions may use at most the block gas limit minus this",
		Value: xparams.SystemTxGasMargin,
	}
	dataDirFlag = &cli.StringFlag{
		Name:  "datadir",
		Usage: "Data directory for the chains' databases (default: in memory, nothing kept)",
	}
)

var devnetCommand = &cli.Command{
	Name:  "devnet",
	Usage: "Run a multi-chain OP Stack interop devnet in this process",
	Description: `Starts OP Stack chains 901, 902, ... with every fork through Lagoon (interop) active at
genesis, native interop predeploys, each other in their dependency sets, and accounts 0-9 of
the test mnemonic prefunded. Each chain serves JSON-RPC over HTTP and WebSocket on 127.0.0.1.`,
	// geth's logging flags are accepted after `devnet` too, as geth users type them.
	Flags: slices.Concat([]cli.Flag{devnetChainsFlag, devnetChainIDsFlag, devnetDepsFlag, devnetPortFlag, devnetBlockTimeFlag, dataDirFlag,
		devnetSafeLagFlag, devnetSafeLagOfFlag, devnetFinalizedLagFlag, devnetReplaceDelayFlag, devnetAutoRelayFlag, devnetAdminPortFlag, interopRPCFlag, interopDepSetFlag, interopStartBlockFlag, interopStartTimeFlag, interopMinSafetyFlag, interopFailsafeFlag, interopMaxEntriesFlag, interopGasMarginFlag, devnetConsoleFlag},
		utils.LoggingFlags),
	Action: func(ctx *cli.Context) error {
		if err := devnetLogging(ctx); err != nil {
			return err
		}
		applyMetrics(ctx)
		n := ctx.Int(devnetChainsFlag.Name)
		if n < 1 || n > 64 {
			return fmt.Errorf("--%s must be between 1 and 64, got %d", devnetChainsFlag.Name, n)
		}
		cfg := devnet.DefaultConfig()
		cfg.ChainIDs = cfg.ChainIDs[:0]
		for i := 0; i < n; i++ {
			cfg.ChainIDs = append(cfg.ChainIDs, uint64(901+i))
		}
		if ids := ctx.String(devnetChainIDsFlag.Name); ids != "" {
			cfg.ChainIDs = cfg.ChainIDs[:0]
			for _, f := range strings.Split(ids, ",") {
				id, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
				if err != nil || id == 0 {
					return fmt.Errorf("--%s: bad chain ID %q", devnetChainIDsFlag.Name, f)
				}
				cfg.ChainIDs = append(cfg.ChainIDs, id)
			}
		}
		if spec := ctx.String(devnetDepsFlag.Name); spec != "" {
			g, err := devnetDeps(spec)
			if err != nil {
				return fmt.Errorf("--%s: %w", devnetDepsFlag.Name, err)
			}
			cfg.Cluster = g
			if !ctx.IsSet(devnetChainsFlag.Name) && !ctx.IsSet(devnetChainIDsFlag.Name) {
				cfg.ChainIDs = cfg.ChainIDs[:0]
				for _, id := range g.Chains() {
					if !id.IsUint64() {
						return fmt.Errorf("--%s: chain %s: the devnet runs chain IDs below 2^64 only", devnetDepsFlag.Name, id.Dec())
					}
					cfg.ChainIDs = append(cfg.ChainIDs, id.Uint64())
				}
			}
		}
		if err := interopConfig(ctx, &cfg); err != nil {
			return err
		}
		cfg.BasePort = ctx.Int(devnetPortFlag.Name)
		cfg.BlockTime = ctx.Duration(devnetBlockTimeFlag.Name)
		cfg.DataDir = ctx.String(dataDirFlag.Name)
		cfg.SafeLag, cfg.FinalizedLag = ctx.Uint64(devnetSafeLagFlag.Name), ctx.Uint64(devnetFinalizedLagFlag.Name)
		for _, v := range ctx.StringSlice(devnetSafeLagOfFlag.Name) {
			idStr, lagStr, ok := strings.Cut(v, "=")
			id, err1 := strconv.ParseUint(idStr, 10, 64)
			lag, err2 := strconv.ParseUint(lagStr, 10, 64)
			if !ok || err1 != nil || err2 != nil || id == 0 {
				return fmt.Errorf("--%s: want <chainID>=<blocks>, got %q", devnetSafeLagOfFlag.Name, v)
			}
			if !slices.Contains(cfg.ChainIDs, id) {
				return fmt.Errorf("--%s: chain %d is not run by this devnet", devnetSafeLagOfFlag.Name, id)
			}
			if cfg.SafeLagOf == nil {
				cfg.SafeLagOf = map[uint64]uint64{}
			}
			cfg.SafeLagOf[id] = lag
		}
		cfg.AutoRelay, cfg.AdminPort = ctx.Bool(devnetAutoRelayFlag.Name), ctx.Int(devnetAdminPortFlag.Name)
		if cfg.AdminPort > 65535 {
			return fmt.Errorf("--%s must be at most 65535", devnetAdminPortFlag.Name)
		}
		if cfg.BasePort == 0 && !ctx.IsSet(devnetAdminPortFlag.Name) {
			cfg.AdminPort = 0 // free ports for the chains: a free one for the admin API too
		}
		if cfg.ReplaceDelay = ctx.Duration(devnetReplaceDelayFlag.Name); cfg.ReplaceDelay < 0 {
			return fmt.Errorf("--%s must not be negative", devnetReplaceDelayFlag.Name)
		}

		if ctx.Bool(devnetConsoleFlag.Name) {
			quietForConsole(ctx)
		}
		d, err := devnet.Start(cfg)
		if errors.Is(err, devnet.ErrDependencySet) {
			flag := interopRPCFlag.Name
			if cfg.DepSet != nil {
				flag = interopDepSetFlag.Name
			}
			return fmt.Errorf("--%s: %w", flag, err)
		}
		if errors.Is(err, devnet.ErrCluster) {
			return fmt.Errorf("--%s: %w", devnetDepsFlag.Name, err)
		}
		if errors.Is(err, devnet.ErrAdminPort) {
			return fmt.Errorf("--%s (a negative value turns the admin API off): %w", devnetAdminPortFlag.Name, err)
		}
		if err != nil {
			return err
		}
		fmt.Println()
		d.PrintSummary(os.Stdout)
		fmt.Println()

		if ctx.Bool(devnetConsoleFlag.Name) {
			err = devnetConsole(ctx, d, cfg.DataDir)
		} else {
			waitForStop()
		}
		log.Info("Shutting down devnet")
		d.Close()
		return err
	},
}

// waitForStop blocks until the process is asked to stop. Tests replace it so that a command
// line that should have been refused returns instead of running forever.
var waitForStop = func() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	signal.Stop(sig)
}

// interopConfig applies the --interop.* flags to a devnet configuration.
func interopConfig(ctx *cli.Context, cfg *devnet.Config) error {
	lvl, err := safety.Parse(ctx.String(interopMinSafetyFlag.Name))
	if err == nil {
		err = devnet.CheckMinSafety(lvl)
	}
	if err != nil {
		return fmt.Errorf("--%s: %w", interopMinSafetyFlag.Name, err)
	}
	cfg.MinSafety = lvl
	cfg.Failsafe = ctx.Bool(interopFailsafeFlag.Name)
	if cfg.MaxEntries = ctx.Int(interopMaxEntriesFlag.Name); cfg.MaxEntries < 3 {
		return fmt.Errorf("--%s must be at least 3 (one message)", interopMaxEntriesFlag.Name)
	}
	cfg.GasMargin = ctx.Uint64(interopGasMarginFlag.Name)
	if cfg.RemoteStartTime = ctx.Uint64(interopStartTimeFlag.Name); cfg.RemoteStartTime == 0 {
		cfg.RemoteStartBlock = ctx.Uint64(interopStartBlockFlag.Name)
	}
	cfg.Remote = map[uint64]string{}
	if path := ctx.String(interopDepSetFlag.Name); path != "" {
		set, err := depset.Load(path)
		if err != nil {
			return fmt.Errorf("--%s: %w", interopDepSetFlag.Name, err)
		}
		cfg.DepSet = set // checked against the devnet's own chains by devnet.Start
	}
	for _, spec := range ctx.StringSlice(interopRPCFlag.Name) {
		idStr, url, ok := strings.Cut(spec, "=")
		id, err := strconv.ParseUint(idStr, 10, 64)
		if !ok || err != nil || id == 0 || url == "" {
			return fmt.Errorf("--%s: want <chainID>=<URL>, got %q", interopRPCFlag.Name, spec)
		}
		cfg.Remote[id] = url
	}
	return nil
}

// devnetDeps reads --devnet.deps: a cluster spec, or the path of an existing file holding one (commas
// or new lines between chains, # comments) or a dependency-set JSON file (its per-chain
// sets, or the full mesh of its chains).
func devnetDeps(v string) (*cluster.Graph, error) {
	if fi, err := os.Stat(v); err != nil || !fi.Mode().IsRegular() {
		return cluster.ParseSpec(v)
	}
	data, err := os.ReadFile(v)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		set, err := depset.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v, err)
		}
		return set.Cluster(), nil
	}
	var parts []string
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, p := range strings.Split(line, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
	}
	g, err := cluster.ParseSpec(strings.Join(parts, ","))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v, err)
	}
	return g, nil
}
