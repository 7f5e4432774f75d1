// Runs the interop specs that @eth-optimism/viem publishes with its package (written for
// supersim: chains 901/902 at 127.0.0.1:9545/9546, the test token, anvil_setCode) as they
// are, against `xgeth devnet`. Only the set-up differs: globalSetup.ts starts xgeth where the
// package's own set-up starts the supersim binary, then runs the package's own contract
// installation (setupTicTacToe, through anvil_setCode on both chains).
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const here = path.dirname(fileURLToPath(import.meta.url))
const pkg = path.join(here, 'node_modules/@eth-optimism/viem/src')

export default defineConfig({
  resolve: { alias: { '@': pkg } },
  test: {
    root: here,
    include: ['node_modules/@eth-optimism/viem/src/actions/interop/*.spec.ts'],
    exclude: [],
    globalSetup: [path.join(here, 'globalSetup.ts')],
    // The specs share two chains and one account: one file at a time, as with supersim.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
