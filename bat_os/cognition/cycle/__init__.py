"""The cycle: its state table, the one store that changes cycles, the driver, and the step each state runs.

``states``  the states and their moves (the one table), and the Transition a step returns (stdlib only)
``record``  a cycle as a persistent record; the Store (every write: artifacts, moves, the episode, the install); views
``driver``  the Orchestrator: entry points, the loop applying each step's Transition, the Run a step may use
``steps``   the step of each state, a function of the cycle's view; the decision turned into a transition
``memory``  what a cycle reads from the catalog (research) and leaves there (its episode)

May import every other room of the wing, and ``errors``, ``image``, ``jail``, ``memory``, ``models``.
"""
