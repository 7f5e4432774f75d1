package devnet

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func testAccounts(t testing.TB) []Account {
	accs, err := DeriveAccounts(TestMnemonic, 3)
	if err != nil {
		t.Fatal(err)
	}
	return accs
}

// The wallet signs for its accounts only, looked up by address with or without its URL,
// and what it signs recovers to the account.
func TestTestWalletSigns(t *testing.T) {
	accs := testAccounts(t)
	w := newTestWallet(accs)
	if got := w.Accounts(); len(got) != 3 || got[0].Address != accs[0].Address || got[2].Address != accs[2].Address {
		t.Fatalf("accounts %v, want the test accounts in order", got)
	}
	chainID := big.NewInt(901)
	to := common.Address{1}
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: 7, Gas: 21000, To: &to, Value: big.NewInt(1)})
	signed, err := w.SignTx(accounts.Account{Address: accs[1].Address}, tx, chainID)
	if err != nil {
		t.Fatal(err)
	}
	if from, err := types.Sender(types.LatestSignerForChainID(chainID), signed); err != nil || from != accs[1].Address {
		t.Fatalf("tx signed by %s (%v), want %s", from, err, accs[1].Address)
	}
	for _, sign := range []func(accounts.Account) ([]byte, []byte, error){
		func(a accounts.Account) ([]byte, []byte, error) {
			sig, err := w.SignText(a, []byte("hello"))
			return accounts.TextHash([]byte("hello")), sig, err
		},
		func(a accounts.Account) ([]byte, []byte, error) {
			sig, err := w.SignData(a, accounts.MimetypeTypedData, []byte("hello"))
			return crypto.Keccak256([]byte("hello")), sig, err
		},
	} {
		hash, sig, err := sign(accounts.Account{Address: accs[2].Address, URL: testWalletURL})
		if err != nil {
			t.Fatal(err)
		}
		pub, err := crypto.SigToPub(hash, sig)
		if err != nil || crypto.PubkeyToAddress(*pub) != accs[2].Address {
			t.Fatalf("signature recovers to %v (%v), want %s", pub, err, accs[2].Address)
		}
	}
}

// Accounts the wallet does not hold are refused with the account manager's error.
func TestTestWalletRefusesUnknownAccounts(t *testing.T) {
	accs := testAccounts(t)
	w := newTestWallet(accs[:2])
	chainID := big.NewInt(901)
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Gas: 21000})
	for name, acc := range map[string]accounts.Account{
		"not in the wallet":       {Address: accs[2].Address},
		"zero address":            {},
		"other wallet's URL":      {Address: accs[0].Address, URL: accounts.URL{Scheme: "keystore", Path: "/x"}},
		"other path, same scheme": {Address: accs[0].Address, URL: accounts.URL{Scheme: "devnet", Path: "other"}},
	} {
		if w.Contains(acc) {
			t.Errorf("%s: Contains", name)
		}
		if _, err := w.SignTx(acc, tx, chainID); !errors.Is(err, accounts.ErrUnknownAccount) {
			t.Errorf("%s: SignTx error %v, want %v", name, err, accounts.ErrUnknownAccount)
		}
		if _, err := w.SignText(acc, []byte("x")); !errors.Is(err, accounts.ErrUnknownAccount) {
			t.Errorf("%s: SignText error %v, want %v", name, err, accounts.ErrUnknownAccount)
		}
	}
	if _, err := w.Derive(accounts.DefaultBaseDerivationPath, true); err == nil {
		t.Error("Derive succeeded")
	}
}

// The wallet never panics, whatever account and transaction it is handed, and signs only
// for its own accounts.
func FuzzTestWalletSignTx(f *testing.F) {
	accs := testAccounts(f)
	w := newTestWallet(accs)
	f.Add(accs[0].Address.Bytes(), uint64(0), []byte{}, int64(901))
	f.Add([]byte{1, 2, 3}, uint64(1<<63), []byte{0xff}, int64(-1))
	f.Fuzz(func(t *testing.T, addr []byte, nonce uint64, data []byte, chain int64) {
		chainID := big.NewInt(chain)
		tx := types.NewTx(&types.LegacyTx{Nonce: nonce, Data: data, GasPrice: new(big.Int), Value: new(big.Int)})
		account := accounts.Account{Address: common.BytesToAddress(addr)}
		signed, err := w.SignTx(account, tx, chainID)
		if !w.Contains(account) {
			if err == nil {
				t.Fatalf("signed for %s, which the wallet does not hold", account.Address)
			}
			return
		}
		if err != nil {
			return // e.g. a chain ID the signer cannot use
		}
		if from, err := types.Sender(types.LatestSignerForChainID(chainID), signed); err == nil && from != account.Address {
			t.Fatalf("signed by %s, want %s", from, account.Address)
		}
	})
}

func BenchmarkTestWalletSignTx(b *testing.B) {
	accs := testAccounts(b)
	w := newTestWallet(accs)
	chainID := big.NewInt(901)
	to := common.Address{1}
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Gas: 21000, To: &to})
	account := accounts.Account{Address: accs[0].Address}
	for b.Loop() {
		if _, err := w.SignTx(account, tx, chainID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddTestSigner is the start-up cost of the unlocked accounts, per chain.
func BenchmarkAddTestSigner(b *testing.B) {
	accs, err := DeriveAccounts(TestMnemonic, 10)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		am := accounts.NewManager(nil)
		addTestSigner(am, accs)
		if len(am.Accounts()) != 10 {
			b.Fatal("accounts missing")
		}
		am.Close()
	}
}
