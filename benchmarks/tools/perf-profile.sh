#!/usr/bin/env bash
# CPU profile of the hosted in-memory engine (`breakdown <customers> <runs> hosted`) with Linux perf: where the engine
# threads' CPU goes, function by function, including the runtime's own frames (GC, allocation, page faults).
#
#   benchmarks/tools/perf-profile.sh [customers=100000] [runs=2] [binary-dir] [extra inclusive keys, '|'-separated]
#
# Needs `perf` (linux-perf) and python3. Build first: dotnet build -c Release benchmarks/Journeys.Benchmarks.
# JIT'd frames are named through the runtime's perf map (DOTNET_PerfMapEnabled=1), which needs W^X off
# (DOTNET_EnableWriteXorExecute=0, else the code runs from an anonymous "doublemapper" mapping perf cannot name) and,
# to name System.Private.CoreLib's and System.Threading.Channels' frames too, ReadyToRun off (DOTNET_ReadyToRun=0:
# everything is JIT'd, so the first run's JIT shows in libclrjit.so). libcoreclr.so has no symbols: the GC's own time
# shows as unnamed libcoreclr.so frames under whichever managed frame allocated.
# Prints the share of the engine threads' samples (thread-pool workers and the dispatcher loops; the harness's customer
# setup excluded) per leaf function (exclusive) and per function anywhere on the stack (inclusive, for the keys below).
# Inclusive shares of async methods also hold the continuations they ran inline, so read those with care.
set -euo pipefail
customers=${1:-100000}
runs=${2:-2}
bin=${3:-$(dirname "$0")/../Journeys.Benchmarks/bin/Release/net10.0}
keys=${4:-'StepExecutor::Run|TryRender|::CommitAsync|ValidateLocked|ApplyLocked|Unslot|IndexedHeap|ApplyFieldUpdates|FillSlots|FindRow|InMemoryEngineStore::Enroll(|::Complete(|DispatchAsync|Polly|exc_page_fault|memset'}
out=${TMPDIR:-/tmp}/journeys-perf-$$
export DOTNET_TieredCompilation=0 DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=${DOTNET_ReadyToRun:-0}
echo "load:$(uptime | sed 's/.*average//')"
perf record -F 1999 -g -o "$out.data" -- dotnet "$bin/Journeys.Benchmarks.dll" breakdown "$customers" "$runs" hosted
perf script -i "$out.data" -F comm,tid,time,ip,sym,dso > "$out.txt" 2>/dev/null
python3 - "$out.txt" "$keys" <<'PY'
import collections, re, sys
keys = sys.argv[2].split('|')
engine = ('.NET TP Worker', 'Journeys dispat')
setup = ('UpsertAsync', 'StoreCustomers')
exclusive, inclusive, total = collections.Counter(), collections.Counter(), 0

def name(frame):
    short = re.sub(r'\(.*', '', re.sub(r'\[[^\]]*\]', '', frame)).replace('instance ', '').strip()
    return short[-110:] or frame[-70:]

def sample(comm, frames):
    global total
    if not frames or not comm.startswith(engine) or any(s in f for f in frames for s in setup):
        return
    total += 1
    exclusive[name(frames[0])] += 1
    for key in keys:
        if any(key in f for f in frames):
            inclusive[key] += 1

comm, frames = '', []
for line in open(sys.argv[1], errors='replace'):
    if not line.strip():
        sample(comm, frames)
        comm, frames = '', []
    elif line[0] not in ' \t':
        comm, frames = line[:16].strip(), []
    else:
        parts = line.strip().split(' ', 1)
        frames.append(parts[-1])
sample(comm, frames)
print(f'engine-thread samples: {total}')
for key, count in inclusive.most_common():
    print(f'  inclusive {100 * count / total:6.2f} %  {key}')
for key, count in exclusive.most_common(40):
    print(f'  exclusive {100 * count / total:6.2f} %  {key}')
PY
echo "raw samples: $out.data, $out.txt"
