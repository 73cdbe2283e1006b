import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Duration, RemovalPolicy, type Size} from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import {NodejsFunction, OutputFormat} from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import type {Construct} from 'constructs'

import {acknowledge} from './nag.js'

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface HandlerFunctionProps {
  /** File name under deploy/handlers/, without extension. */
  handler: 'fetch' | 'transform' | 'logger'
  description: string
  timeout: Duration
  memorySize: number
  /** /tmp size; Lambda's default (512 MiB) unless given. */
  ephemeralStorage?: Size
  environment?: Record<string, string>
}

// The repo is ESM; a few dependencies still call require(), which an ESM bundle lacks.
const REQUIRE_BANNER = "import {createRequire as __createRequire} from 'node:module';const require = __createRequire(import.meta.url);"

/**
 * A Lambda function bundled by the local esbuild (no Docker) from deploy/handlers/<handler>.ts,
 * with its own log group (retention set, JSON log lines), X-Ray tracing, and a role that may write
 * only to that log group and to X-Ray. Everything else it may touch is granted by the caller.
 */
export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY})
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${props.description} (Lambda execution role)`,
  })
  logGroup.grantWrite(role)
  const fn = new NodejsFunction(scope, id, {
    entry: path.join(PROJECT_ROOT, 'deploy', 'handlers', `${props.handler}.ts`),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    description: props.description,
    timeout: props.timeout,
    memorySize: props.memorySize,
    ephemeralStorageSize: props.ephemeralStorage,
    // Stack traces point into the TypeScript sources through the bundled source maps.
    environment: {...props.environment, NODE_OPTIONS: '--enable-source-maps'},
    logGroup,
    // Each console call becomes one JSON event with timestamp, level and requestId (handlers/environment.ts).
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: lambda.Tracing.ACTIVE,
    role,
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: REQUIRE_BANNER,
      // The SDK version the code was tested with, not whatever the runtime ships.
      bundleAwsSDK: true,
      minify: true,
      sourceMap: true,
      sourcesContent: false,
    },
  })
  acknowledge(role, 'IAM5[Resource::*]', 'X-Ray PutTraceSegments and PutTelemetryRecords, which have no resource-level permissions.')
  return fn
}
