"""Read-only share links: a snapshot of one branch of a conversation, viewed by anyone holding its link."""
