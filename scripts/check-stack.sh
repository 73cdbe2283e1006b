#!/usr/bin/env bash
# The stack's checks, in the one place every CI runs them from (`npm run check:stack`: .ci/run and
# .github/workflows/ci.yml): synthesize the CDK app offline (cdk-nag fails it on an unacknowledged
# finding), then cfn-lint the template. Errors fail; warnings (W3005 on the DependsOn that CDK
# writes) are printed only.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cdk synth --quiet
if command -v cfn-lint >/dev/null; then
  cfn-lint --non-zero-exit-code error cdk.out/Dataquest.template.json
else
  echo "notice: cfn-lint is not installed; the synthesized template was not linted (pip install cfn-lint)"
fi
