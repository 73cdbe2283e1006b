import type {StepEvent, StepOutcome} from '../pipeline/index.js'
import type {StepControl} from '../util/progress.js'
import {plural} from '../util/plural.js'
import {fetchProgress, transformProgress} from './progress.js'
import {fetchLine} from './summary.js'
import {transformLine} from './transform-summary.js'

/** A pipeline step's events as progress, each in the words its own command uses. */
export function stepProgress(control: StepControl): (event: StepEvent) => void {
  const fetch = fetchProgress(control)
  const transform = transformProgress(control)
  return (event) => {
    if (event.step === 'fetch') fetch(event.event)
    else if ('warning' in event) control.warn(event.warning)
    else transform(event.progress)
  }
}

/** The line a finished pipeline step ends with. */
export function stepLine(outcome: StepOutcome): string {
  switch (outcome.step) {
    case 'fetch':
      return fetchLine(outcome.summary)
    case 'transform': {
      const {files} = outcome.summary
      return `${transformLine(outcome.summary)}, ${files.filter((file) => file.status === 'written').length} of ${files.length} files rewritten`
    }
    case 'report':
      return plural(outcome.reports.length, 'report')
  }
}
