"""The package's import graph has no circle, between modules or between subpackages
(text -> data -> models -> training -> finetune/export/convert/demo)."""

import ast
import os

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "electra_tf")


def _modules():
    modules = {}
    for root, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                module = "electra_tf." + os.path.relpath(path, PACKAGE)[:-3].replace(os.sep, ".")
                modules[module.removesuffix(".__init__")] = path
    return modules


def _imports(modules):
    edges = {module: set() for module in modules}
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):  # function-level imports count too
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("electra_tf"):
                for alias in node.names:
                    name = f"{node.module}.{alias.name}"
                    edges[module].add(name if name in modules else node.module)
            elif isinstance(node, ast.Import):
                edges[module].update(a.name for a in node.names
                                     if a.name.startswith("electra_tf"))
    return edges


def _cycles(edges):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in edges:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def _subpackage(module):
    return ".".join(module.split(".")[:2])


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_back():
    assert _cycles(_imports(_modules())) == []


def test_no_subpackage_imports_itself_back():
    edges = {}
    for module, targets in _imports(_modules()).items():
        edges.setdefault(_subpackage(module), set()).update(
            _subpackage(t) for t in targets if _subpackage(t) != _subpackage(module))
    assert _cycles(edges) == []
