#!/usr/bin/env bash
# Runs a command with a fresh, unlocked gnome-keyring Secret Service on the
# current D-Bus session (start it inside `dbus-run-session`).
set -euo pipefail
XDG_DATA_HOME=$(mktemp -d)
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
# A password on stdin (here the empty one, ended by a newline) creates and unlocks
# the default login keyring; with no newline at all no keyring is created and
# every write fails.
eval "$(printf '\n' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
