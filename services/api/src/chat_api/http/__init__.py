"""The HTTP layer every area builds on: the error envelope, the request context, health, shared dependencies."""
