#!/usr/bin/env bash
# pitstop in a virtual environment of its own under RUNNER_TEMP: the job's Python and its
# packages stay as they were. A second use of the action in the same job, asking for the
# same install, reuses it.
set -euo pipefail

venv="$RUNNER_TEMP/pitstop-venv"
wanted="$SOURCE $VERSION [$EXTRAS] $PYTHON $GITHUB_ACTION_PATH"
if [ -x "$venv/bin/pitstop" ] && [ "$(cat "$venv/pitstop-install" 2>/dev/null)" = "$wanted" ]; then
    echo "pitstop $VERSION already installed in $venv"
    exit 0
fi

"$PYTHON" -m venv --clear "$venv"
extras="${EXTRAS:+[$EXTRAS]}"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
case "$SOURCE" in
    # The action's own checkout: the exact commit the workflow's `uses:` line names.
    action) "${pip[@]}" "$GITHUB_ACTION_PATH$extras" ;;
    index) "${pip[@]}" "pitstop$extras==$VERSION" ;;
esac

installed="$("$venv/bin/pitstop" --version)"
if [ "$installed" != "pitstop $VERSION" ]; then
    echo "::error title=pitstop action::installed '$installed' but the version input says $VERSION: set 'version' to match the commit the uses: line names, or use source: index"
    exit 1
fi
echo "$wanted" >"$venv/pitstop-install"
echo "$installed in $venv"
