from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI

from emulator.app import Emulator, create_app
from emulator.settings import Settings
from emulator.testing import serve

API_KEY = "test-key"
API_VERSION = "2024-10-21"
DEPLOYMENT = "chat"


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"api_key": API_KEY, "ttft_ms": 0, "token_ms": 0, "log_level": "WARNING"}
    return Settings(**{**base, **overrides})


@pytest.fixture(scope="session")
def emulator_app() -> Any:
    return create_app(make_settings())


@pytest.fixture(scope="session")
def base_url(emulator_app: Any) -> Iterator[str]:
    with serve(emulator_app) as url:
        yield url


@pytest.fixture
def emulator(emulator_app: Any) -> Emulator:
    state: Emulator = emulator_app.state.emulator
    return state


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, headers={"api-key": API_KEY}) as client:
        yield client


@pytest.fixture
async def azure(base_url: str) -> AsyncIterator[AsyncAzureOpenAI]:
    client = AsyncAzureOpenAI(
        azure_endpoint=base_url,
        api_key=API_KEY,
        api_version=API_VERSION,
        azure_deployment=DEPLOYMENT,
        max_retries=0,
    )
    async with client:
        yield client


@pytest.fixture
async def openai_client(base_url: str) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0) as client:
        yield client


def chat_url(deployment: str = DEPLOYMENT) -> str:
    return f"/openai/deployments/{deployment}/chat/completions?api-version={API_VERSION}"
