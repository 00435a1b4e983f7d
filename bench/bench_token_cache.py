"""How often a new instruction needs the tokenizer once the token count cache has seen others.

    .venv/bin/python bench/bench_token_cache.py [--seed 16]

A warm `modelroute route` loads the o200k tokenizer only when the prompt has a pre-token the cache has
not seen. On one workspace the prompt changes mostly by its instruction, so this replays the real
task texts of the classifier's corpus (server/modelroute/classify/data/corpus.jsonl, 2,500 texts from
public sources) in a shuffled order, as one user's successive instructions, each embedded the way the
prompt builder embeds it ("Task (...): <instruction>"): after k instructions have been learned, the
share of the next 200 whose pieces are all known (no tokenizer load). No clock is involved.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from modelroute.cost.token_cache import split_pieces

CORPUS = Path(__file__).resolve().parents[1] / "server" / "modelroute" / "classify" / "data" / "corpus.jsonl"
AFTER = (0, 10, 50, 100, 250, 500, 1000, 2000)
WINDOW = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(args.seed).shuffle(texts)
    prompts = [f"Task (a multi-file refactor): {text.strip()}\n" for text in texts]
    print(f"{len(prompts)} instructions, shuffled with seed {args.seed}\n")
    print("| instructions learned | next instructions | counted without the tokenizer |")
    print("| ---: | ---: | ---: |")
    for learned in AFTER:
        if learned + WINDOW > len(prompts):
            break
        known = {piece for prompt in prompts[:learned] for piece in split_pieces(prompt)}
        window = prompts[learned : learned + WINDOW]
        hits = sum(1 for prompt in window if all(piece in known for piece in split_pieces(prompt)))
        print(f"| {learned:,} | {len(window)} | {hits / len(window):.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
