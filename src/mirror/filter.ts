/**
 * Include/exclude rules on store keys, as `aws s3 sync` applies them: every key is included
 * unless a rule matches it, and of the rules that match, the last given wins. `*` matches any run
 * of characters (`/` included), `?` one character, `[abc]` / `[!abc]` one of (or none of) a set.
 * A pattern with a `/` is matched against the whole key (`bls/pr/pr.data.*`); one without, against
 * the key's last segment (`pr.data.1.AllData` skips that file in every survey).
 */

export interface FilterRule {
  type: 'include' | 'exclude'
  pattern: string
}

const escape = (text: string): string => text.replaceAll(/[.+^${}()|\\[\]]/g, '\\$&')

function globSource(pattern: string): string {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!
    const close = char === '[' ? pattern.indexOf(']', i + 2) : -1
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else if (close > 0) {
      const set = pattern.slice(i + 1, close)
      // `^` and `\` are literal in a glob's set; `!` first negates it.
      const negated = set.startsWith('!')
      source += `[${negated ? '^' : ''}${(negated ? set.slice(1) : set).replaceAll(/[\\^]/g, '\\$&')}]`
      i = close
    } else source += escape(char)
  }
  return source
}

export class KeyFilter {
  private readonly rules: {rule: FilterRule; regex: RegExp; whole: boolean}[]

  constructor(rules: readonly FilterRule[] = []) {
    this.rules = rules.map((rule) => ({rule, regex: new RegExp(`^${globSource(rule.pattern)}$`, 's'), whole: rule.pattern.includes('/')}))
  }

  /** The rule that leaves `key` out, or undefined when it is in. */
  excludedBy(key: string): FilterRule | undefined {
    const name = key.slice(key.lastIndexOf('/') + 1)
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const {rule, regex, whole} = this.rules[i]!
      if (regex.test(whole ? key : name)) return rule.type === 'exclude' ? rule : undefined
    }
    return undefined
  }
}
