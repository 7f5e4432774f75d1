package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/holiman/uint256"
	"github.com/urfave/cli/v2"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/interop/rpcapi"
)

var (
	messageRPCFlag = &cli.StringFlag{Name: "rpc", Usage: "JSON-RPC URL of the chain that emitted the log", Required: true}
	messageTxFlag  = &cli.StringFlag{Name: "tx", Usage: "hash of the transaction that emitted the log", Required: true}
	messageLogFlag = &cli.UintFlag{Name: "log", Usage: "position of the log among the transaction's logs"}
)

var interopCommand = &cli.Command{
	Name:  "interop",
	Usage: "Interop developer tools",
	Subcommands: []*cli.Command{{
		Name:  "message",
		Usage: "Print what executing a log as a cross-chain message needs: identifier, msgHash, access list, calldata",
		Description: `Reads the receipt of --tx over --rpc and prints, as JSON, the identifier of its --log-th
log, the message hash, the CrossL2Inbox access list that declares it and the calldata of
CrossL2Inbox.validateMessage for it.`,
		Flags:  []cli.Flag{messageRPCFlag, messageTxFlag, messageLogFlag},
		Action: interopMessage,
	}},
}

func interopMessage(ctx *cli.Context) error {
	var txHash common.Hash
	if err := txHash.UnmarshalText([]byte(ctx.String(messageTxFlag.Name))); err != nil {
		return fmt.Errorf("--%s: want a 0x-prefixed 32-byte hash: %v", messageTxFlag.Name, err)
	}
	c, cancel := context.WithTimeout(ctx.Context, 30*time.Second)
	defer cancel()
	client, err := ethclient.DialContext(c, ctx.String(messageRPCFlag.Name))
	if err != nil {
		return err
	}
	defer client.Close()
	chainID, err := client.ChainID(c)
	if err != nil {
		return fmt.Errorf("eth_chainId: %w", err)
	}
	receipt, err := client.TransactionReceipt(c, txHash)
	if err != nil {
		return fmt.Errorf("receipt of %s: %w", txHash, err)
	}
	n := ctx.Uint(messageLogFlag.Name)
	if n >= uint(len(receipt.Logs)) {
		return fmt.Errorf("transaction %s emitted %d logs, no log %d", txHash, len(receipt.Logs), n)
	}
	lg := receipt.Logs[n]
	header, err := client.HeaderByHash(c, lg.BlockHash)
	if err != nil {
		return fmt.Errorf("block %s: %w", lg.BlockHash, err)
	}
	id, overflow := uint256.FromBig(chainID)
	if overflow || chainID.Sign() < 0 {
		return fmt.Errorf("eth_chainId: %v is not a valid chain ID", chainID)
	}
	msg := message.OfLog(lg, header.Time, id)
	out := rpcapi.Prepare(&msg)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
