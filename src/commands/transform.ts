import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {jsonFlag, locationFlags} from '../cli/flags.js'
import {transformFlags, transformParameters} from '../cli/transform-flags.js'
import {useColor} from '../render/progress.js'
import {formatBytes} from '../render/summary.js'
import {renderTransformSummary} from '../render/transform-summary.js'
import {type TransformSummary, transformStores} from '../transform/index.js'

export default class Transform extends BaseCommand {
  static override summary = 'Compute the three reports from the raw store and write them to the processed store.'
  static override description =
    'Reads bls/pr/<data file> as a stream and datausa/population.json, and writes population_stats.json, best_year_by_series.json and series_population.json, each also as .csv and .parquet, and report.html (charts and tables), as one set: all or none (folders). Sums are exact (scaled integers); a file whose content would not change is not rewritten.'

  static override examples = [
    '<%= config.bin %> transform',
    '<%= config.bin %> transform --bucket my-bucket --series PRS30006011 --period Q02',
    '<%= config.bin %> transform --raw ./data/raw --processed ./out --strict --json',
    '<%= config.bin %> transform --dry-run',
  ]

  static override flags = {
    ...locationFlags,
    ...transformFlags,
    'dry-run': Flags.boolean({description: 'compute the reports and say which would change; write nothing'}),
    json: jsonFlag('the summary (rows, series, rejected rows with line numbers, files written and unchanged)'),
  }

  async run(): Promise<TransformSummary> {
    const {flags} = await this.parse(Transform)
    const locations = this.locations(flags)
    const raw = this.store(locations.raw, flags)
    const processed = this.store(locations.processed, flags)
    if (!flags['dry-run']) await this.beginWriting(processed)
    try {
      const {reports: _reports, ...summary} = await this.progress().step(
        `Transform ${raw.location} into ${processed.location}`,
        (step) =>
          transformStores({
            raw,
            processed,
            ...transformParameters(flags),
            dryRun: flags['dry-run'],
            onProgress: ({bytes, totalBytes}) => step.update(`${formatBytes(bytes)} of ${formatBytes(totalBytes)}`),
          }),
        (result) => `${result.series} series, ${result.rejected.count} rejected rows`,
      )
      for (const warning of summary.warnings) this.warn(warning)
      if (!this.jsonEnabled()) this.log(renderTransformSummary(summary, {color: useColor(process.stdout, process.env)}))
      return summary
    } catch (error) {
      this.fail((error as Error).message)
    }
  }
}
