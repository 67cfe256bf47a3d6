#!/usr/bin/env bash
# The action's inputs, checked before anything is installed: one line per problem, exit 2
# (pitstop's own code for a usage error).
set -euo pipefail

problems=()
case "$COMMAND" in
    review | affected | shard | record | report | image | bench | profile | pipeline | context | rules) ;;
    *) problems+=("command: '$COMMAND' is not a pitstop command (review, affected, shard, record, report, image, bench, profile, pipeline, context, rules)") ;;
esac
case "$SOURCE" in
    action | index) ;;
    *) problems+=("source: '$SOURCE' is neither 'action' nor 'index'") ;;
esac
# extras end up inside a pip requirement: names only, so nothing else can be smuggled in
if ! [[ "$EXTRAS" =~ ^[A-Za-z0-9_-]*(,[A-Za-z0-9_-]+)*$ ]]; then
    problems+=("extras: '$EXTRAS' is not a comma-separated list of extra names")
fi
case "$SARIF" in
    true | false) ;;
    *) problems+=("sarif: '$SARIF' is neither 'true' nor 'false'") ;;
esac
if [ "$SARIF" = true ] && [ "$COMMAND" != review ]; then
    problems+=("sarif: only 'pitstop review' writes SARIF (command is '$COMMAND')")
fi
if [ "$SARIF" = true ] && [ "$INPUT_PATH" != . ]; then
    # pitstop's SARIF locations are relative to the reviewed folder, code scanning reads
    # them from the repository root: another folder would point every alert at a wrong file.
    problems+=("sarif: needs path '.' (SARIF locations are relative to the reviewed folder; path is '$INPUT_PATH')")
fi
if [ "${#problems[@]}" -gt 0 ]; then
    for problem in "${problems[@]}"; do
        echo "::error title=pitstop action::$problem"
    done
    exit 2
fi
