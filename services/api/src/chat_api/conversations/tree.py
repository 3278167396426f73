"""Messages form a tree by `parent_id`: a retried or edited turn is a sibling, and the conversation shows one
branch of it, from the first message to its current leaf."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Node:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    created_at: datetime


class Tree:
    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = {node.id: node for node in nodes}
        self.children: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
        for node in sorted(self.nodes.values(), key=lambda n: (n.created_at, n.id)):
            self.children[node.parent_id].append(node.id)

    def __contains__(self, message_id: uuid.UUID) -> bool:
        return message_id in self.nodes

    def path_to(self, message_id: uuid.UUID | None) -> list[uuid.UUID]:
        """From the first message down to `message_id` (empty for None)."""
        path: list[uuid.UUID] = []
        current = message_id
        while current is not None and current in self.nodes:
            path.append(current)
            current = self.nodes[current].parent_id
        return path[::-1]

    def latest_leaf_under(self, message_id: uuid.UUID | None) -> uuid.UUID | None:
        """Down from `message_id` (None: the top), always into the newest child: the branch last added to."""
        current = message_id
        while self.children.get(current):
            current = self.children[current][-1]
        return current

    def siblings(self, message_id: uuid.UUID) -> list[uuid.UUID]:
        """The message and its siblings (the same parent), oldest first."""
        return list(self.children[self.nodes[message_id].parent_id])

    def in_order(self) -> list[uuid.UUID]:
        """Every message, parents before their children, siblings oldest first."""
        ordered: list[uuid.UUID] = []
        stack = list(reversed(self.children.get(None, [])))
        while stack:
            current = stack.pop()
            ordered.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return ordered

    def branch(self, leaf: uuid.UUID | None) -> list[uuid.UUID]:
        """The branch a conversation shows: to its leaf, or else the newest one."""
        if leaf is None or leaf not in self.nodes:
            leaf = self.latest_leaf_under(None)
        return self.path_to(leaf)
