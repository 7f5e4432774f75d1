package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/dop251/goja"
	"github.com/ethereum/go-ethereum/cmd/utils"
	"github.com/ethereum/go-ethereum/console"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/urfave/cli/v2"
)

var (
	consoleCommand = &cli.Command{
		Action: localConsole,
		Name:   "console",
		Usage:  "Start an interactive JavaScript environment",
		Flags:  slices.Concat(nodeFlags, rpcFlags, consoleFlags, interopNodeFlags),
		Description: `
Starts the node as the root command does and opens geth's JavaScript console on it, with
every RPC namespace the node serves in-process (interop_ and supervisor_ included).`,
	}
	attachCommand = &cli.Command{
		Action:    remoteConsole,
		Name:      "attach",
		Usage:     "Start an interactive JavaScript environment (connect to node)",
		ArgsUsage: "[endpoint]",
		Flags:     slices.Concat([]cli.Flag{utils.DataDirFlag, utils.HttpHeaderFlag}, consoleFlags),
		Description: `
Opens geth's JavaScript console on a running node: an IPC path, or an http://, ws:// URL.
Without an endpoint it attaches to the IPC socket in --datadir.`,
	}
)

// localConsole starts a node and opens a console on it in-process.
func localConsole(ctx *cli.Context) error {
	stack, err := makeNode(ctx)
	if err != nil {
		return err
	}
	defer stack.Close()
	utils.StartNode(ctx, stack, true)
	// The node going down (SIGTERM) ends the console.
	return runConsole(ctx, stack.Attach(), consoleOptions{dataDir: utils.MakeDataDir(ctx), ended: stack.Wait})
}

// remoteConsole opens a console on a running node.
func remoteConsole(ctx *cli.Context) error {
	if ctx.Args().Len() > 1 {
		return errors.New("invalid command line: too many arguments (want one endpoint)")
	}
	endpoint := ctx.Args().First()
	if endpoint == "" {
		cfg := nodeConfig(ctx)
		endpoint = cfg.IPCEndpoint()
	}
	client, err := utils.DialRPCWithHeaders(endpoint, ctx.StringSlice(utils.HttpHeaderFlag.Name))
	if err != nil {
		return fmt.Errorf("unable to attach to %s: %w", endpoint, err)
	}
	return runConsole(ctx, client, consoleOptions{dataDir: utils.MakeDataDir(ctx)})
}

// consoleOptions say where a console keeps its history and what else it knows.
type consoleOptions struct {
	dataDir string
	// endpoints are other chains' JSON-RPC URLs for the interop object (chain ID → URL).
	endpoints map[uint64]string
	// ended, when not nil, returns when the console must close (the node went down).
	ended func()
}

// runConsole runs geth's JavaScript console on client, with the interop object: --exec's
// script, or the interactive prompt until the user leaves or opts.ended returns.
func runConsole(ctx *cli.Context, client *rpc.Client, opts consoleOptions) error {
	c, err := console.New(console.Config{
		DataDir: opts.dataDir,
		DocRoot: ctx.String(utils.JSpathFlag.Name),
		Client:  client,
	})
	if err != nil {
		return fmt.Errorf("failed to start the JavaScript console: %w", err)
	}
	defer c.Stop(false)
	bindings := new(interopBindings)
	defer bindings.Close()
	if err := installInterop(c, bindings, opts.endpoints); err != nil {
		return fmt.Errorf("failed to start the JavaScript console: %w", err)
	}
	// --preload scripts run after the interop object exists, so they can use it (geth's
	// console would run them before anything of ours is defined).
	for _, path := range utils.MakeConsolePreloads(ctx) {
		if err := preload(c, path); err != nil {
			return fmt.Errorf("failed to start the JavaScript console: %w", err)
		}
	}
	if script := ctx.String(utils.ExecFlag.Name); script != "" {
		c.Evaluate(script)
		return nil
	}
	if opts.ended != nil {
		go func() {
			opts.ended()
			c.StopInteractive()
		}()
	}
	c.Welcome()
	fmt.Println("interop: cross-chain helpers, see interop.help()")
	c.Interactive()
	return nil
}

// preload runs the JavaScript file at path on the console's runtime, as geth's --preload.
func preload(c *console.Console, path string) error {
	code, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	c.Do(func(vm *goja.Runtime) {
		if _, err = vm.RunScript(path, string(code)); err != nil {
			if ex, ok := err.(*goja.Exception); ok {
				err = errors.New(ex.String())
			}
		}
	})
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}
