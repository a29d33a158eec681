#!/usr/bin/env bash
# Runs a command with a fresh, unlocked gnome-keyring Secret Service on the
# current D-Bus session (start it inside `dbus-run-session`).
set -euo pipefail
XDG_DATA_HOME=$(mktemp -d)
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
# An empty password on stdin creates and unlocks the default login keyring.
eval "$(printf '' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
