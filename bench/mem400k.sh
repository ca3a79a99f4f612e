#!/bin/bash
# Peak RSS, wall and CPU time of backup, verify and restore at 400k files (1 KiB each, 400
# folders of 1000), one run of each step, measured with GNU /usr/bin/time (docs/performance.md,
# "Memory at 400k files"). Target of issue 16: every step at or under 100 MB.
#
#   format 1, drive A: backup (full), verify --deep, restore
#   format 2, drive B: backup --format 2 (full, fresh drive); then ~1 % of the files changed
#   (4000 rewritten, 20 added, 20 deleted); backup --format 2 (an incremental), verify,
#   verify --deep, restore of the newest snapshot (its chain: the full and the increment)
#
# usage: bash bench/mem400k.sh <checkout>     (the checkout must be built: npm run build)
# env:   MEM400K_DIR   work folder (default /tmp/mem400k-<pid>; removed at the end)
#        MEM400K_FILES files per folder (default 1000: 400,000 files)
set -e
repo=$(cd "$1" && pwd)
t=${MEM400K_DIR:-/tmp/mem400k-$$}; per=${MEM400K_FILES:-1000}
rm -rf "$t"; mkdir -p "$t/src" "$t/drives/A" "$t/drives/B" "$t/state"
[ -n "$MEM400K_KEEP" ] || trap 'rm -rf "$t"' EXIT
node -e '
const fs=require("fs");const [p,n]=[process.argv[1],+process.argv[2]];
for(let d=0;d<400;d++){fs.mkdirSync(`${p}/d${d}`);for(let f=0;f<n;f++)fs.writeFileSync(`${p}/d${d}/f${f}.txt`,`file ${d}/${f} `.padEnd(1024,"x"));}
' "$t/src" "$per"
export AIRGAP_STATE_DIR=$t/state AIRGAP_DRIVES_ROOT=$t/drives XDG_CONFIG_HOME=$t/xdg; unset AIRGAP_CONFIG
a="node $repo/bin/airgap.js"
$a label "$t/drives/A" --name A --yes >/dev/null
$a label "$t/drives/B" --name B --yes >/dev/null

# step <name> <command…>: one measured run; its peak RSS (MB), wall and CPU seconds
step() {
  local name=$1; shift
  if /usr/bin/time -f "%M %e %U %S" -o "$t/$name.time" "$@" >/dev/null 2>"$t/$name.err"; then
    read -r kb wall user sys < "$t/$name.time"
    awk -v n="$name" -v kb="$kb" -v w="$wall" -v u="$user" -v s="$sys" \
      'BEGIN { printf "%-22s peak RSS %4d MB   %6.1f s wall   %6.1f s CPU\n", n, kb/1024, w, u+s }'
  else
    echo "$name failed"; tail -5 "$t/$name.err"; return 1
  fi
}

# ~1 % of the files changed: 10 rewritten per folder, and 20 added and 20 deleted in all
change() {
  node -e '
const fs=require("fs");const [p,n]=[process.argv[1],+process.argv[2]];const k=Math.max(1,Math.round(n/100));
for(let d=0;d<400;d++)for(let f=0;f<k;f++)fs.writeFileSync(`${p}/d${d}/f${f*7%n}.txt`,`changed ${d}/${f} `.padEnd(1024,"y"));
for(let d=0;d<20;d++){fs.writeFileSync(`${p}/d${d}/new.txt`,"new ".padEnd(1024,"z"));fs.unlinkSync(`${p}/d${d*3+1}/f${n-1}.txt`);}
' "$t/src" "$per"
}

step "f1 backup" $a backup --format 1 --drive A --source "$t/src"
step "f1 verify --deep" $a verify A --deep
step "f1 restore" $a restore A --to "$t/out"
rm -rf "$t/out" "$t/drives/A/airgap"

step "f2 backup full" $a backup --format 2 --drive B --source "$t/src"
change
step "f2 backup incr" $a backup --format 2 --drive B --source "$t/src"
step "f2 verify" $a verify B
step "f2 verify --deep" $a verify B --deep
step "f2 restore chain" $a restore B --to "$t/out"
