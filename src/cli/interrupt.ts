import os from 'node:os'

import {runInterruptCleanups} from '../stores/cleanup.js'

/** What a store kept of an interrupted command's work. */
export interface Kept {
  location: string
  /** Writes and deletes that completed before the interrupt. */
  changes: number
}

/** The one line an interrupted command prints: what stopped, what was undone, what was kept. */
export function interruptedLine(command: string, signal: NodeJS.Signals, kept: readonly Kept[]): string {
  const stores = kept.map(({location, changes}) => `${location} keeps the ${changes} change${changes === 1 ? '' : 's'} completed before it, the rest as it was`)
  return `${command} interrupted by ${signal}: its temp files are removed; ${stores.length > 0 ? stores.join('; ') : 'what was completed before it is kept'}`
}

/**
 * Until the returned function is called, SIGINT and SIGTERM stop the process the way rclone's
 * atexit does: run the registered cleanups (temp files, multipart uploads, locks), write the line
 * `describe` gives to `stream`, exit 128 + the signal's number (130, 143). A second signal while
 * cleaning up exits at once: whatever is left, the next writer sweeps.
 */
export function exitOnInterrupt(describe: (signal: NodeJS.Signals) => string, stream: NodeJS.WritableStream = process.stderr): () => void {
  let stopping = false
  const handler = (signal: NodeJS.Signals): void => {
    const code = 128 + os.constants.signals[signal]
    if (stopping) process.exit(code)
    stopping = true
    void runInterruptCleanups().then(() => {
      stream.write(`${describe(signal)}\n`)
      process.exit(code)
    })
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
