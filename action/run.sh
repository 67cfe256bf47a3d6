#!/usr/bin/env bash
# Runs one pitstop command and turns what it wrote into the step's outputs and the job
# summary. Exits 0 once pitstop has run, whatever its exit code: the action's last step
# exits with that code, after the SARIF upload.
set -euo pipefail

venv="$RUNNER_TEMP/pitstop-venv"
pitstop="$venv/bin/pitstop"
out="$(mktemp -d "$RUNNER_TEMP/pitstop-XXXXXX")"

error() {
    echo "::error title=pitstop action::$1"
    echo "exit-code=2" >>"$GITHUB_OUTPUT"
    exit 0
}

# `args`, split as a shell splits words (quotes respected) but never evaluated, so a file
# name or a branch name inside it cannot run as code.
"$venv/bin/python" - >"$out/args" <<'PY' || error "args: unbalanced quotes in '$ARGS'"
import os, shlex, sys
sys.stdout.write("".join(word + "\0" for word in shlex.split(os.environ["ARGS"])))
PY
mapfile -d '' -t extra <"$out/args"

# A multi-line step output: a delimiter no output can contain by chance.
set_output() { # NAME FILE
    if [ "$(wc -c <"$2")" -gt 524288 ]; then
        echo "::notice title=pitstop action::output left empty: over 512 KiB (read output-file)"
        return
    fi
    local delimiter
    delimiter="pitstop_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    {
        echo "$1<<$delimiter"
        cat "$2"
        [ -z "$(tail -c1 "$2")" ] || echo
        echo "$delimiter"
    } >>"$GITHUB_OUTPUT"
}

cd "$INPUT_PATH" || error "path: '$INPUT_PATH' is not a folder of the workspace"
fail_on=()
[ -z "$FAIL_ON" ] || fail_on=(--fail-on "$FAIL_ON")

run_review() {
    for word in "${extra[@]}"; do
        case "$word" in
            --format | --format=* | -f | -f?* | --output | --output=* | -o | -o?* | --fail-on | --fail-on=* | --diff | --fix)
                error "args: '$word' is set by the action's inputs (format, fail-on) for review" ;;
        esac
    done
    # One review for the exit code, the verdict and the counts; the other formats are the
    # same review rendered again (a review takes about a second), with --fail-on never.
    local code=0
    "$pitstop" review --format json --output "$out/review.json" "${fail_on[@]}" "${extra[@]}" || code=$?
    echo "exit-code=$code" >>"$GITHUB_OUTPUT"
    [ "$code" -lt 2 ] || return 0
    "$venv/bin/python" - "$out/review.json" >>"$GITHUB_OUTPUT" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as file:
    report = json.load(file)
severities = [finding["severity"] for finding in report["findings"]]
print(f"verdict={report['verdict']}")
print(f"findings={len(severities)}")
print(f"blocking={severities.count('blocking')}")
print(f"warnings={severities.count('warning')}")
print(f"infos={severities.count('info')}")
PY
    if [ "$SUMMARY" = true ]; then
        "$pitstop" review --format markdown --fail-on never "${extra[@]}" >>"$GITHUB_STEP_SUMMARY"
    fi
    if [ "$SARIF" = true ]; then
        "$pitstop" review --format sarif --output "$out/pitstop.sarif" --fail-on never "${extra[@]}"
        echo "sarif-file=$out/pitstop.sarif" >>"$GITHUB_OUTPUT"
    fi
    local format="${FORMAT:-text}"
    if [ "$format" = json ]; then
        cp "$out/review.json" "$out/output"
    else
        "$pitstop" review --format "$format" --output "$out/output" --fail-on never "${extra[@]}"
    fi
    cat "$out/output"
    echo "output-file=$out/output" >>"$GITHUB_OUTPUT"
    set_output output "$out/output"
}

run_command() {
    local format=()
    [ -z "$FORMAT" ] || format=(--format "$FORMAT")
    local code=0
    "$pitstop" "$COMMAND" "${extra[@]}" "${format[@]}" "${fail_on[@]}" >"$out/output" || code=$?
    echo "exit-code=$code" >>"$GITHUB_OUTPUT"
    cat "$out/output"
    echo "output-file=$out/output" >>"$GITHUB_OUTPUT"
    set_output output "$out/output"
    if [ "$FORMAT" = markdown ] && [ "$SUMMARY" = true ]; then
        cat "$out/output" >>"$GITHUB_STEP_SUMMARY"
    fi
}

if [ "$COMMAND" = review ]; then run_review; else run_command; fi
