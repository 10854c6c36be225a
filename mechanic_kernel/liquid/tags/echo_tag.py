"""The ``echo`` tag, printing values the way ``{{ }}`` does in Mechanic."""

from __future__ import annotations

from liquid.builtin.tags.echo_tag import EchoTag as _EchoTag

from mechanic_kernel.liquid.tags.output_tag import OutputNode


class EchoNode(OutputNode):
    """``{% echo value %}``: Ruby-style output of hashes and arrays."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{{% echo {self.expression} %}}"


class EchoTag(_EchoTag):
    """python-liquid's echo tag with Mechanic printing (its expression already goes through our tokenizer)."""

    node_class = EchoNode
