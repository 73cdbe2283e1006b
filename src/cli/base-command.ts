import {Command, Errors} from '@oclif/core'

import type {AwsOptions} from '../aws/clients.js'
import {type Locations, resolveLocations} from '../config/locations.js'
import {createProgress, type Progress, progressMode} from '../render/progress.js'
import {openStore} from '../stores/open.js'
import type {Store} from '../stores/store.js'

/** Shared plumbing for dataquest commands: JSON output, store locations, AWS options. */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** AWS options from flags; region from the SDK's usual environment variables. */
  protected awsOptions(flags: {endpoint?: string}): AwsOptions {
    return {endpoint: flags.endpoint, region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION}
  }

  protected locations(flags: {raw?: string; processed?: string; bucket?: string}): Locations {
    return resolveLocations(flags, process.env)
  }

  protected store(location: string, flags: {endpoint?: string}): Store {
    return openStore(location, this.awsOptions(flags))
  }

  /** Exit 1 with a one-line error (no stack); `details` ride along in the --json error object. */
  protected fail(message: string, details: Record<string, unknown> = {}): never {
    throw Object.assign(new Errors.CLIError(message, {exit: 1}), details)
  }

  /** Progress on stderr: live on a terminal, plain lines elsewhere, warnings only with --json. */
  protected progress(): Progress {
    return createProgress({mode: progressMode({json: this.jsonEnabled(), stream: process.stderr}), stream: process.stderr})
  }
}

