"""current_time: the date and time now, in a time zone."""

from datetime import datetime
from typing import Annotated, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chat_api.tools.errors import ToolError
from chat_api.tools.spec import tool

MAX_ZONE_CHARS: Final = 64  # the longest IANA name has 32


@tool(timeout_s=2)
def current_time(
    timezone: Annotated[str, "An IANA time zone, e.g. Europe/Berlin or America/New_York; UTC if unsure."] = "UTC",
) -> Annotated[str, "The date, time and weekday there, in ISO 8601 with the offset."]:
    """The current date and time in a time zone. Use it whenever the answer depends on today's date or the
    time somewhere."""
    name = timezone.strip() or "UTC"
    try:
        if len(name) > MAX_ZONE_CHARS:
            raise ValueError(name)
        zone = ZoneInfo(name)
    # ValueError: not a zone's name at all (a path); OSError: one the file system refuses to look up
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ToolError(
            f"Unknown time zone {name[:64]!r}: use an IANA name such as Europe/Berlin, Asia/Tokyo or UTC."
        ) from None
    now = datetime.now(zone)
    return f"{now.isoformat(timespec='seconds')} ({now:%A}, {name})"
