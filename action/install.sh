#!/usr/bin/env bash
# pitstop in a virtual environment of its own under RUNNER_TEMP: the job's Python and its
# packages stay as they were.
set -euo pipefail

venv="$RUNNER_TEMP/pitstop-venv"
"$PYTHON" -m venv --clear "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
case "$SOURCE" in
    # The action's own checkout: the exact commit the workflow's `uses:` line names.
    action) "${pip[@]}" "$GITHUB_ACTION_PATH" ;;
    index) "${pip[@]}" "pitstop==$VERSION" ;;
esac

installed="$("$venv/bin/pitstop" --version)"
if [ "$installed" != "pitstop $VERSION" ]; then
    echo "::error title=pitstop action::installed '$installed' but the version input says $VERSION: set 'version' to match the commit the uses: line names, or use source: index"
    exit 1
fi
echo "$installed in $venv"
