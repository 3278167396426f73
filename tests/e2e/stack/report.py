"""The reliability report: the figures the stack tests measure, one section per test, merged into one JSON file.

A run replaces only the sections it measured, so the soak's figures (run by hand, behind a flag) stay next to
those of the last CI run. `tests/e2e/reports/README.md` presents its figures; the main README shows a few.
"""

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

REPORT = Path(os.environ.get("E2E_REPORT", Path(__file__).resolve().parent.parent / "reports" / "reliability.json"))


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def record(section: str, figures: dict[str, Any]) -> None:
    report: dict[str, Any] = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    report[section] = {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(), **figures}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(dict(sorted(report.items())), indent=2) + "\n")
