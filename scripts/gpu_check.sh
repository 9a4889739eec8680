#!/usr/bin/env bash
# Issue 26's GPU check in one call of at most 8 minutes on the lent GPU machine (see README "GPU"):
#   setup   carried wheels (.whl, made by scripts/gpu_wheels.sh) and system libraries Qt needs, if missing there
#   facts   the GPU, torch, the placement the playground chooses, the peak from the table, the attention kernels
#   tests   the device-independent tests with PLAYGROUND_TEST_DEVICE set to the device
#   bench   every family at the preset and the larger shape against the textbook loop (MFU), capture cost
#   syncs   host synchronisations per training step, eager and compiled
#   window  the window, offscreen, training for 60 s against headless training; the status bar's text
# Writes $OUT/gpu_check.json (every stage's figures and the issue's verdicts), $OUT/gpu_check.log, $OUT/tests.xml.
# Every stage has its own time limit within one budget, so a hung stage cannot take the others' time.
#
# On the GPU machine:  bash scripts/gpu_check.sh                       (the run tool's carry: [".whl"])
# CPU dry run here:    GPU_CHECK_DEVICE=cpu bash scripts/gpu_check.sh  (tiny shapes, the same plumbing)
set -uo pipefail
cd "$(dirname "$0")/.."

DEVICE=${GPU_CHECK_DEVICE:-cuda}
OUT=${OUT:-$PWD/out/gpu-check}
WORK=${GPU_CHECK_WORK:-${TMPDIR:-/tmp}/gpu-check-work}
WHEELS=${GPU_CHECK_WHEELS:-$PWD/.whl}
TEST_FILES="tests/test_gpu_paths.py tests/test_analysis.py tests/test_viz.py tests/test_recorder.py tests/test_ui_runs.py"
if [ "$DEVICE" = cpu ]; then  # the dry run: tiny models, the cheap tests, a short window
    BUDGET=${GPU_CHECK_BUDGET_S:-1500}; SHAPES=smoke; WINDOW_S=20; TESTS=(tests/test_gpu_paths.py -k "not compiled")
    CAPS=(setup=120 facts=240 tests=600 bench=420 syncs=60 window=150)
else
    BUDGET=${GPU_CHECK_BUDGET_S:-470}; SHAPES=full; WINDOW_S=60; TESTS=($TEST_FILES)
    CAPS=(setup=60 facts=40 tests=90 bench=220 syncs=40 window=85)
fi
RESERVE=(setup=400 facts=370 tests=310 bench=110 syncs=80 window=5)  # seconds the later stages keep at least

rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
export PYTHONUNBUFFERED=1 QT_QPA_PLATFORM=offscreen PLAYGROUND_CACHE_DIR="$WORK/cache"
export PLAYGROUND_SETTINGS="$WORK/settings.ini" PLAYGROUND_RUNS_DIR="$WORK/runs"
START=$(date +%s)

lookup() {  # lookup NAME key=value...: the value of NAME
    local name=$1; shift
    for pair in "$@"; do [ "${pair%%=*}" = "$name" ] && echo "${pair#*=}"; done
}

stage() {  # stage NAME COMMAND...: run it under its limit: its cap, or what the budget leaves after the reserve
    local name=$1; shift
    local left=$(( BUDGET - ($(date +%s) - START) - $(lookup "$name" "${RESERVE[@]}") ))
    local limit=$(lookup "$name" "${CAPS[@]}")
    [ "$left" -lt "$limit" ] && limit=$left
    local began=$(date +%s) rc
    if [ "$limit" -lt 5 ]; then
        echo "=== $name: skipped, no time left in the budget"; rc=125
    else
        echo "=== $name (at most ${limit}s, $(( $(date +%s) - START ))s into the check)"
        timeout --kill-after=5 "$limit" "$@"; rc=$?
        [ $rc -eq 124 ] && echo "=== $name: stopped at its limit of ${limit}s"
    fi
    printf '%s\t%s\t%s\n' "$name" "$rc" "$(( $(date +%s) - began ))" >>"$WORK/stages.tsv"
}

qt_system_libraries() {  # Qt's system libraries this machine lacks, from the carried .deb files, in a folder of their own
    local libs="$WORK/libs" root="$WORK/debs"
    mkdir -p "$libs" "$root"
    for deb in "$WHEELS"/debs/*.deb; do [ -e "$deb" ] && dpkg -x "$deb" "$root"; done
    for so in libEGL.so.1 libGL.so.1 libGLX.so.0 libGLdispatch.so.0 libOpenGL.so.0 libfontconfig.so.1 \
              libfreetype.so.6 libX11.so.6 libxcb.so.1 libXau.so.6 libXdmcp.so.6 libbsd.so.0 libmd.so.0 \
              libxkbcommon.so.0 libglib-2.0.so.0 libgthread-2.0.so.0 libpcre2-8.so.0 libffi.so.8 libexpat.so.1 \
              libpng16.so.16 libbrotlidec.so.1 libbrotlicommon.so.1 libzstd.so.1 libz.so.1 libdbus-1.so.3; do
        ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$so " && continue
        found=$(find "$root" -name "$so" 2>/dev/null | head -1)
        if [ -n "$found" ]; then cp -L "$found" "$libs/" && echo "setup: $so from the carried packages"
        else echo "setup: $so is missing here and not carried"; fi
    done
    export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

setup() {  # in this shell: its exports are the later stages'
    local began=$(date +%s) rc=0
    echo "=== setup ($DEVICE; wheels from $WHEELS)"
    uname -m; python3 --version; command -v nvidia-smi >/dev/null && timeout 15 nvidia-smi
    if ls "$WHEELS"/*.whl >/dev/null 2>&1; then
        local site="$WORK/site" pip=(python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade)
        if ! timeout 120 "${pip[@]}" --target "$site" "$WHEELS"/*.whl; then
            for wheel in "$WHEELS"/*.whl; do  # one at a time: a wheel for another Python (the dry run) is left out
                timeout 60 "${pip[@]}" --target "$site" "$wheel" >/dev/null 2>&1 || echo "setup: not installed: ${wheel##*/}"
            done
        fi
        export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
        qt_system_libraries
    fi
    if ! python3 -c "import playground.presets" 2>/dev/null; then
        timeout 120 python3 -m pip install -q --no-deps --no-build-isolation --no-index -e . || rc=1
    fi
    python3 -c "import torch, playground.presets, PySide6.QtWidgets as w; print('setup: torch', torch.__version__, \
'cuda', torch.cuda.is_available(), '| PySide6 from', w.__file__)" || rc=1
    printf 'setup\t%s\t%s\n' "$rc" "$(( $(date +%s) - began ))" >>"$WORK/stages.tsv"
}

setup
stage facts python3 scripts/gpu_check.py facts --device "$DEVICE" --json "$WORK/facts.json"
# The project's addopts name its plugins (pyproject.toml): this machine's own pytest and plugins, found as installed
stage tests env PLAYGROUND_TEST_DEVICE="$DEVICE" python3 -m pytest -q -p no:cacheprovider -o "addopts=-ra" \
    --junitxml="$WORK/tests.xml" "${TESTS[@]}"
stage bench python3 scripts/gpu_check.py bench --device "$DEVICE" --shapes "$SHAPES" --json "$WORK/bench.json"
stage syncs python3 scripts/gpu_check.py syncs --device "$DEVICE" --shapes "$SHAPES" --json "$WORK/syncs.json"
stage window python3 scripts/gpu_check.py window --device "$DEVICE" --shapes "$SHAPES" --seconds "$WINDOW_S" \
    --json "$WORK/window.json"

echo "=== summary ($(( $(date +%s) - START ))s in all)"
[ -f "$WORK/tests.xml" ] && cp "$WORK/tests.xml" "$OUT/tests.xml"
python3 scripts/gpu_check.py summary --work "$WORK" --json "$OUT/gpu_check.json" >/dev/null
python3 - "$OUT/gpu_check.json" <<'EOF'
import json, sys
result = json.load(open(sys.argv[1]))
for name, run in result["stages"].items():
    print(f"stage {name:<7} exit {run['exit']:>3} in {run['seconds']:>5.0f} s")
tests = result.get("tests", {})
print(f"tests: {tests.get('tests', 0)} run, {tests.get('failed', 0)} failed", *tests.get("failures", {}), sep="\n  ")
for row in result.get("bench", {}).get("training", []):
    print(f"bench {row['family']:<8} {row['shape']:<7} {row['model']:<28} {row['speed_ratio']:5.2f}x the textbook loop, "
          f"MFU {row['mfu']:.1%} ({row['path']})")
for case, why in result.get("bench", {}).get("failed", {}).items():
    print(f"bench {case} FAILED: {why[:200]}")
print("syncs:", json.dumps(result.get("syncs", {}))[:600])
print("verdicts:", json.dumps(result["verdicts"]))
EOF
echo "wrote $OUT/gpu_check.json and $OUT/gpu_check.log"
