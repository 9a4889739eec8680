"""Graph rewrites for inductor's CPU training graphs (inductor's documented `post_grad_custom_post_pass` hook).

Both replace a CPU lowering of inductor's with a cheaper form of the same arithmetic; GPU nodes are left alone.

- A Linear's bias. Inductor keeps it inside `addmm(bias, x, w)`. On CPU, aten's addmm first copies the bias,
  broadcast to the whole (tokens, out) output, into the result and then accumulates the matmul onto it: a
  full extra write and read of the output. Written as `mm(x, w) + bias`, the add is a pointwise op that
  inductor fuses into the kernel that follows (GELU, the residual add, the cast). GPUs get this from inductor
  already (`unfuse_bias_add_to_pointwise`).
- The token embedding's gradient. Autograd's embedding backward becomes a masked `index_put` with
  accumulation, which inductor's C++ backend writes as an atomic add per element (tokens x C of them). aten's
  own `embedding_dense_backward` sums the rows without atomics, several times faster, so the node is handed
  back to it, wrapped as a custom op: inductor calls a custom op as an external kernel, while the aten op
  itself it would decompose into the same index_put again.

docs/performance.md has the measurements.
"""

from __future__ import annotations

from typing import Any

import torch
from torch._inductor.custom_graph_pass import CustomGraphPass, get_hash_for_files

aten = torch.ops.aten


@torch.library.custom_op("playground::embedding_grad", mutates_args=())
def embedding_grad(grad: torch.Tensor, index: torch.Tensor, rows: int) -> torch.Tensor:
    """d(loss)/d(table) of `table[index]`: (..., C) gradients summed into (rows, C), by aten's kernel."""
    return aten.embedding_dense_backward(grad, index, rows, -1, False)


@embedding_grad.register_fake
def _embedding_grad_shape(grad: torch.Tensor, index: torch.Tensor, rows: int) -> torch.Tensor:
    return grad.new_empty(rows, grad.shape[-1])


class CpuTrainingPasses(CustomGraphPass):
    """The rewrites, with a key for inductor's cache (this file's hash: editing it compiles again)."""

    def __call__(self, graph: torch.fx.Graph) -> None:
        for node in list(graph.nodes):
            if not _on_cpu(node):
                continue
            if node.target is aten.addmm.default:
                _unfuse_bias_add(graph, node)
            elif node.target is aten._unsafe_masked_index_put_accumulate.default:
                _embedding_backward_without_atomics(graph, node)

    def uuid(self) -> Any:
        return get_hash_for_files((__file__,))


def _unfuse_bias_add(graph: torch.fx.Graph, node: torch.fx.Node) -> None:
    if node.kwargs:
        return  # kwargs carry beta/alpha: only the plain bias + x @ w form is rewritten
    bias, x, w = node.args
    with graph.inserting_before(node):
        product = graph.call_function(aten.mm.default, (x, w))
        total = graph.call_function(aten.add.Tensor, (product, bias))
    _replace(graph, node, total, product)


def _embedding_backward_without_atomics(graph: torch.fx.Graph, node: torch.fx.Node) -> None:
    """zeros(V, C).index_put_([index], values * mask, accumulate=True) -> embedding_grad."""
    table, mask, indices, values = node.args
    if not (_is_zeros(table) and len(indices) == 1 and len(_shape(table)) == 2):
        return
    (index,) = indices
    if not isinstance(index, torch.fx.Node):
        return
    rows = _shape(table)[0]
    # The mask leaves out padding rows (and guards the bounds, which the forward embedding already checked).
    with graph.inserting_before(node):
        kept = graph.call_function(aten.where.ScalarOther, (mask, values, 0.0))
        grad = graph.call_function(torch.ops.playground.embedding_grad.default, (kept, index, rows))
    kept.meta = dict(values.meta)  # the values' shape and dtype
    _replace(graph, node, grad)


def _replace(graph: torch.fx.Graph, old: torch.fx.Node, new: torch.fx.Node, *also: torch.fx.Node) -> None:
    """`new` (and `also`, of the same shape and dtype) take `old`'s place."""
    for made in (new, *also):
        made.meta = dict(old.meta)
    old.replace_all_uses_with(new)
    graph.erase_node(old)


def _on_cpu(node: torch.fx.Node) -> bool:
    value = node.meta.get("val")
    return isinstance(value, torch.Tensor) and value.device.type == "cpu"


def _shape(node: Any) -> tuple[int, ...]:
    value = node.meta.get("val") if isinstance(node, torch.fx.Node) else None
    return tuple(value.shape) if isinstance(value, torch.Tensor) else ()


def _is_zeros(node: Any) -> bool:
    return isinstance(node, torch.fx.Node) and node.target is aten.full.default and node.args[1] == 0
