"""A preset's words from its data: placeholders in a title or description are filled from the
preset's own config, budget and claims when presets load, so a number the text states cannot
disagree with the run it describes.

    render(template, context, lookup) -> str     # fill every {placeholder}; ValueError names one
    undeclared_numbers(template, literals) -> list[str]   # numbers the text states from nowhere

A placeholder is `{EXPR}` or `{EXPR|SPEC}`:

    EXPR  an operand, or two joined by " * ", " / ", " + " or " - " (spaces required: preset names
          have hyphens)
    operand  a number, or a path into the context: dotted keys and list indexes, e.g.
          target.means.1, training.k_d, steps, claims.arrival.value (a claim's "id"); a path
          prefixed "NAME:" reads preset NAME's context instead (ring-wgan-gp:training.k_d)
    SPEC  a Python format spec for numbers ("+g", ".0%", "d"), or "w" / "W" to spell a whole number
          as a word (eight / Eight); a leading "#" takes a list's length first ({target.means|#w}:
          two). The default prints an integer as one and a float with "g" (8.0 -> 8, 0.001 ->
          0.001). A list prints its items joined by ", ".

`{{` and `}}` stand for literal braces. Numbers a text may state without a placeholder (a paper's
year, a formula's constant, a measurement recorded elsewhere) are declared per preset in its
`literals` (the exact text -> where it comes from); `undeclared_numbers` finds every other digit
run or number word (two ... thousand) outside placeholders, literals and quoted preset names
('two-timescale'), and a test requires none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
OPERATORS = {" * ": lambda a, b: a * b, " / ": lambda a, b: a / b,
             " + ": lambda a, b: a + b, " - ": lambda a, b: a - b}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?$")
# A number in running text: digits not glued to a word (R1, 2D, beta1 are names, not numbers);
# "5x5" and "2x64" are numbers either side of an x.
TEXT_NUMBER = re.compile(r"(?<![A-Za-z_\d.])\d+(?:\.\d+)?(?:e-?\d+)?(?![A-Za-z_\d])")
WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
# Number words a text could state a count with ("one" is left out: it is mostly a pronoun).
NUMBER_WORDS = re.compile(r"\b(?:" + "|".join(WORDS[2:] + TENS + ["hundreds?", "thousands?", "millions?",
                                                                   "twice", "thrice", r"\w+fold"]) + r")\b",
                          re.IGNORECASE)

PRESET_NAME = re.compile(r"'[a-z0-9]+(?:-[a-z0-9]+)+'")
Lookup = Callable[[str], dict[str, Any]]  # another preset's context, by name (KeyError if unknown)


def spell(n: int) -> str:
    """0..99 in words (25 -> twenty-five); other integers as digits."""
    if not 0 <= n < 100:
        return str(n)
    if n < 20:
        return WORDS[n]
    tens, ones = divmod(n, 10)
    return TENS[tens - 2] + (f"-{WORDS[ones]}" if ones else "")


def _walk(node: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list | tuple) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise KeyError(path)
    return node


def _operand(text: str, context: dict[str, Any], lookup: Lookup | None) -> Any:
    if NUMBER.match(text):
        return float(text) if any(c in text for c in ".e") else int(text)
    if ":" in text:
        name, path = text.split(":", 1)
        if lookup is None:
            raise KeyError(text)
        return _walk(lookup(name), path)
    return _walk(context, text)


def _value(expr: str, context: dict[str, Any], lookup: Lookup | None) -> Any:
    for op, fn in OPERATORS.items():
        if op in expr:
            a, b = (_operand(part.strip(), context, lookup) for part in expr.split(op, 1))
            return fn(a, b)
    return _operand(expr.strip(), context, lookup)


def _format(value: Any, spec: str) -> str:
    if spec.startswith("#"):
        if not isinstance(value, list | tuple):
            raise ValueError(f"format '#' needs a list, got {value!r}")
        return _format(len(value), spec[1:])
    if isinstance(value, list | tuple):
        return ", ".join(_format(v, spec) for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        if spec:
            raise ValueError(f"format {spec!r} needs a number, got {value!r}")
        return str(value)
    if spec in ("w", "W"):
        if value != int(value):
            raise ValueError(f"format {spec!r} needs a whole number, got {value!r}")
        word = spell(int(value))
        return word[:1].upper() + word[1:] if spec == "W" else word
    if spec:
        return format(value, spec)
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    return format(value, "g") if isinstance(value, float) else str(value)


def render(template: str, context: dict[str, Any], lookup: Lookup | None = None) -> str:
    """`template` with every placeholder filled from `context` (and other presets' via `lookup`);
    ValueError naming the placeholder when a path does not resolve or a spec does not apply."""

    def fill(m: re.Match[str]) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        body = m.group(1)
        expr, _, spec = body.partition("|")
        try:
            return _format(_value(expr, context, lookup), spec)
        except KeyError as exc:
            raise ValueError(f"placeholder {{{body}}}: {exc.args[0]!r} is not in the preset's "
                             "config, budget or claims") from None
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            raise ValueError(f"placeholder {{{body}}}: {exc}") from None

    return PLACEHOLDER.sub(fill, template)


def undeclared_numbers(template: str, literals: dict[str, str]) -> list[str]:
    """Numbers `template` states outside its placeholders and declared `literals`: digit runs not
    glued to a word, and number words. Empty when every number has a source."""
    text = PLACEHOLDER.sub(" ", template)
    text = PRESET_NAME.sub(" ", text)  # 'two-timescale', 'oscillation-2d' name presets, not numbers
    for literal in sorted(literals, key=len, reverse=True):
        text = text.replace(literal, " ")
    text = re.sub(r"(?<=\d)x(?=\d)", " x ", text)  # 5x5: two numbers
    return TEXT_NUMBER.findall(text) + NUMBER_WORDS.findall(text)
