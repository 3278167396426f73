"""Search over a user's own conversations: titles and message text, ranked, with highlighted snippets
(Postgres full-text search; SQLite FTS5 in the embedded mode). The route and the `search_conversations` tool
share it."""
