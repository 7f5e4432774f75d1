package main

import (
	"context"
	"log/slog"
	"runtime"
	"strings"

	"github.com/ethereum/go-ethereum/cmd/utils"
	"github.com/ethereum/go-ethereum/log"
	"github.com/urfave/cli/v2"
)

// devnetLogging applies logging flags typed after `devnet` (the app's Before only saw those
// before it), then, at the default verbosity or below, keeps op-geth's own informational
// chatter (payload building, imports, fork banners) out of the devnet's log: the devnet says
// one line per block per chain instead. --verbosity 4 and above shows everything.
func devnetLogging(ctx *cli.Context) error {
	if typedAfterCommand(ctx, utils.LoggingFlags) {
		if err := utils.SetupLogging(ctx); err != nil {
			return err
		}
	}
	// --verbosity counts 0 (silent) … 3 (info) … 5 (trace).
	if ctx.Int("verbosity") <= 3 && !ctx.IsSet("log.vmodule") {
		log.SetDefault(log.NewLogger(quietUpstream{log.Root().Handler()}))
	}
	return nil
}

// typedAfterCommand reports whether any of fs was set on the command's own line and not on
// the app's (flags the app saw are set up already, and are copied into the command).
func typedAfterCommand(ctx *cli.Context, fs []cli.Flag) bool {
	lineage := ctx.Lineage()
	for _, f := range fs {
		name := f.Names()[0]
		if !ctx.IsSet(name) {
			continue
		}
		if len(lineage) < 2 || !lineage[1].IsSet(name) {
			return true
		}
	}
	return false
}

// quietUpstream drops records below warning whose call site is in go-ethereum; xgeth's own
// records and every warning and error pass.
type quietUpstream struct{ next slog.Handler }

func (q quietUpstream) Enabled(ctx context.Context, l slog.Level) bool { return q.next.Enabled(ctx, l) }

func (q quietUpstream) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn && fromUpstream(r.PC) || redundant[r.Message] {
		return nil
	}
	return q.next.Handle(ctx, r)
}

// redundant are records that say nothing to a devnet user: start-up lines the summary
// repeats, and op-geth's warnings about a devnet genesis (a fresh database has no head; the
// devnet's genesis has no L2ToL1MessagePasser storage, so its withdrawals root is zero).
var redundant = map[string]bool{
	"Head block is not reachable":                               true,
	"isthmus: no storage root for L2ToL1MessagePasser contract": true,
	"Following chain for interop":                               true,
	"Starting log follower":                                     true,
	"Log follower stopped":                                      true,
}

func (q quietUpstream) WithAttrs(as []slog.Attr) slog.Handler {
	return quietUpstream{q.next.WithAttrs(as)}
}

func (q quietUpstream) WithGroup(name string) slog.Handler {
	return quietUpstream{q.next.WithGroup(name)}
}

// fromUpstream reports whether the function at pc belongs to go-ethereum (op-geth).
func fromUpstream(pc uintptr) bool {
	if pc == 0 {
		return false
	}
	fr, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return strings.HasPrefix(fr.Function, "github.com/ethereum/go-ethereum/")
}
