"""The forge: the image trains its own author on what it learned right (issue 41; in the making).

``curator`` gathers the training pairs: for each method a cycle wrote that is still the current version, still
holds its stored tests and was never reverted, edited or removed, the author's prompt as its cycle built it
(with the person's answers among the examples) and the accepted source; deduplicated, bounded, each with its
provenance. Training and the gate that keeps an adapter only if it is better come next.

May import: the base, image, models (a prompt's hash), cognition (the prompts and views the cycle itself uses).
"""
