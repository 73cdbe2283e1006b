import {Aws, Duration, Fn, RemovalPolicy, Stack} from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as s3 from 'aws-cdk-lib/aws-s3'
import {Construct, type IConstruct} from 'constructs'

import {acknowledge, arnInFinding} from './nag.js'

export interface StorageProps {
  noncurrentVersionDays: number
  destroyData: boolean
}

/** What a handler does with a store (see src/stores/s3.ts for the calls behind each). */
export type StoreAccess = 'read' | 'write' | 'delete'

// Exact actions, not the s3:GetObject*/s3:List* families that bucket.grantRead hands out.
const OBJECT_ACTIONS: Record<StoreAccess, string[]> = {
  read: ['s3:GetObject'], // GetObject and HeadObject
  write: ['s3:PutObject', 's3:AbortMultipartUpload'], // PutObject and multipart uploads
  delete: ['s3:DeleteObject'],
}

/** Let `grantee` list `bucket` and do `access` on its objects; nothing else. */
export function grantStoreAccess(bucket: s3.IBucket, grantee: iam.IGrantable, ...access: StoreAccess[]): void {
  // Listing also turns a missing key into 404 (not 403), which the stores rely on.
  iam.Grant.addToPrincipal({grantee, actions: ['s3:ListBucket'], resourceArns: [bucket.bucketArn]})
  s3.BucketGrants.fromBucket(bucket).actionsOnObjectKeys(grantee, '*', ...access.flatMap((a) => OBJECT_ACTIONS[a]))
  acknowledge(
    grantee.grantPrincipal as unknown as IConstruct,
    `IAM5[Resource::${arnInFinding(bucket)}/*]`,
    'Every object of this one bucket: keys are upstream file names, unknown until fetched. The actions are named one by one.',
  )
}

/**
 * 12 hex digits unique to this stack instance: the last group of the UUID in `AWS::StackId`
 * (`arn:…:stack/<name>/<uuid>`), new with every create, the same across updates.
 */
export const stackInstanceId = (scope: IConstruct): string =>
  Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', Stack.of(scope).stackId))))

/** Every bucket of the stack: private, TLS only, encrypted, kept with the stack unless `destroyData`. */
export const privateBucketProps = (destroyData: boolean): s3.BucketProps => ({
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  encryption: s3.BucketEncryption.S3_MANAGED,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  autoDeleteObjects: destroyData,
})

/** The raw store (upstream mirror, versioned) and the processed store (the reports). */
export class Storage extends Construct {
  readonly raw: s3.Bucket
  readonly processed: s3.Bucket
  /**
   * The processed bucket's ARN, known before the bucket exists: the report queue's policy must
   * name it, and the bucket (whose notification S3 checks at creation) must wait for that policy.
   */
  readonly processedArn: string

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id)
    const common = privateBucketProps(props.destroyData)
    const abortUploads: s3.LifecycleRule = {id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1)}

    this.raw = new s3.Bucket(this, 'Raw', {
      ...common,
      versioned: true,
      lifecycleRules: [
        abortUploads,
        {id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays)},
        {id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true},
      ],
    })

    // Stack names may hold capitals; bucket names may not. The stack instance's id makes the name
    // unique, so a kept bucket does not block a deploy after `cdk destroy` (≤ 20+10+12+13 = 55 chars).
    const processedName = Fn.join('-', [Stack.of(this).stackName.toLowerCase().slice(0, 20), 'processed', Aws.ACCOUNT_ID, stackInstanceId(this)])
    this.processed = new s3.Bucket(this, 'Processed', {...common, bucketName: processedName, lifecycleRules: [abortUploads]})
    this.processedArn = Fn.join('', ['arn:', Aws.PARTITION, ':s3:::', processedName])

    for (const bucket of [this.raw, this.processed]) {
      acknowledge(
        bucket,
        'S1',
        'No server access logs: the buckets hold copies of public data and reports derived from it; CloudTrail data events can be enabled per account if an audit trail is needed.',
      )
    }
  }
}
