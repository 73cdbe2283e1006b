import {S3Client} from '@aws-sdk/client-s3'
import {SQSClient} from '@aws-sdk/client-sqs'

/** Where to reach AWS. Credentials always come from the SDK's default chain. */
export interface AwsOptions {
  /** An S3/SQS-compatible endpoint (an emulator, MinIO…); path-style addressing is used then. */
  endpoint?: string
  region?: string
}

// Emulators accept any region, and the SDK refuses to start without one.
const regionFor = (options: AwsOptions): string | undefined => options.region ?? (options.endpoint ? 'us-east-1' : undefined)

export function createS3Client(options: AwsOptions = {}): S3Client {
  return new S3Client({
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    region: regionFor(options),
    // Every PUT and part carries its Content-MD5 (S3Store), which S3 checks; a CRC32 on top only costs CPU.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  })
}

export function createSqsClient(options: AwsOptions = {}): SQSClient {
  return new SQSClient({endpoint: options.endpoint, region: regionFor(options)})
}
