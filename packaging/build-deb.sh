#!/usr/bin/env bash
# Builds a Debian package of CIM Studio: packaging/out/cim-studio_<version>_<arch>.deb
# Usage: packaging/build-deb.sh   (from anywhere; needs dpkg-deb)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VERSION=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="cim-app"))')
ARCH=$(dpkg --print-architecture)
cargo build --release --bin cim
TARGET_DIR=$(cargo metadata --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
install -Dm755 "$TARGET_DIR/release/cim" "$STAGE/usr/bin/cim"
# PROJ's EPSG database: the app looks in <exe>/../share/cim/proj.
PROJ_DB=$("$TARGET_DIR/release/cim" crs info EPSG:4326 >/dev/null && find "$TARGET_DIR/release/build" -name proj.db -path '*proj-sys*' | head -1)
[ -n "$PROJ_DB" ] || { echo "proj.db not found under $TARGET_DIR/release/build" >&2; exit 1; }
install -Dm644 "$PROJ_DB" "$STAGE/usr/share/cim/proj/proj.db"
install -Dm644 packaging/linux/cim-studio.desktop "$STAGE/usr/share/applications/cim-studio.desktop"
install -Dm644 README.md "$STAGE/usr/share/doc/cim-studio/README.md"
mkdir -p "$STAGE/DEBIAN"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: cim-studio
Version: $VERSION
Architecture: $ARCH
Maintainer: CIM Studio team
Depends: libc6, libsqlite3-0, libvulkan1, libxkbcommon-x11-0, libudev1, fonts-noto-cjk
Recommends: mesa-vulkan-drivers
Section: science
Priority: optional
Description: City Information Model digital-twin viewer
 CIM Studio shows georeferenced city models (GIS layers, terrain, buildings)
 in 3D, renders scenario snapshots off-screen and inspects GIS data.
CONTROL
mkdir -p packaging/out
dpkg-deb --root-owner-group --build "$STAGE" "packaging/out/cim-studio_${VERSION}_${ARCH}.deb"
