// --profile (and AWS_PROFILE) reach the SDK clients of every S3/SQS command: with credentials only
// in a profile of a shared credentials file, the command works against fauxqs with that profile and
// fails naming it with another.
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import t from 'tap'

import ConsumeCommand from '../src/commands/consume.js'
import FetchCommand from '../src/commands/fetch.js'
import ReportCommand from '../src/commands/report.js'
import RunCommand from '../src/commands/run.js'
import SyncCommand from '../src/commands/sync.js'
import TransformCommand from '../src/commands/transform.js'
import {S3Store} from '../src/stores/s3.js'
import {serializeReport} from '../src/reports/index.js'
import {removeTempDirs, tempDir} from './helpers/bls-files.js'
import {runCommand} from './helpers/cli.js'
import {startEmulator} from './helpers/fauxqs.js'
import {populationReport, seriesReport} from './helpers/sample-reports.js'
import {bigBestYear} from './helpers/sample-reports.js'

t.teardown(removeTempDirs)

t.test('--profile and AWS_PROFILE choose the credentials of the S3 and SQS clients', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const store = new S3Store(emulator.s3, `s3://${bucket}/processed/`)
  for (const report of [populationReport(), bigBestYear(3), seriesReport()]) await store.write(`${report.report}.json`, serializeReport(report))

  const home = await tempDir()
  const credentials = path.join(home, 'credentials')
  const config = path.join(home, 'config')
  await writeFile(credentials, '[analyst]\naws_access_key_id = AKIDANALYST\naws_secret_access_key = secret\n')
  await writeFile(config, '[profile analyst]\nregion = us-east-1\n')
  // Credentials only in the files: none in the environment, no default profile.
  const env = {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: config,
    AWS_EC2_METADATA_DISABLED: 'true',
  }
  const args = ['--bucket', bucket, '--endpoint', emulator.endpoint, '--only', 'population']

  const withProfile = await runCommand(ReportCommand, [...args, '--profile', 'analyst'], env)
  t.equal(withProfile.exitCode, 0, withProfile.stderr)
  t.match(withProfile.stdout, /US population 2013–2018/)

  const fromEnv = await runCommand(ReportCommand, args, {...env, AWS_PROFILE: 'analyst'})
  t.equal(fromEnv.exitCode, 0, fromEnv.stderr)

  const other = await runCommand(ReportCommand, [...args, '--profile', 'nobody'], env)
  t.equal(other.exitCode, 1)
  t.match(other.stderr, 'no AWS credentials for profile "nobody": check ~/.aws/credentials and ~/.aws/config')

  const none = await runCommand(ReportCommand, args, env)
  t.equal(none.exitCode, 1, 'without the profile there are no credentials: it is the profile that worked')
  t.match(none.stderr, 'no AWS credentials found')

  // SQS too: consume with the profile receives (an empty queue, once) instead of failing on credentials.
  const queue = await runCommand(ConsumeCommand, ['--queue', `${emulator.endpoint}/000000000000/none`, '--endpoint', emulator.endpoint, '--once', '--wait', '0', '--profile', 'nobody'], env)
  t.equal(queue.exitCode, 1)
  t.match(queue.stderr, 'no AWS credentials for profile "nobody"')

  for (const command of [ConsumeCommand, FetchCommand, ReportCommand, RunCommand, SyncCommand, TransformCommand]) {
    t.ok('profile' in command.flags, `${command.name}: --profile`)
    t.equal((command.flags as Record<string, {env?: string}>).profile!.env, 'AWS_PROFILE')
  }
})
