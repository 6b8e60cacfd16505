"""The cycle: its state table, the one store that changes cycles, the driver, and the step each state runs.

``states``  the states and their moves (the one table), and the Transition a step returns (stdlib only)
``record``  a cycle as a persistent record, its registry, and the migrations that made them so
``driver``  the Orchestrator and its loop, the one Store that changes cycles, the view a step reads, the Run it uses
``steps``   the step of each state, a function of the cycle's view; the decision turned into a transition
``memory``  what a cycle reads from the catalog (research) and leaves there (its episode)

May import every other room of the wing, and ``errors``, ``image``, ``jail``, ``memory``, ``models``.
"""
