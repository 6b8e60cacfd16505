"""``python batos.py ...``: the command line over the package.

``main``    load the configuration, set up logging, open and awaken the image, run the kernel
``models``  ``batos.py models ...``: import, list and remove persona models and adapters
``backup``  ``batos.py backup|restore|backups``
``audit``   ``batos.py audit FILE --selector NAME``: the guardian and a jailed trial, without a kernel
``forge``   ``batos.py forge ...``: the forge (dataset, training, the gate), asked of a running kernel
``remote``  ``batos.py remote add|revoke|list``: the clients allowed in from other machines (CURVE keys)

May import anything in the package; nothing imports it but ``batos.py``.
"""
