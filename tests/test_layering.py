"""The package's import structure (issue 13): no import circle anywhere (imports inside
functions count), and only the entry points (cli, api) import the pipeline that runs the
stages, so no stage reaches back to the orchestrator above it."""
from __future__ import annotations

from test_job_problems import SRC, _imports

ENTRY_POINTS = {"spinelink.cli", "spinelink.api", "spinelink.__main__"}


def _graph() -> dict[str, set[str]]:
    modules = {}
    for f in SRC.rglob("*.py"):
        parts = f.relative_to(SRC.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return {m: {i for i in _imports(f, m if f.name == "__init__.py" else m.rsplit(".", 1)[0],
                                    modules) if i in modules and i != m}
            for m, f in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_package():
    assert _circles(_graph()) == []


def test_only_the_entry_points_import_the_pipeline():
    users = {m for m, deps in _graph().items() if "spinelink.pipeline" in deps}
    assert users <= ENTRY_POINTS, sorted(users - ENTRY_POINTS)
