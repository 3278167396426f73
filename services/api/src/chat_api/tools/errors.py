"""A tool's failure in words fit for the model and the user: no traceback, secret or internal address."""


class ToolError(Exception):
    """Raised by a tool with a plain message (e.g. an unknown time zone): the model reads it and may try again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ToolTimeout(ToolError):
    """The tool ran past its timeout and was cancelled."""
