"""Titles written by the model: after a new conversation's first answer, a few words in place of the first
words of its first message (charged to the user; the first words stay when it cannot be written)."""
