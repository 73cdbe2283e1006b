import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {contactHint} from '../cli/contact-hint.js'
import {bucket, endpoint, raw, upstreamFlags} from '../cli/flags.js'
import {FetchError, type FetchSummary, fetchUpstream} from '../fetch/index.js'
import {fetchProgress, useColor} from '../render/progress.js'
import {fetchLine, renderFetchResult} from '../render/summary.js'

export default class Fetch extends BaseCommand {
  static override summary = 'Mirror the BLS pr directory and the DataUSA population API into the raw store.'
  static override description =
    'Files added upstream are added, changed ones replaced, removed ones deleted; an unchanged upstream costs two requests (the listing and the API) and writes nothing. A listing that yields no files, or would delete more than half of what is stored, changes nothing unless --force.'

  static override examples = [
    '<%= config.bin %> fetch --contact you@example.com',
    '<%= config.bin %> fetch --contact you@example.com --bucket my-bucket',
    '<%= config.bin %> fetch --dry-run --json',
  ]

  static override flags = {
    raw,
    bucket,
    endpoint,
    ...upstreamFlags,
    force: Flags.boolean({description: 'override the deletion guard (empty listing, or deleting more than half)'}),
    'dry-run': Flags.boolean({description: 'show the plan; write and delete nothing'}),
  }

  async run(): Promise<FetchSummary> {
    const {flags} = await this.parse(Fetch)
    const store = this.store(this.locations(flags).raw, flags)
    const progress = this.progress()
    try {
      const summary = await progress.step(
        `Fetch BLS pr and population into ${store.location}`,
        (step) =>
          fetchUpstream({
            store,
            contact: flags.contact,
            version: this.config.version,
            blsUrl: flags['bls-url'],
            populationUrl: flags['population-url'],
            force: flags.force,
            dryRun: flags['dry-run'],
            onProgress: fetchProgress({update: step.update, warn: progress.warn, note: progress.warn}),
          }),
        fetchLine,
      )
      this.show(summary)
      return summary
    } catch (error) {
      if (error instanceof FetchError && !this.jsonEnabled()) this.show(error.summary)
      this.fail((error as Error).message + contactHint(error), error instanceof FetchError ? {summary: error.summary} : {})
    }
  }

  private show(summary: FetchSummary): void {
    if (!this.jsonEnabled()) this.log(renderFetchResult(summary, {color: useColor(process.stdout, process.env)}))
  }
}
