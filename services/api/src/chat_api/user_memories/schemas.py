"""What the memory routes return."""

import uuid
from datetime import datetime

from pydantic import BaseModel


class MemoryView(BaseModel):
    id: uuid.UUID
    content: str
    created_at: datetime


class MemoryList(BaseModel):
    items: list[MemoryView]
    limit: int
