/**
 * oclif's help, kept as printed (package.json `oclif.helpClass`): the next identical request is
 * answered from the cache by bin/run.js without loading oclif (help-cache.ts).
 */
import {Help} from '@oclif/core'
import {format} from 'node:util'

import {helpCacheFile, keepHelp} from './help-cache.js'

export default class CachedHelp extends Help {
  private readonly printed: string[] = []

  /** What oclif prints each call (ux.stdout: console.log of the formatted arguments). */
  protected override log(...args: string[]): void {
    this.printed.push(`${format(...args)}\n`)
    super.log(...args)
  }

  override async showHelp(argv: string[]): Promise<void> {
    await super.showHelp(argv)
    keepHelp(helpCacheFile(this.config.root, process.argv.slice(2), process.env, process.stdout), this.printed.join(''))
  }
}
