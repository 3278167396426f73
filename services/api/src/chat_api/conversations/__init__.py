"""Conversations on the server: the list, each conversation's message tree and its branches, export, import."""
