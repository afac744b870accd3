#!/bin/sh
# Runs the JavaScript client's tests with Node's built-in test runner; `mvn verify` calls it (clients/js/pom.xml).
# Node comes from Debian's nodejs package (.ci/packages). Without node the tests are skipped with a message,
# except under CI=true, where that fails the build.
set -eu
cd "$(dirname "$0")"

MIN_NODE_MAJOR=18 # global fetch, web streams and node:test

if ! command -v node >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "clients/js: node is required under CI: apt-get install nodejs (it is listed in .ci/packages)" >&2
    exit 1
  fi
  echo "clients/js: SKIPPED the JavaScript client tests: node not found. Install it with: apt-get install nodejs"
  exit 0
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt "$MIN_NODE_MAJOR" ]; then
  echo "clients/js: node $(node --version) is too old, $MIN_NODE_MAJOR or later is needed (apt-get install nodejs)" >&2
  exit 1
fi

exec node --test test/*.test.js
