"""Persona models: stored in the image as blobs, loaded and swapped by a manager, asked through backends.

``backends``        the LLM seam (``complete``), the replay/recording cassettes and the models backend
``records``         what the image holds: the model store and its records (persistent)
``store``           importing, sharing and removing persona models, listing models and adapters (the import's steps, kill -9)
``staging``         an import's staging directory, and what a killed import left there
``adapters``        importing LoRA adapters, one directory or a whole folder
``hub``             the Hub seam and the Hugging Face hub: downloading a model repository
``ollama``          a model from a local Ollama store
``quantize``        4-bit nf4 quantization on a CUDA GPU
``model_dir``       what a model directory holds and declares (safetensors only, config, dtype)
``gguf``            what a GGUF file declares, what cannot be imported, converting one once
``gguf_probe``      whether llama.cpp runs a GGUF file, asked in a child process
``lora_gguf``       a PEFT LoRA adapter in llama.cpp's form
``files``           hashing and staging files; linking and verifying committed blob files for loading
``progress``        progress bars for the long steps (tqdm for the CLI)
``embedded``        the offline models shipped inside wheels, and which persona gets which
``provision``       a new image's first models, in the background
``engines``         which engine runs a model: llama.cpp or transformers (the rule)
``loadspec``        what the manager is asked to run, and whether an engine can apply an adapter
``manager``         what is resident within a memory budget, LRU eviction, swapping, generating
``residents``       a resident model, and loading one per engine (llama.cpp, transformers from linked blobs)
``adapter_choice``  refused adapters and why; loading and switching PEFT adapters on a resident
``devices``         the device models run on and the default memory budget
``llamacpp``        the llama.cpp engine: a GGUF model loaded and generating
``hf_loading``      the transformers engine: loading a model directory
``generation``      the transformers engine: one generation
``cpu_forms``       the weights' form on a CPU (``int8_weights``: the w8 form's layer)
``personas``        from a persona to its model in the image; what ``status`` shows of them
``tiny``            small random-weight models built locally (tests, smoke runs)

May import: ``errors``, ``config``, ``image``. torch, transformers, peft,
bitsandbytes and llama_cpp only inside functions. Never ``kernel``,
``cognition``, ``cli``.
"""
