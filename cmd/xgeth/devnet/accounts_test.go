package devnet

import "testing"

// The first accounts of the test mnemonic are public knowledge (every local devnet prints them).
func TestDeriveAccountsTestMnemonic(t *testing.T) {
	accs, err := DeriveAccounts(TestMnemonic, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ addr, key string }{
		{"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},
		{"0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"},
		{"0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"},
	}
	for i, idx := range []int{0, 1, 9} {
		if got := accs[idx].Address.Hex(); got != want[i].addr {
			t.Errorf("account %d: address %s, want %s", idx, got, want[i].addr)
		}
		if got := accs[idx].KeyHex(); got != want[i].key {
			t.Errorf("account %d: key %s, want %s", idx, got, want[i].key)
		}
	}
}
