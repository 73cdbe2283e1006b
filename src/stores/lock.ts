import {randomBytes} from 'node:crypto'
import {linkSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {sanitize} from '../util/sanitize.js'

/** Who holds a store's write lock: written into the lock file when it is taken. */
export interface LockHolder {
  pid: number
  host: string
  /** ISO 8601. */
  startedAt: string
  /** What the holder is doing (`fetch`, `run`…). */
  command: string
}

/** A second writer: the message names the holder and what to do. */
export class StoreLockedError extends Error {
  constructor(readonly location: string, readonly file: string, readonly holder: LockHolder | undefined) {
    const who = holder ? `dataquest ${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})` : 'another process (lock file unreadable)'
    // The holder is read from the lock file: whatever bytes it holds, it prints as plain text.
    super(sanitize(`${location} is being written by ${who}; wait for it to finish, or if no such process runs, delete ${file}`))
    this.name = 'StoreLockedError'
  }
}

export interface HeldLock {
  readonly file: string
  readonly holder: LockHolder
  /** Remove the lock file if it is still ours (synchronous: it also runs from the interrupt handler). */
  release(): void
}

export interface LockOptions {
  /** The store, for messages. */
  location: string
  command: string
  /** A stale lock was taken over. */
  onWarning?: (message: string) => void
}

const isHolder = (value: unknown): value is LockHolder => {
  const holder = value as LockHolder
  return typeof holder?.pid === 'number' && typeof holder.host === 'string' && typeof holder.startedAt === 'string' && typeof holder.command === 'string'
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder: unknown = JSON.parse(readFileSync(file, 'utf8'))
    return isHolder(holder) ? holder : undefined
  } catch {
    return undefined
  }
}

/** Whether `pid` is a running process on this host (EPERM: it runs, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Gone for sure: on this host (a pid elsewhere says nothing) and no longer running. */
const isStale = (holder: LockHolder | undefined): holder is LockHolder => holder !== undefined && holder.host === os.hostname() && !isAlive(holder.pid)

const sameHolder = (a: LockHolder, b: LockHolder | undefined): boolean => b !== undefined && a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt

/**
 * Take the exclusive lock `file`, after restic's lock (holder's pid, host and start time; stale when
 * its host is this one and its pid is gone) and git's atomic create: the holder is written to a temp
 * file first and hard-linked into place, so a lock file is never seen half-written and `link`
 * fails if one exists. Throws StoreLockedError while another live process holds it.
 */
export function acquireLock(file: string, options: LockOptions): HeldLock {
  const holder: LockHolder = {pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: options.command}
  // The store's temp-file pattern, so a kill -9 between write and unlink leaves a file the next sweep removes.
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  writeFileSync(temp, JSON.stringify(holder) + '\n', {flag: 'wx'})
  try {
    for (;;) {
      try {
        linkSync(temp, file)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const current = readHolder(file)
      if (!isStale(current)) throw new StoreLockedError(options.location, file, current)
      takeOver(file, current)
      options.onWarning?.(
        `${options.location}: took over the lock of dataquest ${current.command} (pid ${current.pid}, since ${current.startedAt}), which is no longer running`,
      )
    }
  } finally {
    rmSync(temp, {force: true})
  }
  return {
    file,
    holder,
    release() {
      if (sameHolder(holder, readHolder(file))) rmSync(file, {force: true})
    },
  }
}

/**
 * Move a stale lock aside, then check that what moved is still that stale lock: another process may
 * have taken it over (and locked anew) since it was read, and its fresh lock must be put back.
 */
export function takeOver(file: string, stale: LockHolder): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    renameSync(file, aside)
  } catch (error) {
    // Someone else moved it first: try linking again.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const moved = readHolder(aside)
  try {
    if (!sameHolder(stale, moved)) linkSync(aside, file)
  } finally {
    rmSync(aside, {force: true})
  }
}
