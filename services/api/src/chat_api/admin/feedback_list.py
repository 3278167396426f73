"""The votes of the admin view: every user's, the most recently given or changed first, with the voter as the
user list names them; the question and answer only when the operators may see content."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.admin.schemas import FeedbackEntry, FeedbackPage
from chat_api.feedback import listing
from chat_api.feedback.vocabulary import Rating
from chat_api.storage.models import Feedback, User
from chat_api.storage.paging import newest_first, page_of


async def page(
    session: AsyncSession,
    since: datetime | None,
    rating: Rating | None,
    with_content: bool,
    cursor: str | None,
    limit: int,
) -> FeedbackPage:
    query = (
        listing.votes(with_content)
        .add_columns(Feedback.id, User.email, User.display_name)
        .join(User, User.id == Feedback.user_id)
    )
    if since is not None:
        query = query.where(Feedback.updated_at >= since)
    if rating is not None:
        query = query.where(Feedback.rating == rating)
    found = (await session.execute(newest_first(query, Feedback.updated_at, Feedback.id, cursor, limit))).all()
    rows, next_cursor = page_of(found, limit, lambda row: (row.updated_at, row.id))
    items = [FeedbackEntry(at=row.updated_at, **row._asdict()) for row in rows]
    return FeedbackPage(items=items, next_cursor=next_cursor, content_visible=with_content)
