#!/usr/bin/env bash
# Install the Debian/Ubuntu packages surveyapp needs, when we can (root or passwordless sudo);
# otherwise print the exact apt-get line and fail.
#   scripts/system-deps.sh run    what the app needs (WeasyPrint: Pango, HarfBuzz subsetting)
#   scripts/system-deps.sh test   the above plus Chromium, Poppler and npm (axe-core) for the
#                                 browser, PDF and accessibility tests
set -euo pipefail

purpose=${1:-run}
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  packages+=(python3-venv)
fi
if [ "$purpose" = "test" ]; then
  packages+=(chromium poppler-utils)
  # npm from Debian only where none is on the PATH (Node.js from elsewhere brings its own).
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

command -v apt-get >/dev/null || {
  echo "surveyapp needs these system packages (Debian/Ubuntu names): ${missing[*]}" >&2
  exit 1
}
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "surveyapp needs system packages that are not installed. Run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
