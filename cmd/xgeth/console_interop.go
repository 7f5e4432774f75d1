package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/ethereum/go-ethereum/console"
	"github.com/ethereum/go-ethereum/rpc"
)

// The console's "interop" object is JavaScript built into the binary (consolejs/interop.js),
// evaluated on the console's runtime right after console.New. geth loads a namespace's
// console JS from internal/web3ext, which nothing outside go-ethereum can extend; patch 0007's
// console.Console.Do is the one line that reaches the runtime, and it also lets the object
// use two Go functions pure JS lacks: sleeping between polls, and calling the destination
// chain (the console holds one connection, to one chain). Everything else is JSON-RPC over
// the console's own connection, in JS.

//go:embed consolejs/interop.js
var interopJS string

// consoleRemoteTimeout bounds one call to another chain's endpoint.
const consoleRemoteTimeout = 30 * time.Second

// maxConsoleSleep bounds one sleep, so that Ctrl-C (which interrupts JS, not Go) takes
// effect soon.
const maxConsoleSleep = 2 * time.Second

// interopBindings are the Go functions of the interop object (_xgethInterop in JS).
type interopBindings struct {
	mu      sync.Mutex
	clients map[string]*rpc.Client
}

// sleep pauses for ms milliseconds (at most maxConsoleSleep).
func (b *interopBindings) sleep(ms int64) {
	d := time.Duration(ms) * time.Millisecond
	if d > maxConsoleSleep {
		d = maxConsoleSleep
	}
	if d > 0 {
		time.Sleep(d)
	}
}

// rpcResponse is a JSON-RPC response as the console's transport hands it to web3.js.
type rpcResponse struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  *rpcErrorJSON   `json:"error,omitempty"`
}

type rpcErrorJSON struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// call sends method with params (a JSON array) to url and returns the JSON response:
// {"result": ...} or {"error": {"code", "message"}}. Failures to reach url are errors too,
// with code -32603, so that JS sees one shape.
func (b *interopBindings) call(url, method, params string) string {
	var args []json.RawMessage
	resp := rpcResponse{}
	if err := json.Unmarshal([]byte(params), &args); err != nil {
		resp.Error = &rpcErrorJSON{Code: -32602, Message: fmt.Sprintf("bad parameters: %v", err)}
	} else if c, err := b.client(url); err != nil {
		resp.Error = &rpcErrorJSON{Code: -32603, Message: fmt.Sprintf("cannot reach %s: %v", url, err)}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), consoleRemoteTimeout)
		defer cancel()
		params := make([]any, len(args))
		for i, a := range args {
			params[i] = a
		}
		var result json.RawMessage
		if err := c.CallContext(ctx, &result, method, params...); err != nil {
			resp.Error = &rpcErrorJSON{Code: -32603, Message: err.Error()}
			var coded rpc.Error
			if errors.As(err, &coded) {
				resp.Error.Code = coded.ErrorCode()
			}
		} else if result == nil {
			resp.Result = json.RawMessage("null")
		} else {
			resp.Result = result
		}
	}
	out, _ := json.Marshal(resp)
	return string(out)
}

// client dials url once and keeps the connection for the console's lifetime.
func (b *interopBindings) client(url string) (*rpc.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.clients[url]; ok {
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), consoleRemoteTimeout)
	defer cancel()
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, err
	}
	if b.clients == nil {
		b.clients = map[string]*rpc.Client{}
	}
	b.clients[url] = c
	return c, nil
}

// Close closes the connections to other chains.
func (b *interopBindings) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.clients {
		c.Close()
	}
	b.clients = nil
}

// installInterop defines the interop object on the console's runtime; endpoints (chain ID →
// JSON-RPC URL) tell it where the other chains are when the server cannot.
func installInterop(c *console.Console, b *interopBindings, endpoints map[uint64]string) error {
	var err error
	c.Do(func(vm *goja.Runtime) {
		err = defineInterop(vm, b, endpoints)
	})
	return err
}

func defineInterop(vm *goja.Runtime, b *interopBindings, endpoints map[uint64]string) error {
	bindings := vm.NewObject()
	bindings.Set("sleep", b.sleep)
	bindings.Set("call", b.call)
	vm.Set("_xgethInterop", bindings)
	if _, err := vm.RunScript("interop.js", interopJS); err != nil {
		return fmt.Errorf("interop.js: %w", err)
	}
	eps := vm.Get("interop").ToObject(vm).Get("endpoints").ToObject(vm)
	for id, url := range endpoints {
		if err := eps.Set(strconv.FormatUint(id, 10), url); err != nil {
			return err
		}
	}
	return nil
}
