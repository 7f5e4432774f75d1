package vm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	gethvm "github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

var (
	sender = common.HexToAddress("0x00000000000000000000000000000000005e4de7")
	inbox  = params.CrossL2InboxAddress
)

const (
	envBlock = 7
	envTime  = 70
	gasGiven = 100_000
)

// env is one transaction's worth of EVM over an in-memory state, the way op-geth's
// state transition sets it up (Prepare with the tx access list), without a block around it.
type env struct {
	state *state.StateDB
	evm   *gethvm.EVM
}

type envOpts struct {
	chainID  int64
	time     uint64
	baseFee  int64 // block base fee
	gasPrice int64 // tx gas price (0 with a positive base fee is a deposit)
	list     types.AccessList
	tracer   *tracing.Hooks
}

func defaultOpts() envOpts {
	return envOpts{chainID: nativeChainID, time: envTime, baseFee: 1_000_000_000, gasPrice: 2_000_000_000}
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	cfg := opConfig(o.chainID, 0)
	if o.chainID == lateChainID {
		cfg = opConfig(o.chainID, lagoonLateTime)
	}
	sdb, err := state.New(types.EmptyRootHash, state.NewDatabaseForTesting())
	if err != nil {
		t.Fatal(err)
	}
	sdb.SetBalance(sender, uint256.NewInt(1e18), tracing.BalanceChangeUnspecified)
	ctx := gethvm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash:     func(uint64) common.Hash { return common.Hash{} },
		BlockNumber: big.NewInt(envBlock),
		Time:        o.time,
		Difficulty:  new(big.Int),
		BaseFee:     big.NewInt(o.baseFee),
		BlobBaseFee: big.NewInt(1),
		GasLimit:    30_000_000,
		Random:      &common.Hash{},
	}
	var db gethvm.StateDB = sdb
	if o.tracer != nil {
		db = state.NewHookedState(sdb, o.tracer)
	}
	evm := gethvm.NewEVM(ctx, db, cfg, gethvm.Config{Tracer: o.tracer})
	evm.SetTxContext(gethvm.TxContext{Origin: sender, GasPrice: uint256.NewInt(uint64(o.gasPrice))})
	rules := cfg.Rules(ctx.BlockNumber, true, ctx.Time)
	sdb.Prepare(rules, sender, common.Address{}, nil, gethvm.ActivePrecompiles(rules), o.list)
	sdb.SetTxContext(common.Hash{0x77}, 0)
	return &env{state: sdb, evm: evm}
}

// call runs one call of the given kind from sender to CrossL2Inbox.
func (e *env) call(kind gethvm.OpCode, in []byte, gas uint64, value *uint256.Int) ([]byte, uint64, error) {
	return e.callKind(kind, sender, inbox, in, gas, value)
}

// callKind makes one call of kind from caller to addr (value is ignored for STATICCALL).
func (e *env) callKind(kind gethvm.OpCode, caller, addr common.Address, in []byte, gas uint64, value *uint256.Int) ([]byte, uint64, error) {
	switch kind {
	case gethvm.CALL:
		return e.evm.Call(caller, addr, in, gas, value)
	case gethvm.CALLCODE:
		return e.evm.CallCode(caller, addr, in, gas, value)
	case gethvm.DELEGATECALL:
		return e.evm.DelegateCall(common.Address{}, caller, addr, in, gas, value)
	case gethvm.STATICCALL:
		return e.evm.StaticCall(caller, addr, in, gas)
	}
	panic("bad kind")
}

func listed(slots ...common.Hash) types.AccessList {
	return types.AccessList{{Address: inbox, StorageKeys: slots}}
}

func TestSelectors(t *testing.T) {
	for _, c := range []struct {
		got  [4]byte
		want string
	}{
		{SelectorValidateMessage, "ab4d6f75"},
		{SelectorCalculateChecksum, "331b637f"},
		{RevertBlockNumberTooHigh, "d1f79e82"},
		{RevertLogIndexTooHigh, "94338eba"},
		{RevertTimestampTooHigh, "596a19a9"},
		{RevertNoExecutingDeposits, "753f1072"},
		{RevertNotInAccessList, "e3c00816"},
	} {
		mustEqual(t, "selector", hex.EncodeToString(c.got[:]), c.want)
	}
	if ValidateMessageGas != 2655 || CalculateChecksumGas != 150 {
		t.Fatalf("gas constants changed: %d, %d (update the docs and README)", ValidateMessageGas, CalculateChecksumGas)
	}
}

func TestValidateMessage(t *testing.T) {
	msg := testMessage()
	ok := input(SelectorValidateMessage, msg)
	sum := checksumOf(msg)
	other := testMessage()
	other.MsgHash[31] ^= 1
	u64max := common.BigToHash(new(big.Int).SetUint64(^uint64(0)))
	two64 := common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 64))
	two32 := common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 32))
	deposit := func(o *envOpts) { o.gasPrice = 0 }
	withList := func(l types.AccessList) func(*envOpts) { return func(o *envOpts) { o.list = l } }
	both := func(fs ...func(*envOpts)) func(*envOpts) {
		return func(o *envOpts) {
			for _, f := range fs {
				f(o)
			}
		}
	}

	const cost = ValidateMessageGas
	tests := []struct {
		name    string
		in      []byte
		opts    func(*envOpts)
		kind    gethvm.OpCode
		value   uint64
		gas     uint64
		wantErr error
		wantRet []byte // revert data or output
		wantLog bool
		left    uint64 // gas left when wantErr is nil or a revert
	}{
		{name: "listed", in: ok, opts: withList(listed(sum)), wantLog: true, left: gasGiven - cost},
		{name: "listed among others", in: ok, opts: withList(types.AccessList{
			{Address: sender, StorageKeys: []common.Hash{sum}},
			{Address: inbox, StorageKeys: []common.Hash{{0x01}, checksumOf(other)}},
			{Address: inbox, StorageKeys: []common.Hash{sum}},
		}), wantLog: true, left: gasGiven - cost},
		{name: "eth_call without gas price", in: ok, opts: both(withList(listed(sum)), func(o *envOpts) { o.baseFee, o.gasPrice = 0, 0 }), wantLog: true, left: gasGiven - cost},
		{name: "exact gas", in: ok, opts: withList(listed(sum)), gas: cost, wantLog: true, left: 0},
		{name: "not listed", in: ok, wantErr: gethvm.ErrExecutionReverted, wantRet: RevertNotInAccessList[:], left: gasGiven - cost},
		{name: "wrong checksum listed", in: ok, opts: withList(listed(checksumOf(other))), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertNotInAccessList[:], left: gasGiven - cost},
		{name: "checksum under another address", in: ok, opts: withList(types.AccessList{{Address: sender, StorageKeys: []common.Hash{sum}}}), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertNotInAccessList[:], left: gasGiven - cost},
		{name: "deposit", in: ok, opts: both(withList(listed(sum)), deposit), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertNoExecutingDeposits[:], left: gasGiven - cost},
		{name: "value", in: ok, opts: withList(listed(sum)), value: 1, wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "staticcall", in: ok, opts: withList(listed(sum)), kind: gethvm.STATICCALL, wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "delegatecall", in: ok, opts: withList(listed(sum)), kind: gethvm.DELEGATECALL, wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "callcode", in: ok, opts: withList(listed(sum)), kind: gethvm.CALLCODE, wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "blockNumber 2^64", in: setWord(ok, 1, two64), opts: withList(listed(sum)), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertBlockNumberTooHigh[:], left: gasGiven - cost},
		{name: "logIndex 2^32", in: setWord(ok, 2, two32), opts: withList(listed(sum)), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertLogIndexTooHigh[:], left: gasGiven - cost},
		{name: "logIndex 2^64-1", in: setWord(ok, 2, u64max), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertLogIndexTooHigh[:], left: gasGiven - cost},
		{name: "timestamp 2^64", in: setWord(ok, 3, two64), opts: withList(listed(sum)), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertTimestampTooHigh[:], left: gasGiven - cost},
		{name: "all out of range: blockNumber first", in: setWord(setWord(setWord(ok, 1, two64), 2, two32), 3, two64), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertBlockNumberTooHigh[:], left: gasGiven - cost},
		{name: "logIndex before timestamp", in: setWord(setWord(ok, 2, two32), 3, two64), wantErr: gethvm.ErrExecutionReverted, wantRet: RevertLogIndexTooHigh[:], left: gasGiven - cost},
		{name: "range before deposit", in: setWord(ok, 3, two64), opts: deposit, wantErr: gethvm.ErrExecutionReverted, wantRet: RevertTimestampTooHigh[:], left: gasGiven - cost},
		{name: "dirty address padding", in: setWord(ok, 0, common.HexToHash("0x01000000000000000000000000000000000000000000000000000000000000a1")), opts: withList(listed(sum)), wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "short input", in: ok[:len(ok)-1], opts: withList(listed(sum)), wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "long input", in: append(append([]byte(nil), ok...), 0), opts: withList(listed(sum)), wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "selector only", in: ok[:4], wantErr: gethvm.ErrExecutionReverted, left: gasGiven - cost},
		{name: "empty input", in: nil, wantErr: gethvm.ErrExecutionReverted, left: gasGiven},
		{name: "3 bytes", in: ok[:3], wantErr: gethvm.ErrExecutionReverted, left: gasGiven},
		{name: "unknown selector", in: append([]byte{0xab, 0x4d, 0x6f, 0x76}, ok[4:]...), opts: withList(listed(sum)), wantErr: gethvm.ErrExecutionReverted, left: gasGiven},
		{name: "out of gas", in: ok, opts: withList(listed(sum)), gas: cost - 1, wantErr: gethvm.ErrOutOfGas, left: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaultOpts()
			if tt.opts != nil {
				tt.opts(&o)
			}
			e := newEnv(t, o)
			kind, gas := tt.kind, tt.gas
			if kind == 0 {
				kind = gethvm.CALL
			}
			if gas == 0 {
				gas = gasGiven
			}
			addrBefore := e.state.AddressInAccessList(inbox)
			_, slotBefore := e.state.SlotInAccessList(inbox, sum)

			ret, left, err := e.call(kind, tt.in, gas, uint256.NewInt(tt.value))

			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(ret, tt.wantRet) {
				t.Fatalf("ret = %x, want %x", ret, tt.wantRet)
			}
			mustEqual(t, "gas left", left, tt.left)
			logs := e.state.Logs()
			if !tt.wantLog {
				mustEqual(t, "logs", len(logs), 0)
			} else {
				mustEqual(t, "logs", len(logs), 1)
				want := event.EncodeLog(&msg)
				l := logs[0]
				mustEqual(t, "log address", l.Address, want.Address)
				mustEqual(t, "topics", len(l.Topics), 2)
				mustEqual(t, "topic0", l.Topics[0], event.ExecutingMessageTopic)
				mustEqual(t, "topic1", l.Topics[1], msg.MsgHash)
				if !bytes.Equal(l.Data, want.Data) || len(l.Data) != 160 {
					t.Fatalf("data = %x, want %x", l.Data, want.Data)
				}
				mustEqual(t, "log block", l.BlockNumber, uint64(envBlock))
				mustEqual(t, "log tx hash", l.TxHash, common.Hash{0x77})
			}
			// The call never warms anything: neither the address nor the checksum slot.
			_, slotAfter := e.state.SlotInAccessList(inbox, sum)
			mustEqual(t, "slot warm after call", slotAfter, slotBefore)
			mustEqual(t, "address warm after call", e.state.AddressInAccessList(inbox), addrBefore)
			if e.state.GetRefund() != 0 {
				t.Fatal("refund counter touched")
			}
		})
	}
}

// A plain CALL made inside a static context (STATICCALL → relay contract → CALL) must not
// emit a log: validateMessage reverts, the relay reports failure, the static frame succeeds.
func TestValidateMessageInsideStaticContext(t *testing.T) {
	msg := testMessage()
	relay := common.HexToAddress("0x0000000000000000000000000000000000000e1a")
	for _, static := range []bool{true, false} {
		o := defaultOpts()
		o.list = listed(checksumOf(msg))
		e := newEnv(t, o)
		e.state.SetCode(relay, relayCode(), tracing.CodeChangeUnspecified)
		in := input(SelectorValidateMessage, msg)
		var (
			ret []byte
			err error
		)
		if static {
			ret, _, err = e.evm.StaticCall(sender, relay, in, gasGiven)
		} else {
			ret, _, err = e.evm.Call(sender, relay, in, gasGiven, new(uint256.Int))
		}
		if err != nil {
			t.Fatalf("static=%v: relay failed: %v", static, err)
		}
		mustEqual(t, "relay output length", len(ret), 32)
		inner := common.BytesToHash(ret[:32]) == common.BigToHash(big.NewInt(1))
		mustEqual(t, "inner CALL success (static outer)", inner, !static)
		wantLogs := 1
		if static {
			wantLogs = 0
		}
		mustEqual(t, "logs", len(e.state.Logs()), wantLogs)
	}
}

// Boundary values are accepted: the maximum u64 block number and timestamp and u32 log index.
func TestValidateMessageMaxFields(t *testing.T) {
	msg := testMessage()
	msg.Identifier.BlockNumber = ^uint64(0)
	msg.Identifier.Timestamp = ^uint64(0)
	msg.Identifier.LogIndex = ^uint32(0)
	msg.Identifier.ChainID.SetAllOne()
	o := defaultOpts()
	o.list = listed(checksumOf(msg))
	e := newEnv(t, o)
	_, _, err := e.call(gethvm.CALL, input(SelectorValidateMessage, msg), gasGiven, new(uint256.Int))
	if err != nil {
		t.Fatal(err)
	}
	logs := e.state.Logs()
	mustEqual(t, "logs", len(logs), 1)
	if !bytes.Equal(logs[0].Data, event.EncodeIdentifier(&msg.Identifier)) {
		t.Fatalf("data %x", logs[0].Data)
	}
}

// The same message may be executed twice in one transaction.
func TestValidateMessageTwice(t *testing.T) {
	msg := testMessage()
	o := defaultOpts()
	o.list = listed(checksumOf(msg))
	e := newEnv(t, o)
	for i := 0; i < 2; i++ {
		if _, _, err := e.call(gethvm.CALL, input(SelectorValidateMessage, msg), gasGiven, new(uint256.Int)); err != nil {
			t.Fatal(err)
		}
	}
	mustEqual(t, "logs", len(e.state.Logs()), 2)
}

func TestCalculateChecksum(t *testing.T) {
	msg := testMessage()
	in := input(SelectorCalculateChecksum, msg)
	want := checksumOf(msg)
	for _, kind := range []gethvm.OpCode{gethvm.CALL, gethvm.STATICCALL, gethvm.DELEGATECALL, gethvm.CALLCODE} {
		for _, deposit := range []bool{false, true} {
			o := defaultOpts()
			if deposit {
				o.gasPrice = 0
			}
			e := newEnv(t, o)
			ret, left, err := e.call(kind, in, gasGiven, new(uint256.Int))
			if err != nil {
				t.Fatalf("%v deposit=%v: %v", kind, deposit, err)
			}
			mustEqual(t, "checksum", common.BytesToHash(ret), want)
			mustEqual(t, "len", len(ret), 32)
			mustEqual(t, "gas left", left, gasGiven-CalculateChecksumGas)
			mustEqual(t, "logs", len(e.state.Logs()), 0)
		}
	}
	two64 := common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 64))
	two32 := common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 32))
	for _, c := range []struct {
		name string
		in   []byte
		val  uint64
		gas  uint64
		err  error
		ret  []byte
	}{
		{"blockNumber", setWord(in, 1, two64), 0, gasGiven, gethvm.ErrExecutionReverted, RevertBlockNumberTooHigh[:]},
		{"logIndex", setWord(in, 2, two32), 0, gasGiven, gethvm.ErrExecutionReverted, RevertLogIndexTooHigh[:]},
		{"timestamp", setWord(in, 3, two64), 0, gasGiven, gethvm.ErrExecutionReverted, RevertTimestampTooHigh[:]},
		{"value", in, 1, gasGiven, gethvm.ErrExecutionReverted, nil},
		{"short", in[:100], 0, gasGiven, gethvm.ErrExecutionReverted, nil},
		{"out of gas", in, 0, CalculateChecksumGas - 1, gethvm.ErrOutOfGas, nil},
	} {
		e := newEnv(t, defaultOpts())
		ret, _, err := e.call(gethvm.CALL, c.in, c.gas, uint256.NewInt(c.val))
		if !errors.Is(err, c.err) || !bytes.Equal(ret, c.ret) {
			t.Fatalf("%s: ret %x err %v, want %x %v", c.name, ret, err, c.ret, c.err)
		}
	}
}

// Revert data is a fresh slice each time: callers may keep or modify it.
func TestRevertDataNotAliased(t *testing.T) {
	e := newEnv(t, defaultOpts())
	ret, _, _ := e.call(gethvm.CALL, input(SelectorValidateMessage, testMessage()), gasGiven, new(uint256.Int))
	ret[0] ^= 0xff
	want := selector("NotInAccessList()")
	mustEqual(t, "package value after caller wrote to revert data", RevertNotInAccessList, want)
	ret2, _, _ := e.call(gethvm.CALL, input(SelectorValidateMessage, testMessage()), gasGiven, new(uint256.Int))
	mustEqual(t, "second revert data", hex.EncodeToString(ret2), hex.EncodeToString(want[:]))
}

// Where the extras are not registered, or before Lagoon, 0x…22 is an ordinary (here empty)
// account: the call succeeds, returns nothing, costs nothing and logs nothing.
func TestNotServed(t *testing.T) {
	msg := testMessage()
	for _, c := range []struct {
		name   string
		id     int64
		time   uint64
		served bool
	}{
		{"standard chain", standardChainID, envTime, false},
		{"before Lagoon", lateChainID, lagoonLateTime - 1, false},
		{"at Lagoon", lateChainID, lagoonLateTime, true},
		{"native chain", nativeChainID, envTime, true},
	} {
		o := defaultOpts()
		o.chainID, o.time = c.id, c.time
		e := newEnv(t, o)
		cfg := e.evm.ChainConfig()
		mustEqual(t, c.name+": Active", Active(cfg, c.time), c.served)
		mustEqual(t, c.name+": hook", gethvm.NativeContractHook(e.evm, inbox) != nil, c.served)
		ret, left, err := e.call(gethvm.CALL, input(SelectorValidateMessage, msg), gasGiven, new(uint256.Int))
		if c.served {
			if !errors.Is(err, gethvm.ErrExecutionReverted) || !bytes.Equal(ret, RevertNotInAccessList[:]) {
				t.Fatalf("%s: ret %x err %v", c.name, ret, err)
			}
			continue
		}
		if err != nil || len(ret) != 0 || left != gasGiven || len(e.state.Logs()) != 0 {
			t.Fatalf("%s: ret %x left %d err %v logs %d", c.name, ret, left, err, len(e.state.Logs()))
		}
	}
	if Active(nil, 0) {
		t.Fatal("nil config active")
	}
}

// The hook answers only for its native contracts and leaves other addresses to a hook installed
// before it.
func TestHookChaining(t *testing.T) {
	e := newEnv(t, defaultOpts())
	other := common.HexToAddress("0x4200000000000000000000000000000000000099")
	var asked []common.Address
	h := hookBefore(func(_ *gethvm.EVM, a common.Address) gethvm.NativeContract {
		asked = append(asked, a)
		return nil
	})
	if h(e.evm, inbox) == nil {
		t.Fatal("inbox not served")
	}
	if h(e.evm, other) != nil || h(e.evm, common.Address{}) != nil {
		t.Fatal("served an address it does not own")
	}
	mustEqual(t, "asked", len(asked), 2)
	mustEqual(t, "asked[0]", asked[0], other)
	Install() // idempotent: still the same behaviour
	if gethvm.NativeContractHook(e.evm, inbox) == nil || gethvm.NativeContractHook(e.evm, other) != nil {
		t.Fatal("Install twice changed the hook")
	}
}

func TestPrecompileFace(t *testing.T) {
	var c crossL2Inbox
	mustEqual(t, "name", c.Name(), "CrossL2Inbox")
	mustEqual(t, "validate gas", c.RequiredGas(input(SelectorValidateMessage, testMessage())), ValidateMessageGas)
	mustEqual(t, "checksum gas", c.RequiredGas(input(SelectorCalculateChecksum, testMessage())), CalculateChecksumGas)
	mustEqual(t, "unknown gas", c.RequiredGas([]byte{1, 2}), uint64(0))
	if _, err := c.Run(nil); err == nil {
		t.Fatal("Run without the EVM succeeded")
	}
}

// Tracers see one frame with the fixed gas, the gas charge and the log.
func TestTracerHooks(t *testing.T) {
	msg := testMessage()
	var (
		exits    []uint64
		charged  uint64
		loggedAt []common.Address
	)
	hooks := &tracing.Hooks{
		OnExit: func(depth int, _ []byte, gasUsed uint64, err error, reverted bool) {
			if depth == 0 {
				exits = append(exits, gasUsed)
			}
		},
		OnGasChange: func(old, new uint64, reason tracing.GasChangeReason) {
			if reason == tracing.GasChangeCallPrecompiledContract {
				charged += old - new
			}
		},
		OnLog: func(l *types.Log) { loggedAt = append(loggedAt, l.Address) },
	}
	o := defaultOpts()
	o.list = listed(checksumOf(msg))
	o.tracer = hooks
	e := newEnv(t, o)
	if _, _, err := e.call(gethvm.CALL, input(SelectorValidateMessage, msg), gasGiven, new(uint256.Int)); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "frames", len(exits), 1)
	mustEqual(t, "frame gas", exits[0], ValidateMessageGas)
	mustEqual(t, "charged", charged, ValidateMessageGas)
	mustEqual(t, "logs", len(loggedAt), 1)
	mustEqual(t, "log address", loggedAt[0], inbox)
}

// eth_call / eth_estimateGas style: core.ApplyMessage with a zero gas price (and, as eth_call
// does then, a zero base fee) over a state with no block. Gas used is intrinsic gas plus the
// documented constant, and the minimal gas limit is exactly that.
func TestApplyMessageGas(t *testing.T) {
	msg := testMessage()
	list := listed(checksumOf(msg))
	for _, c := range []struct {
		name string
		data []byte
		cost uint64
	}{
		{"validateMessage", input(SelectorValidateMessage, msg), ValidateMessageGas},
		{"calculateChecksum", input(SelectorCalculateChecksum, msg), CalculateChecksumGas},
	} {
		intrinsic, err := core.IntrinsicGas(c.data, list, nil, false, true, true, true)
		if err != nil {
			t.Fatal(err)
		}
		floor, _ := core.FloorDataGas(c.data)
		want := max(intrinsic+c.cost, floor)
		for _, limit := range []uint64{1_000_000, want, want - 1} {
			o := defaultOpts()
			o.baseFee, o.gasPrice = 0, 0
			e := newEnv(t, o)
			e.evm.Config.NoBaseFee = true
			m := &core.Message{
				From: sender, To: &inbox, Value: new(big.Int), GasLimit: limit,
				GasPrice: new(big.Int), GasFeeCap: new(big.Int), GasTipCap: new(big.Int),
				Data: c.data, AccessList: list, SkipNonceChecks: true, SkipTransactionChecks: true,
			}
			res, err := core.ApplyMessage(e.evm, m, core.NewGasPool(30_000_000))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if limit == want-1 {
				if !errors.Is(res.Err, gethvm.ErrOutOfGas) {
					t.Fatalf("%s: limit %d: err %v, want out of gas", c.name, limit, res.Err)
				}
				continue
			}
			if res.Err != nil {
				t.Fatalf("%s: limit %d: %v", c.name, limit, res.Err)
			}
			mustEqual(t, c.name+" used gas", res.UsedGas, want)
			if c.cost == CalculateChecksumGas {
				mustEqual(t, "checksum", common.BytesToHash(res.ReturnData), checksumOf(msg))
			}
		}
	}
}

// FuzzCrossL2Inbox feeds arbitrary input to both functions: never a panic, malformed input
// always reverts, and whatever calculateChecksum returns agrees with an independent decoding.
func FuzzCrossL2Inbox(f *testing.F) {
	f.Add(input(SelectorCalculateChecksum, testMessage()), false)
	f.Add(input(SelectorValidateMessage, testMessage()), true)
	f.Add([]byte{0x33, 0x1b, 0x63}, false)
	f.Fuzz(func(t *testing.T, in []byte, list bool) {
		o := defaultOpts()
		if list && len(in) > 36 {
			o.list = listed(common.BytesToHash(in[len(in)-32:]), checksumOf(testMessage()))
		}
		e := newEnv(t, o)
		ret, _, err := e.call(gethvm.CALL, in, gasGiven, new(uint256.Int))
		if len(in) != inputSize && err == nil {
			t.Fatalf("accepted %d-byte input", len(in))
		}
		if err != nil {
			if !errors.Is(err, gethvm.ErrExecutionReverted) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		args := in[4:]
		word := func(i int) *big.Int { return new(big.Int).SetBytes(args[32*i : 32*i+32]) }
		if word(0).BitLen() > 160 || word(1).BitLen() > 64 || word(2).BitLen() > 32 || word(3).BitLen() > 64 {
			t.Fatal("accepted an out-of-range identifier")
		}
		var id message.Identifier
		id.Origin = common.BytesToAddress(args[12:32])
		id.BlockNumber = word(1).Uint64()
		id.LogIndex = uint32(word(2).Uint64())
		id.Timestamp = word(3).Uint64()
		id.ChainID.SetFromBig(word(4))
		m := message.Message{Identifier: id, MsgHash: common.BytesToHash(args[160:])}
		if bytes.Equal(in[:4], SelectorCalculateChecksum[:]) {
			mustEqual(t, "checksum", common.BytesToHash(ret), checksumOf(m))
			return
		}
		// validateMessage succeeded: the checksum was listed and the log describes m.
		if _, warm := e.state.SlotInAccessList(inbox, checksumOf(m)); !warm {
			t.Fatal("succeeded without the checksum in the access list")
		}
		logs := e.state.Logs()
		if len(logs) != 1 || !bytes.Equal(logs[0].Data, event.EncodeIdentifier(&id)) {
			t.Fatal("wrong log")
		}
	})
}
