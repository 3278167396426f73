"""The database out of reach (restarting, stopped, starting up, the network between): told apart from a bug,
so a request gets 503 and Retry-After, and an answer's saves wait for it, instead of a 500 or a lost save."""

from sqlalchemy import exc


def is_unreachable(error: BaseException) -> bool:
    """A statement or a connection that failed because the server is away, not because of what was asked.
    (A failure to connect at all is one too: `engine.py` raises it as an `OperationalError`.)"""
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(error, exc.OperationalError | exc.InterfaceError)
    return isinstance(error, exc.DisconnectionError)
