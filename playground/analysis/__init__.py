"""Numbers behind the attention views, computed without a window (numpy out, no Qt).

steps      every step of the lecture for one head, read from the model's own forward code (AttentionTrace)
roles      what each head does: entropy, attention distance, previous-/first-token and self scores
rollout    attention rollout across layers and the ViT's [CLS]-to-patch maps
embeddings 2-D PCA of token embeddings and positional encodings
timeline   attention snapshots kept over training in bounded memory, saved in the run folder
"""
