import {mkdtemp, readdir} from 'node:fs/promises'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {ReceiveMessageCommand} from '@aws-sdk/client-sqs'
import {Args, Config} from '@oclif/core'
import t, {type Test} from 'tap'

import {createSqsClient, explainAwsError} from '../src/aws/clients.js'
import {BaseCommand} from '../src/cli/base-command.js'
import {closest, describeFailure, exitCode, failureMessage, oneLine} from '../src/cli/errors.js'
import {checkHttpUrl} from '../src/cli/flags.js'
import notFound from '../src/cli/not-found.js'
import Consume from '../src/commands/consume.js'
import Fetch from '../src/commands/fetch.js'
import Report from '../src/commands/report.js'
import {CONTACT_REASON, MissingContactError} from '../src/http/user-agent.js'
import {StepError} from '../src/pipeline/index.js'
import {SurveyCodeError} from '../src/sources/upstream.js'
import {openStore} from '../src/stores/open.js'
import {TransformInputError} from '../src/transform/index.js'
import {projectRoot, runCommand, setEnv} from './helpers/cli.js'
import {startEmulator} from './helpers/fauxqs.js'

const emptyDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-cli-'))

t.test('an error is one line, printed once, without ANSI codes; --json carries no oclif internals', async (t) => {
  const processed = await emptyDir()
  const plain = await runCommand(Report, ['--processed', processed], {FORCE_COLOR: '1'})
  t.equal(plain.exitCode, 1)
  t.match(plain.stderr, /^Error: no population_stats\.json.*: run `dataquest transform` first\n/)
  t.equal(plain.stderr.split('Error:').length, 2, 'printed once')
  // eslint-disable-next-line no-control-regex -- the escape character is what must not appear
  t.notMatch(plain.stderr, /\x1b/, 'no ANSI codes')

  const json = await runCommand(Report, ['--processed', processed, '--json'])
  t.equal(json.exitCode, 1)
  const {error} = JSON.parse(json.stdout)
  t.match(error, {name: 'Error', message: /run `dataquest transform` first$/})
  t.notOk('oclif' in error, 'no "oclif": {"exit": 1}')
})

t.test('a misspelt flag names the closest one and the help to read, with exit 2', async (t) => {
  const result = await runCommand(Fetch, ['--contcat', 'me@example.com'])
  t.equal(result.exitCode, 2)
  t.match(result.stderr, 'Error: Nonexistent flag: --contcat; did you mean --contact?; see `dataquest fetch --help`\n')
  t.notMatch(result.stderr, 'USAGE', 'no usage dump')
  const far = describeFailure(Object.assign(new Error('Nonexistent flag: --zz\nSee more help with --help'), {parse: {}, flags: ['--zz']}), {
    bin: 'dataquest',
    id: 'sync',
    flags: {delete: {allowNo: true}},
  })
  t.equal(far.message, 'Nonexistent flag: --zz; see `dataquest sync --help`', 'nothing near enough: no suggestion')
  t.equal(closest('no-delte', ['delete', 'no-delete']), 'no-delete')
})

/** A command with no flags of its own that exits with code 3 when asked to (`exit`), as a command may. */
class Bare extends BaseCommand {
  static override id = 'bare'
  static override args = {action: Args.string()}
  async run(): Promise<void> {
    const {args} = await this.parse(Bare)
    if (args.action === 'exit') this.exit(3)
  }
}

t.test('BaseCommand: a deliberate exit is not a failure; a command without flags still names the misspelt one', async (t) => {
  const exited = await runCommand(Bare, ['exit'])
  t.equal(exited.exitCode, 3)
  t.equal(exited.stderr, '', 'no error line')
  const misspelt = await runCommand(Bare, ['--nope'])
  t.equal(misspelt.exitCode, 2)
  t.equal(misspelt.stderr, 'Error: Nonexistent flag: --nope; see `dataquest bare --help`\n')
})

t.test('URL flags are checked when parsed: exit 2 at once, nothing written', async (t) => {
  const raw = path.join(await emptyDir(), 'raw')
  for (const [flag, value] of [
    ['--bls-url', 'notaurl'],
    ['--population-url', 'ftp://example.com/population'],
    ['--endpoint', 'localhost:4566'],
  ]) {
    const result = await runCommand(Fetch, ['--contact', 'me@example.com', '--raw', raw, flag!, value!])
    t.equal(result.exitCode, 2, `${flag} ${value}`)
    t.match(result.stderr, `Error: ${flag}: "${value}" is not an http:// or https:// URL; see \`dataquest fetch --help\``)
  }
  const fromEnv = await runCommand(Consume, ['--once'], {DATAQUEST_QUEUE_URL: 'my-queue'})
  t.equal(fromEnv.exitCode, 2, 'an environment variable is checked too')
  t.match(fromEnv.stderr, '--queue: "my-queue" is not an http:// or https:// URL')
  await t.rejects(readdir(raw), {code: 'ENOENT'}, 'the raw store was not even created')
  t.equal(checkHttpUrl('http://127.0.0.1:9/x'), 'http://127.0.0.1:9/x')
})

t.test('an error\'s kind sets the exit code; its hint (or its cause\'s) is worded with flag names', async (t) => {
  const strict = new TransformInputError('PRS9 has no Q01 rows', {hint: {flag: ['series', 'period', 'strict'], say: 'pick another {series} or {period} ({strict} refuses an empty series report)'}})
  t.equal(failureMessage(strict), 'PRS9 has no Q01 rows; pick another --series or --period (--strict refuses an empty series report)')
  t.equal(exitCode(strict), 1)
  t.equal(exitCode(new Error('a bug')), 1)
  t.equal(failureMessage(new StepError('fetch', new MissingContactError())), `fetch failed: no contact (e-mail address or URL) given: ${CONTACT_REASON}; set one with --contact you@example.com or the DATAQUEST_CONTACT environment variable`)
  t.equal(failureMessage(new StepError('report', new Error('disk full'))), 'report failed: disk full', 'no hint anywhere: the message alone')
  t.equal(failureMessage('said plainly'), 'said plainly')
  const usage = describeFailure(new SurveyCodeError('x%'), {bin: 'dataquest', id: 'fetch', flags: {}})
  t.equal(usage.exit, 2, 'a usage error exits 2, with the help to read')
  t.match(usage.message, /is not a BLS survey code.*; see `dataquest fetch --help`$/)
  t.notOk('kind' in usage.json || 'hint' in usage.json, 'the --json error keeps its shape')
})

t.test('oneLine folds oclif parse messages', async (t) => {
  t.equal(oneLine('Parsing --wait \n\tExpected an integer\nSee more help with --help'), '--wait: Expected an integer')
  t.equal(oneLine('first\n\n  second  '), 'first; second')
})

t.test('a misspelt command suggests the closest (off a terminal: one line, exit 127)', async (t) => {
  const config = await Config.load(projectRoot)
  const written: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write
  const context = {
    exit(code: number): never {
      throw Object.assign(new Error(`exit ${code}`), {code})
    },
  }
  try {
    await t.rejects(notFound.call(context as never, {id: 'fecth', argv: [], config, context} as never), {code: 127})
    await t.rejects(notFound.call(context as never, {id: 'zzzzzzzz', argv: [], config, context} as never), {code: 127})
  } finally {
    process.stderr.write = write
  }
  t.same(written, [
    'Error: `fecth` is not a dataquest command; did you mean `dataquest fetch`? see `dataquest --help`\n',
    'Error: `zzzzzzzz` is not a dataquest command; see `dataquest --help`\n',
  ])
})

// Nothing but loopback: no profile files, no instance metadata, no credentials unless given.
const NO_AWS = {
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
}

/** An S3 endpoint that refuses everything with a bodiless 403, as S3 answers a HEAD it denies. */
async function forbiddingServer(t: Test): Promise<string> {
  const server = createServer((_request, response) => response.writeHead(403).end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('AWS errors name the thing and the fix', async (t) => {
  const endpoint = await forbiddingServer(t)
  const saved = setEnv(NO_AWS)
  t.teardown(() => setEnv(saved))

  await t.rejects(openStore('s3://my-bucket/raw/').stat('k'), {message: 'no AWS region: set AWS_REGION or pass --region (e.g. --region us-east-1)'})

  const noCredentials = setEnv({AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined})
  await t.rejects(openStore('s3://my-bucket/raw/', {endpoint}).stat('k'), {name: 'CredentialsProviderError', message: /^no AWS credentials found: run `aws configure`/})
  setEnv(noCredentials)

  await t.rejects(openStore('s3://my-bucket/raw/', {endpoint}).stat('k'), {
    message: 'access denied: s3:GetObject on s3://my-bucket/raw/k; the credentials in use (AWS_PROFILE, or the role) need that permission',
  })
  const report = await runCommand(Report, ['--processed', 's3://my-bucket/', '--endpoint', endpoint, '--region', 'eu-west-1'])
  t.equal(report.exitCode, 1)
  t.match(report.stderr, /^Error: .*access denied: s3:GetObject on s3:\/\/my-bucket\/\S+\.json;/)

  const closedPort = openStore('s3://my-bucket/', {endpoint: 'http://127.0.0.1:1'})
  await t.rejects(closedPort.read('k'), {message: /^s3:GetObject on s3:\/\/my-bucket\/k: connection refused \(ECONNREFUSED 127\.0\.0\.1:1\); check --endpoint/})

  const dns = Object.assign(new Error('getaddrinfo ENOTFOUND my-bucket.s3.us-east-1.amazonaws.com'), {code: 'ENOTFOUND', hostname: 'my-bucket.s3.us-east-1.amazonaws.com'})
  t.equal(
    explainAwsError(dns, {service: 's3', command: 'ListObjectsV2Command', input: {Bucket: 'my-bucket', Prefix: 'raw/'}}),
    's3:ListBucket on s3://my-bucket/raw/: the host my-bucket.s3.us-east-1.amazonaws.com does not resolve (ENOTFOUND); check the bucket name "my-bucket" and the region',
  )
  t.equal(explainAwsError(new Error('other'), {service: 's3', command: 'GetObjectCommand', input: {}}), undefined, 'other errors keep their words')
  const denied = Object.assign(new Error('UnknownError'), {$metadata: {httpStatusCode: 403}})
  t.equal(
    explainAwsError(denied, {service: 's3', command: 'ListObjectsV2Command', input: {Bucket: 'my-bucket'}}),
    'access denied: s3:ListBucket on s3://my-bucket/; the credentials in use (AWS_PROFILE, or the role) need that permission',
    'a listing of the whole bucket names the bucket',
  )
})

t.test('a queue that does not exist is named, with where to fix it', async (t) => {
  const emulator = await startEmulator(t)
  const sqs = createSqsClient({endpoint: emulator.endpoint})
  t.teardown(() => sqs.destroy())
  const QueueUrl = `${emulator.endpoint}/000000000000/no-such-queue`
  await t.rejects(sqs.send(new ReceiveMessageCommand({QueueUrl, WaitTimeSeconds: 0})), {
    message: `the queue ${QueueUrl} does not exist (in this account and region); check --queue (or DATAQUEST_QUEUE_URL) and --region`,
  })
})
