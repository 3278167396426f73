"""The product on loopback for a browser: the built UI and the api behind Debian's nginx with the product's own
configuration, Postgres and Redis, the emulator as the model (the UI benchmarks' page, served as compose does)."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from emulator.testing import serve
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from harness.processes import HOST, ROOT
from harness.stack import running_stack
from harness.stores import fresh_work, migrated_stores

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


class AppFiles(StaticFiles):
    """The built UI as its image serves it: a path that is no file (a chat's own address) is the app."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404:
                raise
            return await super().get_response("index.html", scope)


def built_ui(dist: Path) -> Path:
    if not (dist / "index.html").exists():
        raise SystemExit(f"no built UI at {dist}: run `npm run build` in services/ui first")
    return dist


@contextmanager
def product_on_loopback(dist: Path, settings: dict[str, str] | None = None) -> Iterator[str]:
    """Yields the page's URL (nginx's). `settings`: more environment for the emulator and the api. One api
    worker: a page's requests are few."""
    work = fresh_work()
    with ExitStack() as stack:
        stores = stack.enter_context(migrated_stores(work, ROOT))
        ui_url = stack.enter_context(serve(Starlette(routes=[Mount("/", AppFiles(directory=dist))])))
        running = stack.enter_context(
            running_stack(work, 1, ROOT, stores, settings=settings, ui_port=urlsplit(ui_url).port)
        )
        yield f"http://{HOST}:{running.ports['nginx']}/"
