"""RFC 6962 Merkle trees (Certificate Transparency's hashing), built from a stream of leaves.

A leaf's hash is SHA-256(0x00 || data) and a node's SHA-256(0x01 || left || right): the two
prefixes keep a leaf from ever passing for a node. The tree over ``n`` leaves splits at the
largest power of two below ``n``; built left to right, that is the tree whose every complete
subtree (``2**level`` leaves starting at a multiple of ``2**level``) is a node, and whose root
folds the last, incomplete subtrees from the right.

``Builder`` holds only the frontier (one hash per level) and hands each complete node to a
callback as it is made, so a caller can keep the tree's levels (to answer proofs later without
rebuilding it) in constant memory. ``tools/verify_snapshot.py`` repeats the verification half
with the standard library alone, so that a reader need not trust this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


#: Called with (level, index, hash) for each complete node, level 0 being the leaves, in order of
#: index within each level.
NodeSink = Callable[[int, int, bytes], None]


class Builder:
    """The root of a tree whose leaf hashes arrive one at a time."""

    def __init__(self, sink: NodeSink | None = None) -> None:
        self.size = 0
        self._frontier: list[bytes | None] = []  # the complete subtree of 2**level leaves still unpaired
        self._sink = sink

    def add(self, leaf: bytes) -> None:
        index = self.size
        self.size += 1
        node, level = leaf, 0
        while True:
            if self._sink is not None:
                self._sink(level, index >> level, node)
            if level == len(self._frontier):
                self._frontier.append(None)
            left = self._frontier[level]
            if left is None:
                self._frontier[level] = node
                return
            self._frontier[level] = None
            node, level = node_hash(left, node), level + 1
            if (index + 1) % (1 << level):  # pragma: no cover - a pair always completes a subtree
                raise AssertionError("unaligned subtree")

    def root(self) -> bytes:
        """The RFC 6962 root: the pending subtrees, smallest (rightmost) first, folded right to left."""
        if self.size == 0:
            return EMPTY_ROOT
        root: bytes | None = None
        for node in self._frontier:
            if node is not None:
                root = node if root is None else node_hash(node, root)
        assert root is not None
        return root


def root_of(leaves: Iterable[bytes]) -> bytes:
    builder = Builder()
    for leaf in leaves:
        builder.add(leaf)
    return builder.root()


def audit_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose roots are the audit path of leaf ``index`` in a tree of
    ``size`` leaves, bottom up (RFC 6962, 2.1.1)."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        split = 1 << ((end - start - 1).bit_length() - 1)  # the largest power of two below the width
        if index < start + split:
            ranges.append((start + split, end))
            end = start + split
        else:
            ranges.append((start, start + split))
            start += split
    ranges.reverse()
    return ranges


def range_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The complete nodes ``(level, index)`` whose fold (right to left) is the RFC 6962 root of the
    leaves ``[start, end)``, for a range that starts on a multiple of its largest power of two (as
    every range of an audit path does): left to right, largest first."""
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start % (1 << level):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: list[bytes]) -> bytes:
    """The root over consecutive complete subtrees, largest first (``range_nodes``'s order)."""
    root = hashes[-1]
    for node in reversed(hashes[:-1]):
        root = node_hash(node, root)
    return root


def root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """The root an audit path leads to from ``leaf`` (RFC 9162, 2.1.3.2); ``None`` if the path has
    the wrong length for the index and size."""
    if not 0 <= index < size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return node if sn == 0 else None
