#!/usr/bin/env bash
# Runs the NUnit suites (unit, then integration) and ends with one summary line:
# "tests: N passed, N failed, N skipped". Exits non-zero on any failure or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build CriShim.sln -c Release -nologo -v q || exit 1
status=0
for project in tests/CriShim.Tests.Unit tests/CriShim.Tests.Integration; do
  dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
# vstest ends each assembly with "Total tests: N" then "Passed: N", "Failed: N", "Skipped: N" lines.
count() { grep -E "^\s+$1: +[0-9]+$" "$log" | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
[ "$passed" -gt 0 ] || { echo "no test ran"; status=1; }
# Repeat each failure (name, message, first stack lines) last, so a log cut to its tail still names it.
if [ "$failed" -gt 0 ]; then
  echo "failed tests:"
  grep -E -A6 "^\s+Failed [A-Za-z_]" "$log" | grep -v -E "^\s+Passed " | head -60
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
