// The coverage gate after `tap` (npm test): tap alone gates only at 100%, and src/ is not there yet.
// This allows at most the uncovered counts below, so new uncovered code fails the run; lower them
// as gaps close, and set .taprc's allow-incomplete-coverage to false once they are all 0.
// Reads the json-summary report tap writes (.taprc: coverage-report).
import {readFileSync} from 'node:fs'

/**
 * Uncovered statements, branches and functions allowed in all of src/ and deploy/: measured on
 * Node 20 after the round-3 merges (5, 36, 0), plus 2 statements, 4 branches and 1 function for
 * paths whose coverage depends on timing or on the Node version (a worker or stream failing
 * mid-scan, a request racing its timeout, the compile cache on Node 22+). The lines are listed in
 * the table above each run; docs/development.md says what is left to cover.
 */
const ALLOWED = {statements: 7, branches: 40, functions: 1}

const {total} = JSON.parse(readFileSync('.tap/report/coverage-summary.json', 'utf8'))
const counts = Object.entries(ALLOWED).map(([metric, allowed]) => ({metric, allowed, uncovered: total[metric].total - total[metric].covered}))
const over = counts.filter(({uncovered, allowed}) => uncovered > allowed)
if (over.length > 0) {
  const what = over.map(({metric, allowed, uncovered}) => `${uncovered} ${metric} uncovered (at most ${allowed})`).join(', ')
  console.error(`coverage gate: ${what}; cover the new code (the table above lists the lines) or say in scripts/coverage-gate.mjs why not`)
  process.exit(1)
}
console.log(`coverage gate: ${counts.map(({metric, uncovered}) => `${uncovered} ${metric} uncovered`).join(', ')} (allowed ${counts.map(({allowed}) => allowed).join(', ')})`)
