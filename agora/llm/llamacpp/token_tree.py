"""Prefix trees of token sequences, flattened into multi-sequence llama.cpp batches.

Each node is one token at one position; its ``seqs`` are the KV sequences whose paths run
through it, so shared prefixes (the game rules, ``{"guess": ``) are evaluated once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(eq=False)
class Node:
    """One token of the tree."""

    token: int
    depth: int
    children: dict[int, Node] = field(default_factory=dict)
    seqs: list[int] = field(default_factory=list)
    want_logits: bool = False
    batch_index: int = -1
    """Index of this token in the flattened batch (-1 if not evaluated)."""
    output_index: int = -1
    """Row of this token's logits among the batch outputs (-1 if none)."""


@dataclass(frozen=True, kw_only=True)
class FlatBatch:
    """Parallel arrays for :meth:`agora.llm.llamacpp.engine.LlamaEngine.decode`."""

    tokens: list[int]
    positions: list[int]
    seqs: list[list[int]]
    want_logits: list[bool]

    @property
    def n_outputs(self) -> int:
        """Number of tokens whose logits are requested."""
        return sum(self.want_logits)

    def __len__(self) -> int:
        return len(self.tokens)


class TokenTree:
    """A trie of token paths; every path belongs to one KV sequence id."""

    def __init__(self) -> None:
        self.root = Node(token=-1, depth=-1)
        self.n_nodes = 0

    def add(self, tokens: Sequence[int], seq: int) -> list[Node]:
        """Insert a path owned by ``seq``; returns its nodes (root excluded)."""
        node, path = self.root, []
        for t in tokens:
            child = node.children.get(t)
            if child is None:
                child = node.children[t] = Node(token=t, depth=node.depth + 1)
                self.n_nodes += 1
            if not child.seqs or child.seqs[-1] != seq:
                child.seqs.append(seq)
            path.append(child)
            node = child
        return path

    def new_nodes_for(self, tokens: Sequence[int]) -> int:
        """How many nodes :meth:`add` would create for ``tokens``."""
        node = self.root
        for i, t in enumerate(tokens):
            child = node.children.get(t)
            if child is None:
                return len(tokens) - i
            node = child
        return 0

    def flatten(self, start_pos: int, *, include_leaves: bool) -> FlatBatch:
        """Batch of the tree's tokens in pre-order (parents before children).

        Leaves are evaluated only with ``include_leaves`` (a prompt's last token must enter
        the KV cache; a candidate's last token only needs its parent's logits). Sets
        ``batch_index`` and ``output_index`` on every evaluated node.
        """
        tokens: list[int] = []
        positions: list[int] = []
        seqs: list[list[int]] = []
        want: list[bool] = []
        n_out = 0
        stack = list(reversed(self.root.children.values()))
        while stack:
            node = stack.pop()
            if node.children or include_leaves:
                node.batch_index = len(tokens)
                tokens.append(node.token)
                positions.append(start_pos + node.depth)
                seqs.append(node.seqs)
                want.append(node.want_logits)
                if node.want_logits:
                    node.output_index = n_out
                    n_out += 1
            elif node.want_logits:
                raise ValueError("a leaf that is not evaluated cannot provide logits")
            stack.extend(reversed(node.children.values()))
        return FlatBatch(tokens=tokens, positions=positions, seqs=seqs, want_logits=want)


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
