package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/log"
	"github.com/urfave/cli/v2"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
)

var (
	devnetChainsFlag = &cli.IntFlag{
		Name:  "devnet.chains",
		Usage: "Number of chains; chain i has ID 901+i",
		Value: 2,
	}
	devnetPortFlag = &cli.IntFlag{
		Name:  "devnet.port",
		Usage: "JSON-RPC port (HTTP and WebSocket) of the first chain; chain i listens on port+i (0: free ports)",
		Value: 9545,
	}
	devnetBlockTimeFlag = &cli.DurationFlag{
		Name:  "devnet.blocktime",
		Usage: "Block time of every chain (whole seconds)",
		Value: 2 * time.Second,
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
	Flags: []cli.Flag{devnetChainsFlag, devnetPortFlag, devnetBlockTimeFlag, dataDirFlag},
	Action: func(ctx *cli.Context) error {
		n := ctx.Int(devnetChainsFlag.Name)
		if n < 1 || n > 64 {
			return fmt.Errorf("--%s must be between 1 and 64, got %d", devnetChainsFlag.Name, n)
		}
		cfg := devnet.DefaultConfig()
		cfg.ChainIDs = cfg.ChainIDs[:0]
		for i := 0; i < n; i++ {
			cfg.ChainIDs = append(cfg.ChainIDs, uint64(901+i))
		}
		cfg.BasePort = ctx.Int(devnetPortFlag.Name)
		cfg.BlockTime = ctx.Duration(devnetBlockTimeFlag.Name)
		cfg.DataDir = ctx.String(dataDirFlag.Name)

		d, err := devnet.Start(cfg)
		if err != nil {
			return err
		}
		fmt.Println()
		d.PrintSummary(os.Stdout)
		fmt.Println()

		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		log.Info("Shutting down devnet")
		d.Close()
		return nil
	},
}
