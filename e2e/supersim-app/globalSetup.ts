// Starts `xgeth devnet` on supersim's ports with auto-relay off (supersim's default: the
// specs relay their messages themselves), waits until both chains answer, then installs the
// specs' contract with the package's own set-up. XGETH_BIN names the binary (default: the
// repository's build/bin/xgeth).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { setupTicTacToe } from '@/test/setupTicTacToe.js'

const here = path.dirname(fileURLToPath(import.meta.url))

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    })
    const body = await res.json()
    return typeof body.result === 'string' && BigInt(body.result) > 0n
  } catch {
    return false
  }
}

export default async function setup() {
  const bin = process.env.XGETH_BIN ?? path.resolve(here, '../../build/bin/xgeth')
  const logPath = path.join(os.tmpdir(), `xgeth-supersim-app-${process.pid}.log`)
  const log = fs.openSync(logPath, 'w')
  const xgeth = spawn(bin, ['devnet', '--devnet.autorelay=false'], { stdio: ['ignore', log, log] })
  let exited = false
  xgeth.on('exit', () => { exited = true })

  const deadline = Date.now() + 60_000
  while (!(await ready('http://127.0.0.1:9545')) || !(await ready('http://127.0.0.1:9546'))) {
    if (exited) throw new Error(`xgeth devnet exited at start-up; log: ${logPath}`)
    if (Date.now() > deadline) throw new Error(`xgeth devnet not ready after 60s; log: ${logPath}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  await setupTicTacToe()

  return async () => {
    xgeth.kill('SIGINT')
    await new Promise((r) => xgeth.once('exit', r))
    fs.closeSync(log)
    console.log(`xgeth devnet log: ${logPath}`)
  }
}
