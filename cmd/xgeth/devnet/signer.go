package devnet

import (
	"errors"
	"math/big"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/event"
)

// The devnet answers eth_accounts with the prefunded test accounts and signs
// eth_sendTransaction, eth_signTransaction and eth_sign for them, as anvil does, so that
// `cast send --unlocked --from ...` and the console's helpers work without keys.
//
// The keys are held by an in-memory wallet added to geth's account manager rather than a
// keystore: the keys are public (the test mnemonic), so encrypting them buys nothing, and a
// keystore would write well-known keys into the data directory (or a temporary one for an
// in-memory devnet) and spend a scrypt derivation per key and chain on every start.
//
// Anyone who can reach the devnet's ports can spend these accounts; so can anyone who read
// the mnemonic. That is what a local devnet's test accounts are for.

// errNoDerivation: the test wallet holds a fixed list of keys.
var errNoDerivation = errors.New("devnet test wallet: derivation not supported")

// testWallet is an unlocked accounts.Wallet over the devnet's test accounts.
type testWallet struct {
	accounts []accounts.Account
	keys     map[accounts.Account]Account // by accounts.Account with Address and URL set
}

var testWalletURL = accounts.URL{Scheme: "devnet", Path: "test-mnemonic"}

func newTestWallet(accs []Account) *testWallet {
	w := &testWallet{keys: make(map[accounts.Account]Account, len(accs))}
	for _, a := range accs {
		acc := accounts.Account{Address: a.Address, URL: testWalletURL}
		w.accounts = append(w.accounts, acc)
		w.keys[acc] = a
	}
	return w
}

// key finds the key of account, whose URL may be empty (callers look accounts up by address).
func (w *testWallet) key(account accounts.Account) (Account, error) {
	if account.URL != (accounts.URL{}) && account.URL != testWalletURL {
		return Account{}, accounts.ErrUnknownAccount
	}
	a, ok := w.keys[accounts.Account{Address: account.Address, URL: testWalletURL}]
	if !ok {
		return Account{}, accounts.ErrUnknownAccount
	}
	return a, nil
}

func (w *testWallet) URL() accounts.URL            { return testWalletURL }
func (w *testWallet) Status() (string, error)      { return "Unlocked", nil }
func (w *testWallet) Open(passphrase string) error { return nil }
func (w *testWallet) Close() error                 { return nil }
func (w *testWallet) Accounts() []accounts.Account {
	return append([]accounts.Account(nil), w.accounts...)
}
func (w *testWallet) Contains(a accounts.Account) bool { _, err := w.key(a); return err == nil }

func (w *testWallet) Derive(path accounts.DerivationPath, pin bool) (accounts.Account, error) {
	return accounts.Account{}, errNoDerivation
}

func (w *testWallet) SelfDerive(bases []accounts.DerivationPath, chain ethereum.ChainStateReader) {}

// SignData signs keccak256(data), as geth's keystore does.
func (w *testWallet) SignData(account accounts.Account, mimeType string, data []byte) ([]byte, error) {
	return w.signHash(account, crypto.Keccak256(data))
}

func (w *testWallet) SignDataWithPassphrase(account accounts.Account, passphrase, mimeType string, data []byte) ([]byte, error) {
	return w.SignData(account, mimeType, data)
}

// SignText signs the EIP-191 hash of text (eth_sign).
func (w *testWallet) SignText(account accounts.Account, text []byte) ([]byte, error) {
	return w.signHash(account, accounts.TextHash(text))
}

func (w *testWallet) SignTextWithPassphrase(account accounts.Account, passphrase string, text []byte) ([]byte, error) {
	return w.SignText(account, text)
}

func (w *testWallet) SignTx(account accounts.Account, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	a, err := w.key(account)
	if err != nil {
		return nil, err
	}
	return types.SignTx(tx, types.LatestSignerForChainID(chainID), a.Key)
}

func (w *testWallet) SignTxWithPassphrase(account accounts.Account, passphrase string, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	return w.SignTx(account, tx, chainID)
}

func (w *testWallet) signHash(account accounts.Account, hash []byte) ([]byte, error) {
	a, err := w.key(account)
	if err != nil {
		return nil, err
	}
	return crypto.Sign(hash, a.Key)
}

// testBackend is the account manager's backend of the one test wallet.
type testBackend struct {
	wallet *testWallet
	feed   event.Feed // never sends: the wallet is there from the start and never goes
}

func (b *testBackend) Wallets() []accounts.Wallet { return []accounts.Wallet{b.wallet} }

func (b *testBackend) Subscribe(sink chan<- accounts.WalletEvent) event.Subscription {
	return b.feed.Subscribe(sink)
}

// addTestSigner makes accs the unlocked accounts of the node's account manager.
func addTestSigner(am *accounts.Manager, accs []Account) {
	if len(accs) == 0 {
		return
	}
	am.AddBackend(&testBackend{wallet: newTestWallet(accs)})
}
