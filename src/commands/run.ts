import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {jsonFlag, locationFlags, upstreamFlags} from '../cli/flags.js'
import {joinedYearsOnly, reportFlags, reportFlagsProblem, reportFormat, rowLimit, selectedReports} from '../cli/report-flags.js'
import {transformFlags, transformParameters} from '../cli/transform-flags.js'
import {type PipelineResult, planPipeline} from '../pipeline/index.js'
import {parseSurveyList} from '../sources/upstream.js'
import {stepLine, stepProgress} from '../render/pipeline.js'
import {useColor} from '../render/progress.js'
import {renderReports} from '../render/reports.js'
import {renderFetchResult} from '../render/summary.js'
import {limitReport} from '../reports/index.js'

export default class Run extends BaseCommand {
  static override summary = 'Fetch, transform and report in one go, with a live task list.'
  static override description = `Runs fetch (upstream → raw store), transform (raw → processed store) and report (print the
reports) in one process, on folders by default or on S3 with --bucket. A failing step stops the
run and is named in the error; the steps before it keep what they wrote. On a terminal the task
list shows each download's bytes and rate and the retries being waited on. --dry-run is the fetch
plan alone (as fetch --dry-run): nothing is written, transformed or reported.`

  static override examples = [
    '<%= config.bin %> run --contact you@example.com',
    '<%= config.bin %> run --contact you@example.com --bucket my-bucket --only best-year --limit 10',
    '<%= config.bin %> run --json',
    '<%= config.bin %> run --contact you@example.com --dry-run',
  ]

  static override flags = {
    ...locationFlags,
    ...upstreamFlags,
    force: Flags.boolean({description: 'override the fetch deletion guard (empty listing, or deleting more than half) and download every file again'}),
    'dry-run': Flags.boolean({description: 'show the fetch plan; write, transform and report nothing'}),
    ...transformFlags,
    ...reportFlags,
    json: jsonFlag('every step\'s result ({"fetch", "transform", "reports"}); the reports are not printed then'),
  }

  async run(): Promise<PipelineResult> {
    const {flags} = await this.parse(Run)
    const json = this.jsonEnabled()
    const dryRun = flags['dry-run']
    // Before any work: a run that cannot print its reports should not fetch first.
    const problem = json || dryRun ? undefined : reportFlagsProblem(flags)
    if (problem) this.usageError(problem)
    const locations = this.locations(flags)
    const raw = this.store(locations.raw, flags)
    const processed = this.store(locations.processed, flags)
    const result: PipelineResult = {}
    try {
      const steps = planPipeline(
        {
          raw,
          processed,
          fetch: {contact: flags.contact, version: this.config.version, blsUrl: flags['bls-url'], populationUrl: flags['population-url'], force: flags.force, blsRoot: flags['bls-root'], surveys: parseSurveyList(flags.survey), dryRun},
          transform: transformParameters(flags),
          reports: selectedReports(flags.only),
        },
        result,
      )
      // After the plan (which checks the contact): a run refused up front, or a dry run, writes nothing, not even a lock.
      if (!dryRun) await this.beginWriting(raw, processed)
      const progress = this.progress()
      for (const step of steps) await progress.step(step.title, (control) => step.run(stepProgress(control)), stepLine)
    } catch (error) {
      this.fail(error, {steps: result})
    }
    const color = useColor(process.stdout, process.env)
    if (dryRun) {
      if (!json) this.log(renderFetchResult(result.fetch!, {color}))
      return result
    }
    const limit = rowLimit({limit: flags.limit, format: json ? 'json' : flags.format}, process.stdout)
    const joinedYears = joinedYearsOnly(flags, process.stdout)
    if (!json) this.log(await renderReports(result.reports!, reportFormat(flags.format), {color, limit, joinedYears}))
    return {...result, reports: result.reports!.map((report) => limitReport(report, limit))}
  }
}
