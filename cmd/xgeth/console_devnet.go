package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/node"
	"github.com/urfave/cli/v2"
	"github.com/xgeth/xgeth/cmd/xgeth/devnet"
)

var devnetConsoleFlag = &cli.BoolFlag{
	Name:  "console",
	Usage: "Open the JavaScript console (with the interop object) on the first chain; leaving it stops the devnet",
}

// devnetConsole opens the console on d's first chain through an in-process client, and
// returns when the user leaves it or the process gets SIGTERM. Ctrl-C belongs to the
// console (it interrupts the running statement), as in geth's console.
func devnetConsole(ctx *cli.Context, d *devnet.Devnet, dataDir string) error {
	if dataDir == "" {
		dataDir = node.DefaultDataDir() // console history, as `xgeth attach` keeps it
	}
	endpoints := map[uint64]string{}
	for _, c := range d.Chains {
		endpoints[c.ID] = c.HTTPEndpoint()
	}
	client := d.Chains[0].Node.Attach()
	defer client.Close()
	done := make(chan struct{})
	defer close(done)
	return runConsole(ctx, client, consoleOptions{dataDir: dataDir, endpoints: endpoints, ended: func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		defer signal.Stop(sig)
		select {
		case <-sig:
		case <-done:
		}
	}})
}

// quietForConsole keeps log records below warning off the terminal unless --verbosity asks
// for them: the sequencer's line per block would run through the prompt. It must run before
// the devnet starts, as loggers copy the root handler when they are made.
func quietForConsole(ctx *cli.Context) {
	if ctx.IsSet("verbosity") {
		return
	}
	log.SetDefault(log.NewLogger(minLevel{log.Root().Handler(), slog.LevelWarn}))
	fmt.Println("Logs below warning are hidden while the console is open (--verbosity 3 shows them).")
}

// minLevel passes records at or above min to next, except the RPC server's.
type minLevel struct {
	next slog.Handler
	min  slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.next.Enabled(ctx, l)
}

func (m minLevel) Handle(ctx context.Context, r slog.Record) error {
	// The RPC server warns about every call that fails; in-process, that is the console's
	// own call, whose error the console prints anyway.
	if r.Level < m.min || strings.HasPrefix(r.Message, "Served ") {
		return nil
	}
	return m.next.Handle(ctx, r)
}

func (m minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{m.next.WithAttrs(as), m.min}
}

func (m minLevel) WithGroup(name string) slog.Handler { return minLevel{m.next.WithGroup(name), m.min} }
