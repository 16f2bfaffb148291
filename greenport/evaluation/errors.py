"""The evaluation engine's small exception family (all :class:`~greenport.kernel.errors.InvalidInput`)."""

from __future__ import annotations

from greenport.kernel.errors import InvalidInput


class EvaluationError(InvalidInput, ValueError):
    """Input the engine cannot evaluate (wrong shape, missing value under the ``refuse`` policy, ...).

    Also a :class:`ValueError`, so plain numeric callers can catch it as such.
    """


class SchemaError(EvaluationError):
    """An indicator-system declaration breaks the schema; ``path`` names the YAML path of the problem.

    The message reads like ``dimensions[2].indicators[4].direction: must be benefit|cost|target``.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message, field=path or None)

    def __str__(self) -> str:
        return self.message


class InconsistentJudgment(EvaluationError):
    """An AHP judgment matrix whose consistency ratio is at or above the accepted limit (CR >= 0.10)."""
