package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/cmd/utils"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/urfave/cli/v2"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
	"github.com/xgeth/xgeth/cmd/xgeth/wiring"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/follower"
	"github.com/xgeth/xgeth/interop/safety"
	"github.com/xgeth/xgeth/interop/service"
	xparams "github.com/xgeth/xgeth/params"
	"github.com/xgeth/xgeth/txpool"
	xvm "github.com/xgeth/xgeth/vm"
)

// clientName keeps geth's data directory layout (<datadir>/geth/chaindata), so that swapping
// op-geth's binary for xgeth's is the whole migration.
const clientName = "geth"

// interopDBName is the log index database, beside chaindata in the instance directory.
const interopDBName = "xgeth-interop"

// runNode is the root command: an execution-client node on op-geth's command line, with
// the interop service inside it when the chain schedules interop or --interop.depset is given.
func runNode(ctx *cli.Context) error {
	if args := ctx.Args().Slice(); len(args) > 0 {
		return fmt.Errorf("invalid command: %q", args[0])
	}
	stack, err := makeNode(ctx)
	if err != nil {
		return err
	}
	defer stack.Close()
	utils.StartNode(ctx, stack, false)
	stack.Wait()
	return nil
}

type interopParts struct {
	svc   *service.Service
	db    ethdb.KeyValueStore
	wired *wiring.Chain
}

// Start keeps the chain's labels on the safety engine's heads once the node runs
// (node.Lifecycle). The followers started earlier, in makeNode.
func (p *interopParts) Start() error {
	p.wired.Start()
	return nil
}

// Stop stops them before the chain shuts down, then closes the index.
func (p *interopParts) Stop() error {
	p.wired.Stop()
	p.svc.Stop()
	return p.db.Close()
}

// nodeConfig is geth's node configuration from the command line, as cmd/geth makes it.
func nodeConfig(ctx *cli.Context) node.Config {
	cfg := node.DefaultConfig
	cfg.Name = clientName
	cfg.Version = strings.TrimPrefix(opgethVersion, "v") + "-xgeth-" + xgethVersion
	cfg.HTTPModules = append(cfg.HTTPModules, "eth")
	cfg.WSModules = append(cfg.WSModules, "eth")
	cfg.IPCPath = clientName + ".ipc"
	utils.SetNodeConfig(ctx, &cfg)
	return cfg
}

// makeNode builds the node from the command line. Everything that can be checked without
// the chain's database (interop flags, the dependency-set file, the JWT secret file) is
// checked before anything is created on disk.
func makeNode(ctx *cli.Context) (*node.Node, error) {
	icfg, err := interopFlags(ctx)
	if err != nil {
		return nil, err
	}
	if path := ctx.String(utils.JWTSecretFlag.Name); path != "" {
		// geth would write a fresh secret here, which the consensus client cannot know.
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--%s: %w (create it with `openssl rand -hex 32 > %s`, and give the same file to the consensus client)", utils.JWTSecretFlag.Name, err, path)
		}
	}
	cfg := nodeConfig(ctx)
	stack, err := node.New(&cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create the protocol stack: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			stack.Close()
		}
	}()
	ethCfg := ethconfig.Defaults
	utils.SetEthConfig(ctx, stack, &ethCfg)
	applyOverrides(ctx, &ethCfg)
	applyMetrics(ctx)

	chainCfg, genesisExtras, err := storedChainConfig(stack, &ethCfg)
	if err != nil {
		return nil, err
	}
	if chainCfg != nil && genesisExtras.NativeInteropPredeploys {
		xvm.Install()
		if err := xparams.RegisterChainExtras(chainCfg.ChainID, genesisExtras); err != nil {
			return nil, err
		}
		log.Info("Genesis opts in to native interop predeploys", "chain", chainCfg.ChainID)
	}
	parts, err := prepareInterop(stack, icfg, chainCfg, &ethCfg)
	if err != nil {
		return nil, err
	}
	backend, ethBackend := utils.RegisterEthService(stack, &ethCfg)
	filters := utils.RegisterFilterAPI(stack, backend, &ethCfg)
	if ctx.IsSet(utils.GraphQLEnabledFlag.Name) {
		utils.RegisterGraphQLService(stack, backend, filters, &cfg)
	}
	if url := ctx.String(utils.EthStatsURLFlag.Name); url != "" {
		utils.RegisterEthStatsService(stack, backend, url)
	}
	if parts != nil {
		// The engine API (with the safety engine in the loop), the follower of this chain
		// and the interop RPC: the wiring the devnet shares.
		if err := parts.wired.Attach(stack, ethBackend); err != nil {
			parts.svc.Stop()
			parts.db.Close()
			return nil, err
		}
		// Followers start before the node opens its RPC endpoints (which geth does before
		// starting lifecycles), so that after a crash that lost the newest blocks of the
		// chain database the index rewinds to the chain at once, not seconds later.
		if err := parts.svc.Start(); err != nil {
			parts.db.Close()
			return nil, err
		}
		stack.RegisterLifecycle(parts)
	} else if err := registerPlainEngine(stack, ethBackend); err != nil {
		return nil, err
	}
	ok = true
	return stack, nil
}

// applyOverrides applies the fork override flags as cmd/geth does.
func applyOverrides(ctx *cli.Context, cfg *ethconfig.Config) {
	set := func(f *cli.Uint64Flag, dst **uint64) {
		if ctx.IsSet(f.Name) {
			v := ctx.Uint64(f.Name)
			*dst = &v
		}
	}
	set(utils.OverrideOsaka, &cfg.OverrideOsaka)
	set(utils.OverrideBPO1, &cfg.OverrideBPO1)
	set(utils.OverrideBPO2, &cfg.OverrideBPO2)
	set(utils.OverrideVerkle, &cfg.OverrideVerkle)
	set(utils.OverrideOptimismCanyon, &cfg.OverrideOptimismCanyon)
	set(utils.OverrideOptimismEcotone, &cfg.OverrideOptimismEcotone)
	set(utils.OverrideOptimismFjord, &cfg.OverrideOptimismFjord)
	set(utils.OverrideOptimismGranite, &cfg.OverrideOptimismGranite)
	set(utils.OverrideOptimismHolocene, &cfg.OverrideOptimismHolocene)
	set(utils.OverrideOptimismIsthmus, &cfg.OverrideOptimismIsthmus)
	set(utils.OverrideOptimismJovian, &cfg.OverrideOptimismJovian)
	set(utils.OverrideOptimismKarst, &cfg.OverrideOptimismKarst)
	set(utils.OverrideOptimismInterop, &cfg.OverrideOptimismInterop)
}

// applyMetrics enables metrics and their exporters from the --metrics* flags.
func applyMetrics(ctx *cli.Context) {
	cfg := metrics.DefaultConfig
	if ctx.IsSet(utils.MetricsEnabledFlag.Name) {
		cfg.Enabled = ctx.Bool(utils.MetricsEnabledFlag.Name)
	}
	if ctx.IsSet(utils.MetricsEnabledExpensiveFlag.Name) {
		log.Warn("Expensive metrics are collected by default, please remove this flag", "flag", utils.MetricsEnabledExpensiveFlag.Name)
	}
	if ctx.IsSet(utils.MetricsHTTPFlag.Name) {
		cfg.HTTP = ctx.String(utils.MetricsHTTPFlag.Name)
	}
	if ctx.IsSet(utils.MetricsPortFlag.Name) {
		cfg.Port = ctx.Int(utils.MetricsPortFlag.Name)
	}
	if ctx.IsSet(utils.MetricsEnableInfluxDBFlag.Name) {
		cfg.EnableInfluxDB = ctx.Bool(utils.MetricsEnableInfluxDBFlag.Name)
	}
	strs := map[*cli.StringFlag]*string{
		utils.MetricsInfluxDBEndpointFlag: &cfg.InfluxDBEndpoint, utils.MetricsInfluxDBDatabaseFlag: &cfg.InfluxDBDatabase,
		utils.MetricsInfluxDBUsernameFlag: &cfg.InfluxDBUsername, utils.MetricsInfluxDBPasswordFlag: &cfg.InfluxDBPassword,
		utils.MetricsInfluxDBTagsFlag: &cfg.InfluxDBTags, utils.MetricsInfluxDBTokenFlag: &cfg.InfluxDBToken,
		utils.MetricsInfluxDBBucketFlag: &cfg.InfluxDBBucket, utils.MetricsInfluxDBOrganizationFlag: &cfg.InfluxDBOrganization,
	}
	for f, dst := range strs {
		if ctx.IsSet(f.Name) {
			*dst = ctx.String(f.Name)
		}
	}
	if ctx.IsSet(utils.MetricsEnableInfluxDBV2Flag.Name) {
		cfg.EnableInfluxDBV2 = ctx.Bool(utils.MetricsEnableInfluxDBV2Flag.Name)
	}
	if ctx.IsSet(utils.MetricsInfluxDBIntervalFlag.Name) {
		cfg.InfluxDBInterval = ctx.Duration(utils.MetricsInfluxDBIntervalFlag.Name)
	}
	// --metrics.addr alone turns metrics on.
	if ctx.IsSet(utils.MetricsHTTPFlag.Name) {
		cfg.Enabled = true
	}
	utils.SetupMetrics(&cfg)
}

// storedChainConfig is the chain configuration the node will run: the one init wrote into
// the database, else the network preset's. Nil when neither exists yet (geth then writes
// mainnet's genesis). extras are the xgeth options the genesis file opted in to at init.
func storedChainConfig(stack *node.Node, ethCfg *ethconfig.Config) (*params.ChainConfig, xparams.ChainExtras, error) {
	var extras xparams.ChainExtras
	db, err := stack.OpenDatabaseWithOptions("chaindata", node.DatabaseOptions{ReadOnly: true})
	if err != nil {
		// No database yet (never initialised): the preset's genesis, if any.
		if ethCfg.Genesis != nil {
			return ethCfg.Genesis.Config, extras, nil
		}
		return nil, extras, nil
	}
	defer db.Close()
	hash := rawdb.ReadCanonicalHash(db, 0)
	if hash == ([32]byte{}) {
		if ethCfg.Genesis != nil {
			return ethCfg.Genesis.Config, extras, nil
		}
		return nil, extras, nil
	}
	cfg := rawdb.ReadChainConfig(db, hash)
	if cfg == nil {
		return nil, extras, fmt.Errorf("database has genesis %s but no chain configuration", hash)
	}
	extras, err = readGenesisExtras(db, hash)
	return cfg, extras, err
}

// interopNodeConfig is what the --interop.* flags say, checked before the node is created.
type interopNodeConfig struct {
	disable      bool        // --interop.disable: no interop service
	rewindDenied bool        // --interop.rewinddenied
	set          *depset.Set // nil: no --interop.depset
	remote       map[uint256.Int]string
	blockTime    uint64
	minSafety    safety.Level
	failsafe     bool
	maxEntries   int
	gasMargin    uint64
	startBlock   uint64
	startTime    uint64
}

func interopFlags(ctx *cli.Context) (*interopNodeConfig, error) {
	c := &interopNodeConfig{remote: map[uint256.Int]string{}, failsafe: ctx.Bool(interopFailsafeFlag.Name), gasMargin: ctx.Uint64(interopGasMarginFlag.Name),
		rewindDenied: ctx.Bool(interopRewindDeniedFlag.Name)}
	lvl, err := safety.Parse(ctx.String(interopMinSafetyFlag.Name))
	if err == nil {
		err = devnet.CheckMinSafety(lvl)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", interopMinSafetyFlag.Name, err)
	}
	c.minSafety = lvl
	if c.maxEntries = ctx.Int(interopMaxEntriesFlag.Name); c.maxEntries < 3 {
		return nil, fmt.Errorf("--%s must be at least 3 (one message)", interopMaxEntriesFlag.Name)
	}
	if c.blockTime = ctx.Uint64(interopBlockTimeFlag.Name); c.blockTime == 0 {
		return nil, fmt.Errorf("--%s must be at least 1", interopBlockTimeFlag.Name)
	}
	if c.startTime = ctx.Uint64(interopStartTimeFlag.Name); c.startTime == 0 {
		c.startBlock = ctx.Uint64(interopStartBlockFlag.Name)
	}
	if path := ctx.String(interopDepSetFlag.Name); path != "" {
		if c.set, err = depset.Load(path); err != nil {
			return nil, fmt.Errorf("--%s: %w", interopDepSetFlag.Name, err)
		}
	}
	for _, spec := range ctx.StringSlice(interopRPCFlag.Name) {
		idStr, url, ok := strings.Cut(spec, "=")
		if !ok || url == "" {
			return nil, fmt.Errorf("--%s: want <chainID>=<URL>, got %q", interopRPCFlag.Name, spec)
		}
		id, err := depset.ParseChainID(idStr)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", interopRPCFlag.Name, err)
		}
		c.remote[*id] = url
	}
	if c.disable = ctx.Bool(interopDisableFlag.Name); c.disable && (c.set != nil || len(c.remote) > 0) {
		return nil, fmt.Errorf("--%s cannot be combined with --%s or --%s", interopDisableFlag.Name, interopDepSetFlag.Name, interopRPCFlag.Name)
	}
	if len(c.remote) > 0 && c.set == nil {
		return nil, fmt.Errorf("--%s needs --%s (the chains it names must be in the dependency set)", interopRPCFlag.Name, interopDepSetFlag.Name)
	}
	return c, nil
}

// errInterop: the interop configuration does not fit the chain. The message names the flag.
var errInterop = errors.New("interop")

// prepareInterop decides whether the chain runs interop and, if so, opens the log index and
// the service and sets the pool filter and builder checker into ethCfg (before eth.New).
func prepareInterop(stack *node.Node, c *interopNodeConfig, chainCfg *params.ChainConfig, ethCfg *ethconfig.Config) (*interopParts, error) {
	scheduled := chainCfg != nil && chainCfg.LagoonTime != nil
	if c.disable {
		if scheduled {
			log.Warn("Interop is scheduled but disabled by flag: no log index, no interop checks, no cross-chain safety", "flag", "--"+interopDisableFlag.Name)
		}
		return nil, nil
	}
	if !scheduled {
		if c.set != nil {
			return nil, fmt.Errorf("--%s: %w: the chain's genesis schedules no interop fork (lagoonTime); initialise the datadir with a genesis that does, or use --%s", interopDepSetFlag.Name, errInterop, utils.OverrideOptimismInterop.Name)
		}
		return nil, nil
	}
	if !chainCfg.ChainID.IsUint64() {
		return nil, fmt.Errorf("%w: chain ID %s is not supported (above 2^64)", errInterop, chainCfg.ChainID)
	}
	id := uint256.MustFromBig(chainCfg.ChainID)
	local := depset.Chain{ID: *id, ActivationTime: *chainCfg.LagoonTime, BlockTime: c.blockTime}
	set := c.set
	if set == nil {
		var err error
		if set, err = depset.New([]depset.Chain{local}, 0); err != nil {
			return nil, err
		}
		log.Warn("Interop is scheduled but no dependency set is given: running with this chain alone", "chain", id.Dec(), "lagoonTime", *chainCfg.LagoonTime, "flag", "--"+interopDepSetFlag.Name)
	} else {
		var err error
		if set, err = completeSet(set, local, c); err != nil {
			return nil, fmt.Errorf("--%s: %w", interopDepSetFlag.Name, err)
		}
	}
	if err := set.Validate(id); err != nil {
		return nil, fmt.Errorf("--%s: %w", interopDepSetFlag.Name, err)
	}
	var (
		db  ethdb.KeyValueStore = memorydb.New()
		err error
	)
	if path := stack.ResolvePath(interopDBName); path != "" {
		if db, err = pebble.New(path, 64, 64, "xgeth/interop/db/", false); err != nil {
			return nil, fmt.Errorf("interop index database: %w", err)
		}
	}
	follow, unseen := set.Reach(id)
	svc, err := service.New(service.Config{DepSet: set, Follow: follow, DB: db, Failsafe: c.failsafe, StartBlock: c.startBlock, StartTime: c.startTime,
		Checker: checker.Config{MaxEntries: c.maxEntries}})
	if err != nil {
		db.Close()
		return nil, err
	}
	pool := txpool.DefaultConfig(id)
	pool.MinSafety, pool.GasMargin = c.minSafety, c.gasMargin
	wired := wiring.Prepare(ethCfg, svc, id.Uint64(), pool, c.blockTime)
	wired.RewindDenied = c.rewindDenied
	g := set.Cluster()
	for _, ch := range set.Chains() {
		switch {
		case ch.ID.Eq(id):
			log.Info("Interop chain (this node)", "chain", ch.ID.Dec(), "activation", ch.ActivationTime, "blocktime", ch.BlockTime,
				"deps", cluster.IDList(g.Direct(id)), "transitive", cluster.IDList(g.Transitive(id)))
		case slices.Contains(follow, ch.ID):
			log.Info("Interop chain (followed)", "chain", ch.ID.Dec(), "activation", ch.ActivationTime, "blocktime", ch.BlockTime, "rpc", follower.RedactURL(ch.RPC))
		case slices.Contains(unseen, ch.ID):
			log.Warn("Interop chain of the transitive dependency set cannot be followed (no rpc endpoint): blocks that depend on it will not become cross-safe here",
				"chain", ch.ID.Dec(), "flag", "--"+interopRPCFlag.Name)
		default:
			log.Info("Interop chain not followed: outside this chain's transitive dependency set", "chain", ch.ID.Dec())
		}
	}
	return &interopParts{svc: svc, db: db, wired: wired}, nil
}

// completeSet fills in what the dependency-set file leaves out: this chain's timing from its
// genesis, the other chains' endpoints from --interop.rpc, and their timing (when the file
// gives none) from this chain's, as chains of one set activate interop together.
func completeSet(set *depset.Set, local depset.Chain, c *interopNodeConfig) (*depset.Set, error) {
	own, ok := set.Chain(&local.ID)
	if !ok {
		return nil, fmt.Errorf("%w: this chain (%s, from its genesis) is not in the dependency set (members: %s)", errInterop, local.ID.Dec(), set.IDList())
	}
	if own.HasTiming() && (own.ActivationTime != local.ActivationTime) {
		return nil, fmt.Errorf("%w: chain %s: activationTime %d differs from the genesis lagoonTime %d", errInterop, local.ID.Dec(), own.ActivationTime, local.ActivationTime)
	}
	if own.HasTiming() {
		local.BlockTime = own.BlockTime
	}
	for id := range c.remote {
		if id.Eq(&local.ID) {
			return nil, fmt.Errorf("%w: --%s names this node's own chain %s", errInterop, interopRPCFlag.Name, id.Dec())
		}
		if !set.Has(&id) {
			return nil, fmt.Errorf("%w: --%s names chain %s, which is not in the dependency set (members: %s)", errInterop, interopRPCFlag.Name, id.Dec(), set.IDList())
		}
	}
	out, err := set.With(local)
	if err != nil {
		return nil, err
	}
	for _, ch := range out.Chains() {
		if ch.ID.Eq(&local.ID) {
			continue
		}
		if url, ok := c.remote[ch.ID]; ok {
			ch.RPC = url
		}
		if !ch.HasTiming() {
			ch.ActivationTime, ch.BlockTime = local.ActivationTime, local.BlockTime
		}
		if out, err = out.With(ch); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// xgethVersion is xgeth's own version; opgethVersion the op-geth release it patches
// (patches/OPGETH_VERSION; a test keeps the two equal).
const (
	xgethVersion  = "0.8.0"
	opgethVersion = "v1.101702.3"
)

// registerPlainEngine serves op-geth's engine API unchanged on a chain without interop.
func registerPlainEngine(stack *node.Node, backend *eth.Ethereum) error {
	return catalyst.Register(stack, backend)
}
