package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/ethereum/go-ethereum/cmd/utils"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/node"
	"github.com/urfave/cli/v2"
	xparams "github.com/xgeth/xgeth/params"
)

var (
	initCommand = &cli.Command{
		Action:    initGenesis,
		Name:      "init",
		Usage:     "Bootstrap and initialize a new genesis block",
		ArgsUsage: "<genesisPath>",
		Flags: slices.Concat([]cli.Flag{
			utils.CachePreimagesFlag,
			utils.OverrideOsaka,
			utils.OverrideBPO1,
			utils.OverrideBPO2,
			utils.OverrideVerkle,
		}, utils.DatabaseFlags),
		Description: `
The init command writes the genesis block and chain configuration of genesis.json (op-geth's
format) into the data directory. xgeth reads one extension of the file: "config": {"xgeth":
{"nativeInteropPredeploys": true}} serves the interop predeploys natively from the Lagoon
fork on (devnets; a standard OP genesis keeps its Solidity predeploys).`,
	}
	dumpGenesisCommand = &cli.Command{
		Action:    dumpGenesis,
		Name:      "dumpgenesis",
		Usage:     "Dumps genesis block JSON configuration to stdout",
		ArgsUsage: "",
		Flags:     slices.Concat([]cli.Flag{utils.DataDirFlag}, utils.NetworkFlags),
		Description: `
The dumpgenesis command prints the genesis configuration of the network preset
if one is set. Otherwise it prints the genesis from the datadir.`,
	}
	versionCommand = &cli.Command{
		Action:    printVersion,
		Name:      "version",
		Usage:     "Print version numbers",
		ArgsUsage: " ",
	}
)

func initGenesis(ctx *cli.Context) error {
	if ctx.Args().Len() != 1 {
		return errors.New("need genesis.json file as the only argument")
	}
	data, err := os.ReadFile(ctx.Args().First())
	if err != nil {
		return fmt.Errorf("failed to read genesis file: %w", err)
	}
	genesis := new(core.Genesis)
	if err := json.Unmarshal(data, genesis); err != nil {
		return fmt.Errorf("invalid genesis file: %w", err)
	}
	if genesis.Config == nil || genesis.Config.ChainID == nil {
		return errors.New("invalid genesis file: no config.chainId")
	}
	extras, err := parseGenesisExtras(data)
	if err != nil {
		return fmt.Errorf("invalid genesis file: %w", err)
	}
	cfg := nodeConfig(ctx)
	stack, err := node.New(&cfg)
	if err != nil {
		return fmt.Errorf("failed to create the protocol stack: %w", err)
	}
	defer stack.Close()

	var overrides core.ChainOverrides
	for f, dst := range map[*cli.Uint64Flag]**uint64{utils.OverrideOsaka: &overrides.OverrideOsaka, utils.OverrideBPO1: &overrides.OverrideBPO1,
		utils.OverrideBPO2: &overrides.OverrideBPO2, utils.OverrideVerkle: &overrides.OverrideVerkle} {
		if ctx.IsSet(f.Name) {
			v := ctx.Uint64(f.Name)
			*dst = &v
		}
	}
	chaindb := utils.MakeChainDatabase(ctx, stack, false)
	defer chaindb.Close()
	triedb := utils.MakeTrieDatabase(ctx, stack, chaindb, ctx.Bool(utils.CachePreimagesFlag.Name), false, genesis.IsVerkle())
	defer triedb.Close()
	_, hash, compatErr, err := core.SetupGenesisBlockWithOverride(chaindb, triedb, genesis, &overrides, nil)
	if err != nil {
		return fmt.Errorf("failed to write genesis block: %w", err)
	}
	if compatErr != nil {
		return fmt.Errorf("failed to write chain config: %v", compatErr)
	}
	if err := writeGenesisExtras(chaindb, hash, extras); err != nil {
		return fmt.Errorf("failed to write xgeth genesis options: %w", err)
	}
	log.Info("Successfully wrote genesis state", "database", "chaindata", "hash", hash, "nativeInteropPredeploys", extras.NativeInteropPredeploys)
	return nil
}

func dumpGenesis(ctx *cli.Context) error {
	if utils.IsNetworkPreset(ctx) {
		return json.NewEncoder(os.Stdout).Encode(utils.MakeGenesis(ctx))
	}
	cfg := nodeConfig(ctx)
	stack, err := node.New(&cfg)
	if err != nil {
		return err
	}
	defer stack.Close()
	db, err := stack.OpenDatabaseWithOptions("chaindata", node.DatabaseOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("no genesis in %s (run init first): %w", stack.DataDir(), err)
	}
	defer db.Close()
	genesis, err := core.ReadGenesis(db)
	if err != nil {
		return fmt.Errorf("failed to read genesis: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(*genesis)
}

func printVersion(*cli.Context) error {
	fmt.Println("Xgeth")
	fmt.Println("Version:", xgethVersion)
	fmt.Println("op-geth Version:", opgethVersion)
	fmt.Println("Upstream Version:", utils.UpstreamVersionWithMeta)
	fmt.Println("Architecture:", runtime.GOARCH)
	fmt.Println("Go Version:", runtime.Version())
	fmt.Println("Operating System:", runtime.GOOS)
	return nil
}

// genesisExtrasKey prefixes, per genesis hash, the xgeth options a genesis file opted in to.
var genesisExtrasKey = []byte("xgeth-genesis-extras-")

// genesisExtrasJSON is the "xgeth" object inside a genesis file's "config".
type genesisExtrasJSON struct {
	NativeInteropPredeploys bool `json:"nativeInteropPredeploys"`
}

// parseGenesisExtras reads config.xgeth of a genesis file. Unknown fields are errors, so a
// misspelt option is not silently ignored.
func parseGenesisExtras(genesis []byte) (xparams.ChainExtras, error) {
	var doc struct {
		Config struct {
			Xgeth json.RawMessage `json:"xgeth"`
		} `json:"config"`
	}
	if err := json.Unmarshal(genesis, &doc); err != nil {
		return xparams.ChainExtras{}, err
	}
	if len(doc.Config.Xgeth) == 0 || string(doc.Config.Xgeth) == "null" {
		return xparams.ChainExtras{}, nil
	}
	var x genesisExtrasJSON
	dec := json.NewDecoder(bytes.NewReader(doc.Config.Xgeth))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return xparams.ChainExtras{}, fmt.Errorf("config.xgeth: %w", err)
	}
	return xparams.ChainExtras{NativeInteropPredeploys: x.NativeInteropPredeploys}, nil
}

func writeGenesisExtras(db ethdb.KeyValueWriter, genesis common.Hash, e xparams.ChainExtras) error {
	data, err := json.Marshal(genesisExtrasJSON{NativeInteropPredeploys: e.NativeInteropPredeploys})
	if err != nil {
		return err
	}
	return db.Put(append(slices.Clone(genesisExtrasKey), genesis[:]...), data)
}

func readGenesisExtras(db ethdb.KeyValueReader, genesis common.Hash) (xparams.ChainExtras, error) {
	key := append(slices.Clone(genesisExtrasKey), genesis[:]...)
	if ok, err := db.Has(key); err != nil || !ok {
		return xparams.ChainExtras{}, err // !ok: initialised by op-geth, no extras
	}
	data, err := db.Get(key)
	if err != nil {
		return xparams.ChainExtras{}, fmt.Errorf("stored xgeth genesis options: %w", err)
	}
	var x genesisExtrasJSON
	if err := json.Unmarshal(data, &x); err != nil {
		return xparams.ChainExtras{}, fmt.Errorf("stored xgeth genesis options: %w", err)
	}
	return xparams.ChainExtras{NativeInteropPredeploys: x.NativeInteropPredeploys}, nil
}
