import {performance} from 'node:perf_hooks'

import type {Ora} from 'ora'

import type {FetchEvent} from '../fetch/index.js'
import type {SyncEvent} from '../sync/index.js'
import type {TransformProgress} from '../transform/index.js'
import type {StepControl} from '../util/progress.js'
import {sanitize} from '../util/sanitize.js'
import {formatBytes} from './summary.js'
import {surveyLine} from './surveys.js'

/**
 * Progress for any command, written to a side stream (stderr) so stdout keeps only the result:
 * - `live`: an ora spinner per step on a terminal; each finished step stays as a ✔/✖ line, so the
 *   steps build up into a task list (`run`'s three steps included).
 * - `plain`: one line when a step starts and one when it ends (CI logs, pipes).
 * - `quiet`: warnings only (--json).
 */
export type ProgressMode = 'live' | 'plain' | 'quiet'

/**
 * `live` on a terminal, `plain` elsewhere, `quiet` with --json. A terminal that reports no width
 * (0 columns, as under `script` or some CI runners) gets plain lines: spinners size their redraw
 * by the width, and ora's never ends at 0.
 */
export const progressMode = ({json, stream}: {json: boolean; stream: {isTTY?: boolean; columns?: number}}): ProgressMode =>
  json ? 'quiet' : stream.isTTY && Boolean(stream.columns) ? 'live' : 'plain'

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export const useColor = (stream: {isTTY?: boolean}, env: Record<string, string | undefined>): boolean =>
  Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb'

export interface Progress {
  /**
   * Run one step. `describe` turns its result into the text shown when it ends (counts, sizes).
   * A failing step is shown as failed and its error is rethrown.
   */
  step<T>(title: string, run: (control: StepControl) => Promise<T>, describe?: (result: T) => string): Promise<T>
  /** A line that stays, in every mode. */
  warn(message: string): void
  /** A line that stays (part of a step done), except with --json. */
  note(message: string): void
}

export interface ProgressOptions {
  mode: ProgressMode
  /** Usually process.stderr. */
  stream: NodeJS.WritableStream
}

/** Time since `startedAt` (performance.now()), as `1.2s`. */
export const elapsed = (startedAt: number): string => `${((performance.now() - startedAt) / 1000).toFixed(1)}s`
/** `title — detail`, cleaned of control characters; the title alone without a detail. */
export const joined = (title: string, detail: string | undefined): string => sanitize(detail ? `${title} — ${detail}` : title)

export function createProgress({mode, stream}: ProgressOptions): Progress {
  const write = (line: string): void => {
    stream.write(`${line}\n`)
  }
  let spinner: Ora | undefined
  const finish = (outcome: 'succeed' | 'fail', text: string): void => {
    if (spinner) spinner[outcome](text)
    else if (mode === 'plain') write(`${outcome === 'succeed' ? '✔' : '✖'} ${text}`)
    spinner = undefined
  }
  const progress: Progress = {
    async step(title, run, describe) {
      const startedAt = performance.now()
      if (mode === 'live') {
        // ora and its spinners load only here: commands that never show a spinner never parse them.
        const {default: ora} = await import('ora')
        spinner = ora({text: sanitize(title), stream, isEnabled: true, discardStdin: false}).start()
      } else if (mode === 'plain') write(`${sanitize(title)}…`)
      try {
        const result = await run({
          update: (text) => {
            if (spinner) spinner.text = joined(title, text)
          },
          warn: progress.warn,
          note: progress.note,
        })
        finish('succeed', `${joined(title, describe?.(result))} (${elapsed(startedAt)})`)
        return result
      } catch (error) {
        finish('fail', joined(title, (error as Error).message))
        throw error
      }
    },
    warn(message) {
      // A running spinner is cleared first so the warning is not drawn over, then redrawn.
      spinner?.clear()
      write(`⚠ ${sanitize(message)}`)
      spinner?.render()
    },
    note(message) {
      if (mode === 'quiet') return
      spinner?.clear()
      write(`  ${sanitize(message)}`)
      spinner?.render()
    },
  }
  return progress
}

/**
 * Turn fetch's events into progress, for `fetch` and `run` alike: file counts, the download in
 * flight (bytes of total, and its rate since it started), the retries being waited on, warnings.
 */
export function fetchProgress(sink: StepControl, now: () => number = () => performance.now()): (event: FetchEvent) => void {
  let done = 0
  let total = 0
  const started = new Map<string, number>()
  return (event) => {
    switch (event.type) {
      case 'warning':
        return sink.warn(event.message)
      case 'retry':
        return sink.note(`retrying ${event.url} in ${(event.delayMs / 1000).toFixed(1)}s (${event.reason})`)
      case 'planned':
        total = Object.values(event.counts).reduce((a, b) => a + b, 0)
        return
      case 'progress': {
        if (!started.has(event.key)) started.set(event.key, now())
        const seconds = (now() - started.get(event.key)!) / 1000
        const rate = seconds > 0 ? `, ${formatBytes(Math.round(event.bytes / seconds))}/s` : ''
        return sink.update(`${done}/${total} files; ${event.key} ${formatBytes(event.bytes)} of ${formatBytes(event.total)}${rate}`)
      }
      case 'survey':
        return sink.note(surveyLine(event.survey))
      case 'file':
        started.delete(event.file.key)
        return sink.update(filesLine(++done, total, event.file.key))
    }
  }
}

const filesLine = (done: number, total: number, key: string): string => `${done}/${total} files, ${key}`

/** Sync's events as progress: files done of those planned. */
export function syncProgress(sink: StepControl): (event: SyncEvent) => void {
  let done = 0
  let total = 0
  return (event) => {
    if (event.type === 'planned') total = Object.values(event.counts).reduce((a, b) => a + b, 0)
    else sink.update(filesLine(++done, total, event.file.key))
  }
}

/** Transform's progress: the data file's bytes read of its size, as fetch shows a download. */
export const transformProgress =
  (sink: StepControl) =>
  ({bytes, totalBytes}: TransformProgress): void =>
    sink.update(`${formatBytes(bytes)} of ${formatBytes(totalBytes)}`)
