"""Models out of (and into) the playground in the formats the ecosystem uses.

    export_run(run_dir, out_dir)                 # a Hugging Face folder transformers loads (see hf.py)
    import_bert_folder(path, info, spec=None)    # a BERT-architecture Hugging Face folder as our Encoder
"""

from __future__ import annotations

from playground.export.hf import ExportError, ExportResult, check_exportable, export_model, export_run, load_exported
from playground.models.pretrained import load_bert_folder as import_bert_folder

__all__ = ["ExportError", "ExportResult", "check_exportable", "export_model", "export_run", "import_bert_folder",
           "load_exported"]
