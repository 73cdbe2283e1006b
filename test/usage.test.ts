// Issue 19, items 19 and 20: series ids matched whatever their case and an empty series report
// warned about in `run` too; `--bucket s3://NAME` accepted; usage mistakes exit 2.
import {mkdtemp, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import t from 'tap'

import Fetch from '../src/commands/fetch.js'
import Run from '../src/commands/run.js'
import Sync from '../src/commands/sync.js'
import {BucketNameError, bucketLocations, bucketName, resolveLocations} from '../src/config/locations.js'
import {openStore} from '../src/stores/open.js'
import {runCommand} from './helpers/cli.js'
import {startEmulator} from './helpers/fauxqs.js'
import {serveFiles, startUpstream} from './helpers/upstream.js'

const CONTACT = 'data-team@example.com'
const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-usage-'))

t.test('run: a series id matches whatever its case; one that matches nothing is warned about', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const root = await tempDir()
  const argv = ['--raw', path.join(root, 'raw'), '--processed', path.join(root, 'processed'), '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl]
  const stored = async (): Promise<{parameters: {seriesId: string}; rows: unknown[]}> =>
    JSON.parse(await readFile(path.join(root, 'processed/series_population.json'), 'utf8')) as {parameters: {seriesId: string}; rows: unknown[]}

  const lower = await runCommand(Run, [...argv, '--series', 'prs30006011', '--format', 'json'], {DATAQUEST_CONTACT: CONTACT})
  t.equal(lower.exitCode, 0, lower.stderr)
  t.equal((await stored()).parameters.seriesId, 'PRS30006011', 'stored as BLS writes it')
  t.equal((await stored()).rows.length, 1, 'the sample series has one Q01 row')
  t.notMatch(lower.stderr, /⚠/)

  const nope = await runCommand(Run, [...argv, '--series', 'PRSNOPE'], {DATAQUEST_CONTACT: CONTACT})
  t.equal(nope.exitCode, 0, 'an empty series report does not stop the daily pipeline')
  t.match(nope.stderr, /⚠ bls\/pr\/pr\.data\.0\.Current has no Q01 rows for series PRSNOPE: series_population\.json has no rows; pick another --series or --period/)
  const json = await runCommand(Run, [...argv, '--series', 'PRSNOPE', '--json'], {DATAQUEST_CONTACT: CONTACT})
  t.match(JSON.parse(json.stdout).transform.warnings, [/no Q01 rows for series PRSNOPE/])
})

t.test('--bucket takes NAME or s3://NAME; anything with a prefix is a usage error naming the fix', async (t) => {
  t.equal(bucketName('my-bucket'), 'my-bucket')
  t.equal(bucketName('s3://my-bucket'), 'my-bucket')
  t.equal(bucketName('S3://my-bucket/'), 'my-bucket')
  t.same(bucketLocations('s3://b'), {raw: 's3://b/raw/', processed: 's3://b/processed/'})
  for (const bad of ['s3://b/raw', 's3://', 'b/x', 'https://b']) t.throws(() => bucketName(bad), BucketNameError, bad)
  t.throws(() => resolveLocations({}, {DATAQUEST_BUCKET: 's3://b/raw/'}), BucketNameError)

  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const fetched = await runCommand(Fetch, ['--bucket', `s3://${bucket}`, '--endpoint', emulator.endpoint, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl, '--json'], {
    DATAQUEST_CONTACT: CONTACT,
  })
  t.equal(fetched.exitCode, 0, fetched.stderr)
  t.equal(JSON.parse(fetched.stdout).store, `s3://${bucket}/raw/`)
  t.equal((await openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint}).list()).length, 4)

  const prefixed = await runCommand(Fetch, ['--bucket', `s3://${bucket}/raw`, '--bls-url', upstream.blsUrl], {DATAQUEST_CONTACT: CONTACT})
  t.equal(prefixed.exitCode, 2)
  t.match(prefixed.stderr, `Error: --bucket: "s3://${bucket}/raw" is not a bucket name: give NAME or s3://NAME`)
  const sync = await runCommand(Sync, ['--bucket', 's3://a/b', '--from', await tempDir()])
  t.equal(sync.exitCode, 2, sync.stderr)
  const fromEnv = await runCommand(Fetch, ['--bls-url', upstream.blsUrl, '--dry-run'], {DATAQUEST_CONTACT: CONTACT, DATAQUEST_BUCKET: 's3://a/b/'})
  t.equal(fromEnv.exitCode, 2, 'DATAQUEST_BUCKET is checked too')
  t.match(fromEnv.stderr, 'Error: DATAQUEST_BUCKET: "s3://a/b/" is not a bucket name')
})

t.test('a bad survey code is a usage mistake: exit 2', async (t) => {
  const result = await runCommand(Fetch, ['--survey', 'prr', '--raw', await tempDir()], {DATAQUEST_CONTACT: CONTACT})
  t.equal(result.exitCode, 2)
  t.match(result.stderr, 'Error: --survey: "prr" is not a BLS survey code: give two letters, like pr, cu or ce (comma-separated), or all; see `dataquest fetch --help`')
})
