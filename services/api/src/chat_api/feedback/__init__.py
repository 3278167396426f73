"""Feedback on answers: a user's thumbs up or down, with an optional reason and comment, and the operators'
export of them."""
