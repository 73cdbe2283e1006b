import {S3Client} from '@aws-sdk/client-s3'
import {SQSClient} from '@aws-sdk/client-sqs'
import type {MiddlewareStack} from '@smithy/types'

/** Where to reach AWS. Credentials come from the SDK's default chain, for `profile` when given. */
export interface AwsOptions {
  /** An S3/SQS-compatible endpoint (an emulator, MinIO…); path-style addressing is used then. */
  endpoint?: string
  region?: string
  /** A profile of the shared config and credentials files (~/.aws), as the AWS CLI's --profile. */
  profile?: string
}

// Emulators accept any region, and the SDK refuses to start without one.
const regionFor = (options: AwsOptions): string | undefined => options.region ?? (options.endpoint ? 'us-east-1' : undefined)

export function createS3Client(options: AwsOptions = {}): S3Client {
  const client = new S3Client({
    profile: options.profile,
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    region: regionFor(options),
    // Every PUT and part carries its Content-MD5 (S3Store), which S3 checks; a CRC32 on top only costs CPU.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  })
  explainErrors(client.middlewareStack, 's3', options)
  return client
}

export function createSqsClient(options: AwsOptions = {}): SQSClient {
  const client = new SQSClient({profile: options.profile, endpoint: options.endpoint, region: regionFor(options)})
  explainErrors(client.middlewareStack, 'sqs', options)
  return client
}

/** The request an error came from, as the error message names it. */
export interface AwsRequest {
  service: 's3' | 'sqs'
  /** The SDK command name, e.g. `HeadObjectCommand`. */
  command: string
  input: {Bucket?: string; Key?: string; Prefix?: string; QueueUrl?: string}
  endpoint?: string
  /** The AWS profile in use (--profile or AWS_PROFILE). */
  profile?: string
}

// The IAM action each S3 call needs, where it is not the call's own name.
const S3_ACTIONS: Record<string, string> = {
  HeadObject: 'GetObject',
  ListObjectsV2: 'ListBucket',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
}

interface SdkError {
  name: string
  message: string
  code?: string
  hostname?: string
  address?: string
  port?: number
  $metadata?: {httpStatusCode?: number}
}

/**
 * The SDK's terse errors (`Region is missing`, `UnknownError` for a 403 on HEAD,
 * `getaddrinfo ENOTFOUND …`) as one line naming the thing and the fix, as the AWS CLI words
 * them; undefined for an error these words would not improve.
 */
export function explainAwsError(error: SdkError, request: AwsRequest): string | undefined {
  const call = request.command.replace(/Command$/, '')
  const action = `${request.service}:${request.service === 's3' ? (S3_ACTIONS[call] ?? call) : call}`
  const {Bucket, Key, Prefix, QueueUrl} = request.input
  const resource = Bucket === undefined ? QueueUrl : `s3://${Bucket}/${Key ?? Prefix ?? ''}`
  const where = request.endpoint ? '--endpoint (or AWS_ENDPOINT_URL)' : `the bucket name ${JSON.stringify(Bucket)} and the region`
  if (error.message === 'Region is missing') return 'no AWS region: set AWS_REGION or pass --region (e.g. --region us-east-1)'
  if (error.name === 'CredentialsProviderError' && request.profile) {
    return `no AWS credentials for profile ${JSON.stringify(request.profile)}: check ~/.aws/credentials and ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), or run \`aws configure --profile ${request.profile}\``
  }
  if (error.name === 'CredentialsProviderError') {
    return 'no AWS credentials found: run `aws configure` (or `aws sso login`), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'
  }
  if (error.code === 'ENOTFOUND') return `${action} on ${resource}: the host ${error.hostname} does not resolve (ENOTFOUND); check ${where}`
  if (error.code === 'ECONNREFUSED') return `${action} on ${resource}: connection refused (ECONNREFUSED ${error.address}:${error.port}); check ${where}`
  if (error.name === 'QueueDoesNotExist' || error.name === 'AWS.SimpleQueueService.NonExistentQueue') {
    return `the queue ${QueueUrl} does not exist (in this account and region); check --queue (or DATAQUEST_QUEUE_URL) and --region`
  }
  if (error.$metadata?.httpStatusCode === 403) {
    return `access denied: ${action} on ${resource}; the credentials in use (AWS_PROFILE, or the role) need that permission`
  }
  return undefined
}

/** Rewrites the message of the errors `explainAwsError` knows; name, code and metadata stay as they were. */
function explainErrors<Input extends object, Output extends object>(stack: MiddlewareStack<Input, Output>, service: AwsRequest['service'], options: AwsOptions): void {
  stack.add(
    (next, context) => async (args) => {
      try {
        return await next(args)
      } catch (error) {
        const request = {service, command: String(context.commandName), input: args.input as AwsRequest['input'], endpoint: options.endpoint, profile: options.profile}
        const explained = explainAwsError(error as SdkError, request)
        if (explained) (error as Error).message = explained
        throw error
      }
    },
    {step: 'initialize', name: 'dataquestExplainErrors'},
  )
}
