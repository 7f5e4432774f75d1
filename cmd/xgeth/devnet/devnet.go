// Package devnet runs several OP Stack chains in one process, each an op-geth node with
// xgeth's interop features, sequenced by an in-process driver of the engine API. It is the
// embedded default of `xgeth devnet` and the base of the end-to-end tests. It has no L1:
// every block names a fixed, fabricated L1 origin.
package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
	"github.com/xgeth/xgeth/interop/checker"
	"github.com/xgeth/xgeth/interop/cluster"
	"github.com/xgeth/xgeth/interop/depset"
	"github.com/xgeth/xgeth/interop/safety"
	"github.com/xgeth/xgeth/interop/service"
	"github.com/xgeth/xgeth/txpool"
)

// Config says what devnet to run.
type Config struct {
	ChainIDs  []uint64      // chain IDs, one chain each (default 901, 902)
	BasePort  int           // chain i listens on BasePort+i for HTTP and WS (0: free ports)
	BlockTime time.Duration // whole seconds (default 2s)
	DataDir   string        // "" keeps everything in memory
	Accounts  int           // prefunded accounts of the test mnemonic (default 10)

	// DepSet is the dependency set file (--interop.depset), or nil: the devnet's chains and
	// Remote. It must list every chain the devnet runs, with no timing or the devnet's own
	// (blockTime BlockTime, activationTime at or before genesis: interop is active from the
	// genesis block); their "rpc" is not used. Every other chain is followed at its "rpc"
	// (or Remote's URL) with the file's timing. Its overrideMessageExpiryWindow applies.
	DepSet *depset.Set
	// Remote chains of the dependency set run by other processes: chain ID → JSON-RPC URL
	// (with DepSet, it replaces the file's "rpc" of a chain the file lists). A remote chain
	// without timing in DepSet activates interop at its genesis block and has BlockTime.
	Remote map[uint64]string
	// Interop policy: minimum safety (any ordered level, see CheckMinSafety) and system
	// gas margin of the pool (zero values select txpool.DefaultConfig's), and the checker's
	// cap on access-list entries (0: its default).
	MinSafety  safety.Level
	MaxEntries int
	GasMargin  uint64
	// Failsafe starts with the interop failsafe on.
	Failsafe bool
	// SafeLag and FinalizedLag simulate L1 progress: a block is reported local-safe SafeLag
	// blocks after it was sequenced, and local-finalized FinalizedLag blocks later still.
	SafeLag, FinalizedLag uint64
	// SafeLagOf overrides SafeLag for the chains it names (chain ID → lag): a chain whose
	// batches reach L1 late, whose blocks stay local-unsafe while the other chains' become
	// local-safe (cross-safe then waits for it). It may name only chains the devnet runs.
	SafeLagOf map[uint64]uint64
	// ReplaceDelay keeps a denied block canonical this long before the sequencer replaces it
	// (0: at once), so that it can be watched.
	ReplaceDelay time.Duration
	// Cluster gives each chain its own dependency set (nil: every chain accepts every
	// chain of the dependency set). Its chains must be exactly the devnet's.
	Cluster *cluster.Graph
	// RemoteStartBlock / RemoteStartTime: where followers of remote chains start on an
	// empty index (default: their genesis).
	RemoteStartBlock, RemoteStartTime uint64

	// AutoRelay relays every L2ToL2CrossDomainMessenger message sent to a devnet chain, with
	// the Relayer account (relay.go). `xgeth devnet` turns it on.
	AutoRelay bool
	// AdminPort is the port of supersim's admin JSON-RPC on 127.0.0.1 (admin.go): 0 picks a
	// free port, a negative value turns it off. `xgeth devnet` uses DefaultAdminPort.
	AdminPort int
	// RelayLog gets the log lines of the message tracker and the auto-relay (nil: the root
	// logger).
	RelayLog log.Logger
}

// Default simulated L1 lags, in blocks: safe trails latest by a few blocks, finalized a
// few more.
const (
	DefaultSafeLag      = 4
	DefaultFinalizedLag = 4
)

// AuthPortOffset places chain i's authenticated port at BasePort+AuthPortOffset+i (9645,
// 9646, … by default): above the HTTP ports of the largest devnet (64 chains).
const AuthPortOffset = 100

// DefaultConfig is the devnet `xgeth devnet` runs without flags.
func DefaultConfig() Config {
	return Config{ChainIDs: []uint64{901, 902}, BasePort: 9545, BlockTime: 2 * time.Second, Accounts: 10, SafeLag: DefaultSafeLag, FinalizedLag: DefaultFinalizedLag}
}

// Devnet is a running set of chains.
type Devnet struct {
	Chains    []*Chain
	Accounts  []Account
	Interop   *service.Service
	JWTSecret string // file holding the JWT secret of every chain's authenticated port

	tempJWT   bool           // JWTSecret is a temporary file of an in-memory devnet
	cluster   *cluster.Graph // per-chain dependency sets, or nil (full mesh)
	messaging *messaging     // message tracker, auto-relay, admin server (messages.go)
	db        ethdb.KeyValueStore
}

// Start starts every chain of cfg and their sequencers.
func Start(cfg Config) (*Devnet, error) {
	if len(cfg.ChainIDs) == 0 {
		return nil, errors.New("devnet: no chains configured")
	}
	seen := map[uint64]bool{}
	for _, id := range cfg.ChainIDs {
		if id == 0 {
			return nil, errors.New("devnet: chain ID 0 is not allowed")
		}
		if seen[id] {
			return nil, fmt.Errorf("devnet: duplicate chain ID %d", id)
		}
		seen[id] = true
	}
	for id := range cfg.SafeLagOf {
		if !seen[id] {
			return nil, fmt.Errorf("devnet: SafeLagOf names chain %d, which this devnet does not run", id)
		}
	}
	if cfg.Cluster == nil && cfg.DepSet != nil && cfg.DepSet.PerChain() {
		cfg.Cluster = cfg.DepSet.Cluster()
	}
	if err := checkCluster(cfg); err != nil {
		return nil, err
	}
	if cfg.BlockTime < time.Second || cfg.BlockTime%time.Second != 0 {
		return nil, fmt.Errorf("devnet: block time must be a whole number of seconds, got %v", cfg.BlockTime)
	}
	if cfg.BasePort < 0 || cfg.BasePort+AuthPortOffset+len(cfg.ChainIDs) > 65536 {
		return nil, fmt.Errorf("devnet: invalid base port %d", cfg.BasePort)
	}
	if cfg.MinSafety != 0 {
		if err := CheckMinSafety(cfg.MinSafety); err != nil {
			return nil, fmt.Errorf("devnet: MinSafety: %w", err)
		}
	}
	accounts, err := DeriveAccounts(TestMnemonic, cfg.Accounts)
	if err != nil {
		return nil, err
	}
	genesisTime, err := genesisTime(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	set, err := dependencySet(cfg, genesisTime)
	if err != nil {
		return nil, err
	}
	d := &Devnet{Accounts: accounts, messaging: newMessaging(cfg), cluster: cfg.Cluster}
	devAPIs := []rpc.API{{Namespace: "interop", Service: &devAPI{d}}}
	if d.JWTSecret, d.tempJWT, err = jwtSecretFile(cfg.DataDir, cfg.BasePort); err != nil {
		return nil, err
	}
	if d.Interop, d.db, err = startInterop(cfg, set); err != nil {
		d.Close() // removes a temporary JWT secret
		return nil, err
	}
	for i, id := range cfg.ChainIDs {
		port, authPort := 0, 0
		if cfg.BasePort != 0 {
			port, authPort = cfg.BasePort+i, cfg.BasePort+AuthPortOffset+i
		}
		pool := txpool.DefaultConfig(uint256.NewInt(id))
		if cfg.MinSafety != 0 {
			pool.MinSafety = cfg.MinSafety
		}
		if cfg.GasMargin > 0 {
			pool.GasMargin = cfg.GasMargin
		}
		safeLag := cfg.SafeLag
		if lag, ok := cfg.SafeLagOf[id]; ok {
			safeLag = lag
		}
		c, err := startChain(chainSpec{ChainID: id, Port: port, AuthPort: authPort, DataDir: cfg.DataDir, BlockTime: cfg.BlockTime, GenesisTime: genesisTime, Accounts: accounts, Interop: d.Interop, Pool: pool, JWTSecret: d.JWTSecret,
			SafeLag: safeLag, FinalizedLag: cfg.FinalizedLag, ReplaceDelay: cfg.ReplaceDelay, APIs: devAPIs})
		if err != nil {
			d.Close()
			return nil, err
		}
		d.Chains = append(d.Chains, c)
	}
	if err := d.Interop.Start(); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.messaging.start(d, cfg); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// ErrCluster: Config.Cluster does not describe the devnet's chains.
var ErrCluster = errors.New("cluster")

// checkCluster refuses a cluster whose chains are not exactly the devnet's own.
func checkCluster(cfg Config) error {
	if cfg.Cluster == nil {
		return nil
	}
	for _, id := range cfg.ChainIDs {
		if !cfg.Cluster.Has(uint256.NewInt(id)) {
			return fmt.Errorf("devnet: %w: chain %d has no dependency set", ErrCluster, id)
		}
	}
	for _, id := range cfg.Cluster.Chains() {
		if cfg.DepSet != nil && cfg.DepSet.Has(&id) {
			continue // a chain of the dependency-set file: run here or followed
		}
		if !id.IsUint64() || !slices.Contains(cfg.ChainIDs, id.Uint64()) {
			return fmt.Errorf("devnet: %w: chain %s is not run by this devnet", ErrCluster, id.Dec())
		}
	}
	return nil
}

// CheckMinSafety refuses what cannot be a minimum safety level (invalid): the safety
// engine answers every ordered level, and anything else would refuse every interop
// transaction while the node looks healthy.
func CheckMinSafety(l safety.Level) error {
	if !l.Ordered() {
		return fmt.Errorf("%s is not a minimum safety level (want unsafe, cross-unsafe, local-safe, safe or finalized)", l)
	}
	return nil
}

// ErrDependencySet: Config.DepSet or Config.Remote cannot be run as given. The wrapping
// error names the chain and the field.
var ErrDependencySet = errors.New("dependency set")

// dependencySet is the set the devnet runs: its own chains (interop active from genesis,
// its block time) and the remote ones, from cfg.DepSet and cfg.Remote. Everything that can
// be refused is refused before a remote chain is dialled for its genesis time.
func dependencySet(cfg Config, genesisTime uint64) (*depset.Set, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("devnet: %w: %s", ErrDependencySet, fmt.Sprintf(format, args...))
	}
	bt := uint64(cfg.BlockTime / time.Second)
	var chains, remote, unseen []depset.Chain
	for _, id := range cfg.ChainIDs {
		if _, ok := cfg.Remote[id]; ok {
			return nil, bad("chain %d is both run here and remote", id)
		}
		chains = append(chains, depset.Chain{ID: *uint256.NewInt(id), ActivationTime: genesisTime, BlockTime: bt})
	}
	var expiry uint64 // 0: the protocol's window
	if cfg.DepSet == nil {
		for id, url := range cfg.Remote {
			remote = append(remote, depset.Chain{ID: *uint256.NewInt(id), RPC: url})
		}
	} else {
		expiry = cfg.DepSet.ExpiryWindow()
		for _, id := range cfg.ChainIDs {
			if !cfg.DepSet.Has(uint256.NewInt(id)) {
				return nil, bad("chain %d, which this devnet runs, is not listed", id)
			}
		}
		for id := range cfg.Remote {
			if !cfg.DepSet.Has(uint256.NewInt(id)) {
				return nil, bad("remote chain %d (--interop.rpc) is not listed", id)
			}
		}
		for _, c := range cfg.DepSet.Chains() {
			if !c.ID.IsUint64() {
				return nil, bad("chain %s: the devnet handles chain IDs below 2^64 only", c.ID.Dec())
			}
			id := c.ID.Uint64()
			if slices.Contains(cfg.ChainIDs, id) {
				// The devnet cannot move its own chains' interop fork or block time.
				if c.HasTiming() && c.BlockTime != bt {
					return nil, bad("chain %d: blockTime %d differs from the devnet's block time %d", id, c.BlockTime, bt)
				}
				if c.HasTiming() && c.ActivationTime > genesisTime {
					return nil, bad("chain %d: activationTime %d is after the devnet's genesis %d (its interop is active from genesis)", id, c.ActivationTime, genesisTime)
				}
				continue
			}
			if url, ok := cfg.Remote[id]; ok {
				c.RPC = url
			}
			if c.RPC == "" {
				if !cfg.DepSet.PerChain() || accepted(cfg, &c.ID) {
					return nil, bad("chain %d is not run by this devnet and has no \"rpc\" endpoint", id)
				}
				// Reached only through other chains (or not at all): not followed. Its
				// timing is the file's, or the devnet's.
				if !c.HasTiming() {
					c.ActivationTime, c.BlockTime = genesisTime, bt
				}
				unseen = append(unseen, c)
				continue
			}
			remote = append(remote, c)
		}
	}
	for _, c := range remote {
		if !c.HasTiming() {
			activation, err := remoteGenesisTime(c.RPC)
			if err != nil {
				return nil, fmt.Errorf("devnet: remote chain %s: %w", c.ID.Dec(), err)
			}
			c.ActivationTime, c.BlockTime = activation, bt
		}
		chains = append(chains, c)
	}
	chains = append(chains, unseen...)
	if cfg.DepSet != nil && cfg.DepSet.PerChain() {
		g := cfg.DepSet.Cluster()
		sets := map[uint256.Int][]uint256.Int{}
		for _, id := range g.Chains() {
			sets[id] = append([]uint256.Int{id}, g.Direct(&id)...)
		}
		set, err := depset.NewCluster(chains, sets, expiry)
		if err != nil {
			return nil, fmt.Errorf("devnet: %w", err)
		}
		return set, nil
	}
	set, err := depset.New(chains, expiry)
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	return set, nil
}

// accepted reports whether a chain the devnet runs has id in its own dependency set.
func accepted(cfg Config, id *uint256.Int) bool {
	for _, own := range cfg.ChainIDs {
		if cfg.Cluster.Accepts(uint256.NewInt(own), id) {
			return true
		}
	}
	return false
}

// startInterop opens the log index database and the interop service of set.
func startInterop(cfg Config, set *depset.Set) (*service.Service, ethdb.KeyValueStore, error) {
	var (
		db  ethdb.KeyValueStore = memorydb.New()
		err error
	)
	if cfg.DataDir != "" {
		if db, err = pebble.New(filepath.Join(cfg.DataDir, "interop"), 64, 64, "xgeth/interop/db/", false); err != nil {
			return nil, nil, fmt.Errorf("devnet: interop index database: %w", err)
		}
	}
	var local []*uint256.Int
	for _, id := range cfg.ChainIDs {
		local = append(local, uint256.NewInt(id))
	}
	follow, _ := set.Reach(local...)
	svc, err := service.New(service.Config{DepSet: set, Follow: follow, DB: db, Failsafe: cfg.Failsafe, StartBlock: cfg.RemoteStartBlock, StartTime: cfg.RemoteStartTime,
		Checker: checker.Config{MaxEntries: cfg.MaxEntries, Cluster: cfg.Cluster}})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, db, nil
}

// jwtSecretFile is the JWT secret of the authenticated ports: kept in the data directory,
// or a fresh secret in a temporary file for an in-memory devnet. On fixed ports that file
// has a fixed name, <tmp>/xgeth-devnet-<port>.jwt (e.g. /tmp/xgeth-devnet-9545.jwt), so
// scripts can reach the fault API; only one devnet can hold those ports anyway (a second
// one reads the same secret, and fails on the ports).
func jwtSecretFile(dataDir string, basePort int) (path string, temporary bool, err error) {
	switch {
	case dataDir != "":
		path = filepath.Join(dataDir, "jwtsecret")
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return "", false, err
		}
	case basePort != 0:
		path = filepath.Join(os.TempDir(), fmt.Sprintf("xgeth-devnet-%d.jwt", basePort))
		_, err := os.Stat(path)
		temporary = errors.Is(err, os.ErrNotExist) // another devnet's is left alone
	default:
		f, err := os.CreateTemp("", "xgeth-devnet-jwt-*.hex")
		if err != nil {
			return "", false, err
		}
		path, temporary = f.Name(), true
		f.Close()
		os.Remove(path) // node.ObtainJWTSecret generates it
	}
	if _, err := node.ObtainJWTSecret(path); err != nil {
		return "", false, fmt.Errorf("devnet: JWT secret: %w", err)
	}
	return path, temporary, nil
}

// remoteGenesisTime reads the genesis timestamp of a devnet chain run by another process.
func remoteGenesisTime(url string) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	h, err := client.HeaderByNumber(ctx, big.NewInt(0))
	if err != nil {
		return 0, fmt.Errorf("genesis header: %w", err)
	}
	return h.Time, nil
}

// genesisTime is now for an in-memory devnet; a devnet with a data directory remembers the
// genesis time of its first start so its genesis blocks stay the same across restarts.
func genesisTime(dataDir string) (uint64, error) {
	now := uint64(time.Now().Unix())
	if dataDir == "" {
		return now, nil
	}
	path := filepath.Join(dataDir, "devnet.json")
	var meta struct {
		GenesisTime uint64 `json:"genesisTime"`
	}
	if blob, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(blob, &meta); err != nil || meta.GenesisTime == 0 {
			return 0, fmt.Errorf("devnet: corrupt %s: %v", path, err)
		}
		return meta.GenesisTime, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return 0, err
	}
	meta.GenesisTime = now
	blob, _ := json.Marshal(meta)
	return now, os.WriteFile(path, blob, 0o644)
}

// Close stops the interop service, then every chain.
func (d *Devnet) Close() {
	if d.messaging != nil {
		d.messaging.close()
	}
	if d.Interop != nil {
		d.Interop.Stop()
	}
	for _, c := range d.Chains {
		c.Close()
	}
	if d.db != nil {
		d.db.Close()
	}
	if d.tempJWT {
		os.Remove(d.JWTSecret)
	}
}

// PrintSummary writes the chains and prefunded accounts as tables, like other local devnets.
func (d *Devnet) PrintSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAIN ID\tHTTP RPC\tWS RPC\tINTEROP (for op-geth)\tAUTH RPC (JWT)")
	for _, c := range d.Chains {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, c.HTTPEndpoint(), c.WSEndpoint(), c.InteropEndpoint(), c.AuthEndpoint())
	}
	tw.Flush()
	fmt.Fprintf(w, "JWT secret: %s\n", d.JWTSecret)
	if g := d.cluster; g != nil {
		fmt.Fprintln(w, "\nDependency sets (each chain also accepts its own messages)")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHAIN ID\tACCEPTS MESSAGES FROM\tTRANSITIVE SET")
		for _, c := range d.Chains {
			id := uint256.NewInt(c.ID)
			fmt.Fprintf(tw, "%d\t%s\t%s\n", c.ID, idList(g.Direct(id)), idList(g.Transitive(id)))
		}
		tw.Flush()
	}
	if ms := d.messaging; ms != nil { // messages.go, relay.go, admin.go
		relay := "on"
		if ms.relayer == nil {
			relay = "off"
		}
		fmt.Fprintf(w, "Auto-relay: %s, relayer %s (prefunded on every chain, not a test account)\n", relay, Relayer.Address.Hex())
		if ms.admin != nil {
			fmt.Fprintf(w, "supersim admin API: %s\n", ms.admin.endpoint())
		}
	}
	fmt.Fprintf(w, "\nPrefunded accounts (%s ETH each on every chain)\nmnemonic: %q, path m/44'/60'/0'/0/i\n\n", new(big.Int).Div(PrefundBalance, big.NewInt(1e18)), TestMnemonic)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tADDRESS\tPRIVATE KEY")
	for i, a := range d.Accounts {
		fmt.Fprintf(tw, "(%d)\t%s\t%s\n", i, a.Address.Hex(), a.KeyHex())
	}
	tw.Flush()
}

// idList is ids as "902, 903", or "(none)".
func idList(ids []uint256.Int) string {
	if len(ids) == 0 {
		return "(none)"
	}
	return cluster.IDList(ids)
}
