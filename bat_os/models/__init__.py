"""Persona models: stored in the image as blobs, loaded and swapped by a manager, asked through backends.

``backends``  the LLM seam (``complete``), the replay/recording cassettes and the transformers backend
``records``   what the image holds: the model store and its records (persistent)
``store``     importing, listing and removing models and LoRA adapters
``manager``   loads models from committed blob files, swaps them within a memory budget, generates
``personas``  from a persona to its model in the image; pulling the defaults on first awakening
``tiny``      small random-weight models built locally (tests, smoke runs)

May import: ``errors``, ``config``, ``image``. torch, transformers, peft and
bitsandbytes only inside functions. Never ``kernel``, ``cognition``, ``cli``.
"""
