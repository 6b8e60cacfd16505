"""The room of learned methods: how one runs, what it may do, and its stored tests (the audit of its source before any
run is the jail's guardian, :mod:`bat_os.jail.guardian`).

``host``          the kernel side of a jailed method's ``self`` (slot reads, writes, sends), and each test case's view
``handoff``       a system method that sends a generated one: it waits for the jail in a greenlet
``capabilities``  what a method may call (personas.ask, memory.search), granted by its source
``tests``         its stored tests run again, a change tried on them and its callers', cases written for one with none
``service``       Cognition: jailed sends, learning, and the services the kernel's commands reach

May import ``judge``, ``author`` (the cases prompt), and ``errors``, ``image``, ``jail``, ``memory``, ``models``.
"""
