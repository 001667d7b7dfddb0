#!/usr/bin/env bash
# Runs the NUnit suites and ends with one summary line: "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
dotnet build CriShim.sln -c Release -nologo -v q || exit 1
status=0
for project in tests/CriShim.Tests.Unit tests/CriShim.Tests.Integration; do
  dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
# vstest prints one "Passed!/Failed!  - Failed: N, Passed: N, Skipped: N, Total: N" line per assembly.
read -r passed failed skipped < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"
[ "$passed" -gt 0 ] || { echo "no test ran"; status=1; }
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
