// Command xgeth is an OP Stack execution client with cross-chain interop inside the
// execution client. `xgeth devnet` runs a multi-chain interop devnet in one process.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/metrics"
	"github.com/ethereum/go-ethereum/metrics/exp"
	"github.com/urfave/cli/v2"
)

var (
	verbosityFlag = &cli.IntFlag{
		Name:  "verbosity",
		Usage: "Logging verbosity: 0=silent, 1=error, 2=warn, 3=info, 4=debug, 5=detail",
		Value: 3,
	}
	metricsFlag = &cli.BoolFlag{
		Name:  "metrics",
		Usage: "Enable metrics collection and the metrics HTTP server",
	}
	metricsAddrFlag = &cli.StringFlag{
		Name:  "metrics.addr",
		Usage: "Metrics HTTP server listening interface",
		Value: "127.0.0.1",
	}
	metricsPortFlag = &cli.IntFlag{
		Name:  "metrics.port",
		Usage: "Metrics HTTP server listening port (/debug/metrics, /debug/metrics/prometheus)",
		Value: 6060,
	}
)

func newApp() *cli.App {
	return &cli.App{
		Name:  "xgeth",
		Usage: "OP Stack execution client with in-process cross-chain interop",
		Flags: []cli.Flag{verbosityFlag, metricsFlag, metricsAddrFlag, metricsPortFlag},
		Before: func(ctx *cli.Context) error {
			setupLogging(ctx.Int(verbosityFlag.Name))
			setupFailpoints()
			if ctx.Bool(metricsFlag.Name) {
				metrics.Enable()
				exp.Setup(net.JoinHostPort(ctx.String(metricsAddrFlag.Name), strconv.Itoa(ctx.Int(metricsPortFlag.Name))))
			}
			return nil
		},
		Commands: []*cli.Command{devnetCommand, interopCommand},
	}
}

func setupLogging(verbosity int) {
	handler := log.NewTerminalHandlerWithLevel(os.Stderr, log.FromLegacyLevel(verbosity), true)
	log.SetDefault(log.NewLogger(handler))
}

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "Fatal:", err)
		os.Exit(1)
	}
}
