"""The stateless routes: an answer streamed to a request that brings its own history, kept nowhere; and the
model the answers come from. An adapter over the chat core's events (text and usage only)."""
