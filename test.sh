#!/usr/bin/env bash
# The whole test suite: build, run every test project, and print one line "N passed, N failed[, N skipped]"
# counted from the TRX results the runs wrote. Exits non-zero when anything failed or nothing ran.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
results="$root/.artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

# The interop tests run stock OpenSSL against the dock's signatures; Debian's package if it is missing.
if ! command -v openssl >/dev/null 2>&1; then
  echo "== installing openssl (Debian package)"
  (apt-get update -qq && apt-get install -y -qq openssl) >/dev/null 2>&1 || echo "warning: could not install openssl"
fi

# The USB bulk transport P/Invokes libusb-1.0 (Debian libusb-1.0-0); its tests load the real library.
if ! ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then
  echo "== installing libusb-1.0 (Debian package)"
  (apt-get update -qq && apt-get install -y -qq libusb-1.0-0) >/dev/null 2>&1 || echo "warning: could not install libusb-1.0-0"
fi

# The metrics test has a real Prometheus (Debian package) scrape the running dock.
if ! command -v prometheus >/dev/null 2>&1; then
  echo "== installing prometheus (Debian package)"
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus) >/dev/null 2>&1 || echo "warning: could not install prometheus"
fi

# The kiosk and console are tested in a real browser: Playwright drives Debian's Chromium (never its own download).
# A CJK font too (the zh-CN pages, and their screenshots, would show boxes without one).
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk'; then
  echo "== installing chromium and a CJK font (Debian packages)"
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei) >/dev/null 2>&1 \
    || echo "warning: could not install chromium / fonts-wqy-microhei"
fi

# The cloud tests run real storage emulators (s3rver, Azurite) from npm, pinned by tests/emulators/package-lock.json.
if [ ! -x tests/emulators/node_modules/.bin/s3rver ] || [ ! -x tests/emulators/node_modules/.bin/azurite-blob ] \
   || [ tests/emulators/package-lock.json -nt tests/emulators/node_modules/.package-lock.json ]; then
  echo "== installing the storage emulators (npm ci in tests/emulators)"
  if ! (cd tests/emulators && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "npm ci failed: the cloud tests need s3rver and Azurite (npm registry, Node 20)"
  fi
fi

echo "== build"
if ! dotnet build Dock.sln -c Release -nologo -v quiet -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== test"
status=0
for project in tests/*/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  echo "-- $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --logger "console;verbosity=minimal" || status=1
done

# Sum the counters of every TRX file: <Counters total=".." executed=".." passed=".." failed=".." ... notExecuted="..">
sum() { grep -ho "<Counters [^>]*" "$results"/*.trx 2>/dev/null | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed=$(sum passed); failed=$(sum failed); skipped=$(sum notExecuted); errors=$(sum error); timeouts=$(sum timeout)
failed=$((failed + errors + timeouts))
trx_count=$(ls "$results"/*.trx 2>/dev/null | wc -l)
expected=$(ls tests/*/*.Tests.csproj | wc -l)
if [ "$trx_count" -lt "$expected" ]; then
  # A test host that crashed writes no TRX: count that project as a failure rather than hide it.
  failed=$((failed + expected - trx_count))
  status=1
fi
if [ "$passed" -eq 0 ]; then status=1; fi
if [ "$failed" -gt 0 ]; then status=1; fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
