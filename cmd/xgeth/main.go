// Command xgeth is an OP Stack execution client with cross-chain interop inside the
// execution client. Without a subcommand it runs a node on op-geth's command line (swap the
// binary under op-node); `xgeth devnet` runs a multi-chain interop devnet in one process.
package main

import (
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/cmd/utils"
	"github.com/ethereum/go-ethereum/console/prompt"
	"github.com/urfave/cli/v2"
)

func newApp() *cli.App {
	app := &cli.App{
		Name:                 "xgeth",
		Usage:                "OP Stack execution client with in-process cross-chain interop",
		Version:              xgethVersion + " (op-geth " + opgethVersion + ")",
		EnableBashCompletion: true,
		Flags:                appFlags(),
		Action:               runNode,
		Before: func(ctx *cli.Context) error {
			utils.MigrateGlobalFlags(ctx)
			if err := utils.SetupLogging(ctx); err != nil {
				return err
			}
			utils.CheckEnvVars(ctx, ctx.App.Flags, "GETH")
			setupFailpoints()
			return nil
		},
		After: func(*cli.Context) error {
			utils.ExitLogging()
			prompt.Stdin.Close() // resets the terminal after a console
			return nil
		},
		Commands: []*cli.Command{initCommand, dumpGenesisCommand, versionCommand, consoleCommand, attachCommand, devnetCommand, interopCommand},
	}
	utils.AutoEnvVars(app.Flags, "GETH")
	return app
}

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "Fatal:", err)
		os.Exit(1)
	}
}
