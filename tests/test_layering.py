"""The package's import structure (issue 13): no import circle anywhere (imports inside
functions count), and only the entry points (cli, api) import the pipeline that runs the
stages, so no stage reaches back to the orchestrator above it; no stage's module imports,
even through other modules, the pipeline, the stage list or another stage's module."""
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


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for m in graph.get(todo.pop(), ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def test_no_stage_imports_the_orchestrator_or_another_stage():
    from spinelink.stages import plan

    fns = [fn for _, fn, _ in plan.SOURCE_STAGES] + [fn for _, fn in plan.LATER_STAGES]
    stage_modules = {fn.__module__ for fn in fns}
    assert len(fns) >= 13 and "spinelink.stages.link" in stage_modules
    graph = _graph()
    above = {"spinelink.pipeline", "spinelink.stages.plan"}
    bad = {m: sorted(_reachable(graph, m) & (above | stage_modules - {m}))
           for m in sorted(stage_modules)}
    assert {m: v for m, v in bad.items() if v} == {}
    # the finder sees such an import: the plan module reaches every stage
    assert stage_modules <= _reachable(graph, "spinelink.stages.plan")
