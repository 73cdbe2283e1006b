import {performance} from 'node:perf_hooks'

import ora from 'ora'

import {sanitize} from './table.js'

/**
 * Progress for any command, written to a side stream (stderr) so stdout keeps only the result:
 * - `live`: a spinner per step on a terminal; each finished step stays as a ✔/✖ line, so the
 *   steps build up into a task list.
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

export interface StepControl {
  /** Replace the step's live detail text (shown only in `live` mode). */
  update(text: string): void
}

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
  let spinner: ReturnType<typeof ora> | undefined
  const finish = (outcome: 'succeed' | 'fail', text: string): void => {
    if (spinner) spinner[outcome](text)
    else if (mode === 'plain') write(`${outcome === 'succeed' ? '✔' : '✖'} ${text}`)
    spinner = undefined
  }
  return {
    async step(title, run, describe) {
      const startedAt = performance.now()
      if (mode === 'live') spinner = ora({text: sanitize(title), stream, isEnabled: true, discardStdin: false}).start()
      else if (mode === 'plain') write(`${sanitize(title)}…`)
      try {
        const result = await run({
          update: (text) => {
            if (spinner) spinner.text = joined(title, text)
          },
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
}
