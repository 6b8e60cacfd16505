"""The trial's room: every call a candidate meets, and its jailed runs.

``calls``     the one source of calls: the trial, the examples, the generated cases, the conditions' calls, the
              probes, the slots' and the constants' calls, each with its role
``coverage``  the calls the one to install meets: at the boundaries and branches of its code (traced in the jail),
              the values the request names, the classic edges of its types; those no answer of the person's supports
``runs``      a candidate audited, then run in the jail over every call on an aborted view of the image: a Candidate

May import ``judge``, ``author`` (reading the request), ``methods`` (the hosts), and ``errors``,
``image``, ``jail``.
"""
