"""<backingStore>: the images under a disk's top image, each a storage and a format
node, the format node naming the one below as its ``backing`` (libvirt 9.0 with
-blockdev).  A chain ending in an empty <backingStore/> has no image below its last
layer ("backing": null); one that just stops leaves the rest to the image's header."""

from __future__ import annotations

from ..record import evolve, frozen

from ..diagnostics import Span, span_field
from ..xmlread import Reader
from .blockdev import BlockSource, _read_source, read_layer_extras, read_source_extras

LAYER_TYPES = ("file", "block", "network")


@frozen
class BackingLayer:
    type: str
    format: str
    source: BlockSource
    span: Span = span_field()


def read_backing(r: Reader) -> tuple[tuple[BackingLayer, ...], bool]:
    """(the layers, top down, whether an empty <backingStore/> ends the chain)."""
    layers = []
    bs = r.child("backingStore")
    while bs is not None:
        if bs.attr("type") is None and not list(bs.children()):
            return tuple(layers), True
        btype = bs.attr_choice("type", LAYER_TYPES) or bs.require("type")
        bs.attr("index")  # numbers the layer for libvirt's block jobs
        fmt = bs.child("format")
        if fmt is None or not fmt.attr("type"):
            raise bs.error("disk-backing", "a <backingStore> needs its <format type=.../> "
                           "(domc reads no image headers)")
        s = bs.child("source")
        if s is None:
            raise bs.error("disk-backing", "a <backingStore> needs a <source>")
        src = _read_source(bs, s, btype)
        if src is None or (btype != "network" and not src.path):
            raise s.error("disk-backing", f"the <source> of a {btype} <backingStore> needs "
                          f"its {'file' if btype == 'file' else 'dev'}")
        src = read_layer_extras(None, s, evolve(src, **read_source_extras(s, btype)))
        layers.append(BackingLayer(btype, fmt.attr("type"), src, span=bs.span))
        bs = bs.child("backingStore")
    return tuple(layers), False
