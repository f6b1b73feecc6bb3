"""What the grader reads in the submitted source itself (never executed here): whether
`softmax_loss_naive` loops and `softmax_loss_vectorized` does not, and whether a loss subtracts
a maximum (for the numerical-stability note).

The source is parsed with `ast` after a size cap; a file that cannot be parsed (a syntax error,
nesting too deep for the parser) simply has no function to inspect.
"""

import ast

MAX_SOURCE_BYTES = 2**20
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp)
LOOPS += (ast.GeneratorExp,)


def parse(path):
    """The module's AST, or None if the file is missing, too large or not valid Python."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:
            return None
        return ast.parse(data)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def function(tree, name):
    """The last top-level `def name` of the module, or None."""
    if tree is None:
        return None
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    return found[-1] if found else None


def nodes(node):
    """Every node under `node` (iterative: no recursion limit), or [] for None."""
    if node is None:
        return []
    result, stack = [], [node]
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(ast.iter_child_nodes(current))
    return result


def has_loop(node):
    """Whether the function body holds an explicit loop (for, while, or a comprehension)."""
    return any(isinstance(n, LOOPS) for n in nodes(node) if n is not node)


def names_used(node):
    """The names and attribute names the function mentions."""
    found = set()
    for n in nodes(node):
        if isinstance(n, ast.Name):
            found.add(n.id)
        elif isinstance(n, ast.Attribute):
            found.add(n.attr)
    return found


def subtracts_max(node):
    """Whether the function mentions a maximum (max, amax, maximum); None if not found."""
    if node is None:
        return None
    return bool(names_used(node) & {"max", "amax", "maximum", "nanmax"})
