import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {validateWorkflow} from '@action-validator/core'
import t from 'tap'
import {parse} from 'yaml'

import {projectRoot} from './helpers/cli.js'

interface Step {
  name?: string
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, string>
}
interface Job {
  'runs-on': string
  environment?: string | {name: string}
  strategy?: {matrix: Record<string, unknown[]>}
  env?: Record<string, string>
  steps: Step[]
}
interface Workflow {
  on: Record<string, unknown>
  permissions?: Record<string, string>
  jobs: Record<string, Job>
}

const read = (name: string): Promise<string> => readFile(path.join(projectRoot, '.github', 'workflows', name), 'utf8')
const load = async (name: string): Promise<Workflow> => parse(await read(name)) as Workflow
const onlyJob = (workflow: Workflow): Job => {
  const jobs = Object.values(workflow.jobs)
  if (jobs.length !== 1) throw new Error(`expected one job, found ${jobs.length}`)
  return jobs[0]!
}
/** Index of the first step whose `run` matches, or -1. */
const runIndex = (job: Job, pattern: RegExp): number => job.steps.findIndex((s) => s.run !== undefined && pattern.test(s.run))
const usesIndex = (job: Job, action: string): number => job.steps.findIndex((s) => s.uses?.split('@')[0] === action)

const NAMES = ['ci.yml', 'deploy.yml', 'sync.yml']

t.test('every workflow passes action-validator (schema check, offline)', async (t) => {
  for (const name of NAMES) t.same(validateWorkflow(await read(name)).errors, [], name)
  // The validator does catch mistakes: a job without runs-on.
  t.not(validateWorkflow('on: push\njobs:\n  x:\n    steps:\n      - run: echo\n').errors.length, 0)
})

t.test('no workflow expands ${{ }} inside a shell script (script injection); values go through env', async (t) => {
  for (const name of NAMES) {
    for (const job of Object.values((await load(name)).jobs)) {
      for (const step of job.steps) if (step.run) t.notMatch(step.run, /\$\{\{/, `${name}: ${step.name ?? step.run}`)
    }
  }
})

t.test('every npm script a workflow runs exists', async (t) => {
  const {scripts} = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {scripts: Record<string, string>}
  for (const name of NAMES) {
    for (const job of Object.values((await load(name)).jobs)) {
      for (const step of job.steps) {
        for (const [, script] of step.run?.matchAll(/npm run ([\w:-]+)/g) ?? []) t.ok(scripts[script!], `${name}: npm run ${script}`)
      }
    }
  }
})

t.test('ci: pull requests and pushes; install from the lockfile, lint, typecheck, test, synth on Node 20, 22, 24', async (t) => {
  const ci = await load('ci.yml')
  t.ok('pull_request' in ci.on && 'push' in ci.on)
  t.same(ci.permissions, {contents: 'read'})
  const job = onlyJob(ci)
  t.same(job.strategy?.matrix.node, [20, 22, 24])
  const order = [/^npm ci$/, /^npm run lint$/, /^npm run typecheck$/, /^npm test$/, /^npx cdk synth\b/].map((p) => runIndex(job, p))
  t.notOk(order.includes(-1), 'all five steps present')
  t.same(order, [...order].sort((a, b) => a - b), 'in that order')
  t.ok(usesIndex(job, 'actions/setup-node') < order[0]!)
})

t.test('deploy: pushes to main, OIDC role (no keys), an environment that can require approval, cdk deploy with the contact', async (t) => {
  const deploy = await load('deploy.yml')
  t.same((deploy.on.push as {branches: string[]}).branches, ['main'])
  t.equal(deploy.permissions?.['id-token'], 'write')
  const job = onlyJob(deploy)
  t.ok(job.environment, 'runs in a GitHub environment (reviewers are set on it)')
  const credentials = usesIndex(job, 'aws-actions/configure-aws-credentials')
  t.not(credentials, -1)
  const inputs = job.steps[credentials]!.with!
  t.match(inputs['role-to-assume'], /^\$\{\{ (vars|secrets)\.\w+ \}\}$/)
  t.notOk('aws-access-key-id' in inputs || 'aws-secret-access-key' in inputs, 'no long-lived keys')
  const cdkDeploy = runIndex(job, /npx cdk deploy .*--parameters "Contact=\$DATAQUEST_CONTACT"/)
  t.ok(cdkDeploy > credentials, 'deploys after assuming the role')
  t.match(job.steps[cdkDeploy]!.env?.DATAQUEST_CONTACT, /^\$\{\{ vars\.\w+ \}\}$/)
  t.ok(runIndex(job, /^npm test$/) < cdkDeploy, 'tested before it deploys')
})

t.test('sync: on a schedule and by hand; dataquest fetch, then dataquest sync --bucket, from repository variables', async (t) => {
  const sync = await load('sync.yml')
  t.ok(Array.isArray(sync.on.schedule) && 'workflow_dispatch' in sync.on)
  t.equal(sync.permissions?.['id-token'], 'write')
  const job = onlyJob(sync)
  const fetch = runIndex(job, /^npx dataquest fetch\b/)
  const push = runIndex(job, /^npx dataquest sync .*--bucket "\$DATAQUEST_BUCKET"/)
  t.ok(fetch !== -1 && push > fetch, 'fetch, then sync')
  t.ok(usesIndex(job, 'aws-actions/configure-aws-credentials') < push, 'credentials before sync')
  t.match(job.env, {DATAQUEST_BUCKET: /^\$\{\{ vars\.\w+ \}\}$/, DATAQUEST_CONTACT: /^\$\{\{ vars\.\w+ \}\}$/})
})
