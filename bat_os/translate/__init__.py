"""Plain English -> one request: the brief schema, the local translator, and ALFRED's prompt.

``briefs``      the schema of a translated request (shared by the kernel and the client)
``translator``  the local, rule-based translator (no model, no kernel)
``model``       the prompt ALFRED's model gets, and what of its answer is accepted

The standard library only: the client (``bat_os.console``) imports this
package, and must not pull in ZODB or torch.
"""
