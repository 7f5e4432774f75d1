package devnet

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestMnemonic is the mnemonic every local Ethereum devnet prefunds accounts from.
const TestMnemonic = "test test test test test test test test test test test junk"

// Account is a prefunded devnet account.
type Account struct {
	Address common.Address
	Key     *ecdsa.PrivateKey
}

// KeyHex is the account's private key as 0x-prefixed hex.
func (a Account) KeyHex() string {
	return fmt.Sprintf("%#x", crypto.FromECDSA(a.Key))
}

const hardened = uint32(1) << 31

// DeriveAccounts derives accounts 0..n-1 of mnemonic on the standard Ethereum path
// m/44'/60'/0'/0/i (BIP-39 seed with an empty passphrase, BIP-32 derivation).
func DeriveAccounts(mnemonic string, n int) ([]Account, error) {
	words := strings.Join(strings.Fields(mnemonic), " ")
	seed, err := pbkdf2.Key(sha512.New, words, []byte("mnemonic"), 2048, 64)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha512.New, []byte("Bitcoin seed"))
	mac.Write(seed)
	sum := mac.Sum(nil)
	key, chain := new(big.Int).SetBytes(sum[:32]), sum[32:]
	for _, idx := range []uint32{44 | hardened, 60 | hardened, 0 | hardened, 0} {
		if key, chain, err = deriveChild(key, chain, idx); err != nil {
			return nil, err
		}
	}
	accounts := make([]Account, n)
	for i := range accounts {
		k, _, err := deriveChild(key, chain, uint32(i))
		if err != nil {
			return nil, err
		}
		priv, err := crypto.ToECDSA(common.LeftPadBytes(k.Bytes(), 32))
		if err != nil {
			return nil, err
		}
		accounts[i] = Account{Address: crypto.PubkeyToAddress(priv.PublicKey), Key: priv}
	}
	return accounts, nil
}

// deriveChild is BIP-32 private child key derivation.
func deriveChild(key *big.Int, chain []byte, index uint32) (*big.Int, []byte, error) {
	var data []byte
	if index >= hardened {
		data = append([]byte{0}, common.LeftPadBytes(key.Bytes(), 32)...)
	} else {
		priv, err := crypto.ToECDSA(common.LeftPadBytes(key.Bytes(), 32))
		if err != nil {
			return nil, nil, err
		}
		data = crypto.CompressPubkey(&priv.PublicKey)
	}
	data = binary.BigEndian.AppendUint32(data, index)
	mac := hmac.New(sha512.New, chain)
	mac.Write(data)
	sum := mac.Sum(nil)
	n := crypto.S256().Params().N
	il := new(big.Int).SetBytes(sum[:32])
	if il.Cmp(n) >= 0 {
		return nil, nil, fmt.Errorf("bip32: invalid child %d", index)
	}
	child := il.Add(il, key)
	child.Mod(child, n)
	if child.Sign() == 0 {
		return nil, nil, fmt.Errorf("bip32: invalid child %d", index)
	}
	return child, sum[32:], nil
}
