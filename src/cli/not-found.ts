import {type Hook, toConfiguredId} from '@oclif/core'
import notFound from '@oclif/plugin-not-found'

import {closest} from './errors.js'

/**
 * A misspelt command. On a terminal, @oclif/plugin-not-found's "Did you mean …?" prompt; elsewhere
 * (scripts, CI, pipes), where the plugin would only say "not a command", one line naming the closest.
 */
const hook: Hook.CommandNotFound = async function (options) {
  // The prompt needs a terminal on stdin, which tests (child processes with pipes) have not got.
  /* c8 ignore next */
  if (process.stdin.isTTY) return notFound.call(this, options)
  const {bin} = options.config
  const suggestion = closest(options.id, options.config.commandIDs)
  const hint = suggestion ? `did you mean \`${bin} ${toConfiguredId(suggestion, options.config)}\`? ` : ''
  process.stderr.write(`Error: \`${toConfiguredId(options.id, options.config)}\` is not a ${bin} command; ${hint}see \`${bin} --help\`\n`)
  this.exit(127)
}

export default hook
