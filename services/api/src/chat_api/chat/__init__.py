"""The streaming core, in reading order: `routes` -> `response` -> `service` -> `reader` -> `upstream`.

It knows nothing of users or conversations: it turns a chat request into a stream of `events` and relays them.
"""
