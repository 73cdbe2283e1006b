import {CreateBucketCommand, type S3Client} from '@aws-sdk/client-s3'
import {buildApp} from 'fauxqs'
import type {Test} from 'tap'

import {createS3Client, createSqsClient} from '../../src/aws/clients.js'

// fauxqs checks no signatures, but the SDK will not sign without credentials.
process.env.AWS_ACCESS_KEY_ID ??= 'test'
process.env.AWS_SECRET_ACCESS_KEY ??= 'test'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

export interface Emulator {
  endpoint: string
  s3: S3Client
  sqs: ReturnType<typeof createSqsClient>
  /** Create a bucket and return its name. */
  bucket(name?: string): Promise<string>
  /** Every request the emulator received (any client, any process), in order: method and path with query. */
  requests: {method: string; url: string}[]
}

let counter = 0

/**
 * Count the S3 commands `client` sends from now on, by name (retries included: the middleware sits
 * after the retry step), so tests can assert what a listing or a sync costs.
 */
export function countRequests(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>()
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName!, (counts.get(context.commandName!) ?? 0) + 1)
      return next(args)
    },
    {step: 'finalizeRequest', name: `count-${++counter}`},
  )
  return counts
}

/** All requests in `counts`. */
export const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0)

/** Start fauxqs (S3 + SQS) on a free loopback port for the duration of test `t`. */
export async function startEmulator(t: Test): Promise<Emulator> {
  // buildApp rather than startFauxqs: the latter binds 0.0.0.0, and tests stay on loopback.
  const app = buildApp({logger: false})
  const requests: Emulator['requests'] = []
  app.addHook('onRequest', async (request) => {
    requests.push({method: request.method, url: request.url})
  })
  const endpoint = await app.listen({port: 0, host: '127.0.0.1'})
  const s3 = createS3Client({endpoint})
  const sqs = createSqsClient({endpoint})
  t.teardown(async () => {
    s3.destroy()
    sqs.destroy()
    await app.close()
  })
  return {
    endpoint,
    s3,
    sqs,
    requests,
    async bucket(name = `bucket-${process.pid}-${++counter}`) {
      await s3.send(new CreateBucketCommand({Bucket: name}))
      return name
    },
  }
}
