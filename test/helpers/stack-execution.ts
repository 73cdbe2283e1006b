import {spawn} from 'node:child_process'
import {mkdtemp, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {App} from 'aws-cdk-lib'

import type {Emulator} from './fauxqs.js'

/** A CloudFormation template, as much of it as these helpers read. */
export interface Template {
  Resources: Record<string, {Type: string; Properties: Record<string, unknown>}>
}

/** Synthesize `app` and read its stack's template from the cloud assembly. */
export async function synthesizedTemplate(app: App, stackName: string): Promise<{template: Template; outdir: string}> {
  const assembly = app.synth()
  const file = path.join(assembly.directory, assembly.getStackByName(stackName).templateFile)
  return {template: JSON.parse(await readFile(file, 'utf8')) as Template, outdir: assembly.directory}
}

export const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-cdk-'))

/** The logical id of the one Lambda function whose description starts with `dataquest <name>` (fetch, transform, consume). */
export function functionIdOf(template: Template, name: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith(`dataquest ${name}`))
    .map(([id]) => id)
  if (ids.length !== 1) throw new Error(`expected one function "dataquest ${name}", found ${ids.length}`)
  return ids[0]!
}

/** The bundled handler of a function, as `cdk deploy` would upload it (the asset staged in `outdir`). */
export const bundleOf = (template: Template, outdir: string, functionId: string): string =>
  path.join(outdir, `asset.${(template.Resources[functionId]!.Properties.Code as {S3Key: string}).S3Key.replace(/\.zip$/, '')}`, 'index.mjs')

/** The ARN a function gets here, in place of its `Fn::GetAtt` (account and region are made up). */
export const functionArn = (functionId: string): string => `arn:aws:lambda:us-east-1:123456789012:function:${functionId}`

/**
 * A template value with `Ref`s and `Fn::Join`s resolved: a `Ref` to a logical id in `refs` (a bucket's
 * name, a parameter's value) and a `Fn::GetAtt … Arn` of a function. Anything else throws, so a value
 * the stack starts to compute some other way is noticed rather than guessed.
 */
export function resolve(value: unknown, refs: Record<string, string>): string {
  if (typeof value === 'string') return value
  const node = value as Record<string, unknown>
  if (typeof node.Ref === 'string') {
    const resolved = refs[node.Ref]
    if (resolved === undefined) throw new Error(`no value for Ref ${node.Ref}`)
    return resolved
  }
  if (Array.isArray(node['Fn::Join'])) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]]
    return parts.map((part) => resolve(part, refs)).join(separator)
  }
  const getAtt = node['Fn::GetAtt'] as [string, string] | undefined
  if (getAtt?.[1] === 'Arn') return functionArn(getAtt[0])
  throw new Error(`cannot resolve ${JSON.stringify(value)}`)
}

/** The environment the template gives a function, resolved. */
export function environmentOf(template: Template, functionId: string, refs: Record<string, string>): Record<string, string> {
  const variables = (template.Resources[functionId]!.Properties.Environment as {Variables?: Record<string, unknown>} | undefined)?.Variables ?? {}
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolve(value, refs)]))
}

/** The one state machine's definition, its function ARNs resolved. */
export function stateMachineDefinition(template: Template, refs: Record<string, string> = {}): Record<string, unknown> {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`)
  return JSON.parse(resolve(machines[0]!.Properties.DefinitionString, refs)) as Record<string, unknown>
}

interface AslState {
  Type: string
  Resource?: string
  Branches?: AslMachine[]
  ItemProcessor?: AslMachine
  Iterator?: AslMachine
}
interface AslMachine {
  States: Record<string, AslState>
}

/** Every Task state, by name, with the function ARN it invokes (the branches and Map iterations included). */
export function taskResources(machine: AslMachine): Record<string, string> {
  const tasks: Record<string, string> = {}
  for (const [name, state] of Object.entries(machine.States)) {
    if (state.Type === 'Task') tasks[name] = state.Resource!
    for (const inner of [...(state.Branches ?? []), ...[state.ItemProcessor, state.Iterator].filter((m) => m !== undefined)]) Object.assign(tasks, taskResources(inner))
  }
  return tasks
}

/** One Lambda log event in its JSON log format. */
export interface LogEvent {
  level: string
  message: unknown
}

export interface LambdaRun {
  result?: unknown
  /** As Lambda reports a function error: the error's name and message. */
  error?: {errorType: string; errorMessage: string; trace: string[]}
  events: LogEvent[]
}

// Runs in the child: Lambda's JSON log format on stdout (one object stays an object), the handler
// called with the event, its result or error sent back over IPC.
const RUNNER = `
import {pathToFileURL} from 'node:url'
const [bundle, event] = process.argv.slice(1)
const levels = {log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR'}
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => process.stdout.write(JSON.stringify({timestamp: new Date().toISOString(), level, requestId: 'local',
    message: args.length === 1 && typeof args[0] === 'object' ? args[0] : args.join(' ')}) + '\\n')
}
let reply
try {
  const {handler} = await import(pathToFileURL(bundle).href)
  reply = {result: await handler(JSON.parse(event), {awsRequestId: 'local'})}
} catch (error) {
  reply = {error: {errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error), trace: String(error?.stack ?? '').split('\\n')}}
}
process.send(reply, () => process.disconnect())
`

/**
 * Run a bundled handler as Lambda would: in a process of its own (this Node), with only the given
 * environment plus what the Lambda runtime sets (region, credentials), and its console as JSON log events.
 */
export function runBundle(bundle: string, event: unknown, environment: Record<string, string>): Promise<LambdaRun> {
  const env = {AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: 'test', ...environment}
  const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, bundle, JSON.stringify(event ?? {})], {env, stdio: ['ignore', 'pipe', 'pipe', 'ipc']})
  let stdout = ''
  let stderr = ''
  let reply: Omit<LambdaRun, 'events'> | undefined
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.on('message', (message) => (reply = message as typeof reply))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      if (!reply) return reject(new Error(`the handler process exited with ${code} and no reply: ${stderr}`))
      resolve({...reply, events: stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogEvent)})
    })
  })
}

/** The S3 requests of an emulator's log for `bucket` (path style: `/<bucket>/…` or `/<bucket>?…`). */
export const requestsTo = (emulator: Emulator, bucket: string, from = 0): Emulator['requests'] =>
  emulator.requests.slice(from).filter(({url}) => url === `/${bucket}` || url.startsWith(`/${bucket}/`) || url.startsWith(`/${bucket}?`))

/** Requests that change a bucket: PUT (objects, parts), POST (multipart, bulk delete), DELETE. */
export const isWrite = ({method}: {method: string}): boolean => ['PUT', 'POST', 'DELETE'].includes(method)
