package follower

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	ievent "github.com/xgeth/xgeth/interop/event"
	"github.com/xgeth/xgeth/interop/logindex"
	"github.com/xgeth/xgeth/interop/message"
	"github.com/xgeth/xgeth/params"
)

// wantBlock is what the index must hold for b, computed independently of BlockFromReceipts.
func wantBlock(b *fakeBlock) *logindex.Block {
	out := &logindex.Block{BlockRef: b.ref(), LogHashes: []common.Hash{}, ExecMsgs: b.execs}
	for _, r := range b.receipts {
		for _, l := range r.Logs {
			out.LogHashes = append(out.LogHashes, message.LogHash(l.Address, message.PayloadHash(l.Topics, l.Data)))
		}
	}
	return out
}

func sameBlock(a, b *logindex.Block) bool {
	return a.BlockRef == b.BlockRef && slices.Equal(a.LogHashes, b.LogHashes) &&
		len(a.ExecMsgs) == len(b.ExecMsgs) && (len(a.ExecMsgs) == 0 || slices.EqualFunc(a.ExecMsgs, b.ExecMsgs, func(x, y logindex.ExecMsg) bool {
		return x.LogIndex == y.LogIndex && x.Msg.MsgHash == y.Msg.MsgHash && x.Msg.Identifier == y.Msg.Identifier
	}))
}

func TestBlockFromReceipts(t *testing.T) {
	var sawExec, sawEmpty bool
	for n := uint64(0); n < 12; n++ {
		fb := makeBlock(common.Hash{1}, n, 0)
		// Receipts through JSON (as eth_getBlockReceipts serves them) keep every field the
		// receipt root covers, the deposit nonce and receipt version included.
		sent := fb.clone()
		for _, txs := range [][]common.Hash{fb.txs, nil} { // remote (tx hashes known) and local
			got, err := BlockFromReceipts(fb.header, txs, fb.receipts)
			if err != nil {
				t.Fatalf("block %d: %v", n, err)
			}
			if want := wantBlock(fb); !sameBlock(got, want) {
				t.Fatalf("block %d: got %+v, want %+v", n, got, want)
			}
			got, err = BlockFromReceipts(sent.header, txs, sent.receipts)
			if err != nil {
				t.Fatalf("block %d: %v", n, err)
			}
			if want := wantBlock(fb); !sameBlock(got, want) {
				t.Fatalf("block %d: got %+v, want %+v", n, got, want)
			}
		}
		sawExec = sawExec || len(fb.execs) > 0
		sawEmpty = sawEmpty || len(fb.txs) == 0
	}
	if !sawExec || !sawEmpty {
		t.Fatal("fixture lacks an executing message or an empty block")
	}
}

// TestBlockFromReceiptsBadData is the table of inconsistent source data: each case is an
// error wrapping ErrBadBlock and its specific error, and no block.
func TestBlockFromReceiptsBadData(t *testing.T) {
	const n = 5 // 1 transaction with 2 logs, the first an executing message
	base := makeBlock(common.Hash{1}, n, 0)
	if len(base.execs) != 1 || len(base.receipts) != 1 || len(base.receipts[0].Logs) != 2 || base.receipts[0].DepositReceiptVersion == nil {
		t.Fatalf("fixture changed: %d execs, %d receipts", len(base.execs), len(base.receipts))
	}
	other := common.Hash{0xee}
	tests := []struct {
		name   string
		mutate func(b *fakeBlock, txs *[]common.Hash, local *bool)
		want   error
	}{
		{"no header", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.header = nil }, ErrBadHeader},
		{"nil number", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.header.Number = nil }, ErrBadHeader},
		{"number above u64", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.header.Number = new(big.Int).Lsh(big.NewInt(1), 64)
		}, ErrBadHeader},
		{"missing receipts (tx hashes known)", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts = nil }, ErrReceiptCount},
		{"missing receipts (local)", func(b *fakeBlock, _ *[]common.Hash, local *bool) { b.receipts, *local = nil, true }, ErrMissingReceipts},
		{"null receipt", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0] = nil }, ErrMissingReceipts},
		{"extra receipt", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.receipts = append(b.receipts, b.receipts[0])
		}, ErrReceiptCount},
		{"receipts for an empty tx root (local)", func(b *fakeBlock, _ *[]common.Hash, local *bool) {
			b.header.TxHash, *local = types.EmptyTxsHash, true
			b.setBlockFields()
		}, ErrReceiptCount},
		{"tx hashes for an empty tx root", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.header.TxHash = types.EmptyTxsHash
			b.setBlockFields()
		}, ErrReceiptCount},
		{"receipt of another block hash", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].BlockHash = other }, ErrForeignReceipt},
		{"receipt of another block number", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.receipts[0].BlockNumber = big.NewInt(n + 1)
		}, ErrForeignReceipt},
		{"receipt without block number", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].BlockNumber = nil }, ErrForeignReceipt},
		{"receipt with another tx index", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].TransactionIndex = 1 }, ErrForeignReceipt},
		{"receipt of another tx", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].TxHash = other }, ErrForeignReceipt},
		{"failed tx with logs", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.receipts[0].Status = types.ReceiptStatusFailed
		}, ErrRevertedLogs},
		{"null log", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1] = nil }, ErrForeignLog},
		{"removed log", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1].Removed = true }, ErrForeignLog},
		{"log of another block", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1].BlockHash = other }, ErrForeignLog},
		{"log of another block number", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1].BlockNumber = n - 1 }, ErrForeignLog},
		{"log of another tx", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1].TxHash = other }, ErrForeignLog},
		{"log with another tx index", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1].TxIndex = 3 }, ErrForeignLog},
		{"logs out of order", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			ls := b.receipts[0].Logs
			ls[0].Index, ls[1].Index = 1, 0
		}, ErrLogOrder},
		{"log indexes not from 0", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			for _, l := range b.receipts[0].Logs {
				l.Index++
			}
		}, ErrLogOrder},
		{"forged log data", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1].Data[0] ^= 1 }, ErrReceiptsRoot},
		{"forged log data (local)", func(b *fakeBlock, _ *[]common.Hash, local *bool) {
			b.receipts[0].Logs[1].Data[0] ^= 1
			*local = true
		}, ErrReceiptsRoot},
		{"forged log address", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[1].Address = common.Address{0xee} }, ErrReceiptsRoot},
		{"forged executing message", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			msg := b.execs[0].Msg
			msg.MsgHash = other
			l := b.receipts[0].Logs[0]
			forged := ievent.EncodeLog(&msg)
			l.Topics, l.Data = forged.Topics, forged.Data
		}, ErrReceiptsRoot},
		{"log added", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			r := b.receipts[0]
			l := *r.Logs[1]
			l.Index++
			r.Logs = append(r.Logs, &l)
		}, ErrReceiptsRoot},
		{"log dropped", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.receipts[0].Logs = b.receipts[0].Logs[:1]
		}, ErrReceiptsRoot},
		{"cumulative gas changed", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].CumulativeGasUsed++ }, ErrReceiptsRoot},
		{"deposit receipt without its version", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.receipts[0].DepositReceiptVersion = nil
		}, ErrReceiptsRoot},
		{"header of another receipt root", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			b.header.ReceiptHash = other
			b.setBlockFields()
		}, ErrReceiptsRoot},
		{"header commits to no receipts (local)", func(b *fakeBlock, _ *[]common.Hash, local *bool) {
			b.header.ReceiptHash, *local = types.EmptyReceiptsHash, true
			b.setBlockFields()
		}, ErrReceiptsRoot},
		{"executing message data short", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			l := b.receipts[0].Logs[0]
			l.Data = l.Data[:159]
		}, ErrBadExecutingMessage},
		{"executing message address padding", func(b *fakeBlock, _ *[]common.Hash, _ *bool) { b.receipts[0].Logs[0].Data[0] = 1 }, ErrBadExecutingMessage},
		{"executing message with three topics", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			l := b.receipts[0].Logs[0]
			l.Topics = append(l.Topics, common.Hash{})
		}, ErrBadExecutingMessage},
		{"executing message with one topic", func(b *fakeBlock, _ *[]common.Hash, _ *bool) {
			l := b.receipts[0].Logs[0]
			l.Topics = l.Topics[:1]
		}, ErrBadExecutingMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base.clone()
			txs, local := b.txs, false
			tt.mutate(b, &txs, &local)
			if local {
				txs = nil
			}
			got, err := BlockFromReceipts(b.header, txs, b.receipts)
			if got != nil || !errors.Is(err, ErrBadBlock) || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, %v; want nil, %v", got, err, tt.want)
			}
			t.Logf("%v", err)
		})
	}
}

// TestBlockFromReceiptsOrdinaryInboxLogs: CrossL2Inbox logs under another topic0, and
// ExecutingMessage-shaped logs of other contracts, are ordinary logs.
func TestBlockFromReceiptsOrdinaryInboxLogs(t *testing.T) {
	b := makeBlock(common.Hash{1}, 5, 0)
	b.receipts[0].Logs[0].Topics[0] = common.Hash{0x01}
	b.receipts[0].Logs[1].Address = common.Address{}
	b.receipts[0].Logs[1].Topics = []common.Hash{ievent.ExecutingMessageTopic, {}}
	b.receipts[0].Logs[1].Data = []byte{1}
	b.sealReceipts()
	got, err := BlockFromReceipts(b.header, b.txs, b.receipts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ExecMsgs) != 0 || len(got.LogHashes) != 2 {
		t.Fatalf("got %d exec msgs, %d logs", len(got.ExecMsgs), len(got.LogHashes))
	}
}

// fuzzReader hands out fuzz bytes, zeros once they run out; decisions read as "correct"
// for small values, so short inputs build valid blocks and longer ones break them.
type fuzzReader struct{ data []byte }

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

func (r *fuzzReader) bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = r.byte()
	}
	return out
}

// wrong reports whether the next decision breaks a field (about 1 in 16).
func (r *fuzzReader) wrong() bool { return r.byte() >= 240 }

func (r *fuzzReader) hash() common.Hash { return common.BytesToHash(r.bytes(32)) }

// fuzzBlock builds a header, tx hashes and receipts from fuzz bytes.
func fuzzBlock(data []byte) (*types.Header, []common.Hash, types.Receipts) {
	r := &fuzzReader{data: data}
	number := new(big.Int).SetUint64(uint64(r.byte()))
	switch r.byte() {
	case 255:
		number = nil
	case 254:
		number = new(big.Int).Lsh(big.NewInt(1), 64)
	case 253:
		number = new(big.Int).SetUint64(math.MaxUint64)
	}
	ntx := int(r.byte() % 5)
	h := &types.Header{Number: number, ParentHash: r.hash(), Time: uint64(r.byte()), TxHash: types.EmptyTxsHash, Difficulty: new(big.Int)}
	if (ntx > 0) != r.wrong() {
		h.TxHash = common.Hash{1}
	}
	// Receipts and logs name the block by hash, and the hash covers the receipt root: they
	// are built with a placeholder that is replaced once the header is complete.
	placeholder := common.Hash{0xb1, 0x0c}
	hash := placeholder
	var num uint64
	if number != nil {
		num = number.Uint64()
	}
	txs := make([]common.Hash, ntx)
	for i := range txs {
		txs[i] = common.Hash{byte(i), 0xaa}
	}
	var receipts types.Receipts
	var logIndex uint
	for i := range ntx {
		if r.wrong() {
			receipts = append(receipts, nil)
			continue
		}
		rc := &types.Receipt{Status: types.ReceiptStatusSuccessful, TxHash: txs[i], BlockHash: hash, TransactionIndex: uint(i)}
		if number != nil {
			rc.BlockNumber = new(big.Int).Set(number)
		}
		if r.wrong() {
			rc.BlockHash = r.hash()
		}
		if r.wrong() {
			rc.TransactionIndex = uint(r.byte())
		}
		if r.wrong() {
			rc.TxHash = r.hash()
		}
		if r.wrong() {
			rc.Status = types.ReceiptStatusFailed
		}
		for range int(r.byte() % 4) {
			if r.wrong() {
				rc.Logs = append(rc.Logs, nil)
				continue
			}
			l := &types.Log{BlockHash: hash, BlockNumber: num, TxHash: rc.TxHash, TxIndex: uint(i), Index: logIndex}
			logIndex++
			switch r.byte() % 4 {
			case 0: // ordinary log
				l.Address = common.BytesToAddress(r.bytes(20))
				for range int(r.byte() % 5) {
					l.Topics = append(l.Topics, r.hash())
				}
				l.Data = r.bytes(int(r.byte()))
			case 1: // executing message, maybe corrupted
				msg := message.Message{Identifier: message.Identifier{
					Origin: common.BytesToAddress(r.bytes(20)), BlockNumber: uint64(r.byte()),
					LogIndex: uint32(r.byte()), Timestamp: uint64(r.byte()),
				}, MsgHash: r.hash()}
				msg.Identifier.ChainID.SetBytes(r.bytes(int(r.byte() % 33)))
				el := ievent.EncodeLog(&msg)
				l.Address, l.Topics, l.Data = el.Address, el.Topics, el.Data
				if r.wrong() {
					l.Data[r.byte()%160] ^= 1 + r.byte()%255
				}
			case 2: // CrossL2Inbox log with the event topic and arbitrary shape
				l.Address = params.CrossL2InboxAddress
				l.Topics = []common.Hash{ievent.ExecutingMessageTopic}
				for range int(r.byte() % 3) {
					l.Topics = append(l.Topics, r.hash())
				}
				l.Data = r.bytes(int(r.byte()) + int(r.byte()%2)*96)
			case 3: // CrossL2Inbox log under another topic
				l.Address = params.CrossL2InboxAddress
				l.Topics = []common.Hash{r.hash()}
			}
			if r.wrong() {
				l.Index = uint(r.byte())
			}
			if r.wrong() {
				l.BlockHash = r.hash()
			}
			if r.wrong() {
				l.BlockNumber = uint64(r.byte())
			}
			if r.wrong() {
				l.TxIndex = uint(r.byte())
			}
			l.Removed = r.wrong()
			rc.Logs = append(rc.Logs, l)
		}
		receipts = append(receipts, rc)
	}
	h.ReceiptHash = types.EmptyReceiptsHash
	if !slices.Contains(receipts, nil) && !slices.ContainsFunc(receipts, func(rc *types.Receipt) bool { return slices.Contains(rc.Logs, nil) }) {
		h.ReceiptHash = receiptsRoot(receipts)
	}
	if r.wrong() {
		h.ReceiptHash = r.hash()
	}
	hash = h.Hash()
	for _, rc := range receipts {
		if rc == nil {
			continue
		}
		if rc.BlockHash == placeholder {
			rc.BlockHash = hash
		}
		for _, l := range rc.Logs {
			if l != nil && l.BlockHash == placeholder {
				l.BlockHash = hash
			}
		}
	}
	switch r.byte() {
	case 255:
		txs = nil // a local source
	case 254:
		txs = txs[:len(txs)/2]
	case 253:
		receipts = receipts[:len(receipts)/2]
	}
	return h, txs, receipts
}

// FuzzBlockFromReceipts: arbitrary source data never panics and is either rejected with
// ErrBadBlock or converted into one log hash per log, executing messages included.
func FuzzBlockFromReceipts(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{5, 0, 3})
	f.Add([]byte{7, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33})
	f.Add(crypto.Keccak256(nil))
	f.Add(append(crypto.Keccak256([]byte("a")), crypto.Keccak256([]byte("b"))...))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, txs, receipts := fuzzBlock(data)
		b, err := BlockFromReceipts(h, txs, receipts)
		if err != nil {
			if b != nil || !errors.Is(err, ErrBadBlock) {
				t.Fatalf("error %v with block %v, or not ErrBadBlock", err, b)
			}
			return
		}
		var logs []*types.Log
		for _, r := range receipts {
			logs = append(logs, r.Logs...)
		}
		if len(b.LogHashes) != len(logs) {
			t.Fatalf("%d log hashes for %d logs", len(b.LogHashes), len(logs))
		}
		for i, l := range logs {
			if b.LogHashes[i] != message.LogHashOf(l) {
				t.Fatalf("log hash %d differs", i)
			}
		}
		if receiptsRoot(receipts) != h.ReceiptHash {
			t.Fatal("accepted receipts that are not the header's")
		}
		if b.Hash != h.Hash() || b.Number != h.Number.Uint64() || b.ParentHash != h.ParentHash || b.Timestamp != h.Time {
			t.Fatalf("block ref %+v does not match the header", b.BlockRef)
		}
		prev := -1
		for _, em := range b.ExecMsgs {
			if int(em.LogIndex) <= prev || int(em.LogIndex) >= len(logs) {
				t.Fatalf("exec msg at log %d out of order or range", em.LogIndex)
			}
			prev = int(em.LogIndex)
			if l := logs[em.LogIndex]; l.Address != params.CrossL2InboxAddress || em.Msg.MsgHash != l.Topics[1] {
				t.Fatalf("exec msg at log %d is not that log", em.LogIndex)
			}
		}
	})
}

// benchBlock is a block of 10 transactions with 10 logs each, one executing message per
// transaction.
func benchBlock() (*types.Header, []common.Hash, types.Receipts) {
	h := &types.Header{Number: big.NewInt(1000), TxHash: common.Hash{1}, Difficulty: new(big.Int), Time: 12345}
	hash := h.Hash()
	var txs []common.Hash
	var receipts types.Receipts
	var idx uint
	for i := range 10 {
		tx := crypto.Keccak256Hash([]byte{byte(i)})
		txs = append(txs, tx)
		r := &types.Receipt{Status: 1, TxHash: tx, BlockHash: hash, BlockNumber: big.NewInt(1000), TransactionIndex: uint(i)}
		for j := range 10 {
			var l *types.Log
			if j == 0 {
				msg := message.Message{Identifier: message.Identifier{Origin: common.Address{1}, BlockNumber: 7, Timestamp: 9, ChainID: *uint256.NewInt(902)}, MsgHash: common.Hash{2}}
				l = ievent.EncodeLog(&msg)
			} else {
				l = &types.Log{
					Address: common.Address{byte(j)},
					Topics:  []common.Hash{{1}, {2}, {3}},
					Data:    make([]byte, 96),
				}
			}
			l.BlockHash, l.BlockNumber, l.TxHash, l.TxIndex, l.Index = hash, 1000, tx, uint(i), idx
			idx++
			r.Logs = append(r.Logs, l)
		}
		receipts = append(receipts, r)
	}
	h.ReceiptHash = receiptsRoot(receipts)
	hash = h.Hash()
	for _, r := range receipts {
		r.BlockHash = hash
		for _, l := range r.Logs {
			l.BlockHash = hash
		}
	}
	return h, txs, receipts
}

func BenchmarkBlockFromReceipts100Logs(b *testing.B) {
	h, txs, receipts := benchBlock()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		blk, err := BlockFromReceipts(h, txs, receipts)
		if err != nil || len(blk.LogHashes) != 100 || len(blk.ExecMsgs) != 10 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "logs/s")
}
