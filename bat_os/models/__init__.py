"""Persona models: stored in the image as blobs, loaded and swapped by a manager, asked through backends.

``backends``  the LLM seam (``complete``), the replay/recording cassettes and the transformers backend
``records``   what the image holds: the model store and its records (persistent)
``store``     importing, sharing and removing persona models, listing models and adapters (the import's steps, kill -9)
``adapters``  importing LoRA adapters, one directory or a whole folder
``hub``       the Hub seam and the Hugging Face hub: downloading a model repository
``quantize``  4-bit nf4 quantization on a CUDA GPU
``model_dir`` what a model directory holds and declares (safetensors only, config, dtype)
``files``     hashing and staging files; linking and verifying committed blob files for loading
``progress``  progress bars for the long steps (tqdm for the CLI)
``manager``   loads models from committed blob files, swaps them within a memory budget, generates
``personas``  from a persona to its model in the image; pulling the defaults on first awakening
``tiny``      small random-weight models built locally (tests, smoke runs)

May import: ``errors``, ``config``, ``image``. torch, transformers, peft and
bitsandbytes only inside functions. Never ``kernel``, ``cognition``, ``cli``.
"""
