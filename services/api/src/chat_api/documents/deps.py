"""The documents service, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.documents.service import DocumentService
from chat_api.http.app_state import StateKey

DOCUMENTS: StateKey[DocumentService] = StateKey("documents")


async def _documents(request: Request) -> DocumentService:
    return DOCUMENTS.of(request)


DocumentServiceDep = Annotated[DocumentService, Depends(_documents)]
