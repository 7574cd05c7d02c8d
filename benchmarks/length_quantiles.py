"""Derive the listing-length quantiles that ``generate.py`` draws from, from real listings.

    python benchmarks/length_quantiles.py [--marketplaces /work/ext/marketplaces] [--birds PATH]

Writes ``benchmarks/lengths.json``: per shape, the length (characters of title and text) at each
percentile, and where it came from. Only the quantiles are committed, never the listings:

- ``title``: real marketplace listings of under 400 characters (``/work/ext/marketplaces``, the
  public extracts ``marketplaces.manifest.csv`` lists: mostly a title and little else);
- ``long``: the real marketplace listings of 400 characters or more (product descriptions);
- ``tweet``: the shape of 16,509 real classified bird ads (Stringham et al. 2021, shared data),
  scaled so its mean is 239 characters (the mean of the real tweets issue 27 measured, which
  cannot be shipped or read here). The ads are stop-worded and stemmed, so their own lengths run
  short of what was written; the tail runs past a tweet's 280 characters, as posts elsewhere do.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

PERCENTILES = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]
LONG = 400
TWEET_MEAN = 239
HERE = Path(__file__).parent


def quantiles(lengths: list[int]) -> list[int]:
    lengths = sorted(lengths)
    return [lengths[min(len(lengths) - 1, int(len(lengths) * p / 100))] for p in PERCENTILES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--marketplaces", type=Path, default=Path("/work/ext/marketplaces"))
    parser.add_argument("--birds", type=Path, default=HERE.parent.parent / "shared/data/bird_ads_stringham2021.csv")
    parser.add_argument("--out", type=Path, default=HERE / "lengths.json")
    args = parser.parse_args()
    short: list[int] = []
    long: list[int] = []
    files = sorted(args.marketplaces.glob("*/*.jsonl"))
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                n = len(rec.get("title") or "") + len(rec.get("text") or "")
                (long if n >= LONG else short).append(n)
    with open(args.birds, encoding="latin-1", newline="") as fh:
        birds = [len(row["text_stop_stem"]) for row in csv.DictReader(fh)]
    scale = TWEET_MEAN / (sum(birds) / len(birds))
    tweets = [max(1, round(n * scale)) for n in birds]
    doc = {
        "percentiles": PERCENTILES,
        "shapes": {
            "title": {"lengths": quantiles(short), "n": len(short), "mean": round(sum(short) / len(short)),
                      "source": f"real marketplace listings under {LONG} characters: "
                                f"{', '.join(p.stem for p in files)} (benchmarks/marketplaces.manifest.csv)"},
            "tweet": {"lengths": quantiles(tweets), "n": len(tweets), "mean": round(sum(tweets) / len(tweets)),
                      "source": f"the shape of {len(birds):,} real bird ads (Stringham et al. 2021, MIT; "
                                f"stop-worded, stemmed) scaled by {scale:.2f} to the {TWEET_MEAN}-character mean "
                                f"of real tweets (issue 27)"},
            "long": {"lengths": quantiles(long), "n": len(long), "mean": round(sum(long) / len(long)),
                     "source": f"real marketplace listings of {LONG} characters or more (product descriptions; "
                               f"benchmarks/marketplaces.manifest.csv)"},
        },
    }
    shapes = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in doc["shapes"].items())
    args.out.write_text(f'{{\n "percentiles": {json.dumps(PERCENTILES)},\n "shapes": {{\n{shapes}\n }}\n}}\n',
                        encoding="utf-8")
    for name, shape in doc["shapes"].items():
        print(f"{name}: n={shape['n']:,} mean {shape['mean']} quantiles {shape['lengths']}")


if __name__ == "__main__":
    main()
