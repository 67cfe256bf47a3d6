"""The analysis of an image's layers: final filesystem, waste, per-layer counts, history,
base boundary, Dockerfile lines, budget, and the one pass that feeds the observers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from pitstop.errors import PitstopError
from pitstop.image.analysis import ImageAnalysis, analyse
from pitstop.image.base import BaseLayers, BaseSource
from pitstop.image.budget import Budget, parse_budget
from pitstop.image.filesystem import Hidden
from pitstop.image.observer import Visible
from pitstop.parsers.dockerfile import parse_dockerfile
from pitstop.parsers.image_model import Entry, Image, Kind, Layer, Step
from tests.image.fake_image import (
    Opened,
    directory,
    file,
    hardlink,
    make_image,
    opaque,
    steps,
    symlink,
    tar_bytes,
    whiteout,
)

OVER, DEL, REPL, OPQ = Hidden.OVERWRITTEN, Hidden.DELETED, Hidden.REPLACED, Hidden.OPAQUE

# (layers, waste as (path, bytes, stored_in, hidden_by, how), visible files as path: (size, layer))
WASTE_CASES = {
    # wagoodman/dive#684: dive sums every copy (60 B here; its proposed fix, all copies less
    # the smallest, 50 B): the waste is the two versions the final one hides, each once
    "written in layers 0, 1 and 2": (
        [[file("a", 10)], [file("a", 20)], [file("a", 30)]],
        {("a", 10, 0, 1, OVER), ("a", 20, 1, 2, OVER)},
        {"a": (30, 2)},
    ),
    "written in 0, changed in 1, deleted in 2": (
        [[file("a", 10)], [file("a", 20)], [whiteout("a")]],
        {("a", 10, 0, 1, OVER), ("a", 20, 1, 2, DEL)},
        {},
    ),
    "written twice in the same tar: the later entry wins": (
        [[file("a", 10), file("a", 15)]],
        {("a", 10, 0, 0, OVER)},
        {"a": (15, 0)},
    ),
    "a whiteout deletes the directory's whole subtree": (
        [
            [directory("d"), file("d/x", 5), directory("d/y"), file("d/y/z", 7), file("e", 1)],
            [whiteout("d")],
        ],
        {("d/x", 5, 0, 1, DEL), ("d/y/z", 7, 0, 1, DEL)},
        {"e": (1, 0)},
    ),
    "a whiteout of a path no layer holds changes nothing": (
        [[file("a", 4)], [whiteout("b")]],
        set(),
        {"a": (4, 0)},
    ),
    "an opaque marker hides the layers below, not its own layer's entries on either side": (
        [
            [directory("d"), file("d/old", 5), directory("d/s"), file("d/s/deep", 6), file("k", 1)],
            [directory("d"), file("d/before", 2), opaque("d"), file("d/after", 3)],
        ],
        {("d/old", 5, 0, 1, OPQ), ("d/s/deep", 6, 0, 1, OPQ)},
        {"d/before": (2, 1), "d/after": (3, 1), "k": (1, 0)},
    ),
    "a whiteout spares its own layer's entries": (
        [[file("d/x", 5)], [file("d/n", 3), whiteout("d/x"), whiteout("d")]],
        {("d/x", 5, 0, 1, DEL)},
        {"d/n": (3, 1)},
    ),
    "a file written over a directory removes its subtree": (
        [[directory("d"), file("d/x", 5)], [file("d", 9)]],
        {("d/x", 5, 0, 1, REPL)},
        {"d": (9, 1)},
    ),
    "a subtree whose tar skips the middle directories is still removed whole": (
        [[directory("d"), file("d/e/f/x", 5)], [file("d", 9)], [whiteout("d")]],
        {("d/e/f/x", 5, 0, 1, REPL), ("d", 9, 1, 2, DEL)},
        {},
    ),
    "a whiteout of a directory no entry wrote deletes what is under it": (
        [[file("d/e/x", 5)], [whiteout("d")]],
        {("d/e/x", 5, 0, 1, DEL)},
        {},
    ),
    "a directory written over a file removes the file": (
        [[file("d", 9)], [directory("d"), file("d/x", 1)]],
        {("d", 9, 0, 1, REPL)},
        {"d/x": (1, 1)},
    ),
    "a directory over a directory merges": (
        [[directory("d"), file("d/x", 5)], [directory("d"), file("d/y", 1)]],
        set(),
        {"d/x": (5, 0), "d/y": (1, 1)},
    ),
    "a symlink written over a file hides the file's bytes": (
        [[file("a", 5)], [symlink("a", "b")]],
        {("a", 5, 0, 1, OVER)},
        {"a": (0, 1)},
    ),
    "an empty file overwritten is no waste": (
        [[file("a", 0)], [file("a", 3)]],
        set(),
        {"a": (3, 1)},
    ),
    "a hard link keeps the bytes of its deleted target": (
        [[file("a", 8), hardlink("b", "a")], [whiteout("a")]],
        set(),
        {"b": (8, 0)},
    ),
    "a hard link's target written with ./ in the tar": (
        [[file("a", 8), hardlink("b", "./a")], [whiteout("a")]],
        set(),
        {"b": (8, 0)},
    ),
    "a hard link is 0 bytes while its target is visible": (
        [[file("a", 8), hardlink("b", "a")]],
        set(),
        {"a": (8, 0), "b": (0, 0)},
    ),
}


@pytest.mark.parametrize(("layers", "waste", "visible"), WASTE_CASES.values(), ids=WASTE_CASES)
def test_waste_and_final_filesystem(layers, waste, visible):
    analysis = analyse(make_image(*layers))
    found = {(w.path, w.bytes, w.stored_in, w.hidden_by, w.how) for w in analysis.waste.files}
    assert found == waste
    assert len(analysis.waste.files) == len(waste)  # each version once
    assert analysis.waste.bytes == sum(w[1] for w in waste)
    assert _visible_files(layers) == visible
    # every stored byte is either visible or waste, once
    stored = sum(row.file_bytes for row in analysis.layers)
    assert stored == analysis.visible_bytes + analysis.waste.bytes
    assert analysis.visible_files == len(visible)


def _visible_files(layers: Sequence[Sequence[Entry]]) -> dict[str, tuple[int, int]]:
    seen: dict[str, Visible] = {}

    class Keep:
        def wants(self, path: str) -> bool:
            return False

        def see(self, layer: Layer, entry: Entry) -> None:
            pass

        def finish(self, visible: Mapping[str, Visible]) -> None:
            seen.update(visible)

    analyse(make_image(*layers), observers=[Keep()])
    return {p: (v.size, v.layer) for p, v in seen.items() if v.kind is not Kind.DIRECTORY}


def test_a_hard_link_and_its_target_both_deleted_waste_the_bytes_once():
    layers = [[file("a", 8), hardlink("b", "a")], [whiteout("a"), whiteout("b")]]
    analysis = analyse(make_image(*layers))
    assert analysis.waste.bytes == 8
    assert [(w.stored_in, w.hidden_by) for w in analysis.waste.files] == [(0, 1)]


def test_waste_is_listed_largest_first():
    layers = [[file("small", 1), file("big", 9)], [whiteout("small"), whiteout("big")]]
    assert [w.path for w in analyse(make_image(*layers)).waste.files] == ["big", "small"]


# (layers, per layer (added, changed, deleted))
COUNT_CASES = {
    "added, changed, deleted by whiteout": (
        [[file("a", 1), file("b", 1)], [file("a", 2), file("c", 1), whiteout("b")]],
        [(2, 0, 0), (1, 1, 1)],
    ),
    "files hidden by an opaque marker count as deleted": (
        [[directory("d"), file("d/x", 1), file("d/y", 1)], [opaque("d"), file("d/z", 1)]],
        [(2, 0, 0), (1, 0, 2)],
    ),
    "directories are not counted": (
        [[directory("d"), directory("d/e")], [directory("d")]],
        [(0, 0, 0), (0, 0, 0)],
    ),
    "a path written twice in one layer counts once": (
        [[file("a", 1), file("a", 2)], [file("b", 1), file("b", 2), file("a", 3), file("a", 4)]],
        [(1, 0, 0), (1, 1, 0)],
    ),
    "a file over a directory: the file added, the subtree deleted": (
        [[directory("d"), file("d/x", 1), file("d/y", 1)], [file("d", 1)]],
        [(2, 0, 0), (1, 0, 2)],
    ),
    "a whiteout of nothing deletes nothing": (
        [[file("a", 1)], [whiteout("zzz")]],
        [(1, 0, 0), (0, 0, 0)],
    ),
}


@pytest.mark.parametrize(("layers", "counts"), COUNT_CASES.values(), ids=COUNT_CASES)
def test_per_layer_counts(layers, counts):
    rows = analyse(make_image(*layers)).layers
    assert [(r.files_added, r.files_changed, r.files_deleted) for r in rows] == counts


def test_per_layer_bytes_come_from_the_blob_and_the_stream():
    layers = [[file("a", 10)], [file("b", 20), file("c", 5)]]
    analysis = analyse(make_image(*layers))
    assert [
        (r.digest, r.compressed_bytes, r.uncompressed_bytes, r.file_bytes) for r in analysis.layers
    ] == [
        ("sha256:blob0", 100, tar_bytes(layers[0]), 10),
        ("sha256:blob1", 200, tar_bytes(layers[1]), 25),
    ]
    assert analysis.bytes.compressed == 300
    assert analysis.bytes.uncompressed == tar_bytes(layers[0]) + tar_bytes(layers[1])


# ---- history --------------------------------------------------------------------------


def test_history_pairs_layers_in_order_and_shows_empty_steps():
    image = make_image(
        [file("a", 1)],
        [file("b", 1)],
        history=steps("ADD file:x in /", '-CMD ["bash"]', "RUN /bin/sh -c make # buildkit"),
    )
    analysis = analyse(image)
    assert [(r.index, r.created_by, r.empty) for r in analysis.layers] == [
        (0, "ADD file:x in /", False),
        (None, 'CMD ["bash"]', True),
        (1, "RUN /bin/sh -c make # buildkit", False),
    ]
    assert analysis.history_note is None


@pytest.mark.parametrize(
    ("history", "note"),
    [
        (steps("RUN a", "RUN b", "RUN c"), "3 steps that made a layer for 2 layers"),
        (steps("RUN a"), "1 steps that made a layer for 2 layers"),
        ((), "no history"),
    ],
)
def test_history_that_does_not_pair_pairs_nothing(history, note):
    analysis = analyse(make_image([file("a", 1)], [file("b", 1)], history=history))
    assert [(r.index, r.created_by, r.empty) for r in analysis.layers] == [
        (0, None, False),
        (1, None, False),
    ]
    assert note in (analysis.history_note or "")


# ---- base versus added ----------------------------------------------------------------

THREE = ([file("a", 10)], [file("b", 20)], [file("c", 30)])


def _uncompressed(index: int) -> int:
    return tar_bytes(THREE[index])


@pytest.mark.parametrize(
    ("base", "layers", "source"),
    [
        (BaseLayers(("sha256:diff0", "sha256:diff1")), 2, BaseSource.LAYERS),
        (BaseLayers(("sha256:blob0",)), 1, BaseSource.LAYERS),
        (BaseLayers(()), 0, BaseSource.LAYERS),
        (BaseLayers(("sha256:diff0", "sha256:other")), None, BaseSource.UNKNOWN),
        (BaseLayers(("sha256:diff0",) * 4), None, BaseSource.UNKNOWN),
    ],
)
def test_base_from_its_layers(base, layers, source):
    analysis = analyse(make_image(*THREE), base=base)
    assert (analysis.base.layers, analysis.base.source, analysis.base.assumed) == (
        layers,
        source,
        False,
    )
    if layers is None:
        assert (analysis.bytes.base, analysis.bytes.added) == (None, None)
        assert all(not r.base for r in analysis.layers)
    else:
        base_bytes = sum(_uncompressed(i) for i in range(layers))
        assert analysis.bytes.base == base_bytes
        assert analysis.bytes.added == analysis.bytes.uncompressed - base_bytes
        assert [r.base for r in analysis.layers] == [i < layers for i in range(3)]


def test_a_base_not_under_the_image_says_which_layer_differs():
    analysis = analyse(make_image(*THREE), base=BaseLayers(("sha256:diff0", "sha256:other")))
    assert "layer 1" in analysis.base.reason and "not built on that base" in analysis.base.reason


def test_the_base_steps_after_its_last_layer_are_not_called_the_base():
    history = steps("ADD rootfs", '-CMD ["bash"]', "RUN /bin/sh -c a", "RUN /bin/sh -c b")
    analysis = analyse(make_image(*THREE, history=history), base=BaseLayers(("sha256:diff0",)))
    assert [r.base for r in analysis.layers] == [True, False, False, False]


BUILDKIT = "buildkit.dockerfile.v0"


def _mixed_history() -> tuple[Step, ...]:
    """A base written by another tool (no comment), then two BuildKit steps."""
    return (
        Step("# debian.sh bookworm", False),
        Step('CMD ["bash"]', True),
        Step("RUN /bin/sh -c make # buildkit", False, BUILDKIT),
        Step("COPY . /app # buildkit", False, BUILDKIT),
    )


def test_base_assumed_from_where_buildkit_steps_begin():
    analysis = analyse(make_image(*THREE[:1], *THREE[1:], history=_mixed_history()))
    base = analysis.base
    assert (base.layers, base.source, base.assumed) == (1, BaseSource.BUILDKIT, True)
    assert base.reason.startswith("assumed:")
    assert analysis.bytes.base == _uncompressed(0)


def test_all_steps_by_buildkit_mark_no_boundary():
    history = tuple(Step(f"RUN /bin/sh -c s{i} # buildkit", False, BUILDKIT) for i in range(3))
    analysis = analyse(make_image(*THREE, history=history))
    assert (analysis.base.layers, analysis.base.source) == (None, BaseSource.UNKNOWN)
    assert analysis.bytes.added is None


@pytest.mark.parametrize("where", ["argument", "annotation"])
def test_a_base_digest_is_kept_but_not_taken_for_its_layers(where):
    digest = "sha256:" + "b" * 64
    image = make_image(
        *THREE,
        history=steps("ADD a", "RUN b", "RUN c"),
        annotations={"org.opencontainers.image.base.digest": digest}
        if where == "annotation"
        else None,
    )
    analysis = analyse(image, base=digest if where == "argument" else None)
    assert (analysis.base.digest, analysis.base.layers) == (digest, None)
    assert digest in analysis.base.reason and "does not say its layers" in analysis.base.reason


def test_a_base_digest_with_a_history_boundary_says_both():
    digest = "sha256:" + "c" * 64
    image = make_image(
        *THREE,
        history=_mixed_history(),
        annotations={"org.opencontainers.image.base.digest": digest},
    )
    base = analyse(image).base
    assert (base.digest, base.layers, base.assumed) == (digest, 1, True)
    assert digest in base.reason and "assumed:" in base.reason


# ---- Dockerfile lines -----------------------------------------------------------------

DOCKERFILE = """\
FROM python:3.12-slim AS build
RUN pip wheel -w /w .

FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt && \\
    rm -rf /root/.cache
COPY --from=build /w /w
ENV PYTHONDONTWRITEBYTECODE=1
EXPOSE 8000
CMD ["python", "app.py"]
"""

# the python base as the legacy builder wrote it, then this Dockerfile as BuildKit writes it
BASE_STEPS = (
    Step("/bin/sh -c #(nop) ADD file:9a1b in / ", False),
    Step("/bin/sh -c #(nop)  WORKDIR /app", True),  # the base's own WORKDIR: not ours
    Step('/bin/sh -c #(nop)  CMD ["python3"]', True),
)
OUR_STEPS = (
    Step("WORKDIR /app", False, BUILDKIT),
    Step("COPY requirements.txt . # buildkit", False, BUILDKIT),
    Step(
        "RUN /bin/sh -c pip install -r requirements.txt &&     rm -rf /root/.cache # buildkit",
        False,
        BUILDKIT,
    ),
    Step("COPY /w /w # buildkit", False, BUILDKIT),
    Step("ENV PYTHONDONTWRITEBYTECODE=1", True, BUILDKIT),
    Step("EXPOSE map[8000/tcp:{}]", True, BUILDKIT),
    Step('CMD ["python" "app.py"]', True, BUILDKIT),
)


def _dockerfile_image(our_steps: Sequence[Step] = OUR_STEPS) -> Image:
    history = (*BASE_STEPS, *our_steps)
    count = sum(not s.empty_layer for s in history)
    return make_image(*[[file(f"f{i}", i + 1)] for i in range(count)], history=history)


def _lines(analysis: ImageAnalysis) -> list[int | None]:
    return [r.instruction.line if r.instruction else None for r in analysis.layers]


def test_each_step_after_the_base_gets_its_dockerfile_line():
    dockerfile = parse_dockerfile(DOCKERFILE, "Dockerfile")
    analysis = analyse(
        _dockerfile_image(), dockerfile=dockerfile, base=BaseLayers(("sha256:diff0",))
    )
    assert _lines(analysis) == [None, None, None, 5, 6, 7, 9, 10, 11, 12]
    assert analysis.layers[5].instruction is not None
    assert (analysis.layers[5].instruction.keyword, analysis.layers[5].instruction.end_line) == (
        "RUN",
        8,
    )
    assert analysis.layers[5].instruction.path == "Dockerfile"


def test_the_dockerfile_places_the_base_boundary_as_an_assumption():
    dockerfile = parse_dockerfile(DOCKERFILE, "Dockerfile")
    analysis = analyse(_dockerfile_image(), dockerfile=dockerfile)
    base = analysis.base
    assert (base.layers, base.rows, base.source, base.assumed) == (
        1,
        3,
        BaseSource.DOCKERFILE,
        True,
    )
    assert "match the Dockerfile" in base.reason
    assert _lines(analysis) == [None, None, None, 5, 6, 7, 9, 10, 11, 12]


def test_an_unmatched_step_gets_no_line_and_no_boundary():
    changed = (
        *OUR_STEPS[:2],
        Step("RUN /bin/sh -c pip install something-else # buildkit", False),
        *OUR_STEPS[3:],
    )
    dockerfile = parse_dockerfile(DOCKERFILE, "Dockerfile")
    analysis = analyse(_dockerfile_image(changed), dockerfile=dockerfile)
    assert _lines(analysis)[5] is None
    assert _lines(analysis)[6:] == [9, 10, 11, 12]
    assert analysis.base.source is not BaseSource.DOCKERFILE  # the match was incomplete


def test_a_shell_instruction_sets_the_shell_runs_are_matched_with():
    dockerfile = parse_dockerfile(
        'FROM scratch\nRUN make\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN make\n', "D"
    )
    history = steps(
        "RUN /bin/sh -c make # buildkit",
        "-SHELL [/bin/bash -o pipefail -c]",
        "RUN /bin/bash -o pipefail -c make # buildkit",
    )
    image = make_image([file("a", 1)], [file("b", 1)], history=history)
    assert _lines(analyse(image, dockerfile=dockerfile)) == [2, 3, 4]


def test_an_unexplained_layer_among_the_dockerfile_steps_places_no_boundary():
    dockerfile = parse_dockerfile("FROM scratch\nCOPY a /x\nRUN make\n", "D")
    history = steps(
        "ADD rootfs", "COPY a /x # buildkit", "RUN /bin/sh -c other", "RUN /bin/sh -c make"
    )
    analysis = analyse(
        make_image(*[[file(f"f{i}", 1)] for i in range(4)], history=history), dockerfile=dockerfile
    )
    assert _lines(analysis) == [None, 2, None, 3]
    assert analysis.base.source is BaseSource.UNKNOWN


def test_repeated_instructions_map_in_order():
    dockerfile = parse_dockerfile("FROM scratch\nCOPY a /x\nRUN make\nCOPY a /x\nRUN make\n", "D")
    history = steps("COPY a /x # buildkit", "RUN /bin/sh -c make # buildkit") * 2
    analysis = analyse(
        make_image(*[[file(f"f{i}", 1)] for i in range(4)], history=history), dockerfile=dockerfile
    )
    assert _lines(analysis) == [2, 3, 4, 5]
    assert (analysis.base.layers, analysis.base.source) == (0, BaseSource.DOCKERFILE)


def test_the_target_stage_chooses_the_instructions():
    dockerfile = parse_dockerfile(DOCKERFILE, "Dockerfile")
    history = (*BASE_STEPS, Step("RUN /bin/sh -c pip wheel -w /w . # buildkit", False))
    image = make_image([file("a", 1)], [file("b", 1)], history=history)
    assert _lines(analyse(image, dockerfile=dockerfile, target="build"))[-1] == 2
    assert _lines(analyse(image, dockerfile=dockerfile))[-1] is None


MATCHES = [
    # (created_by, instruction, matches)
    ("RUN /bin/sh -c pip install . # buildkit", "RUN pip install .", True),
    ("/bin/sh -c pip install .", "RUN pip install .", True),
    ("|2 PY=3.12 X=1 /bin/sh -c pip install .", "RUN pip install .", True),
    ("RUN |1 PY=3.12 /bin/sh -c pip install . # buildkit", "RUN pip install .", True),
    ("RUN /bin/bash -o pipefail -c make # buildkit", "RUN make", False),  # not its shell
    ("RUN /bin/sh -c python -c pip install . # buildkit", "RUN pip install .", False),
    ("RUN |1 PY=3.12 echo hi # buildkit", 'RUN ["echo", "hi"]', True),
    ("RUN /bin/sh -c pip install other # buildkit", "RUN pip install .", False),
    ("RUN echo hi # buildkit", 'RUN ["echo", "hi"]', True),
    (
        "RUN /bin/sh -c pip install x # buildkit",
        "RUN --mount=type=cache,target=/root/.cache pip install x",
        True,
    ),
    ("COPY requirements.txt /app/ # buildkit", "COPY requirements.txt /app/", True),
    ("COPY requirements.txt /app/ # buildkit", "COPY --chown=1:1 requirements.txt /app", True),
    ("COPY setup.py /app/ # buildkit", "COPY requirements.txt /app/", False),
    ("/bin/sh -c #(nop) COPY file:3a4bc in /app/ ", "COPY . /app", True),
    ("/bin/sh -c #(nop) COPY dir:3a4bc in /srv ", "COPY . /app", False),
    ("/bin/sh -c #(nop) ADD multi:3a4bc in /app/ ", "ADD a b /app/", True),
    ("ADD file:9a in / ", "COPY . /", False),
    ("WORKDIR /app", "WORKDIR /app", True),
    ("WORKDIR /srv", "WORKDIR /app", False),
    ("/bin/sh -c #(nop)  ENV A=1", "ENV A 1", True),
    ("ENV A=two words", 'ENV A="two words"', True),
    ("ENV A=1", "ENV A=2", False),
    ('CMD ["python" "app.py"]', 'CMD ["python", "app.py"]', True),
    ('CMD ["/bin/sh" "-c" "python app.py"]', "CMD python app.py", True),
    ('CMD ["/bin/sh" "-c" "python app.py"]', 'CMD ["python", "app.py"]', False),
    ("EXPOSE map[8000/tcp:{}]", "EXPOSE 8000", True),
    ("/bin/sh -c #(nop)  EXPOSE 8000/tcp", "EXPOSE 8000", True),
    ("EXPOSE map[8000/tcp:{}]", "EXPOSE 8001", False),
    ("RUN /bin/sh -c make # buildkit", "COPY . .", False),
    ("USER app", "USER app", True),
]


@pytest.mark.parametrize(("created_by", "written", "expected"), MATCHES)
def test_created_by_matches_its_instruction(created_by, written, expected):
    from pitstop.image.dockerfile_map import matches

    instruction = parse_dockerfile(f"FROM scratch\n{written}\n", "D").last_stage.instructions[0]
    assert matches(created_by, instruction) is expected


# ---- budget ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("1GB", 10**9),
        ("1.5 GB", 1_500_000_000),
        ("500MiB", 500 * 2**20),
        ("2GiB", 2 * 2**30),
        ("1024", 1024),
    ],
)
def test_budget_sizes(text, limit):
    assert parse_budget(text) == Budget(limit)


@pytest.mark.parametrize("text", ["1 gigabyte", "GB", "-1GB", ""])
def test_a_budget_that_is_not_a_size_is_a_usage_error(text):
    with pytest.raises(PitstopError, match="--budget"):
        parse_budget(text)


def test_budget_on_the_whole_image():
    total = sum(_uncompressed(i) for i in range(3))
    at_limit = analyse(make_image(*THREE), budget=Budget(total)).budget
    over = analyse(make_image(*THREE), budget=Budget(total - 1)).budget
    assert at_limit is not None and over is not None
    assert (at_limit.measured, at_limit.over) == (total, False)
    assert (over.limit, over.over, over.added) == (total - 1, True, False)


def test_budget_on_the_added_part_with_a_known_base():
    added = _uncompressed(1) + _uncompressed(2)
    verdict = analyse(
        make_image(*THREE), base=BaseLayers(("sha256:diff0",)), budget=Budget(added - 1, added=True)
    ).budget
    assert verdict is not None
    assert (verdict.measured, verdict.over, verdict.assumed) == (added, True, False)


def test_budget_on_the_added_part_with_an_unknown_base_is_not_judged():
    verdict = analyse(make_image(*THREE), budget=Budget(1, added=True)).budget
    assert verdict is not None
    assert (verdict.measured, verdict.over) == (None, None)
    assert verdict.reason is not None and "unknown" in verdict.reason


def test_budget_on_an_assumed_base_says_so():
    verdict = analyse(
        make_image(*THREE, history=_mixed_history()), budget=Budget(1, added=True)
    ).budget
    assert verdict is not None
    assert (verdict.over, verdict.assumed) == (True, True)
    assert verdict.reason is not None and verdict.reason.startswith("assumed:")


# ---- the one pass ---------------------------------------------------------------------


class Recorder:
    def __init__(self, wanted: str) -> None:
        self.wanted = wanted
        self.seen: list[tuple[int, str]] = []
        self.final: dict[str, Visible] | None = None

    def wants(self, path: str) -> bool:
        return path == self.wanted

    def see(self, layer: Layer, entry: Entry) -> None:
        self.seen.append((layer.index, entry.path))

    def finish(self, visible: Mapping[str, Visible]) -> None:
        self.final = dict(visible)


def test_one_pass_feeds_every_observer_and_asks_for_what_any_wants():
    opened = Opened()
    layers = [[file("a", 1), file("b", 2)], [whiteout("a"), file("c", 3)]]
    first, second = Recorder("a"), Recorder("c")
    analyse(make_image(*layers, opened=opened), observers=[first, second])
    assert opened.layers == [0, 1]  # each layer read once, bottom first
    wanted = opened.predicates[0]
    assert (wanted("a"), wanted("c"), wanted("b")) == (True, True, False)
    order = [(0, "a"), (0, "b"), (1, "a"), (1, "c")]
    assert first.seen == order and second.seen == order
    assert first.final is not None and sorted(first.final) == ["b", "c"]
    assert first.final["c"] == Visible("c", Kind.FILE, 3, 1)


def test_no_observer_wants_no_content():
    opened = Opened()
    analyse(make_image([file("a", 1)], opened=opened))
    assert opened.predicates[0]("a") is False


def test_an_image_without_its_blobs_is_an_input_error():
    image = make_image([file("a", 1)])
    blobless = Image(image.source, image.platform, (), None, None, image.layers, ())
    with pytest.raises(PitstopError, match="without its layers"):
        analyse(blobless)
