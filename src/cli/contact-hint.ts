import {FetchError} from '../fetch/index.js'
import {MissingContactError} from '../http/user-agent.js'
import {UpstreamForbiddenError} from '../sources/bls.js'
import {CONTACT_HINT} from './flags.js'

/** `; set one with --contact …` for the errors a contact would fix (none given, or BLS said 403); else ''. */
export function contactHint(error: unknown): string {
  const needsContact =
    error instanceof MissingContactError || (error instanceof FetchError && error.causes.some((cause) => cause instanceof UpstreamForbiddenError))
  return needsContact ? `; ${CONTACT_HINT}` : ''
}
