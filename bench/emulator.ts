// fauxqs in a child process for the benches: its memory and CPU stay out of the process measured,
// and it counts the HTTP requests it serves (dataquest's and the AWS CLI's alike).
import {type ChildProcess, spawn} from 'node:child_process'
import os from 'node:os'

import {projectRoot} from '../test/helpers/cli.js'

// fauxqs takes any credentials and region; these reach dataquest, the AWS CLI and the bench's own
// clients (unless the caller set their own).
process.env.AWS_ACCESS_KEY_ID ??= 'test'
process.env.AWS_SECRET_ACCESS_KEY ??= 'test'
process.env.AWS_REGION ??= 'us-east-1'
process.env.AWS_DEFAULT_REGION ??= process.env.AWS_REGION
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const CHILD = `
import {buildApp} from 'fauxqs'
const app = buildApp({logger: false})
let requests = 0
app.addHook('onRequest', async () => { requests++ })
const endpoint = await app.listen({port: 0, host: '127.0.0.1'})
process.send({endpoint})
process.on('message', (message) => {
  if (message === 'reset') requests = 0
  process.send({requests})
})
`

export interface BenchEmulator {
  endpoint: string
  /** Requests served since the last reset. */
  requests(): Promise<number>
  reset(): Promise<void>
  close(): void
}

export async function startBenchEmulator(): Promise<BenchEmulator> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc']})
  // A bench that crashes must not leave the emulator running (its IPC channel keeps it alive).
  process.once('exit', () => child.kill())
  const reply = (): Promise<Record<string, unknown>> => new Promise((resolve) => child.once('message', (message) => resolve(message as Record<string, unknown>)))
  const {endpoint} = (await reply()) as {endpoint: string}
  const ask = async (message: string): Promise<number> => {
    const answer = reply()
    child.send(message)
    return (await answer).requests as number
  }
  return {
    endpoint,
    requests: () => ask('count'),
    reset: async () => void (await ask('reset')),
    close: () => void child.kill(),
  }
}

/** The machine's state, to quote with every figure: cores and load average now. */
export const machine = (): string => `nproc ${os.availableParallelism()}, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`

/** Credentials and region for the emulator (it checks no signature) and for the AWS CLI. */
export const emulatorEnv = (endpoint: string): NodeJS.ProcessEnv => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: endpoint,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
})
