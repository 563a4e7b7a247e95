"""Checks that the Python sources of tickrec (python/, scripts/bench/*.py) keep to Python 3.9, whatever interpreter runs the check.

Usage: python3 python/tests/check_py39.py FILE...   (prints one JSON object: files checked, problems)

What it refuses (each is valid in the interpreter running the tests, 3.11 on Debian 12,
and breaks a 3.9 user):
- syntax newer than 3.9: ast.parse(feature_version=(3, 9)) refuses `match`, `except*`,
  type parameter lists and other grammar of 3.10+;
- `X | Y` evaluated at runtime on types: in an annotation of a module without
  `from __future__ import annotations` (evaluated at def time), or as the class
  argument of isinstance/issubclass (TypeError before 3.10);
- standard-library names that appeared after 3.9 (zip(strict=), itertools.pairwise,
  int.bit_count, aiter/anext, tomllib, datetime.UTC, enum.StrEnum, typing's TypeAlias,
  ParamSpec, Self, ..., dataclass(slots=/kw_only=), ExceptionGroup, add_note,
  asyncio.TaskGroup/timeout).
"""

import ast
import json
import sys

NEW_NAMES = {
    'pairwise': '3.10 (itertools.pairwise)',
    'bit_count': '3.10 (int.bit_count)',
    'aiter': '3.10',
    'anext': '3.10',
    'tomllib': '3.11',
    'StrEnum': '3.11 (enum.StrEnum)',
    'TypeAlias': '3.10 (typing.TypeAlias)',
    'ParamSpec': '3.10 (typing.ParamSpec)',
    'Concatenate': '3.10 (typing.Concatenate)',
    'TypeGuard': '3.10 (typing.TypeGuard)',
    'Self': '3.11 (typing.Self)',
    'LiteralString': '3.11 (typing.LiteralString)',
    'Never': '3.11 (typing.Never)',
    'assert_never': '3.11 (typing.assert_never)',
    'reveal_type': '3.11 (typing.reveal_type)',
    'ExceptionGroup': '3.11',
    'BaseExceptionGroup': '3.11',
    'add_note': '3.11 (BaseException.add_note)',
    'TaskGroup': '3.11 (asyncio.TaskGroup)',
    'UTC': '3.11 (datetime.UTC)',
    'batched': '3.12 (itertools.batched)',
}


def problems_of(path):
    with open(path, 'rb') as f:
        src = f.read()
    out = []
    try:
        tree = ast.parse(src, path, feature_version=(3, 9))
    except SyntaxError as err:
        return ['%s:%s: syntax newer than Python 3.9: %s' % (path, err.lineno, err.msg)]
    future_annotations = any(
        isinstance(n, ast.ImportFrom) and n.module == '__future__' and any(a.name == 'annotations' for a in n.names) for n in tree.body
    )

    def has_union(node):
        return node is not None and any(isinstance(x, ast.BinOp) and isinstance(x.op, ast.BitOr) for x in ast.walk(node))

    for n in ast.walk(tree):
        at = '%s:%d' % (path, getattr(n, 'lineno', 0))
        if not future_annotations:
            anns = []
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = n.args
                anns = [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x is not None] + [n.returns]
            elif isinstance(n, ast.AnnAssign):
                anns = [n.annotation]
            if any(has_union(x) for x in anns):
                out.append('%s: an annotation uses X | Y, evaluated at runtime (TypeError before Python 3.10); use typing.Optional/Union' % at)
        if isinstance(n, ast.Call):
            f = n.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in ('isinstance', 'issubclass') and len(n.args) == 2 and has_union(n.args[1]):
                out.append('%s: %s(x, A | B) needs Python 3.10; use a tuple (A, B)' % (at, name))
            if name == 'zip' and any(k.arg == 'strict' for k in n.keywords):
                out.append('%s: zip(strict=) needs Python 3.10' % at)
            if name == 'dataclass' and any(k.arg in ('slots', 'kw_only', 'match_args') for k in n.keywords):
                out.append('%s: dataclass(slots=/kw_only=/match_args=) needs Python 3.10' % at)
        names = []
        if isinstance(n, ast.Name):
            names = [n.id]
        elif isinstance(n, ast.Attribute):
            names = [n.attr]
        elif isinstance(n, ast.Import):
            names = [a.name.split('.')[0] for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            names = [a.name for a in n.names] + ([n.module.split('.')[0]] if n.module else [])
        for x in names:
            if x in NEW_NAMES:
                out.append('%s: %s is Python %s' % (at, x, NEW_NAMES[x]))
    return out


def main(files):
    problems = []
    for f in files:
        problems += problems_of(f)
    print(json.dumps({'files': len(files), 'problems': problems}))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
