"""Word counts of open text for word clouds, without the stop words of the kit's eight
languages (en fi sv nl es pl it de).

The stop words come from ``stopwordsiso`` (the stopwords-iso collection, packaged for
PyPI and kept up to date there) rather than lists of our own: a room often mixes
languages, so the words of all eight are removed whatever the agenda's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable

__all__ = ["LANGUAGES", "stop_words", "word_counts"]

LANGUAGES = ("en", "fi", "sv", "nl", "es", "pl", "it", "de")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    import stopwordsiso

    words: set[str] = set()
    for code in LANGUAGES:
        words |= {w.casefold() for w in stopwordsiso.stopwords(code)}
    return frozenset(words)


def word_counts(texts: Iterable[str], *, top: int = 40, min_length: int = 3,
                extra_stop_words: Iterable[str] = ()) -> list[tuple[str, int]]:
    """The ``top`` most frequent words of ``texts`` as ``(word, count)``, most frequent
    first (ties alphabetical). Words are compared case-folded and shown lower-case; stop
    words, numbers and words shorter than ``min_length`` are left out."""
    stops = stop_words() | {w.casefold() for w in extra_stop_words}
    counts: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str):
            continue
        for match in _WORD.finditer(unicodedata.normalize("NFC", text)):
            word = match.group(0).casefold().strip("'’-")
            if len(word) >= min_length and word not in stops:
                counts[word] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
