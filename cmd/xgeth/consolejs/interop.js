// The console's "interop" object (xgeth attach / console / devnet --console). Everything is
// JSON-RPC over the console's own connection, except two functions the Go side provides in
// _xgethInterop: sleep(ms) between polls, and call(url, method, paramsJSON) to reach the
// destination chain's endpoint (the console has one connection, to one chain).
var interop = (function (go) {
	var MESSENGER = "0x4200000000000000000000000000000000000023";
	var ETH_BRIDGE = "0x4200000000000000000000000000000000000024";
	var TOKEN_BRIDGE = "0x4200000000000000000000000000000000000028";
	var TEST_TOKEN = "0x420beef000000000000000000000000000000001";
	var SENT_MESSAGE = "0x382409ac69001e11931a28435afef442cbfd20d9891907e8fa373ba7d351f320";
	var RELAYED_MESSAGE = "0xc270d73e26d2d39dee7ef92093555927e344e243415547ecc350b2b5385b68a2";
	var METHOD_NOT_FOUND = -32601;
	var POLL_MS = 500;

	var self = {
		MESSENGER: MESSENGER,
		ETH_BRIDGE: ETH_BRIDGE,
		TOKEN_BRIDGE: TOKEN_BRIDGE,
		TEST_TOKEN: TEST_TOKEN,
		timeout: 60, // seconds the send helpers wait for the relay
		endpoints: {} // chain ID → JSON-RPC URL of other chains
	};
	var sent = {}; // msgHash → {destination, fromBlock} of messages sent from this console
	var devnetConfig; // interop_devnetConfig's answer, once read

	function rpcError(method, err) {
		var e = new Error(method + ": " + err.message);
		e.code = err.code;
		return e;
	}

	// request sends one call over the console's connection, or to url.
	function request(method, params, url) {
		var resp;
		if (url) {
			resp = JSON.parse(go.call(url, method, JSON.stringify(params || [])));
		} else {
			resp = web3.currentProvider.send({ jsonrpc: "2.0", id: 1, method: method, params: params || [] });
		}
		if (resp.error) {
			throw rpcError(method, resp.error);
		}
		return resp.result;
	}

	function strip(hex) {
		return hex.indexOf("0x") === 0 || hex.indexOf("0X") === 0 ? hex.slice(2) : hex;
	}

	function word(x, what) {
		var n;
		if (x === undefined || x === null || x === "") {
			throw new Error(what + ": missing");
		}
		try {
			n = web3.toBigNumber(x);
		} catch (err) {
			throw new Error(what + ": not a number: " + x);
		}
		if (n.isNegative() || !n.isInteger() || n.greaterThanOrEqualTo(web3.toBigNumber(2).pow(256))) {
			throw new Error(what + ": not a uint256: " + x);
		}
		var h = n.toString(16);
		return new Array(65 - h.length).join("0") + h;
	}

	function address(a, what) {
		if (typeof a !== "string" || !/^(0x)?[0-9a-fA-F]{40}$/.test(a)) {
			throw new Error(what + ": not an address: " + a);
		}
		return new Array(25).join("0") + strip(a).toLowerCase();
	}

	function bytes(data, what) {
		var h = strip(data === undefined || data === null ? "" : String(data));
		if (!/^([0-9a-fA-F]{2})*$/.test(h)) {
			throw new Error(what + ": not hex bytes: " + data);
		}
		var padded = h + new Array((64 - (h.length % 64)) % 64 + 1).join("0");
		return word(h.length / 2, what) + padded;
	}

	// amount is a checked uint256 as web3 takes a value (hex without leading zeros).
	function amount(x, what) {
		word(x, what);
		return web3.toBigNumber(x);
	}

	function hash32(h, what) {
		if (typeof h !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(h)) {
			throw new Error(what + ": not a 32-byte 0x hash: " + h);
		}
		return h.toLowerCase();
	}

	function num(hex) {
		return web3.toDecimal(hex);
	}

	function chainIdOf(url) {
		return num(request("eth_chainId", [], url));
	}

	function waitMs(seconds) {
		var t = seconds === undefined ? self.timeout : Number(seconds);
		if (!(t > 0)) {
			throw new Error("timeout must be a positive number of seconds, got " + seconds);
		}
		return t * 1000;
	}

	// loadDevnetEndpoints adds the chains interop_devnetConfig names (an xgeth devnet
	// serves it) to self.endpoints, once; endpoints the user set stay.
	function loadDevnetEndpoints() {
		if (devnetConfig !== undefined) {
			return;
		}
		try {
			devnetConfig = request("interop_devnetConfig");
		} catch (err) {
			devnetConfig = null;
		}
		var found = {};
		collectEndpoints(devnetConfig, found);
		for (var id in found) {
			if (!self.endpoints[id]) {
				self.endpoints[id] = found[id];
			}
		}
	}

	// collectEndpoints finds, anywhere in v, objects naming a chain ID and a JSON-RPC URL
	// (http(s) preferred to ws(s); not the authenticated or /interop ones).
	function collectEndpoints(v, out) {
		if (!v || typeof v !== "object") {
			return;
		}
		var cid = v.chainId !== undefined ? v.chainId : v.chainID;
		if (cid !== undefined && !isNaN(Number(cid))) {
			var http = null, ws = null;
			for (var k in v) {
				if (typeof v[k] !== "string" || /auth|engine/i.test(k) || /\/interop$/.test(v[k])) {
					continue;
				}
				if (/^https?:\/\//.test(v[k])) {
					http = http || v[k];
				} else if (/^wss?:\/\//.test(v[k])) {
					ws = ws || v[k];
				}
			}
			if (http || ws) {
				out[Number(cid)] = http || ws;
			}
		}
		for (var key in v) {
			collectEndpoints(v[key], out);
		}
	}

	// endpoint is the URL of chain id, or null for the console's own chain.
	function endpoint(id) {
		id = Number(id);
		if (id === chainIdOf()) {
			return null;
		}
		if (!self.endpoints[id]) {
			loadDevnetEndpoints();
		}
		if (self.endpoints[id]) {
			return self.endpoints[id];
		}
		throw new Error("no JSON-RPC endpoint known for chain " + id + ": set one with interop.setEndpoint(" + id + ", \"http://127.0.0.1:PORT\")");
	}

	function receipt(txHash, ms) {
		var deadline = Date.now() + ms;
		for (;;) {
			var r = null;
			try {
				r = request("eth_getTransactionReceipt", [txHash]);
			} catch (err) {
				// geth's indexer catching up right after start: the receipt comes later.
				if (!/indexing is in progress/.test(err.message)) {
					throw err;
				}
			}
			if (r) {
				return r;
			}
			if (Date.now() > deadline) {
				throw new Error("transaction " + txHash + " not mined within " + ms / 1000 + " s");
			}
			go.sleep(POLL_MS / 2);
		}
	}

	// messageOfReceipt reads the SentMessage log of a receipt and computes the message hash,
	// keccak256(abi.encode(destination, source, nonce, sender, target, message)).
	function messageOfReceipt(r, source) {
		for (var i = 0; i < r.logs.length; i++) {
			var l = r.logs[i];
			if (l.address.toLowerCase() !== MESSENGER || l.topics.length !== 4 || l.topics[0] !== SENT_MESSAGE) {
				continue;
			}
			var data = strip(l.data);
			var offset = num("0x" + data.slice(64, 128)) * 2;
			var length = num("0x" + data.slice(offset, offset + 64));
			var message = "0x" + data.slice(offset + 64, offset + 64 + length * 2);
			var enc = strip(l.topics[1]) + word(source, "source") + strip(l.topics[3]) + data.slice(0, 64) +
				strip(l.topics[2]) + word(192, "offset") + bytes(message, "message");
			return {
				msgHash: web3.sha3(enc, { encoding: "hex" }),
				source: source,
				destination: num(l.topics[1]),
				nonce: l.topics[3],
				sender: "0x" + data.slice(24, 64),
				target: "0x" + strip(l.topics[2]).slice(24),
				message: message,
				logIndex: num(l.logIndex),
				blockNumber: num(l.blockNumber),
				txHash: r.transactionHash
			};
		}
		return null;
	}

	// send sends a transaction to a predeploy, waits for it and for its message's relay.
	function send(what, tx, destChainId, timeoutSeconds) {
		var ms = waitMs(timeoutSeconds);
		var source = chainIdOf();
		var dst = endpoint(destChainId); // before sending: where to watch must be known
		var txHash = eth.sendTransaction(tx);
		var r = receipt(txHash, ms);
		if (num(r.status) !== 1) {
			throw new Error(what + ": transaction " + txHash + " reverted (block " + num(r.blockNumber) + ")");
		}
		var m = messageOfReceipt(r, source);
		if (!m) {
			throw new Error(what + ": transaction " + txHash + " emitted no SentMessage");
		}
		if (m.destination !== Number(destChainId)) {
			dst = endpoint(m.destination);
		}
		sent[m.msgHash] = { destination: m.destination, fromBlock: num(request("eth_blockNumber", [], dst)) };
		console.log(what + ": sent in block " + m.blockNumber + " of chain " + source + ", message " + m.msgHash +
			"; waiting for its relay on chain " + m.destination + "...");
		try {
			m.relay = self.waitRelayed(m.msgHash, ms / 1000);
			m.relayed = true;
		} catch (err) {
			if (!err.timedOut) {
				throw err;
			}
			m.relayed = false;
			console.log(err.message);
			try { // an xgeth devnet says why its auto-relay gave up, if it did
				var st = request("interop_messageStatus", [m.msgHash]);
				m.status = st.status;
				if (st.error) {
					console.log("auto-relay: " + st.error);
				}
			} catch (e) {}
		}
		return m;
	}

	self.help = function () {
		console.log([
			"interop: cross-chain messages on this chain and the others of its dependency set",
			"  interop.status()                    every chain's follower and indexed heads (interop_status)",
			"  interop.safety()                    every chain's head at each safety level (interop_safety)",
			"  interop.message(msgHash)            a message's status (interop_messageStatus, devnet)",
			"  interop.accessList(id, msgHash)     access list and validateMessage calldata of a message",
			"  interop.messageOfLog(txHash, n)     identifier and access list of a transaction's n-th log",
			"  interop.sendMessage(from, destChainId, target, data)",
			"                                      L2ToL2CrossDomainMessenger.sendMessage, then wait for the relay",
			"  interop.sendETH(from, to, amountWei, destChainId)",
			"                                      SuperchainETHBridge.sendETH, then wait for the relay",
			"  interop.sendERC20(from, token, to, amount, destChainId)",
			"                                      SuperchainTokenBridge.sendERC20, then wait for the relay",
			"  interop.mintTestToken(from, to, amount)",
			"                                      mint the test token (interop.TEST_TOKEN) on this chain",
			"  interop.waitRelayed(msgHash[, timeoutSeconds])",
			"                                      wait until the destination chain has relayed the message",
			"  interop.setEndpoint(chainId, url)   JSON-RPC URL of another chain (a devnet's are found by itself)",
			"from is an account the node signs for (a devnet's eth.accounts); the send helpers wait",
			"interop.timeout seconds (" + self.timeout + ") for the relay."
		].join("\n"));
	};

	self.status = function () {
		return request("interop_status");
	};

	self.safety = function () {
		return request("interop_safety");
	};

	self.message = function (msgHash) {
		try {
			return request("interop_messageStatus", [hash32(msgHash, "msgHash")]);
		} catch (err) {
			if (err.code === METHOD_NOT_FOUND) {
				throw new Error("interop.message: this node does not serve interop_messageStatus (an xgeth devnet does)");
			}
			throw err;
		}
	};

	self.accessList = function (id, msgHash) {
		if (!id || typeof id !== "object") {
			throw new Error("accessList: id must be an identifier {origin, blockNumber, logIndex, timestamp, chainId}");
		}
		var hexId = {};
		for (var k in id) {
			hexId[k] = typeof id[k] === "number" ? web3.toHex(id[k]) : id[k];
		}
		return request("interop_accessList", [hexId, hash32(msgHash, "msgHash")]);
	};

	self.messageOfLog = function (txHash, n) {
		return request("interop_messageOfLog", [hash32(txHash, "txHash"), "0x" + word(n || 0, "n").replace(/^0+(?=.)/, "")]);
	};

	self.setEndpoint = function (chainId, url) {
		if (typeof url !== "string" || !/^(https?|wss?):\/\//.test(url)) {
			throw new Error("setEndpoint: want an http://, https://, ws:// or wss:// URL, got " + url);
		}
		self.endpoints[Number(chainId)] = url;
		return true;
	};

	self.sendMessage = function (from, destChainId, target, data, timeoutSeconds) {
		var calldata = "0x7056f41f" + word(destChainId, "destChainId") + address(target, "target") + word(96, "offset") + bytes(data, "data");
		return send("sendMessage", { from: from, to: MESSENGER, data: calldata }, destChainId, timeoutSeconds);
	};

	self.sendETH = function (from, to, amountWei, destChainId, timeoutSeconds) {
		var calldata = "0x64a197f3" + address(to, "to") + word(destChainId, "destChainId");
		return send("sendETH", { from: from, to: ETH_BRIDGE, value: amount(amountWei, "amountWei"), data: calldata }, destChainId, timeoutSeconds);
	};

	self.sendERC20 = function (from, token, to, amount, destChainId, timeoutSeconds) {
		var calldata = "0xc1a433d8" + address(token, "token") + address(to, "to") + word(amount, "amount") + word(destChainId, "destChainId");
		return send("sendERC20", { from: from, to: TOKEN_BRIDGE, data: calldata }, destChainId, timeoutSeconds);
	};

	self.mintTestToken = function (from, to, amount) {
		var calldata = "0x40c10f19" + address(to, "to") + word(amount, "amount");
		var txHash = eth.sendTransaction({ from: from, to: TEST_TOKEN, data: calldata });
		var r = receipt(txHash, waitMs());
		if (num(r.status) !== 1) {
			throw new Error("mintTestToken: transaction " + txHash + " reverted");
		}
		return txHash;
	};

	// waitRelayed polls the destination chain for the messenger's RelayedMessage with this
	// hash. The destination is known for messages sent from this console; otherwise every
	// chain with a known endpoint is searched.
	self.waitRelayed = function (msgHash, timeoutSeconds) {
		msgHash = hash32(msgHash, "msgHash");
		var ms = waitMs(timeoutSeconds);
		var chains = [];
		if (sent[msgHash]) {
			chains.push({ id: sent[msgHash].destination, from: sent[msgHash].fromBlock });
		} else {
			// Sent elsewhere: look on this chain and every chain with a known endpoint.
			loadDevnetEndpoints();
			var own = chainIdOf();
			chains.push({ id: own, from: 0 });
			for (var id in self.endpoints) {
				if (Number(id) !== own) {
					chains.push({ id: Number(id), from: 0 });
				}
			}
		}
		var deadline = Date.now() + ms;
		for (;;) {
			for (var i = 0; i < chains.length; i++) {
				var c = chains[i];
				var url = endpoint(c.id);
				var head = num(request("eth_blockNumber", [], url));
				if (head < c.from) {
					continue;
				}
				var logs = request("eth_getLogs", [{ address: MESSENGER, topics: [RELAYED_MESSAGE, null, null, msgHash], fromBlock: web3.toHex(c.from), toBlock: web3.toHex(head) }], url);
				if (logs.length) {
					var l = logs[0];
					return { chainId: c.id, source: num(l.topics[1]), txHash: l.transactionHash, blockNumber: num(l.blockNumber) };
				}
				c.from = head + 1;
			}
			if (Date.now() > deadline) {
				var e = new Error("waitRelayed: message " + msgHash + " not relayed within " + ms / 1000 + " s" +
					(chains.length === 1 ? " on chain " + chains[0].id : ""));
				e.timedOut = true;
				throw e;
			}
			go.sleep(POLL_MS);
		}
	};

	return self;
})(_xgethInterop);
