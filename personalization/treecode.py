"""A slot's decision tree (see decide.py) turned into one Python function.

Walking the tree as data costs a loop turn per question: unpack the node, look the answer
up, look the child up. Once a slot's tree has stopped growing, it is written out as nested
``if`` statements and compiled, so a visitor's path runs as straight-line code. The
function gives the same leaf the data walk would, or :data:`MISS` when the visitor's
answers leave the tree (the caller then walks, grows the tree and drops the function).

Trees larger than :data:`MAX_NODES` or deeper than :data:`MAX_DEPTH` stay data.
"""

from __future__ import annotations

from typing import Any

from .rulebook import FAILED, rule_failed

#: Returned when the visitor's answers take a branch the tree does not have.
MISS = object()
MAX_NODES = 2_000
MAX_DEPTH = 80

_RULE = 0


def compile_tree(tree: Any, answer: Any, denied: Any) -> Any:
    """``walk(ctx, results, allowed, slot, now_ts) -> leaf or MISS`` for ``tree`` (nodes
    ``[kind, key, purpose, rule, {answer: child}]``, leaves ``(found,)``), or None when
    the tree is too big or too deep. ``answer(question, slot, ctx, now_ts)`` answers the
    questions that are not rules; ``denied`` is the answer of a rule whose consent purpose
    the visitor has not given."""
    names: dict[int, str] = {}
    space: dict[str, Any] = {"MISS": MISS, "FAILED": FAILED, "DENIED": denied,
                             "_failed": rule_failed, "_answer": answer}

    def const(value: Any, prefix: str) -> str:
        name = names.get(id(value))
        if name is None:
            name = names[id(value)] = f"{prefix}{len(names)}"
            space[name] = value
        return name

    def test(value: Any) -> str:
        if value is True or value is False:
            return f"a is {value}"
        if value is FAILED:
            return "a is FAILED"
        if value is denied:
            return "a is DENIED"
        return f"a == {const(value, 'V')}"

    lines = ["def walk(ctx, results, allowed, slot, now_ts):", "    get = results.get"]
    count = 0

    def emit(node: Any, depth: int) -> bool:
        nonlocal count
        count += 1
        pad = "    " * (depth + 1)
        if count > MAX_NODES or depth > MAX_DEPTH:
            return False
        if type(node) is not list:
            lines.append(f"{pad}return {const(node, 'L')}")
            return True
        kind, key, purpose, rule, children = node
        if kind == _RULE:
            r = const(rule, "R")
            get_answer = [f"a = get({key!r})",
                          "if a is None:",
                          "    try:",
                          f"        a = results[{key!r}] = True if {r}.matches(ctx) else False",
                          "    except Exception as exc:  # a broken rule never breaks a page",
                          f"        a = _failed({r}, {key!r}, ctx, results, exc)"]
            if purpose is None:
                lines.extend(pad + line for line in get_answer)
            else:
                lines.append(f"{pad}if {const(purpose, 'P')} in allowed:")
                lines.extend(pad + "    " + line for line in get_answer)
                lines.append(f"{pad}else: a = DENIED")
        else:
            question = (kind, key, purpose, rule)
            lines.append(f"{pad}a = _answer({const(question, 'Q')}, slot, ctx, now_ts)")
        for i, (value, child) in enumerate(list(children.items())):
            lines.append(f"{pad}{'if' if i == 0 else 'elif'} {test(value)}:")
            if not emit(child, depth + 1):
                return False
        return True

    if tree is None or not emit(tree, 0):
        return None
    lines.append("    return MISS")
    exec(compile("\n".join(lines), "<personalization decision tree>", "exec"), space)  # noqa: S102
    return space["walk"]
