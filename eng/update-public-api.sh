#!/usr/bin/env bash
# Adds every public symbol the build reports as undeclared (RS0016) to the project's PublicAPI.Unshipped.txt,
# and removes the ones reported as no longer existing (RS0017). Review the diff before committing:
# the public surface is meant to change deliberately.
# Usage: eng/update-public-api.sh [project.csproj ...]   (default: every src/ project)
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
[ ${#projects[@]} -gt 0 ] || mapfile -t projects < <(ls src/*/*.csproj)
for proj in "${projects[@]}"; do
  dir=$(dirname "$proj")
  out=$(mktemp)
  dotnet build "$proj" -c Release --no-incremental >"$out" 2>&1 || true
  python3 - "$dir/PublicAPI.Unshipped.txt" "$dir/PublicAPI.Shipped.txt" "$out" <<PY
import re, sys
unshipped, shipped = sys.argv[1], sys.argv[2]
out = open(sys.argv[3]).read()
add = set(re.findall(r"error RS0016: Symbol '(.+?)' is not part of the declared public API", out))
remove = set(re.findall(r"error RS0017: Symbol '(.+?)' is part of the declared API, but is either not public or could not be found", out))
lines = [l for l in open(unshipped).read().splitlines() if l.strip()]
body = [l for l in lines if l != '#nullable enable' and l not in remove]
body = sorted(set(body) | add, key=lambda s: s.replace('~', ''))
open(unshipped, 'w').write('#nullable enable\n' + ''.join(l + '\n' for l in body))
print(f"{unshipped}: +{len(add)} -{len(remove & set(lines))}")
PY
  rm -f "$out"
done
