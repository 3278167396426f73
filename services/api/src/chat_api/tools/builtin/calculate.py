"""calculate: arithmetic the model should not do in its head. simpleeval evaluates a whitelisted Python
expression (numbers, + - * / // % **, parentheses, a few math functions), never `eval`; every operation that
could grow without bound (a power, a product of huge integers) is refused before it runs, so no input costs
more than a millisecond or so."""

import ast
import math
import operator
from collections.abc import Callable
from typing import Annotated, Any, Final

from simpleeval import SimpleEval  # type: ignore[import-untyped]

from chat_api.tools.errors import ToolError
from chat_api.tools.spec import tool

MAX_EXPRESSION_CHARS: Final = 1000
MAX_INTEGER_BITS: Final = 10_000  # about 3,000 digits
MAX_ROUND_DIGITS: Final = 100

_NODES: Final = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Call,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


def _numbers(*values: Any) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ToolError("calculate works on numbers only.")


def _too_big() -> ToolError:
    return ToolError(f"The result would be too large (more than {MAX_INTEGER_BITS} bits).")


def _power(base: Any, exponent: Any) -> Any:
    _numbers(base, exponent)
    grows = isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
    if grows and exponent * base.bit_length() > MAX_INTEGER_BITS + exponent:  # bit_length overstates by < 1
        raise _too_big()
    return base**exponent


def _multiply(left: Any, right: Any) -> Any:
    _numbers(left, right)
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INTEGER_BITS:
        raise _too_big()
    return left * right


def _checked(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        _numbers(*args)
        return function(*args)

    return call


def _round(value: Any, digits: Any = 0) -> Any:
    _numbers(value, digits)
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise ToolError(f"round takes a whole number of digits up to {MAX_ROUND_DIGITS}.")
    return round(value, digits)


OPERATORS: Final = {
    ast.Add: _checked(operator.add),
    ast.Sub: _checked(operator.sub),
    ast.Mult: _multiply,
    ast.Div: _checked(operator.truediv),
    ast.FloorDiv: _checked(operator.floordiv),
    ast.Mod: _checked(operator.mod),
    ast.Pow: _power,
    ast.USub: _checked(operator.neg),
    ast.UAdd: _checked(operator.pos),
}
MATH: Final = [
    "sqrt",
    "exp",
    "log",
    "log10",
    "log2",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "degrees",
    "radians",
    "hypot",
    "floor",
    "ceil",
]
FUNCTIONS: Final = {
    **{name: _checked(getattr(math, name)) for name in MATH},
    "abs": _checked(abs),
    "min": _checked(min),
    "max": _checked(max),
    "round": _round,
}
NAMES: Final = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _parsed(expression: str) -> ast.Expression:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ToolError("Not an arithmetic expression (e.g. (2 + 3) * 4 / 7, 2 ** 10, sqrt(2)).") from None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ToolError(f"calculate does not take {type(node).__name__}: numbers and arithmetic only.")
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords):
            raise ToolError("calculate takes only its named functions, e.g. sqrt(2) or round(x, 2).")
        if isinstance(node, ast.Constant):
            _numbers(node.value)
    return tree


def evaluate(expression: str) -> int | float:
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"The expression is too long (at most {MAX_EXPRESSION_CHARS} characters).")
    tree = _parsed(expression)
    evaluator = SimpleEval(operators=OPERATORS, functions=FUNCTIONS, names=NAMES)
    try:
        result = evaluator.eval(expression, previously_parsed=tree.body)
    except ToolError:
        raise
    except ZeroDivisionError:
        raise ToolError("Division by zero.") from None
    except OverflowError:
        raise ToolError("The result is too large for a floating-point number.") from None
    except RecursionError:
        raise ToolError("The expression is nested too deeply.") from None
    except Exception as error:  # simpleeval's own (an unknown name or function), math's domain errors
        raise ToolError(f"Cannot calculate that: {str(error)[:200]}") from None
    if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
        raise ToolError("The result is not a finite real number.")
    _numbers(result)
    return result  # type: ignore[no-any-return]


@tool(timeout_s=2)
def calculate(
    expression: Annotated[str, "An arithmetic expression, e.g. (17.5 * 3) / 4, 2 ** 64, sqrt(2) * pi, round(x, 2)."],
) -> Annotated[str, "The exact result (integers) or a float."]:
    """Evaluate arithmetic exactly: + - * / // % **, parentheses, sqrt, exp, log, log10, log2, sin, cos, tan,
    asin, acos, atan, atan2, sinh, cosh, tanh, degrees, radians, hypot, floor, ceil, abs, min, max, round, and
    the constants pi, e, tau. Use it for any calculation instead of working it out yourself."""
    result = evaluate(expression)
    return str(result) if isinstance(result, int) else repr(result)
