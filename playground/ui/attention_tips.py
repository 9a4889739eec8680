"""Teaching texts of the "Inside attention" and "Architecture" tabs, in the lecture's words."""

from __future__ import annotations

from playground.training.events import AttentionSnapshot
from playground.viz.canvas import show_token

# An untrained decoder's "prediction" is its input, which reads like knowledge: it is the tied embeddings.
COPIED_INPUT = "(= its input: tied embeddings; hover)"
COPIED_WHY = ("The model puts out its own input, as an untrained one does: the output layer is the token embedding "
              "matrix (tied weights), and each token's embedding matches itself best. Training teaches it the next "
              "token.")


def copies_input(snap: AttentionSnapshot) -> bool:
    """Whether a model's output at each position is its own input token, as tied embeddings make an untrained one's
    (compared without spaces: labels show a space as ␣, and a word-level decode puts spaces between words): at
    step 0, or at any step for a decoder, whose output at a position is the next token, never the same one (QA:
    decoder-reverse at step 1 read "01234567[SEP]76543210", as if solved)."""
    def bare(text: str) -> str:
        return "".join(show_token(text).replace("␣", " ").split())

    copied = bool(snap.prediction) and bare(snap.prediction) == bare("".join(snap.labels))
    return copied and (snap.step == 0 or snap.causal)

INSIDE: dict[str, str] = {
    "tab": (
        "<b>Inside attention</b>: every step of self-attention for your own input, read from the model "
        "being trained — queries, keys and values, the scores QKᵀ, scaling, the mask, softmax, and the "
        "weighted sum of the values; then how several heads are combined."
    ),
    "input": (
        "<b>Your own input.</b> Type a sentence (or a sequence for the toy tasks) and press Enter: every view "
        "below is computed by the current model — untrained, mid-training or trained — on exactly this input. "
        "Leave it empty for the probe input the Attention tab shows."
    ),
    "probe": "Go back to the probe input: the fixed example the Attention tab shows during training.",
    "image": "Choose an image file: the Vision Transformer cuts it into patches and you see where [CLS] looks.",
    "layer": "Which transformer block (layer) to look inside. Layer 1 reads the embeddings; later layers read "
             "what earlier ones wrote.",
    "head": "Which attention head. Each head has its own W_Q, W_K and W_V over n_embd / n_head dimensions, so "
            "each can look for a different pattern.",
    "steps": (
        "<b>Self-attention step by step</b>, as in the lecture's figure: each token's vector x is projected to "
        "a query Q = x W_Q (what it looks for), a key K = x W_K (what it offers) and a value V = x W_V (what it "
        "passes on). The scores QKᵀ say how well each query matches each key; dividing by √d keeps the softmax "
        "from saturating; the mask hides future tokens (decoder) or padding (encoder); softmax turns each row "
        "into weights that sum to 1; the output is weights × V. Then the heads' outputs are concatenated and "
        "mixed by the output projection W_O. All numbers come from the model's own forward pass."
    ),
    "fit": "Shrink the figure to the width of the window, but never so far that its titles read smaller than the "
           "window's text (otherwise it is shown at full size; scroll to move).",
    "head_view": (
        "<b>Head view</b>, as in the lecture: the tokens twice, queries on the left and keys on the right. A "
        "line from a query to a key is as thick and as opaque as the attention weight — how much of that key's "
        "value flows into the query's output. With all heads, each head has its own colour. Hover a token to "
        "see only its lines: on the left, where it looks; on the right, who looks at it."
    ),
    "heads_choice": "One head, or every head of the layer at once, each in its own colour.",
    "roles": (
        "<b>Heads specialise.</b> Measures of what each head does, from its attention weights: <b>entropy</b> "
        "(1 = attention spread evenly, 0 = on one key), <b>mean distance</b> (how many tokens away it looks), "
        "<b>previous token</b> (1 = a perfect previous-token head), <b>first token</b> (attention parked on "
        "the first token, a 'do nothing' resting place). For a ViT's image, in patches across the image, and the "
        "patch on the <b>left</b> and <b>right</b>. Click a column to sort; click a row to open that head."
    ),
    "timeline": (
        "<b>Training timeline.</b> Attention snapshots kept during this run (at most 64, spread evenly over "
        "the run). Drag the slider back to see the attention at an earlier step; at the right end it follows "
        "training live."
    ),
    "gif": "Write the evolution over the kept snapshots as an animated GIF: the whole grid, or the selected "
           "head as lines (layer and head of the selected row).",
    "vit": (
        "<b>Vision Transformer.</b> The image is cut into patches, each patch becomes a token, and a special "
        "[CLS] token collects what the classifier needs. Per head: how much [CLS] attends to each patch. "
        "<b>Attention rollout</b> (Abnar &amp; Zuidema) multiplies the layers' attention (heads averaged, "
        "residual connection added) to show how much each patch flows into [CLS] through all layers so far."
    ),
    "embeddings": (
        "<b>Token embeddings</b>, projected to 2-D with PCA (the two directions in which the vectors differ "
        "most). Tokens the model treats alike move close together as training goes on."
    ),
    "positions": (
        "<b>Positional encodings</b>, projected with PCA, joined in order 0 → 1 → 2 … Attention itself does "
        "not know the order of the tokens; these vectors, added to the embeddings, tell it. Learned positions "
        "usually end up on a smooth curve; sinusoidal ones are fixed from the start."
    ),
    "positions_vit": (
        "<b>Positional encodings</b> of [CLS] and the patches, projected with PCA, joined in reading order: [CLS], "
        "then row 0 left to right (r0c0, r0c1, …), then row 1. Attention itself does not know where a patch lies in "
        "the image; these vectors, added to the patch embeddings, tell it. Learned, the encodings of neighbouring "
        "patches (in a row or a column) often end up close together."
    ),
    "export": "Save this view as a picture: PNG, or SVG (vector, sharp at any size) where the view is drawn "
              "with lines.",
    "waiting": "Press Play (Space) or Step (→): the model is built when training starts, then every view here "
               "shows it — also mid-training.",
    "drawing": "Drawing the model's views… (a model brought back is read from its checkpoint first)",
}

ARCHITECTURE = (
    "<b>The architecture as a picture</b>: the model the sliders describe, block by block, with the shape "
    "of the tensor between blocks — B examples per batch, T tokens, C = n_embd numbers per token. The "
    "transformer block is repeated N times. BERT (encoder) normalises <i>after</i> each residual addition "
    "(post-LN); GPT-2 and ViT normalise <i>before</i> each sub-layer (pre-LN) and once more at the end. "
    "Redrawn as you move the sliders; no model is built."
)
