import {performance} from 'node:perf_hooks'

import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import {elapsed, joined, type ProgressMode} from './progress.js'
import {sanitize} from '../util/sanitize.js'

/** A task of a task list: runs, and returns the line that describes its outcome. */
export interface Task {
  title: string
  run(control: {update(text: string): void; warn(message: string): void; note(message: string): void}): Promise<string>
}

export interface TaskListOptions {
  mode: ProgressMode
  /** Where the list is drawn (stderr, so stdout keeps only the result). */
  stream: NodeJS.WriteStream
}

/**
 * Run tasks in order with listr2, stopping at the first failure (rethrown as is): on a terminal
 * the live list (spinners, then each task's outcome and time); elsewhere listr2's simple renderer,
 * plain lines with no spinner frames; silent with --json. Warnings and retries stay visible in every mode.
 */
export async function runTaskList(tasks: readonly Task[], {mode, stream}: TaskListOptions): Promise<void> {
  // listr2 wraps the live list to process.stdout.columns: a terminal that reports no width (0)
  // would get one character a line, so it gets plain lines instead.
  const live = mode === 'live' && Boolean(process.stdout.columns)
  const warnings: string[] = []
  const logger = new ListrLogger({processOutput: new ProcessOutput(stream, stream), useIcons: true})
  const list = new Listr(
    tasks.map((task) => ({
      title: sanitize(task.title),
      task: async (_context: unknown, wrapper: {title: string; output: string}) => {
        const startedAt = performance.now()
        const outcome = await task.run({
          // Live detail only: in plain lines every update would be a line of its own.
          update: (text) => {
            if (live) wrapper.output = sanitize(text)
          },
          warn: (message) => {
            warnings.push(sanitize(message))
          },
          // Live: the task's detail until the next update; elsewhere a line of its own, at once.
          note: (message) => {
            if (live) wrapper.output = sanitize(message)
            else stream.write(`${sanitize(message)}\n`)
          },
        })
        wrapper.title = `${joined(task.title, outcome)} (${elapsed(startedAt)})`
      },
    })),
    {
      renderer: live ? 'default' : mode === 'quiet' ? 'silent' : 'simple',
      // listr2 checks process.stdout for a terminal; the list itself goes to `stream`.
      rendererOptions: {logger},
      fallbackRenderer: 'simple',
      fallbackRendererOptions: {logger},
      exitOnError: true,
      registerSignalListeners: false,
    },
  )
  try {
    await list.run()
  } finally {
    for (const warning of warnings) stream.write(`⚠ ${warning}\n`)
  }
}
