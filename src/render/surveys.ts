import type {SurveySummary} from '../fetch/index.js'
import {formatBytes, formatCount} from './summary.js'
import {renderTable} from './table.js'

/** `cu: 3 added, 0 replaced, 1 deleted, 40 unchanged` (and `, 2 failed` / the error when it failed). */
export function surveyLine(s: SurveySummary): string {
  const counts = `${s.added} added, ${s.replaced} replaced, ${s.deleted} deleted, ${s.unchanged} unchanged${s.failed > 0 ? `, ${s.failed} failed` : ''}`
  return `${s.survey}: ${s.error ? `FAILED — ${counts}; ${s.error}` : counts}`
}

/** One row per survey: its counts, bytes written and, for a failed one, why. */
export function renderSurveys(surveys: readonly SurveySummary[], style?: (header: string) => string): string {
  const count = (name: 'added' | 'replaced' | 'deleted' | 'unchanged' | 'failed') => ({header: name, value: (s: SurveySummary) => formatCount(s[name]), align: 'right' as const})
  return renderTable(
    surveys,
    [
      {header: 'survey', value: (s) => s.survey},
      count('added'),
      count('replaced'),
      count('deleted'),
      count('unchanged'),
      count('failed'),
      {header: 'bytes written', value: (s) => formatBytes(s.bytes), align: 'right'},
      {header: 'error', value: (s) => s.error ?? ''},
    ],
    style,
  )
}
