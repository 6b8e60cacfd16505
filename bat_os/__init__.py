"""BAT OS: a persistent, self-extending living-image kernel.

The package by concern; imports only go down this list (each sub-package's
``__init__`` says what it may import; ``tests/test_layout.py`` checks it)::

    config, errors, protocol, oscompat   the base: settings, the exception tree and its one
                                         table of wire codes, the wire contract, platform shims
    image/       the living image: objects, the ZODB image, transactions, the value codec,
                 migrations, the primordial objects, the chronicle
    jail/        generated code runs in locked-down processes (kernel side, and the worker)
    translate/   plain English -> one request (stdlib only: shared with the client)
    memory/      the knowledge catalog, embeddings, hybrid search
    models/      persona models in the image, the model manager, the LLM backends
    cognition/   the cognitive cycle as a pipeline (cycle, author, trial, judge) and learned methods (methods)
    supervise/   the watchdog, gated upgrades, backups
    forge/       the image trains its author: the golden dataset, LoRA training, the gate
    kernel/      the asyncio loop over ZeroMQ, its commands, the audit trail, start-up
    cli/         ``python batos.py ...``
    console/     the chat client (``chat_client.py``); imports only protocol and translate
    web/         the web inspector (``chat_client.py --web``): aiohttp, over the console's connection rules
"""

__version__ = "0.1.0"
