import path from 'node:path'

import {Command, Errors, ux} from '@oclif/core'

import type {AwsOptions} from '../aws/clients.js'
import {type Locations, resolveLocations} from '../config/locations.js'
import {createProgress, type Progress, progressMode} from '../render/progress.js'
import {DataquestError} from '../util/errors.js'
import {escapeJson, sanitize} from '../util/sanitize.js'
import {openStore} from '../stores/open.js'
import type {Store, WriteLock} from '../stores/store.js'
import {describeFailure, exitCode, failureMessage} from './errors.js'
import {exitOnInterrupt, interruptedLine} from './interrupt.js'

/** Shared plumbing for dataquest commands: JSON output, store locations, AWS options. */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** AWS options from flags; without --region (or AWS_REGION), AWS_DEFAULT_REGION, then the SDK's profile. */
  protected awsOptions(flags: {endpoint?: string; region?: string; profile?: string}): AwsOptions {
    return {endpoint: flags.endpoint, region: flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION, profile: flags.profile}
  }

  protected locations(flags: {raw?: string; processed?: string; bucket?: string}): Locations {
    try {
      return resolveLocations(flags, process.env)
    } catch (error) {
      // DATAQUEST_BUCKET that is not a bucket (the flag itself is checked when parsed): a usage mistake.
      this.usageError(`DATAQUEST_BUCKET: ${(error as Error).message}`)
    }
  }

  protected store(location: string, flags: {endpoint?: string; region?: string; profile?: string}): Store {
    return openStore(location, {
      ...this.awsOptions(flags),
      onWarning: (message) => process.stderr.write(`⚠ ${sanitize(message)}\n`),
      hashCache: path.join(this.config.cacheDir, 'hashes'),
    })
  }

  // Writers and interrupts (docs/operations.md: "One writer at a time", "Interrupted"): a command locks the
  // stores it writes; SIGINT/SIGTERM then undo the work in hand, say what was kept, exit 130/143.
  private writeLocks: {location: string; lock: WriteLock}[] = []
  private stopWatching: (() => void) | undefined

  /**
   * Become the writer of these stores: lock those that can lock (or exit 1 naming the process that
   * holds one), and from now on handle SIGINT/SIGTERM. Commands that only read never call it.
   */
  protected async beginWriting(...stores: Store[]): Promise<void> {
    this.stopWatching ??= exitOnInterrupt((signal) =>
      interruptedLine(`${this.id}`, signal, this.writeLocks.map(({location, lock}) => ({location, changes: lock.changes}))),
    )
    for (const store of stores) {
      if (!store.lockForWriting || this.writeLocks.some(({location}) => location === store.location)) continue
      try {
        this.writeLocks.push({location: store.location, lock: await store.lockForWriting(`${this.id}`)})
      } catch (error) {
        this.fail(error)
      }
    }
  }

  override async finally(error: Error | undefined): Promise<void> {
    this.stopWatching?.()
    for (const {lock} of this.writeLocks) lock.release()
    this.writeLocks = []
    await super.finally(error)
  }

  /**
   * Exit with a one-line error (no stack): the message (an error's with its hint in flag names), 2
   * for a usage error and 1 for any other; `details` ride along in the --json error object.
   */
  protected fail(error: unknown, details: Record<string, unknown> = {}): never {
    throw Object.assign(new Errors.CLIError(failureMessage(error), {exit: exitCode(error)}), details)
  }

  /** Exit 2: the command was asked for something it cannot do as asked. */
  protected usageError(message: string): never {
    this.fail(new DataquestError('usage', message))
  }

  /** Progress on stderr: live on a terminal, plain lines elsewhere, warnings only with --json. */
  protected progress(): Progress {
    return createProgress({mode: progressMode({json: this.jsonEnabled(), stream: process.stderr}), stream: process.stderr})
  }

  /**
   * Every failure prints once, as one unwrapped line without ANSI codes (oclif's own printer
   * indents, wraps at the terminal width and dumps the usage on a flag error); with --json, one
   * error object without oclif's bookkeeping.
   */
  override async catch(error: Error): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    const failure = describeFailure(error, {bin: this.config.bin, id: this.id, flags: this.ctor.flags ?? {}})
    if (this.jsonEnabled()) {
      process.exitCode = failure.exit
      this.logJson({error: failure.json})
      return
    }
    // Messages carry bytes read from stores and upstream (keys, lock holders): printed as plain text.
    this.logToStderr(`Error: ${sanitize(failure.message)}`)
    this.exit(failure.exit)
  }

  /**
   * oclif's JSON printer, with the controls JSON.stringify leaves raw (U+202E, C1) escaped. Its
   * colouring tokenizes the text even with no theme to colour it by (0.1 s for a sync's 10,000
   * files), so without a theme the text is JSON.stringify's, which is what it prints then.
   */
  override logJson(json: unknown): void {
    const theme = this.config.theme?.json
    ux.stdout(escapeJson(theme ? ux.colorizeJson(json, {pretty: true, theme}) : JSON.stringify(json, null, 2)))
  }
}
