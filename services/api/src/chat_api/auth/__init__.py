"""Identity: users (guests and full accounts), passwords, access tokens, refresh-token sessions; the routes."""
