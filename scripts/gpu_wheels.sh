#!/usr/bin/env bash
# Fill .whl/ (ignored by git) with what scripts/gpu_check.sh installs on the lent GPU machine, which has Python
# 3.12, torch, transformers, tensorboard and pytest but none of the packages below, and no network:
# the playground's other dependencies as wheels for CPython 3.12 on x86-64 (PySide6-Essentials without the Qt
# modules the app never loads: the full wheel alone is over the 64 MiB a call may carry), and the .deb files
# of the system libraries Qt links against, which gpu_check.sh uses only where that machine lacks them.
# Run here, with the package registries reachable: bash scripts/gpu_wheels.sh
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS=.whl
EXCLUDE=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$EXCLUDE")" && touch "$EXCLUDE"
grep -qx '/.whl/' "$EXCLUDE" || echo '/.whl/' >>"$EXCLUDE"
rm -rf "$WHEELS" && mkdir -p "$WHEELS/debs" "$WHEELS/full"

pinned() {  # the versions this machine runs, so both sides test the same code
    for name in "$@"; do echo "$name==$(python3 -m pip show "$name" | sed -n 's/^Version: //p')"; done
}
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform manylinux_2_34_x86_64)
download() {
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        "${PLATFORMS[@]}" -d "$@"
}
download "$WHEELS" $(pinned shiboken6 pyqtgraph pydantic pydantic_core annotated-types typing-inspection \
                            platformdirs google-crc32c pytest-qt)
download "$WHEELS/full" "PySide6-Essentials==$(python3 -m pip show PySide6-Essentials | sed -n 's/^Version: //p')"
python3 scripts/gpu_check.py slim-qt "$WHEELS"/full/*.whl "$WHEELS"
rm -rf "$WHEELS/full"

# Qt's system libraries (readelf -d on libQt6Gui, libQt6Core and the offscreen platform plugin) and theirs.
(cd "$WHEELS/debs" && apt-get download libegl1 libgl1 libglx0 libglvnd0 libopengl0 libfontconfig1 libfreetype6 \
    libx11-6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 libxkbcommon0 libglib2.0-0 libpcre2-8-0 libffi8 libexpat1 \
    libpng16-16 libbrotli1 libzstd1 zlib1g libdbus-1-3)
du -sh "$WHEELS" "$WHEELS"/*.whl "$WHEELS/debs"
