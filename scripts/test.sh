#!/usr/bin/env bash
# Installs everything the tests need (Debian packages, npm packages) and runs them.
# The README's test command and the body of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(chromium gnome-keyring dbus dbus-x11 xvfb xauth openssl passwd util-linux)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The tests need only Electron's package and types, never its binary (Electron
# >= 45 fetches that on first launch; the variable stops older ones at install).
ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci

# Short runs of the benchmark and of the load script, so that they keep working
# (their figures are not checked: speed lives in docs/, not in tests).
npm run bench:smoke
npm run load -- --duration 2 --connections 10

# A private D-Bus session with a fresh, unlocked gnome-keyring: the real Secret
# Service the vault tests talk to, and nothing of the user's own keyring.
exec dbus-run-session -- scripts/with-keyring.sh npm test
