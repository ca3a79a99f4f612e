#!/usr/bin/env bash
# Issue 16: large files changed in place. Whole-file versus a fixed-block delta that stock tools
# apply (`dd … conv=notrunc`). Figures and the decision: docs/delta-experiment.md.
#
#   bench/delta-experiment.sh            # 4 GiB file, 12 weeks, ~28 min on 2 cores
#   SIZE=10G bench/delta-experiment.sh   # the issue's 10 GB case (needs ~4x SIZE + 2 GiB of disk)
#
# Environment (defaults in brackets):
#   SIZE [4G]            the large file (numfmt --from=iec: 4G = 4 GiB)
#   WEEKS [12]           weekly increments per chain (the chain's maxLength is 12)
#   MIXED_WEEKS [6]      weeks of the "mixed" variant (its insert week stores the file whole)
#   VARIANTS [edit2m scatter64k append8m shrink8m mixed]
#   BLOCKS [65536 262144 1048576 4194304]
#   TOOLS [gnu busybox bsdtar]   stock toolsets the chains are restored with (gnu at every block
#                        size; busybox and bsdtar at 1 MiB only, to keep the run short)
#   SEED [16]            seeds the data and the edits: the same seed gives the same run
#   WORKDIR [/var/tmp/airgap-delta]   scratch; removed at the end (KEEP=1 keeps it)
#   LOOP [auto]          auto: as root, a loop-mounted ext4 image (direct I/O, so that unmounting
#                        empties the page cache: cold reads); 0: a plain folder (warm cache)
#   OUT [$WORKDIR.results.jsonl]   one JSON object per measurement
#
# Every restore is a generated sh script of literal commands (tar -xf, dd, touch, rm,
# sha256sum -c), the shape RESTORE.txt would have, run by the toolset's own sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
MJS="$HERE/delta-experiment.mjs"
SIZE=${SIZE:-4G}
BYTES=$(numfmt --from=iec "$SIZE")
WEEKS=${WEEKS:-12}
MIXED_WEEKS=${MIXED_WEEKS:-6}
VARIANTS=${VARIANTS:-edit2m scatter64k append8m shrink8m mixed}
BLOCKS=${BLOCKS:-65536 262144 1048576 4194304}
TOOLS=${TOOLS:-gnu busybox bsdtar}
SEED=${SEED:-16}
WORKDIR=${WORKDIR:-/var/tmp/airgap-delta}
LOOP=${LOOP:-auto}
OUT=${OUT:-$WORKDIR.results.jsonl}
BASE_BS=65536
M="$WORKDIR/mnt"
DEV=""

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
rec() { printf '%s\n' "$1" >> "$OUT"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

cleanup() {
  local rc=$?
  cd /
  if [ -n "$DEV" ]; then
    mountpoint -q "$M" && umount "$M"
    losetup -d "$DEV" || true
  fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORKDIR" "$WORKDIR.img"; fi
  log "cleaned up (exit $rc); results: $OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Cold cache: with the loop image, unmount and mount again (the image is opened with direct I/O,
# so none of it stays cached on the host); else try drop_caches, and say when the cache is warm.
COLD=1
drop_cache() {
  sync
  if [ -n "$DEV" ]; then cd /; umount "$M"; mount "$DEV" "$M"
  elif ! { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; then COLD=0; fi
}

rm -rf "$WORKDIR" "$WORKDIR.img"; mkdir -p "$WORKDIR"; : > "$OUT"
if [ "$LOOP" = auto ] && [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null; then LOOP=1; fi
if [ "$LOOP" = 1 ]; then
  truncate -s $((4 * BYTES + 2 * 1024 * 1024 * 1024)) "$WORKDIR.img"
  mkfs.ext4 -q -F "$WORKDIR.img"
  DEV=$(losetup --direct-io=on -f --show "$WORKDIR.img")
  mkdir -p "$M"; mount "$DEV" "$M"
  WHERE="loop-mounted ext4 image ($DEV, direct I/O) in $WORKDIR.img"
else
  mkdir -p "$M"; WHERE="plain folder $M ($(df -PT "$M" | awk 'NR==2 { print $2 }'))"
fi
drop_cache
log "work area: $WHERE; cold cache: $COLD"
rec "$(printf '{"type":"env","size":%s,"weeks":%s,"mixedWeeks":%s,"seed":%s,"where":"%s","cold":%s,"nproc":%s,"cpu":"%s","node":"%s","tar":"%s","bsdtar":"%s","busybox":"%s"}' \
  "$BYTES" "$WEEKS" "$MIXED_WEEKS" "$SEED" "$WHERE" "$COLD" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" "$(node --version)" \
  "$(tar --version | head -n1)" "$(bsdtar --version 2>/dev/null | cut -d' ' -f1-2)" "$(busybox 2>/dev/null | head -n1 | cut -d' ' -f1-2)")"

# Stock toolsets: a PATH that puts the toolset's tar (and for busybox, everything) first.
BUSYBOX=$(command -v busybox)
mkdir -p "$WORKDIR/bin-busybox" "$WORKDIR/bin-bsdtar"
for a in sh tar dd sha256sum rm touch cat mkdir stat; do ln -sf "$(command -v busybox)" "$WORKDIR/bin-busybox/$a"; done
ln -sf "$(command -v bsdtar)" "$WORKDIR/bin-bsdtar/tar"
run_tool() { # toolset script-file: runs it with that toolset's sh, tar, dd
  case "$1" in
    gnu) sh "$2" ;;
    busybox) PATH="$WORKDIR/bin-busybox" "$BUSYBOX" sh "$2" ;;
    bsdtar) PATH="$WORKDIR/bin-bsdtar:$PATH" sh "$2" ;;
  esac
}
TAR_OPTS=(--format=pax --pax-option=delete=atime,delete=ctime --owner=0 --group=0 --numeric-owner)

# 1. The large file, and its full tarball (the chain's full).
mkdir -p "$M/src/data" "$M/lists"
t=$(now)
{ openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:airgap-$SEED" -in /dev/zero 2>/dev/null || true; } | head -c "$BYTES" > "$M/src/data/big.img"
touch -d @1700000000 "$M/src/data/big.img"
log "made $SIZE in $(since "$t") s"
t=$(now); tar "${TAR_OPTS[@]}" -cf "$M/base.tar" -C "$M/src" data; sync; tfull=$(since "$t")
rec "{\"type\":\"full-write\",\"bytes\":$(stat -c %s "$M/base.tar"),\"wall\":$tfull}"

# 2. The writer's cost: read and hash the file (first pass cold, then warm).
drop_cache
log "writer cost (read, whole SHA-256, block SHA-256s)"
rec "{\"type\":\"cost\",\"rows\":$(node "$MJS" cost "$M/src/data/big.img" $BLOCKS)}"
rm -rf "$M/src"

# 3. Per variant: a week of edits at a time; per block size, the increment a delta writer stores.
for V in $VARIANTS; do
  W=$WEEKS; [ "$V" = mixed ] && W=$MIXED_WEEKS
  log "variant $V: $W weeks"
  mkdir -p "$M/src" "$M/chain/$V"
  drop_cache
  t=$(now); tar -xf "$M/base.tar" -C "$M/src"; sync; rec "{\"type\":\"extract-full\",\"variant\":\"$V\",\"wall\":$(since "$t")}"
  node "$MJS" hash "$M/src/data/big.img" $BASE_BS "$M/lists/prev.bin" > /dev/null
  for bs in $BLOCKS; do
    d="$M/chain/$V/$bs"; mkdir -p "$d"
    printf 'set -e\ncd "$TARGET"\ntar -xf %s\n' "$M/base.tar" > "$d/full.sh"
    printf 'set -e\ncd "$TARGET"\n' > "$d/links.sh"
  done
  for w in $(seq 1 "$W"); do
    id=$(printf 'w%02d' "$w")
    ed=$(node "$MJS" edit "$M/src/data/big.img" "$V" "$w" "$SEED")
    h=$(node "$MJS" hash "$M/src/data/big.img" $BASE_BS "$M/lists/cur.bin")
    size=$(stat -c %s "$M/src/data/big.img")
    stamp=$(TZ=UTC0 date -d "@$(stat -c %Y "$M/src/data/big.img")" +%Y%m%d%H%M.%S)
    for bs in $BLOCKS; do
      d="$M/chain/$V/$bs"
      plan=$(node "$MJS" plan "$M/lists/prev.bin" "$M/lists/cur.bin" $BASE_BS "$bs" "$size")
      changed=$(jq -r .changed <<<"$plan"); nblocks=$(jq -r .blocks <<<"$plan")
      t=$(now)
      if [ $((changed * 2)) -gt "$nblocks" ]; then
        # The cap: more than half the blocks changed: store the file whole in this increment.
        kind=whole; whole="$M/chain/$V/$id-whole.tar"
        [ -f "$whole" ] || { tar "${TAR_OPTS[@]}" -cf "$whole" -C "$M/src" data; sync; }
        inc="$whole"; runs=0
        printf '# %s: the file whole\ntar -xf %s\n' "$id" "$whole" >> "$d/links.sh"
      else
        kind=delta; inc="$d/$id.tar"; st="$d/stage"
        rm -rf "$st"; mkdir -p "$st/.airgap-delta/$id/1"
        {
          printf '# %s: %s changed block(s) of %s bytes\ntar -xf %s\n' "$id" "$changed" "$bs" "$inc"
          [ "$(jq -r .size <<<"$ed")" = "$(jq -r .newSize <<<"$ed")" ] || printf 'dd if=/dev/null of=data/big.img bs=1 seek=%s\n' "$size"
        } >> "$d/links.sh"
        runs=0
        while read -r start count; do
          dd if="$M/src/data/big.img" of="$st/.airgap-delta/$id/1/$start" bs="$bs" skip="$start" count="$count" status=none
          printf 'dd if=.airgap-delta/%s/1/%s of=data/big.img bs=%s seek=%s conv=notrunc\n' "$id" "$start" "$bs" "$start" >> "$d/links.sh"
          runs=$((runs + 1))
        done < <(jq -r '.runs[] | "\(.[0]) \(.[1])"' <<<"$plan")
        touch -d "@$(stat -c %Y "$M/src/data/big.img")" "$st/.airgap-delta"
        tar "${TAR_OPTS[@]}" -cf "$inc" -C "$M/src" --no-recursion data -C "$st" --recursion .airgap-delta
        sync; rm -rf "$st"
        printf 'TZ=UTC0 touch -m -t %s data/big.img\nrm -rf .airgap-delta\n' "$stamp" >> "$d/links.sh"
      fi
      rec "{\"type\":\"week\",\"variant\":\"$V\",\"week\":$w,\"bs\":$bs,\"kind\":\"$kind\",\"edit\":$ed,\"size\":$size,\"changed\":$changed,\"blocks\":$nblocks,\"runs\":$runs,\"changedBytes\":$(jq .bytes <<<"$plan"),\"incBytes\":$(stat -c %s "$inc"),\"listBytes\":$((nblocks * 32)),\"writeWall\":$(since "$t"),\"hashWall\":$(jq .wall <<<"$h")}"
    done
    mv "$M/lists/cur.bin" "$M/lists/prev.bin"
    log "  $id: $(jq -c '[.kind, .edits[0].kind]' <<<"$ed") size $size"
  done

  # The truth: the final file, hashed by sha256sum, and its mtime.
  (cd "$M/src" && sha256sum data/big.img) > "$M/chain/$V/FILES.sha256"
  mtime=$(stat -c %Y "$M/src/data/big.img")
  if [ "$V" = edit2m ]; then
    # The whole-file side: the newest whole copy, written, then extracted (cold) and checked.
    t=$(now); tar "${TAR_OPTS[@]}" -cf "$M/final.tar" -C "$M/src" data; sync; tw=$(since "$t")
    rm -rf "$M/src"; mkdir -p "$M/restore"; drop_cache
    t=$(now); tar -xf "$M/final.tar" -C "$M/restore"; sync; tx=$(since "$t")
    t=$(now); (cd "$M/restore" && sha256sum -c --quiet "$M/chain/$V/FILES.sha256"); tc=$(since "$t")
    rec "{\"type\":\"whole-restore\",\"variant\":\"$V\",\"tarBytes\":$(stat -c %s "$M/final.tar"),\"writeWall\":$tw,\"extractWall\":$tx,\"checkWall\":$tc}"
    rm -rf "$M/final.tar" "$M/restore"
  else
    rm -rf "$M/src"
  fi

  # The delta chains, restored by each stock toolset.
  for bs in $BLOCKS; do
    d="$M/chain/$V/$bs"
    printf 'set -e\ncd "$TARGET"\nsha256sum -c %s\n' "$M/chain/$V/FILES.sha256" > "$d/check.sh"
    for tool in $TOOLS; do
      [ "$tool" = gnu ] || [ "$bs" = 1048576 ] || continue
      rm -rf "$M/restore"; mkdir -p "$M/restore"; drop_cache
      export TARGET="$M/restore"
      t=$(now); run_tool "$tool" "$d/full.sh"; sync; tf=$(since "$t")
      t=$(now); run_tool "$tool" "$d/links.sh" > /dev/null 2>"$WORKDIR/dd.log"; sync; tl=$(since "$t")
      t=$(now); ok=true; run_tool "$tool" "$d/check.sh" > /dev/null || ok=false; tc=$(since "$t")
      got=$(stat -c %Y "$M/restore/data/big.img"); left=$(ls -A "$M/restore" | tr '\n' ' ')
      [ "$got" = "$mtime" ] || ok=false
      [ "$left" = "data " ] || ok=false
      rec "{\"type\":\"delta-restore\",\"variant\":\"$V\",\"bs\":$bs,\"tool\":\"$tool\",\"ok\":$ok,\"mtimeOk\":$([ "$got" = "$mtime" ] && echo true || echo false),\"left\":\"$left\",\"fullWall\":$tf,\"linksWall\":$tl,\"checkWall\":$tc,\"ddCommands\":$(grep -c '^dd ' "$d/links.sh"),\"scriptLines\":$(grep -vc '^#' "$d/links.sh")}"
      log "  restored $V bs=$bs with $tool: ok=$ok (full ${tf}s, links ${tl}s, check ${tc}s)"
      rm -rf "$M/restore"
    done
  done
  if [ "$V" = edit2m ] && [ -f "$M/chain/$V/1048576/links.sh" ]; then
    d="$M/chain/$V/1048576"; cp "$d/links.sh" "$WORKDIR.example-links.sh"
    # Negative control: the same chain without its last dd command must fail sha256sum -c.
    last=$(grep -n '^dd ' "$d/links.sh" | tail -n 1 | cut -d: -f1)
    sed "${last}d" "$d/links.sh" > "$d/broken.sh"
    rm -rf "$M/restore"; mkdir -p "$M/restore"; export TARGET="$M/restore"
    run_tool gnu "$d/full.sh"; run_tool gnu "$d/broken.sh" > /dev/null 2>&1
    if run_tool gnu "$d/check.sh" > /dev/null 2>&1; then caught=false; else caught=true; fi
    rec "{\"type\":\"negative\",\"variant\":\"$V\",\"what\":\"last dd command left out\",\"caught\":$caught}"
    log "  negative control (last dd left out) caught by sha256sum -c: $caught"
    rm -rf "$M/restore"
  fi
  rm -rf "$M/chain/$V"
done

node "$MJS" summary "$OUT"
