import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {endpoint, jsonFlag, keyFilter, mirrorFlags, profile, raw, rawBucket, region, upstreamFlags} from '../cli/flags.js'
import {FetchError, type FetchSummary, fetchUpstream} from '../fetch/index.js'
import {parseSurveyList} from '../sources/upstream.js'
import {HTTP_DEFAULTS} from '../http/client.js'
import {fetchProgress, useColor} from '../render/progress.js'
import {fetchLine, renderFetchResult} from '../render/summary.js'
import {renderSurveys} from '../render/surveys.js'

export default class Fetch extends BaseCommand {
  static override summary = 'Mirror BLS surveys (pr by default) and the DataUSA population API into the raw store.'
  static override description = [
    'Files added upstream are added, changed ones replaced, removed ones deleted; an unchanged upstream costs one listing per survey plus the API, and writes nothing. Each survey is planned and guarded on its own: a listing that yields no files, would delete more than half of the stored files or bytes, or would shrink the stored bytes below half (files listed empty), changes nothing for that survey unless --force; --max-delete N changes nothing at all when the surveys would delete more than N files; and a failing survey does not stop the others (the exit code is 1 if any failed).',
    `Timeouts: ${HTTP_DEFAULTS.headersTimeoutMs / 1000} s to connect and receive the response headers, ${HTTP_DEFAULTS.idleTimeoutMs / 1000} s without a byte mid-body; a body that keeps flowing has no time limit. Network errors, timeouts, a failed body (resumed with Range where the server allows it), 429 and 5xx are retried ${HTTP_DEFAULTS.retries} times with backoff. Redirects are followed on the same host only.`,
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> fetch --contact you@example.com',
    '<%= config.bin %> fetch --contact you@example.com --bucket my-bucket',
    '<%= config.bin %> fetch --contact you@example.com --survey pr,cu,ce',
    '<%= config.bin %> fetch --contact you@example.com --exclude pr.data.1.AllData',
    '<%= config.bin %> fetch --dry-run --json',
  ]

  static override flags = {
    raw,
    bucket: rawBucket,
    endpoint,
    region,
    profile,
    ...upstreamFlags,
    force: Flags.boolean({description: 'override the guard (empty listing, deleting more than half, shrinking below half) and download every file again'}),
    ...mirrorFlags,
    'dry-run': Flags.boolean({description: 'show the plan; write and delete nothing'}),
    json: jsonFlag('the summary (counts, bytes, requests and every file with its action)'),
  }

  async run(): Promise<FetchSummary> {
    const {flags, raw: tokens} = await this.parse(Fetch)
    const store = this.store(this.locations(flags).raw, flags)
    if (!flags['dry-run']) await this.beginWriting(store)
    try {
      const summary = await this.progress().step(
        `Fetch BLS ${flags.survey === 'all' ? 'all surveys' : flags.survey.replaceAll(',', ', ')} and population into ${store.location}`,
        (step) =>
          fetchUpstream({
            store,
            contact: flags.contact,
            version: this.config.version,
            blsRoot: flags['bls-root'],
            surveys: parseSurveyList(flags.survey),
            blsUrl: flags['bls-url'],
            populationUrl: flags['population-url'],
            force: flags.force,
            maxDelete: flags['max-delete'],
            filter: keyFilter(tokens),
            dryRun: flags['dry-run'],
            // Retries and survey lines are live progress notes, as in `run` (quiet under --json).
            onProgress: fetchProgress(step),
          }),
        fetchLine,
      )
      this.show(summary)
      return summary
    } catch (error) {
      if (error instanceof FetchError && !this.jsonEnabled()) this.show(error.summary)
      this.fail(error, error instanceof FetchError ? {summary: error.summary} : {})
    }
  }

  private show(summary: FetchSummary): void {
    if (this.jsonEnabled()) return
    this.log(renderFetchResult(summary, {color: useColor(process.stdout, process.env)}))
    if (summary.surveys.length > 1) this.log(`\n${renderSurveys(summary.surveys)}`)
  }
}
