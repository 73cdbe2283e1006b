import {DataquestError, type Hint} from '../util/errors.js'

/** Why a contact is required, for messages that ask for one. */
export const CONTACT_REASON = 'BLS answers 403 Forbidden to robots whose User-Agent carries no contact'

/** What fixes a missing or refused contact. */
export const CONTACT_HINT: Hint = {flag: ['contact'], say: 'set one with {contact} you@example.com or the DATAQUEST_CONTACT environment variable'}

export class MissingContactError extends DataquestError {
  constructor(detail = 'no contact (e-mail address or URL) given') {
    super('usage', `${detail}: ${CONTACT_REASON}`, {hint: CONTACT_HINT})
    this.name = 'MissingContactError'
  }
}

/** `dataquest/<version> (+<contact>)`; refuses a missing contact or one that would break the header. */
export function userAgent(version: string, contact: string | undefined): string {
  const trimmed = contact?.trim() ?? ''
  if (trimmed === '') throw new MissingContactError()
  if (!/^[\x21-\x7e]+$/.test(trimmed) || /[()]/.test(trimmed)) {
    throw new MissingContactError(`contact ${JSON.stringify(trimmed)} is not a plain e-mail address or URL`)
  }
  return `dataquest/${version} (+${trimmed})`
}
